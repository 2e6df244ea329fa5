// The AVX-512 blocks of the fold; what they do and why: fold_block.h and
// docs/normalisation.md.
#include "lib/normalize/fold_block.h"

#include "lib/normalize/fold_table.h"
#include "lib/normalize/normalizer.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MENSHEN_FOLD_BLOCK_AVX512 1
#include <immintrin.h>
#else
#define MENSHEN_FOLD_BLOCK_AVX512 0
#endif

namespace menshen::internal {

#if MENSHEN_FOLD_BLOCK_AVX512

// Only these functions use AVX-512; the rest of the library is built for the
// baseline, and FoldBlockSupported() decides at run time.
#define MENSHEN_AVX512_TARGET \
  __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt")))

bool FoldBlockSupported() {
  static const bool supported =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
      __builtin_cpu_supports("popcnt");
  return supported;
}

namespace {

namespace ft = fold_table;

struct ByteVector {
  alignas(64) uint8_t bytes[64];
};
constexpr ByteVector Iota(int first) {
  ByteVector v{};
  for (int k = 0; k < 64; ++k) v.bytes[k] = static_cast<uint8_t>((first + k) & 63);
  return v;
}
// Byte positions 0..63, and the same moved down by one (lead k + 1 to k).
constexpr ByteVector kIota = Iota(0);
constexpr ByteVector kNext = Iota(1);
// Shuffle indices that copy byte 0 of each 32-bit lane to all four bytes (to
// which 0, 1, 2, 3 are then added: the positions of a code point's bytes).
constexpr ByteVector MakeSpread() {
  ByteVector v{};
  for (int k = 0; k < 64; ++k) v.bytes[k] = static_cast<uint8_t>(k & ~3);
  return v;
}
constexpr ByteVector kSpread = MakeSpread();
// Lane k takes bytes 3k..3k+3: sixteen three-byte code points, whose lead
// bytes (and the next code point's) are exactly these.
constexpr ByteVector MakeThreeByteLanes() {
  ByteVector v{};
  for (int k = 0; k < 64; ++k) v.bytes[k] = static_cast<uint8_t>(3 * (k / 4) + k % 4);
  return v;
}
constexpr ByteVector kThreeByteLanes = MakeThreeByteLanes();
constexpr uint64_t kThreeByteLeads = 0x1249249249249;  // bits 0, 3, ..., 48
constexpr uint64_t kThreeByteLeadsMask = (uint64_t{1} << 49) - 1;

static_assert(ft::kFastNoiseLowFirst == 0x2000 && ft::kFastNoiseLowSize >= 0x1040 &&
              ft::kFastNoiseHighFirst == 0xFF00 && ft::kFastNoiseHighSize >= 0x80);

// Vector constants, written as loads whose value an empty asm hides: GCC then
// builds each once per call, outside the loop, where for set1 it rebuilt them
// from general registers in every block (3 % of the fold).
struct alignas(64) Splat32 {
  uint32_t lanes[16];
};
constexpr Splat32 MakeSplat(uint32_t v) {
  Splat32 s{};
  for (uint32_t& lane : s.lanes) lane = v;
  return s;
}
template <uint32_t kValue>
inline constexpr Splat32 kSplat = MakeSplat(kValue);
template <uint32_t kValue>
MENSHEN_AVX512_TARGET inline __m512i u32() {
  __m512i v = _mm512_load_si512(kSplat<kValue>.lanes);
  asm("" : "+v"(v));
  return v;
}
MENSHEN_AVX512_TARGET inline __m512i Load(const ByteVector& v) {
  return _mm512_load_si512(v.bytes);
}

// ASCII for the blocks, from the fold table: 0 for what a block leaves to
// the scalar pass, the character (or its fold) for noise, and 0x80 | the fold
// for letters and digits (A → a), which end a noise run as any other
// non-noise code point but Han does.
struct AsciiTable {
  ByteVector low;   // U+0000..003F
  ByteVector high;  // U+0040..007F
};
constexpr uint8_t kAsciiWord = 0x80;
AsciiTable BuildAsciiClasses() {
  AsciiTable t{};
  for (uint32_t c = 0; c < 0x80; ++c) {
    const uint32_t en = ft::Lookup(c);
    uint32_t folded = 0;
    if (ft::ModeOf(en) == ft::kModeIdentity) folded = c;
    if (ft::ModeOf(en) == ft::kModeSingle) folded = en & ft::kValueMask;
    if (folded == 0 || folded >= 0x80) continue;
    uint8_t entry = 0;
    if (ft::ClassOf(en) == ft::kClassNoise) entry = static_cast<uint8_t>(folded);
    if (ft::ClassOf(en) == ft::kClassWord) entry = static_cast<uint8_t>(kAsciiWord | folded);
    (c < 0x40 ? t.low : t.high).bytes[c & 0x3F] = entry;
  }
  return t;
}
// Built when the library loads (the fold table it reads is constant data),
// so that a fold pays no guard for it.
const AsciiTable kAsciiClasses = BuildAsciiClasses();

// U+2026 … folds to three full stops, each noise: a block writes the three
// and counts them as three code points of a noise run. Checked against the
// fold table when the library loads; a code point no lane can hold when the
// table says otherwise.
uint32_t EllipsisIfThreeStops() {
  constexpr uint32_t kEllipsis = 0x2026;
  const uint32_t en = ft::Lookup(kEllipsis);
  if (ft::ModeOf(en) != ft::kModeExpansion) return ~0u;
  const uint32_t* item = ft::kPool + (en & ft::kValueMask);
  if (item[0] != 3) return ~0u;
  for (int k = 1; k <= 3; ++k) {
    if (item[k] != (uint32_t{'.'} | (uint32_t{ft::kClassNoise} << ft::kClassShift))) return ~0u;
  }
  return kEllipsis;
}
const uint32_t kEllipsisThreeStops = EllipsisIfThreeStops();

// The tables Classify looks up by byte permutes, 64 entries each: ASCII, and
// the parts of kFastNoise where Chinese text has nearly all its punctuation.
// The rest of kFastNoise is left to the scalar pass.
struct Tables {
  __m512i ascii_low;   // U+0000..003F
  __m512i ascii_high;  // U+0040..007F
  __m512i general;     // U+2000..203F
  __m512i cjk;         // U+3000..303F
  __m512i fullwidth;   // U+FF00..FF3F
  __m512i halfwidth;   // U+FF40..FF7F
  __m512i ellipsis;    // kEllipsisThreeStops in every lane
};

MENSHEN_AVX512_TARGET inline __m512i NoiseTableAt(uint32_t cp) {
  const uint32_t slot = cp >= ft::kFastNoiseHighFirst
                            ? ft::kFastNoiseLowSize + (cp - ft::kFastNoiseHighFirst)
                            : cp - ft::kFastNoiseLowFirst;
  return _mm512_loadu_si512(ft::kFastNoise + slot);
}

MENSHEN_AVX512_TARGET inline Tables LoadTables() {
  return Tables{Load(kAsciiClasses.low), Load(kAsciiClasses.high), NoiseTableAt(0x2000),
                NoiseTableAt(0x3000),    NoiseTableAt(0xFF00),     NoiseTableAt(0xFF40),
                _mm512_set1_epi32(static_cast<int>(kEllipsisThreeStops))};
}

// A block's first sixteen code points. Lane k of `out` is what code point k
// writes when kept: its low byte (one byte), or its low three bytes when the
// lane is `wide`. The masks have bit k for code point k: identity Han, noise
// (`ellipsis` the lanes of …, three code points of noise each) and ASCII
// letters and digits ("word": anything else that ends a noise run). Bit k of
// `lead` is set where byte k of the block starts a code point.
struct BlockClasses {
  __m512i out;
  uint64_t lead;
  uint32_t han;
  uint32_t noise;
  uint32_t word;
  uint32_t wide;
  uint32_t ellipsis;  // noise lanes that count as three code points (…)
};

MENSHEN_AVX512_TARGET inline BlockClasses Classify(const unsigned char* in, const Tables& tables) {
  const __m512i bytes = _mm512_loadu_si512(in);
  // Lead bytes are those not 0x80..0xBF (-128..-65 signed). Byte 0 starts
  // lane 0 even when it is a stray continuation byte, which no class takes.
  const __mmask64 lead_mask = _kor_mask64(_mm512_cmpgt_epi8_mask(bytes, _mm512_set1_epi8(-65)),
                                           _cvtu64_mask64(1));
  const uint64_t lead = _cvtmask64_u64(lead_mask);
  __m512i w;
  __mmask16 ascii = 0;
  __mmask16 three;
  if ((lead & kThreeByteLeadsMask) == kThreeByteLeads) {
    // Sixteen code points of three bytes (most blocks of Chinese text): lane
    // k is bytes 3k..3k+2, and only the lead bytes need a look.
    w = _mm512_and_si512(_mm512_permutexvar_epi8(Load(kThreeByteLanes), bytes), u32<0x00FFFFFF>());
    three = _mm512_cmpeq_epi32_mask(_mm512_and_si512(w, u32<0xF0>()), u32<0xE0>());
  } else {
    // Any mix: the positions of the first seventeen code points, from the
    // lead bytes. Missing ones are 0, which no lane's length can match.
    const __m512i leads = _mm512_maskz_compress_epi8(lead_mask, Load(kIota));
    const __m512i at = _mm512_cvtepu8_epi32(_mm512_castsi512_si128(leads));
    const __m512i next = _mm512_cvtepu8_epi32(
        _mm512_castsi512_si128(_mm512_permutexvar_epi8(Load(kNext), leads)));
    const __m512i length = _mm512_sub_epi32(next, at);
    const __m512i index =
        _mm512_add_epi8(_mm512_shuffle_epi8(at, Load(kSpread)), u32<0x03020100>());
    w = _mm512_and_si512(_mm512_permutexvar_epi8(index, bytes), u32<0x00FFFFFF>());
    // ASCII, or a lead byte 1110xxxx and two continuation bytes; each as
    // long as the distance to the next lead.
    ascii = _mm512_cmpeq_epi32_mask(length, u32<1>()) & _mm512_testn_epi32_mask(w, u32<0x80>());
    three = _mm512_cmpeq_epi32_mask(length, u32<3>()) &
            _mm512_cmpeq_epi32_mask(_mm512_and_si512(w, u32<0xC0C0F0>()), u32<0x8080E0>());
  }
  // Overlong forms and surrogates are in none of the tables below.
  const __m512i cp = _mm512_or_si512(
      _mm512_slli_epi32(_mm512_and_si512(w, u32<0x0F>()), 12),
      _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(w, 2), u32<0xFC0>()),
                      _mm512_and_si512(_mm512_srli_epi32(w, 16), u32<0x3F>())));

