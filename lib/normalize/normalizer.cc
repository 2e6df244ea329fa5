// The runtime fold: one pass over UTF-8 with look-ups in the generated table
// (fold_table.h). Decisions and measurements: docs/normalisation.md.
#include "lib/normalize/normalizer.h"

#include <algorithm>
#include <cstring>

#include "lib/normalize/fold_block.h"
#include "lib/normalize/fold_table.h"
#include "lib/normalize/utf8_decode.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__GNUC__)
#define MENSHEN_ALWAYS_INLINE __attribute__((always_inline))
#else
#define MENSHEN_ALWAYS_INLINE
#endif

namespace menshen::internal {
namespace {

namespace ft = fold_table;

// Decodes one code point or maximal invalid subpart at p[0..avail), avail > 0.
inline size_t Decode(const unsigned char* p, size_t avail, char32_t* cp,
                     bool* valid) {
  if (p[0] < 0x80) {
    *cp = p[0];
    *valid = true;
    return 1;
  }
  return DecodeMultiByte(p, avail, cp, valid);
}

inline uint32_t LittleEndian(uint32_t w) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap32(w);
#else
  return w;
#endif
}

// Stores v into p[0..4); the caller guarantees the room (buffer slack).
inline void Store4(uint32_t* p, uint32_t v) {
#if defined(__SSE2__)
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                   _mm_set1_epi32(static_cast<int>(v)));
#else
  p[0] = p[1] = p[2] = p[3] = v;
#endif
}

// Makes out's buffers (the offset maps only with kOffsets) at least `size`
// long (never shorter). Growing within capacity only initialises the elements
// beyond the previous output, so a reused FoldedText does not allocate in
// steady state.
template <bool kOffsets>
void Reserve(FoldedText* out, size_t size) {
  size = std::max(size, out->text.size());
  out->text.resize(size);
  if (kOffsets) {
    out->begin.resize(size);
    out->end.resize(size);
  }
}

// Folds ASCII from in[0..m) to t, b, e (1:1, A-Z lowered; b and e only with
// kOffsets) and stops at the first byte >= 0x80. Returns the bytes done.
template <bool kOffsets>
inline size_t FoldAscii(const unsigned char* in, size_t m, uint32_t pos,
                        char* t, uint32_t* b, uint32_t* e) {
  size_t k = 0;
#if defined(__SSE2__)
  const __m128i before_a = _mm_set1_epi8('A' - 1);
  const __m128i after_z = _mm_set1_epi8('Z' + 1);
  const __m128i bit = _mm_set1_epi8(0x20);
  const __m128i one = _mm_set1_epi32(1);
  const __m128i four = _mm_set1_epi32(4);
  for (; k + 16 <= m; k += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + k));
    if (_mm_movemask_epi8(v) != 0) break;
    const __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, before_a),
                                     _mm_cmplt_epi8(v, after_z));
    v = _mm_or_si128(v, _mm_and_si128(up, bit));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(t + k), v);
    if (!kOffsets) continue;
    __m128i p = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(pos + k)),
                              _mm_setr_epi32(0, 1, 2, 3));
    auto* bp = reinterpret_cast<__m128i*>(b + k);
    auto* ep = reinterpret_cast<__m128i*>(e + k);
    for (int q = 0; q < 4; ++q) {
      _mm_storeu_si128(bp + q, p);
      _mm_storeu_si128(ep + q, _mm_add_epi32(p, one));
      p = _mm_add_epi32(p, four);
    }
  }
#endif
  for (; k < m; ++k) {
    const unsigned ch = in[k];
    if (ch >= 0x80) break;
    t[k] = static_cast<char>(ch - 'A' < 26u ? ch + 32 : ch);
    if (kOffsets) {
      b[k] = pos + static_cast<uint32_t>(k);
      e[k] = pos + static_cast<uint32_t>(k + 1);
    }
  }
  return k;
}

// Loads the four bytes at p (little-endian) into *w; when the first three are
// a lead byte 1110xxxx and two continuation bytes, sets *c to the code point
// they encode (overlong forms and surrogates included: the caller's tables
// have none of them) and returns true.
inline bool ReadThreeBytes(const unsigned char* p, uint32_t* w, char32_t* c) {
  std::memcpy(w, p, 4);
  *w = LittleEndian(*w);
  *c = ((*w & 0x0F) << 12) | ((*w >> 2) & 0xFC0) | ((*w >> 16) & 0x3F);
  return (*w & 0xC0C0F0) == 0x8080E0;
}

