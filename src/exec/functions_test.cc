#include "exec/functions.h"

#include <cmath>
#include <limits>

#include "base/testing/status_matchers.h"
#include "exec/expr.h"
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
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kSec = 1'000'000'000;
// 2024-02-29T13:45:30.123456789Z, a Thursday.
constexpr int64_t kTs = 1709214330123456789;

int64_t Ts(const char* text) { return ParseTimestamp(text).value(); }

struct FnCase {
  std::string fn;
  std::vector<Scalar> args;
  absl::StatusOr<Scalar> want;
};

// Evaluates fn three ways: arguments as plain columns, as literals (strings are then
// dictionary-encoded and strict functions run once per entry), and with the first argument a
// dictionary column over 3 rows; all must agree with `want`.
void RunCases(const std::vector<FnCase>& cases) {
  for (const FnCase& c : cases) {
    std::vector<std::vector<Scalar>> cols;
    std::vector<TypeId> types;
    std::vector<ExprPtr> refs, lits;
    for (size_t i = 0; i < c.args.size(); ++i) {
      cols.push_back({c.args[i], c.args[i], c.args[i]});
      types.push_back(c.args[i].type);
      refs.push_back(MakeColumnRef(i, c.args[i].type));
      lits.push_back(MakeLiteral(c.args[i]));
    }
    if (cols.empty()) {
      cols.push_back({I(0), I(0), I(0)});
      types.push_back(TypeId::kInt64);
    }
    RecordBatch batch = BatchOf(cols, types);
    std::vector<RecordBatch> batches = {batch};
    if (types[0] == TypeId::kString) {
      std::vector<Column> columns = batch.columns();
      columns[0] = ToDictionary(columns[0]);
      batches.emplace_back(batch.schema(), columns);
    }
    for (const std::vector<ExprPtr>* args : {&refs, &lits}) {
      absl::StatusOr<ExprPtr> e = MakeCall(c.fn, *args);
      for (const RecordBatch& b : batches) {
        absl::StatusOr<Column> got =
            e.ok() ? (*e)->Evaluate(b) : absl::StatusOr<Column>(e.status());
        const std::string where = c.fn + "(" + (args == &refs ? "columns" : "literals") + ", " +
                                  (b.column(0).is_dictionary() ? "dict" : "plain") + ") " +
                                  (c.args.empty() ? "" : c.args[0].ToString());
        if (!c.want.ok()) {
          EXPECT_EQ(got.status().code(), c.want.status().code()) << where << " " << got.status();
          continue;
        }
        ASSERT_TRUE(got.ok()) << where << ": " << got.status();
        for (size_t r = 0; r < 3; ++r) {
          Scalar s = ScalarAt(*got, r);
          bool same = SameScalar(s, *c.want);
          if (!same && s.type == TypeId::kDouble && !s.is_null() && !c.want->is_null()) {
            same = std::fabs(s.double_value() - c.want->double_value()) <=
                   1e-12 * std::max(1.0, std::fabs(c.want->double_value()));
          }
          EXPECT_TRUE(same) << where << ": got " << s.ToString() << " want " << c.want->ToString();
        }
      }
    }
  }
}

