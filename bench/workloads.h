// Server workloads for issue 19, built at run time:
//
// Texts, from Debian packages (tools/setup-debian.sh installs them), cut into
// kWorkloadBlocks blocks of 1 MiB at line ends:
//   zh     Chinese technical text: the manual pages of manpages-zh (zh_CN and
//          zh_TW alternating, roff markup stripped), each followed by the
//          next fortune of fortunes-zh
//   en     English technical text: the manual pages of manpages
//   mixed  a line of zh, then a line of en, alternating
// The files are those dpkg lists for the package
// (/var/lib/dpkg/info/<package>.list), read in path order.
//
// Term lists, from $MENSHEN_SHARED/lexicons (bench_corpus.h):
//   1k, 10k  evenly spaced samples of the houbb dictionary's usable lines
//   65k      all of them (65,141)
//   dense    10,000 n-grams of 2 to 4 letters (Han, or Latin) of the text
//            itself that the fold leaves unchanged, chosen by frequency so
//            that they match about kDenseHitsPerMiB times per MiB of it
#ifndef MENSHEN_BENCH_WORKLOADS_H_
#define MENSHEN_BENCH_WORKLOADS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace menshen::bench {

enum class TextKind { kZh = 0, kEn = 1, kMixed = 2 };
inline constexpr const char* kTextNames[] = {"zh", "en", "mixed"};

inline constexpr size_t kWorkloadBlockBytes = size_t{1} << 20;
inline constexpr size_t kWorkloadBlocks = 4;
inline constexpr size_t kDenseHitsPerMiB = 100000;
inline constexpr size_t kDenseTerms = 10000;

// The text of `kind`: kWorkloadBlocks blocks of at most kWorkloadBlockBytes,
// each ending at a line end, valid UTF-8. Built once. Empty, with a message
// in *error, when a package is missing.
const std::vector<std::string>& WorkloadBlocks(TextKind kind, std::string* error);

// `count` evenly spaced usable lines of the houbb dictionary (all of them
// when count is 0 or larger than the list). Deterministic.
std::vector<std::string> HoubbSample(size_t count, std::string* error);

// kDenseTerms n-grams of the blocks of `kind`, as described above.
std::vector<std::string> DenseNgrams(TextKind kind, std::string* error);

// Plain text of one manual page in roff (man macros): macro lines give their
// arguments where they carry text, comments and requests are dropped, font
// and spacing escapes removed.
std::string RoffToText(std::string_view roff);

// `count` windows of about `bytes` bytes spread evenly over `blocks`, cut at
// code point boundaries.
std::vector<std::string_view> PromptWindows(const std::vector<std::string>& blocks, size_t count,
                                            size_t bytes);

}  // namespace menshen::bench

#endif  // MENSHEN_BENCH_WORKLOADS_H_
