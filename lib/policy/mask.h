// Masking hit spans in the caller's text, in the policy's masking style.
#ifndef MENSHEN_LIB_POLICY_MASK_H_
#define MENSHEN_LIB_POLICY_MASK_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/policy/policy.pb.h"
#include "menshen/decision.h"

namespace menshen::internal {

// The masking defaults of policy.proto.
inline constexpr std::string_view kDefaultMaskCharacter = "*";
inline constexpr std::string_view kDefaultMaskPlaceholder = "[已屏蔽]";

// Writes `text` into `masked` with every hit span masked. `hits` are sorted
// by start (as Decision::hits are); spans that overlap or touch are merged
// into one, and a span that starts or ends inside a character covers the
// whole character. CHARACTER style writes the mask character once per code
// point of the span (an invalid UTF-8 byte counts as one); PLACEHOLDER style
// writes the placeholder once per merged span. Empty `style` fields take the
// defaults above. Spans past the end of `text` are clipped. Rule hits
// (Hit::rule) are not masked. Reuses `masked`'s capacity.
void MaskSpans(std::string_view text, const std::vector<Hit>& hits, const policy::Masking& style,
               std::string* masked);

// The same over bare spans (a stream masks what it releases without making
// whole hits).
struct MaskSpan {
  size_t start;
  size_t end;
};
void MaskSpans(std::string_view text, const std::vector<MaskSpan>& spans,
               const policy::Masking& style, std::string* masked);
// Appends the masked text to `out` instead of replacing it.
void AppendMasked(std::string_view text, const std::vector<MaskSpan>& spans,
                  const policy::Masking& style, std::string* out);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_POLICY_MASK_H_
