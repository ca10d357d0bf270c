#include "exec/expr.h"

#include <cmath>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/functions.h"
#include "exec/internal/kernels.h"
#include "re2/re2.h"

namespace cardinalsin::exec {
namespace {

using internal::AndValidity;
using internal::EvaluateOnRows;
using internal::MapDictionary;

// ---- leaves ---------------------------------------------------------------------------------

class ColumnRefExpr final : public Expr {
 public:
  ColumnRefExpr(size_t index, TypeId type, std::string name)
      : Expr(type), index_(index), name_(std::move(name)) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    if (index_ >= batch.num_columns() || batch.column(index_).type() != type()) {
      return absl::InternalError(
          base::StrCat("column reference ", ToString(), " does not match the input batch"));
    }
    return batch.column(index_);
  }
  std::string ToString() const override {
    return name_.empty() ? absl::StrCat("#", index_) : name_;
  }
  std::optional<size_t> column_index() const override { return index_; }

 private:
  size_t index_;
  std::string name_;
};

class LiteralExpr final : public Expr {
 public:
  explicit LiteralExpr(Scalar value) : Expr(value.type), value_(std::move(value)) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    return ScalarToColumn(value_, batch.num_rows());
  }
  std::string ToString() const override { return value_.ToString(); }
  const Scalar* literal() const override { return &value_; }

 private:
  Scalar value_;
};

bool IsNullLiteral(const ExprPtr& e) { return e->literal() != nullptr && e->literal()->is_null(); }

absl::StatusOr<ExprPtr> CastTo(ExprPtr e, TypeId to) {
  if (e->type() == to) return e;
  return MakeCast(std::move(e), to);
}

// Converts *c to `to` unless it already has that type (no copy then).
absl::Status ConvertInPlace(Column* c, TypeId to) {
  if (c->type() == to) return absl::OkStatus();
  CS_ASSIGN_OR_RETURN(*c, CastColumn(*c, to));
  return absl::OkStatus();
}

// ---- arithmetic -----------------------------------------------------------------------------

enum class ArithKind { kNumeric, kTsMinusTs, kTsPlusDuration, kDurationPlusTs, kTsMinusDuration };

template <typename T>
absl::Status OverflowError(ArithmeticOp op, T a, T b) {
  return absl::OutOfRangeError(
      base::StrCat(model::TypeName(std::is_same_v<T, int64_t> ? TypeId::kInt64 : TypeId::kUInt64),
                   " out of range: ", a, " ", ArithmeticOpSymbol(op), " ", b));
}

template <typename T>
absl::Status IntegerLoop(ArithmeticOp op, const std::vector<T>& a, const std::vector<T>& b,
                         const std::vector<uint8_t>& valid, std::vector<T>* out) {
  const size_t n = a.size();
  out->resize(n);
  T* o = out->data();
  auto is_valid = [&](size_t i) { return valid.empty() || valid[i] != 0; };
  switch (op) {
    case ArithmeticOp::kAdd:
      for (size_t i = 0; i < n; ++i) {
        if (__builtin_add_overflow(a[i], b[i], &o[i]) && is_valid(i)) {
          return OverflowError(op, a[i], b[i]);
        }
      }
      break;
    case ArithmeticOp::kSubtract:
      for (size_t i = 0; i < n; ++i) {
        if (__builtin_sub_overflow(a[i], b[i], &o[i]) && is_valid(i)) {
          return OverflowError(op, a[i], b[i]);
        }
      }
      break;
    case ArithmeticOp::kMultiply:
      for (size_t i = 0; i < n; ++i) {
        if (__builtin_mul_overflow(a[i], b[i], &o[i]) && is_valid(i)) {
          return OverflowError(op, a[i], b[i]);
        }
      }
      break;
    case ArithmeticOp::kDivide:
    case ArithmeticOp::kModulo:
      for (size_t i = 0; i < n; ++i) {
        if (!is_valid(i)) {
          o[i] = 0;
          continue;
        }
        if (b[i] == 0) return absl::InvalidArgumentError("division by zero");
        if constexpr (std::is_signed_v<T>) {
          if (b[i] == -1) {
            if (op == ArithmeticOp::kModulo) {
              o[i] = 0;
              continue;
            }
            if (a[i] == std::numeric_limits<T>::min()) return OverflowError(op, a[i], b[i]);
          }
        }
        o[i] = op == ArithmeticOp::kDivide ? a[i] / b[i] : a[i] % b[i];
      }
      break;
  }
  return absl::OkStatus();
}

void DoubleLoop(ArithmeticOp op, const std::vector<double>& a, const std::vector<double>& b,
                std::vector<double>* out) {
  const size_t n = a.size();
  out->resize(n);
  double* o = out->data();
  switch (op) {
    case ArithmeticOp::kAdd:
      for (size_t i = 0; i < n; ++i) o[i] = a[i] + b[i];
      break;
    case ArithmeticOp::kSubtract:
      for (size_t i = 0; i < n; ++i) o[i] = a[i] - b[i];
      break;
    case ArithmeticOp::kMultiply:
      for (size_t i = 0; i < n; ++i) o[i] = a[i] * b[i];
      break;
    case ArithmeticOp::kDivide:
      for (size_t i = 0; i < n; ++i) o[i] = a[i] / b[i];
      break;
    case ArithmeticOp::kModulo:
      for (size_t i = 0; i < n; ++i) o[i] = std::fmod(a[i], b[i]);
      break;
  }
}

