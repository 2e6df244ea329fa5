// The match stage for streams: every pack's entries in two streaming-mode
// Hyperscan databases (literals, regexes), and the per-stream state that
// scans folded text as it arrives without scanning any byte twice.
#ifndef MENSHEN_LIB_MATCH_STREAM_MATCHER_H_
#define MENSHEN_LIB_MATCH_STREAM_MATCHER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include <hs/hs.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/match/matcher.h"
#include "lib/pack/databases.h"
#include "lib/pack/loader.h"

namespace menshen::internal {

// What a stream needs to know of a candidate's entry to resolve and tally
// it, carried by the candidate itself: a large pack's entries are spread over
// memory, and a dense stream has a candidate every few bytes. The owner of the
// databases (the engine) fills them, one per entry of every pack.
struct StreamEntryFacts {
  enum : uint8_t {
    kRegex = 1,
    kAllow = 2,
    kCheck = 4,  // `word`, `exact` or a validator: AcceptCandidate decides
    kPart = 8,   // a rule's part (lib/match/rules.h): not a hit by itself
  };
  uint32_t index = 0;     // the entry over all packs: the owner's own numbering
  int16_t category = -1;  // the owner's category index, -1 unknown
  int8_t severity = 0;
  uint8_t bits = 0;
};

// A candidate in absolute folded-byte offsets of a stream.
struct StreamCandidate {
  uint32_t pack;
  uint32_t entry;
  uint64_t start;
  uint64_t end;
  StreamEntryFacts facts;
};

// The streaming databases of an engine's packs. Built once per engine (on
// the first stream) and shared by all its streams; immutable after Build
// except for the scratch pool, which is thread-safe.
class StreamDatabases {
 public:
  // Compiles the entries of `packs`. Every pattern must have a bounded width
  // (a stream holds back that much text): an unbounded regex is an error
  // naming its pack, file and line. `facts` has one element per entry of
  // every pack, in order (pack by pack), copied into their candidates.
  static absl::StatusOr<std::unique_ptr<StreamDatabases>> Build(
      absl::Span<const LoadedPack* const> packs, absl::Span<const StreamEntryFacts> facts);

  // The longest match any pattern can make, in folded bytes.
  size_t max_width() const { return max_width_; }
  // Bytes of Hyperscan stream state one stream needs.
  size_t stream_state_bytes() const { return stream_state_bytes_; }

  // Scratch for one scan call; return it with ReleaseScratch.
  absl::StatusOr<HsScratchPtr> AcquireScratch() const;
  void ReleaseScratch(HsScratchPtr scratch) const;

  // What a Hyperscan pattern id stands for.
  struct Pattern {
    uint32_t pack;
    uint32_t entry;
    uint32_t length;  // folded length, for literals (their start is end - length)
    StreamEntryFacts facts;
  };

 private:
  friend class MatchStream;
  HsDatabasePtr literals_;
  HsDatabasePtr regexes_;
  std::vector<Pattern> literal_patterns_;  // by Hyperscan id
  std::vector<Pattern> regex_patterns_;
  size_t max_width_ = 0;
  size_t stream_state_bytes_ = 0;
  HsScratchPtr prototype_;
  // Scratch is taken and given back once per chunk of every stream: the
  // first kScratchSlots spare ones sit in lock-free slots, more in the pool.
  static constexpr size_t kScratchSlots = 16;
  mutable std::atomic<hs_scratch_t*> slots_[kScratchSlots] = {};
  mutable std::mutex mu_;
  mutable std::vector<HsScratchPtr> scratch_pool_;  // guarded by mu_

 public:
  ~StreamDatabases();
};

// The Hyperscan streams of one guard stream. Owned by one thread at a time.
class MatchStream {
 public:
  MatchStream() = default;
  ~MatchStream();
  MatchStream(const MatchStream&) = delete;
  MatchStream& operator=(const MatchStream&) = delete;

  // Opens the Hyperscan streams (once; later streams reuse them via Reset).
  absl::Status Open(const StreamDatabases* dbs);
  // Scans the next folded bytes; candidates are appended to `out`.
  absl::Status Scan(std::string_view folded, hs_scratch_t* scratch,
                    std::vector<StreamCandidate>* out);
  // Ends the data: reports matches anchored at the end, and resets the
  // streams for reuse.
  absl::Status Finish(hs_scratch_t* scratch, std::vector<StreamCandidate>* out);
  // Resets the streams without reporting anything, for reuse.
  absl::Status Reset(hs_scratch_t* scratch);
  // Makes this stream a copy of `other` (both opened on the same databases).
  absl::Status CopyFrom(const MatchStream& other, hs_scratch_t* scratch);

 private:
  const StreamDatabases* dbs_ = nullptr;
  hs_stream_t* literals_ = nullptr;
  hs_stream_t* regexes_ = nullptr;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_MATCH_STREAM_MATCHER_H_
