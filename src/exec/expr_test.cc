#include "exec/expr.h"

#include <cmath>
#include <limits>

#include "base/testing/status_matchers.h"
#include "exec/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::exec {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::cardinalsin::exec::testing::B;
using ::cardinalsin::exec::testing::BatchOf;
using ::cardinalsin::exec::testing::D;
using ::cardinalsin::exec::testing::I;
using ::cardinalsin::exec::testing::Null;
using ::cardinalsin::exec::testing::S;
using ::cardinalsin::exec::testing::SameScalar;
using ::cardinalsin::exec::testing::T;
using ::cardinalsin::exec::testing::ToDictionary;
using ::cardinalsin::exec::testing::ToScalars;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Evaluates `build(col0, col1)` over a one-row batch holding a and b.
absl::StatusOr<Scalar> EvalBinary(
    const std::function<absl::StatusOr<ExprPtr>(ExprPtr, ExprPtr)>& build, const Scalar& a,
    const Scalar& b) {
  RecordBatch batch = BatchOf({{a}, {b}}, {a.type, b.type});
  absl::StatusOr<ExprPtr> e = build(MakeColumnRef(0, a.type, "a"), MakeColumnRef(1, b.type, "b"));
  if (!e.ok()) return e.status();
  absl::StatusOr<Column> c = (*e)->Evaluate(batch);
  if (!c.ok()) return c.status();
  return ScalarAt(*c, 0);
}

struct BinaryCase {
  std::string name;
  Scalar a, b;
  absl::StatusOr<Scalar> want;
};

