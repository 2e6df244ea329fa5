// The fold run incrementally, for streams: the same output as Fold() on the
// whole text, produced chunk by chunk.
//
// Two things make a prefix of the folded text provisional: a UTF-8 sequence
// cut by the end of a chunk (kept until its next bytes arrive), and a run of
// noise after a Han character, which a following Han character drops (see
// FoldOptions::skip_noise). The folder keeps both back and appends to the
// caller's window only folded bytes that later input cannot change.
#ifndef MENSHEN_LIB_NORMALIZE_STREAM_FOLD_H_
#define MENSHEN_LIB_NORMALIZE_STREAM_FOLD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/normalize/normalizer.h"

namespace menshen::internal {

class StreamFolder {
 public:
  StreamFolder() { Reset(); }

  // Forgets everything, for a new stream (keeps buffer capacity).
  void Reset();

  // Folds `chunk`, the next bytes of the stream. Final folded bytes are
  // appended to window->text, with window->begin/end holding their original
  // byte range minus `base` (the caller's offset of its held text).
  void Feed(std::string_view chunk, uint64_t base, FoldedText* window);

  // Ends the stream: a cut sequence becomes U+FFFD and a pending noise run is
  // kept, as Fold() does at the end of a text.
  void Finish(uint64_t base, FoldedText* window);

  // Every original byte before this offset is final: folded into the window,
  // or ignorable outside a pending noise run.
  uint64_t final_offset() const {
    return prov_begin_.empty() ? consumed_ - carry_len_ : prov_begin_.front();
  }
  // Stream bytes fed so far.
  uint64_t consumed() const { return consumed_; }
  size_t invalid_sequences() const { return invalid_; }
  // Heap bytes held.
  size_t memory_bytes() const {
    return prov_text_.capacity() + (prov_begin_.capacity() + prov_end_.capacity()) * 8;
  }

 private:
  void FoldCodePoint(char32_t c, uint64_t from, uint64_t to, uint64_t base, FoldedText* window);
  void Emit(char32_t c, uint32_t cls, uint64_t from, uint64_t to, uint64_t base,
            FoldedText* window);
  void FlushProvisional(uint64_t base, FoldedText* window);

  unsigned char carry_[4];
  size_t carry_len_ = 0;
  uint64_t consumed_ = 0;  // bytes fed, including the carried ones
  size_t invalid_ = 0;
  // Noise code points written since the last Han character (kNoRun when
  // anything else came since), as in the block fold.
  uint64_t pending_ = 0;
  // The pending noise run's folded bytes and their absolute original ranges.
  std::string prov_text_;
  std::vector<uint64_t> prov_begin_;
  std::vector<uint64_t> prov_end_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_NORMALIZE_STREAM_FOLD_H_