  // Han that folds to itself: a bit of kHanIdentity.
  const __m512i cjk = _mm512_sub_epi32(cp, u32<ft::kCjkFirst>());
  const __mmask16 in_cjk = three & _mm512_cmplt_epu32_mask(cjk, u32<ft::kCjkSize>());
  const __m512i han_words = _mm512_mask_i32gather_epi32(
      _mm512_setzero_si512(), in_cjk, _mm512_srli_epi32(cjk, 5), ft::kHanIdentity, 4);
  const __mmask16 han = _mm512_mask_test_epi32_mask(
      in_cjk, _mm512_srlv_epi32(han_words, _mm512_and_si512(cjk, u32<31>())), u32<1>());

  // Everything else: its byte in the ASCII table or kFastNoise.
  const __m512i from_ascii = _mm512_permutex2var_epi8(tables.ascii_low, w, tables.ascii_high);
  const __m512i idx_low = _mm512_or_si512(_mm512_and_si512(cp, u32<0x3F>()),
                                          _mm512_and_si512(_mm512_srli_epi32(cp, 6), u32<0x40>()));
  const __m512i from_low = _mm512_permutex2var_epi8(tables.general, idx_low, tables.cjk);
  const __m512i from_high = _mm512_permutex2var_epi8(tables.fullwidth, cp, tables.halfwidth);
  const __mmask16 low =
      three & _mm512_cmpeq_epi32_mask(_mm512_and_si512(cp, u32<0xEFC0>()), u32<0x2000>());
  const __mmask16 high =
      three & _mm512_cmpeq_epi32_mask(_mm512_and_si512(cp, u32<0xFF80>()), u32<0xFF00>());
  __m512i entry = _mm512_maskz_mov_epi32(ascii, from_ascii);
  entry = _mm512_mask_mov_epi32(entry, low, from_low);
  entry = _mm512_and_si512(_mm512_mask_mov_epi32(entry, high, from_high), u32<0xFF>());
  const __mmask16 any = _mm512_test_epi32_mask(entry, entry);
  const __mmask16 word = ascii & _mm512_test_epi32_mask(entry, u32<kAsciiWord>());
  const __mmask16 same3 = three & _mm512_cmpeq_epi32_mask(entry, u32<ft::kFastNoiseSame>());
  const __mmask16 ellipsis = three & _mm512_cmpeq_epi32_mask(cp, tables.ellipsis);
  const __mmask16 wide = han | same3 | ellipsis;
  __m512i out = _mm512_mask_mov_epi32(_mm512_and_si512(entry, u32<0x7F>()), wide, w);
  out = _mm512_mask_mov_epi32(out, ellipsis, u32<0x2E2E2E>());
  return BlockClasses{out,
                      lead,
                      static_cast<uint32_t>(han),
                      static_cast<uint32_t>((any & ~word) | ellipsis),
                      static_cast<uint32_t>(word),
                      static_cast<uint32_t>(wide),
                      static_cast<uint32_t>(ellipsis)};
}