class ArithmeticExpr final : public Expr {
 public:
  ArithmeticExpr(TypeId result, TypeId operand_type, ArithmeticOp op, ExprPtr l, ExprPtr r)
      : Expr(result), operand_type_(operand_type), op_(op), l_(std::move(l)), r_(std::move(r)) {}

  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column a, l_->Evaluate(batch));
    CS_ASSIGN_OR_RETURN(Column b, r_->Evaluate(batch));
    CS_RETURN_IF_ERROR(ConvertInPlace(&a, operand_type_));
    CS_RETURN_IF_ERROR(ConvertInPlace(&b, operand_type_));
    std::vector<uint8_t> valid = AndValidity(a, b);
    Column out = Column::Empty(type());
    switch (operand_type_) {
      case TypeId::kInt64:
      case TypeId::kTimestampNs: {
        std::vector<int64_t> values;
        CS_RETURN_IF_ERROR(IntegerLoop(op_, a.int64s(), b.int64s(), valid, &values));
        out = Column::FromInt64(type(), std::move(values));
        break;
      }
      case TypeId::kUInt64: {
        std::vector<uint64_t> values;
        CS_RETURN_IF_ERROR(IntegerLoop(op_, a.uint64s(), b.uint64s(), valid, &values));
        out = Column::FromUInt64(std::move(values));
        break;
      }
      case TypeId::kDouble: {
        std::vector<double> values;
        DoubleLoop(op_, a.doubles(), b.doubles(), &values);
        out = Column::FromDouble(std::move(values));
        break;
      }
      default:
        return absl::InternalError("arithmetic on a non-numeric type");
    }
    out.SetValidity(std::move(valid));
    return out;
  }
  std::string ToString() const override {
    return base::StrCat("(", l_->ToString(), " ", ArithmeticOpSymbol(op_), " ", r_->ToString(),
                        ")");
  }

 private:
  TypeId operand_type_;
  ArithmeticOp op_;
  ExprPtr l_, r_;
};

// ---- comparison -----------------------------------------------------------------------------

bool Holds(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kEq:
      return c == 0;
    case CompareOp::kNe:
      return c != 0;
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
  }
  return false;
}

template <typename T>
int Cmp(T a, T b) {
  if constexpr (std::is_same_v<T, double>) {
    return CompareDoubles(a, b);
  } else {
    return (a > b) - (a < b);
  }
}