TEST(FunctionsTest, DateTrunc) {
  RunCases({
      {"date_trunc", {S("second"), T(kTs)}, T(Ts("2024-02-29T13:45:30Z"))},
      {"date_trunc", {S("minute"), T(kTs)}, T(Ts("2024-02-29T13:45:00Z"))},
      {"date_trunc", {S("HOUR"), T(kTs)}, T(Ts("2024-02-29T13:00:00Z"))},
      {"date_trunc", {S("day"), T(kTs)}, T(Ts("2024-02-29"))},
      {"date_trunc", {S("week"), T(kTs)}, T(Ts("2024-02-26"))},  // Monday
      {"date_trunc", {S("month"), T(kTs)}, T(Ts("2024-02-01"))},
      {"date_trunc", {S("quarter"), T(kTs)}, T(Ts("2024-01-01"))},
      {"date_trunc", {S("year"), T(kTs)}, T(Ts("2024-01-01"))},
      {"date_trunc", {S("decade"), T(kTs)}, T(Ts("2020-01-01"))},
      {"date_trunc", {S("century"), T(kTs)}, T(Ts("2001-01-01"))},
      {"date_trunc", {S("millisecond"), T(kTs)}, T(Ts("2024-02-29T13:45:30.123Z"))},
      {"date_trunc", {S("ms"), T(kTs)}, T(Ts("2024-02-29T13:45:30.123Z"))},
      {"date_trunc", {S("hours"), T(kTs)}, T(Ts("2024-02-29T13:00:00Z"))},
      {"date_trunc", {S("hour"), T(-1)}, T(-3600 * kSec)},  // before the epoch: floor
      {"date_trunc", {S("day"), S("2024-02-29T13:00:00Z")}, T(Ts("2024-02-29"))},
      {"date_trunc", {S("fortnight"), T(kTs)}, absl::InvalidArgumentError("")},
      {"date_trunc", {S("hour"), Null(TypeId::kTimestampNs)}, Null(TypeId::kTimestampNs)},
      {"date_trunc", {I(1), T(kTs)}, absl::InvalidArgumentError("")},
  });
}

TEST(FunctionsTest, DateBinTimeBucketAndDatePart) {
  const int64_t five_min = 300 * kSec;
  RunCases({
      {"date_bin", {I(five_min), T(Ts("2024-02-29T13:47:10Z"))}, T(Ts("2024-02-29T13:45:00Z"))},
      {"date_bin",
       {I(five_min), T(Ts("2024-02-29T13:47:10Z")), T(Ts("2024-01-01T00:01:00Z"))},
       T(Ts("2024-02-29T13:46:00Z"))},
      {"date_bin", {I(five_min), T(-1)}, T(-five_min)},
      {"date_bin", {I(0), T(kTs)}, absl::InvalidArgumentError("")},
      {"date_bin", {I(-5), T(kTs)}, absl::InvalidArgumentError("")},
      {"time_bucket", {I(7 * 86400 * kSec), T(kTs)}, T(Ts("2024-02-26"))},  // Monday-aligned
      {"time_bucket", {I(3600 * kSec), T(kTs)}, T(Ts("2024-02-29T13:00:00Z"))},
      {"date_part", {S("year"), T(kTs)}, D(2024)},
      {"date_part", {S("month"), T(kTs)}, D(2)},
      {"date_part", {S("day"), T(kTs)}, D(29)},
      {"date_part", {S("hour"), T(kTs)}, D(13)},
      {"date_part", {S("minute"), T(kTs)}, D(45)},
      {"date_part", {S("second"), T(kTs)}, D(30.123456789)},
      {"date_part", {S("millisecond"), T(kTs)}, D(30123.456789)},
      {"date_part", {S("dow"), T(kTs)}, D(4)},
      {"date_part", {S("isodow"), T(Ts("2024-03-03"))}, D(7)},
      {"date_part", {S("dow"), T(Ts("2024-03-03"))}, D(0)},
      {"date_part", {S("doy"), T(kTs)}, D(60)},
      {"date_part", {S("quarter"), T(kTs)}, D(1)},
      {"date_part", {S("week"), T(kTs)}, D(9)},
      {"date_part", {S("week"), T(Ts("2021-01-01"))}, D(53)},  // ISO: belongs to 2020's week 53
      {"date_part", {S("epoch"), T(1500 * kSec + 500'000'000)}, D(1500.5)},
      {"extract", {S("year"), T(Ts("1969-12-31T23:59:59Z"))}, D(1969)},
      {"date_part", {S("fortnight"), T(kTs)}, absl::InvalidArgumentError("")},
  });
}

