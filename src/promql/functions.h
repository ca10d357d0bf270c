// File: functions.h
//
// The table of PromQL functions the parser accepts: name, argument types, how many trailing
// arguments are optional or repeated, and the return type. It follows the Prometheus 3 function
// reference (https://prometheus.io/docs/prometheus/latest/querying/functions/), including the
// experimental functions the conformance corpus uses (double_exponential_smoothing, info,
// histogram_quantiles, mad_over_time, ts_of_*_over_time, first_over_time, sort_by_label,
// start_timestamp, and the query-time scalars step(), range(), start(), end(), min_of(a, b),
// max_of(a, b) of duration expressions).
//
//   const FunctionInfo* rate = LookupFunction("rate");  // nullptr for unknown names
//
// Thread-safety: the table is immutable static data.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "promql/ast.h"

namespace cardinalsin::promql {

struct FunctionInfo {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() arguments. Otherwise the last entry of arg_types is the type of
  // the trailing arguments, of which there may be 0..variadic (variadic > 0) or any number
  // (variadic == -1); so at least arg_types.size() - 1 arguments.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  bool experimental = false;
};

// The function named exactly `name` (case-sensitive, like Prometheus), or nullptr.
const FunctionInfo* LookupFunction(std::string_view name);

// Every function, sorted by name.
std::span<const FunctionInfo> AllFunctions();

}  // namespace cardinalsin::promql
