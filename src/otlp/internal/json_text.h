// File: internal/json_text.h
//
// Writing compact JSON for array and kvlist attribute values (docs/format/otlp-translation.md,
// "Attribute values"). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace cardinalsin::otlp::internal {

// Appends a double as a JSON value: finite values as FormatFloat writes them, NaN and the
// infinities as the strings the protobuf JSON mapping uses ("NaN", "Infinity", "-Infinity").
void AppendJsonDouble(std::string* out, double value);

// The deepest array/kvlist nesting an attribute value may have; deeper values are malformed
// input (and would otherwise recurse without bound).
inline constexpr int kMaxValueDepth = 32;

}  // namespace cardinalsin::otlp::internal
