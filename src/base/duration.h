// File: duration.h
//
// Parses the human duration strings used by flags and environment variables: one or more
// <integer><unit> terms with units ms, s, m, h, d, w, y (Prometheus's duration syntax, so
// "90s", "1h30m", "500ms", "7d" all work). A bare "0" is zero.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cardinalsin::base {

// Returns InvalidArgument naming the input when it is not a duration.
[[nodiscard]] absl::StatusOr<absl::Duration> ParseHumanDuration(std::string_view text);

// Formats as the shortest exact term sequence ParseHumanDuration() accepts ("1h30m", "250ms",
// "0s").
std::string FormatHumanDuration(absl::Duration d);

}  // namespace cardinalsin::base
