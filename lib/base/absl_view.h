// Debian's Abseil is built with its own string_view type; public and internal
// APIs take std::string_view, and this bridges the two for Abseil calls.
#ifndef MENSHEN_LIB_BASE_ABSL_VIEW_H_
#define MENSHEN_LIB_BASE_ABSL_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace menshen::internal {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view SV(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_BASE_ABSL_VIEW_H_
