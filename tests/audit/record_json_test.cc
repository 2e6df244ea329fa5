// The hand-rolled audit-record JSON encoder against protobuf's own printer
// (MessageToJsonString with preserve_proto_field_names): hand-written records
// with their exact expected lines, every Unicode scalar value, invalid UTF-8,
// the whole Timestamp range, and ~2,000 random records -- all byte for byte,
// and every valid line parses back to an equal message.
#include "lib/audit/record_json.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "lib/audit/audit.pb.h"

namespace menshen {
namespace {

using ::menshen::testing::Utf8;

using ::menshen::audit::AuditHit;
using ::menshen::audit::AuditPack;
using ::menshen::audit::AuditRecord;
using ::menshen::internal::AppendAuditRecordJson;

// What the sink used to write: protobuf's printer with the sink's options.
// Returns "<error: ...>" when protobuf refuses the record.
std::string ProtobufJson(const AuditRecord& record) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(record, &json, options);
  if (!status.ok()) return "<error: " + std::string(status.message()) + ">";
  return json;
}

std::string FastJson(const AuditRecord& record) {
  std::string json;
  if (!AppendAuditRecordJson(record, &json)) return "<error>";
  return json;
}


// Shows bytes outside printable ASCII as [XX] so that failures are readable.
std::string Visible(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string v;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      v += static_cast<char>(c);
    } else {
      v += '[';
      v += kHex[c >> 4];
      v += kHex[c & 0xf];
      v += ']';
    }
  }
  return v;
}

void ExpectSameAsProtobuf(const AuditRecord& record) {
  const std::string expected = ProtobufJson(record);
  const std::string actual = FastJson(record);
  ASSERT_EQ(Visible(actual), Visible(expected)) << record.ShortDebugString();
  ASSERT_EQ(actual, expected);
}

void ExpectParsesBack(const AuditRecord& record) {
  const std::string json = FastJson(record);
  AuditRecord parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  ASSERT_TRUE(status.ok()) << status.message() << "\n" << Visible(json);
  ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, record))
      << "parsed: " << parsed.ShortDebugString() << "\nwanted: " << record.ShortDebugString();
}

AuditRecord FullRecord() {
  AuditRecord r;
  r.mutable_time()->set_seconds(1700000000);
  r.mutable_time()->set_nanos(123456789);
  r.set_request_id("req-1");
  r.set_direction("input");
  r.set_profile("default");
  r.set_action("BLOCK");
  r.set_rule("r1");
  AuditHit* h = r.add_hits();
  h->set_entry_id("e1");
  h->set_category("violence");
  h->set_severity(3);
  h->set_start(4);
  h->set_end(9);
  AuditPack* p = r.add_packs();
  p->set_name("core");
  p->set_version("1.2.3");
  p->set_sha256("ab01");
  r.set_policy_version("pv7");
  r.set_input_length(42);
  r.set_input_sha256("cd23");
  r.set_invalid_utf8(2);
  r.set_text("hello");
  r.set_fold_version("f1");
  return r;
}

struct Case {
  const char* name;
  AuditRecord record;
  std::string json;  // the exact expected line
};

