// See record_json.h for the rules; tests/audit/record_json_test.cc checks them
// byte for byte against protobuf's own printer.
#include "lib/audit/record_json.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "lib/audit/audit.pb.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace menshen::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Timestamp limits of protobuf's JSON printer: 0001-01-01T00:00:00Z and
// 9999-12-31T23:59:59Z, and nanos within the second.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
constexpr int32_t kMaxNanos = 999999999;

// Collects output in a stack buffer and hands it to the string in large
// pieces: one std::string::append per kilobyte instead of one per token.
class Sink {
 public:
  explicit Sink(std::string* out) : out_(out) {}
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  void Put(char c) {
    if (size_ == kCapacity) Flush();
    buf_[size_++] = c;
  }

  void Put(const char* p, size_t n) {
    if (n > kCapacity - size_) {
      Flush();
      if (n > kCapacity / 2) {  // long runs go straight to the string
        out_->append(p, n);
        return;
      }
    }
    std::memcpy(buf_ + size_, p, n);
    size_ += n;
  }

  // Room for `n` <= kCapacity bytes, to be written and then committed with Advance.
  char* Room(size_t n) {
    if (n > kCapacity - size_) Flush();
    return buf_ + size_;
  }
  void Advance(size_t n) { size_ += n; }

  void Flush() {
    out_->append(buf_, size_);
    size_ = 0;
  }

 private:
  static constexpr size_t kCapacity = 1024;
  std::string* out_;
  size_t size_ = 0;
  char buf_[kCapacity];
};

// The two-character escape of an ASCII byte (the letter after the backslash),
// or 0 when it has none.
constexpr char ShortEscape(int c) {
  switch (c) {
    case '\b': return 'b';
    case '\t': return 't';
    case '\n': return 'n';
    case '\f': return 'f';
    case '\r': return 'r';
    case '"': return '"';
    case '\\': return '\\';
    default: return 0;
  }
}

// The escape for each ASCII byte, or "" when the byte is copied as is.
struct AsciiEscapes {
  char text[128][7];
  unsigned char size[128];
  constexpr AsciiEscapes() : text(), size() {
    for (int c = 0; c < 128; ++c) {
      const char short_form = ShortEscape(c);
      if (short_form != 0) {
        text[c][0] = '\\';
        text[c][1] = short_form;
        size[c] = 2;
      } else if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
        text[c][0] = '\\';
        text[c][1] = 'u';
        text[c][2] = '0';
        text[c][3] = '0';
        text[c][4] = kHexDigits[c >> 4];
        text[c][5] = kHexDigits[c & 0xf];
        size[c] = 6;
      }
    }
  }
};
constexpr AsciiEscapes kAscii;

// Writes \uXXXX (lowercase hex) for a 16-bit code unit at `at`.
inline void PutU16(uint32_t unit, char* at) {
  at[0] = '\\';
  at[1] = 'u';
  at[2] = kHexDigits[(unit >> 12) & 0xf];
  at[3] = kHexDigits[(unit >> 8) & 0xf];
  at[4] = kHexDigits[(unit >> 4) & 0xf];
  at[5] = kHexDigits[unit & 0xf];
}

// Whether protobuf escapes the code point `cp` >= 0x80 (it then prints it as
// \uXXXX, or as a surrogate pair above U+FFFF).
inline bool NeedsEscape(uint32_t cp) {
  if (cp < 0x600) return cp < 0xa0 || cp == 0xad;
  if (cp < 0x2000) return cp <= 0x603 || cp == 0x6dd || cp == 0x70f || cp == 0x17b4 || cp == 0x17b5;
  if (cp < 0x2100) {
    return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f);
  }
  if (cp < 0xfeff) return false;
  if (cp < 0x10000) return cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
  return (cp >= 0x1d173 && cp <= 0x1d17a) || cp == 0xe0001 || (cp >= 0xe0020 && cp <= 0xe007f);
}

// Returns the first byte in [p, end) that is not ASCII copied as is: one that
// is >= 0x80, < 0x20, 0x7f, '"', '\\', '<' or '>'; `end` when there is none.
inline const char* SkipPlain(const char* p, const char* const end) {
#if defined(__SSE2__) && !defined(MENSHEN_RECORD_JSON_PORTABLE)
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compare: bytes < 0x20 and bytes >= 0x80 (negative) at once.
    __m128i m = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(m));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#else
  // Eight bytes at a time: a word-wide test that never misses such a byte
  // (it may see one that is not there; the byte loop below then decides).
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    const uint64_t special = (w - kOnes * 0x20) |  // borrows into the high bit of bytes < 0x20
                             has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) |
                             has_zero(w ^ (kOnes * '<')) | has_zero(w ^ (kOnes * '>')) |
                             has_zero(w ^ (kOnes * 0x7f));
    if (((special | w) & kHigh) != 0) break;
    p += 8;
  }