template <typename T, typename Op>
void CompareLoop(const std::vector<T>& a, const std::vector<T>& b, Op op, uint8_t* out) {
  const size_t n = a.size();
  for (size_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
}

template <typename T>
void CompareTyped(CompareOp op, const std::vector<T>& a, const std::vector<T>& b, uint8_t* out) {
  if constexpr (std::is_same_v<T, double>) {
    // NaN-aware total order (see CompareDoubles).
    for (size_t i = 0; i < a.size(); ++i) out[i] = Holds(op, CompareDoubles(a[i], b[i]));
  } else {
    switch (op) {
      case CompareOp::kEq:
        return CompareLoop(
            a, b, [](T x, T y) { return x == y; }, out);
      case CompareOp::kNe:
        return CompareLoop(
            a, b, [](T x, T y) { return x != y; }, out);
      case CompareOp::kLt:
        return CompareLoop(
            a, b, [](T x, T y) { return x < y; }, out);
      case CompareOp::kLe:
        return CompareLoop(
            a, b, [](T x, T y) { return x <= y; }, out);
      case CompareOp::kGt:
        return CompareLoop(
            a, b, [](T x, T y) { return x > y; }, out);
      case CompareOp::kGe:
        return CompareLoop(
            a, b, [](T x, T y) { return x >= y; }, out);
    }
  }
}

template <typename T>
void CompareScalar(CompareOp op, const std::vector<T>& a, T b, uint8_t* out) {
  const size_t n = a.size();
  if constexpr (std::is_same_v<T, double>) {
    if (std::isnan(b)) {
      for (size_t i = 0; i < n; ++i) out[i] = Holds(op, CompareDoubles(a[i], b));
      return;
    }
  }
  // With a non-NaN constant, the plain operators agree with CompareDoubles except for NaN
  // values in `a`, which are fixed up below (NaN is greater than every number).
  switch (op) {
    case CompareOp::kEq:
      for (size_t i = 0; i < n; ++i) out[i] = a[i] == b;
      break;
    case CompareOp::kNe:
      for (size_t i = 0; i < n; ++i) out[i] = a[i] != b;
      break;
    case CompareOp::kLt:
      for (size_t i = 0; i < n; ++i) out[i] = a[i] < b;
      break;
    case CompareOp::kLe:
      for (size_t i = 0; i < n; ++i) out[i] = a[i] <= b;
      break;
    case CompareOp::kGt:
      for (size_t i = 0; i < n; ++i) out[i] = a[i] > b;
      break;
    case CompareOp::kGe:
      for (size_t i = 0; i < n; ++i) out[i] = a[i] >= b;
      break;
  }
  if constexpr (std::is_same_v<T, double>) {
    if (op == CompareOp::kGt || op == CompareOp::kGe) {
      for (size_t i = 0; i < n; ++i) out[i] |= std::isnan(a[i]);
    }
  }
}

class CompareExpr final : public Expr {
 public:
  CompareExpr(CompareOp op, TypeId operand_type, ExprPtr l, ExprPtr r)
      : Expr(TypeId::kBool),
        op_(op),
        operand_type_(operand_type),
        l_(std::move(l)),
        r_(std::move(r)) {}

  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column a, l_->Evaluate(batch));
    const size_t n = a.size();
    if (operand_type_ == TypeId::kString && r_->literal() != nullptr) {
      // Column vs constant: compare each distinct value once.
      const Scalar& lit = *r_->literal();
      if (lit.is_null()) return ScalarToColumn(Scalar::Null(TypeId::kBool), n);
      std::string_view rhs = lit.string_value();
      return MapDictionary(a, [&](std::string_view s) -> absl::StatusOr<Scalar> {
        return Scalar::Bool(Holds(op_, s.compare(rhs)));
      });
    }
    CS_RETURN_IF_ERROR(ConvertInPlace(&a, operand_type_));
    if (const Scalar* lit = r_->literal(); lit != nullptr && operand_type_ != TypeId::kBool) {
      // Column vs constant without materialising the constant.
      if (lit->is_null()) return ScalarToColumn(Scalar::Null(TypeId::kBool), n);
      std::vector<uint8_t> out(n);
      switch (operand_type_) {
        case TypeId::kDouble:
          CompareScalar(op_, a.doubles(), lit->double_value(), out.data());
          break;
        case TypeId::kUInt64:
          CompareScalar(op_, a.uint64s(), lit->uint64_value(), out.data());
          break;
        default:
          CompareScalar(op_, a.int64s(), lit->int64_value(), out.data());
          break;
      }
      Column result = Column::FromBool(std::move(out));
      result.SetValidity(a.validity());
      return result;
    }
    CS_ASSIGN_OR_RETURN(Column b, r_->Evaluate(batch));
    CS_RETURN_IF_ERROR(ConvertInPlace(&b, operand_type_));
    std::vector<uint8_t> out(n);
    switch (operand_type_) {
      case TypeId::kBool:
        CompareTyped(op_, a.bools(), b.bools(), out.data());
        break;
      case TypeId::kInt64:
      case TypeId::kTimestampNs:
        CompareTyped(op_, a.int64s(), b.int64s(), out.data());
        break;
      case TypeId::kUInt64:
        CompareTyped(op_, a.uint64s(), b.uint64s(), out.data());
        break;
      case TypeId::kDouble:
        CompareTyped(op_, a.doubles(), b.doubles(), out.data());
        break;
      case TypeId::kString:
        if (a.is_dictionary() && b.is_dictionary() &&
            a.dictionary().dictionary == b.dictionary().dictionary) {
          // Same dictionary: compare the dictionary entries once per code pair.
          const auto& ca = a.dictionary().codes;
          const auto& cb = b.dictionary().codes;
          const auto& dict = a.dictionary().dictionary;
          for (size_t i = 0; i < n; ++i) {
            out[i] = ca[i] == cb[i] ? Holds(op_, 0)
                                    : Holds(op_, dict.Get(ca[i]).compare(dict.Get(cb[i])));
          }
        } else {
          for (size_t i = 0; i < n; ++i) out[i] = Holds(op_, a.StringAt(i).compare(b.StringAt(i)));
        }
        break;
    }
    Column result = Column::FromBool(std::move(out));
    result.SetValidity(AndValidity(a, b));
    return result;
  }
  std::string ToString() const override {
    return base::StrCat("(", l_->ToString(), " ", CompareOpSymbol(op_), " ", r_->ToString(), ")");
  }

 private:
  CompareOp op_;
  TypeId operand_type_;
  ExprPtr l_, r_;
};

// ---- boolean logic --------------------------------------------------------------------------

class LogicExpr final : public Expr {
 public:
  LogicExpr(bool is_and, std::vector<ExprPtr> operands)
      : Expr(TypeId::kBool), is_and_(is_and), operands_(std::move(operands)) {}

  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    const size_t n = batch.num_rows();
    // AND: a false operand decides the row; OR: a true one does.
    const uint8_t deciding = is_and_ ? 0 : 1;
    std::vector<uint8_t> value(n, is_and_ ? 1 : 0), valid(n, 1);
    std::vector<uint32_t> pending(n);
    for (size_t i = 0; i < n; ++i) pending[i] = static_cast<uint32_t>(i);
    for (const ExprPtr& operand : operands_) {
      if (pending.empty()) break;
      // Evaluate speculatively over the whole batch (cheaper than copying the undecided rows
      // out); only if that fails, e.g. dividing by zero in a row an earlier operand already
      // decided, evaluate again on exactly the undecided rows.
      absl::StatusOr<Column> whole = operand->Evaluate(batch);
      const bool by_row = whole.ok();
      Column c = Column::Empty(TypeId::kBool);
      if (by_row) {
        c = std::move(*whole);
      } else {
        CS_ASSIGN_OR_RETURN(c, EvaluateOnRows(*operand, batch, pending));
      }
      const auto& b = c.bools();
      std::vector<uint32_t> still;
      still.reserve(pending.size());
      for (size_t k = 0; k < pending.size(); ++k) {
        const uint32_t row = pending[k];
        const size_t at = by_row ? row : k;
        if (!c.IsValid(at)) {
          valid[row] = 0;
          still.push_back(row);
        } else if (b[at] == deciding) {
          value[row] = deciding;
          valid[row] = 1;
        } else {
          still.push_back(row);
        }
      }
      pending = std::move(still);
    }
    Column out = Column::FromBool(std::move(value));
    out.SetValidity(std::move(valid));
    return out;
  }
  std::string ToString() const override {
    std::vector<std::string> parts;
    for (const ExprPtr& e : operands_) parts.push_back(e->ToString());
    return absl::StrCat("(", absl::StrJoin(parts, is_and_ ? " AND " : " OR "), ")");
  }

 private:
  bool is_and_;
  std::vector<ExprPtr> operands_;
};