std::vector<Case> HandWrittenCases() {
  std::vector<Case> cases;
  auto add = [&](const char* name, AuditRecord r, std::string json) {
    cases.push_back(Case{name, std::move(r), std::move(json)});
  };
  add("empty", AuditRecord(), "{}");
  add("every field", FullRecord(),
      R"({"time":"2023-11-14T22:13:20.123456789Z","request_id":"req-1","direction":"input",)"
      R"("profile":"default","action":"BLOCK","rule":"r1","hits":[{"entry_id":"e1",)"
      R"("category":"violence","severity":3,"start":"4","end":"9"}],"packs":[{"name":"core",)"
      R"("version":"1.2.3","sha256":"ab01"}],"policy_version":"pv7","input_length":"42",)"
      R"("input_sha256":"cd23","invalid_utf8":"2","text":"hello","fold_version":"f1"})");
  {
    AuditRecord r;
    r.set_text("");
    add("text set but empty", r, R"({"text":""})");
  }
  {
    AuditRecord r;
    r.add_hits();
    r.add_hits()->set_severity(-7);
    r.add_packs();
    r.add_packs()->set_version("v");
    add("default hits and packs", r,
        R"({"hits":[{},{"severity":-7}],"packs":[{},{"version":"v"}]})");
  }
  {
    AuditRecord r;
    AuditHit* h = r.add_hits();
    h->set_severity(std::numeric_limits<int32_t>::min());
    h->set_start(std::numeric_limits<uint64_t>::max());
    r.set_input_length(std::numeric_limits<uint64_t>::max());
    r.set_invalid_utf8(1);
    add("integer extremes", r,
        R"({"hits":[{"severity":-2147483648,"start":"18446744073709551615"}],)"
        R"("input_length":"18446744073709551615","invalid_utf8":"1"})");
  }
  {
    AuditRecord r = FullRecord();
    r.clear_time();
    r.clear_hits();
    r.clear_packs();
    r.clear_text();
    r.set_profile("");
    r.set_input_length(0);
    r.set_invalid_utf8(0);
    add("defaults omitted", r,
        R"({"request_id":"req-1","direction":"input","action":"BLOCK","rule":"r1",)"
        R"("policy_version":"pv7","input_sha256":"cd23","fold_version":"f1"})");
  }
  struct Ts {
    int64_t seconds;
    int32_t nanos;
    const char* text;
  };
  const Ts timestamps[] = {
      {0, 0, "1970-01-01T00:00:00Z"},
      {1700000000, 0, "2023-11-14T22:13:20Z"},
      {1700000000, 5000000, "2023-11-14T22:13:20.005Z"},
      {1700000000, 120000000, "2023-11-14T22:13:20.120Z"},
      {1700000000, 5000, "2023-11-14T22:13:20.000005Z"},
      {1700000000, 123456000, "2023-11-14T22:13:20.123456Z"},
      {1700000000, 5, "2023-11-14T22:13:20.000000005Z"},
      {1700000000, 123456780, "2023-11-14T22:13:20.123456780Z"},
      {1700000000, 999999999, "2023-11-14T22:13:20.999999999Z"},
      {-1, 0, "1969-12-31T23:59:59Z"},
      {-1, 500000000, "1969-12-31T23:59:59.500Z"},
      {951782400, 0, "2000-02-29T00:00:00Z"},
      {-2203891200, 0, "1900-03-01T00:00:00Z"},
      {4107542399, 0, "2100-02-28T23:59:59Z"},
      {-62135596800, 0, "0001-01-01T00:00:00Z"},
      {253402300799, 999999999, "9999-12-31T23:59:59.999999999Z"},
  };
  for (const Ts& ts : timestamps) {
    AuditRecord r;
    r.mutable_time()->set_seconds(ts.seconds);
    r.mutable_time()->set_nanos(ts.nanos);
    add("timestamp", r, std::string(R"({"time":")") + ts.text + R"("})");
  }
  {
    AuditRecord r;
    r.mutable_time();  // set, all zero: the epoch
    add("timestamp set but zero", r, R"({"time":"1970-01-01T00:00:00Z"})");
  }
  {
    AuditRecord r;
    std::string all_controls;
    for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
    r.set_rule(all_controls);
    add("every ASCII control", r,
        R"({"rule":"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e)"
        R"(\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b)"
        R"(\u001c\u001d\u001e\u001f"})");
  }
  {
    AuditRecord r;
    r.set_text("a\"b\\c<d>e&f=g'h/i\x7fj");
    add("ASCII specials", r, R"({"text":"a\"b\\c\u003cd\u003ee&f=g'h/i\u007fj"})");
  }
  {
    AuditRecord r;
    r.set_text("x\u2028y\u2029z\u00ad\u0085\u200b\ufeff");
    add("separators and invisibles", r, R"({"text":"x\u2028y\u2029z\u00ad\u0085\u200b\ufeff"})");
  }
  {
    AuditRecord r;
    r.set_text("\xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
    add("CJK, accents, emoji, U+10FFFF pass through", r,
        "{\"text\":\"\xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"}");
  }
  {
    AuditRecord r;
    r.set_text(Utf8(0x1d173) + Utf8(0xe0001) + Utf8(0xe007f));
    add("astral code points escaped as surrogate pairs", r,
        R"({"text":"\ud834\udd73\udb40\udc01\udb40\udc7f"})");
  }
  {
    AuditRecord r = FullRecord();
    r.mutable_packs(0)->set_name("pack<1>");
    r.mutable_hits(0)->set_entry_id("\xe8\xaf\x8d\"1\"");
    r.add_hits()->set_end(3);
    add("escapes in nested messages", r,
        R"({"time":"2023-11-14T22:13:20.123456789Z","request_id":"req-1","direction":"input",)"
        R"("profile":"default","action":"BLOCK","rule":"r1","hits":[{"entry_id":")"
        "\xe8\xaf\x8d"
        R"(\"1\"","category":"violence","severity":3,"start":"4","end":"9"},{"end":"3"}],)"
        R"("packs":[{"name":"pack\u003c1\u003e","version":"1.2.3","sha256":"ab01"}],)"
        R"("policy_version":"pv7","input_length":"42","input_sha256":"cd23","invalid_utf8":"2",)"
        R"("text":"hello","fold_version":"f1"})");
  }
  return cases;
}

