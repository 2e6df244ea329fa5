// The state of one stream: the incremental pipeline (fold → Hyperscan stream
// → resolution → decision → release) and everything it holds back. See
// include/menshen/stream.h for the guarantees and docs/streaming.md for how
// the hold-back and the cost per chunk are bounded.
#ifndef MENSHEN_LIB_STREAM_STREAM_STATE_H_
#define MENSHEN_LIB_STREAM_STREAM_STATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lib/audit/audit.pb.h"
#include "lib/base/sha256.h"
#include "lib/match/rules.h"
#include "lib/match/stream_matcher.h"
#include "lib/normalize/normalizer.h"
#include "lib/normalize/stream_fold.h"
#include "lib/policy/compiled_policy.h"
#include "lib/policy/mask.h"
#include "menshen/decision.h"
#include "menshen/engine.h"

namespace menshen::internal {

class EngineState;

// Folded bytes kept beside a candidate: its flags and validator look at most
// two code points before and after it.
inline constexpr uint64_t kStreamContextBytes = 8;

// The most input bytes a stream holds back, for patterns at most `max_width`
// folded bytes long (docs/streaming.md): unresolved candidates reach back at
// most 2W + 8 folded bytes; a folded byte comes from at most 4 input bytes,
// or 12 with the noise dropped between Han characters; plus a pending noise
// run and a cut UTF-8 sequence. Ignorables and chained regex matches aside.
inline size_t StreamHoldbackBound(size_t max_width) {
  return (2 * max_width + kStreamContextBytes) * 12 + kMaxNoiseRun * 4 + 3;
}

// Why a stream stopped early without a rule deciding (Decision::cut_reason).
inline constexpr std::string_view kCutInputLimit = "max_input_bytes";
inline constexpr std::string_view kCutHoldbackLimit = "max_stream_holdback_bytes";

class StreamState {
 public:
  // Prepares a pooled or new state for a stream of `engine`.
  absl::Status Open(std::shared_ptr<const Engine> engine, EngineState* state,
                    const StreamDatabases* dbs, const CheckRequest& request);
  // Makes this a copy of `other`, on the same engine (a fork).
  absl::Status OpenLike(const StreamState& other);
  // Drops the engine and the request, keeping buffers for reuse.
  void Park();

  absl::Status Feed(std::string_view chunk, std::string* released);
  absl::Status Finish(std::string* released);

  const Decision& decision() const { return decision_; }
  const std::shared_ptr<const Engine>& engine() const { return engine_; }
  EngineState* engine_state() const { return engine_state_; }
  uint64_t max_held_bytes() const { return max_unreleased_; }
  bool cut() const { return cut_; }
  bool finished() const { return finished_; }
  uint64_t cut_offset() const { return cut_offset_; }
  uint64_t bytes_fed() const { return folder_.consumed(); }
  uint64_t bytes_released() const { return released_; }
  size_t memory_bytes() const;

 private:
  // Checked candidates of one entry that block mode would merge into one
  // span: a regex's overlapping matches become their union; a literal's
  // repeated span is one. Offsets: [start, end) in folded bytes, and the
  // original bytes they map to (kept here, so the window need not keep a
  // long merged match).
  struct Group {
    StreamEntryFacts facts;
    uint64_t start, end;
    uint64_t original_start, original_end;
    bool allow;
    // Rule parts only: the entry, the span in folded code points, and the
    // foldings it needed (with EngineOptions::explain), taken while the
    // window holds it.
    uint32_t pack, entry;
    uint32_t foldings;
    uint64_t cp_start, cp_end;
  };

