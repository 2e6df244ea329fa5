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

// ---- Windows (AVX2) --------------------------------------------------------

#define MENSHEN_AVX2_TARGET __attribute__((target("avx2,bmi,bmi2,popcnt")))

namespace {

// Whether the fold table treats ASCII as the windows assume: every character
// folds to itself (A-Z to a-z), letters and digits are word characters and
// the rest noise.
bool AsciiAsWindowsAssume() {
  for (uint32_t c = 0; c < 0x80; ++c) {
    const uint32_t en = ft::Lookup(c);
    const bool upper = c - 'A' < 26u;
    const bool alnum = upper || c - 'a' < 26u || c - '0' < 10u;
    const uint32_t folded = ft::ModeOf(en) == ft::kModeIdentity ? c
                            : ft::ModeOf(en) == ft::kModeSingle ? (en & ft::kValueMask)
                                                                 : ~0u;
    if (folded != (upper ? c + 32 : c)) return false;
    if (ft::ClassOf(en) != (alnum ? ft::kClassWord : ft::kClassNoise)) return false;
  }
  return true;
}

// Shuffle indices that gather the bytes of an 8-bit mask's set bits to the
// front, for the bytes 0..7 and 8..15 of a 16-byte lane.
struct CompactTable {
  uint64_t low[256];
  uint64_t high[256];
};
constexpr CompactTable MakeCompactTable() {
  CompactTable table{};
  for (int m = 0; m < 256; ++m) {
    uint64_t low = 0, high = 0;
    int n = 0;
    for (int b = 0; b < 8; ++b) {
      if (((m >> b) & 1) == 0) continue;
      low |= uint64_t(b) << (8 * n);
      high |= uint64_t(b + 8) << (8 * n);
      ++n;
    }
    for (; n < 8; ++n) {
      low |= uint64_t{0x80} << (8 * n);
      high |= uint64_t{0x80} << (8 * n);
    }
    table.low[m] = low;
    table.high[m] = high;
  }
  return table;
}
constexpr CompactTable kCompact = MakeCompactTable();

// Punctuation of Chinese text, for windows: 64 code points from `first`, a
// byte each, looked up by shuffles. 0: not here (the scalar look-up decides);
// kSameNoise, kSameWord: folds to itself, noise or a word character; else
// the ASCII character it folds to (its class is that character's).
constexpr uint8_t kSameNoise = 0x80;
constexpr uint8_t kSameWord = 0x81;
constexpr uint32_t kPunctuationChunks[] = {0x2000, 0x2500, 0x3000, 0xFF00};
constexpr int kChunks = sizeof kPunctuationChunks / sizeof kPunctuationChunks[0];
struct PunctuationTable {
  alignas(64) uint8_t value[kChunks][128];  // AVX2 windows use the first 64
};
PunctuationTable BuildPunctuation() {
  PunctuationTable table{};
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    for (uint32_t k = 0; k < 128; ++k) {
      const uint32_t cp = kPunctuationChunks[chunk] + k;
      const uint32_t en = ft::Lookup(cp);
      const uint32_t cls = ft::ClassOf(en);
      const uint32_t value = en & ft::kValueMask;
      uint8_t entry = 0;
      if (ft::ModeOf(en) == ft::kModeIdentity) {
        if (cls == ft::kClassNoise) entry = kSameNoise;
        if (cls == ft::kClassWord || cls == ft::kClassOther) entry = kSameWord;
      } else if (ft::ModeOf(en) == ft::kModeSingle && value != 0 && value < 0x80) {
        const bool alnum = (value | 0x20) - 'a' < 26u || value - '0' < 10u;
        if (cls == (alnum ? ft::kClassWord : ft::kClassNoise)) entry = static_cast<uint8_t>(value);
      }
      table.value[chunk][k] = entry;
    }
  }
  return table;
}
const PunctuationTable kPunctuation = BuildPunctuation();

// Bits 0..n-1 (n <= 32).
inline uint32_t LowBits(unsigned n) { return n >= 32 ? ~0u : (1u << n) - 1; }

// Whether `runs` has more than kMaxNoiseRun consecutive ones.
inline bool HasLongByteRun(uint32_t runs) {
  static_assert(kMaxNoiseRun == 8);
  const uint32_t two = runs & (runs >> 1);
  const uint32_t four = two & (two >> 2);
  const uint32_t eight = four & (four >> 4);
  return (eight & (runs >> 8)) != 0;
}

// Writes the bytes of `bytes` that `keep` selects to t[at..), eight at a
// time (each store writes eight bytes); returns the new position.
MENSHEN_AVX2_TARGET inline size_t CompactEight(__m128i lane, uint64_t shuffle, uint32_t m, char* t,
                                               size_t at) {
  _mm_storel_epi64(reinterpret_cast<__m128i*>(t + at),
                   _mm_shuffle_epi8(lane, _mm_cvtsi64_si128(static_cast<long long>(shuffle))));
  return at + static_cast<size_t>(__builtin_popcount(m));
}

MENSHEN_AVX2_TARGET inline size_t Compact(__m256i bytes, uint32_t keep, char* t, size_t at) {
  const __m128i low = _mm256_castsi256_si128(bytes);
  const __m128i high = _mm256_extracti128_si256(bytes, 1);
  const uint32_t m0 = keep & 0xFF, m1 = (keep >> 8) & 0xFF, m2 = (keep >> 16) & 0xFF, m3 = keep >> 24;
  at = CompactEight(low, kCompact.low[m0], m0, t, at);
  at = CompactEight(low, kCompact.high[m1], m1, t, at);
  at = CompactEight(high, kCompact.low[m2], m2, t, at);
  return CompactEight(high, kCompact.high[m3], m3, t, at);
}

