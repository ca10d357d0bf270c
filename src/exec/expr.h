// File: expr.h
//
// Physical expressions: a typed tree evaluated one RecordBatch at a time, producing a Column of
// batch.num_rows() values. The binder lowers SQL expressions into these factories; every
// factory checks operand types and returns InvalidArgument naming the operator and the types
// when they do not fit, so evaluation never meets a type error.
//
//   // value > 100 AND job LIKE 'api%'
//   CS_ASSIGN_OR_RETURN(ExprPtr gt, MakeCompare(CompareOp::kGt,
//       MakeColumnRef(2, TypeId::kDouble, "value"), MakeLiteral(Scalar::Double(100))));
//   CS_ASSIGN_OR_RETURN(ExprPtr like, MakeLike(MakeColumnRef(4, TypeId::kString, "job"), "api%"));
//   CS_ASSIGN_OR_RETURN(ExprPtr both, MakeAnd({gt, like}));
//   CS_ASSIGN_OR_RETURN(Column mask, both->Evaluate(batch));   // bool column with NULLs
//
// SQL semantics implemented here:
//  - NULL propagates through arithmetic, comparisons, casts and strict functions.
//  - AND/OR/NOT use three-valued logic; AND/OR evaluate later operands only on rows the earlier
//    ones left undecided, CASE evaluates a THEN/ELSE only on the rows that select it and
//    COALESCE an operand only on rows still NULL, so `CASE WHEN x = 0 THEN 0 ELSE 1 / x END`
//    never divides by zero.
//  - Integer arithmetic (int64, uint64) is checked: overflow fails with OutOfRange
//    "int64 out of range: 9223372036854775807 + 1"; integer division and modulo by zero fail with
//    InvalidArgument "division by zero"; integer division truncates toward zero (PostgreSQL).
//    Double arithmetic is IEEE 754 (x / 0.0 = +-Inf or NaN, no error).
//  - Mixed numeric operands promote per CommonNumericType (value.h).
//  - Comparisons order doubles with CompareDoubles: NaN = NaN and NaN is greater than every
//    number (PostgreSQL). Strings compare bytewise (C collation). A string compared with a
//    timestamp is parsed as a timestamp. Dictionary-encoded strings are compared once per
//    dictionary entry and the result mapped through the codes.
//  - Timestamps: ts - ts -> int64 nanoseconds; ts +/- int64 ns -> ts; int64 + ts -> ts.
//  - NULL literals: a typed NULL; CASE/COALESCE/NULLIF/IN/greatest/least accept a NULL literal of
//    any type and retype it to the result type. Elsewhere the binder gives a bare NULL the type
//    its context needs (e.g. Scalar::Null(kTimestampNs) for date_trunc('hour', NULL)).
//  - now() / current_timestamp are not expressions here: the planner folds them to a timestamp
//    literal once per query.
//
// Thread-safety: expressions are immutable after construction; Evaluate() may run concurrently
// on different batches.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "exec/value.h"
#include "model/record_batch.h"

namespace cardinalsin::exec {

using model::RecordBatch;

class Expr {
 public:
  explicit Expr(TypeId type) : type_(type) {}
  virtual ~Expr() = default;

  // The type of every value Evaluate() returns.
  TypeId type() const { return type_; }
  // Evaluates over every row of `batch`. Errors are data errors (division by zero, overflow,
  // unparsable cast). REQUIRES: the batch has the columns and types the tree was built for, and
  // at least one column (RecordBatch counts rows through its columns: a constant-only SELECT
  // without FROM is evaluated over a one-row batch with a placeholder column).
  [[nodiscard]] virtual absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const = 0;
  // SQL-like rendering for EXPLAIN and error messages.
  virtual std::string ToString() const = 0;
  // The value, for literal expressions; null otherwise.
  virtual const Scalar* literal() const { return nullptr; }
  // The input column index, for column references (MakeColumnRef); nullopt otherwise. Lets a
  // projection move a column it passes through instead of copying it.
  virtual std::optional<size_t> column_index() const { return std::nullopt; }