// Copies the identity Han characters at the start of in[0..m) to t (and
// their spans to b and e with kOffsets), four bytes per character, and stops
// at the first other code point or where fewer than four bytes remain.
// Returns the bytes done (a multiple of three). Most Chinese text is such
// runs, and they need nothing of the fold's state until they end.
template <bool kOffsets>
inline size_t CopyIdentityHan(const unsigned char* in, size_t m, uint32_t pos,
                              char* t, uint32_t* b, uint32_t* e) {
  size_t k = 0;
  while (k + 4 <= m) {
    uint32_t w;
    char32_t c;
    if (!ReadThreeBytes(in + k, &w, &c) || !ft::IsIdentityHan(c)) break;
    std::memcpy(t + k, in + k, 4);
    if (kOffsets) {
      Store4(b + k, pos + static_cast<uint32_t>(k));
      Store4(e + k, pos + static_cast<uint32_t>(k + 3));
    }
    k += 3;
  }
  return k;
}

// Whether the 64 bytes at p are all non-ASCII (the caller guarantees them).
inline bool NoAsciiAhead(const unsigned char* p) {
  uint64_t words[8];
  std::memcpy(words, p, sizeof words);
  uint64_t all = ~uint64_t{0};
  for (uint64_t w : words) all &= w;
  return (all & 0x8080808080808080u) == 0x8080808080808080u;
}

