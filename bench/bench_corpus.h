// Benchmark inputs built at run time from the shared data folder: a list of
// pack terms and ~1 MiB Chinese, English and mixed corpora.
//
// The data folder is $MENSHEN_SHARED, else MENSHEN_SHARED_DIR (set by CMake to
// the `shared` folder next to the repo). Nothing from it is copied into the
// repo; files are only read.
#ifndef MENSHEN_BENCH_BENCH_CORPUS_H_
#define MENSHEN_BENCH_BENCH_CORPUS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace menshen::bench {

// The shared data folder.
std::string SharedDir();

// Reads a whole file; false (and a message in *error) when it cannot.
bool ReadWholeFile(const std::string& path, std::string* out, std::string* error);

bool IsValidUtf8(std::string_view s);
size_t CountCodePoints(std::string_view valid_utf8);

// The first `count` distinct lines of the houbb dictionary that have no tab,
// do not start with '#', are valid UTF-8 and have at least 2 code points
// (after trimming ASCII whitespace). Deterministic. Fewer than `count` (and a
// message in *error) when the file is missing or short.
std::vector<std::string> DictionaryTerms(size_t count, std::string* error);

enum class CorpusKind { kZh = 0, kEn = 1, kMixed = 2 };

inline constexpr size_t kCorpusBytes = size_t{1} << 20;

// The corpus of `kind`, built once: the base text repeated and cut at the last
// newline at or before kCorpusBytes, so it is valid UTF-8.
//   zh:    column 3 of eval/cold_dev.tsv, one text per line
//   en:    the lines without CJK of lexicons/licenses/*.txt (sorted), then of
//          eval/LICENSE-COLD-Apache-2.0.txt (Apache-2.0.txt has a Chinese
//          translation, which is left out)
//   mixed: one Chinese line, then one non-blank English line, alternating
// Empty (and a message in *error) when the data is missing.
const std::string& Corpus(CorpusKind kind, std::string* error);

// Splits `text` into consecutive pieces of at most `max_bytes`, each cut on
// a code point boundary (the text must be valid UTF-8).
std::vector<std::string_view> SplitPrompts(std::string_view text, size_t max_bytes);

}  // namespace menshen::bench

#endif  // MENSHEN_BENCH_BENCH_CORPUS_H_