class NotExpr final : public Expr {
 public:
  explicit NotExpr(ExprPtr operand) : Expr(TypeId::kBool), operand_(std::move(operand)) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column c, operand_->Evaluate(batch));
    std::vector<uint8_t> v = c.bools();
    for (uint8_t& x : v) x = x ? 0 : 1;
    Column out = Column::FromBool(std::move(v));
    out.SetValidity(c.validity());
    return out;
  }
  std::string ToString() const override { return base::StrCat("(NOT ", operand_->ToString(), ")"); }

 private:
  ExprPtr operand_;
};

class IsNullExpr final : public Expr {
 public:
  IsNullExpr(ExprPtr operand, bool negated)
      : Expr(TypeId::kBool), operand_(std::move(operand)), negated_(negated) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column c, operand_->Evaluate(batch));
    std::vector<uint8_t> v(c.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = c.IsValid(i) == negated_;
    return Column::FromBool(std::move(v));
  }
  std::string ToString() const override {
    return base::StrCat("(", operand_->ToString(), negated_ ? " IS NOT NULL)" : " IS NULL)");
  }

 private:
  ExprPtr operand_;
  bool negated_;
};

// ---- IN list --------------------------------------------------------------------------------

class InListExpr final : public Expr {
 public:
  InListExpr(ExprPtr operand, std::vector<Scalar> values, bool negated)
      : Expr(TypeId::kBool),
        operand_(std::move(operand)),
        values_(std::move(values)),
        negated_(negated) {
    for (const Scalar& v : values_) {
      if (v.is_null()) {
        has_null_ = true;
        continue;
      }
      switch (v.type) {
        case TypeId::kString:
          strings_.insert(v.string_value());
          break;
        case TypeId::kDouble:
          // Normalise -0 to 0 and every NaN to one NaN, matching CompareDoubles equality.
          doubles_.insert(internal::NormalizeDoubleBits(v.double_value()));
          break;
        case TypeId::kBool:
          ints_.insert(v.bool_value());
          break;
        case TypeId::kUInt64:
          ints_.insert(static_cast<int64_t>(v.uint64_value()));
          break;
        default:
          ints_.insert(v.int64_value());
          break;
      }
    }
  }

  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    // x IN () is false and x NOT IN () true for every x, NULL included (an empty subquery).
    if (values_.empty()) return ScalarToColumn(Scalar::Bool(negated_), batch.num_rows());
    CS_ASSIGN_OR_RETURN(Column c, operand_->Evaluate(batch));
    if (c.type() == TypeId::kString) {
      return MapDictionary(c, [&](std::string_view s) -> absl::StatusOr<Scalar> {
        return Decide(strings_.contains(base::AsAbsl(s)));
      });
    }
    ColumnBuilder out(TypeId::kBool);
    out.Reserve(c.size());
    for (size_t i = 0; i < c.size(); ++i) {
      if (!c.IsValid(i)) {
        out.AppendNull();
        continue;
      }
      bool found = false;
      switch (c.type()) {
        case TypeId::kDouble:
          found = doubles_.contains(internal::NormalizeDoubleBits(c.doubles()[i]));
          break;
        case TypeId::kBool:
          found = ints_.contains(c.bools()[i]);
          break;
        case TypeId::kUInt64:
          found = ints_.contains(static_cast<int64_t>(c.uint64s()[i]));
          break;
        default:
          found = ints_.contains(c.int64s()[i]);
          break;
      }
      out.AppendScalar(Decide(found));
    }
    return out.Finish();
  }
  std::string ToString() const override {
    std::vector<std::string> parts;
    for (const Scalar& v : values_) parts.push_back(v.ToString());
    return absl::StrCat("(", operand_->ToString(), negated_ ? " NOT IN (" : " IN (",
                        absl::StrJoin(parts, ", "), "))");
  }

 private:
  Scalar Decide(bool found) const {
    if (found) return Scalar::Bool(!negated_);
    if (has_null_) return Scalar::Null(TypeId::kBool);
    return Scalar::Bool(negated_);
  }

  ExprPtr operand_;
  std::vector<Scalar> values_;
  bool negated_;
  bool has_null_ = false;
  absl::flat_hash_set<std::string> strings_;
  absl::flat_hash_set<int64_t> ints_;
  absl::flat_hash_set<uint64_t> doubles_;
};

// ---- LIKE and regular expressions -----------------------------------------------------------