 private:
  TypeId type_;
};

using ExprPtr = std::shared_ptr<const Expr>;

enum class ArithmeticOp { kAdd, kSubtract, kMultiply, kDivide, kModulo };
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

std::string_view ArithmeticOpSymbol(ArithmeticOp op);
std::string_view CompareOpSymbol(CompareOp op);

// Column `index` of the input batch, of type `type`; `name` is for ToString() only.
ExprPtr MakeColumnRef(size_t index, TypeId type, std::string name = "");
ExprPtr MakeLiteral(Scalar value);

absl::StatusOr<ExprPtr> MakeArithmetic(ArithmeticOp op, ExprPtr left, ExprPtr right);
// Unary minus. REQUIRES numeric operand; -INT64_MIN fails with OutOfRange.
absl::StatusOr<ExprPtr> MakeNegate(ExprPtr operand);
absl::StatusOr<ExprPtr> MakeCompare(CompareOp op, ExprPtr left, ExprPtr right);

// Boolean connectives. REQUIRES: bool operands; MakeAnd/MakeOr need at least one.
absl::StatusOr<ExprPtr> MakeAnd(std::vector<ExprPtr> operands);
absl::StatusOr<ExprPtr> MakeOr(std::vector<ExprPtr> operands);
absl::StatusOr<ExprPtr> MakeNot(ExprPtr operand);
// x IS NULL (or IS NOT NULL when negated): never NULL itself.
ExprPtr MakeIsNull(ExprPtr operand, bool negated = false);
// x [NOT] IN (v1, v2, ...): values are converted to x's type (or x and values to their common
// numeric type). NULL semantics per SQL: no match and a NULL in the list -> NULL; an empty list
// (from an empty subquery) gives false (true when negated) even for a NULL x.
absl::StatusOr<ExprPtr> MakeInList(ExprPtr operand, std::vector<Scalar> values,
                                   bool negated = false);
// x [NOT] BETWEEN low AND high, i.e. low <= x AND x <= high.
absl::StatusOr<ExprPtr> MakeBetween(ExprPtr operand, ExprPtr low, ExprPtr high,
                                    bool negated = false);
// x [NOT] LIKE / ILIKE pattern [ESCAPE escape]: '%' any run, '_' one character (UTF-8 code
// point), `escape` (default backslash; nullopt for none) makes the next character literal.
// ILIKE folds ASCII letters only. InvalidArgument for a pattern ending in the escape character.
absl::StatusOr<ExprPtr> MakeLike(ExprPtr operand, std::string pattern,
                                 bool case_insensitive = false, bool negated = false,
                                 std::optional<char> escape = '\\');
// x ~ pattern (unanchored RE2 search; `~*` case-insensitive; `!~` negated). InvalidArgument
// naming the pattern when RE2 rejects it. Dictionary strings are matched once per entry.
absl::StatusOr<ExprPtr> MakeRegexpMatch(ExprPtr operand, std::string pattern,
                                        bool case_insensitive = false, bool negated = false);
// CASE WHEN c1 THEN r1 ... [ELSE e] END (searched form; the binder lowers the simple form
// `CASE x WHEN v` to `x = v` conditions). `else_result` null means ELSE NULL. Results are
// converted to their common type.
absl::StatusOr<ExprPtr> MakeCase(std::vector<std::pair<ExprPtr, ExprPtr>> when_then,
                                 ExprPtr else_result);
absl::StatusOr<ExprPtr> MakeCoalesce(std::vector<ExprPtr> operands);
// NULLIF(a, b): NULL when a = b, else a.
absl::StatusOr<ExprPtr> MakeNullIf(ExprPtr a, ExprPtr b);
// CAST(x AS to), per CastColumn (value.h). A literal operand is converted immediately, so a bad
// literal fails at bind time.
absl::StatusOr<ExprPtr> MakeCast(ExprPtr operand, TypeId to);
// A scalar function call resolved through LookupScalarFunction (functions.h); operands are
// converted to the signature's argument types. NotFound / InvalidArgument name the function and
// the argument types.
absl::StatusOr<ExprPtr> MakeCall(std::string_view name, std::vector<ExprPtr> args);

// The common type of `types` for CASE/COALESCE-like operators, or InvalidArgument naming `what`.
absl::StatusOr<TypeId> CommonSuperType(std::string_view what, const std::vector<TypeId>& types);

}  // namespace cardinalsin::exec
