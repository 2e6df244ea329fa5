#include "lib/normalize/stream_fold.h"

#include <algorithm>

#include "lib/normalize/fold_table.h"
#include "lib/normalize/utf8_decode.h"

namespace menshen::internal {
namespace {

namespace ft = fold_table;

constexpr uint64_t kNoRun = uint64_t{1} << 40;

inline void AppendFinal(std::string_view bytes, uint64_t from, uint64_t to, uint64_t base,
                        FoldedText* window) {
  const uint32_t b = static_cast<uint32_t>(from - base);
  const uint32_t e = static_cast<uint32_t>(to - base);
  for (char ch : bytes) {
    window->text.push_back(ch);
    window->begin.push_back(b);
    window->end.push_back(e);
  }
}

}  // namespace

void StreamFolder::Reset() {
  carry_len_ = 0;
  consumed_ = 0;
  invalid_ = 0;
  pending_ = kNoRun;
  prov_text_.clear();
  prov_begin_.clear();
  prov_end_.clear();
}

void StreamFolder::FlushProvisional(uint64_t base, FoldedText* window) {
  if (prov_text_.empty()) return;
  for (size_t k = 0; k < prov_text_.size(); ++k) {
    AppendFinal(std::string_view(&prov_text_[k], 1), prov_begin_[k], prov_end_[k], base, window);
  }
  prov_text_.clear();
  prov_begin_.clear();
  prov_end_.clear();
}

// The block fold's noise rule, one folded code point at a time: a Han
// character drops a run of 1..kMaxNoiseRun noise code points before it; a
// run that grows past that, or anything else, makes the run final.
void StreamFolder::Emit(char32_t c, uint32_t cls, uint64_t from, uint64_t to, uint64_t base,
                        FoldedText* window) {
  char utf8[4];
  const std::string_view bytes(utf8, EncodeUtf8(c, utf8));
  if (cls == ft::kClassHan) {
    if (pending_ - 1 < static_cast<uint64_t>(kMaxNoiseRun)) {
      prov_text_.clear();
      prov_begin_.clear();
      prov_end_.clear();
    } else {
      FlushProvisional(base, window);
    }
    AppendFinal(bytes, from, to, base, window);
    pending_ = 0;
    return;
  }
  if (cls == ft::kClassNoise) {
    pending_ = std::min(pending_ + 1, kNoRun);
    if (pending_ <= static_cast<uint64_t>(kMaxNoiseRun)) {
      for (char ch : bytes) {
        prov_text_.push_back(ch);
        prov_begin_.push_back(from);
        prov_end_.push_back(to);
      }
      return;
    }
    FlushProvisional(base, window);
    AppendFinal(bytes, from, to, base, window);
    return;
  }
  FlushProvisional(base, window);
  AppendFinal(bytes, from, to, base, window);
  pending_ = kNoRun;
}

void StreamFolder::FoldCodePoint(char32_t c, uint64_t from, uint64_t to, uint64_t base,
                                 FoldedText* window) {
  const uint32_t en = ft::Lookup(c);
  switch (ft::ModeOf(en)) {
    case ft::kModeIdentity:
      Emit(c, ft::ClassOf(en), from, to, base, window);
      break;
    case ft::kModeSingle:
      Emit(en & ft::kValueMask, ft::ClassOf(en), from, to, base, window);
      break;
    case ft::kModeExpansion: {
      const uint32_t* item = ft::kPool + (en & ft::kValueMask);
      const uint32_t count = *item++;
      for (uint32_t k = 0; k < count; ++k) {
        Emit(item[k] & ft::kValueMask, item[k] >> ft::kClassShift, from, to, base, window);
      }
      break;
    }
    default:  // kModeEmpty: ignorables produce nothing
      break;
  }
}

void StreamFolder::Feed(std::string_view chunk, uint64_t base, FoldedText* window) {
  const auto* in = reinterpret_cast<const unsigned char*>(chunk.data());
  const size_t n = chunk.size();
  // Most chunks fold to about their own size: one reservation per chunk.
  const size_t want = window->text.size() + n + 16;
  if (window->text.capacity() < want) {
    window->text.reserve(2 * want);
    window->begin.reserve(2 * want);
    window->end.reserve(2 * want);
  }
  size_t i = 0;
  // First complete the sequence the previous chunk cut.
  while (carry_len_ > 0 && i < n) {
    carry_[carry_len_++] = in[i++];
    consumed_++;
    char32_t c;
    bool valid;
    const size_t len = DecodeMultiByte(carry_, carry_len_, &c, &valid);
    if (!valid && len == carry_len_ && IsIncompleteSequence(carry_, carry_len_)) continue;
    // Decoded, or an invalid subpart: bytes of the carry beyond it are
    // decoded again from the chunk (they are at most the one just taken).
    const uint64_t start = consumed_ - carry_len_;
    invalid_ += !valid;
    FoldCodePoint(c, start, start + len, base, window);
    const size_t unused = carry_len_ - len;
    i -= unused;
    consumed_ -= unused;
    carry_len_ = 0;
  }
  while (i < n) {
    if (in[i] < 0x80 && pending_ > static_cast<uint64_t>(kMaxNoiseRun)) {
      // ASCII with no noise run open folds 1:1 (A-Z lowered) and cannot
      // open one, as in the block fold's ASCII path.
      size_t k = i;
      while (k < n && in[k] < 0x80) ++k;
      const size_t at = window->text.size();
      window->text.resize(at + (k - i));
      window->begin.resize(at + (k - i));
      window->end.resize(at + (k - i));
      for (size_t j = i; j < k; ++j) {
        const unsigned ch = in[j];
        const uint32_t pos = static_cast<uint32_t>(consumed_ + (j - i) - base);
        window->text[at + (j - i)] = static_cast<char>(ch - 'A' < 26u ? ch + 32 : ch);
        window->begin[at + (j - i)] = pos;
        window->end[at + (j - i)] = pos + 1;
      }
      consumed_ += k - i;
      i = k;
      continue;
    }
    // Han characters that fold to themselves (most of Chinese text): their
    // bytes go to the window as they are, with the noise rule of Emit().
    // Leads E4..E9 with two continuation bytes are U+4000..U+9FFF, always
    // valid and never cut by this chunk.
    if (in[i] - 0xE4u < 6u && i + 2 < n && (in[i + 1] & 0xC0) == 0x80 &&
        (in[i + 2] & 0xC0) == 0x80) {
      const char32_t c = (static_cast<char32_t>(in[i] & 0x0F) << 12) |
                         (static_cast<char32_t>(in[i + 1] & 0x3F) << 6) | (in[i + 2] & 0x3F);
      const uint32_t en = ft::Lookup(c);
      if (ft::ModeOf(en) == ft::kModeIdentity && ft::ClassOf(en) == ft::kClassHan) {
        if (pending_ - 1 < static_cast<uint64_t>(kMaxNoiseRun)) {
          prov_text_.clear();
          prov_begin_.clear();
          prov_end_.clear();
        } else {
          FlushProvisional(base, window);
        }
        AppendFinal(std::string_view(chunk.data() + i, 3), consumed_, consumed_ + 3, base,
                    window);
        pending_ = 0;
        consumed_ += 3;
        i += 3;
        continue;
      }
    }
    char32_t c;
    bool valid = true;
    size_t len = 1;
    if (in[i] < 0x80) {
      c = in[i];
    } else {
      if (IsIncompleteSequence(in + i, n - i)) {
        carry_len_ = n - i;
        std::copy(in + i, in + n, carry_);
        consumed_ += carry_len_;
        return;
      }
      len = DecodeMultiByte(in + i, n - i, &c, &valid);
    }
    invalid_ += !valid;
    FoldCodePoint(c, consumed_, consumed_ + len, base, window);
    consumed_ += len;
    i += len;
  }
}

void StreamFolder::Finish(uint64_t base, FoldedText* window) {
  size_t k = 0;
  const uint64_t start = consumed_ - carry_len_;
  while (k < carry_len_) {
    char32_t c;
    bool valid;
    const size_t len = DecodeMultiByte(carry_ + k, carry_len_ - k, &c, &valid);
    invalid_ += !valid;
    FoldCodePoint(c, start + k, start + k + len, base, window);
    k += len;
  }
  carry_len_ = 0;
  FlushProvisional(base, window);
  pending_ = kNoRun;
}

}  // namespace menshen::internal