void RunArithmetic(ArithmeticOp op, const std::vector<BinaryCase>& cases) {
  for (const BinaryCase& c : cases) {
    absl::StatusOr<Scalar> got =
        EvalBinary([op](ExprPtr l, ExprPtr r) { return MakeArithmetic(op, l, r); }, c.a, c.b);
    if (!c.want.ok()) {
      EXPECT_EQ(got.status().code(), c.want.status().code()) << c.name;
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_TRUE(SameScalar(*got, *c.want))
        << c.name << ": got " << got->ToString() << " want " << c.want->ToString();
  }
}

TEST(ArithmeticTest, AddSubtractMultiply) {
  RunArithmetic(ArithmeticOp::kAdd,
                {
                    {"int", I(2), I(3), I(5)},
                    {"int null", I(2), Null(TypeId::kInt64), Null(TypeId::kInt64)},
                    {"promote", I(2), D(0.5), D(2.5)},
                    {"uint", Scalar::UInt64(1), Scalar::UInt64(2), Scalar::UInt64(3)},
                    {"mixed int uint", I(-1), Scalar::UInt64(2), I(1)},
                    {"overflow", I(kMax), I(1), absl::OutOfRangeError("")},
                    {"double inf", D(kInf), D(1), D(kInf)},
                    {"inf minus inf", D(kInf), D(-kInf), D(kNaN)},
                    {"nan", D(kNaN), D(1), D(kNaN)},
                    {"ts plus duration", T(1000), I(500), T(1500)},
                    {"duration plus ts", I(500), T(1000), T(1500)},
                });
  RunArithmetic(
      ArithmeticOp::kSubtract,
      {
          {"int", I(2), I(3), I(-1)},
          {"underflow", I(kMin), I(1), absl::OutOfRangeError("")},
          {"uint underflow", Scalar::UInt64(1), Scalar::UInt64(2), absl::OutOfRangeError("")},
          {"ts minus ts", T(5000), T(1000), I(4000)},
          {"ts minus duration", T(5000), I(1000), T(4000)},
          {"duration minus ts", I(5), T(1), absl::InvalidArgumentError("")},
      });
  RunArithmetic(ArithmeticOp::kMultiply,
                {
                    {"int", I(-4), I(3), I(-12)},
                    {"overflow", I(kMax / 2 + 1), I(2), absl::OutOfRangeError("")},
                    {"double", D(1.5), D(2), D(3)},
                    {"string", S("a"), I(1), absl::InvalidArgumentError("")},
                    {"ts times", T(1), I(2), absl::InvalidArgumentError("")},
                });
}

TEST(ArithmeticTest, DivisionAndModulo) {
  RunArithmetic(ArithmeticOp::kDivide,
                {
                    {"truncates", I(7), I(2), I(3)},
                    {"negative truncates toward zero", I(-7), I(2), I(-3)},
                    {"int by zero", I(1), I(0), absl::InvalidArgumentError("")},
                    {"null by zero is null", Null(TypeId::kInt64), I(0), Null(TypeId::kInt64)},
                    {"min by -1", I(kMin), I(-1), absl::OutOfRangeError("")},
                    {"double by zero", D(1), D(0), D(kInf)},
                    {"negative double by zero", D(-1), D(0), D(-kInf)},
                    {"zero by zero", D(0), D(0), D(kNaN)},
                    {"int by double", I(1), D(4), D(0.25)},
                });
  RunArithmetic(ArithmeticOp::kModulo, {
                                           {"int", I(7), I(3), I(1)},
                                           {"negative", I(-7), I(3), I(-1)},
                                           {"min mod -1", I(kMin), I(-1), I(0)},
                                           {"by zero", I(7), I(0), absl::InvalidArgumentError("")},
                                           {"double", D(7.5), D(2), D(1.5)},
                                       });
}

TEST(ArithmeticTest, ErrorMessagesNameTheProblem) {
  absl::StatusOr<Scalar> got = EvalBinary(
      [](ExprPtr l, ExprPtr r) { return MakeArithmetic(ArithmeticOp::kAdd, l, r); }, I(kMax), I(1));
  EXPECT_EQ(got.status().message(), "int64 out of range: 9223372036854775807 + 1");
  got = EvalBinary([](ExprPtr l, ExprPtr r) { return MakeArithmetic(ArithmeticOp::kDivide, l, r); },
                   I(1), I(0));
  EXPECT_EQ(got.status().message(), "division by zero");
  got = EvalBinary([](ExprPtr l, ExprPtr r) { return MakeArithmetic(ArithmeticOp::kAdd, l, r); },
                   S("x"), B(true));
  EXPECT_EQ(got.status().message(), "operator + is not defined for string and bool");
}

TEST(ArithmeticTest, NegateKeepsSignedZeroAndChecksOverflow) {
  RecordBatch batch =
      BatchOf({{D(0.0), D(-2)}, {I(kMin), I(5)}}, {TypeId::kDouble, TypeId::kInt64});
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr neg, MakeNegate(MakeColumnRef(0, TypeId::kDouble)));
  CS_ASSERT_OK_AND_ASSIGN(Column c, neg->Evaluate(batch));
  EXPECT_TRUE(std::signbit(c.doubles()[0]));
  EXPECT_EQ(c.doubles()[1], 2);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr ineg, MakeNegate(MakeColumnRef(1, TypeId::kInt64)));
  EXPECT_EQ(ineg->Evaluate(batch).status().code(), absl::StatusCode::kOutOfRange);
}

struct CompareCase {
  std::string name;
  CompareOp op;
  Scalar a, b;
  Scalar want;
};