#endif
  while (p < end) {
    const auto b = static_cast<unsigned char>(*p);
    if (b >= 0x80 || kAscii.size[b] != 0) return p;
    ++p;
  }
  return end;
}

// Writes the character that starts with the byte *p >= 0x80 -- escaped,
// copied, or dropped when it is invalid UTF-8, exactly as protobuf's escaper
// does (see record_json.h) -- and returns the position after it. `*run` is
// the start of the bytes not yet written; they are written before anything
// is escaped or dropped.
inline const char* PutNonAscii(const char* p, const char* const end, const char** run, Sink& sink) {
  auto flush = [&] {
    if (p != *run) sink.Put(*run, static_cast<size_t>(p - *run));
  };
  const auto b = static_cast<unsigned char>(*p);
  int trail;  // continuation bytes the lead byte announces
  uint32_t cp;
  if (b < 0xc0 || b >= 0xf8) {  // a stray continuation byte or 0xf8..0xff: dropped
    flush();
    return *run = p + 1;
  } else if (b < 0xe0) {
    trail = 1;
    cp = b & 0x1f;
  } else if (b < 0xf0) {
    trail = 2;
    cp = b & 0x0f;
  } else {
    trail = 3;
    cp = b & 0x07;
  }
  const ptrdiff_t available = end - p - 1;
  if (available < trail) {
    // Cut off by the end of the string: dropped, unless a byte that is not a
    // continuation byte comes first (then dropped with that byte, below).
    bool all_continuations = true;
    for (ptrdiff_t k = 1; k <= available; ++k) {
      if ((static_cast<unsigned char>(p[k]) & 0xc0) != 0x80) all_continuations = false;
    }
    if (all_continuations) {
      flush();
      return *run = end;
    }
  }
  int k = 1;
  for (; k <= trail; ++k) {
    const auto c = static_cast<unsigned char>(p[k]);
    if ((c & 0xc0) != 0x80) break;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (k <= trail) {  // p[k] is not a continuation byte: p[0..k] are dropped
    flush();
    return *run = p + k + 1;
  }
  const char* const next = p + trail + 1;
  if ((cp & 0xfffff800) == 0xd800 || cp > 0x10ffff) {  // a surrogate or too large: dropped
    flush();
    return *run = next;
  }
  if (!NeedsEscape(cp) || (cp < 0x80 && kAscii.size[cp] == 0)) return next;  // copied as is
  flush();
  if (cp < 0x80) {  // an overlong encoding of an escaped ASCII character
    sink.Put(kAscii.text[cp], kAscii.size[cp]);
  } else if (cp < 0x10000) {
    PutU16(cp, sink.Room(6));
    sink.Advance(6);
  } else {
    char* at = sink.Room(12);
    const uint32_t v = cp - 0x10000;
    PutU16(0xd800 + (v >> 10), at);
    PutU16(0xdc00 + (v & 0x3ff), at + 6);
    sink.Advance(12);
  }
  return *run = next;
}

// Writes `s` escaped, without the quotes: runs of bytes that need no escape
// are copied whole; multi-byte sequences are decoded only to look up the few
// code points that protobuf escapes.
void PutEscaped(std::string_view s, Sink& sink) {
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;  // start of the bytes not yet written
  while ((p = SkipPlain(p, end)) != end) {
    const auto b = static_cast<unsigned char>(*p);
    if (b < 0x80) {
      if (p != run) sink.Put(run, static_cast<size_t>(p - run));
      sink.Put(kAscii.text[b], kAscii.size[b]);
      run = ++p;
      continue;
    }
    do {  // non-ASCII text tends to come in runs
      // Fast path for the bulk of CJK and other three-byte text: valid,
      // U+2100..U+D7FF or U+E000..U+FEFE, none of which is escaped.
      const auto lead = static_cast<unsigned char>(*p);
      if ((lead & 0xf0) == 0xe0 && end - p >= 3) {
        const auto c1 = static_cast<unsigned char>(p[1]);
        const auto c2 = static_cast<unsigned char>(p[2]);
        if ((c1 & 0xc0) == 0x80 && (c2 & 0xc0) == 0x80) {
          const uint32_t cp = ((lead & 0x0fu) << 12) | ((c1 & 0x3fu) << 6) | (c2 & 0x3fu);
          if ((cp >= 0x2100 && cp < 0xd800) || (cp >= 0xe000 && cp < 0xfeff)) {
            p += 3;
            continue;
          }
        }
      }
      p = PutNonAscii(p, end, &run, sink);
    } while (p != end && static_cast<unsigned char>(*p) >= 0x80);
  }
  if (p != run) sink.Put(run, static_cast<size_t>(p - run));
}

// Writes `key`, a literal such as ",\"rule\":\"" -- without its leading comma
// when it is the first member of its object.
template <size_t N>
inline void PutKey(const char (&key)[N], bool* first, Sink& sink) {
  const size_t skip = *first ? 1 : 0;
  *first = false;
  sink.Put(key + skip, N - 1 - skip);
}

// `key` ends with the opening quote of the value.
template <size_t N>
inline void PutStringField(const char (&key)[N], const std::string& value, bool* first,
                           Sink& sink) {
  PutKey(key, first, sink);
  PutEscaped(value, sink);
  sink.Put('"');
}

template <typename Int>
inline void PutInt(Int v, Sink& sink) {
  constexpr size_t kMaxDigits = 21;  // "-" and 20 digits
  char* at = sink.Room(kMaxDigits);
  const auto r = std::to_chars(at, at + kMaxDigits, v);
  sink.Advance(static_cast<size_t>(r.ptr - at));
}

// `key` ends with the opening quote of the value.
template <size_t N>
inline void PutUint64Field(const char (&key)[N], uint64_t value, bool* first, Sink& sink) {
  PutKey(key, first, sink);
  PutInt(value, sink);
  sink.Put('"');
}

inline void Put2(unsigned v, char* at) {
  at[0] = static_cast<char>('0' + v / 10);
  at[1] = static_cast<char>('0' + v % 10);
}

// Writes the RFC 3339 form of a range-checked timestamp, without quotes.
void PutTimestamp(int64_t seconds, int32_t nanos, Sink& sink) {
  // Days since 1970-01-01 and the second of the day, rounding down.
  int64_t days = seconds / 86400;
  int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  // The proleptic Gregorian date, counting in 400-year eras of 146,097 days
  // whose years start on March 1st, so that a leap day ends its year.
  const int64_t z = days + 719468;  // days since 0000-03-01
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  const auto day = static_cast<unsigned>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(month_index < 10 ? month_index + 3 : month_index - 9);
  const auto year = static_cast<unsigned>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));
  const auto sod = static_cast<unsigned>(second_of_day);

  char* const start = sink.Room(32);
  char* at = start;
  Put2(year / 100, at);
  Put2(year % 100, at + 2);
  at[4] = '-';
  Put2(month, at + 5);
  at[7] = '-';
  Put2(day, at + 8);
  at[10] = 'T';
  Put2(sod / 3600, at + 11);
  at[13] = ':';
  Put2(sod / 60 % 60, at + 14);
  at[16] = ':';
  Put2(sod % 60, at + 17);
  at += 19;
  if (nanos != 0) {  // 3, 6 or 9 digits: the fewest of those that are exact
    auto frac = static_cast<uint32_t>(nanos);
    int digits = 9;
    if (frac % 1000000 == 0) {
      frac /= 1000000;
      digits = 3;
    } else if (frac % 1000 == 0) {
      frac /= 1000;
      digits = 6;
    }
    *at++ = '.';
    for (int i = digits - 1; i >= 0; --i) {
      at[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    at += digits;
  }
  *at++ = 'Z';
  sink.Advance(static_cast<size_t>(at - start));
}

void PutHit(const audit::AuditHit& hit, Sink& sink) {
  bool first = true;
  sink.Put('{');
  if (!hit.entry_id().empty()) PutStringField(",\"entry_id\":\"", hit.entry_id(), &first, sink);
  if (!hit.category().empty()) PutStringField(",\"category\":\"", hit.category(), &first, sink);
  if (hit.severity() != 0) {
    PutKey(",\"severity\":", &first, sink);
    PutInt(hit.severity(), sink);
  }
  if (hit.start() != 0) PutUint64Field(",\"start\":\"", hit.start(), &first, sink);
  if (hit.end() != 0) PutUint64Field(",\"end\":\"", hit.end(), &first, sink);
  sink.Put('}');
}

void PutPack(const audit::AuditPack& pack, Sink& sink) {
  bool first = true;
  sink.Put('{');
  if (!pack.name().empty()) PutStringField(",\"name\":\"", pack.name(), &first, sink);
  if (!pack.version().empty()) PutStringField(",\"version\":\"", pack.version(), &first, sink);
  if (!pack.sha256().empty()) PutStringField(",\"sha256\":\"", pack.sha256(), &first, sink);
  sink.Put('}');
}

void PutLogEvent(const audit::LogEvent& e, Sink& sink) {
  bool first = true;
  sink.Put('{');
  if (!e.kind().empty()) PutStringField(",\"kind\":\"", e.kind(), &first, sink);
  if (e.files_size() > 0) {
    PutKey(",\"files\":[", &first, sink);
    for (int i = 0; i < e.files_size(); ++i) {
      if (i > 0) sink.Put(',');
      sink.Put('"');
      PutEscaped(e.files(i), sink);
      sink.Put('"');
    }
    sink.Put(']');
  }
  if (e.first_seq() != 0) PutUint64Field(",\"first_seq\":\"", e.first_seq(), &first, sink);
  if (!e.first_prev().empty()) {
    PutStringField(",\"first_prev\":\"", e.first_prev(), &first, sink);
  }
  if (e.cut_bytes() != 0) PutUint64Field(",\"cut_bytes\":\"", e.cut_bytes(), &first, sink);
  if (!e.detail().empty()) PutStringField(",\"detail\":\"", e.detail(), &first, sink);
  sink.Put('}');
}

// The output size when nothing needs escaping, give or take the numbers.
size_t EstimateSize(const audit::AuditRecord& r) {
  size_t n = 256 + r.request_id().size() + r.direction().size() + r.profile().size() +
             r.action().size() + r.rule().size() + r.policy_version().size() +
             r.input_sha256().size() + r.text().size() + r.fold_version().size() +
             r.cut_reason().size();
  if (r.has_log_event()) {
    const audit::LogEvent& e = r.log_event();
    n += 128 + e.kind().size() + e.first_prev().size() + e.detail().size();
    for (const std::string& f : e.files()) n += 4 + f.size();
  }
  for (const audit::AuditHit& h : r.hits()) n += 96 + h.entry_id().size() + h.category().size();
  for (const audit::AuditPack& p : r.packs()) {
    n += 40 + p.name().size() + p.version().size() + p.sha256().size();
  }
  return n;
}

}  // namespace

