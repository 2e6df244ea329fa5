// A vector step of the text-only fold for Chinese text: up to sixteen
// three-byte code points at once, where each is a Han character that folds
// to itself or punctuation the fold writes from kFastNoise (fold_table.h).
//
// The scalar pass (normalizer.cc) pays a branch misprediction at the end of
// nearly every run of Han characters (about ten characters in real text).
// The block classifies sixteen code points with table gathers, settles the
// noise rule with mask arithmetic and writes its output with one compress, so
// the only data-dependent branch is whether the block is all such code points.
// Decisions and measurements: docs/normalisation.md.
#ifndef MENSHEN_LIB_NORMALIZE_FOLD_BLOCK_H_
#define MENSHEN_LIB_NORMALIZE_FOLD_BLOCK_H_

#include <cstddef>
#include <cstdint>

#include "lib/normalize/normalizer.h"

namespace menshen::internal {

// Input bytes a block reads (it folds at most the first kFoldBlockBytes:
// sixteen code points) and output bytes it may write past its output
// position.
inline constexpr size_t kFoldBlockReadBytes = 64;
inline constexpr size_t kFoldBlockBytes = 48;
inline constexpr size_t kFoldBlockWriteBytes = 64;

// FoldPass's `pending` when no noise run is open (something other than Han
// came last); noise code points written since are added to it.
inline constexpr uint64_t kNoNoiseRun = uint64_t{1} << 40;

// The fold's state that blocks carry on: the output position, the noise
// rule's `pending` and `run_start` as FoldPass keeps them, and its
// checkpoints: the next is due at input byte `next_checkpoint`, and the
// array (with room for all) holds `checkpoint_count`.
struct FoldBlockState {
  size_t out;
  uint64_t pending;
  size_t run_start;
  size_t next_checkpoint;
  FoldCheckpoint* checkpoints;
  size_t checkpoint_count;
};

// Whether this CPU runs FoldBlocks (x86-64 with AVX-512 BW, VBMI and VBMI2).
bool FoldBlockSupported();

// Windows: the vector step for CPUs with AVX2. A window is the code points
// that lie wholly within 32 input bytes: ASCII, and three-byte code points
// that fold to themselves or to one ASCII or three-byte code point (most of
// Chinese text: Han, traditional Han, CJK and full-width punctuation, box
// drawing). Byte masks classify them, a scalar look-up per Han character
// tests the identity bitmap, the noise rule is mask arithmetic on the bytes,
// and the kept bytes are compacted eight at a time by shuffles. Windows stop
// at anything else (other lengths, expansions, ignorables, invalid UTF-8),
// which the scalar pass then folds.
inline constexpr size_t kFoldWindowBytes = 32;
// Bytes a window reads past its start, and writes past the output position.
inline constexpr size_t kFoldWindowReadBytes = kFoldWindowBytes + 2;
inline constexpr size_t kFoldWindowWriteBytes = kFoldWindowBytes + 8;

// Whether this CPU runs FoldWindowsAvx2 (x86-64 with AVX2, BMI1, POPCNT), and
// the fold table has the ASCII classes the windows assume.
bool FoldWindowsAvx2Supported();

// Folds windows of input[from..from + room) while they are whole, writing
// at t + state->out exactly what the scalar pass writes and keeping its
// checkpoints. Returns the input bytes folded (a code point boundary); it
// stops before the first code point a window does not fold.
// input[from..from + room + kFoldWindowReadBytes - kFoldWindowBytes) must be
// readable, t[out..out + room + kFoldWindowWriteBytes - kFoldWindowBytes)
// writable. Only where FoldWindowsAvx2Supported().
template <bool kSkipNoise>
size_t FoldWindowsAvx2(const unsigned char* input, size_t from, size_t room, char* t,
                       FoldBlockState* state);

// The same windows, 64 bytes each, with AVX-512 (BW, VBMI, VBMI2). They read
// two bytes past a window and write up to 64 past the output position. With
// `yield` they stop before a window (not the first) without ASCII, so that
// FoldBlocks, faster on such text, can take it.
inline constexpr size_t kFoldWindow512Bytes = 64;
inline constexpr size_t kFoldWindow512ReadBytes = kFoldWindow512Bytes + 2;
inline constexpr size_t kFoldWindow512WriteBytes = kFoldWindow512Bytes + 64;
bool FoldWindows512Supported();
template <bool kSkipNoise>
size_t FoldWindows512(const unsigned char* input, size_t from, size_t room, char* t,
                      FoldBlockState* state, bool yield);

// Folds blocks of input[from..from + room) for as long as each is whole
// (kFoldBlockBytes) and starts with code points it has a class for (identity
// Han, fast-noise punctuation, ASCII but controls), writing them at
// t + state->out exactly as the scalar pass would, and keeping checkpoints
// as it does (between blocks, at the first one due with no noise run open).
// Returns the input bytes folded, which end at a code point. It stops at the
// first code point it has no class for, after a block of mostly ASCII (the
// scalar pass folds that faster), and before a block where a noise run longer
// than kMaxNoiseRun lies between two Han characters (rare: the scalar pass
// keeps it). input[from..from + room + kFoldBlockReadBytes - kFoldBlockBytes)
// must be readable and t[out..out + room + kFoldBlockWriteBytes -
// kFoldBlockBytes) writable. Only where FoldBlockSupported().
template <bool kSkipNoise>
size_t FoldBlocks(const unsigned char* input, size_t from, size_t room, char* t,
                  FoldBlockState* state);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_NORMALIZE_FOLD_BLOCK_H_