// One fold pass. The state lives in locals (not members) so that byte stores
// through `t` cannot alias it. Output buffers carry slack, so every code
// point's output is written with fixed-width stores; they are trimmed at the
// end.
//
// Without offsets the pass keeps checkpoints (FoldCheckpoint). It starts in
// the state a checkpoint records: after a Han character when `after_han`.
//
// Without offsets a vector step (fold_block.h) folds what it can: AVX-512
// blocks, AVX2 or AVX-512 windows, or (`with_blocks`) AVX-512 windows that
// hand Chinese without ASCII to the blocks and take back what stops them.
template <bool kSkipNoise, bool kOffsets>
void FoldPass(std::string_view input, bool after_han, FoldVector vector, bool with_blocks,
              FoldedText* out) {
  const bool blocks = !kOffsets && vector == FoldVector::kAvx512;
  const bool windows = !kOffsets && vector == FoldVector::kAvx2;
  const bool windows512 = !kOffsets && vector == FoldVector::kAvx512Windows;
  with_blocks &= windows512;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  const size_t slack = ft::kMaxExpansionBytes + 32;
  out->invalid_sequences = 0;
  size_t invalid = 0;
  if (!kOffsets) {
    out->begin.clear();
    out->end.clear();
  }
  // Checkpoints go to an array sized for as many as fit (they are at least
  // kCheckpointBytes apart) through a local count: a push_back would reload
  // the vector after every byte store, which may alias it. The next is due at
  // next_checkpoint; each loop keeps it at a point of its own where no noise
  // run is open (the loop's top, after a Han run, between blocks, inside an
  // ASCII stretch).
  out->checkpoints.resize(kOffsets ? 0 : n / kCheckpointBytes + 1);
  FoldCheckpoint* checkpoints = out->checkpoints.data();
  size_t checkpoint_count = 0;
  size_t next_checkpoint = kOffsets ? SIZE_MAX : 0;
  Reserve<kOffsets>(out, n + slack);
  char* t = out->text.data();
  uint32_t* b = out->begin.data();
  uint32_t* e = out->end.data();
  size_t limit = out->text.size();
  size_t o = 0;
  // Noise skipping: `pending` counts the noise code points written since the
  // last Han character, whose output ended at run_start; it is kNoRun (or
  // more) when anything else came since. The output position stays
  // independent of table look-ups except through (predicted) branches.
  constexpr uint64_t kNoRun = kNoNoiseRun;
  uint64_t pending = after_han ? 0 : kNoRun;
  size_t run_start = 0;

  // Before a folded code point of class `cls` is written: a Han character
  // drops the noise run since the previous one.
  auto before = [&](uint32_t cls) MENSHEN_ALWAYS_INLINE {
    if (!kSkipNoise) return;
    const bool drop = (cls == ft::kClassHan) & (pending - 1 < kMaxNoiseRun);
    if (drop) o = run_start;
  };
  // ... and after it was written.
  auto after = [&](uint32_t cls) MENSHEN_ALWAYS_INLINE {
    if (!kSkipNoise) return;
    if (cls == ft::kClassHan) {
      pending = 0;
      run_start = o;
    } else {
      pending = cls == ft::kClassNoise ? pending + 1 : kNoRun;
    }
  };
  auto emit_one = [&](char32_t c, uint32_t cls, uint32_t from,
                      uint32_t to) MENSHEN_ALWAYS_INLINE {
    before(cls);
    const size_t len = EncodeUtf8(c, t + o);
    if (kOffsets) {
      Store4(b + o, from);
      Store4(e + o, to);
    }
    o += len;
    after(cls);
  };
  // Writes the fold of code point c (table entry en) read from [from, to).
  auto emit = [&](uint32_t en, char32_t c, uint32_t from,
                  uint32_t to) MENSHEN_ALWAYS_INLINE {
    switch (ft::ModeOf(en)) {
      case ft::kModeIdentity:
        emit_one(c, ft::ClassOf(en), from, to);
        break;
      case ft::kModeSingle:
        emit_one(en & ft::kValueMask, ft::ClassOf(en), from, to);
        break;
      case ft::kModeExpansion: {
        const uint32_t* item = ft::kPool + (en & ft::kValueMask);
        const uint32_t count = *item++;
        for (uint32_t k = 0; k < count; ++k) {
          emit_one(item[k] & ft::kValueMask, item[k] >> ft::kClassShift, from,
                   to);
        }
        break;
      }
      default:  // kModeEmpty: ignorables produce nothing
        break;
    }
  };

  size_t i = 0;
  // Windows resume here; after one that stopped early the scalar pass goes
  // on for a while first, so that text they cannot fold does not pay for a
  // window per code point.
  size_t windows_from = 0;
  while (i < n) {
    if (o + slack > limit) {
      Reserve<kOffsets>(out, o + 2 * (n - i) + slack);
      t = out->text.data();
      b = out->begin.data();
      e = out->end.data();
      limit = out->text.size();
    }
    if (!kOffsets && i >= next_checkpoint &&
        (!kSkipNoise || pending == 0 || pending > kMaxNoiseRun)) {
      checkpoints[checkpoint_count++] = FoldCheckpoint{
          static_cast<uint32_t>(i), static_cast<uint32_t>(o), kSkipNoise && pending == 0};
      next_checkpoint = i + kCheckpointBytes;
    }
    if (windows512 && i >= windows_from && n - i >= kFoldWindow512ReadBytes &&
        limit - o >= kFoldWindow512WriteBytes) {
      FoldBlockState state{o, pending, run_start, next_checkpoint, checkpoints, checkpoint_count};
      // Chinese without ASCII: the blocks first, which fold it fastest.
      bool yield = with_blocks;
      if (with_blocks && NoAsciiAhead(in + i) && n - i >= kFoldBlockReadBytes &&
          limit - o >= kFoldBlockWriteBytes) {
        const size_t room = std::min(n - i - (kFoldBlockReadBytes - kFoldBlockBytes),
                                     limit - o - (kFoldBlockWriteBytes - kFoldBlockBytes));
        const size_t done = FoldBlocks<kSkipNoise>(in, i, room, t, &state);
        i += done;
        // Blocks that stopped after a while: whatever stopped them is the
        // windows' on the next round. Blocks that stopped at once leave at
        // least one window to the windows.
        if (done >= kFoldBlockBytes || n - i < kFoldWindow512ReadBytes ||
            limit - state.out < kFoldWindow512WriteBytes) {
          o = state.out;
          pending = state.pending;
          run_start = state.run_start;
          next_checkpoint = state.next_checkpoint;
          checkpoint_count = state.checkpoint_count;
          continue;
        }
        yield = false;
      }
      const size_t room =
          std::min(n - i - (kFoldWindow512ReadBytes - kFoldWindow512Bytes),
                   limit - state.out - (kFoldWindow512WriteBytes - kFoldWindow512Bytes));
      const size_t done = FoldWindows512<kSkipNoise>(in, i, room, t, &state, yield);
      o = state.out;
      pending = state.pending;
      run_start = state.run_start;
      next_checkpoint = state.next_checkpoint;
      checkpoint_count = state.checkpoint_count;
      i += done;
      // Windows that stopped early leave a stretch to the scalar pass; those
      // that handed over to the blocks go straight on.
      windows_from = done < kFoldWindow512Bytes                               ? i + 2 * kFoldWindow512Bytes
                     : yield && n - i >= kFoldWindow512Bytes && NoAsciiAhead(in + i) ? i
                                                                                   : i + 1;
      continue;
    }
    if (windows && i >= windows_from && n - i >= kFoldWindowReadBytes &&
        limit - o >= kFoldWindowWriteBytes) {
      const size_t room = std::min(n - i - (kFoldWindowReadBytes - kFoldWindowBytes),
                                   limit - o - (kFoldWindowWriteBytes - kFoldWindowBytes));
      FoldBlockState state{o, pending, run_start, next_checkpoint, checkpoints, checkpoint_count};
      const size_t done = FoldWindowsAvx2<kSkipNoise>(in, i, room, t, &state);
      o = state.out;
      pending = state.pending;
      run_start = state.run_start;
      next_checkpoint = state.next_checkpoint;
      checkpoint_count = state.checkpoint_count;
      i += done;
      windows_from = done >= kFoldWindowBytes ? i + 1 : i + 2 * kFoldWindowBytes;
      continue;
    }
    const unsigned b0 = in[i];
    if (b0 < 0x80) {
      if (!kSkipNoise || pending > kMaxNoiseRun) {
        // No noise run open and ASCII has no Han: fold a stretch 1:1. The
        // state stays clean through it, so every byte is a point the pass
        // could resume from: the checkpoints due inside it (the next is
        // beyond i, or the loop's top would have kept it here) are added
        // after it. Without offsets b and e are null: no pointer may be
        // formed from them.
        const size_t k = FoldAscii<kOffsets>(in + i, std::min(n - i, limit - o),
                                             static_cast<uint32_t>(i), t + o,
                                             kOffsets ? b + o : nullptr,
                                             kOffsets ? e + o : nullptr);
        for (; !kOffsets && next_checkpoint < i + k; next_checkpoint += kCheckpointBytes) {
          checkpoints[checkpoint_count++] =
              FoldCheckpoint{static_cast<uint32_t>(next_checkpoint),
                             static_cast<uint32_t>(o + (next_checkpoint - i)), false};
        }
        i += k;
        o += k;
      } else {
        emit(ft::Lookup(b0), b0, static_cast<uint32_t>(i),
             static_cast<uint32_t>(i + 1));
        ++i;
      }
      continue;
    }
    // Runs of three-byte code points that fold to themselves or to one ASCII
    // character (most of CJK and its full-width punctuation): a tight loop
    // with one 4-byte load and store per code point.
    if ((b0 & 0xF0) == 0xE0) {
      const size_t first = i;
      const size_t stop = std::min(n, i + (limit - o - slack));
      while (i + 4 <= stop) {
        if (!kOffsets && blocks && i >= windows_from && i + kFoldBlockReadBytes <= n) {
          const size_t room = std::min(n - i - (kFoldBlockReadBytes - kFoldBlockBytes),
                                       limit - o - (kFoldBlockWriteBytes - kFoldBlockBytes));
          FoldBlockState state{o, pending, run_start, next_checkpoint, checkpoints,
                               checkpoint_count};
          const size_t done = FoldBlocks<kSkipNoise>(in, i, room, t, &state);
          i += done;
          // Blocks that stop within the first leave the next stretch to the
          // scalar pass (as windows do, above).
          if (done < kFoldBlockBytes) windows_from = i + 2 * kFoldBlockBytes;
          o = state.out;
          pending = state.pending;
          run_start = state.run_start;
          next_checkpoint = state.next_checkpoint;
          checkpoint_count = state.checkpoint_count;
          // What stopped them is not for them: on with the loop below.
          if (i + 4 > stop) break;
        }
        // Written where a Han character would go: over an open noise run.
        const size_t han_at =
            kSkipNoise && pending - 1 < kMaxNoiseRun ? run_start : o;
        const size_t run = CopyIdentityHan<kOffsets>(
            in + i, stop - i, static_cast<uint32_t>(i), t + han_at,
            kOffsets ? b + han_at : nullptr, kOffsets ? e + han_at : nullptr);
        if (run != 0) {
          o = han_at + run;
          i += run;
          if (kSkipNoise) {
            pending = 0;
            run_start = o;
          }
          // After a Han character no noise run is open: a checkpoint, when
          // one is due, without leaving the loop.
          if (!kOffsets && i >= next_checkpoint) {
            checkpoints[checkpoint_count++] = FoldCheckpoint{
                static_cast<uint32_t>(i), static_cast<uint32_t>(o), kSkipNoise};
            next_checkpoint = i + kCheckpointBytes;
          }
          if (i + 4 > stop) break;
        }
        uint32_t w;
        char32_t c;
        if (!ReadThreeBytes(in + i, &w, &c)) break;
        // The punctuation between runs, written without a branch on whether
        // it folds to itself or to an ASCII character.
        if (const uint32_t noise = ft::FastNoise(c); noise != 0) {
          const bool same = noise == ft::kFastNoiseSame;
          const uint32_t folded = LittleEndian(same ? w : noise);
          std::memcpy(t + o, &folded, 4);
          if (kOffsets) {
            Store4(b + o, static_cast<uint32_t>(i));
            Store4(e + o, static_cast<uint32_t>(i + 3));
          }
          o += same ? 3 : 1;
          if (kSkipNoise) pending += 1;
          i += 3;
          continue;
        }
        if (c < 0x800 || (c & 0xF800) == 0xD800) break;
        uint32_t cls, en = 0, key = 0;
        const uint32_t cjk = c - ft::kCjkFirst;
        if (cjk < ft::kCjkSize && ft::kCjk[cjk] != ft::kCjkNotIdentity) {
          cls = ft::kCjk[cjk];
        } else {
          en = ft::Lookup(c);
          // 0 for kModeIdentity (whose value is 0), kSingleAscii for a single
          // ASCII target; anything else takes the general path.
          constexpr uint32_t kSingleAscii = ft::kModeSingle << ft::kModeShift;
          key = en & ((ft::kModeMask << ft::kModeShift) |
                      (ft::kValueMask & ~0x7Fu));
          if (key != 0 && key != kSingleAscii) break;
          cls = ft::ClassOf(en);
        }
        before(cls);
        std::memcpy(t + o, in + i, 4);
        if (kOffsets) {
          Store4(b + o, static_cast<uint32_t>(i));
          Store4(e + o, static_cast<uint32_t>(i + 3));
        }
        if (key == 0) {
          o += 3;
        } else {
          t[o] = static_cast<char>(en & 0x7F);
          o += 1;
        }
        after(cls);
        i += 3;
      }
      if (i != first) continue;
    }
    // Everything else: other lengths, other folds, invalid UTF-8, the end.
    char32_t c;
    bool valid;
    const size_t len = DecodeMultiByte(in + i, n - i, &c, &valid);
    invalid += !valid;
    emit(ft::Lookup(c), c, static_cast<uint32_t>(i),
         static_cast<uint32_t>(i + len));
    i += len;
  }
  out->text.resize(o);
  if (kOffsets) {
    out->begin.resize(o);
    out->end.resize(o);
  }
  out->checkpoints.resize(checkpoint_count);
  out->invalid_sequences = invalid;
}