bool AppendAuditRecordJson(const audit::AuditRecord& record, std::string* out) {
  int64_t seconds = 0;
  int32_t nanos = 0;
  if (record.has_time()) {
    seconds = record.time().seconds();
    nanos = record.time().nanos();
    if (seconds < kMinSeconds || seconds > kMaxSeconds || nanos < 0 || nanos > kMaxNanos) {
      return false;
    }
  }
  out->reserve(out->size() + EstimateSize(record));

  Sink sink(out);
  bool first = true;
  sink.Put('{');
  if (record.has_time()) {
    PutKey(",\"time\":\"", &first, sink);
    PutTimestamp(seconds, nanos, sink);
    sink.Put('"');
  }
  if (!record.request_id().empty()) {
    PutStringField(",\"request_id\":\"", record.request_id(), &first, sink);
  }
  if (!record.direction().empty()) {
    PutStringField(",\"direction\":\"", record.direction(), &first, sink);
  }
  if (!record.profile().empty()) PutStringField(",\"profile\":\"", record.profile(), &first, sink);
  if (!record.action().empty()) PutStringField(",\"action\":\"", record.action(), &first, sink);
  if (!record.rule().empty()) PutStringField(",\"rule\":\"", record.rule(), &first, sink);
  if (record.hits_size() > 0) {
    PutKey(",\"hits\":[", &first, sink);
    for (int i = 0; i < record.hits_size(); ++i) {
      if (i > 0) sink.Put(',');
      PutHit(record.hits(i), sink);
    }
    sink.Put(']');
  }
  if (record.packs_size() > 0) {
    PutKey(",\"packs\":[", &first, sink);
    for (int i = 0; i < record.packs_size(); ++i) {
      if (i > 0) sink.Put(',');
      PutPack(record.packs(i), sink);
    }
    sink.Put(']');
  }
  if (!record.policy_version().empty()) {
    PutStringField(",\"policy_version\":\"", record.policy_version(), &first, sink);
  }
  if (record.input_length() != 0) {
    PutUint64Field(",\"input_length\":\"", record.input_length(), &first, sink);
  }
  if (!record.input_sha256().empty()) {
    PutStringField(",\"input_sha256\":\"", record.input_sha256(), &first, sink);
  }
  if (record.invalid_utf8() != 0) {
    PutUint64Field(",\"invalid_utf8\":\"", record.invalid_utf8(), &first, sink);
  }
  if (record.has_text()) PutStringField(",\"text\":\"", record.text(), &first, sink);
  if (!record.fold_version().empty()) {
    PutStringField(",\"fold_version\":\"", record.fold_version(), &first, sink);
  }
  if (!record.cut_reason().empty()) {
    PutStringField(",\"cut_reason\":\"", record.cut_reason(), &first, sink);
  }
  if (record.hits_not_kept() != 0) {
    PutUint64Field(",\"hits_not_kept\":\"", record.hits_not_kept(), &first, sink);
  }
  if (record.has_log_event()) {
    PutKey(",\"log_event\":", &first, sink);
    PutLogEvent(record.log_event(), sink);
  }
  sink.Put('}');
  sink.Flush();
  return true;
}

}  // namespace menshen::internal
