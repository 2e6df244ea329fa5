// The state of one stream: the incremental pipeline (fold → Hyperscan stream
// → resolution → release) and everything it holds back. See
// include/menshen/stream.h for the guarantees and docs/streaming.md for how
// the hold-back is bounded.
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
  struct Pending {
    StreamCandidate c;
    bool checked = false;   // AcceptCandidate has run (and accepted it, unless...)
    bool rejected = false;  // ...its validator rejected it: kept only to be counted
  };

  const pack::Entry& EntryOf(const StreamCandidate& c) const;
  bool IsAllow(const StreamCandidate& c) const;
  bool IsPart(const StreamCandidate& c) const;
  // The folded code points before absolute folded offset `folded` (inside
  // the window).
  uint64_t CodePointAt(uint64_t folded);
  // Feeds the part occurrences Resolve settled to the rules (at the end of
  // the text, finishes them) and adds the rules that fired to the hits;
  // returns the smaller of `first_new` and their starts.
  uint64_t AddRuleHits(uint64_t first_new);
  // Folds and scans `chunk` (empty at the end), collecting candidates.
  absl::Status Advance(std::string_view chunk, bool at_end);
  // Turns the candidates no later input can change into hits; returns the
  // smallest start of the hits it added (UINT64_MAX for none).
  uint64_t Resolve();
  // Re-decides on the hits so far; cuts the stream on REFUSE or BLOCK.
  absl::Status Decide(uint64_t first_new_hit);
  // Appends the masked text before `until` (moved back to the start of any
  // hit span it would split) to `released`.
  void Release(uint64_t until, std::string* released);
  // Frees held text and folded window that nothing needs any more.
  void Compact();
  void Audit();
  uint64_t MoveOutOfSpans(uint64_t offset) const;
  uint64_t OriginalOffsetOfFolded(uint64_t folded) const;

  std::shared_ptr<const Engine> engine_;
  EngineState* engine_state_ = nullptr;
  const StreamDatabases* dbs_ = nullptr;
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
  std::vector<Pending> pending_;
  // Scratch for Resolve: candidates of one entry that merge, as block mode
  // merges them, and which pending candidates are done.
  struct Group {
    StreamCandidate span;
    size_t first, last;  // pending_ indexes [first, last)
    bool allow;
  };
  std::vector<Group> groups_;
  std::vector<uint8_t> drop_;
  // The last candidate a validator rejected, per entry: overlapping
  // rejections of one entry count once, as in block mode.
  std::vector<StreamCandidate> last_rejected_;
  std::vector<StreamCandidate> fresh_;  // scratch: candidates of one scan
  // Rules (lib/match/rules.h): the evaluator, the part occurrences one
  // Resolve settled, and code point offsets of the folded text.
  bool has_rules_ = false;
  RuleEvaluator rules_;
  std::vector<PartHit> new_parts_;
  uint64_t window_cp_base_ = 0;  // folded code points before window_base_
  uint64_t cp_cache_offset_ = 0;  // CodePointAt's last answer, to count on from
  uint64_t cp_cache_count_ = 0;
  uint64_t released_ = 0;
  // decision_.hits[0, done_hits_) end by released_; later ones start at or
  // after the earliest of them that does not.
  size_t done_hits_ = 0;
  bool placeholder_ = false;  // the policy masks a span with one placeholder
  uint64_t max_unreleased_ = 0;

  Decision decision_;
  Sha256 input_sha_;
  ScriptCounts scripts_;
  uint64_t counted_ = 0;  // input bytes counted into scripts_
  std::string full_text_;  // only when the audit record carries the text
  bool finished_ = false;
  bool cut_ = false;
  bool audited_ = false;
  uint64_t cut_offset_ = 0;

  std::vector<Hit> mask_hits_;  // scratch for Release
  std::string masked_;          // scratch for Release
  audit::AuditRecord record_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_STREAM_STREAM_STATE_H_
