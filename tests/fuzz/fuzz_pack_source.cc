// Fuzz target: a pack source from bytes. The input is split at the first NUL
// into pack.textproto and terms.tsv (and at the second into regexes.tsv);
// compiling must fail with a message or succeed, never crash.
#include <cstdint>
#include <string>

#include "lib/pack/compiler.h"
#include "lib/pack/source.h"
#include "lib/pack/taxonomy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  menshen::internal::PackSource source;
  source.origin = "fuzz";
  const size_t first = input.find('\0');
  source.files["pack.textproto"] = input.substr(0, first);
  if (first != std::string::npos) {
    const size_t second = input.find('\0', first + 1);
    source.files["terms.tsv"] = input.substr(first + 1, second - first - 1);
    if (second != std::string::npos) source.files["regexes.tsv"] = input.substr(second + 1);
  }
  (void)menshen::internal::CompilePack(source, menshen::internal::Taxonomy::Embedded(), {});
  return 0;
}