TEST(RecordJsonTest, HandWrittenRecords) {
  for (const Case& c : HandWrittenCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ProtobufJson(c.record), c.json);  // the expectations are protobuf's
    EXPECT_EQ(FastJson(c.record), c.json);
    ExpectParsesBack(c.record);
  }
}

TEST(RecordJsonTest, AppendsWithoutClearing) {
  std::string out = "prefix ";
  ASSERT_TRUE(AppendAuditRecordJson(FullRecord(), &out));
  EXPECT_EQ(out, "prefix " + ProtobufJson(FullRecord()));
  out.clear();
  ASSERT_TRUE(AppendAuditRecordJson(AuditRecord(), &out));
  ASSERT_TRUE(AppendAuditRecordJson(AuditRecord(), &out));
  EXPECT_EQ(out, "{}{}");
}

TEST(RecordJsonTest, TimestampsProtobufRejectsAreRejected) {
  google::protobuf::LogSilencer silence;  // protobuf warns about its half-written output
  const int64_t kMin = -62135596800;
  const int64_t kMax = 253402300799;
  const std::pair<int64_t, int32_t> bad[] = {
      {kMin - 1, 0},
      {kMax + 1, 0},
      {0, -1},
      {0, 1000000000},
      {kMax, 1000000000},
      {std::numeric_limits<int64_t>::min(), 0},
      {std::numeric_limits<int64_t>::max(), 0},
      {0, std::numeric_limits<int32_t>::min()},
  };
  for (const auto& [seconds, nanos] : bad) {
    SCOPED_TRACE(std::to_string(seconds) + "s " + std::to_string(nanos) + "ns");
    AuditRecord r = FullRecord();
    r.mutable_time()->set_seconds(seconds);
    r.mutable_time()->set_nanos(nanos);
    EXPECT_EQ(ProtobufJson(r).rfind("<error", 0), 0u);
    std::string out = "kept";
    EXPECT_FALSE(AppendAuditRecordJson(r, &out));
    EXPECT_EQ(out, "kept");
  }
}

