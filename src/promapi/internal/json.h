// File: internal/json.h
//
// JSON text for the Prometheus HTTP API's bodies, written directly into a string (query results
// can hold millions of points). Formats as Prometheus's encoder does:
//   - timestamps: seconds with the milliseconds as exactly three decimals when non-zero
//     (1700000000123 -> 1700000000.123, 1700000000100 -> 1700000000.100, 1700000000000 ->
//     1700000000);
//   - sample values: strings in Go's shortest fixed notation ("1.5", "0.0000001", "-0"), "NaN",
//     "+Inf", "-Inf";
//   - strings: escaped; invalid UTF-8 bytes become U+FFFD, as Go's encoding/json does.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promql/value.h"

namespace cardinalsin::promapi::internal {

void AppendTimestamp(std::string* out, int64_t ms);
// The value without quotes.
void AppendSampleValueText(std::string* out, double value);
// [<timestamp>,"<value>"]
void AppendPoint(std::string* out, int64_t ms, double value);
// {"name":"value",...} in the labels' order.
void AppendLabels(std::string* out, const promql::Labels& labels);
// {"resultType":"...","result":...} for a query result.
void AppendQueryData(std::string* out, const promql::Value& value);

}  // namespace cardinalsin::promapi::internal