  const pack::Entry& EntryOf(uint32_t pack, uint32_t entry) const;
  static bool IsAllow(const StreamCandidate& c) {
    return (c.facts.bits & StreamEntryFacts::kAllow) != 0;
  }
  // Folds and scans `chunk` (empty at the end), queueing the candidates.
  absl::Status Advance(std::string_view chunk, bool at_end);
  // Checks the candidates whose context is folded, groups them, and hands
  // the groups no later input can change to IntakeHit (or counts them, when
  // a validator rejected them). Returns the smallest start of the hits it
  // confirmed (kNoHit for none). Cost: the candidates of this chunk and the
  // groups still open, never the hits before.
  uint64_t Resolve();
  void AddToGroups(const StreamCandidate& c);
  void CountRejections(uint64_t settled);
  // The single step from a confirmed hit to the decision: the policy's tally
  // (the action over every hit so far, at O(rules) per hit), the hits the
  // decision lists (at most max_stream_hits; the rest counted), and the hits
  // release still has to mask. Rules evaluated over hits hook in here.
  void IntakeHit(const StreamEntryFacts& facts, uint64_t start, uint64_t end);
  // `rule`: the hit of a rule, whose parts are rules_.parts()[...].
  void KeepHit(const StreamEntryFacts& facts, uint64_t start, uint64_t end,
               const RuleHit* rule = nullptr);
  // The folded code points before absolute folded offset `folded` (inside
  // the window, at a code point boundary).
  uint64_t CodePointAt(uint64_t folded);
  // Feeds the part occurrences one Resolve settled to the rules (at the end
  // of the text, finishes them) and takes in the rules that fired: tallied
  // and listed, never masked. Returns the smaller of `first_new` and their
  // starts.
  uint64_t IntakeRuleHits(uint64_t first_new);
  // The decision on every hit so far; cuts the stream on REFUSE or BLOCK
  // confirmed by a hit starting at `first_new_hit`.
  void Decide(uint64_t first_new_hit);
  // Ends a stream that cannot go on (`reason`: kCutInputLimit or
  // kCutHoldbackLimit) with the policy's fail-closed decision, audits it,
  // and returns `error` (or the audit's error).
  absl::Status CutForLimit(std::string_view reason, absl::Status error);
  std::string_view Locale() const;
  // Appends the masked text before `until` (moved back to the start of any
  // hit span it would split) to `released`.
  void Release(uint64_t until, std::string* released);
  // The original offset before which nothing can be in a future hit.
  uint64_t SafeOffset() const;
  // Frees held text and folded window that nothing needs any more, and gives
  // back the memory a large chunk made a buffer grow to.
  void Compact(size_t chunk_bytes);
  void ShrinkBuffers();
  // Reports the decision to the audit hooks (once); the fail-closed hook's
  // error, if any.
  absl::Status Audit();
  uint64_t MoveOutOfSpans(uint64_t offset) const;
  uint64_t OriginalOffsetOfFolded(uint64_t folded) const;

  std::shared_ptr<const Engine> engine_;
  EngineState* engine_state_ = nullptr;
  const StreamDatabases* dbs_ = nullptr;
  const CompiledPolicy* policy_ = nullptr;
  Direction direction_ = Direction::kInput;
  std::string profile_;
  std::string locale_;
  std::string request_id_;

  StreamFolder folder_;
  MatchStream match_;
  // The input from held_base_ on: everything not yet released, and the
  // original bytes the folded window still maps to.
  std::string held_;
  uint64_t held_base_ = 0;
  // Final folded text from window_base_ on; its begin/end are offsets into
  // held_.
  FoldedText window_;
  uint64_t window_base_ = 0;

  // Candidates waiting for their context to be folded, in arrival order.
  std::vector<StreamCandidate> unchecked_;
  // Open groups: literals in order of end from literal_head_ on (a FIFO),
  // regexes unordered (few: one per regex entry matching near the end).
  std::vector<Group> literal_groups_;
  size_t literal_head_ = 0;
  std::vector<Group> regex_groups_;
  size_t open_allow_ = 0;  // allow groups among the open ones
  // Candidates a validator rejected, counted once they settle (overlapping
  // rejections of one entry count once, as in block mode), and the last one
  // counted per entry.
  std::vector<StreamCandidate> rejected_;
  std::vector<StreamCandidate> last_rejected_;
  std::vector<StreamCandidate> fresh_;   // scratch: rejections settling now
  std::vector<Group> settling_;          // scratch: groups settled by one Resolve

  // Rules (lib/match/rules.h): the evaluation of this stream, the part
  // occurrences one Resolve settled, and code point offsets of the window.
  bool has_rules_ = false;
  RuleEvaluator rules_;
  std::vector<PartHit> new_parts_;
  uint64_t window_cp_base_ = 0;   // folded code points before window_base_
  uint64_t cp_cache_offset_ = 0;  // CodePointAt's last question and answer
  uint64_t cp_cache_count_ = 0;

  // Spans of confirmed hits that release still has to mask, from live_head_
  // on, in order of start: those that end by released_ are done.
  struct Span {
    uint64_t start, end;
  };
  std::vector<Span> live_;
  size_t live_head_ = 0;
  HitTally tally_;
  int kept_min_severity_ = 0;  // the least severity among decision_.hits when full

  uint64_t released_ = 0;
  bool placeholder_ = false;  // the policy masks a span with one placeholder
  uint64_t max_unreleased_ = 0;
  uint32_t feeds_ = 0;  // counts feeds, to look for oversized buffers now and then

  Decision decision_;
  Sha256 input_sha_;
  ScriptCounts scripts_;
  uint64_t counted_ = 0;  // input bytes counted into scripts_
  std::string full_text_;  // only when the audit record carries the text
  bool finished_ = false;
  bool cut_ = false;
  bool audited_ = false;
  uint64_t cut_offset_ = 0;

  std::vector<MaskSpan> mask_spans_;  // scratch for Release
  audit::AuditRecord record_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_STREAM_STREAM_STATE_H_
