// File: functions.h
//
// The scalar function registry the binder resolves names against, and the vectorized kernels
// behind it. Names are case-insensitive.
//
//   std::vector<TypeId> types = {TypeId::kString, TypeId::kTimestampNs};
//   CS_ASSIGN_OR_RETURN(BoundScalarFunction f, LookupScalarFunction("date_trunc", types));
//   // f.result_type == kTimestampNs; f.arg_types says what each argument must be cast to
//
// Functions (durations are int64 nanoseconds, timestamps kTimestampNs, all UTC):
//   date_trunc(unit, ts)            unit: microsecond, millisecond, second, minute, hour, day,
//                                   week (ISO, Monday), month, quarter, year, decade, century
//   date_bin(stride, ts[, origin])  floor to stride-wide bins aligned at origin (default epoch)
//   time_bucket(stride, ts[, origin])  same, default origin 2000-01-03T00:00:00Z (a Monday)
//   date_part(field, ts) / extract  -> double; field: epoch, year, quarter, month, week (ISO),
//                                   day, dow (Sunday 0), isodow (Monday 1), doy, hour, minute,
//                                   second (with fraction), millisecond(s), microsecond(s)
//   abs, round(x[, n]), floor, ceil/ceiling, sign, sqrt, cbrt, ln, log10/log, exp,
//   power/pow(x, y)                 abs/round/floor/ceil keep integer types (abs(INT64_MIN)
//                                   fails); the rest return double. sqrt of a negative and
//                                   ln/log10 of zero or a negative fail (PostgreSQL).
//   greatest(...), least(...)       NULLs ignored; NULL only if every argument is NULL
//   lower, upper (ASCII), length/char_length (code points), octet_length, concat(...) (NULLs
//   ignored), substr/substring(s, start[, count]) (1-based, code points), replace(s, from, to),
//   trim/btrim/ltrim/rtrim(s[, characters]), starts_with(s, prefix), split_part(s, delim, n)
//   (negative n counts from the end), strpos(s, sub) (1-based, 0 if absent),
//   regexp_replace(s, pattern, replacement[, flags]) (RE2; flags: g global, i case-insensitive;
//   \1..\9 in the replacement), left(s, n), right(s, n), reverse(s)
//
// Thread-safety: lookups and kernels are safe to call concurrently.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "exec/value.h"

namespace cardinalsin::exec {

// Evaluates one batch: args[i] has type arg_types[i] and `num_rows` rows.
using ScalarKernel =
    std::function<absl::StatusOr<Column>(std::span<const Column> args, size_t num_rows)>;

struct BoundScalarFunction {
  std::string name;               // canonical lower-case name
  std::vector<TypeId> arg_types;  // what each argument must be converted to before the kernel
  TypeId result_type = TypeId::kInt64;
  // Strict: any NULL argument gives NULL (lets callers evaluate once per dictionary entry).
  bool strict = true;
  ScalarKernel kernel;
};

// Resolves `name` for arguments of `arg_types`. NotFound "unknown function: foo" when no such
// function exists, InvalidArgument "function date_trunc(int64, string) does not exist; expected
// date_trunc(string, timestamp_ns)" when the types do not fit.
absl::StatusOr<BoundScalarFunction> LookupScalarFunction(std::string_view name,
                                                         std::span<const TypeId> arg_types);

// True when `name` names a scalar function (for the binder's error messages).
bool IsScalarFunction(std::string_view name);

// Bucketing helpers shared with the planner's time-range extraction. REQUIRES: stride_ns > 0.
int64_t DateBin(int64_t stride_ns, int64_t ts, int64_t origin);
// InvalidArgument for an unknown unit.
absl::StatusOr<int64_t> DateTrunc(std::string_view unit, int64_t ts);

}  // namespace cardinalsin::exec
