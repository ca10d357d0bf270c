// File: optimizer.h
//
// The rules the binder applies while it builds a plan, as pure functions over values it has
// already bound and folded:
//
//  - Time-range extraction: a comparison of `timestamp` (or of date_trunc / date_bin /
//    time_bucket of it) with a constant narrows the scan's inclusive [min, max] range. Constants
//    may be timestamps (`now() - interval '5 minutes'` is folded first), strings
//    ('2024-01-01T00:00:00Z', parsed as exec::ParseTimestamp does) or integers (nanoseconds, so
//    `timestamp >= 1700000000000000000` works: the original's defect 39). Bounds derived from a
//    bucketing function are conservative (a superset), so the exact filter stays above the scan.
//  - Metric-name and label conditions: LIKE 'abc%' becomes a prefix condition (exact only when
//    the pattern is a literal prefix followed by one trailing %).
//  - Interval literals: '5 minutes', '1 hour 30 minutes', '1.5s', INTERVAL '1' HOUR, to int64
//    nanoseconds (exec's duration representation). Months and years have no fixed length and
//    are rejected.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "exec/value.h"

namespace cardinalsin::plan {

// An inclusive time range; empty when min > max.
struct TimeRange {
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
  bool empty() const { return min > max; }
  void Intersect(const TimeRange& other) {
    if (other.min > min) min = other.min;
    if (other.max < max) max = other.max;
  }
};

enum class Comparison { kEq, kLt, kLe, kGt, kGe };

// The comparison seen from the other side (`c < ts` is `ts > c`).
Comparison Mirror(Comparison op);

// A constant compared with `timestamp`, as nanoseconds: timestamps as they are, strings parsed,
// int64 / uint64 as nanoseconds. nullopt for NULL, other types and strings that do not parse (the
// exact filter then decides, and reports the parse error).
std::optional<int64_t> TimestampOf(const exec::Scalar& value);

// The timestamps t with `t op c`.
TimeRange RangeOf(Comparison op, int64_t c);

// The timestamps t with `date_trunc(unit, t) op c`, conservatively (a superset).
// nullopt for an unknown unit.
std::optional<TimeRange> DateTruncRange(std::string_view unit, Comparison op, int64_t c);
// The timestamps t with `date_bin(stride, t, origin) op c` (also time_bucket), conservatively.
// REQUIRES: stride_ns > 0.
TimeRange DateBinRange(int64_t stride_ns, Comparison op, int64_t c);

struct LikePrefix {
  std::string prefix;
  bool exact = false;  // the pattern is exactly prefix + "%" (or exactly prefix when no wildcard)
  bool equality = false;  // no wildcard at all: LIKE means =
};
// The literal prefix of a LIKE pattern with the default escape (backslash), or nullopt when it
// starts with a wildcard.
std::optional<LikePrefix> LikePatternPrefix(std::string_view pattern);

// The RE2 pattern that fully matches exactly what the LIKE pattern (default escape, backslash)
// matches: `%` any text, `_` one character (code point), newlines included. nullopt for a
// malformed pattern (a trailing backslash), which the filter then reports.
std::optional<std::string> LikePatternRegex(std::string_view pattern);

// Parses an interval: `text` as in INTERVAL 'text' (several "<number> <unit>" parts, units
// nanosecond(s)/ns, microsecond(s)/us, millisecond(s)/ms, second(s)/sec(s)/s, minute(s)/min(s)/m,
// hour(s)/h, day(s)/d, week(s)/w, optionally signed; or a plain number when `unit` is given).
// InvalidArgument naming the text otherwise, OutOfRange beyond int64 nanoseconds.
absl::StatusOr<int64_t> ParseIntervalNs(std::string_view text, std::string_view unit = "");

}  // namespace cardinalsin::plan
