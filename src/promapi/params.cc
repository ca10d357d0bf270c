#include "promapi/params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/duration.h"
#include "base/strings.h"

namespace cardinalsin::promapi {
namespace {

// What Prometheus's clients send for an unbounded start or end: Go's RFC 3339 form of
// Prometheus's MinTime and MaxTime.
constexpr std::string_view kMinTimeText = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeText = "292277025-08-18T07:12:54.999999999Z";

// Parses the whole of `text` as a decimal float, accepting a leading '+' (as Go's ParseFloat
// does, but without its hex, underscore and Inf/NaN spellings, which no client sends for times).
bool ParseFloat(std::string_view text, double* value) {
  if (text.starts_with('+')) {
    text.remove_prefix(1);
    if (text.starts_with('-') || text.starts_with('+')) {
      return false;
    }
  }
  if (text.empty()) {
    return false;
  }
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), *value, std::chars_format::general);
  return error == std::errc() && end == text.data() + text.size() && std::isfinite(*value);
}

absl::Status BadTimestamp(std::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrFormat("cannot parse \"%s\" to a valid timestamp", base::AsAbsl(text)));
}

}  // namespace

absl::StatusOr<int64_t> ParseTimeMs(std::string_view text) {
  double seconds = 0;
  if (ParseFloat(text, &seconds)) {
    if (seconds < static_cast<double>(kMinTimeMs) / 1000 ||
        seconds > static_cast<double>(kMaxTimeMs) / 1000) {
      return BadTimestamp(text);
    }
    // As Prometheus: whole seconds plus the fraction rounded to the millisecond.
    double whole = 0;
    double fraction = std::modf(seconds, &whole);
    int64_t ms =
        static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(std::round(fraction * 1000));
    return std::clamp(ms, kMinTimeMs, kMaxTimeMs);
  }
  if (text == kMinTimeText) {
    return kMinTimeMs;
  }
  if (text == kMaxTimeText) {
    return kMaxTimeMs;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, base::AsAbsl(text), &time, &error)) {
    return BadTimestamp(text);
  }
  int64_t ms = absl::ToUnixMillis(time);
  if (ms < kMinTimeMs || ms > kMaxTimeMs) {
    return BadTimestamp(text);
  }
  return ms;
}

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  double seconds = 0;
  if (ParseFloat(text, &seconds)) {
    // Prometheus converts to int64 nanoseconds and rejects what does not fit.
    if (std::abs(seconds) * 1e9 >= 9.2233720368547758e18) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "cannot parse \"%s\" to a valid duration. It overflows int64", base::AsAbsl(text)));
    }
    return static_cast<int64_t>(seconds * 1000);
  }
  absl::StatusOr<absl::Duration> duration = base::ParseHumanDuration(text);
  if (!duration.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cannot parse \"%s\" to a valid duration", base::AsAbsl(text)));
  }
  return absl::ToInt64Milliseconds(*duration);
}

std::string FormatRfc3339Ms(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace cardinalsin::promapi
