#include "bench/workloads.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include "bench/bench_corpus.h"
#include "lib/base/utf8.h"
#include "lib/normalize/normalizer.h"

namespace menshen::bench {
namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// The regular files dpkg installed for `package` under `prefix`, ending in
// `suffix`, in path order.
bool PackageFiles(const std::string& package, std::string_view prefix, std::string_view suffix,
                  std::vector<std::string>* files, std::string* error) {
  std::string list;
  if (!ReadWholeFile("/var/lib/dpkg/info/" + package + ".list", &list, error)) {
    *error = "Debian package " + package + " is not installed (bash tools/setup-debian.sh)";
    return false;
  }
  for (std::string_view line : SplitLines(list)) {
    if (line.substr(0, prefix.size()) != prefix) continue;
    if (line.size() < suffix.size() || line.substr(line.size() - suffix.size()) != suffix) {
      continue;
    }
    std::ifstream probe{std::string(line)};
    if (probe) files->emplace_back(line);
  }
  std::sort(files->begin(), files->end());
  if (files->empty()) {
    *error = "no files of Debian package " + package + " under " + std::string(prefix);
    return false;
  }
  return true;
}

bool ReadGzip(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  char buffer[1 << 16];
  int n;
  while ((n = gzread(f, buffer, sizeof buffer)) > 0) out->append(buffer, static_cast<size_t>(n));
  const bool ok = n == 0;
  gzclose(f);
  return ok;
}

// Drops bytes of invalid UTF-8 (a handful of pages have some).
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t len = internal::DecodeUtf8(s, i, &cp);
    if (len == 0) {
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

// Removes escape sequences of the roff text `s`.
std::string StripEscapes(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (++i >= s.size()) break;
    const char c = s[i];
    auto skip_name = [&] {  // (xx, [name], or one character
      if (i + 1 >= s.size()) return;
      if (s[i + 1] == '(') {
        i = std::min(s.size() - 1, i + 3);
      } else if (s[i + 1] == '[') {
        const size_t close = s.find(']', i + 2);
        i = close == std::string_view::npos ? s.size() - 1 : close;
      } else {
        ++i;
      }
    };
    switch (c) {
      case 'f':  // font
      case '*':  // string
      case 'n':  // number register
        skip_name();
        break;
      case 's':  // size: \s+2, \s0
        while (i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-' ||
                                    (s[i + 1] >= '0' && s[i + 1] <= '9'))) {
          ++i;
        }
        break;
      case '(':  // special character \(xx
        if (i + 2 < s.size()) {
          const std::string_view name = s.substr(i + 1, 2);
          if (name == "em" || name == "en" || name == "mi") out.push_back('-');
          if (name == "lq" || name == "rq" || name == "dq") out.push_back('"');
          if (name == "bu") out.append("*");
          i += 2;
        }
        break;
      case '[': {
        const size_t close = s.find(']', i + 1);
        i = close == std::string_view::npos ? s.size() - 1 : close;
        break;
      }
      case '-': out.push_back('-'); break;
      case 'e':
      case '\\': out.push_back('\\'); break;
      case ' ':
      case '~': out.push_back(' '); break;
      case '&': case ',': case '/': case '%': case ':': case 'c': case '|': case '^':
      case '"':  // a comment to the end of the line
        if (c == '"') i = s.size();
        break;
      default: out.push_back(c); break;
    }
  }
  return out;
}

// Text of a man page of `package`, or "" when it cannot be read.
std::string ManPageText(const std::string& path) {
  std::string roff;
  if (!ReadGzip(path, &roff)) return "";
  return ValidUtf8(RoffToText(ValidUtf8(roff)));  // escapes may cut a character
}

// The next fortunes of the files of fortunes-zh, about `bytes` of them.
class Fortunes {
 public:
  bool Load(std::string* error) {
    std::vector<std::string> files;
    if (!PackageFiles("fortunes-zh", "/usr/share/games/fortunes/", "", &files, error)) return false;
    for (const std::string& f : files) {
      if (f.find('.') != std::string::npos) continue;  // .dat indexes, .u8 links
      std::string content;
      if (!ReadWholeFile(f, &content, error)) return false;
      const std::string valid = ValidUtf8(content);
      std::string cookie;
      for (std::string_view line : SplitLines(valid)) {
        if (line == "%") {
          if (!cookie.empty()) cookies_.push_back(std::move(cookie));
          cookie.clear();
          continue;
        }
        cookie.append(StripAnsi(line)).push_back('\n');
      }
      if (!cookie.empty()) cookies_.push_back(std::move(cookie));
    }
    if (cookies_.empty()) {
      *error = "fortunes-zh has no fortunes";
      return false;
    }
    return true;
  }
  const std::string& Next() { return cookies_[next_++ % cookies_.size()]; }