// Calls f(begin, end, code point, valid) for each code point (or maximal
// invalid subpart, as U+FFFD) of s[from, to).
template <typename F>
void ForEachCodePoint(std::string_view s, size_t from, size_t to, F f) {
  const auto* in = reinterpret_cast<const unsigned char*>(s.data());
  while (from < to) {
    char32_t c;
    bool valid;
    const size_t len = Decode(in + from, to - from, &c, &valid);
    f(from, from + len, c, valid);
    from += len;
  }
}

}  // namespace

std::string FoldKindNames(uint32_t kinds) {
  static constexpr const char* kNames[] = {
      "case",       "width",     "compat", "accent",      "traditional",
      "confusable", "ignorable", "noise",  "invalid_utf8", "pinyin",
      "homophone",  "leet",      "spaced", "variant"};
  std::string out;
  for (size_t k = 0; k < sizeof kNames / sizeof kNames[0]; ++k) {
    if (kinds & (1u << k)) {
      if (!out.empty()) out += ',';
      out += kNames[k];
    }
  }
  return out;
}

std::string_view FoldVersion() { return ft::kVersion; }

namespace {

// The share of ASCII in `input`, in eighths (0..8), from four samples of
// 64 bytes spread over it (all of it when shorter): on a 2 KB prompt a
// larger sample cost a tenth of a check.
size_t AsciiEighths(std::string_view input) {
  constexpr size_t kSample = 64;
  const size_t n = input.size();
  if (n == 0) return 8;
  size_t ascii = 0;
  size_t seen = 0;
  auto count = [&](size_t from, size_t to) {
    size_t k = from;
#if defined(__SSE2__)
    for (; k + 16 <= to; k += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(input.data() + k));
      ascii += 16 - static_cast<size_t>(
                        __builtin_popcount(static_cast<unsigned>(_mm_movemask_epi8(v))));
    }
#endif
    for (; k < to; ++k) ascii += static_cast<unsigned char>(input[k]) < 0x80;
    seen += to - from;
  };
  if (n <= 4 * kSample) {
    count(0, n);
  } else {
    for (size_t q = 0; q < 4; ++q) {
      const size_t at = q * (n - kSample) / 3;
      count(at, at + kSample);
    }
  }
  return ascii * 8 / seen;
}