MENSHEN_AVX2_TARGET inline __m256i Bytes(int b) { return _mm256_set1_epi8(static_cast<char>(b)); }

// The 64-entry table of `rows` (four 16-byte rows, each in both lanes) at
// the low six bits of `index`.
MENSHEN_AVX2_TARGET inline __m256i Lookup64(const __m256i rows[4], __m256i index) {
  const __m256i bit4 = _mm256_slli_epi16(index, 3);  // bit 4 of each byte to bit 7
  const __m256i bit5 = _mm256_slli_epi16(index, 2);
  const __m256i low = _mm256_blendv_epi8(_mm256_shuffle_epi8(rows[0], index),
                                         _mm256_shuffle_epi8(rows[1], index), bit4);
  const __m256i high = _mm256_blendv_epi8(_mm256_shuffle_epi8(rows[2], index),
                                          _mm256_shuffle_epi8(rows[3], index), bit4);
  return _mm256_blendv_epi8(low, high, bit5);
}

// Bit k set when the code point at byte k (hi << 8 | lo, one of
// `candidates`, all in U+3000..U+9FFF) is Han that folds to itself: eight
// gathers from the identity bitmap at a time.
MENSHEN_AVX2_TARGET inline uint32_t HanIdentity(__m256i hi, __m256i lo, __m256i candidates) {
  const __m256i first = _mm256_set1_epi32(static_cast<int>(ft::kCjkFirst));
  const __m256i low5 = _mm256_set1_epi32(31);
  const __m256i one = _mm256_set1_epi32(1);
  uint32_t bits = 0;
  for (int half = 0; half < 2; ++half) {
    const __m128i h = half == 0 ? _mm256_castsi256_si128(hi) : _mm256_extracti128_si256(hi, 1);
    const __m128i l = half == 0 ? _mm256_castsi256_si128(lo) : _mm256_extracti128_si256(lo, 1);
    const __m128i c =
        half == 0 ? _mm256_castsi256_si128(candidates) : _mm256_extracti128_si256(candidates, 1);
    for (int quarter = 0; quarter < 2; ++quarter) {
      const int shift = quarter * 8;
      const __m128i hq = quarter == 0 ? h : _mm_srli_si128(h, 8);
      const __m128i lq = quarter == 0 ? l : _mm_srli_si128(l, 8);
      const __m128i cq = quarter == 0 ? c : _mm_srli_si128(c, 8);
      const __m256i cp = _mm256_or_si256(_mm256_slli_epi32(_mm256_cvtepu8_epi32(hq), 8),
                                         _mm256_cvtepu8_epi32(lq));
      const __m256i index = _mm256_sub_epi32(cp, first);
      const __m256i words = _mm256_mask_i32gather_epi32(
          _mm256_setzero_si256(), reinterpret_cast<const int*>(ft::kHanIdentity),
          _mm256_srli_epi32(index, 5), _mm256_cvtepi8_epi32(cq), 4);
      const __m256i bit =
          _mm256_and_si256(_mm256_srlv_epi32(words, _mm256_and_si256(index, low5)), one);
      const uint32_t m = static_cast<uint32_t>(
          _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(bit, one))));
      bits |= m << (16 * half + shift);
    }
  }
  return bits;
}