TEST(FunctionsTest, Numeric) {
  RunCases({
      {"abs", {I(-3)}, I(3)},
      {"abs", {D(-2.5)}, D(2.5)},
      {"abs", {I(std::numeric_limits<int64_t>::min())}, absl::OutOfRangeError("")},
      {"abs", {Null(TypeId::kInt64)}, Null(TypeId::kInt64)},
      {"round", {D(2.5)}, D(3)},
      {"round", {D(-2.5)}, D(-3)},
      {"round", {D(1.2345), I(2)}, D(1.23)},
      {"round", {D(1250), I(-2)}, D(1300)},
      {"round", {I(7)}, I(7)},
      {"round", {D(kNaN)}, D(kNaN)},
      {"floor", {D(-1.5)}, D(-2)},
      {"ceil", {D(-1.5)}, D(-1)},
      {"ceiling", {D(1.2)}, D(2)},
      {"floor", {I(5)}, I(5)},
      {"sign", {D(-3)}, D(-1)},
      {"sqrt", {D(16)}, D(4)},
      {"sqrt", {I(9)}, D(3)},
      {"sqrt", {D(-1)}, absl::InvalidArgumentError("")},
      {"sqrt", {D(kInf)}, D(kInf)},
      {"ln", {D(1)}, D(0)},
      {"ln", {D(0)}, absl::InvalidArgumentError("")},
      {"log10", {D(1000)}, D(3)},
      {"log", {D(100)}, D(2)},
      {"log", {D(2), D(8)}, D(3)},
      {"log10", {D(-1)}, absl::InvalidArgumentError("")},
      {"exp", {D(0)}, D(1)},
      {"exp", {D(1000)}, D(kInf)},
      {"power", {D(2), D(10)}, D(1024)},
      {"pow", {I(2), I(-1)}, D(0.5)},
      {"greatest", {I(1), I(5), I(3)}, I(5)},
      {"greatest", {I(1), D(2.5)}, D(2.5)},
      {"greatest", {D(1), D(kNaN)}, D(kNaN)},
      {"greatest", {Null(TypeId::kInt64), I(2)}, I(2)},
      {"greatest", {Null(TypeId::kInt64), Null(TypeId::kInt64)}, Null(TypeId::kInt64)},
      {"least", {S("b"), S("a"), S("c")}, S("a")},
      {"least", {T(5), T(3)}, T(3)},
      {"greatest", {S("a"), I(1)}, absl::InvalidArgumentError("")},
  });
}

TEST(FunctionsTest, Strings) {
  RunCases({
      {"lower", {S("API-Server")}, S("api-server")},
      {"upper", {S("api")}, S("API")},
      {"lower", {Null(TypeId::kString)}, Null(TypeId::kString)},
      {"length", {S("héllo")}, I(5)},
      {"char_length", {S("")}, I(0)},
      {"octet_length", {S("héllo")}, I(6)},
      {"concat", {S("a"), Null(TypeId::kString), S("b")}, S("ab")},
      {"concat", {S("n="), I(5), S(" x="), D(1.5)}, S("n=5 x=1.5")},
      {"substr", {S("hello"), I(2)}, S("ello")},
      {"substr", {S("hello"), I(2), I(3)}, S("ell")},
      {"substring", {S("hello"), I(0), I(3)}, S("he")},
      {"substr", {S("hello"), I(-1), I(3)}, S("h")},
      {"substr", {S("héllo"), I(2), I(2)}, S("él")},
      {"substr", {S("hello"), I(10)}, S("")},
      {"substr", {S("hello"), I(1), I(-1)}, absl::InvalidArgumentError("")},
      {"left", {S("hello"), I(2)}, S("he")},
      {"left", {S("hello"), I(-2)}, S("hel")},
      {"right", {S("hello"), I(2)}, S("lo")},
      {"reverse", {S("héllo")}, S("olléh")},
      {"replace", {S("a.b.c"), S("."), S("::")}, S("a::b::c")},
      {"replace", {S("abc"), S(""), S("x")}, S("abc")},
      {"trim", {S("  hi  ")}, S("hi")},
      {"ltrim", {S("  hi  ")}, S("hi  ")},
      {"rtrim", {S("  hi  ")}, S("  hi")},
      {"btrim", {S("xxhixx"), S("x")}, S("hi")},
      {"trim", {S("--hi-+"), S("-+")}, S("hi")},
      {"starts_with", {S("api-server"), S("api")}, B(true)},
      {"starts_with", {S("ap"), S("api")}, B(false)},
      {"strpos", {S("héllo"), S("l")}, I(3)},
      {"strpos", {S("hello"), S("z")}, I(0)},
      {"split_part", {S("a/b/c"), S("/"), I(2)}, S("b")},
      {"split_part", {S("a/b/c"), S("/"), I(-1)}, S("c")},
      {"split_part", {S("a/b/c"), S("/"), I(5)}, S("")},
      {"split_part", {S("a/b/c"), S("/"), I(0)}, absl::InvalidArgumentError("")},
      {"regexp_replace", {S("api-123"), S("[0-9]+"), S("N")}, S("api-N")},
      {"regexp_replace", {S("a1b2"), S("[0-9]"), S("#"), S("g")}, S("a#b#")},
      {"regexp_replace", {S("a1b2"), S("[0-9]"), S("#")}, S("a#b2")},
      {"regexp_replace", {S("Host-1"), S("host-(\\d)"), S("h\\1"), S("i")}, S("h1")},
      {"regexp_replace", {S("x"), S("("), S("y")}, absl::InvalidArgumentError("")},
      {"regexp_replace", {S("x"), S("x"), S("y"), S("q")}, absl::InvalidArgumentError("")},
  });
}

