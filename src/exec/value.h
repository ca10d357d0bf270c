// File: value.h
//
// Typed scalar values and column helpers shared by expressions, functions and operators:
// Scalar (a typed value or a typed NULL), ColumnBuilder (appends values of one type and produces
// a model::Column), type predicates and promotion, CastColumn(), a total order for doubles, and
// timestamp text conversion.
//
//   Scalar five = Scalar::Int64(5);
//   ColumnBuilder b(TypeId::kDouble);
//   b.AppendDouble(1.5); b.AppendNull();
//   Column c = b.Finish();                       // [1.5, NULL]
//   CS_ASSIGN_OR_RETURN(Column s, CastColumn(c, TypeId::kString));  // ["1.5", NULL]
//
// Durations (SQL INTERVAL) are int64 nanoseconds (TypeId::kInt64) in this module: the planner
// folds `interval '5 minutes'` to Scalar::Int64(300'000'000'000). timestamp - timestamp yields
// such an int64, timestamp +/- int64 yields a timestamp.
//
// Thread-safety: values are plain data; const use is safe from many threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "model/column.h"
#include "model/types.h"

namespace cardinalsin::exec {

using model::Column;
using model::TypeId;

// A typed value or a typed NULL. kBool holds bool, kInt64/kTimestampNs int64_t, kUInt64
// uint64_t, kDouble double, kString std::string; NULL holds std::monostate.
struct Scalar {
  using Value = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string>;

  TypeId type = TypeId::kInt64;
  Value value;

  static Scalar Null(TypeId type) { return Scalar{type, std::monostate{}}; }
  static Scalar Bool(bool v) { return Scalar{TypeId::kBool, v}; }
  static Scalar Int64(int64_t v) { return Scalar{TypeId::kInt64, v}; }
  static Scalar UInt64(uint64_t v) { return Scalar{TypeId::kUInt64, v}; }
  static Scalar Double(double v) { return Scalar{TypeId::kDouble, v}; }
  static Scalar String(std::string v) { return Scalar{TypeId::kString, std::move(v)}; }
  static Scalar Timestamp(int64_t ns) { return Scalar{TypeId::kTimestampNs, ns}; }

  bool is_null() const { return std::holds_alternative<std::monostate>(value); }
  // REQUIRES: not null and the matching type.
  bool bool_value() const { return std::get<bool>(value); }
  int64_t int64_value() const { return std::get<int64_t>(value); }
  uint64_t uint64_value() const { return std::get<uint64_t>(value); }
  double double_value() const { return std::get<double>(value); }
  const std::string& string_value() const { return std::get<std::string>(value); }

  // SQL-ish text: NULL, 'text', 1.5, TIMESTAMP '2024-01-01T00:00:00Z'.
  std::string ToString() const;
  bool operator==(const Scalar&) const = default;
};

// Row `row` of `column` as a Scalar. REQUIRES: row < column.size().
Scalar ScalarAt(const Column& column, size_t row);
// A column of `rows` copies of `value`. Strings come out dictionary-encoded (one entry), so
// string kernels evaluate them once.
Column ScalarToColumn(const Scalar& value, size_t rows);

// Appends values of one type; Finish() produces the column (plain strings). Not thread-safe.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(TypeId type);
  void Reserve(size_t rows);
  void AppendNull();
  void AppendBool(bool v);
  void AppendInt64(int64_t v);  // kInt64 and kTimestampNs
  void AppendUInt64(uint64_t v);
  void AppendDouble(double v);
  void AppendString(std::string_view v);
  // REQUIRES: value.type == type() (or value is NULL).
  void AppendScalar(const Scalar& value);
  // REQUIRES: column.type() == type().
  void AppendFrom(const Column& column, size_t row);
  TypeId type() const { return type_; }
  size_t size() const { return validity_.size(); }
  Column Finish();

 private:
  void MarkValid(bool valid);

  TypeId type_;
  std::vector<uint8_t> bools_;
  std::vector<int64_t> int64s_;
  std::vector<uint64_t> uint64s_;
  std::vector<double> doubles_;
  model::StringVector strings_;
  std::vector<uint8_t> validity_;
  bool has_null_ = false;
};

// kInt64, kUInt64, kDouble.
bool IsNumeric(TypeId type);
// kInt64, kUInt64, kTimestampNs (exact integer storage).
bool IsIntegral(TypeId type);

// The type both operands of arithmetic or comparison are converted to: equal types stay;
// int64/uint64 mixed -> int64 (values above INT64_MAX fail at evaluation); any double -> double.
// InvalidArgument naming both types when there is none (e.g. string and bool).
absl::StatusOr<TypeId> CommonNumericType(TypeId a, TypeId b);
// CommonNumericType, extended: equal types (any) stay; string vs timestamp -> timestamp (the
// string is parsed); NULL-only operands adopt the other side (see CommonSuperType in expr.h).
absl::StatusOr<TypeId> CommonComparableType(TypeId a, TypeId b);

// Converts `column` to `to`. NULL stays NULL. Errors are InvalidArgument (unparsable strings:
// `invalid input syntax for type int64: "abc"`) or OutOfRange (`value 1e+300 out of range for
// type int64`). Doubles -> integers round half away from zero; NaN/Inf -> integers fail.
// Timestamps <-> integers are nanoseconds since the epoch. Strings parse as trimmed decimal
// numbers, 'NaN'/'Infinity'/'-Infinity', booleans (true/false/t/f/yes/no/on/off/1/0, any case)
// and timestamps (see ParseTimestamp). Dictionary strings are converted once per entry.
absl::StatusOr<Column> CastColumn(const Column& column, TypeId to);
absl::StatusOr<Scalar> CastScalar(const Scalar& value, TypeId to);

// Total order on doubles used by comparisons, sorting, min/max and grouping (PostgreSQL
// semantics): -Inf < numbers < +Inf < NaN, NaN == NaN, -0 == +0. Returns <0, 0, >0.
inline int CompareDoubles(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0;
  bool a_nan = a != a, b_nan = b != b;
  return static_cast<int>(a_nan) - static_cast<int>(b_nan);
}

// Parses 'YYYY-MM-DD', 'YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]]' with an optional zone suffix
// 'Z', '+HH', '+HH:MM', '+HHMM' (or '-'), or ' UTC'; no zone means UTC. Surrounding spaces are
// allowed. InvalidArgument for anything else or outside the int64-nanosecond range
// (1677-09-21 .. 2262-04-11).
absl::StatusOr<int64_t> ParseTimestamp(std::string_view text);
// RFC 3339 in UTC with the fraction trimmed of trailing zeros: 2024-01-02T03:04:05.5Z.
std::string FormatTimestamp(int64_t ns);
// Shortest text that reads back to the same double; NaN, Infinity, -Infinity.
std::string FormatDouble(double v);

// Floor division for bucketing (rounds toward negative infinity). REQUIRES: b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
// The remainder matching FloorDiv, in [0, b). REQUIRES: b > 0.
inline int64_t FloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}
// a rounded down to a multiple of b, clamped to INT64_MIN when that multiple is not
// representable. REQUIRES: b > 0.
inline int64_t FloorTo(int64_t a, int64_t b) {
  __int128 r = static_cast<__int128>(a) - FloorMod(a, b);
  return r < INT64_MIN ? INT64_MIN : static_cast<int64_t>(r);
}

}  // namespace cardinalsin::exec
