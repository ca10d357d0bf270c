// File: naming.h
//
// OpenTelemetry -> Prometheus name translation (docs/format/otlp-translation.md), following the
// OpenTelemetry "Prometheus and OpenMetrics compatibility" specification as Prometheus 3 applies
// it in its default `UnderscoreEscapingWithSuffixes` strategy:
//
//   TranslateMetricName("process.cpu.time", "s", NameKind::kMonotonicCounter)
//       == "process_cpu_time_seconds_total"
//   TranslateLabelName("http.request.method") == "http_request_method"
//   TranslateLabelName("0x") == "key_0x"
//   FormatFloat(0.25) == "0.25", FormatFloat(INFINITY) == "+Inf"
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cardinalsin::otlp {

// What decides the suffixes of a translated metric name.
enum class NameKind : uint8_t {
  kGauge,                // Gauge: `_ratio` for unit "1"
  kMonotonicCounter,     // monotonic Sum: `_total`
  kNonMonotonicCounter,  // non-monotonic Sum: no type suffix
  kHistogram,            // Histogram and ExponentialHistogram (the caller appends _bucket etc.)
  kSummary,
};

// The Prometheus family name for an OTLP metric: the name split into tokens at every character
// outside [a-zA-Z0-9:], the unit's suffix tokens (`s` -> `seconds`, `By/s` -> `bytes_per_second`,
// `{request}` and `1` -> none) unless the name already has them, `total` for monotonic
// counters and `ratio` for gauges of unit "1" moved to the end, joined with `_`, and `_` in front
// of a leading digit. Returns "" when nothing valid remains (e.g. the name is only dots).
std::string TranslateMetricName(std::string_view name, std::string_view unit, NameKind kind);

// The Prometheus label name for an attribute key: every run of characters outside
// [a-zA-Z0-9] becomes one `_`, a leading digit gets the prefix `key_`, and a key of the form
// `__x__` keeps its double underscores. Returns "" for an empty key or one that becomes only
// underscores.
std::string TranslateLabelName(std::string_view key);

// The unit suffix alone (`By/s` -> `bytes_per_second`, `{packet}` -> ""), as TranslateMetricName
// would append it to a name that does not already contain it.
std::string TranslateUnit(std::string_view unit);

// Shortest decimal that round-trips, never in exponent notation (Go's
// strconv.FormatFloat(v, 'f', -1, 64)), with "+Inf", "-Inf" and "NaN": how Prometheus' OTLP
// translator writes `le` and `quantile` values, and how attribute doubles become label values.
std::string FormatFloat(double value);

// Bits of Prometheus' staleness marker, a NaN that PromQL treats as "series ended".
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

}  // namespace cardinalsin::otlp
