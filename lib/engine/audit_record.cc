#include "lib/engine/audit_record.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/utf8.h"
#include "lib/normalize/normalizer.h"

namespace menshen::internal {

// Fills `record` (reused: Clear keeps its allocations) for one decision.
void BuildAuditRecord(const EngineState& state, const CheckRequest& request, const Decision& d,
                      uint64_t input_length, const std::string& input_sha256,
                      const std::string_view* text, audit::AuditRecord* record) {
  record->Clear();
  const absl::Time now = absl::Now();
  const int64_t seconds = absl::ToUnixSeconds(now);
  record->mutable_time()->set_seconds(seconds);
  record->mutable_time()->set_nanos(
      static_cast<int32_t>((now - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  // Records are protobuf messages, whose strings must be UTF-8.
  record->set_request_id(IsValidUtf8(request.request_id) ? std::string(request.request_id)
                                                         : SanitizeUtf8(request.request_id));
  record->set_direction(std::string(DirectionName(request.direction)));
  record->set_profile(d.profile);
  record->set_action(std::string(ActionName(d.action)));
  record->set_rule(d.rule);
  for (const Hit& h : d.hits) {
    audit::AuditHit* out = record->add_hits();
    out->set_entry_id(std::string(h.entry_id));
    out->set_category(std::string(h.category));
    out->set_severity(h.severity);
    out->set_start(h.start);
    out->set_end(h.end);
  }
  for (const auto& pack : state.packs) {
    audit::AuditPack* out = record->add_packs();
    out->set_name(pack->info().name);
    out->set_version(pack->info().version);
    out->set_sha256(pack->info().artefact_sha256);
  }
  record->set_policy_version(std::string(d.policy_version));
  record->set_fold_version(std::string(FoldVersion()));
  record->set_input_length(input_length);
  record->set_input_sha256(input_sha256);
  record->set_invalid_utf8(d.invalid_utf8);
  record->set_cut_reason(d.cut_reason);
  record->set_hits_not_kept(d.hits_not_kept);
  if (state.options.audit_include_text && text != nullptr) {
    record->set_text(d.invalid_utf8 ? SanitizeUtf8(*text) : std::string(*text));
  }
}

absl::Status ReportAudit(EngineState& state, const audit::AuditRecord& record) {
  const EngineOptions& options = state.options;
  if (options.audit_hook) {
    // The hook is the caller's code: whatever it throws stays here.
    try {
      options.audit_hook(record);
    } catch (...) {
      state.audit_hook_failures.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!options.fail_closed_audit_hook) return absl::OkStatus();
  absl::Status status;
  try {
    status = options.fail_closed_audit_hook(record);
  } catch (...) {
    status = absl::UnavailableError("the fail-closed audit hook threw");
  }
  if (status.ok()) return status;
  state.audit_hook_failures.fetch_add(1, std::memory_order_relaxed);
  return absl::Status(status.code(),
                      absl::StrCat("audit (fail closed): the decision was not recorded: ",
                                   status.message()));
}

}  // namespace menshen::internal