// The extremes of the int64-nanosecond range: no overflow (UBSan would abort), results clamp.
TEST(FunctionsTest, TimestampExtremes) {
  constexpr int64_t kMinTs = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMaxTs = std::numeric_limits<int64_t>::max();
  RunCases({
      {"date_trunc", {S("second"), T(kMinTs)}, T(kMinTs)},
      {"date_trunc", {S("year"), T(kMinTs)}, T(kMinTs)},
      {"date_trunc", {S("second"), T(kMaxTs)}, T(kMaxTs - 854775807)},
      {"date_trunc", {S("year"), T(kMaxTs)}, T(Ts("2262-01-01"))},
      {"date_part", {S("year"), T(kMinTs)}, D(1677)},
      {"date_part", {S("epoch"), T(kMinTs)}, D(-9223372036.854775808)},
      {"date_bin", {I(kMaxTs), T(kMinTs)}, T(kMinTs)},
  });
  EXPECT_EQ(FormatTimestamp(kMinTs), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatTimestamp(kMaxTs), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(ParseTimestamp("1677-09-21T00:12:43.145224192Z").value(), kMinTs);
}

TEST(FunctionsTest, LookupErrorsNameFunctionAndTypes) {
  std::vector<TypeId> types = {TypeId::kInt64, TypeId::kString};
  EXPECT_THAT(LookupScalarFunction("date_trunc", types).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("function date_trunc(int64, string) does not exist; expected "
                                 "date_trunc(string, timestamp_ns)")));
  EXPECT_THAT(LookupScalarFunction("no_such_fn", types).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown function: no_such_fn")));
  std::vector<TypeId> ts = {TypeId::kString, TypeId::kTimestampNs};
  CS_ASSERT_OK_AND_ASSIGN(BoundScalarFunction f, LookupScalarFunction("DATE_TRUNC", ts));
  EXPECT_EQ(f.name, "date_trunc");
  EXPECT_EQ(f.result_type, TypeId::kTimestampNs);
  EXPECT_TRUE(IsScalarFunction("Upper"));
  EXPECT_FALSE(IsScalarFunction("sum"));
}

TEST(FunctionsTest, DictionaryEvaluationMapsNullsAndCodes) {
  // lower() over a dictionary column with NULL rows: evaluated per entry, mapped per row.
  Column dict = Column::FromDictionary(model::StringVector::Of({"A", "B"}), {1, 0, 1, 0});
  dict.SetValidity({1, 1, 0, 1});
  RecordBatch batch(model::Schema({{"s", TypeId::kString, true}}), {dict});
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, MakeCall("lower", {MakeColumnRef(0, TypeId::kString)}));
  CS_ASSERT_OK_AND_ASSIGN(Column c, e->Evaluate(batch));
  EXPECT_THAT(testing::ToScalars(c),
              ::testing::ElementsAre(S("b"), S("a"), Null(TypeId::kString), S("a")));
}

}  // namespace
}  // namespace cardinalsin::exec
