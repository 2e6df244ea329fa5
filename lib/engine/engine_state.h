// The engine's internals: packs, options and the pool of per-call scan state.
#ifndef MENSHEN_LIB_ENGINE_ENGINE_STATE_H_
#define MENSHEN_LIB_ENGINE_ENGINE_STATE_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "lib/match/matcher.h"
#include "lib/match/resolve.h"
#include "lib/match/rules.h"
#include "lib/match/stream_matcher.h"
#include "lib/normalize/normalizer.h"
#include "menshen/engine.h"

namespace menshen::internal {

// Everything one Check() call writes; pooled so buffers and Hyperscan scratch
// are reused across calls. Owned by one call at a time.
struct ScanState {
  HsScratchPtr scratch;
  FoldedText folded;
  FoldedText window;  // FillOffsets' scratch
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // candidates' folded spans
  std::vector<Candidate> candidates;
  std::vector<std::pair<uint32_t, uint32_t>> part_windows;  // where rule parts are looked for
  std::vector<Candidate> term_candidates;  // FindCandidates' output, for a whole-text pass
  std::vector<ResolvedHit> resolved;
  std::vector<PartHit> parts;  // occurrences of rule parts
  RuleEvaluator rules;
  RulePrefilter rule_prefilter;
  audit::AuditRecord audit_record;  // reused when an audit hook is set
};

class StreamState;

class EngineState {
 public:
  EngineState();
  ~EngineState();

  std::vector<std::shared_ptr<const Pack>> packs;
  std::vector<const LoadedPack*> loaded;  // packs[i]->loaded(), for the stages
  EngineOptions options;     // options.policy is never null here
  HsScratchPtr prototype;  // cloned for each new ScanState
  std::unique_ptr<RuleIndex> rules;  // the packs' rules; never null
  std::atomic<uint64_t> audit_hook_failures{0};
  // Set while Engine::Create warms the engine up: no audit record then.
  bool warming_up = false;
  uint64_t warm_sink = 0;  // what reading the databases summed, so it is not optimised away

  // A ScanState for one call: from the pool, or new when all are in use.
  absl::StatusOr<std::unique_ptr<ScanState>> Acquire();
  void Release(std::unique_ptr<ScanState> state);

  // Builds the streaming databases, on the thread that creates the engine
  // (a reload, never a request). A failure (a regex of unbounded width) is
  // kept and returned by every GetStreamDatabases(): block checks still work.
  void BuildStreamDatabases();
  // EngineOptions::streams false: GetStreamDatabases() says why there are none.
  void DisableStreams();
  absl::StatusOr<const StreamDatabases*> GetStreamDatabases() const;
  // Per entry of every pack, in order (StreamEntryFacts::index): the facts
  // its candidates carry, the entry ids (hits tie on them), and the Hit a
  // confirmed match of it becomes when a decision lists it (offsets and
  // foldings to fill in).
  std::vector<StreamEntryFacts> stream_entries;
  std::vector<std::string_view> stream_entry_ids;
  std::vector<Hit> stream_hits;
  // A stream's state from the pool (reset), or a new one.
  std::unique_ptr<StreamState> AcquireStream() const;
  void ReleaseStream(std::unique_ptr<StreamState> state) const;

 private:
  // Set by BuildStreamDatabases before the engine is shared; immutable after.
  absl::Status stream_status_ = absl::FailedPreconditionError("streams are not built");
  std::unique_ptr<StreamDatabases> stream_dbs_;
  mutable std::mutex stream_mu_;
  mutable std::vector<std::unique_ptr<StreamState>> stream_pool_;  // guarded by stream_mu_

  // The pool, in stripes by thread, each on its own cache line: threads
  // checking at once do not pass one lock back and forth. A thread takes
  // from its stripe, else from another (the states Create warmed up), else
  // makes a new state; it gives back to its own.
  struct alignas(64) PoolStripe {
    std::mutex mu;  // std::mutex so ThreadSanitizer sees it (see EngineSlot)
    std::vector<std::unique_ptr<ScanState>> states;  // guarded by mu
  };
  static constexpr size_t kPoolStripes = 8;
  std::array<PoolStripe, kPoolStripes> pool_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_ENGINE_ENGINE_STATE_H_