 private:
  static std::string StripAnsi(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
        i += 2;
        while (i < s.size() && !(s[i] >= '@' && s[i] <= '~')) ++i;
        continue;
      }
      out.push_back(s[i]);
    }
    return out;
  }
  std::vector<std::string> cookies_;
  size_t next_ = 0;
};

constexpr size_t kTotalBytes = kWorkloadBlocks * kWorkloadBlockBytes;

bool ChineseText(std::string* text, std::string* error) {
  std::vector<std::string> cn, tw;
  if (!PackageFiles("manpages-zh", "/usr/share/man/zh_CN/", ".gz", &cn, error)) return false;
  std::vector<std::string> all;
  if (!PackageFiles("manpages-zh", "/usr/share/man/zh_TW/", ".gz", &tw, error)) tw.clear();
  Fortunes fortunes;
  if (!fortunes.Load(error)) return false;
  for (size_t i = 0; text->size() < kTotalBytes + kWorkloadBlockBytes &&
                     i < std::max(cn.size(), tw.size());
       ++i) {
    for (const std::vector<std::string>* list : {&cn, &tw}) {
      if (i >= list->size()) continue;
      text->append(ManPageText((*list)[i]));
      text->append(fortunes.Next());
    }
  }
  return true;
}

bool EnglishText(std::string* text, std::string* error) {
  std::vector<std::string> pages;
  if (!PackageFiles("manpages", "/usr/share/man/man", ".gz", &pages, error)) return false;
  for (const std::string& page : pages) {
    if (text->size() >= kTotalBytes + kWorkloadBlockBytes) break;
    text->append(ManPageText(page));
  }
  return true;
}

