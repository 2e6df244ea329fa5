// Streaming: checks a completion (or a prompt arriving in pieces) chunk by
// chunk and releases text only when no pattern that could still complete
// overlaps it, with masks already applied.
//
// The pipeline is block mode's run incrementally: the normaliser keeps its
// state across chunks and Hyperscan scans in streaming mode, so no byte is
// scanned twice. A chunk may end anywhere: inside a UTF-8 character, a
// separator run or a term.
//
// What a stream guarantees, for any chunking of a text:
// - the hits (entries and original byte spans) and the action equal block
//   mode's on the whole text, unless the stream is cut;
// - the concatenation of everything released equals block mode's masked
//   text; for a stream cut by REFUSE or BLOCK it is that text's prefix up to
//   the cut (the start of the hit that made the decision), and nothing after
//   it is ever released.
//
// Thread safety: a Stream is owned by one thread at a time (it may move
// between threads between calls). Streams of one engine are independent and
// may run concurrently. A stream keeps its engine snapshot alive.
#ifndef MENSHEN_STREAM_H_
#define MENSHEN_STREAM_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "menshen/decision.h"

namespace menshen {

namespace internal {
class StreamState;
}  // namespace internal

class Stream {
 public:
  // Streams are opened with Engine::OpenStream() or Fork(). Closing one (the
  // destructor) returns its state to the engine's pool; if the stream was
  // neither finished nor cut, its audit record is not written. A stream is a
  // handle that moves (nothing is allocated to open or move one); a moved-from
  // stream may only be destroyed or assigned to.
  ~Stream();
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Consumes `chunk` and appends to `released` the text that is now safe to
  // show (masks applied). `decision()` then holds the decision so far. After
  // a cut, further chunks are ignored (OK, nothing released). Errors:
  // kFailedPrecondition after Finish(); kResourceExhausted when the stream's
  // total input would exceed EngineOptions::max_input_bytes (the stream is
  // then cut, nothing more is released); kInternal if Hyperscan fails.
  absl::Status Feed(std::string_view chunk, std::string* released);

  // Ends the input: appends the rest of the text (masked) to `released`,
  // completes the decision, and reports it to the audit hook (once). For a
  // stream already cut, appends nothing. Calling it twice is
  // kFailedPrecondition.
  absl::Status Finish(std::string* released);

  // The decision so far: the policy's verdict on the hits confirmed so far.
  // After Finish() or a cut it is final: hits, action, rule, refusal and label
  // as in block mode. `masked` stays empty: the masked text is what the
  // stream released, which the caller has (a stream does not keep it, so its
  // memory stays bounded).
  const Decision& decision() const;

  // Whether REFUSE or BLOCK cut the stream; then cut_offset() is the byte
  // offset in the stream's input where release stopped.
  bool cut() const;
  size_t cut_offset() const;
  bool finished() const;
  // Bytes fed so far, and bytes of the input released (or masked) so far.
  size_t bytes_fed() const;
  size_t bytes_released() const;

  // A copy of this stream at this point: fed the same continuation it reaches
  // the same decision; fed another, it is independent. Copies the Hyperscan
  // stream state and the held-back bytes only.
  absl::StatusOr<Stream> Fork() const;

  // Heap bytes this stream holds now (Hyperscan stream state, held-back text
  // and folded window, hit list).
  size_t memory_bytes() const;
  // The most input bytes this stream has held back unreleased at once.
  size_t max_held_bytes() const;

  explicit Stream(std::unique_ptr<internal::StreamState> state);  // internal

 private:
  std::unique_ptr<internal::StreamState> state_;
};

}  // namespace menshen

#endif  // MENSHEN_STREAM_H_
