// File: strings.h
//
// String helpers that bridge std::string_view and Debian 12's Abseil, whose absl::string_view is
// a separate type (ABSL_OPTION_USE_STD_STRING_VIEW 0) that std::string_view does not convert to.
//
//   std::string message = base::StrCat("object not found: ", key);  // key is std::string_view
//   absl::StrSplit(base::AsAbsl(key), '/');
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cardinalsin::base {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

namespace internal {
inline absl::string_view StrCatPiece(std::string_view s) { return AsAbsl(s); }
template <typename T>
const T& StrCatPiece(const T& value) {
  return value;
}
}  // namespace internal

// absl::StrCat that also accepts std::string_view arguments.
template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(internal::StrCatPiece(args)...);
}

// absl::StrAppend that also accepts std::string_view arguments.
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, internal::StrCatPiece(args)...);
}

}  // namespace cardinalsin::base