TEST(CompareTest, AllTypesAndNaNOrdering) {
  const std::vector<CompareCase> cases = {
      {"int lt", CompareOp::kLt, I(1), I(2), B(true)},
      {"int eq null", CompareOp::kEq, I(1), Null(TypeId::kInt64), Null(TypeId::kBool)},
      {"int vs double", CompareOp::kEq, I(2), D(2.0), B(true)},
      {"uint vs int", CompareOp::kGt, Scalar::UInt64(3), I(2), B(true)},
      {"nan eq nan", CompareOp::kEq, D(kNaN), D(kNaN), B(true)},
      {"nan gt inf", CompareOp::kGt, D(kNaN), D(kInf), B(true)},
      {"nan ne 1", CompareOp::kNe, D(kNaN), D(1), B(true)},
      {"inf gt max", CompareOp::kGt, D(kInf), D(1e308), B(true)},
      {"neg zero eq zero", CompareOp::kEq, D(-0.0), D(0.0), B(true)},
      {"string lt", CompareOp::kLt, S("abc"), S("abd"), B(true)},
      {"string prefix", CompareOp::kLt, S("ab"), S("abc"), B(true)},
      {"string ge", CompareOp::kGe, S("b"), S("a"), B(true)},
      {"bool", CompareOp::kLt, B(false), B(true), B(true)},
      {"ts vs string", CompareOp::kGe, T(1'704'067'200'000'000'000), S("2024-01-01"), B(true)},
      {"ts le", CompareOp::kLe, T(5), T(4), B(false)},
  };
  for (const CompareCase& c : cases) {
    absl::StatusOr<Scalar> got =
        EvalBinary([&](ExprPtr l, ExprPtr r) { return MakeCompare(c.op, l, r); }, c.a, c.b);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_TRUE(SameScalar(*got, c.want)) << c.name << ": got " << got->ToString();
  }
  EXPECT_FALSE(EvalBinary([](ExprPtr l, ExprPtr r) { return MakeCompare(CompareOp::kEq, l, r); },
                          S("1"), I(1))
                   .ok());
}

// Every comparison operator, string column vs literal and vs column, plain vs dictionary:
// all four evaluations agree.
TEST(CompareTest, DictionaryAndPlainStringsAgree) {
  RecordBatch plain = BatchOf({{S("b"), S("a"), Null(TypeId::kString), S("c"), S("b"), S("")},
                               {S("a"), S("a"), S("x"), Null(TypeId::kString), S("c"), S("")}},
                              {TypeId::kString, TypeId::kString});
  RecordBatch dict(plain.schema(), {ToDictionary(plain.column(0)), ToDictionary(plain.column(1))});
  for (CompareOp op : {CompareOp::kEq, CompareOp::kNe, CompareOp::kLt, CompareOp::kLe,
                       CompareOp::kGt, CompareOp::kGe}) {
    for (bool literal : {true, false}) {
      ExprPtr rhs = literal ? MakeLiteral(S("b")) : MakeColumnRef(1, TypeId::kString);
      CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, MakeCompare(op, MakeColumnRef(0, TypeId::kString), rhs));
      CS_ASSERT_OK_AND_ASSIGN(Column a, e->Evaluate(plain));
      CS_ASSERT_OK_AND_ASSIGN(Column b, e->Evaluate(dict));
      EXPECT_TRUE(a.Equals(b)) << CompareOpSymbol(op) << " literal=" << literal;
      EXPECT_FALSE(a.IsValid(2));
    }
  }
  // Literal on the left is mirrored: 'b' > c0 == c0 < 'b'.
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr mirrored, MakeCompare(CompareOp::kGt, MakeLiteral(S("b")),
                                                        MakeColumnRef(0, TypeId::kString)));
  CS_ASSERT_OK_AND_ASSIGN(Column m, mirrored->Evaluate(dict));
  EXPECT_EQ(m.bools()[0], 0);
  EXPECT_EQ(m.bools()[1], 1);
}

// SQL three-valued logic: the full truth tables.
TEST(LogicTest, ThreeValuedTruthTables) {
  const Scalar t = B(true), f = B(false), n = Null(TypeId::kBool);
  struct Row {
    Scalar a, b, and_want, or_want;
  };
  const std::vector<Row> rows = {
      {t, t, t, t}, {t, f, f, t}, {t, n, n, t}, {f, t, f, t}, {f, f, f, f},
      {f, n, f, n}, {n, t, n, t}, {n, f, f, n}, {n, n, n, n},
  };
  for (const Row& r : rows) {
    absl::StatusOr<Scalar> got_and = EvalBinary(
        [](ExprPtr l, ExprPtr r2) {
          return MakeAnd({l, r2});
        },
        r.a, r.b);
    absl::StatusOr<Scalar> got_or = EvalBinary(
        [](ExprPtr l, ExprPtr r2) {
          return MakeOr({l, r2});
        },
        r.a, r.b);
    ASSERT_TRUE(got_and.ok() && got_or.ok());
    EXPECT_TRUE(SameScalar(*got_and, r.and_want)) << r.a.ToString() << " AND " << r.b.ToString();
    EXPECT_TRUE(SameScalar(*got_or, r.or_want)) << r.a.ToString() << " OR " << r.b.ToString();
  }
  RecordBatch batch = BatchOf({{t, f, n}}, {TypeId::kBool});
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, MakeNot(MakeColumnRef(0, TypeId::kBool)));
  CS_ASSERT_OK_AND_ASSIGN(Column c, e->Evaluate(batch));
  EXPECT_THAT(testing::ToScalars(c), ::testing::ElementsAre(f, t, n));
  EXPECT_FALSE(MakeAnd({MakeColumnRef(0, TypeId::kInt64)}).ok());
}