// The fastest vector step for `input` on this CPU, as measured
// (docs/normalisation.md). With AVX-512: windows, which hand Chinese without
// ASCII to the blocks. With AVX2 only: windows where scripts mix (technical
// Chinese, code, mixed documents); the scalar pass's loop over Han runs is
// faster on Chinese prose (under an eighth ASCII) and its ASCII loop on
// Latin text (seven eighths or more).
#ifndef MENSHEN_FOLD_VECTOR_CAP
#define MENSHEN_FOLD_VECTOR_CAP 3  // CMake's MENSHEN_FOLD_VECTOR: 1 none, 2 avx2, 3 best
#endif

FoldVector BestVector(std::string_view input) {
  if (MENSHEN_FOLD_VECTOR_CAP >= 3 && FoldWindows512Supported()) {
    return FoldVector::kAvx512Windows;  // with the blocks
  }
  if (MENSHEN_FOLD_VECTOR_CAP < 2 || !FoldWindowsAvx2Supported()) return FoldVector::kNone;
  const size_t eighths = AsciiEighths(input);
  return eighths == 0 || eighths >= 7 ? FoldVector::kNone : FoldVector::kAvx2;
}

void FoldFrom(std::string_view input, const FoldOptions& options, bool after_han,
              FoldedText* out) {
  // (A fold with offsets runs no vector step: no need to choose one.)
  FoldVector vector = options.offsets                       ? FoldVector::kNone
                      : options.vector == FoldVector::kBest ? BestVector(input)
                                                            : options.vector;
  if (!FoldVectorSupported(vector)) vector = FoldVector::kNone;
  const bool with_blocks = options.vector == FoldVector::kBest &&
                           vector == FoldVector::kAvx512Windows && FoldBlockSupported();
  if (options.skip_noise) {
    options.offsets ? FoldPass<true, true>(input, after_han, FoldVector::kNone, false, out)
                    : FoldPass<true, false>(input, after_han, vector, with_blocks, out);
  } else {
    options.offsets ? FoldPass<false, true>(input, after_han, FoldVector::kNone, false, out)
                    : FoldPass<false, false>(input, after_han, vector, with_blocks, out);
  }
}

}  // namespace

