// The audit record of one decision (a block check or a whole stream).
#ifndef MENSHEN_LIB_ENGINE_AUDIT_RECORD_H_
#define MENSHEN_LIB_ENGINE_AUDIT_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/engine/engine_state.h"

namespace menshen::internal {

// Fills `record` (reused: Clear keeps its allocations) for decision `d` about
// an input of `input_length` bytes with SHA-256 `input_sha256` (hex). The
// text itself goes in only when the engine's options ask for it and `text`
// is not null.
void BuildAuditRecord(const EngineState& state, const CheckRequest& request, const Decision& d,
                      uint64_t input_length, const std::string& input_sha256,
                      const std::string_view* text, audit::AuditRecord* record);

// Hands `record` to the engine's audit hooks: audit_hook first (whatever it
// throws is swallowed and counted), then fail_closed_audit_hook, whose error
// (an exception counts as one) is returned, so the caller fails closed.
absl::Status ReportAudit(EngineState& state, const audit::AuditRecord& record);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_ENGINE_AUDIT_RECORD_H_