TEST(LogicTest, AndSkipsRowsAlreadyDecided) {
  // x <> 0 AND 10 / x > 1 must not divide by zero.
  RecordBatch batch = BatchOf({{I(0), I(5), I(20)}}, {TypeId::kInt64});
  ExprPtr x = MakeColumnRef(0, TypeId::kInt64, "x");
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr nz, MakeCompare(CompareOp::kNe, x, MakeLiteral(I(0))));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr div,
                          MakeArithmetic(ArithmeticOp::kDivide, MakeLiteral(I(10)), x));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr gt, MakeCompare(CompareOp::kGt, div, MakeLiteral(I(1))));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr both, MakeAnd({nz, gt}));
  CS_ASSERT_OK_AND_ASSIGN(Column c, both->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(B(false), B(true), B(false)));
}

TEST(PredicateTest, IsNullInBetween) {
  RecordBatch batch = BatchOf({{I(1), Null(TypeId::kInt64), I(3), I(7)}}, {TypeId::kInt64});
  ExprPtr x = MakeColumnRef(0, TypeId::kInt64, "x");
  CS_ASSERT_OK_AND_ASSIGN(Column is_null, MakeIsNull(x)->Evaluate(batch));
  EXPECT_THAT(ToScalars(is_null), ::testing::ElementsAre(B(false), B(true), B(false), B(false)));
  CS_ASSERT_OK_AND_ASSIGN(Column not_null, MakeIsNull(x, true)->Evaluate(batch));
  EXPECT_THAT(ToScalars(not_null), ::testing::ElementsAre(B(true), B(false), B(true), B(true)));

  CS_ASSERT_OK_AND_ASSIGN(ExprPtr in, MakeInList(x, {I(1), I(7)}));
  CS_ASSERT_OK_AND_ASSIGN(Column c, in->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(B(true), Null(TypeId::kBool), B(false), B(true)));
  // With a NULL in the list, a miss is NULL; NOT IN likewise.
  CS_ASSERT_OK_AND_ASSIGN(in, MakeInList(x, {I(1), Null(TypeId::kInt64)}));
  CS_ASSERT_OK_AND_ASSIGN(c, in->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(B(true), Null(TypeId::kBool),
                                                   Null(TypeId::kBool), Null(TypeId::kBool)));
  CS_ASSERT_OK_AND_ASSIGN(in, MakeInList(x, {I(1), I(3)}, /*negated=*/true));
  CS_ASSERT_OK_AND_ASSIGN(c, in->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(B(false), Null(TypeId::kBool), B(false), B(true)));
  // An empty list (an empty subquery): x IN () is false and x NOT IN () true, even for NULL x.
  CS_ASSERT_OK_AND_ASSIGN(in, MakeInList(x, {}));
  CS_ASSERT_OK_AND_ASSIGN(c, in->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(B(false), B(false), B(false), B(false)));
  CS_ASSERT_OK_AND_ASSIGN(in, MakeInList(x, {}, /*negated=*/true));
  CS_ASSERT_OK_AND_ASSIGN(c, in->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(B(true), B(true), B(true), B(true)));
  // Doubles in an int column's list promote.
  CS_ASSERT_OK_AND_ASSIGN(in, MakeInList(x, {D(3.0)}));
  CS_ASSERT_OK_AND_ASSIGN(c, in->Evaluate(batch));
  EXPECT_EQ(ScalarAt(c, 2), B(true));

  CS_ASSERT_OK_AND_ASSIGN(ExprPtr between, MakeBetween(x, MakeLiteral(I(2)), MakeLiteral(I(7))));
  CS_ASSERT_OK_AND_ASSIGN(c, between->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(B(false), Null(TypeId::kBool), B(true), B(true)));
  CS_ASSERT_OK_AND_ASSIGN(between,
                          MakeBetween(x, MakeLiteral(I(2)), MakeLiteral(I(7)), /*negated=*/true));
  CS_ASSERT_OK_AND_ASSIGN(c, between->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(B(true), Null(TypeId::kBool), B(false), B(false)));
}