bool FoldVectorSupported(FoldVector vector) {
  switch (vector) {
    case FoldVector::kAvx512: return FoldBlockSupported();
    case FoldVector::kAvx512Windows: return FoldWindows512Supported();
    case FoldVector::kAvx2: return FoldWindowsAvx2Supported();
    default: return true;
  }
}

std::string_view FoldVectorName(FoldVector vector) {
  switch (vector) {
    case FoldVector::kBest: return "best";
    case FoldVector::kAvx512: return "avx512";
    case FoldVector::kAvx512Windows: return "avx512w";
    case FoldVector::kAvx2: return "avx2";
    default: return "none";
  }
}

void Fold(std::string_view input, const FoldOptions& options, FoldedText* out) {
  FoldFrom(input, options, /*after_han=*/false, out);
}

void FillOffsets(std::string_view input, const FoldOptions& options,
                 std::vector<std::pair<uint32_t, uint32_t>>* spans,
                 FoldedText* folded, FoldedText* window) {
  const auto& checkpoints = folded->checkpoints;
  const size_t size = folded->text.size();
  folded->begin.resize(size);
  folded->end.resize(size);
  FoldOptions with_offsets = options;
  with_offsets.offsets = true;
  // Spans all over the text (dense matches): one fold with offsets costs
  // less than sorting them and refolding a window around each.
  if (spans->size() >= 64 && spans->size() * 2 * kCheckpointBytes >= input.size()) {
    Fold(input, with_offsets, folded);
    return;
  }
  std::sort(spans->begin(), spans->end());
  size_t done = 0;  // offsets are filled for the windows up to here
  for (auto [start, stop] : *spans) {
    const size_t from = std::max<size_t>(start, done);
    const size_t to = std::min<size_t>(stop, size);
    if (from >= to) continue;
    // The window: from the last checkpoint at or before `from` to the first
    // at or after `to` (or the end of the text).
    auto after = std::upper_bound(
        checkpoints.begin(), checkpoints.end(), from,
        [](size_t pos, const FoldCheckpoint& c) { return pos < c.out; });
    if (after == checkpoints.begin()) break;  // not a fold without offsets
    const FoldCheckpoint first = *std::prev(after);
    auto last = std::lower_bound(
        after, checkpoints.end(), to,
        [](const FoldCheckpoint& c, size_t pos) { return c.out < pos; });
    const size_t in_end = last == checkpoints.end() ? input.size() : last->in;
    const size_t out_end = last == checkpoints.end() ? size : last->out;
    FoldFrom(input.substr(first.in, in_end - first.in), with_offsets,
             first.after_han, window);
    // The fold resumed from a checkpoint repeats the first fold's bytes; if
    // it ever did not, the whole text is folded again with offsets rather
    // than report a shifted offset.
    if (window->text.size() != out_end - first.out ||
        std::memcmp(window->text.data(), folded->text.data() + first.out,
                    window->text.size()) != 0) {
      Fold(input, with_offsets, folded);
      return;
    }
    for (size_t k = 0; k < window->text.size(); ++k) {
      folded->begin[first.out + k] = window->begin[k] + first.in;
      folded->end[first.out + k] = window->end[k] + first.in;
    }
    done = out_end;
  }
}