template <bool kSkipNoise>
MENSHEN_AVX2_TARGET size_t FoldWindowsImpl(const unsigned char* input, size_t from, size_t room,
                                           char* t, FoldBlockState* state) {
  const unsigned char* in = input + from;
  size_t out = state->out;
  uint64_t pending = state->pending;
  size_t run_start = state->run_start;
  size_t next_checkpoint = state->next_checkpoint;
  FoldCheckpoint* const checkpoints = state->checkpoints;
  size_t checkpoint_count = state->checkpoint_count;

  auto bytes = Bytes;
  const __m256i c_f0 = bytes(0xF0), c_e0 = bytes(0xE0), c_c0 = bytes(0xC0), c_c1 = bytes(0xC1 - 256),
                c_0f = bytes(0x0F), c_03 = bytes(0x03), c_1c = bytes(0x1C), c_3f = bytes(0x3F),
                c_20 = bytes(0x20), c_cont = bytes(-64);
  const __m256i c_before_a = bytes('a' - 1), c_after_z = bytes('z' + 1);
  const __m256i c_before_upper = bytes('A' - 1), c_after_upper = bytes('Z' + 1);
  const __m256i c_before_0 = bytes('0' - 1), c_after_9 = bytes('9' + 1);
  const __m256i c_han_first = bytes(0x34), c_han_span = bytes(0x9F - 0x34);
  const __m256i c_same_noise = bytes(kSameNoise), c_same_word = bytes(kSameWord);
  __m256i punctuation_rows[kChunks][4];
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    for (int row = 0; row < 4; ++row) {
      punctuation_rows[chunk][row] = _mm256_broadcastsi128_si256(_mm_load_si128(
          reinterpret_cast<const __m128i*>(kPunctuation.value[chunk] + 16 * row)));
    }
  }
  alignas(32) uint8_t hi_lanes[32];
  alignas(32) uint8_t lo_lanes[32];
  alignas(32) uint8_t patch[48];

  size_t p = 0;
  bool stopped = false;
  while (!stopped && p + kFoldWindowBytes <= room) {
    const unsigned char* q = in + p;
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    const uint32_t non_ascii = static_cast<uint32_t>(_mm256_movemask_epi8(v));
    const __m256i upper =
        _mm256_and_si256(_mm256_cmpgt_epi8(v, c_before_upper), _mm256_cmpgt_epi8(c_after_upper, v));
    const __m256i lower = _mm256_or_si256(v, c_20);
    const __m256i alnum_v = _mm256_or_si256(
        _mm256_and_si256(_mm256_cmpgt_epi8(lower, c_before_a), _mm256_cmpgt_epi8(c_after_z, lower)),
        _mm256_and_si256(_mm256_cmpgt_epi8(v, c_before_0), _mm256_cmpgt_epi8(c_after_9, v)));
    const uint32_t alnum = static_cast<uint32_t>(_mm256_movemask_epi8(alnum_v));
    const __m256i lowered = _mm256_or_si256(v, _mm256_and_si256(upper, c_20));

    if (non_ascii == 0) {
      // ASCII only: lower case, and any letter or digit closes an open run.
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(t + out), lowered);
      out += kFoldWindowBytes;
      if (kSkipNoise) pending = alnum != 0 ? kNoNoiseRun : pending + kFoldWindowBytes;
      p += kFoldWindowBytes;
    } else {
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 1));
      const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 2));
      const uint32_t ascii = ~non_ascii;
      // 0x80..0xBF are -128..-65 as signed bytes.
      const uint32_t cont = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpgt_epi8(c_cont, v)));
      const __m256i lead2_v = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, c_e0), c_c0),
                                               _mm256_cmpgt_epi8(v, c_c1));
      const uint32_t lead2 = static_cast<uint32_t>(_mm256_movemask_epi8(lead2_v));
      const uint32_t lead3 = static_cast<uint32_t>(
          _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(v, c_f0), c_e0)));
      const uint32_t expected = (lead2 << 1) | (lead3 << 1) | (lead3 << 2);
      // The code points wholly within the 32 bytes (one starting at byte 30
      // or 31 is the next window's).
      uint32_t valid = (lead3 & (1u << 30)) != 0                 ? LowBits(30)
                       : ((lead2 | lead3) & (1u << 31)) != 0 ? LowBits(31)
                                                               : ~0u;
      // Over all 32 bytes: a bad byte in the next window's part still ends a
      // code point of this one too early.
      const uint32_t bad = ((ascii | lead2 | lead3) & expected) | (cont & ~expected) |
                           ~(ascii | lead2 | lead3 | cont);
      if (bad != 0) {
        // Up to the start of the code point the first bad byte belongs to.
        unsigned b = static_cast<unsigned>(__builtin_ctz(bad));
        if ((expected >> b) & 1) b -= (((lead2 | lead3) >> (b - 1)) & 1) ? 1 : 2;
        valid &= LowBits(b);
        stopped = true;
      }
      // Code points of two and three bytes, at their lead bytes: hi = cp >> 8,
      // lo = cp & 0xFF.
      const __m256i hi3 = _mm256_or_si256(
          _mm256_slli_epi16(_mm256_and_si256(v, c_0f), 4),
          _mm256_and_si256(_mm256_srli_epi16(v1, 2), c_0f));
      const __m256i lo3 = _mm256_or_si256(
          _mm256_slli_epi16(_mm256_and_si256(v1, c_03), 6), _mm256_and_si256(v2, c_3f));
      const __m256i from_han = _mm256_sub_epi8(hi3, c_han_first);
      const uint32_t han_range = static_cast<uint32_t>(_mm256_movemask_epi8(
          _mm256_cmpeq_epi8(_mm256_min_epu8(from_han, c_han_span), from_han)));
      const uint32_t threes = lead3 & valid;
      const uint32_t twos = lead2 & valid;
      // Han that folds to itself: a bit of the identity bitmap each.
      // As if every Han candidate folded to itself; the look-up only decides
      // a predicted branch (see FoldWindows512Impl).
      const uint32_t candidates = threes & han_range;
      uint32_t han = candidates;
      uint32_t not_identity = 0;
      if (candidates != 0) {
        const __m256i lead3_v = _mm256_cmpeq_epi8(_mm256_and_si256(v, c_f0), c_e0);
        const uint32_t identity =
            HanIdentity(hi3, lo3,
                        _mm256_and_si256(lead3_v, _mm256_cmpeq_epi8(
                                                      _mm256_min_epu8(from_han, c_han_span), from_han))) &
            threes;
        if (__builtin_expect(identity != candidates, 0)) {
          han = identity;
          not_identity = candidates & ~identity;
        }
      }
      // Chinese punctuation, from the shuffle tables.
      __m256i punctuation = _mm256_setzero_si256();
      const __m256i index = _mm256_and_si256(lo3, c_3f);
      const __m256i top = _mm256_and_si256(lo3, c_c0);
      for (int chunk = 0; chunk < kChunks; ++chunk) {
        const __m256i in_chunk = _mm256_and_si256(
            _mm256_cmpeq_epi8(hi3, Bytes(static_cast<int>(kPunctuationChunks[chunk] >> 8))),
            _mm256_cmpeq_epi8(top, Bytes(static_cast<int>(kPunctuationChunks[chunk] & 0xC0))));
        punctuation = _mm256_or_si256(
            punctuation, _mm256_and_si256(in_chunk, Lookup64(punctuation_rows[chunk], index)));
      }
      const uint32_t punctuated =
          threes & ~static_cast<uint32_t>(_mm256_movemask_epi8(
                       _mm256_cmpeq_epi8(punctuation, _mm256_setzero_si256())));
      const uint32_t same_noise = punctuated & static_cast<uint32_t>(_mm256_movemask_epi8(
                                                   _mm256_cmpeq_epi8(punctuation, c_same_noise)));
      const uint32_t same_word = punctuated & static_cast<uint32_t>(_mm256_movemask_epi8(
                                                  _mm256_cmpeq_epi8(punctuation, c_same_word)));
      const uint32_t to_ascii = punctuated & ~(same_noise | same_word);
      // The ASCII character's class: a letter or digit is a word character.
      const __m256i p_lower = _mm256_or_si256(punctuation, c_20);
      const uint32_t ascii_alnum = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(
          _mm256_and_si256(_mm256_cmpgt_epi8(p_lower, c_before_a), _mm256_cmpgt_epi8(c_after_z, p_lower)),
          _mm256_and_si256(_mm256_cmpgt_epi8(punctuation, c_before_0),
                           _mm256_cmpgt_epi8(c_after_9, punctuation)))));
      // Everything else of two or three bytes, from the fold table: it folds
      // to itself or to one code point no longer than itself, or the window
      // stops before it.
      uint32_t noise_multi = same_noise | (to_ascii & ~ascii_alnum);
      uint32_t word_multi = same_word | (to_ascii & ascii_alnum);
      uint32_t shrink = (to_ascii << 1) | (to_ascii << 2);
      uint32_t unsupported = 0;
      const uint32_t slow = (threes & ~candidates & ~punctuated) | not_identity | twos;
      bool patched = false;
      if (slow != 0) {
        if (twos != 0) {
          const __m256i hi2 = _mm256_srli_epi16(_mm256_and_si256(v, c_1c), 2);
          const __m256i lo2 = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(v, c_03), 6),
                                              _mm256_and_si256(v1, c_3f));
          _mm256_store_si256(reinterpret_cast<__m256i*>(hi_lanes), _mm256_blendv_epi8(hi3, hi2, lead2_v));
          _mm256_store_si256(reinterpret_cast<__m256i*>(lo_lanes), _mm256_blendv_epi8(lo3, lo2, lead2_v));
        } else {
          _mm256_store_si256(reinterpret_cast<__m256i*>(hi_lanes), hi3);
          _mm256_store_si256(reinterpret_cast<__m256i*>(lo_lanes), lo3);
        }
        _mm256_store_si256(reinterpret_cast<__m256i*>(patch), v);
        patched = true;
        for (uint32_t m = slow; m != 0; m &= m - 1) {
          const unsigned k = static_cast<unsigned>(__builtin_ctz(m));
          const uint32_t cp = (uint32_t{hi_lanes[k]} << 8) | lo_lanes[k];
          const uint32_t length = 3 - ((twos >> k) & 1);
          const uint32_t en = ft::Lookup(cp);
          const uint32_t mode = ft::ModeOf(en);
          const uint32_t cls = ft::ClassOf(en);
          const uint32_t target = mode == ft::kModeIdentity ? cp : en & ft::kValueMask;
          const uint32_t target_length = target < 0x80 ? 1 : target < 0x800 ? 2 : target < 0x10000 ? 3 : 4;
          // Overlong forms and surrogates decode to code points no window takes.
          const bool ok = ((mode == ft::kModeIdentity) | (mode == ft::kModeSingle)) &
                          (target_length <= length) & ((target & 0xF800) != 0xD800) &
                          (cp >= (length == 3 ? 0x800u : 0x80u)) & ((cp & 0xF800) != 0xD800);
          if (target_length == 1) {
            patch[k] = static_cast<uint8_t>(target);
          } else if (target_length == 2) {
            patch[k] = static_cast<uint8_t>(0xC0 | (target >> 6));
            patch[k + 1] = static_cast<uint8_t>(0x80 | (target & 0x3F));
          } else {
            patch[k] = static_cast<uint8_t>(0xE0 | (target >> 12));
            patch[k + 1] = static_cast<uint8_t>(0x80 | ((target >> 6) & 0x3F));
            patch[k + 2] = static_cast<uint8_t>(0x80 | (target & 0x3F));
          }
          const uint32_t bit = 1u << k;
          unsupported |= ok ? 0 : bit;
          shrink |= (LowBits(length) & ~LowBits(target_length)) << k;
          han |= cls == ft::kClassHan ? bit : 0;
          noise_multi |= cls == ft::kClassNoise ? bit : 0;
          word_multi |= (cls == ft::kClassWord) | (cls == ft::kClassOther) ? bit : 0;
        }
        if (unsupported != 0) {
          valid &= LowBits(static_cast<unsigned>(__builtin_ctz(unsupported)));
          stopped = true;
        }
      }
      const uint32_t leads3 = lead3 & valid;
      const uint32_t leads2 = lead2 & valid;
      // A code point folded to a shorter one keeps its first bytes only.
      uint32_t keep = valid & ~shrink;
      size_t at = out;
      if (kSkipNoise) {
        const uint32_t h = han & valid;
        const uint32_t n = ((ascii & ~alnum) | noise_multi) & valid;
        const uint32_t stops = h | (((ascii & alnum) | word_multi) & valid);
        const uint32_t noise_bytes =
            n | ((n & (leads2 | leads3)) << 1) | ((n & leads3) << 2);
        // Runs of noise between two Han characters: those that start just
        // after a Han character's last byte (a carry through the run) and
        // those that end just before one (smeared down the run).
        const uint64_t runs = noise_bytes;
        const uint64_t seeds = (uint64_t{h} << 3) & runs;
        const uint32_t after = static_cast<uint32_t>(((runs + seeds) ^ runs) & runs);
        const uint32_t a1 = noise_bytes;
        const uint32_t a2 = a1 & (a1 >> 1);
        const uint32_t a4 = a2 & (a2 >> 2);
        const uint32_t a8 = a4 & (a4 >> 4);
        const uint32_t a16 = a8 & (a8 >> 8);
        uint32_t before = a1 & (h >> 1);
        before |= (before >> 1) & a1;
        before |= (before >> 2) & a2;
        before |= (before >> 4) & a4;
        before |= (before >> 8) & a8;
        before |= (before >> 16) & a16;
        uint32_t dropped = after & before;
        if (HasLongByteRun(dropped)) {
          // Runs of more than kMaxNoiseRun code points are kept as text.
          const uint32_t leads = (ascii | lead2 | lead3) & valid;
          for (uint32_t r = dropped; r != 0;) {
            const unsigned start = static_cast<unsigned>(__builtin_ctz(r));
            const uint32_t tail = ~(r >> start);
            const unsigned length = tail == 0 ? 32 - start : static_cast<unsigned>(__builtin_ctz(tail));
            const uint32_t run = LowBits(length) << start;
            if (__builtin_popcount(leads & run) > kMaxNoiseRun) dropped &= ~run;
            r &= ~run;
          }
        }
        keep &= ~dropped;
        // The run before the first character that is not noise continues
        // the state's open run: dropped with it when that character is Han
        // and the run is short enough. Unsigned: no run open is out of range.
        // Without branches: which way each goes depends on the text. Bit
        // 32 stands in for "no such character".
        const uint64_t h64 = h;
        const unsigned first = static_cast<unsigned>(_tzcnt_u64(uint64_t{stops} | (uint64_t{1} << 32)));
        const uint64_t before_first = (uint64_t{1} << first) - 1;
        const uint64_t opened = pending + static_cast<uint64_t>(__builtin_popcountll(n & before_first));
        const bool rewind = (((h64 >> first) & 1) != 0) & (opened - 1 < kMaxNoiseRun);
        at = rewind ? run_start : out;
        keep &= rewind ? ~static_cast<uint32_t>(before_first) : ~0u;
        // last + 1, or 0 (no LZCNT: it is not among the features checked)
        const unsigned after_last = stops == 0 ? 0 : 32 - static_cast<unsigned>(__builtin_clz(stops));
        const bool last_han = (((h64 << 1) >> after_last) & 1) != 0;
        const uint64_t trailing =
            static_cast<uint64_t>(__builtin_popcountll(uint64_t{n} >> after_last));
        const size_t through_last = static_cast<size_t>(
            __builtin_popcountll(keep & ((uint64_t{1} << (after_last + 2)) - 1)));
        pending = stops == 0 ? pending + static_cast<uint64_t>(__builtin_popcount(n))
                  : last_han ? trailing
                             : kNoNoiseRun;
        run_start = last_han ? at + through_last : run_start;
      }
      __m256i kept_bytes = lowered;
      if (patched) {
        kept_bytes = _mm256_or_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(patch)),
                                     _mm256_and_si256(upper, c_20));
      }
      // Punctuation folded to ASCII writes that character at its lead byte.
      const __m256i ascii_lead = _mm256_and_si256(
          _mm256_cmpgt_epi8(punctuation, _mm256_setzero_si256()), _mm256_cmpeq_epi8(_mm256_and_si256(v, c_f0), c_e0));
      kept_bytes = _mm256_blendv_epi8(kept_bytes, punctuation, ascii_lead);
      out = Compact(kept_bytes, keep, t, at);
      p += valid == ~0u ? 32 : static_cast<size_t>(__builtin_ctz(~valid));
    }
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