TEST(PredicateTest, InListDoublesAndStrings) {
  RecordBatch batch = BatchOf({{D(kNaN), D(-0.0), D(1)}, {S("a"), S("b"), Null(TypeId::kString)}},
                              {TypeId::kDouble, TypeId::kString});
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr in,
                          MakeInList(MakeColumnRef(0, TypeId::kDouble), {D(kNaN), D(0)}));
  CS_ASSERT_OK_AND_ASSIGN(Column c, in->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(B(true), B(true), B(false)));
  CS_ASSERT_OK_AND_ASSIGN(in, MakeInList(MakeColumnRef(1, TypeId::kString), {S("b"), S("z")}));
  CS_ASSERT_OK_AND_ASSIGN(c, in->Evaluate(batch));
  RecordBatch dict(batch.schema(), {batch.column(0), ToDictionary(batch.column(1))});
  CS_ASSERT_OK_AND_ASSIGN(Column cd, in->Evaluate(dict));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(B(false), B(true), Null(TypeId::kBool)));
  EXPECT_TRUE(c.Equals(cd));
}

struct LikeCase {
  std::string text, pattern;
  bool ci;
  bool want;
};

TEST(LikeTest, Patterns) {
  const std::vector<LikeCase> cases = {
      {"api-server", "api%", false, true},
      {"api-server", "%server", false, true},
      {"api-server", "%-%", false, true},
      {"api-server", "api", false, false},
      {"api", "a_i", false, true},
      {"api", "a__i", false, false},
      {"", "%", false, true},
      {"", "_", false, false},
      {"abcabc", "%abc", false, true},
      {"aab", "%ab", false, true},
      {"mississippi", "%iss%ipp_", false, true},
      {"100%", "100\\%", false, true},
      {"1000", "100\\%", false, false},
      {"a_b", "a\\_b", false, true},
      {"axb", "a\\_b", false, false},
      {"héllo", "h_llo", false, true},  // '_' is one code point
      {"API-Server", "api%", true, true},
      {"API-Server", "api%", false, false},
      {"API", "%P_", true, true},
  };
  for (const LikeCase& c : cases) {
    RecordBatch batch = BatchOf({{S(c.text)}}, {TypeId::kString});
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr e,
                            MakeLike(MakeColumnRef(0, TypeId::kString), c.pattern, c.ci));
    CS_ASSERT_OK_AND_ASSIGN(Column r, e->Evaluate(batch));
    EXPECT_EQ(r.bools()[0], c.want) << "'" << c.text << "' LIKE '" << c.pattern << "'";
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr neg,
                            MakeLike(MakeColumnRef(0, TypeId::kString), c.pattern, c.ci, true));
    CS_ASSERT_OK_AND_ASSIGN(r, neg->Evaluate(batch));
    EXPECT_EQ(r.bools()[0], !c.want);
  }
  // Custom escape and no escape.
  RecordBatch batch = BatchOf({{S("a%b"), S("a\\b")}}, {TypeId::kString});
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e,
                          MakeLike(MakeColumnRef(0, TypeId::kString), "a#%b", false, false, '#'));
  CS_ASSERT_OK_AND_ASSIGN(Column r, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(r), ::testing::ElementsAre(B(true), B(false)));
  CS_ASSERT_OK_AND_ASSIGN(
      e, MakeLike(MakeColumnRef(0, TypeId::kString), "a\\b", false, false, std::nullopt));
  CS_ASSERT_OK_AND_ASSIGN(r, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(r), ::testing::ElementsAre(B(false), B(true)));
  EXPECT_THAT(MakeLike(MakeColumnRef(0, TypeId::kString), "abc\\").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escape character")));
  EXPECT_FALSE(MakeLike(MakeColumnRef(0, TypeId::kInt64), "1%").ok());
}

