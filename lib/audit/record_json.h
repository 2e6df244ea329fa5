// A hand-rolled JSON encoder for audit records. Its output is byte-identical to
// google::protobuf::util::MessageToJsonString(record, &json, options) with
// options.preserve_proto_field_names = true and every other option at its
// default (protobuf 3.21), so lines written with it hash and verify exactly as
// lines written through protobuf -- at about 0.35 us per typical record
// (3 hits, 1 pack) instead of about 8 us.
//
// The protobuf rules it reproduces:
//   * fields in field-number order; proto3 defaults (empty string, 0, empty
//     repeated field, unset message) omitted; `optional string text` printed
//     whenever it is set, even empty; an all-default AuditHit/AuditPack in a
//     repeated field prints {};
//   * uint64 as a quoted decimal string, int32 as a bare (signed) number;
//   * google.protobuf.Timestamp as "YYYY-MM-DDTHH:MM:SSZ" in UTC, with 3, 6 or 9
//     fractional digits when nanos is a multiple of 1,000,000, of 1,000, or
//     neither (none when nanos is 0); a set all-zero Timestamp prints
//     "1970-01-01T00:00:00Z";
//   * string escaping: '"' -> \" and '\' -> \\; \b \t \n \f \r for those
//     controls; other code points U+0000..U+001F, U+007F..U+009F, '<', '>' and
//     a few invisible/format code points (U+00AD, U+0600..U+0603, U+06DD,
//     U+070F, U+17B4, U+17B5, U+200B..U+200F, U+2028..U+202E, U+2060..U+2064,
//     U+206A..U+206F, U+FEFF, U+FFF9..U+FFFB) as \u00XX with lowercase hex;
//     U+1D173..U+1D17A, U+E0001 and U+E0020..U+E007F as a lowercase surrogate
//     pair \udXXX\udXXX. Everything else, including '&', '\'', '=', '/', CJK
//     and emoji, is copied as UTF-8.
//   * invalid UTF-8 (which the engine and the sink sanitise away before it
//     gets here) is handled exactly as protobuf's escaper does, so the output
//     stays identical even then: a stray continuation byte or a 0xF8..0xFF byte
//     is dropped; a lead byte followed by a non-continuation byte is dropped
//     together with that byte (even when it is ASCII); a sequence cut off by
//     the end of the string is dropped; a sequence decoding to a surrogate or
//     above U+10FFFF is dropped; an overlong sequence is decoded and escaped by
//     the rules above when its code point needs escaping, otherwise copied
//     raw (so, like protobuf's, the output is then not valid UTF-8 either).
//     It never reads out of bounds and never crashes.
#ifndef MENSHEN_LIB_AUDIT_RECORD_JSON_H_
#define MENSHEN_LIB_AUDIT_RECORD_JSON_H_

#include <string>

#include "lib/audit/audit.pb.h"

namespace menshen::internal {

// Appends the JSON object for `record` to `*out` (no newline; `*out` is not
// cleared) and returns true. Returns false, leaving `*out` unchanged, exactly
// when protobuf's printer fails for this record: `time` is set and its seconds
// lie outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z or its nanos outside
// 0..999,999,999. Callers that only build records from absl::Now() may ignore
// the result. Thread-safe; allocates only to grow `*out`, and if that throws
// (std::bad_alloc) `*out` may be left holding part of the object.
bool AppendAuditRecordJson(const audit::AuditRecord& record, std::string* out);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_AUDIT_RECORD_JSON_H_