class LikeExpr final : public Expr {
 public:
  LikeExpr(ExprPtr operand, internal::LikePattern pattern, std::string text, bool ci, bool negated)
      : Expr(TypeId::kBool),
        operand_(std::move(operand)),
        pattern_(std::move(pattern)),
        text_(std::move(text)),
        ci_(ci),
        negated_(negated) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column c, operand_->Evaluate(batch));
    std::string lowered;
    return MapDictionary(c, [&](std::string_view s) -> absl::StatusOr<Scalar> {
      if (ci_) {
        lowered.assign(s);
        absl::AsciiStrToLower(&lowered);
        s = lowered;
      }
      return Scalar::Bool(pattern_.Matches(s) != negated_);
    });
  }
  std::string ToString() const override {
    return base::StrCat("(", operand_->ToString(), negated_ ? " NOT" : "",
                        ci_ ? " ILIKE " : " LIKE ", Scalar::String(text_).ToString(), ")");
  }

 private:
  ExprPtr operand_;
  internal::LikePattern pattern_;
  std::string text_;
  bool ci_, negated_;
};

class RegexpExpr final : public Expr {
 public:
  RegexpExpr(ExprPtr operand, std::unique_ptr<RE2> re, bool ci, bool negated)
      : Expr(TypeId::kBool),
        operand_(std::move(operand)),
        re_(std::move(re)),
        ci_(ci),
        negated_(negated) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column c, operand_->Evaluate(batch));
    return MapDictionary(c, [&](std::string_view s) -> absl::StatusOr<Scalar> {
      return Scalar::Bool(RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re_) !=
                          negated_);
    });
  }
  std::string ToString() const override {
    return base::StrCat("(", operand_->ToString(), negated_ ? " !~" : " ~", ci_ ? "* " : " ",
                        Scalar::String(re_->pattern()).ToString(), ")");
  }

 private:
  ExprPtr operand_;
  std::unique_ptr<RE2> re_;  // RE2 matching is thread-safe on a const object
  bool ci_, negated_;
};

// ---- CASE / COALESCE ------------------------------------------------------------------------

class CaseExpr final : public Expr {
 public:
  CaseExpr(TypeId type, std::vector<std::pair<ExprPtr, ExprPtr>> when_then, ExprPtr else_result)
      : Expr(type), when_then_(std::move(when_then)), else_(std::move(else_result)) {}

  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    const size_t n = batch.num_rows();
    internal::Assembler assembler(type(), n);
    std::vector<uint32_t> pending(n);
    for (size_t i = 0; i < n; ++i) pending[i] = static_cast<uint32_t>(i);
    for (const auto& [when, then] : when_then_) {
      if (pending.empty()) break;
      CS_ASSIGN_OR_RETURN(Column cond, EvaluateOnRows(*when, batch, pending));
      std::vector<uint32_t> taken, still;
      for (size_t k = 0; k < pending.size(); ++k) {
        (cond.IsValid(k) && cond.bools()[k] ? taken : still).push_back(pending[k]);
      }
      if (!taken.empty()) {
        CS_ASSIGN_OR_RETURN(Column values, EvaluateOnRows(*then, batch, taken));
        assembler.Add(std::move(values), taken);
      }
      pending = std::move(still);
    }
    if (!pending.empty()) {
      CS_ASSIGN_OR_RETURN(Column values, EvaluateOnRows(*else_, batch, pending));
      assembler.Add(std::move(values), pending);
    }
    return assembler.Finish();
  }
  std::string ToString() const override {
    std::string out = "CASE";
    for (const auto& [when, then] : when_then_) {
      base::StrAppend(&out, " WHEN ", when->ToString(), " THEN ", then->ToString());
    }
    base::StrAppend(&out, " ELSE ", else_->ToString(), " END");
    return out;
  }

 private:
  std::vector<std::pair<ExprPtr, ExprPtr>> when_then_;
  ExprPtr else_;
};

class CoalesceExpr final : public Expr {
 public:
  CoalesceExpr(TypeId type, std::vector<ExprPtr> operands)
      : Expr(type), operands_(std::move(operands)) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    const size_t n = batch.num_rows();
    internal::Assembler assembler(type(), n);
    std::vector<uint32_t> pending(n);
    for (size_t i = 0; i < n; ++i) pending[i] = static_cast<uint32_t>(i);
    for (const ExprPtr& operand : operands_) {
      if (pending.empty()) break;
      CS_ASSIGN_OR_RETURN(Column values, EvaluateOnRows(*operand, batch, pending));
      std::vector<uint32_t> still;
      std::vector<uint32_t> got_rows, got_idx;
      for (size_t k = 0; k < pending.size(); ++k) {
        if (values.IsValid(k)) {
          got_rows.push_back(pending[k]);
          got_idx.push_back(static_cast<uint32_t>(k));
        } else {
          still.push_back(pending[k]);
        }
      }
      if (!got_rows.empty()) assembler.Add(values.Take(got_idx), got_rows);
      pending = std::move(still);
    }
    return assembler.Finish();  // rows never filled are NULL
  }
  std::string ToString() const override {
    std::vector<std::string> parts;
    for (const ExprPtr& e : operands_) parts.push_back(e->ToString());
    return absl::StrCat("COALESCE(", absl::StrJoin(parts, ", "), ")");
  }

 private:
  std::vector<ExprPtr> operands_;
};

class CastExpr final : public Expr {
 public:
  CastExpr(ExprPtr operand, TypeId to) : Expr(to), operand_(std::move(operand)) {}
  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    CS_ASSIGN_OR_RETURN(Column c, operand_->Evaluate(batch));
    return CastColumn(c, type());
  }
  std::string ToString() const override {
    return base::StrCat("CAST(", operand_->ToString(), " AS ", model::TypeName(type()), ")");
  }

 private:
  ExprPtr operand_;
};