TEST(RegexpTest, MatchDictionaryAndErrors) {
  RecordBatch plain =
      BatchOf({{S("api-1"), S("db-2"), Null(TypeId::kString), S("API-3")}}, {TypeId::kString});
  RecordBatch dict(plain.schema(), {ToDictionary(plain.column(0))});
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr re,
                          MakeRegexpMatch(MakeColumnRef(0, TypeId::kString), "^api-[0-9]$"));
  CS_ASSERT_OK_AND_ASSIGN(Column a, re->Evaluate(plain));
  CS_ASSERT_OK_AND_ASSIGN(Column b, re->Evaluate(dict));
  EXPECT_THAT(ToScalars(a),
              ::testing::ElementsAre(B(true), B(false), Null(TypeId::kBool), B(false)));
  EXPECT_TRUE(a.Equals(b));
  CS_ASSERT_OK_AND_ASSIGN(re,
                          MakeRegexpMatch(MakeColumnRef(0, TypeId::kString), "api", true, true));
  CS_ASSERT_OK_AND_ASSIGN(a, re->Evaluate(plain));
  EXPECT_THAT(ToScalars(a),
              ::testing::ElementsAre(B(false), B(true), Null(TypeId::kBool), B(false)));
  EXPECT_THAT(
      MakeRegexpMatch(MakeColumnRef(0, TypeId::kString), "(").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid regular expression '('")));
}

TEST(ConditionalTest, CaseEvaluatesBranchesLazily) {
  RecordBatch batch = BatchOf({{I(0), I(4), Null(TypeId::kInt64)}}, {TypeId::kInt64});
  ExprPtr x = MakeColumnRef(0, TypeId::kInt64, "x");
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr is_zero, MakeCompare(CompareOp::kEq, x, MakeLiteral(I(0))));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr div, MakeArithmetic(ArithmeticOp::kDivide, MakeLiteral(D(1)), x));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, MakeCase({{is_zero, MakeLiteral(I(0))}}, div));
  EXPECT_EQ(e->type(), TypeId::kDouble);
  CS_ASSERT_OK_AND_ASSIGN(Column c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(D(0), D(0.25), Null(TypeId::kDouble)));
  // Integer division would fail on row 0 if evaluated there.
  CS_ASSERT_OK_AND_ASSIGN(div, MakeArithmetic(ArithmeticOp::kDivide, MakeLiteral(I(8)), x));
  CS_ASSERT_OK_AND_ASSIGN(e, MakeCase({{is_zero, MakeLiteral(Null(TypeId::kBool))}}, div));
  CS_ASSERT_OK_AND_ASSIGN(c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(Null(TypeId::kInt64), I(2), Null(TypeId::kInt64)));
  // No ELSE: NULL.
  CS_ASSERT_OK_AND_ASSIGN(e, MakeCase({{is_zero, MakeLiteral(S("zero"))}}, nullptr));
  CS_ASSERT_OK_AND_ASSIGN(c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(S("zero"), Null(TypeId::kString), Null(TypeId::kString)));
  EXPECT_FALSE(MakeCase({{x, MakeLiteral(I(1))}}, nullptr).ok());
  EXPECT_FALSE(MakeCase({{is_zero, MakeLiteral(I(1))}}, MakeLiteral(S("x"))).ok());
}

