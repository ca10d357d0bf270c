// File: params.h
//
// Prometheus HTTP API parameter syntax, as Prometheus's web/api/v1 parses it:
//   - times: float Unix seconds ("1700000000.123", rounded to the millisecond) or RFC 3339 with an
//     optional fraction and a zone ("2023-11-14T22:13:20.123Z", "...+01:00"); also the two texts
//     Prometheus's clients send for "unbounded" (its formatted MinTime and MaxTime);
//   - durations: float seconds ("15", "0.5") or a Prometheus duration ("5m", "1h30m", "500ms").
//
//   absl::StatusOr<int64_t> t = ParseTimeMs("2023-11-14T22:13:20Z");    // 1700000000000
//   absl::StatusOr<int64_t> d = ParseDurationMs("1h30m");               // 5'400'000
//
// Errors carry Prometheus's texts, which clients show verbatim:
//   cannot parse "x" to a valid timestamp
//   cannot parse "x" to a valid duration
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cardinalsin::promapi {

// The range the API accepts for times, in ms: Prometheus's MinTime / MaxTime (about +-292 million
// years), so that ms <-> ns conversions downstream need clamping, never overflow checks here.
inline constexpr int64_t kMinTimeMs = std::numeric_limits<int64_t>::min() / 1000;
inline constexpr int64_t kMaxTimeMs = std::numeric_limits<int64_t>::max() / 1000;

// A time parameter in ms since the epoch. InvalidArgument `cannot parse "<text>" to a valid
// timestamp` otherwise (also for values outside [kMinTimeMs, kMaxTimeMs] and NaN).
[[nodiscard]] absl::StatusOr<int64_t> ParseTimeMs(std::string_view text);

// A duration parameter in ms (may be zero or negative when written as a float). InvalidArgument
// `cannot parse "<text>" to a valid duration` otherwise.
[[nodiscard]] absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

// Formats ms since the epoch as RFC 3339 in UTC with milliseconds ("2023-11-14T22:13:20.123Z").
std::string FormatRfc3339Ms(int64_t ms);

}  // namespace cardinalsin::promapi