class CallExpr final : public Expr {
 public:
  CallExpr(BoundScalarFunction fn, std::vector<ExprPtr> args)
      : Expr(fn.result_type), fn_(std::move(fn)), args_(std::move(args)) {}

  absl::StatusOr<Column> Evaluate(const RecordBatch& batch) const override {
    const size_t n = batch.num_rows();
    std::vector<Column> args;
    args.reserve(args_.size());
    for (const ExprPtr& a : args_) {
      CS_ASSIGN_OR_RETURN(Column c, a->Evaluate(batch));
      args.push_back(std::move(c));
    }
    bool rest_constant = true;
    for (size_t i = 1; i < args_.size(); ++i) rest_constant &= args_[i]->literal() != nullptr;
    if (fn_.strict && !args.empty() && args[0].is_dictionary() && rest_constant &&
        args[0].dictionary().dictionary.size() <= n) {
      // Evaluate once per dictionary entry, then map the codes.
      const model::DictionaryStrings& d = args[0].dictionary();
      const size_t dn = d.dictionary.size();
      std::vector<Column> dict_args;
      dict_args.push_back(Column::FromStrings(d.dictionary));
      for (size_t i = 1; i < args_.size(); ++i) {
        dict_args.push_back(ScalarToColumn(*args_[i]->literal(), dn));
      }
      CS_ASSIGN_OR_RETURN(Column per_entry, fn_.kernel(dict_args, dn));
      Column out = per_entry.Take(d.codes);
      std::vector<uint8_t> valid(n);
      bool any_null = false;
      for (size_t i = 0; i < n; ++i) {
        valid[i] = args[0].IsValid(i) && per_entry.IsValid(d.codes[i]);
        any_null |= !valid[i];
      }
      out.SetValidity(any_null ? std::move(valid) : std::vector<uint8_t>());
      return out;
    }
    return fn_.kernel(args, n);
  }
  std::string ToString() const override {
    std::vector<std::string> parts;
    for (const ExprPtr& e : args_) parts.push_back(e->ToString());
    return absl::StrCat(fn_.name, "(", absl::StrJoin(parts, ", "), ")");
  }

 private:
  BoundScalarFunction fn_;
  std::vector<ExprPtr> args_;
};

