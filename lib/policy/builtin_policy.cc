#include "lib/policy/builtin_policy.h"

#include <algorithm>

#include "lib/base/utf8.h"

namespace menshen::internal {
namespace {

constexpr std::string_view kRefusalZh = "抱歉，这个请求涉及不适宜的内容，我无法协助。";
constexpr std::string_view kRefusalEn = "Sorry, I can't help with this request.";

// Whether any code point of `text` is a CJK ideograph: then the refusal is in
// Chinese. (Policies will choose locales properly.)
bool HasHan(std::string_view text) {
  char32_t cp;
  for (size_t i = 0; i < text.size();) {
    size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) {
      ++i;
      continue;
    }
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x20000 && cp <= 0x3134F)) {
      return true;
    }
    i += n;
  }
  return false;
}

}  // namespace

void ApplyBuiltinPolicy(std::string_view text, Decision* decision) {
  decision->refusal.clear();
  if (decision->hits.empty()) {
    decision->action = Action::kAllow;
    decision->rule = "builtin:no-hits";
    return;
  }
  int max_severity = 0;
  for (const Hit& h : decision->hits) max_severity = std::max(max_severity, h.severity);
  if (max_severity >= kBuiltinRefuseSeverity) {
    decision->action = Action::kRefuse;
    decision->rule = "builtin:refuse-high-severity";
    decision->refusal = std::string(HasHan(text) ? kRefusalZh : kRefusalEn);
  } else {
    decision->action = Action::kFlag;
    decision->rule = "builtin:flag-low-severity";
  }
}

void MaskHits(std::string_view text, const std::vector<Hit>& hits, std::string* masked) {
  masked->clear();
  masked->reserve(text.size());
  size_t pos = 0;  // everything before pos is written
  // Hits are sorted by start; a running end merges overlapping spans.
  for (size_t i = 0; i < hits.size();) {
    size_t start = std::max(hits[i].start, pos);
    size_t end = hits[i].end;
    for (++i; i < hits.size() && hits[i].start < end; ++i) end = std::max(end, hits[i].end);
    end = std::min(end, text.size());
    if (start >= end) continue;
    masked->append(text.data() + pos, start - pos);
    char32_t cp;
    for (size_t j = start; j < end;) {
      size_t n = DecodeUtf8(text, j, &cp);
      j += n == 0 ? 1 : n;
      masked->push_back('*');
    }
    pos = end;
  }
  masked->append(text.data() + pos, text.size() - pos);
}

}  // namespace menshen::internal
