// The engine: packs and a policy compiled into one immutable snapshot that
// checks texts and reports every decision to an optional audit hook.
//
// Thread safety: an Engine is immutable and shared by all threads; Check() may
// be called concurrently. Per-call state (Hyperscan scratch, folding buffers)
// comes from a pool inside the engine, so steady-state calls do not allocate
// it again. To change packs, build a new Engine and swap it in an EngineSlot:
// calls in flight finish on the snapshot they started with.
#ifndef MENSHEN_ENGINE_H_
#define MENSHEN_ENGINE_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "menshen/audit.h"
#include "menshen/decision.h"
#include "menshen/pack.h"
#include "menshen/policy.h"
#include "menshen/stream.h"

namespace menshen {

namespace internal {
class EngineState;
}  // namespace internal

struct EngineOptions {
  // Texts longer than this are refused with kResourceExhausted before any work.
  size_t max_input_bytes = size_t{16} << 20;
  // A stream that has to hold back more than this many bytes (a match still
  // growing, or a long run of ignorable characters inside a possible term) is
  // cut with kResourceExhausted rather than buffer without limit. A stream cut
  // by this limit or by max_input_bytes fails closed: its decision is the
  // policy's stream_limit_action (BLOCK unless the policy says REFUSE), with
  // Decision::cut_reason naming the limit, and so is its audit record.
  size_t max_stream_holdback_bytes = size_t{64} << 10;
  // A stream's decision lists at most this many hits (the most severe, the
  // earliest among equals); further hits still count for the action and are
  // counted in Decision::hits_not_kept. Bounds a stream's memory and its
  // audit record however dense the hits.
  size_t max_stream_hits = 256;
  // Compute Hit::foldings (costs a refold of each hit's span).
  bool explain = false;
  // Build the streaming databases in Create(), so that OpenStream() is ready
  // at once. Block-only users (the CLI's scan, eval and corpus audit) set it
  // false: with large packs the streaming databases are about half of
  // Create()'s time, and OpenStream() then fails with kFailedPrecondition.
  bool streams = true;
  // The policy that turns hits into actions; null means Policy::Default().
  std::shared_ptr<const Policy> policy;
  // Called with a record of every decision (see audit.h); empty means none.
  AuditHook audit_hook;
  // Fail closed on audit: called like audit_hook (which may be set as well;
  // it is called first), but when it returns an error the call that decided
  // fails with that error instead of returning an unaudited decision: Check()
  // returns it (the Decision is not to be used), a stream's Finish() returns
  // it without releasing the rest of the text, a Feed() that cut the stream
  // returns it. JsonlAuditSink::FailClosedHook() makes one.
  FailClosedAuditHook fail_closed_audit_hook;
  // Put the checked text itself into audit records. Off by default: logs
  // should hold as little personal information as the operator can manage.
  bool audit_include_text = false;
};

// What one check is about. The views are borrowed for the call.
struct CheckRequest {
  Direction direction = Direction::kInput;
  std::string_view profile;     // empty: the policy's default profile
  std::string_view locale;      // "zh-CN" or "en"; empty: the text's dominant script
  std::string_view request_id;  // copied into the audit record
};

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  // Builds an engine over `packs` (at least one; names must be unique),
  // including the streaming databases (hundreds of milliseconds for large
  // packs; a pack with a regex of unbounded width only loses streaming, see
  // OpenStream), and warms it up with one check of a short built-in text (no
  // audit record), so that a first request does not pay for scratch space,
  // buffers, or code and tables paged in.
  //
  // An engine is freed by whoever drops its last reference: after a reload
  // that is often the next Check into a reused Decision, which lets go of the
  // old engine. Freeing large packs takes milliseconds (bench/RESULTS.md);
  // a server that must not pay that on a request can keep the old snapshot
  // and release it elsewhere.
  static absl::StatusOr<std::shared_ptr<const Engine>> Create(
      std::vector<std::shared_ptr<const Pack>> packs, const EngineOptions& options = {});

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Checks one text. Errors: kResourceExhausted for a text over
  // max_input_bytes, kInvalidArgument for a profile the policy lacks,
  // kInternal if Hyperscan fails. Invalid UTF-8 is not an error: it is folded
  // to U+FFFD and counted in the decision.
  absl::Status Check(std::string_view text, const CheckRequest& request,
                     Decision* decision) const;
  // Shorthands: the default profile, the text's own locale, no request id.
  absl::StatusOr<Decision> Check(std::string_view text, Direction direction) const;
  // Into a reused Decision, so a server loop keeps its buffers.
  absl::Status Check(std::string_view text, Direction direction, Decision* decision) const;

  // Opens a stream that checks a text arriving in chunks (see stream.h).
  // Errors: kInvalidArgument for a profile the policy lacks;
  // kFailedPrecondition when a pack has a regex of unbounded width (the
  // message names it). The streaming databases are built by Create() (so a
  // reload pays for them, not a request); streams come from a pool and
  // allocate nothing in steady state.
  absl::StatusOr<Stream> OpenStream(const CheckRequest& request) const;
  // The most input bytes a stream holds back before it can release them (an
  // upper bound; docs/streaming.md derives it): from the longest pattern
  // after folding (regexes by their maximum width), the look-around of flags
  // and validators, and noise skipping. Ignorable code points, which fold to
  // nothing, and regex matches that overlap in a chain add to it while they
  // last, up to EngineOptions::max_stream_holdback_bytes. Errors as
  // OpenStream's: a pack regex of unbounded width cannot stream.
  absl::StatusOr<size_t> stream_holdback_bytes() const;

  const std::vector<std::shared_ptr<const Pack>>& packs() const;
  const Policy& policy() const;
  const EngineOptions& options() const;
  // Audit hook calls that threw (the exception was swallowed).
  uint64_t audit_hook_failures() const;

  explicit Engine(std::unique_ptr<internal::EngineState> state);  // internal

 private:
  std::unique_ptr<internal::EngineState> state_;
};

// Holds the current engine of a server and swaps it atomically on reload.
// Thread-safe: Get() and Set() may race freely.
class EngineSlot {
 public:
  explicit EngineSlot(std::shared_ptr<const Engine> engine) : engine_(std::move(engine)) {}

  // The current snapshot; keep the pointer for the whole request.
  std::shared_ptr<const Engine> Get() const;
  // Replaces the snapshot; requests holding the old one finish on it.
  void Set(std::shared_ptr<const Engine> engine);
  // Builds a new engine from `packs` on the calling thread (streaming
  // databases included, so requests never wait for a build) and swaps it
  // in; on error the current engine stays.
  absl::Status Reload(std::vector<std::shared_ptr<const Pack>> packs,
                      const EngineOptions& options = {});

 private:
  // A std::mutex rather than absl::Mutex: ThreadSanitizer sees the former's
  // locking even though the distribution's Abseil is not instrumented.
  mutable std::mutex mu_;
  std::shared_ptr<const Engine> engine_;  // guarded by mu_
};

}  // namespace menshen

#endif  // MENSHEN_ENGINE_H_