absl::Status RequireBool(std::string_view what, const ExprPtr& e) {
  if (e->type() != TypeId::kBool) {
    return absl::InvalidArgumentError(base::StrCat("argument of ", what, " must be bool, not ",
                                                   model::TypeName(e->type()), ": ",
                                                   e->ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ArithmeticOpSymbol(ArithmeticOp op) {
  switch (op) {
    case ArithmeticOp::kAdd:
      return "+";
    case ArithmeticOp::kSubtract:
      return "-";
    case ArithmeticOp::kMultiply:
      return "*";
    case ArithmeticOp::kDivide:
      return "/";
    case ArithmeticOp::kModulo:
      return "%";
  }
  return "?";
}

std::string_view CompareOpSymbol(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "<>";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

ExprPtr MakeColumnRef(size_t index, TypeId type, std::string name) {
  return std::make_shared<ColumnRefExpr>(index, type, std::move(name));
}

ExprPtr MakeLiteral(Scalar value) { return std::make_shared<LiteralExpr>(std::move(value)); }

absl::StatusOr<ExprPtr> MakeArithmetic(ArithmeticOp op, ExprPtr left, ExprPtr right) {
  const TypeId lt = left->type(), rt = right->type();
  auto undefined = [&] {
    return absl::InvalidArgumentError(base::StrCat("operator ", ArithmeticOpSymbol(op),
                                                   " is not defined for ", model::TypeName(lt),
                                                   " and ", model::TypeName(rt)));
  };
  const bool add_or_sub = op == ArithmeticOp::kAdd || op == ArithmeticOp::kSubtract;
  if (lt == TypeId::kTimestampNs || rt == TypeId::kTimestampNs) {
    if (lt == TypeId::kTimestampNs && rt == TypeId::kTimestampNs && op == ArithmeticOp::kSubtract) {
      return ExprPtr(std::make_shared<ArithmeticExpr>(TypeId::kInt64, TypeId::kInt64, op,
                                                      std::move(left), std::move(right)));
    }
    const bool ts_left = lt == TypeId::kTimestampNs;
    const TypeId other = ts_left ? rt : lt;
    if (!add_or_sub || (other != TypeId::kInt64 && other != TypeId::kUInt64) ||
        (!ts_left && op == ArithmeticOp::kSubtract)) {
      return undefined();
    }
    CS_ASSIGN_OR_RETURN(left, CastTo(std::move(left), TypeId::kInt64));
    CS_ASSIGN_OR_RETURN(right, CastTo(std::move(right), TypeId::kInt64));
    return ExprPtr(std::make_shared<ArithmeticExpr>(TypeId::kTimestampNs, TypeId::kTimestampNs, op,
                                                    std::move(left), std::move(right)));
  }
  absl::StatusOr<TypeId> common = CommonNumericType(lt, rt);
  if (!common.ok()) return undefined();
  return ExprPtr(
      std::make_shared<ArithmeticExpr>(*common, *common, op, std::move(left), std::move(right)));
}

absl::StatusOr<ExprPtr> MakeNegate(ExprPtr operand) {
  if (!IsNumeric(operand->type()) || operand->type() == TypeId::kUInt64) {
    return absl::InvalidArgumentError(
        base::StrCat("operator - is not defined for ", model::TypeName(operand->type())));
  }
  Scalar zero = operand->type() == TypeId::kDouble ? Scalar::Double(0) : Scalar::Int64(0);
  if (operand->type() == TypeId::kDouble) {
    // 0 - x would turn -0 into +0; multiply by -1 keeps IEEE sign semantics.
    return MakeArithmetic(ArithmeticOp::kMultiply, MakeLiteral(Scalar::Double(-1)),
                          std::move(operand));
  }
  return MakeArithmetic(ArithmeticOp::kSubtract, MakeLiteral(zero), std::move(operand));
}

absl::StatusOr<ExprPtr> MakeCompare(CompareOp op, ExprPtr left, ExprPtr right) {
  CS_ASSIGN_OR_RETURN(TypeId common, CommonComparableType(left->type(), right->type()));
  if (left->literal() != nullptr && right->literal() == nullptr) {
    // Keep the constant on the right for the dictionary fast path.
    static constexpr CompareOp kMirror[] = {CompareOp::kEq, CompareOp::kNe, CompareOp::kGt,
                                            CompareOp::kGe, CompareOp::kLt, CompareOp::kLe};
    op = kMirror[static_cast<int>(op)];
    std::swap(left, right);
  }
  CS_ASSIGN_OR_RETURN(left, CastTo(std::move(left), common));
  CS_ASSIGN_OR_RETURN(right, CastTo(std::move(right), common));
  return ExprPtr(std::make_shared<CompareExpr>(op, common, std::move(left), std::move(right)));
}

absl::StatusOr<ExprPtr> MakeAnd(std::vector<ExprPtr> operands) {
  if (operands.empty()) return absl::InvalidArgumentError("AND needs at least one operand");
  for (const ExprPtr& e : operands) CS_RETURN_IF_ERROR(RequireBool("AND", e));
  if (operands.size() == 1) return operands[0];
  return ExprPtr(std::make_shared<LogicExpr>(true, std::move(operands)));
}

absl::StatusOr<ExprPtr> MakeOr(std::vector<ExprPtr> operands) {
  if (operands.empty()) return absl::InvalidArgumentError("OR needs at least one operand");
  for (const ExprPtr& e : operands) CS_RETURN_IF_ERROR(RequireBool("OR", e));
  if (operands.size() == 1) return operands[0];
  return ExprPtr(std::make_shared<LogicExpr>(false, std::move(operands)));
}

absl::StatusOr<ExprPtr> MakeNot(ExprPtr operand) {
  CS_RETURN_IF_ERROR(RequireBool("NOT", operand));
  return ExprPtr(std::make_shared<NotExpr>(std::move(operand)));
}

ExprPtr MakeIsNull(ExprPtr operand, bool negated) {
  return std::make_shared<IsNullExpr>(std::move(operand), negated);
}

absl::StatusOr<ExprPtr> MakeInList(ExprPtr operand, std::vector<Scalar> values, bool negated) {
  TypeId target = operand->type();
  for (const Scalar& v : values) {
    if (v.is_null()) continue;
    CS_ASSIGN_OR_RETURN(TypeId common, CommonComparableType(target, v.type));
    target = common;
  }
  CS_ASSIGN_OR_RETURN(operand, CastTo(std::move(operand), target));
  for (Scalar& v : values) {
    CS_ASSIGN_OR_RETURN(v, CastScalar(v, target));
  }
  return ExprPtr(std::make_shared<InListExpr>(std::move(operand), std::move(values), negated));
}

absl::StatusOr<ExprPtr> MakeBetween(ExprPtr operand, ExprPtr low, ExprPtr high, bool negated) {
  CS_ASSIGN_OR_RETURN(ExprPtr ge, MakeCompare(CompareOp::kGe, operand, std::move(low)));
  CS_ASSIGN_OR_RETURN(ExprPtr le, MakeCompare(CompareOp::kLe, operand, std::move(high)));
  CS_ASSIGN_OR_RETURN(ExprPtr both, MakeAnd({std::move(ge), std::move(le)}));
  if (negated) return MakeNot(std::move(both));
  return both;
}

absl::StatusOr<ExprPtr> MakeLike(ExprPtr operand, std::string pattern, bool case_insensitive,
                                 bool negated, std::optional<char> escape) {
  if (operand->type() != TypeId::kString) {
    return absl::InvalidArgumentError(base::StrCat(case_insensitive ? "ILIKE" : "LIKE",
                                                   " is not defined for ",
                                                   model::TypeName(operand->type())));
  }
  std::string folded = pattern;
  if (case_insensitive) absl::AsciiStrToLower(&folded);
  CS_ASSIGN_OR_RETURN(internal::LikePattern compiled,
                      internal::LikePattern::Compile(folded, escape));
  return ExprPtr(std::make_shared<LikeExpr>(std::move(operand), std::move(compiled),
                                            std::move(pattern), case_insensitive, negated));
}

absl::StatusOr<ExprPtr> MakeRegexpMatch(ExprPtr operand, std::string pattern, bool case_insensitive,
                                        bool negated) {
  if (operand->type() != TypeId::kString) {
    return absl::InvalidArgumentError(base::StrCat("regular expression match is not defined for ",
                                                   model::TypeName(operand->type())));
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<RE2> re, internal::CompileRegexp(pattern, case_insensitive));
  return ExprPtr(
      std::make_shared<RegexpExpr>(std::move(operand), std::move(re), case_insensitive, negated));
}

absl::StatusOr<TypeId> CommonSuperType(std::string_view what, const std::vector<TypeId>& types) {
  if (types.empty()) return absl::InvalidArgumentError(base::StrCat(what, " has no operands"));
  TypeId t = types[0];
  for (size_t i = 1; i < types.size(); ++i) {
    absl::StatusOr<TypeId> c = CommonComparableType(t, types[i]);
    if (!c.ok()) {
      return absl::InvalidArgumentError(base::StrCat(what, " types ", model::TypeName(t), " and ",
                                                     model::TypeName(types[i]),
                                                     " cannot be matched"));
    }
    t = *c;
  }
  return t;
}

namespace {
// Common type of `exprs` ignoring NULL literals (which adopt it); converts every expression.
absl::StatusOr<TypeId> Unify(std::string_view what, std::vector<ExprPtr*> exprs) {
  std::vector<TypeId> types;
  for (ExprPtr* e : exprs) {
    if (!IsNullLiteral(*e)) types.push_back((*e)->type());
  }
  TypeId target = (*exprs[0])->type();
  if (!types.empty()) {
    CS_ASSIGN_OR_RETURN(target, CommonSuperType(what, types));
  }
  for (ExprPtr* e : exprs) {
    if (IsNullLiteral(*e)) {
      *e = MakeLiteral(Scalar::Null(target));
    } else {
      CS_ASSIGN_OR_RETURN(*e, CastTo(std::move(*e), target));
    }
  }
  return target;
}
}  // namespace

absl::StatusOr<ExprPtr> MakeCase(std::vector<std::pair<ExprPtr, ExprPtr>> when_then,
                                 ExprPtr else_result) {
  if (when_then.empty()) return absl::InvalidArgumentError("CASE needs at least one WHEN");
  std::vector<ExprPtr*> results;
  for (auto& [when, then] : when_then) {
    CS_RETURN_IF_ERROR(RequireBool("CASE/WHEN", when));
    results.push_back(&then);
  }
  if (else_result == nullptr) else_result = MakeLiteral(Scalar::Null(when_then[0].second->type()));
  results.push_back(&else_result);
  CS_ASSIGN_OR_RETURN(TypeId type, Unify("CASE", results));
  return ExprPtr(std::make_shared<CaseExpr>(type, std::move(when_then), std::move(else_result)));
}

absl::StatusOr<ExprPtr> MakeCoalesce(std::vector<ExprPtr> operands) {
  if (operands.empty()) return absl::InvalidArgumentError("COALESCE needs at least one operand");
  std::vector<ExprPtr*> ptrs;
  for (ExprPtr& e : operands) ptrs.push_back(&e);
  CS_ASSIGN_OR_RETURN(TypeId type, Unify("COALESCE", ptrs));
  return ExprPtr(std::make_shared<CoalesceExpr>(type, std::move(operands)));
}

absl::StatusOr<ExprPtr> MakeNullIf(ExprPtr a, ExprPtr b) {
  CS_ASSIGN_OR_RETURN(ExprPtr eq, MakeCompare(CompareOp::kEq, a, std::move(b)));
  return MakeCase({{std::move(eq), MakeLiteral(Scalar::Null(a->type()))}}, a);
}

absl::StatusOr<ExprPtr> MakeCast(ExprPtr operand, TypeId to) {
  if (operand->type() == to) return operand;
  if (const Scalar* lit = operand->literal()) {
    CS_ASSIGN_OR_RETURN(Scalar v, CastScalar(*lit, to));
    return MakeLiteral(std::move(v));
  }
  // Reject impossible conversions at bind time (bool <-> timestamp).
  if ((operand->type() == TypeId::kBool && to == TypeId::kTimestampNs) ||
      (operand->type() == TypeId::kTimestampNs && to == TypeId::kBool)) {
    return absl::InvalidArgumentError(base::StrCat("cannot cast ", model::TypeName(operand->type()),
                                                   " to ", model::TypeName(to)));
  }
  return ExprPtr(std::make_shared<CastExpr>(std::move(operand), to));
}

absl::StatusOr<ExprPtr> MakeCall(std::string_view name, std::vector<ExprPtr> args) {
  std::vector<TypeId> types;
  std::vector<size_t> null_args;
  for (size_t i = 0; i < args.size(); ++i) types.push_back(args[i]->type());
  CS_ASSIGN_OR_RETURN(BoundScalarFunction fn, LookupScalarFunction(name, types));
  for (size_t i = 0; i < args.size(); ++i) {
    if (IsNullLiteral(args[i])) {
      args[i] = MakeLiteral(Scalar::Null(fn.arg_types[i]));
    } else {
      CS_ASSIGN_OR_RETURN(args[i], CastTo(std::move(args[i]), fn.arg_types[i]));
    }
  }
  return ExprPtr(std::make_shared<CallExpr>(std::move(fn), std::move(args)));
}

}  // namespace cardinalsin::exec