// Each byte with its bits in reverse order, for Reverse16.
constexpr struct ReversedBytes {
  uint8_t of[256];
} kReversed = [] {
  ReversedBytes r{};
  for (int b = 0; b < 256; ++b) {
    int v = 0;
    for (int k = 0; k < 8; ++k) v |= ((b >> k) & 1) << (7 - k);
    r.of[b] = static_cast<uint8_t>(v);
  }
  return r;
}();
// Bits 0..15 of x in reverse order.
inline uint32_t Reverse16(uint32_t x) {
  return (uint32_t{kReversed.of[x & 0xFF]} << 8) | kReversed.of[(x >> 8) & 0xFF];
}

// The runs of ones in `runs` that start just above a bit of `after`: the
// seed carries up through its run and stops just beyond it.
inline uint32_t RunsAfter(uint32_t runs, uint32_t after) {
  const uint32_t seeds = (after << 1) & runs;
  return ((runs + seeds) ^ runs) & runs;
}

// Whether `runs` has more than kMaxNoiseRun consecutive ones.
inline bool HasLongRun(uint64_t runs) {
  static_assert(kMaxNoiseRun == 8);
  const uint64_t two = runs & (runs >> 1);
  const uint64_t four = two & (two >> 2);
  const uint64_t eight = four & (four >> 4);
  return (eight & (runs >> 8)) != 0;
}

