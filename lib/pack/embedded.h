// Files compiled into the library: the risk taxonomy and the starter pack's
// sources, so the library works with no files on disk.
#ifndef MENSHEN_LIB_PACK_EMBEDDED_H_
#define MENSHEN_LIB_PACK_EMBEDDED_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "absl/types/span.h"

namespace menshen::internal {

struct EmbeddedFile {
  const char* path;  // relative to keyword_packs/, e.g. "starter/pack.textproto"
  const unsigned char* data;
  size_t size;
};

absl::Span<const EmbeddedFile> EmbeddedFiles();

// The content of an embedded file, if there is one at `path`.
std::optional<std::string_view> FindEmbeddedFile(std::string_view path);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_EMBEDDED_H_
