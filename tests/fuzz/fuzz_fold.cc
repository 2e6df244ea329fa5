// Fuzz target: the fold's vector steps (fold_block.h: AVX-512 blocks and
// windows, AVX2 windows, each where the CPU has it) against the scalar pass. For any
// bytes, with and without noise skipping, the text-only fold must be the
// same every way, and offsets filled from each one's checkpoints must equal
// a fold with offsets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/normalize/normalizer.h"

namespace {

using menshen::internal::FoldedText;
using menshen::internal::FoldOptions;
using menshen::internal::FoldVector;

void Check(std::string_view text, bool skip_noise, FoldVector vector) {
  FoldOptions options;
  options.skip_noise = skip_noise;
  options.offsets = false;
  options.vector = FoldVector::kNone;
  FoldedText scalar;
  menshen::internal::Fold(text, options, &scalar);
  options.vector = vector;
  FoldedText blocks;
  menshen::internal::Fold(text, options, &blocks);
  if (blocks.text != scalar.text || blocks.invalid_sequences != scalar.invalid_sequences) {
    std::abort();
  }
  FoldOptions with_offsets = options;
  with_offsets.offsets = true;
  FoldedText full;
  menshen::internal::Fold(text, with_offsets, &full);
  if (full.text != blocks.text) std::abort();
  if (text.empty()) return;
  std::vector<std::pair<uint32_t, uint32_t>> everything = {
      {0, static_cast<uint32_t>(blocks.text.size())}};
  FoldedText window;
  menshen::internal::FillOffsets(text, options, &everything, &blocks, &window);
  // An empty checkpoint list means FillOffsets fell back to a whole fold:
  // a checkpoint did not resume the fold it was taken from.
  if (blocks.checkpoints.empty()) std::abort();
  for (size_t k = 0; k < full.text.size(); ++k) {
    if (blocks.begin[k] != full.begin[k] || blocks.end[k] != full.end[k]) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (FoldVector vector : {FoldVector::kAvx2, FoldVector::kAvx512, FoldVector::kAvx512Windows}) {
    if (!menshen::internal::FoldVectorSupported(vector)) continue;
    Check(text, true, vector);
    Check(text, false, vector);
  }
  return 0;
}