TEST(ConditionalTest, CoalesceAndNullIf) {
  RecordBatch batch = BatchOf(
      {{Null(TypeId::kInt64), I(1), Null(TypeId::kInt64)}, {Null(TypeId::kDouble), D(9), D(2.5)}},
      {TypeId::kInt64, TypeId::kDouble});
  ExprPtr a = MakeColumnRef(0, TypeId::kInt64), b = MakeColumnRef(1, TypeId::kDouble);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, MakeCoalesce({a, b, MakeLiteral(Null(TypeId::kString))}));
  EXPECT_EQ(e->type(), TypeId::kDouble);
  CS_ASSERT_OK_AND_ASSIGN(Column c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(Null(TypeId::kDouble), D(1), D(2.5)));
  CS_ASSERT_OK_AND_ASSIGN(e, MakeCoalesce({a, MakeLiteral(I(-1))}));
  CS_ASSERT_OK_AND_ASSIGN(c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(I(-1), I(1), I(-1)));
  CS_ASSERT_OK_AND_ASSIGN(e, MakeNullIf(a, MakeLiteral(I(1))));
  CS_ASSERT_OK_AND_ASSIGN(c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c), ::testing::ElementsAre(Null(TypeId::kInt64), Null(TypeId::kInt64),
                                                   Null(TypeId::kInt64)));
  CS_ASSERT_OK_AND_ASSIGN(e, MakeNullIf(b, MakeLiteral(D(9))));
  CS_ASSERT_OK_AND_ASSIGN(c, e->Evaluate(batch));
  EXPECT_THAT(ToScalars(c),
              ::testing::ElementsAre(Null(TypeId::kDouble), Null(TypeId::kDouble), D(2.5)));
}

struct CastCase {
  Scalar in;
  TypeId to;
  absl::StatusOr<Scalar> want;
};

