#include "bench/bench_corpus.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_set>

#include "lib/base/utf8.h"
#include "lib/normalize/normalizer.h"

#ifndef MENSHEN_SHARED_DIR
#define MENSHEN_SHARED_DIR "../shared"
#endif

namespace menshen::bench {
namespace {

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Whether valid UTF-8 `s` has a code point at or above U+2E80 (CJK radicals,
// ideographs, kana, Hangul, full-width forms; nothing English prose needs).
bool HasCjk(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0xF0) return true;
    if (b >= 0xE0 && i + 2 < s.size()) {
      const unsigned cp = ((b & 0x0Fu) << 12) |
                          ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                          (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      if (cp >= 0x2E80) return true;
    }
  }
  return false;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// `base` repeated and cut at the last newline at or before kCorpusBytes.
std::string RepeatToSize(const std::string& base) {
  std::string out;
  if (base.empty()) return out;
  out.reserve(kCorpusBytes + base.size());
  while (out.size() < kCorpusBytes) out += base;
  if (out.size() > kCorpusBytes) {
    const size_t nl = out.rfind('\n', kCorpusBytes - 1);
    out.resize(nl == std::string::npos ? kCorpusBytes : nl + 1);
  }
  return out;
}

bool ChineseLines(std::vector<std::string>* lines, std::string* error) {
  std::string tsv;
  if (!ReadWholeFile(SharedDir() + "/eval/cold_dev.tsv", &tsv, error)) return false;
  for (std::string_view line : Lines(tsv)) {
    const size_t a = line.find('\t');
    const size_t b = a == std::string_view::npos ? a : line.find('\t', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view text = line.substr(b + 1);
    text = text.substr(0, text.find('\t'));
    if (!text.empty()) lines->emplace_back(text);
  }
  if (lines->empty()) {
    *error = "no text column in eval/cold_dev.tsv";
    return false;
  }
  return true;
}

bool EnglishText(std::string* text, std::string* error) {
  const std::string dir = SharedDir();
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir + "/lexicons/licenses", ec)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path().string());
  }
  if (ec) {
    *error = dir + "/lexicons/licenses: " + ec.message();
    return false;
  }
  std::sort(files.begin(), files.end());  // deterministic order
  files.push_back(dir + "/eval/LICENSE-COLD-Apache-2.0.txt");
  for (const std::string& f : files) {
    std::string content;
    if (!ReadWholeFile(f, &content, error)) return false;
    // Apache-2.0.txt carries a Chinese translation: keep the English only.
    for (std::string_view line : Lines(content)) {
      if (!internal::IsValidUtf8(line) || HasCjk(line)) continue;
      text->append(line).push_back('\n');
    }
  }
  return true;
}

struct CorpusSlot {
  std::string text;
  std::string error;
};

CorpusSlot BuildCorpus(CorpusKind kind) {
  CorpusSlot slot;
  std::vector<std::string> zh;
  std::string en;
  if (kind != CorpusKind::kEn && !ChineseLines(&zh, &slot.error)) return slot;
  if (kind != CorpusKind::kZh && !EnglishText(&en, &slot.error)) return slot;
  std::string base;
  switch (kind) {
    case CorpusKind::kZh:
      for (const std::string& l : zh) base.append(l).push_back('\n');
      break;
    case CorpusKind::kEn:
      base = en;
      break;
    case CorpusKind::kMixed: {
      std::vector<std::string_view> en_lines;
      for (std::string_view l : Lines(en)) {
        l = TrimAscii(l);
        if (!l.empty()) en_lines.push_back(l);
      }
      if (en_lines.empty()) {
        slot.error = "no English lines";
        return slot;
      }
      for (size_t i = 0; i < zh.size(); ++i) {
        base.append(zh[i]).push_back('\n');
        base.append(en_lines[i % en_lines.size()]).push_back('\n');
      }
      break;
    }
  }
  slot.text = RepeatToSize(base);
  return slot;
}

}  // namespace

std::string SharedDir() {
  if (const char* env = std::getenv("MENSHEN_SHARED"); env != nullptr && *env != '\0') {
    return env;
  }
  return MENSHEN_SHARED_DIR;
}

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path + " (set MENSHEN_SHARED to the shared data folder)";
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}


std::vector<std::string> DictionaryTerms(size_t count, std::string* error) {
  std::vector<std::string> terms;
  std::string dict;
  const std::string path = SharedDir() + "/lexicons/houbb_sensitive_word_dict_v20240407.txt";
  if (!ReadWholeFile(path, &dict, error)) return terms;
  std::unordered_set<std::string_view> seen;
  for (std::string_view line : Lines(dict)) {
    if (terms.size() == count) break;
    if (line.find('\t') != std::string_view::npos) continue;
    line = TrimAscii(line);
    if (line.empty() || line[0] == '#') continue;
    if (!internal::IsValidUtf8(line) || internal::CountCodePoints(line) < 2) continue;
    if (!seen.insert(line).second) continue;
    terms.emplace_back(line);
  }
  if (terms.size() < count) {
    *error = path + ": only " + std::to_string(terms.size()) + " usable terms";
  }
  return terms;
}

const std::string& Corpus(CorpusKind kind, std::string* error) {
  static const std::array<CorpusSlot, 3> slots = {
      BuildCorpus(CorpusKind::kZh), BuildCorpus(CorpusKind::kEn),
      BuildCorpus(CorpusKind::kMixed)};
  const CorpusSlot& slot = slots[static_cast<size_t>(kind)];
  if (error != nullptr) *error = slot.error;
  return slot.text;
}

std::vector<std::string_view> SplitPrompts(std::string_view text, size_t max_bytes) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t cut = std::min(max_bytes, text.size());
    // Back up to a code point boundary.
    while (cut < text.size() && cut > 0 &&
           (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    if (cut == 0) cut = std::min(max_bytes, text.size());  // degenerate input
    out.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  return out;
}

}  // namespace menshen::bench