// ---- Windows (AVX-512) ------------------------------------------------------
//
// The same windows, 64 bytes at a time, with what AVX-512 adds: masks in
// mask registers, 128-entry punctuation tables in two registers each
// (vpermi2b), the Han candidates compressed into gather lanes, and the kept
// bytes written with one compress.

#define MENSHEN_WINDOWS512_TARGET                                                         \
  __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt")))

inline bool HasLongByteRun64(uint64_t runs) {
  static_assert(kMaxNoiseRun == 8);
  const uint64_t two = runs & (runs >> 1);
  const uint64_t four = two & (two >> 2);
  const uint64_t eight = four & (four >> 4);
  return (eight & (runs >> 8)) != 0;
}

MENSHEN_WINDOWS512_TARGET inline __m512i Bytes512(int b) {
  return _mm512_set1_epi8(static_cast<char>(b));
}

// Bit k set when the code point at byte k (hi << 8 | lo, a bit of
// `candidates`, all in U+3000..U+9FFF) is Han that folds to itself.
MENSHEN_WINDOWS512_TARGET inline uint64_t HanIdentity512(__m512i hi, __m512i lo,
                                                          uint64_t candidates) {
  const __m512i his = _mm512_maskz_compress_epi8(candidates, hi);
  const __m512i los = _mm512_maskz_compress_epi8(candidates, lo);
  const unsigned count = static_cast<unsigned>(__builtin_popcountll(candidates));
  const __m512i first = _mm512_set1_epi32(static_cast<int>(ft::kCjkFirst));
  const __m512i low5 = _mm512_set1_epi32(31);
  const __m512i one = _mm512_set1_epi32(1);
  uint64_t identity = 0;
  for (unsigned base = 0; base < count; base += 16) {
    const __m128i h = _mm512_extracti32x4_epi32(his, 0);
    const __m128i l = _mm512_extracti32x4_epi32(los, 0);
    const __m128i h1 = _mm512_extracti32x4_epi32(his, 1);
    const __m128i l1 = _mm512_extracti32x4_epi32(los, 1);
    const __m512i cp = _mm512_or_si512(_mm512_slli_epi32(_mm512_cvtepu8_epi32(base == 0 ? h : h1), 8),
                                       _mm512_cvtepu8_epi32(base == 0 ? l : l1));
    const __m512i index = _mm512_sub_epi32(cp, first);
    const __mmask16 present = static_cast<__mmask16>(_bzhi_u32(0xFFFF, count - base));
    const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), present,
                                                      _mm512_srli_epi32(index, 5),
                                                      ft::kHanIdentity, 4);
    const __mmask16 bits = _mm512_test_epi32_mask(
        _mm512_srlv_epi32(words, _mm512_and_si512(index, low5)), one);
    identity |= uint64_t{bits} << base;
  }
  return _pdep_u64(identity, candidates);
}

