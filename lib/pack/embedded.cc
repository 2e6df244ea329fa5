#include "lib/pack/embedded.h"

namespace menshen::internal {

std::optional<std::string_view> FindEmbeddedFile(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    if (path == f.path) return std::string_view(reinterpret_cast<const char*>(f.data), f.size);
  }
  return std::nullopt;
}

}  // namespace menshen::internal