TEST(CastTest, BetweenAllTypes) {
  const std::vector<CastCase> cases = {
      {S(" 42 "), TypeId::kInt64, I(42)},
      {S("-7"), TypeId::kInt64, I(-7)},
      {S("4.5"), TypeId::kInt64, absl::InvalidArgumentError("")},
      {S("abc"), TypeId::kInt64, absl::InvalidArgumentError("")},
      {S("99999999999999999999"), TypeId::kInt64, absl::OutOfRangeError("")},
      {S("2.5"), TypeId::kDouble, D(2.5)},
      {S("NaN"), TypeId::kDouble, D(kNaN)},
      {S("-Infinity"), TypeId::kDouble, D(-kInf)},
      {S("1e400"), TypeId::kDouble, absl::InvalidArgumentError("")},
      {S("x"), TypeId::kDouble, absl::InvalidArgumentError("")},
      {S("TRUE"), TypeId::kBool, B(true)},
      {S("off"), TypeId::kBool, B(false)},
      {S("maybe"), TypeId::kBool, absl::InvalidArgumentError("")},
      {S("18446744073709551615"), TypeId::kUInt64, Scalar::UInt64(18446744073709551615ull)},
      {S("2024-01-02T03:04:05.5Z"), TypeId::kTimestampNs, T(1704164645500000000)},
      {S("2024-01-02 03:04:05"), TypeId::kTimestampNs, T(1704164645000000000)},
      {S("2024-01-02"), TypeId::kTimestampNs, T(1704153600000000000)},
      {S("2024-01-02T05:04:05+02:00"), TypeId::kTimestampNs, T(1704164645000000000)},
      {S("2024-02-30"), TypeId::kTimestampNs, absl::InvalidArgumentError("")},
      {S("3000-01-01"), TypeId::kTimestampNs, absl::OutOfRangeError("")},
      {S("yesterday"), TypeId::kTimestampNs, absl::InvalidArgumentError("")},
      {D(2.5), TypeId::kInt64, I(3)},
      {D(-2.5), TypeId::kInt64, I(-3)},
      {D(kNaN), TypeId::kInt64, absl::OutOfRangeError("")},
      {D(1e19), TypeId::kInt64, absl::OutOfRangeError("")},
      {D(-1), TypeId::kUInt64, absl::OutOfRangeError("")},
      {I(-1), TypeId::kUInt64, absl::OutOfRangeError("")},
      {Scalar::UInt64(1ull << 63), TypeId::kInt64, absl::OutOfRangeError("")},
      {I(3), TypeId::kDouble, D(3)},
      {I(0), TypeId::kBool, B(false)},
      {B(true), TypeId::kInt64, I(1)},
      {I(1500), TypeId::kTimestampNs, T(1500)},
      {T(1500), TypeId::kInt64, I(1500)},
      {D(0.1), TypeId::kString, S("0.1")},
      {D(kInf), TypeId::kString, S("Infinity")},
      {D(kNaN), TypeId::kString, S("NaN")},
      {I(-12), TypeId::kString, S("-12")},
      {B(false), TypeId::kString, S("false")},
      {T(1704164645500000000), TypeId::kString, S("2024-01-02T03:04:05.5Z")},
      {T(-1), TypeId::kString, S("1969-12-31T23:59:59.999999999Z")},
      {Null(TypeId::kString), TypeId::kInt64, Null(TypeId::kInt64)},
  };
  for (const CastCase& c : cases) {
    // Through a column (runtime path) ...
    RecordBatch batch = BatchOf({{c.in}}, {c.in.type});
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, MakeCast(MakeColumnRef(0, c.in.type), c.to));
    absl::StatusOr<Column> got = e->Evaluate(batch);
    // ... and through a literal (folded at bind time).
    absl::StatusOr<ExprPtr> folded = MakeCast(MakeLiteral(c.in), c.to);
    if (!c.want.ok()) {
      EXPECT_EQ(got.status().code(), c.want.status().code()) << c.in.ToString();
      EXPECT_EQ(folded.status().code(), c.want.status().code()) << c.in.ToString();
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.in.ToString() << ": " << got.status();
    EXPECT_TRUE(SameScalar(ScalarAt(*got, 0), *c.want))
        << c.in.ToString() << " -> " << ScalarAt(*got, 0).ToString();
    ASSERT_TRUE(folded.ok());
    ASSERT_NE((*folded)->literal(), nullptr);
    EXPECT_TRUE(SameScalar(*(*folded)->literal(), *c.want));
  }
  EXPECT_EQ(CastScalar(S("abc"), TypeId::kInt64).status().message(),
            "invalid input syntax for type int64: \"abc\"");
  EXPECT_FALSE(MakeCast(MakeColumnRef(0, TypeId::kBool), TypeId::kTimestampNs).ok());
}

TEST(CastTest, DictionaryStringsParseOncePerEntryAndSkipUnusedEntries) {
  // Entry "bad" is unreferenced (e.g. left behind by a filter): it must not fail the cast.
  Column c = Column::FromDictionary(model::StringVector::Of({"1", "bad", "3"}), {0, 2, 0});
  CS_ASSERT_OK_AND_ASSIGN(Column out, CastColumn(c, TypeId::kInt64));
  EXPECT_THAT(ToScalars(out), ::testing::ElementsAre(I(1), I(3), I(1)));
  Column bad = Column::FromDictionary(model::StringVector::Of({"1", "bad"}), {0, 1});
  EXPECT_EQ(CastColumn(bad, TypeId::kInt64).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ExprTest, ToStringIsReadable) {
  CS_ASSERT_OK_AND_ASSIGN(
      ExprPtr e,
      MakeCompare(CompareOp::kGt, MakeColumnRef(2, TypeId::kDouble, "value"), MakeLiteral(D(100))));
  EXPECT_EQ(e->ToString(), "(value > 100)");
  CS_ASSERT_OK_AND_ASSIGN(
      e, MakeCall("date_trunc",
                  {MakeLiteral(S("hour")), MakeColumnRef(0, TypeId::kTimestampNs, "timestamp")}));
  EXPECT_EQ(e->ToString(), "date_trunc('hour', timestamp)");
}

}  // namespace
}  // namespace cardinalsin::exec
