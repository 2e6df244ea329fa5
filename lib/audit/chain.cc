#include "lib/audit/chain.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"
#include "lib/base/sha256.h"

namespace menshen::internal {
namespace {

constexpr std::string_view kHashTag = "menshen-audit-v1\n";
constexpr std::string_view kSeqKey = "{\"seq\":";
constexpr std::string_view kPrevKey = ",\"prev\":\"";
constexpr std::string_view kHashKey = "\",\"hash\":\"";
constexpr std::string_view kRecordKey = "\",\"record\":";

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Consumes `prefix` from the front of `*s`.
bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed line: ", AV(what)));
}

}  // namespace

std::string ChainHash(std::string_view prev, std::string_view seq_text,
                      std::string_view record_json) {
  Sha256 h;
  h.Update(kHashTag);
  h.Update(prev);
  h.Update("\n");
  h.Update(seq_text);
  h.Update("\n");
  h.Update(record_json);
  return DigestToHex(h.Finish());
}

void AppendChainLine(uint64_t seq, std::string_view prev, std::string_view hash,
                     std::string_view record_json, std::string* out) {
  absl::StrAppend(out, AV(kSeqKey), seq, AV(kPrevKey), AV(prev), AV(kHashKey), AV(hash),
                  AV(kRecordKey), AV(record_json), "}\n");
}

absl::StatusOr<ChainLine> ParseChainLine(std::string_view line) {
  ChainLine out;
  std::string_view rest = line;
  if (!Consume(&rest, kSeqKey)) return Malformed("it does not start with {\"seq\":");
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  out.seq_text = rest.substr(0, digits);
  if (digits == 0 || (digits > 1 && out.seq_text[0] == '0') ||
      !absl::SimpleAtoi(AV(out.seq_text), &out.seq)) {
    return Malformed("seq is not a decimal number without leading zeros");
  }
  rest.remove_prefix(digits);
  if (!Consume(&rest, kPrevKey)) return Malformed("\"prev\" does not follow seq");
  out.prev = rest.substr(0, kChainHashHexSize);
  if (out.prev.size() != kChainHashHexSize || !IsLowerHex(out.prev)) {
    return Malformed("prev is not 64 lowercase hex digits");
  }
  rest.remove_prefix(kChainHashHexSize);
  if (!Consume(&rest, kHashKey)) return Malformed("\"hash\" does not follow prev");
  out.hash = rest.substr(0, kChainHashHexSize);
  if (out.hash.size() != kChainHashHexSize || !IsLowerHex(out.hash)) {
    return Malformed("hash is not 64 lowercase hex digits");
  }
  rest.remove_prefix(kChainHashHexSize);
  if (!Consume(&rest, kRecordKey)) return Malformed("\"record\" does not follow hash");
  if (rest.size() < 3 || rest.front() != '{' || rest.substr(rest.size() - 2) != "}}") {
    return Malformed("record is not a JSON object closing the line");
  }
  out.record = rest.substr(0, rest.size() - 1);
  return out;
}

std::vector<uint64_t> RotatedFileNumbers(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const std::string prefix = p.filename().string() + ".";
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::vector<uint64_t> numbers;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view digits = std::string_view(name).substr(prefix.size());
    uint64_t n = 0;
    if (digits[0] == '0' || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        !absl::SimpleAtoi(AV(digits), &n)) {
      continue;
    }
    numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

}  // namespace menshen::internal
