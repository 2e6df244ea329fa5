#include <memory>
#include <utility>

#include "lib/audit/jsonl_writer.h"
#include "menshen/audit.h"

namespace menshen {

JsonlAuditSink::JsonlAuditSink(std::unique_ptr<internal::JsonlWriter> writer)
    : writer_(std::move(writer)) {}

JsonlAuditSink::~JsonlAuditSink() = default;  // the writer's destructor closes

absl::StatusOr<std::unique_ptr<JsonlAuditSink>> JsonlAuditSink::Open(const Options& options) {
  absl::StatusOr<std::unique_ptr<internal::JsonlWriter>> writer =
      internal::JsonlWriter::Open(options);
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<JsonlAuditSink>(new JsonlAuditSink(*std::move(writer)));
}

void JsonlAuditSink::Write(const audit::AuditRecord& record) {
  writer_->Append(record).IgnoreError();  // counted by the writer
}

absl::Status JsonlAuditSink::Append(const audit::AuditRecord& record) {
  return writer_->Append(record);
}

AuditHook JsonlAuditSink::Hook() {
  return [this](const audit::AuditRecord& record) { Write(record); };
}

FailClosedAuditHook JsonlAuditSink::FailClosedHook() {
  return [this](const audit::AuditRecord& record) { return Append(record); };
}

absl::Status JsonlAuditSink::Flush() { return writer_->Flush(); }

absl::Status JsonlAuditSink::Sync() { return writer_->Sync(); }

absl::Status JsonlAuditSink::Close() { return writer_->Close(); }

JsonlAuditSink::Counters JsonlAuditSink::counters() const { return writer_->counters(); }

}  // namespace menshen
