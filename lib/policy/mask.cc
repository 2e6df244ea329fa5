#include "lib/policy/mask.h"

#include <algorithm>

#include "lib/policy/utf8_scan.h"

namespace menshen::internal {
namespace {

// The start of the character that byte `i` of `text` belongs to (i itself
// unless i is inside a valid multi-byte sequence), not before `floor`.
size_t CharacterStart(std::string_view text, size_t i, size_t floor) {
  char32_t cp;
  for (size_t back = 1; back <= 3 && i >= floor + back; ++back) {
    const unsigned char b = static_cast<unsigned char>(text[i - back]);
    if ((b & 0xC0) == 0x80) continue;  // another continuation byte
    return DecodeUtf8(text, i - back, &cp) > back ? i - back : i;
  }
  return i;
}

// A rule's hit is never masked: its parts are ordinary words.
bool Unmasked(const Hit& hit) { return hit.rule; }
bool Unmasked(const MaskSpan&) { return false; }

template <typename Spans>
void MaskAll(std::string_view text, const Spans& hits, const policy::Masking& style,
             std::string* masked) {
  const bool placeholder = style.style() == policy::Masking::PLACEHOLDER;
  std::string_view mask = placeholder ? style.placeholder() : style.character();
  if (mask.empty()) mask = placeholder ? kDefaultMaskPlaceholder : kDefaultMaskCharacter;
  masked->reserve(masked->size() + text.size());
  size_t pos = 0;  // everything before pos is written
  for (size_t i = 0; i < hits.size();) {
    if (Unmasked(hits[i])) {
      ++i;
      continue;
    }
    size_t start = std::max(hits[i].start, pos);
    size_t end = hits[i].end;
    // Hits are sorted by start: a running end merges overlapping and touching spans.
    for (++i; i < hits.size() && hits[i].start <= end; ++i) {
      if (!Unmasked(hits[i])) end = std::max(end, hits[i].end);
    }
    end = std::min(end, text.size());
    if (start >= end) continue;
    // A span masks every character it touches, whole, so the result never
    // holds half of one.
    start = CharacterStart(text, start, pos);
    masked->append(text.data() + pos, start - pos);
    size_t characters;
    pos = CountCharacters(text, start, end, &characters);
    if (placeholder) {
      masked->append(mask.data(), mask.size());
    } else if (mask.size() == 1) {
      masked->append(characters, mask[0]);
    } else {
      for (size_t k = 0; k < characters; ++k) masked->append(mask.data(), mask.size());
    }
  }
  masked->append(text.data() + pos, text.size() - pos);
}

}  // namespace

void MaskSpans(std::string_view text, const std::vector<Hit>& hits, const policy::Masking& style,
               std::string* masked) {
  masked->clear();
  MaskAll(text, hits, style, masked);
}

void MaskSpans(std::string_view text, const std::vector<MaskSpan>& spans,
               const policy::Masking& style, std::string* masked) {
  masked->clear();
  MaskAll(text, spans, style, masked);
}

void AppendMasked(std::string_view text, const std::vector<MaskSpan>& spans,
                  const policy::Masking& style, std::string* out) {
  MaskAll(text, spans, style, out);
}

}  // namespace menshen::internal
