// menshen.h as pedantic C++ (C++11, the oldest a C++ caller is likely to use):
// extern "C" linkage, no C-only constructs, _INIT macros without warnings.
#include "menshen.h"

#include <type_traits>

static_assert(std::is_same<decltype(&menshen_check),
                           menshen_status (*)(const menshen_engine*, const char*, size_t,
                                              const menshen_check_options*, menshen_result*)>::value,
              "menshen_check keeps its signature");

int main() {
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
          info.struct_size == sizeof info)
             ? 0
             : 1;
}