template <bool kSkipNoise>
MENSHEN_WINDOWS512_TARGET size_t FoldWindows512Impl(const unsigned char* input, size_t from,
                                                    size_t room, char* t, FoldBlockState* state,
                                                    bool yield) {
  const unsigned char* in = input + from;
  size_t out = state->out;
  uint64_t pending = state->pending;
  size_t run_start = state->run_start;
  size_t next_checkpoint = state->next_checkpoint;
  FoldCheckpoint* const checkpoints = state->checkpoints;
  size_t checkpoint_count = state->checkpoint_count;

  const __m512i c_f0 = Bytes512(0xF0), c_e0 = Bytes512(0xE0), c_c0 = Bytes512(0xC0),
                c_0f = Bytes512(0x0F), c_03 = Bytes512(0x03), c_1c = Bytes512(0x1C),
                c_3f = Bytes512(0x3F), c_80 = Bytes512(0x80), c_20 = Bytes512(0x20);
  const __m512i c_same_noise = Bytes512(kSameNoise), c_same_word = Bytes512(kSameWord);
  __m512i tables[kChunks][2];
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    tables[chunk][0] = _mm512_load_si512(kPunctuation.value[chunk]);
    tables[chunk][1] = _mm512_load_si512(kPunctuation.value[chunk] + 64);
  }
  alignas(64) uint8_t hi_lanes[64];
  alignas(64) uint8_t lo_lanes[64];
  alignas(64) uint8_t patch[80];
  constexpr size_t kBytes = 64;

  size_t p = 0;
  bool stopped = false;
  while (!stopped && p + kBytes <= room) {
    const unsigned char* q = in + p;
    const __m512i v = _mm512_loadu_si512(q);
    const uint64_t non_ascii = _mm512_movepi8_mask(v);
    if (yield && p != 0 && non_ascii == ~uint64_t{0}) break;  // the blocks' turn
    const uint64_t upper = _mm512_cmp_epu8_mask(_mm512_sub_epi8(v, Bytes512('A')), Bytes512(26),
                                                _MM_CMPINT_LT);
    const __m512i lower = _mm512_or_si512(v, c_20);
    const uint64_t alnum =
        _mm512_cmp_epu8_mask(_mm512_sub_epi8(lower, Bytes512('a')), Bytes512(26), _MM_CMPINT_LT) |
        _mm512_cmp_epu8_mask(_mm512_sub_epi8(v, Bytes512('0')), Bytes512(10), _MM_CMPINT_LT);
    const __m512i lowered = _mm512_or_si512(v, _mm512_maskz_mov_epi8(upper, c_20));

    if (non_ascii == 0) {
      _mm512_storeu_si512(t + out, lowered);
      out += kBytes;
      if (kSkipNoise) pending = alnum != 0 ? kNoNoiseRun : pending + kBytes;
      p += kBytes;
    } else {
      const __m512i v1 = _mm512_loadu_si512(q + 1);
      const __m512i v2 = _mm512_loadu_si512(q + 2);
      const uint64_t ascii = ~non_ascii;
      const uint64_t cont = _mm512_cmplt_epi8_mask(v, Bytes512(-64));
      const uint64_t lead2 = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, c_e0), c_c0) &
                             _mm512_cmpgt_epi8_mask(v, Bytes512(0xC1 - 256));
      const uint64_t lead3 = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, c_f0), c_e0);
      const uint64_t expected = (lead2 << 1) | (lead3 << 1) | (lead3 << 2);
      uint64_t valid = (lead3 >> 62) & 1                   ? _bzhi_u64(~uint64_t{0}, 62)
                       : (((lead2 | lead3) >> 63) & 1) != 0 ? _bzhi_u64(~uint64_t{0}, 63)
                                                            : ~uint64_t{0};
      const uint64_t bad = ((ascii | lead2 | lead3) & expected) | (cont & ~expected) |
                           ~(ascii | lead2 | lead3 | cont);
      if (bad != 0) {
        unsigned b = static_cast<unsigned>(_tzcnt_u64(bad));
        if ((expected >> b) & 1) b -= (((lead2 | lead3) >> (b - 1)) & 1) ? 1 : 2;
        valid &= _bzhi_u64(~uint64_t{0}, b);
        stopped = true;
      }
      const __m512i hi3 = _mm512_or_si512(
          _mm512_slli_epi16(_mm512_and_si512(v, c_0f), 4),
          _mm512_and_si512(_mm512_srli_epi16(v1, 2), c_0f));
      const __m512i lo3 = _mm512_or_si512(
          _mm512_slli_epi16(_mm512_and_si512(v1, c_03), 6), _mm512_and_si512(v2, c_3f));
      const uint64_t threes = lead3 & valid;
      const uint64_t twos = lead2 & valid;
      const uint64_t han_range = _mm512_cmp_epu8_mask(_mm512_sub_epi8(hi3, Bytes512(0x34)),
                                                      Bytes512(0x9F - 0x34), _MM_CMPINT_LE);
      // Han that folds to itself. The windows go on as if every Han
      // candidate did (nearly all do) and the look-up only decides a
      // predicted branch: the gathers' latency stays off the chain from one
      // window's output position to the next.
      const uint64_t candidates = threes & han_range;
      uint64_t han = candidates;
      uint64_t not_identity = 0;
      if (candidates != 0) {
        const uint64_t identity = HanIdentity512(hi3, lo3, candidates);
        if (__builtin_expect(identity != candidates, 0)) {
          han = identity;
          not_identity = candidates & ~identity;
        }
      }
      // Chinese punctuation, from the 128-entry tables.
      __m512i punctuation = _mm512_setzero_si512();
      const uint64_t low_half = _mm512_testn_epi8_mask(lo3, c_80);
      for (int chunk = 0; chunk < kChunks; ++chunk) {
        const uint64_t in_chunk =
            _mm512_cmpeq_epi8_mask(hi3, Bytes512(static_cast<int>(kPunctuationChunks[chunk] >> 8))) &
            low_half;
        punctuation = _mm512_mask_mov_epi8(
            punctuation, in_chunk,
            _mm512_permutex2var_epi8(tables[chunk][0], lo3, tables[chunk][1]));
      }
      const uint64_t punctuated = threes & _mm512_test_epi8_mask(punctuation, punctuation);
      const uint64_t same_noise = punctuated & _mm512_cmpeq_epi8_mask(punctuation, c_same_noise);
      const uint64_t same_word = punctuated & _mm512_cmpeq_epi8_mask(punctuation, c_same_word);
      const uint64_t to_ascii = punctuated & ~(same_noise | same_word);
      const uint64_t ascii_alnum =
          _mm512_cmp_epu8_mask(_mm512_sub_epi8(_mm512_or_si512(punctuation, c_20), Bytes512('a')),
                               Bytes512(26), _MM_CMPINT_LT) |
          _mm512_cmp_epu8_mask(_mm512_sub_epi8(punctuation, Bytes512('0')), Bytes512(10),
                               _MM_CMPINT_LT);
      uint64_t noise_multi = same_noise | (to_ascii & ~ascii_alnum);
      uint64_t word_multi = same_word | (to_ascii & ascii_alnum);
      uint64_t shrink = (to_ascii << 1) | (to_ascii << 2);
      uint64_t unsupported = 0;
      const uint64_t slow = (threes & ~candidates & ~punctuated) | not_identity | twos;
      bool patched = false;
      if (slow != 0) {
        const __m512i hi2 = _mm512_srli_epi16(_mm512_and_si512(v, c_1c), 2);
        const __m512i lo2 = _mm512_or_si512(_mm512_slli_epi16(_mm512_and_si512(v, c_03), 6),
                                            _mm512_and_si512(v1, c_3f));
        _mm512_store_si512(hi_lanes, _mm512_mask_mov_epi8(hi3, lead2, hi2));
        _mm512_store_si512(lo_lanes, _mm512_mask_mov_epi8(lo3, lead2, lo2));
        _mm512_store_si512(patch, v);
        patched = true;
        for (uint64_t m = slow; m != 0; m &= m - 1) {
          const unsigned k = static_cast<unsigned>(_tzcnt_u64(m));
          const uint32_t cp = (uint32_t{hi_lanes[k]} << 8) | lo_lanes[k];
          const uint32_t length = 3 - static_cast<uint32_t>((twos >> k) & 1);
          const uint32_t en = ft::Lookup(cp);
          const uint32_t mode = ft::ModeOf(en);
          const uint32_t cls = ft::ClassOf(en);
          const uint32_t target = mode == ft::kModeIdentity ? cp : en & ft::kValueMask;
          const uint32_t target_length = target < 0x80 ? 1 : target < 0x800 ? 2 : target < 0x10000 ? 3 : 4;
          const bool ok = ((mode == ft::kModeIdentity) | (mode == ft::kModeSingle)) &
                          (target_length <= length) & ((target & 0xF800) != 0xD800) &
                          (cp >= (length == 3 ? 0x800u : 0x80u)) & ((cp & 0xF800) != 0xD800);
          if (target_length == 1) {
            patch[k] = static_cast<uint8_t>(target);
          } else if (target_length == 2) {
            patch[k] = static_cast<uint8_t>(0xC0 | (target >> 6));
            patch[k + 1] = static_cast<uint8_t>(0x80 | (target & 0x3F));
          } else {
            patch[k] = static_cast<uint8_t>(0xE0 | (target >> 12));
            patch[k + 1] = static_cast<uint8_t>(0x80 | ((target >> 6) & 0x3F));
            patch[k + 2] = static_cast<uint8_t>(0x80 | (target & 0x3F));
          }
          const uint64_t bit = uint64_t{1} << k;
          unsupported |= ok ? 0 : bit;
          shrink |= uint64_t{_bzhi_u32(7, length) & ~_bzhi_u32(7, target_length)} << k;
          han |= cls == ft::kClassHan ? bit : 0;
          noise_multi |= cls == ft::kClassNoise ? bit : 0;
          word_multi |= (cls == ft::kClassWord) | (cls == ft::kClassOther) ? bit : 0;
        }
        if (unsupported != 0) {
          valid &= _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(_tzcnt_u64(unsupported)));
          stopped = true;
        }
      }
      const uint64_t leads3 = lead3 & valid;
      const uint64_t leads2 = lead2 & valid;
      uint64_t keep = valid & ~shrink;
      size_t at = out;
      if (kSkipNoise) {
        const uint64_t h = han & valid;
        const uint64_t n = ((ascii & ~alnum) | noise_multi) & valid;
        const uint64_t stops = h | (((ascii & alnum) | word_multi) & valid);
        const uint64_t runs = n | ((n & (leads2 | leads3)) << 1) | ((n & leads3) << 2);
        const uint64_t seeds = (h << 3) & runs;
        const uint64_t after = ((runs + seeds) ^ runs) & runs;
        const uint64_t a2 = runs & (runs >> 1);
        const uint64_t a4 = a2 & (a2 >> 2);
        const uint64_t a8 = a4 & (a4 >> 4);
        const uint64_t a16 = a8 & (a8 >> 8);
        const uint64_t a32 = a16 & (a16 >> 16);
        uint64_t before = runs & (h >> 1);
        before |= (before >> 1) & runs;
        before |= (before >> 2) & a2;
        before |= (before >> 4) & a4;
        before |= (before >> 8) & a8;
        before |= (before >> 16) & a16;
        before |= (before >> 32) & a32;
        uint64_t dropped = after & before;
        if (HasLongByteRun64(dropped)) {
          const uint64_t leads = (ascii | lead2 | lead3) & valid;
          for (uint64_t r = dropped; r != 0;) {
            const unsigned start = static_cast<unsigned>(_tzcnt_u64(r));
            const unsigned length = static_cast<unsigned>(_tzcnt_u64(~(r >> start)));
            const uint64_t run = _bzhi_u64(~uint64_t{0}, length) << start;
            if (__builtin_popcountll(leads & run) > kMaxNoiseRun) dropped &= ~run;
            r &= ~run;
          }
        }
        keep &= ~dropped;
        const unsigned first = static_cast<unsigned>(_tzcnt_u64(stops));  // 64 when none
        const uint64_t before_first = _bzhi_u64(~uint64_t{0}, first);
        const uint64_t opened = pending + static_cast<uint64_t>(__builtin_popcountll(n & before_first));
        const bool rewind =
            (stops != 0) & (((h >> (first & 63)) & 1) != 0) & (opened - 1 < kMaxNoiseRun);
        at = rewind ? run_start : out;
        keep &= rewind ? ~before_first : ~uint64_t{0};
        const unsigned after_last =  // last + 1, or 0 when none
            stops == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(stops));
        const bool last_han = (stops != 0) & (((h >> ((after_last - 1) & 63)) & 1) != 0);
        const uint64_t trailing = static_cast<uint64_t>(
            __builtin_popcountll(n & ~_bzhi_u64(~uint64_t{0}, after_last)));
        const size_t through_last = static_cast<size_t>(
            __builtin_popcountll(keep & _bzhi_u64(~uint64_t{0}, after_last + 2)));
        pending = stops == 0 ? pending + static_cast<uint64_t>(__builtin_popcountll(n))
                  : last_han ? trailing
                             : kNoNoiseRun;
        run_start = last_han ? at + through_last : run_start;
      }
      __m512i kept = lowered;
      if (patched) {
        kept = _mm512_or_si512(_mm512_load_si512(patch), _mm512_maskz_mov_epi8(upper, c_20));
      }
      kept = _mm512_mask_mov_epi8(kept, to_ascii & valid, punctuation);
      _mm512_storeu_si512(t + at, _mm512_maskz_compress_epi8(keep, kept));
      out = at + static_cast<size_t>(__builtin_popcountll(keep));
      p += valid == ~uint64_t{0} ? kBytes : static_cast<size_t>(_tzcnt_u64(~valid));
    }
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

