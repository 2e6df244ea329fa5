/* menshen.h alone, as strict C99: it needs nothing included before it, and
 * its _INIT macros initialise every field. */
#include "menshen.h"

int main(void) {
  menshen_engine_options engine = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_check_options check = MENSHEN_CHECK_OPTIONS_INIT;
  menshen_decision decision = MENSHEN_DECISION_INIT;
  menshen_hit hit = MENSHEN_HIT_INIT;
  menshen_pack_version pack = MENSHEN_PACK_VERSION_INIT;
  menshen_stream_state state = MENSHEN_STREAM_STATE_INIT;
  menshen_audit_info info = MENSHEN_AUDIT_INFO_INIT;
  return (engine.struct_size == sizeof engine && check.struct_size == sizeof check &&
          decision.struct_size == sizeof decision && hit.struct_size == sizeof hit &&
          pack.struct_size == sizeof pack && state.struct_size == sizeof state &&
          info.struct_size == sizeof info && MENSHEN_VERSION_NUMBER > 0)
             ? 0
             : 1;
}