// Every day of the years 1-4, 1896-2104 and 9996-9999 (leap years and the
// century rules), and every 97th day in between, at varying times of day.
TEST(RecordJsonTest, TimestampRangeMatchesProtobuf) {
  const int64_t kMin = -62135596800;   // 0001-01-01T00:00:00Z
  const int64_t kMax = 253402300799;   // 9999-12-31T23:59:59Z
  const int64_t k1896 = -2335219200;   // 1896-01-01T00:00:00Z
  const int64_t k2105 = 4260211200;    // 2105-01-01T00:00:00Z
  const int64_t k9996 = 253276070400;  // 9996-01-01T00:00:00Z
  const int32_t nanos[] = {0, 7000000, 7000, 7, 999999999};
  AuditRecord r;
  int checked = 0;
  auto check = [&](int64_t s) {
    r.mutable_time()->set_seconds(s);
    r.mutable_time()->set_nanos(nanos[checked % 5]);
    ++checked;
    ASSERT_EQ(FastJson(r), ProtobufJson(r)) << s;
  };
  for (int64_t s = kMin; s <= kMax; s += 97 * 86400 + 3607) check(s);
  for (int64_t day = 0; day < 4 * 366; ++day) check(kMin + day * 86400 + (day * 3607) % 86400);
  for (int64_t s = k1896; s < k2105; s += 86400 + 1) check(s);
  for (int64_t s = kMax; s >= k9996; s -= 86400 - 1) check(s);
  check(kMin);
  check(kMax);
  check(-1);
  check(0);
  EXPECT_GT(checked, 100000);
}