bool FoldWindows512Supported() {
  static const bool supported = FoldBlockSupported() &&
                                AsciiAsWindowsAssume();
  return supported;
}

template <bool kSkipNoise>
size_t FoldWindows512(const unsigned char* input, size_t from, size_t room, char* t,
                      FoldBlockState* state, bool yield) {
  return FoldWindows512Impl<kSkipNoise>(input, from, room, t, state, yield);
}

bool FoldWindowsAvx2Supported() {
  static const bool supported = __builtin_cpu_supports("avx2") &&
                                __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                                __builtin_cpu_supports("popcnt") && AsciiAsWindowsAssume();
  return supported;
}

template <bool kSkipNoise>
size_t FoldWindowsAvx2(const unsigned char* input, size_t from, size_t room, char* t,
                       FoldBlockState* state) {
  return FoldWindowsImpl<kSkipNoise>(input, from, room, t, state);
}

#else  // not x86-64

bool FoldBlockSupported() { return false; }
bool FoldWindowsAvx2Supported() { return false; }
bool FoldWindows512Supported() { return false; }

template <bool kSkipNoise>
size_t FoldBlocks(const unsigned char*, size_t, size_t, char*, FoldBlockState*) {
  return 0;
}
template <bool kSkipNoise>
size_t FoldWindowsAvx2(const unsigned char*, size_t, size_t, char*, FoldBlockState*) {
  return 0;
}
template <bool kSkipNoise>
size_t FoldWindows512(const unsigned char*, size_t, size_t, char*, FoldBlockState*, bool) {
  return 0;
}

#endif

template size_t FoldBlocks<true>(const unsigned char*, size_t, size_t, char*, FoldBlockState*);
template size_t FoldBlocks<false>(const unsigned char*, size_t, size_t, char*,
                                  FoldBlockState*);
template size_t FoldWindowsAvx2<true>(const unsigned char*, size_t, size_t, char*,
                                      FoldBlockState*);
template size_t FoldWindowsAvx2<false>(const unsigned char*, size_t, size_t, char*,
                                       FoldBlockState*);
template size_t FoldWindows512<true>(const unsigned char*, size_t, size_t, char*,
                                     FoldBlockState*, bool);
template size_t FoldWindows512<false>(const unsigned char*, size_t, size_t, char*,
                                      FoldBlockState*, bool);

}  // namespace menshen::internal