std::string FoldTerm(std::string_view term, const FoldOptions& options) {
  FoldedText f;
  FoldOptions text_only = options;
  text_only.offsets = false;
  Fold(term, text_only, &f);
  return std::move(f.text);
}

// Folds `original` and then walks its code points beside the folded output:
// a code point's own foldings count if it produced all its output, or folded
// to nothing; a code point whose output was dropped was skipped noise.
uint32_t Explain(std::string_view original) {
  FoldedText f;
  Fold(original, FoldOptions(), &f);
  const std::string& text = f.text;
  uint32_t kinds = 0;
  size_t k = 0;  // folded byte
  ForEachCodePoint(original, 0, original.size(),
                   [&](size_t from, size_t, char32_t c, bool valid) {
    const uint32_t en = ft::Lookup(c);
    if (!valid) kinds |= kFoldInvalidUtf8;
    uint32_t expected = 1;
    if (ft::ModeOf(en) == ft::kModeEmpty) {
      expected = 0;
    } else if (ft::ModeOf(en) == ft::kModeExpansion) {
      expected = ft::kPool[en & ft::kValueMask];
    }
    uint32_t produced = 0;
    for (; k < text.size() && f.begin[k] <= from; ++k) {
      produced += f.begin[k] == from &&
                  (static_cast<unsigned char>(text[k]) & 0xC0) != 0x80;
    }
    if (produced > 0 || expected == 0) kinds |= ft::KindsOf(en);
    if (produced < expected) kinds |= kFoldNoise;
  });
  return kinds;
}

bool NoiseSkippedWithin(std::string_view original, const FoldedText& folded,
                        size_t start, size_t stop) {
  stop = std::min(stop, folded.text.size());
  bool skipped = false;
  for (size_t k = start + 1; k < stop && !skipped; ++k) {
    if ((static_cast<unsigned char>(folded.text[k]) & 0xC0) == 0x80) continue;
    const size_t to = std::min<size_t>(folded.begin[k], original.size());
    ForEachCodePoint(original, folded.end[k - 1], to,
                     [&](size_t, size_t, char32_t c, bool valid) {
      skipped |= !valid || ft::ModeOf(ft::Lookup(c)) != ft::kModeEmpty;
    });
  }
  return skipped;
}

bool IsWordChar(char32_t folded_code_point) {
  if (folded_code_point > 0x10FFFF) return false;
  return ft::ClassOf(ft::Lookup(folded_code_point)) == ft::kClassWord;
}

size_t CountCodePoints(std::string_view folded) {
  size_t n = 0;
  for (char ch : folded) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

}  // namespace menshen::internal