// Each kind of byte that stops the fast scan, at every offset of a 16- and
// 8-byte block and near the end of the string.
TEST(RecordJsonTest, SpecialsAtEveryOffset) {
  const std::string specials[] = {"\"",
                                  "\\",
                                  "<",
                                  ">",
                                  std::string(1, '\0'),
                                  "\x1f",
                                  "\x7f",
                                  "\n",
                                  "\xc3\xa9",
                                  "\xc2\x85",
                                  "\xe4\xb8\xad",
                                  "\xe2\x80\xa8",
                                  "\xf0\x9f\x98\x80",
                                  "\xf3\xa0\x80\x81"};
  AuditRecord r;
  for (const std::string& special : specials) {
    for (size_t length = 0; length <= 40; ++length) {
      for (size_t at = 0; at <= length; ++at) {
        std::string s(length, 'a');
        s.insert(at, special);
        r.set_rule(s);
        ExpectSameAsProtobuf(r);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

// Strings longer than the encoder's internal buffer, plain and escaped.
TEST(RecordJsonTest, LongStrings) {
  AuditRecord r;
  r.set_text(std::string(5000, 'x') + "<" + std::string(3000, '\n') + std::string(700, 'y'));
  std::string cjk;
  for (int i = 0; i < 2000; ++i) cjk += Utf8(0x4e00 + static_cast<uint32_t>(i));
  r.set_rule(cjk);
  r.set_profile(std::string(1023, 'p'));
  r.set_action(std::string(1024, '"'));
  ExpectSameAsProtobuf(r);
  ExpectParsesBack(r);
}

// Every Unicode scalar value, in batches of 4,096 per string.
TEST(RecordJsonTest, EveryCodePointMatchesProtobuf) {
  AuditRecord r;
  std::string s;
  for (uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    s += Utf8(cp);
    if (cp % 4096 == 4095 || cp == 0x10ffff) {
      r.set_text(s);
      ExpectSameAsProtobuf(r);
      ExpectParsesBack(r);
      s.clear();
    }
  }
}

// The sink sanitises strings first, so this never reaches the encoder; when it
// does, the encoder neither crashes nor differs from protobuf.
TEST(RecordJsonTest, InvalidUtf8MatchesProtobuf) {
  google::protobuf::LogSilencer silence;  // protobuf logs each invalid string
  const char* const cases[] = {
      "a\x80z",
      "a\xc3z",
      "a\xc3",
      "\xc3",
      "a\xc0\x80z",
      "a\xc1\x81z",
      "a\xc0\xa2z",
      "a\xe0\x80\x80z",
      "a\xed\xa0\x80z",
      "a\xed\xbf\xbfz",
      "a\xf4\x90\x80\x80z",
      "a\xf8z",
      "a\xffz",
      "a\xe2\x82z",
      "a\xe2z\xacz",
      "\xf0\x9f\x98",
      "<\xc3>",
      "\xc3\"x",
      "a\xf0\x80\x80\x80z",
      "a\xf7\xbf\xbf\xbfz",
      "\xe2\x80\xa8\xe2\x80",
      "\xc2\x85\xc2",
      "\xf0\x9d\x85\xb3\xf0",
  };
  for (const char* c : cases) {
    AuditRecord r;
    r.set_rule(c);
    r.add_packs()->set_name(c);
    ExpectSameAsProtobuf(r);
  }
  // Random bytes weighted towards lead and continuation bytes.
  std::mt19937_64 rng(20240611);
  const unsigned char interesting[] = {0x00, 0x22, 0x3c, 0x41, 0x5c, 0x7f, 0x80, 0x85, 0x9f,
                                       0xad, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe2, 0xed,
                                       0xef, 0xf0, 0xf4, 0xf5, 0xf7, 0xf8, 0xff};
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 64);
    for (int j = 0; j < n; ++j) {
      if (rng() % 2 == 0) {
        s += static_cast<char>(interesting[rng() % sizeof(interesting)]);
      } else {
        s += static_cast<char>(rng() % 256);
      }
    }
    AuditRecord r;
    r.set_text(s);
    ExpectSameAsProtobuf(r);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

class RandomRecords {
 public:
  explicit RandomRecords(uint64_t seed) : rng_(seed) {}

  AuditRecord Next() {
    AuditRecord r;
    if (Chance(80)) SetTime(&r);
    if (Chance(70)) r.set_request_id(String());
    if (Chance(70)) r.set_direction(Chance(50) ? "input" : String());
    if (Chance(60)) r.set_profile(String());
    if (Chance(70)) r.set_action(String());
    if (Chance(50)) r.set_rule(String());
    for (int i = static_cast<int>(rng_() % 6); i > 0; --i) {
      AuditHit* h = r.add_hits();
      if (Chance(70)) h->set_entry_id(String());
      if (Chance(70)) h->set_category(String());
      if (Chance(70)) h->set_severity(Int32());
      if (Chance(70)) h->set_start(Uint64());
      if (Chance(70)) h->set_end(Uint64());
    }
    for (int i = static_cast<int>(rng_() % 6); i > 0; --i) {
      AuditPack* p = r.add_packs();
      if (Chance(70)) p->set_name(String());
      if (Chance(70)) p->set_version(String());
      if (Chance(70)) p->set_sha256(String());
    }
    if (Chance(60)) r.set_policy_version(String());
    if (Chance(60)) r.set_input_length(Uint64());
    if (Chance(60)) r.set_input_sha256(String());
    if (Chance(40)) r.set_invalid_utf8(Uint64());
    if (Chance(50)) r.set_text(Chance(10) ? std::string() : String(Chance(10) ? 400 : 40));
    if (Chance(50)) r.set_fold_version(String());
    if (Chance(30)) r.set_cut_reason(String());
    if (Chance(30)) r.set_hits_not_kept(Uint64());
    if (Chance(20)) {
      audit::LogEvent* e = r.mutable_log_event();
      if (Chance(70)) e->set_kind(String());
      for (int i = static_cast<int>(rng_() % 4); i > 0; --i) e->add_files(String());
      if (Chance(50)) e->set_first_seq(Uint64());
      if (Chance(50)) e->set_first_prev(String());
      if (Chance(50)) e->set_cut_bytes(Uint64());
      if (Chance(50)) e->set_detail(String());
    }
    return r;
  }

 private:
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }

  void SetTime(AuditRecord* r) {
    const int64_t kMin = -62135596800;
    const int64_t kSpan = 253402300799 - kMin + 1;
    int64_t seconds = 0;
    switch (rng_() % 4) {
      case 0:
        seconds = 0;
        break;
      case 1:
        seconds = 1600000000 + static_cast<int64_t>(rng_() % 400000000);
        break;
      default:
        seconds = kMin + static_cast<int64_t>(rng_() % static_cast<uint64_t>(kSpan));
    }
    int32_t nanos = static_cast<int32_t>(rng_() % 1000000000);
    switch (rng_() % 5) {
      case 0:
        nanos = 0;
        break;
      case 1:
        nanos -= nanos % 1000000;
        break;  // milliseconds
      case 2:
        nanos -= nanos % 1000;
        break;  // microseconds
      default:
        break;
    }
    r->mutable_time()->set_seconds(seconds);
    r->mutable_time()->set_nanos(nanos);
  }

  int32_t Int32() {
    switch (rng_() % 4) {
      case 0:
        return static_cast<int32_t>(rng_() % 10);
      case 1:
        return -static_cast<int32_t>(rng_() % 1000);
      default:
        return static_cast<int32_t>(static_cast<uint32_t>(rng_()));
    }
  }

  uint64_t Uint64() {
    switch (rng_() % 3) {
      case 0:
        return rng_() % 1000;
      case 1:
        return rng_() >> (rng_() % 64);
      default:
        return rng_();
    }
  }

  // Up to `max_len` pieces from a mixed alphabet: plain ASCII, every byte
  // that protobuf escapes, 2-, 3- and 4-byte sequences (some escaped), CJK,
  // emoji and random scalar values.
  std::string String(int max_len = 24) {
    static const uint32_t kPieces[] = {
        '"',     '\\',    '<',     '>',     '&',     '=',     '\'',    '/',     0x7f,    0x80,
        0x85,    0x9f,    0xa0,    0xad,    0xe9,    0x600,   0x603,   0x604,   0x6dd,   0x70f,
        0x17b4,  0x17b5,  0x200a,  0x200b,  0x200f,  0x2010,  0x2027,  0x2028,  0x2029,  0x202e,
        0x202f,  0x2060,  0x2064,  0x2065,  0x206a,  0x206f,  0x4e2d,  0x6587,  0x8bcd,  0xac00,
        0xfeff,  0xfff8,  0xfff9,  0xfffb,  0xfffd,  0xffff,  0x10000, 0x1d172, 0x1d173, 0x1d17a,
        0x1d17b, 0x1f600, 0x1f9d1, 0xe0000, 0xe0001, 0xe001f, 0xe0020, 0xe007f, 0xe0080, 0x10ffff};
    std::string s;
    const int n = static_cast<int>(rng_() % static_cast<uint64_t>(max_len + 1));
    for (int i = 0; i < n; ++i) {
      switch (rng_() % 6) {
        case 0:
        case 1:
          s += static_cast<char>(0x20 + rng_() % 0x5f);
          break;  // printable ASCII
        case 2:
          s += static_cast<char>(rng_() % 0x20);
          break;  // control
        case 3:
          s += Utf8(kPieces[rng_() % (sizeof(kPieces) / sizeof(kPieces[0]))]);
          break;
        case 4:
          s += Utf8(0x4e00 + static_cast<uint32_t>(rng_() % 0x5200));
          break;  // CJK
        default: {
          uint32_t cp;
          do {
            cp = static_cast<uint32_t>(rng_() % 0x110000);
          } while (cp >= 0xd800 && cp <= 0xdfff);
          s += Utf8(cp);
        }
      }
    }
    return s;
  }

  std::mt19937_64 rng_;
};

TEST(RecordJsonTest, RandomRecordsMatchProtobufAndParseBack) {
  int compared = 0;
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    RandomRecords random(seed);
    for (int i = 0; i < 500; ++i) {
      const AuditRecord r = random.Next();
      SCOPED_TRACE("seed " + std::to_string(seed) + " record " + std::to_string(i));
      ExpectSameAsProtobuf(r);
      ExpectParsesBack(r);
      if (::testing::Test::HasFatalFailure()) return;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 2000);
}

}  // namespace
}  // namespace menshen