// Lane k of a 16-bit mask to bit 3k, and to bits 3k..3k+2 when k is in `e`.
MENSHEN_AVX512_TARGET inline uint64_t ThreeBitLanes(uint32_t lanes, uint32_t e) {
  constexpr uint64_t kThreeBitLanes = 0x249249249249;
  return _pdep_u64(lanes, kThreeBitLanes) | _pdep_u64(lanes & e, kThreeBitLanes) * 6;
}

// Whether a run of noise lanes in `runs` is longer than kMaxNoiseRun code
// points, counting each lane of `e` as three: the lanes are laid out with
// one bit each, or three for `e`, and runs counted there.
MENSHEN_AVX512_TARGET inline bool HasLongRun(uint32_t runs, uint32_t e) {
  if ((runs & e) == 0) return HasLongRun(uint64_t{runs});
  return HasLongRun(_pext_u64(ThreeBitLanes(runs, e), ThreeBitLanes(0xFFFF, e)));
}

// Noise code points in the lanes of `lanes`, each lane of `e` three.
inline uint64_t NoiseCount(uint32_t lanes, uint32_t e) {
  return static_cast<uint64_t>(__builtin_popcount(lanes) + 2 * __builtin_popcount(lanes & e));
}

template <bool kSkipNoise>
MENSHEN_AVX512_TARGET size_t FoldBlocksAvx512(const unsigned char* input, size_t from, size_t room,
                                              char* t, FoldBlockState* state) {
  const unsigned char* in = input + from;
  size_t next_checkpoint = state->next_checkpoint;
  FoldCheckpoint* const checkpoints = state->checkpoints;
  size_t checkpoint_count = state->checkpoint_count;
  size_t out = state->out;
  uint64_t pending = state->pending;
  size_t run_start = state->run_start;
  if (room < kFoldBlockBytes) return 0;
  size_t p = 0;
  const Tables tables = LoadTables();
  // Software pipelined: the next block (where it starts if this one is whole)
  // is classified before this one is written, so that its loads and gather
  // overlap this one's latency.
  BlockClasses next = Classify(in, tables);
  for (;;) {
    const BlockClasses c = next;
    const size_t whole = _tzcnt_u64(_pdep_u64(uint64_t{1} << 16, c.lead));
    const bool more = p + whole + kFoldBlockBytes <= room;
    if (more) next = Classify(in + p + whole, tables);
    // The block folds the code points before the first it has no class for.
    const int count = __builtin_ctz(~(c.han | c.noise | c.word));  // bit 16 is set
    if (count == 0) break;
    const uint32_t prefix = (1u << count) - 1;
    const uint32_t h = c.han & prefix;
    const uint32_t n = c.noise & prefix;
    const uint32_t stops = (c.han | c.word) & prefix;  // what ends a noise run
    const uint32_t e = c.ellipsis & prefix;

    // The noise rule, for the code points as bits: a run of noise between two
    // Han characters is dropped. A run before the block's first other code
    // point continues the state's; one after its last stays open.
    uint32_t dropped = 0;
    uint32_t leading = 0;  // the noise before the first Han, when it comes first
    if (kSkipNoise && stops != 0) {
      const int first = __builtin_ctz(stops);
      dropped = RunsAfter(n, h) & Reverse16(RunsAfter(Reverse16(n), Reverse16(h)));
      if (HasLongRun(dropped, e)) break;  // kept as text: rare, left to the scalar pass
      if (((h >> first) & 1) != 0) leading = (1u << first) - 1;
    }

    // Each kept code point writes its lane's three bytes (wide) or one: bit
    // k of a lane mask goes to bit 4k of the byte mask. The masks do not
    // wait for the state: only the choice between them does.
    const uint32_t kept = (h | n | (c.word & prefix)) & ~dropped;
    constexpr uint64_t kLaneBytes = 0x1111111111111111;
    const uint64_t keep_all =
        _pdep_u64(kept & c.wide, kLaneBytes) * 7 | _pdep_u64(kept & ~c.wide, kLaneBytes);
    // The run before the block's first Han character continues the state's:
    // dropped with it when it is short enough. Unsigned: no run open (pending
    // 0 and no leading noise, or kNoNoiseRun) is out of range, as in FoldPass.
    // Han first: with noise before it (leading), or at lane 0.
    const bool starts_at_han = kSkipNoise & ((leading != 0) | ((h & 1) != 0));
    const bool rewind = starts_at_han & (pending + NoiseCount(leading, e) - 1 < kMaxNoiseRun);
    const size_t at = rewind ? run_start : out;
    const uint64_t keep =
        rewind ? keep_all & ~_bzhi_u64(~uint64_t{0}, 4 * static_cast<unsigned>(
                                                         __builtin_popcount(leading)))
               : keep_all;
    _mm512_storeu_si512(t + at, _mm512_maskz_compress_epi8(keep, c.out));
    out = at + static_cast<size_t>(__builtin_popcountll(keep));
    if (kSkipNoise) {
      if (stops == 0) {
        pending += NoiseCount(prefix, e);
      } else {
        const int last = 31 - __builtin_clz(stops);
        if (((h >> last) & 1) != 0) {
          const uint64_t through_last =
              last == 15 ? ~uint64_t{0} : (uint64_t{1} << (4 * (last + 1))) - 1;
          run_start = at + static_cast<size_t>(__builtin_popcountll(keep & through_last));
          pending = NoiseCount(prefix & ~((2u << last) - 1), e);
        } else {
          pending = kNoNoiseRun;
        }
      }
    }
    // The start of code point `count` (the 17th after a whole block): from
    // the lead bytes alone, so the next block's load waits for nothing else.
    const size_t advance = _tzcnt_u64(_pdep_u64(uint64_t{1} << count, c.lead));
    p += advance;
    // Mostly ASCII (Latin text) is the scalar pass's, sixteen bytes a step.
    if (count != 16 || advance < 24 || !more) break;
    // A checkpoint where the scalar pass would keep one: the first point due
    // with no noise run open.
    if (from + p >= next_checkpoint && (!kSkipNoise || pending == 0 || pending > kMaxNoiseRun)) {
      checkpoints[checkpoint_count++] = FoldCheckpoint{
          static_cast<uint32_t>(from + p), static_cast<uint32_t>(out), kSkipNoise && pending == 0};
      next_checkpoint = from + p + kCheckpointBytes;
    }
  }
  state->out = out;
  state->pending = pending;
  state->run_start = run_start;
  state->next_checkpoint = next_checkpoint;
  state->checkpoint_count = checkpoint_count;
  return p;
}

}  // namespace

template <bool kSkipNoise>
size_t FoldBlocks(const unsigned char* input, size_t from, size_t room, char* t,
                  FoldBlockState* state) {
  return FoldBlocksAvx512<kSkipNoise>(input, from, room, t, state);
}

#else  // not x86-64

bool FoldBlockSupported() { return false; }

template <bool kSkipNoise>
size_t FoldBlocks(const unsigned char*, size_t, size_t, char*, FoldBlockState*) {
  return 0;
}

#endif

template size_t FoldBlocks<true>(const unsigned char*, size_t, size_t, char*, FoldBlockState*);
template size_t FoldBlocks<false>(const unsigned char*, size_t, size_t, char*,
                                  FoldBlockState*);

}  // namespace menshen::internal