// Cuts `text` (repeated if short) into blocks ending at line ends.
std::vector<std::string> CutBlocks(const std::string& text) {
  std::vector<std::string> blocks;
  if (text.empty()) return blocks;
  size_t pos = 0;
  while (blocks.size() < kWorkloadBlocks) {
    std::string block;
    while (block.size() < kWorkloadBlockBytes) {
      if (pos >= text.size()) pos = 0;
      const size_t take = std::min(kWorkloadBlockBytes - block.size(), text.size() - pos);
      block.append(text, pos, take);
      pos += take;
    }
    const size_t nl = block.rfind('\n');
    if (nl != std::string::npos) {
      pos -= block.size() - (nl + 1);
      if (pos > text.size()) pos = 0;
      block.resize(nl + 1);
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

struct TextSlot {
  std::vector<std::string> blocks;
  std::string error;
};

TextSlot BuildText(TextKind kind) {
  TextSlot slot;
  std::string zh, en, text;
  if (kind != TextKind::kEn && !ChineseText(&zh, &slot.error)) return slot;
  if (kind != TextKind::kZh && !EnglishText(&en, &slot.error)) return slot;
  switch (kind) {
    case TextKind::kZh: text = std::move(zh); break;
    case TextKind::kEn: text = std::move(en); break;
    case TextKind::kMixed: {
      std::vector<std::string_view> a = SplitLines(zh), b = SplitLines(en);
      auto blank = [](std::string_view l) {
        return l.find_first_not_of(" \t") == std::string_view::npos;
      };
      a.erase(std::remove_if(a.begin(), a.end(), blank), a.end());
      b.erase(std::remove_if(b.begin(), b.end(), blank), b.end());
      for (size_t i = 0; i < a.size() && text.size() < kTotalBytes + kWorkloadBlockBytes; ++i) {
        text.append(a[i]).push_back('\n');
        if (!b.empty()) text.append(b[i % b.size()]).push_back('\n');
      }
      break;
    }
  }
  slot.blocks = CutBlocks(text);
  if (slot.blocks.empty()) slot.error = std::string("no ") + kTextNames[int(kind)] + " text";
  return slot;
}

bool IsHanLetter(char32_t c) { return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF); }
bool IsLatinLetter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string RoffToText(std::string_view roff) {
  static constexpr std::array<std::string_view, 15> kTextMacros = {
      "SH", "SS", "B", "I", "BR", "BI", "IB", "IR", "RB", "RI", "SM", "SB", "IP", "TP", "Nm"};
  std::string out;
  for (std::string_view line : SplitLines(roff)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) {
      std::string_view rest = line.substr(1);
      const size_t name_end = rest.find_first_of(" \t");
      const std::string_view name = rest.substr(0, name_end);
      if (name_end == std::string_view::npos ||
          std::find(kTextMacros.begin(), kTextMacros.end(), name) == kTextMacros.end()) {
        continue;
      }
      rest = rest.substr(name_end + 1);
      std::string args;
      for (char c : rest) {
        if (c != '"') args.push_back(c);
      }
      line = args;
      std::string text = StripEscapes(line);
      if (text.find_first_not_of(" \t") != std::string::npos) out.append(text).push_back('\n');
      continue;
    }
    std::string text = StripEscapes(line);
    if (text.find_first_not_of(" \t") != std::string::npos) out.append(text).push_back('\n');
  }
  return out;
}

const std::vector<std::string>& WorkloadBlocks(TextKind kind, std::string* error) {
  static std::array<TextSlot, 3> slots;
  static std::array<std::once_flag, 3> once;
  const size_t k = static_cast<size_t>(kind);
  std::call_once(once[k], [&] { slots[k] = BuildText(kind); });
  if (error != nullptr) *error = slots[k].error;
  return slots[k].blocks;
}

std::vector<std::string> HoubbSample(size_t count, std::string* error) {
  std::string ignored;
  std::vector<std::string> all = DictionaryTerms(size_t{1} << 30, &ignored);
  if (all.empty()) {
    *error = ignored;
    return all;
  }
  if (count == 0 || count >= all.size()) return all;
  std::vector<std::string> sample;
  sample.reserve(count);
  for (size_t i = 0; i < count; ++i) sample.push_back(all[i * all.size() / count]);
  return sample;
}

std::vector<std::string> DenseNgrams(TextKind kind, std::string* error) {
  const std::vector<std::string>& blocks = WorkloadBlocks(kind, error);
  std::vector<std::string> terms;
  if (blocks.empty()) return terms;
  std::unordered_map<std::string, uint32_t> counts;
  size_t bytes = 0;
  for (const std::string& block : blocks) {
    bytes += block.size();
    // Code points with their byte starts; an n-gram is 2..4 letters of one script.
    std::vector<std::pair<size_t, char32_t>> cps;
    for (size_t i = 0; i < block.size();) {
      char32_t cp = 0;
      size_t len = internal::DecodeUtf8(block, i, &cp);
      if (len == 0) len = 1, cp = 0;
      cps.emplace_back(i, cp);
      i += len;
    }
    cps.emplace_back(block.size(), 0);
    for (size_t k = 0; k + 1 < cps.size(); ++k) {
      const bool han = IsHanLetter(cps[k].second);
      if (!han && !IsLatinLetter(cps[k].second)) continue;
      for (size_t n = 2; n <= 4 && k + n < cps.size(); ++n) {
        const char32_t last = cps[k + n - 1].second;
        if (han ? !IsHanLetter(last) : !IsLatinLetter(last)) break;
        ++counts[block.substr(cps[k].first, cps[k + n].first - cps[k].first)];
      }
    }
  }
  // Only n-grams the fold leaves alone (lower case, simplified), so that the
  // engine's hits and the raw matches count the same occurrences, but for
  // those the fold makes (noise skipped between Han characters, upper case).
  std::vector<std::pair<std::string, uint32_t>> ranked;
  for (auto& [ngram, count] : counts) {
    if (internal::FoldTerm(ngram) == ngram) ranked.emplace_back(ngram, count);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  // The window of kDenseTerms ranks whose counts add up closest to the target.
  const double target = static_cast<double>(kDenseHitsPerMiB) * static_cast<double>(bytes) /
                        static_cast<double>(size_t{1} << 20);
  const size_t n = std::min(kDenseTerms, ranked.size());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += ranked[i].second;
  size_t best = 0;
  double best_gap = std::abs(sum - target);
  for (size_t start = 1; start + n <= ranked.size(); ++start) {
    sum += static_cast<double>(ranked[start + n - 1].second) - ranked[start - 1].second;
    const double gap = std::abs(sum - target);
    if (gap < best_gap) best_gap = gap, best = start;
    if (sum < target) break;
  }
  for (size_t i = best; i < best + n; ++i) terms.push_back(ranked[i].first);
  return terms;
}

std::vector<std::string_view> PromptWindows(const std::vector<std::string>& blocks, size_t count,
                                            size_t bytes) {
  std::vector<std::string_view> out;
  if (blocks.empty()) return out;
  const size_t per_block = (count + blocks.size() - 1) / blocks.size();
  for (size_t i = 0; i < count; ++i) {
    const std::string& b = blocks[i % blocks.size()];
    if (b.size() <= bytes) {
      out.emplace_back(b);
      continue;
    }
    const size_t slot = i / blocks.size();
    size_t start = slot * (b.size() - bytes) / per_block;
    size_t end = start + bytes;
    auto continuation = [&](size_t at) {
      return at < b.size() && (static_cast<unsigned char>(b[at]) & 0xC0) == 0x80;
    };
    while (continuation(start)) ++start;
    while (end > start && continuation(end)) --end;
    out.emplace_back(b.data() + start, end - start);
  }
  return out;
}

}  // namespace menshen::bench
