#include "exec/aggregate.h"

#include <cmath>
#include <limits>
#include <map>
#include <random>

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Columns: 0 g string, 1 x double, 2 n int64, 3 ts timestamp, 4 keep bool.
model::Schema InputSchema() {
  return model::Schema({{"g", TypeId::kString, true},
                        {"x", TypeId::kDouble, true},
                        {"n", TypeId::kInt64, true},
                        {"ts", TypeId::kTimestampNs, true},
                        {"keep", TypeId::kBool, true}});
}

RecordBatch Input(std::vector<Scalar> g, std::vector<Scalar> x, std::vector<Scalar> n,
                  std::vector<Scalar> ts, std::vector<Scalar> keep) {
  RecordBatch b = BatchOf({g, x, n, ts, keep}, {TypeId::kString, TypeId::kDouble, TypeId::kInt64,
                                                TypeId::kTimestampNs, TypeId::kBool});
  return RecordBatch(InputSchema(), b.columns());
}

absl::StatusOr<RecordBatch> Aggregate(std::vector<RecordBatch> in, std::vector<size_t> keys,
                                      std::vector<AggregateSpec> specs, ExecContext* ctx,
                                      HashAggregateOptions options = {}) {
  absl::StatusOr<OperatorPtr> src = MakeSource(InputSchema(), std::move(in), ctx);
  if (!src.ok()) return src.status();
  absl::StatusOr<OperatorPtr> agg =
      MakeHashAggregate(std::move(*src), std::move(keys), std::move(specs), ctx, options);
  if (!agg.ok()) return agg.status();
  return CollectOne(**agg);
}

struct AggCase {
  std::string name;
  AggregateSpec spec;
  Scalar want;
};

// One group over values chosen so that every statistic is easy to verify by hand:
// x = 1, 2, 3, 4, NULL, 10; n = 5, 1, 3, NULL, 2, 4; ts = 40, 10, 30, 60, 20, 50.
TEST(AggregateTest, EveryFunctionOverOneGroup) {
  auto input = [] {
    return std::vector<RecordBatch>{
        Input({S("a"), S("a"), S("a")}, {D(1), D(2), D(3)}, {I(5), I(1), I(3)},
              {T(40), T(10), T(30)}, {B(true), B(true), B(false)}),
        Input({S("a"), S("a"), S("a")}, {D(4), Null(TypeId::kDouble), D(10)},
              {Null(TypeId::kInt64), I(2), I(4)}, {T(60), T(20), T(50)},
              {B(true), Null(TypeId::kBool), B(true)})};
  };
  // mean(x) = 4, sum of squares of deviations = 9 + 4 + 1 + 0 + 36 = 50.
  const std::vector<AggCase> cases = {
      {"count(*)", {.kind = AggregateKind::kCountStar}, I(6)},
      {"count(x)", {.kind = AggregateKind::kCount, .arg = 1}, I(5)},
      {"count(*) filter", {.kind = AggregateKind::kCountStar, .filter = 4}, I(4)},
      {"count distinct", {.kind = AggregateKind::kCountDistinct, .arg = 0}, I(1)},
      {"sum(x)", {.kind = AggregateKind::kSum, .arg = 1}, D(20)},
      {"sum(n)", {.kind = AggregateKind::kSum, .arg = 2}, I(15)},
      {"sum(x) filter", {.kind = AggregateKind::kSum, .arg = 1, .filter = 4}, D(17)},
      {"avg(x)", {.kind = AggregateKind::kAvg, .arg = 1}, D(4)},
      {"avg(n)", {.kind = AggregateKind::kAvg, .arg = 2}, D(3)},
      {"min(x)", {.kind = AggregateKind::kMin, .arg = 1}, D(1)},
      {"max(n)", {.kind = AggregateKind::kMax, .arg = 2}, I(5)},
      {"min(ts)", {.kind = AggregateKind::kMin, .arg = 3}, T(10)},
      {"max(g)", {.kind = AggregateKind::kMax, .arg = 0}, S("a")},
      {"var_pop", {.kind = AggregateKind::kVarPop, .arg = 1}, D(10)},
      {"var_samp", {.kind = AggregateKind::kVarSamp, .arg = 1}, D(12.5)},
      {"stddev_pop", {.kind = AggregateKind::kStddevPop, .arg = 1}, D(std::sqrt(10.0))},
      {"stddev_samp", {.kind = AggregateKind::kStddevSamp, .arg = 1}, D(std::sqrt(12.5))},
      // Sorted x: 1 2 3 4 10. cont(0.5) = 3; cont(0.9): pos 3.6 -> 4 + 0.6 * 6 = 7.6.
      {"percentile_cont 0.5",
       {.kind = AggregateKind::kPercentileCont, .arg = 1, .fraction = 0.5},
       D(3)},
      {"percentile_cont 0.9",
       {.kind = AggregateKind::kPercentileCont, .arg = 1, .fraction = 0.9},
       D(7.6)},
      {"percentile_cont 0",
       {.kind = AggregateKind::kPercentileCont, .arg = 1, .fraction = 0},
       D(1)},
      {"percentile_cont 1",
       {.kind = AggregateKind::kPercentileCont, .arg = 1, .fraction = 1},
       D(10)},
      {"approx = exact",
       {.kind = AggregateKind::kApproxPercentileCont, .arg = 1, .fraction = 0.25},
       D(2)},
      // disc: index ceil(p * 5) - 1.
      {"percentile_disc 0.5",
       {.kind = AggregateKind::kPercentileDisc, .arg = 1, .fraction = 0.5},
       D(3)},
      {"percentile_disc 0.41",
       {.kind = AggregateKind::kPercentileDisc, .arg = 1, .fraction = 0.41},
       D(3)},
      {"percentile_disc 0.4",
       {.kind = AggregateKind::kPercentileDisc, .arg = 1, .fraction = 0.4},
       D(2)},
      {"percentile_disc 0",
       {.kind = AggregateKind::kPercentileDisc, .arg = 1, .fraction = 0},
       D(1)},
      {"percentile_disc ts",
       {.kind = AggregateKind::kPercentileDisc, .arg = 3, .fraction = 0.5},
       T(30)},
      {"percentile_disc int",
       {.kind = AggregateKind::kPercentileDisc, .arg = 2, .fraction = 1},
       I(5)},
      // first/last by ts, skipping rows whose x is NULL (ts 20).
      {"first_value(x order by ts)",
       {.kind = AggregateKind::kFirstValue, .arg = 1, .order_by = 3},
       D(2)},
      {"last_value(x order by ts)",
       {.kind = AggregateKind::kLastValue, .arg = 1, .order_by = 3},
       D(4)},
      {"last_value(n order by x)",
       {.kind = AggregateKind::kLastValue, .arg = 2, .order_by = 1},
       I(4)},
      {"first_value filter",
       {.kind = AggregateKind::kFirstValue, .arg = 1, .order_by = 3, .filter = 4},
       D(2)},
  };
  for (const AggCase& c : cases) {
    for (size_t partitions : {1, 2}) {
      ExecContext ctx;
      base::ThreadPool pool(1);
      HashAggregateOptions options{.pool = &pool, .partitions = partitions};
      absl::StatusOr<RecordBatch> out = Aggregate(input(), {}, {c.spec}, &ctx, options);
      ASSERT_TRUE(out.ok()) << c.name << ": " << out.status();
      ASSERT_EQ(out->num_rows(), 1u) << c.name;
      Scalar got = ScalarAt(out->column(0), 0);
      bool same = SameScalar(got, c.want);
      if (!same && got.type == TypeId::kDouble && !got.is_null() && !c.want.is_null()) {
        same = std::fabs(got.double_value() - c.want.double_value()) < 1e-9;
      }
      EXPECT_TRUE(same) << c.name << " partitions=" << partitions << ": got " << got.ToString()
                        << " want " << c.want.ToString();
    }
  }
}

TEST(AggregateTest, EmptyInputWithoutGroupsYieldsOneRow) {
  ExecContext ctx;
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out,
                          Aggregate({}, {},
                                    {{.kind = AggregateKind::kCountStar, .name = "c"},
                                     {.kind = AggregateKind::kCount, .arg = 1},
                                     {.kind = AggregateKind::kSum, .arg = 1},
                                     {.kind = AggregateKind::kAvg, .arg = 2},
                                     {.kind = AggregateKind::kMax, .arg = 0},
                                     {.kind = AggregateKind::kStddevSamp, .arg = 1},
                                     {.kind = AggregateKind::kPercentileCont, .arg = 1},
                                     {.kind = AggregateKind::kLastValue, .arg = 1, .order_by = 3},
                                     {.kind = AggregateKind::kCountDistinct, .arg = 0}},
                                    &ctx));
  ASSERT_EQ(out.num_rows(), 1u);
  EXPECT_EQ(out.schema().field(0).name, "c");
  EXPECT_EQ(ScalarAt(out.column(0), 0), I(0));
  EXPECT_EQ(ScalarAt(out.column(1), 0), I(0));
  for (size_t c = 2; c < 8; ++c) EXPECT_TRUE(ScalarAt(out.column(c), 0).is_null()) << c;
  EXPECT_EQ(ScalarAt(out.column(8), 0), I(0));
  // With group keys, empty input gives no rows.
  CS_ASSERT_OK_AND_ASSIGN(out, Aggregate({}, {0}, {{.kind = AggregateKind::kCountStar}}, &ctx));
  EXPECT_EQ(out.num_rows(), 0u);
}

// avg/min/max accumulate runs of one group in a register: interleaved groups, long runs, a run
// that continues into the next batch, and single rows must all give the same answers.
TEST(AggregateTest, RunsAndInterleavedGroupsWithoutNulls) {
  ExecContext ctx;
  std::vector<RecordBatch> in = {
      Input({S("a"), S("b"), S("a"), S("b"), S("b"), S("b")},
            {D(1), D(10), D(3), D(-2), D(7), D(kNaN)}, {I(4), I(1), I(9), I(2), I(2), I(3)},
            {T(1), T(2), T(3), T(4), T(5), T(6)},
            {B(true), B(true), B(true), B(true), B(true), B(true)}),
      Input({S("b"), S("c"), S("a")}, {D(1), D(-kInf), D(8)}, {I(0), I(7), I(-5)},
            {T(7), T(8), T(9)}, {B(true), B(true), B(true)})};
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, Aggregate(in, {0},
                                                     {{.kind = AggregateKind::kAvg, .arg = 2},
                                                      {.kind = AggregateKind::kMin, .arg = 2},
                                                      {.kind = AggregateKind::kMax, .arg = 2},
                                                      {.kind = AggregateKind::kMax, .arg = 1},
                                                      {.kind = AggregateKind::kMin, .arg = 1}},
                                                     &ctx));
  ASSERT_EQ(out.num_rows(), 3u);
  EXPECT_THAT(ToScalars(out.column(0)), ElementsAre(S("a"), S("b"), S("c")));
  // n: a = 4, 9, -5; b = 1, 2, 2, 3, 0; c = 7.
  EXPECT_THAT(ToScalars(out.column(1)), ElementsAre(D(8.0 / 3), D(8.0 / 5), D(7)));
  EXPECT_THAT(ToScalars(out.column(2)), ElementsAre(I(-5), I(0), I(7)));
  EXPECT_THAT(ToScalars(out.column(3)), ElementsAre(I(9), I(3), I(7)));
  // x: a = 1, 3, 8; b = 10, -2, 7, NaN, 1 (NaN is the largest); c = -inf.
  EXPECT_EQ(out.column(4).doubles()[0], 8);
  EXPECT_TRUE(std::isnan(out.column(4).doubles()[1]));
  EXPECT_EQ(out.column(4).doubles()[2], -kInf);
  EXPECT_THAT(ToScalars(out.column(5)), ElementsAre(D(1), D(-2), D(-kInf)));
}

TEST(AggregateTest, NaNInfAndSampleSizes) {
  ExecContext ctx;
  std::vector<RecordBatch> in = {
      Input({S("nan"), S("nan"), S("inf"), S("inf"), S("one")},
            {D(1), D(kNaN), D(kInf), D(-kInf), D(5)}, {I(0), I(0), I(0), I(0), I(0)},
            {T(1), T(2), T(3), T(4), T(5)}, {B(true), B(true), B(true), B(true), B(true)})};
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out,
                          Aggregate(in, {0},
                                    {{.kind = AggregateKind::kMax, .arg = 1},
                                     {.kind = AggregateKind::kMin, .arg = 1},
                                     {.kind = AggregateKind::kSum, .arg = 1},
                                     {.kind = AggregateKind::kStddevSamp, .arg = 1},
                                     {.kind = AggregateKind::kVarPop, .arg = 1},
                                     {.kind = AggregateKind::kCountDistinct, .arg = 1}},
                                    &ctx));
  ASSERT_EQ(out.num_rows(), 3u);
  // Groups in first-seen order: nan, inf, one.
  EXPECT_THAT(ToScalars(out.column(0)), ElementsAre(S("nan"), S("inf"), S("one")));
  EXPECT_TRUE(std::isnan(out.column(1).doubles()[0]));  // max with NaN is NaN
  EXPECT_EQ(out.column(2).doubles()[0], 1);             // min ignores NaN (it sorts last)
  EXPECT_EQ(out.column(1).doubles()[1], kInf);
  EXPECT_EQ(out.column(2).doubles()[1], -kInf);
  EXPECT_TRUE(std::isnan(out.column(3).doubles()[1]));  // inf + -inf
  EXPECT_FALSE(out.column(4).IsValid(2));               // stddev_samp of one value: NULL
  EXPECT_EQ(ScalarAt(out.column(5), 2), D(0));          // var_pop of one value: 0
  EXPECT_THAT(ToScalars(out.column(6)), ElementsAre(I(2), I(2), I(1)));
}

// percentile_cont / percentile_disc pick order statistics without sorting: they must agree with
// a sort-based reference on random groups with ties, infinities and NaN (which sorts last).
TEST(AggregateTest, PercentilesMatchSortedReference) {
  std::mt19937_64 rng(7);
  const std::vector<double> specials = {kNaN, kInf, -kInf, 0.0, 1.0};
  std::vector<std::vector<double>> groups(6);
  std::vector<Scalar> g, x, n, ts, keep;
  for (size_t i = 0; i < 3'000; ++i) {
    const size_t group = rng() % groups.size();
    if (group == 0 && groups[0].size() >= 1) continue;  // one group of a single value
    const double v = rng() % 50 == 0 ? specials[rng() % specials.size()]
                                     : static_cast<double>(rng() % (group == 1 ? 3 : 1000)) / 8;
    groups[group].push_back(v);
    g.push_back(S("g" + std::to_string(group)));
    x.push_back(D(v));
    n.push_back(I(0));
    ts.push_back(T(static_cast<int64_t>(i)));
    keep.push_back(B(true));
  }
  const auto less = [](double a, double b) { return !std::isnan(a) && (std::isnan(b) || a < b); };
  for (double fraction : {0.0, 0.1, 0.5, 0.95, 0.999, 1.0}) {
    SCOPED_TRACE(fraction);
    ExecContext ctx;
    CS_ASSERT_OK_AND_ASSIGN(
        RecordBatch out,
        Aggregate({Input(g, x, n, ts, keep)}, {0},
                  {{.kind = AggregateKind::kPercentileCont, .arg = 1, .fraction = fraction},
                   {.kind = AggregateKind::kPercentileDisc, .arg = 1, .fraction = fraction}},
                  &ctx));
    for (size_t row = 0; row < out.num_rows(); ++row) {
      const std::string name(out.column(0).StringAt(row));
      std::vector<double> v = groups[std::stoul(name.substr(1))];
      std::sort(v.begin(), v.end(), less);
      const double pos = fraction * static_cast<double>(v.size() - 1);
      const size_t lo = static_cast<size_t>(std::floor(pos));
      const size_t hi = static_cast<size_t>(std::ceil(pos));
      const bool same = v[lo] == v[hi] || (std::isnan(v[lo]) && std::isnan(v[hi]));
      const double cont = same ? v[lo] : v[lo] + (pos - lo) * (v[hi] - v[lo]);
      const double want = std::ceil(fraction * static_cast<double>(v.size()));
      const double disc = v[want < 1 ? 0 : std::min(v.size() - 1, static_cast<size_t>(want) - 1)];
      EXPECT_TRUE(SameScalar(ScalarAt(out.column(1), row), D(cont))) << name << " cont";
      EXPECT_TRUE(SameScalar(ScalarAt(out.column(2), row), D(disc))) << name << " disc";
    }
  }
}

TEST(AggregateTest, IntegerSumOverflowIsAnError) {
  ExecContext ctx;
  std::vector<RecordBatch> in = {
      Input({S("a"), S("a")}, {D(0), D(0)}, {I(kMax), I(1)}, {T(1), T(2)}, {B(true), B(true)})};
  EXPECT_THAT(Aggregate(in, {}, {{.kind = AggregateKind::kSum, .arg = 2}}, &ctx).status(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("sum(x) overflows int64")));
}

TEST(AggregateTest, GroupKeysOfEveryTypeWithNulls) {
  ExecContext ctx;
  std::vector<RecordBatch> in = {Input(
      {S("a"), Null(TypeId::kString), S("a"), S("b"), Null(TypeId::kString)},
      {D(0.0), D(-0.0), D(kNaN), D(kNaN), Null(TypeId::kDouble)},
      {I(1), I(1), Null(TypeId::kInt64), I(2), Null(TypeId::kInt64)},
      {T(1), T(1), T(1), T(2), T(2)}, {B(true), B(false), B(true), Null(TypeId::kBool), B(true)})};
  struct Case {
    std::vector<size_t> keys;
    std::vector<Scalar> counts;
  };
  const std::vector<Case> cases = {
      {{0}, {I(2), I(2), I(1)}},  // a, NULL, b
      {{1}, {I(2), I(2), I(1)}},  // 0 and -0 together, NaN together, NULL
      {{2}, {I(2), I(2), I(1)}},  // 1, NULL, 2
      {{3}, {I(3), I(2)}},
      {{4}, {I(3), I(1), I(1)}},  // true, false, NULL
      {{0, 2}, {I(1), I(1), I(1), I(1), I(1)}},
      {{0, 3}, {I(2), I(1), I(1), I(1)}},
  };
  for (const Case& c : cases) {
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch out,
                            Aggregate(in, c.keys, {{.kind = AggregateKind::kCountStar}}, &ctx));
    EXPECT_THAT(ToScalars(out.column(c.keys.size())), ::testing::ElementsAreArray(c.counts))
        << "keys " << c.keys[0];
  }
}

// Two keys in runs of random length (a run shares a key; NULLs and dictionary codes included):
// counts and last values per (string, int) key match a map built row by row.
TEST(AggregateTest, MultiKeyRunsMatchRowByRowReference) {
  std::mt19937_64 rng(7);
  std::vector<RecordBatch> in;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> want;  // count, last
  int64_t t = 0;
  for (int b = 0; b < 6; ++b) {
    std::vector<Scalar> g, x, n, ts, keep;
    while (g.size() < 300) {
      const int k = static_cast<int>(rng() % 5);
      const int64_t m = static_cast<int64_t>(rng() % 4);
      const size_t run = 1 + rng() % 20;
      for (size_t i = 0; i < run; ++i) {
        g.push_back(k == 4 ? Null(TypeId::kString) : S("h" + std::to_string(k)));
        n.push_back(m == 3 ? Null(TypeId::kInt64) : I(m));
        x.push_back(D(1));
        ts.push_back(T(++t));
        keep.push_back(B(true));
        auto& entry = want[{g.back().ToString(), n.back().ToString()}];
        ++entry.first;
        entry.second = t;
      }
    }
    RecordBatch batch = Input(g, x, n, ts, keep);
    if (b % 2 == 0) batch.mutable_column(0) = ToDictionary(batch.column(0));
    in.push_back(std::move(batch));
  }
  ExecContext ctx;
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out,
                          Aggregate(in, {0, 2},
                                    {{.kind = AggregateKind::kCountStar},
                                     {.kind = AggregateKind::kLastValue, .arg = 3, .order_by = 3}},
                                    &ctx));
  ASSERT_EQ(out.num_rows(), want.size());
  for (size_t r = 0; r < out.num_rows(); ++r) {
    auto it =
        want.find({ScalarAt(out.column(0), r).ToString(), ScalarAt(out.column(1), r).ToString()});
    ASSERT_NE(it, want.end()) << "row " << r;
    EXPECT_EQ(ScalarAt(out.column(2), r).int64_value(), it->second.first) << "row " << r;
    EXPECT_EQ(ScalarAt(out.column(3), r).int64_value(), it->second.second) << "row " << r;
  }
}

// Random data through 1 and 2 partitions, dictionary and plain keys: identical results after
// sorting by key. Odd batches have no NULL key, so dictionary keys take GroupTable's per-entry
// path there and the per-row one in even batches, sharing one table.
TEST(AggregateTest, PartitionedAndDictionaryResultsMatchSerialPlain) {
  std::mt19937_64 rng(42);
  std::vector<RecordBatch> plain, dict;
  for (int b = 0; b < 12; ++b) {
    std::vector<Scalar> g, x, n, ts, keep;
    for (int i = 0; i < 500; ++i) {
      int k = static_cast<int>(rng() % 37);
      if (b % 2 == 1 && k == 36) k = b;
      g.push_back(k == 36 ? Null(TypeId::kString) : S("host-" + std::to_string(k)));
      x.push_back(rng() % 11 == 0 ? Null(TypeId::kDouble)
                                  : D(static_cast<double>(rng() % 1000) / 8));
      n.push_back(I(static_cast<int64_t>(rng() % 100)));
      ts.push_back(T(static_cast<int64_t>(rng())));
      keep.push_back(B(rng() % 2));
    }
    plain.push_back(Input(g, x, n, ts, keep));
    RecordBatch d = plain.back();
    d.mutable_column(0) = ToDictionary(d.column(0));
    dict.push_back(d);
  }
  const std::vector<AggregateSpec> specs = {
      {.kind = AggregateKind::kCountStar},
      {.kind = AggregateKind::kSum, .arg = 2},
      {.kind = AggregateKind::kAvg, .arg = 1},
      {.kind = AggregateKind::kMax, .arg = 1},
      {.kind = AggregateKind::kMin, .arg = 3},
      {.kind = AggregateKind::kCountDistinct, .arg = 2},
      {.kind = AggregateKind::kPercentileDisc, .arg = 1, .fraction = 0.9},
      {.kind = AggregateKind::kLastValue, .arg = 2, .order_by = 3},
      {.kind = AggregateKind::kVarSamp, .arg = 1, .filter = 4},
  };
  auto run = [&](const std::vector<RecordBatch>& in,
                 size_t partitions) -> absl::StatusOr<RecordBatch> {
    ExecContext ctx;
    base::ThreadPool pool(2);
    HashAggregateOptions options{.pool = &pool, .partitions = partitions};
    CS_ASSIGN_OR_RETURN(OperatorPtr src, MakeSource(InputSchema(), in, &ctx));
    CS_ASSIGN_OR_RETURN(OperatorPtr agg,
                        MakeHashAggregate(std::move(src), {0}, specs, &ctx, options));
    CS_ASSIGN_OR_RETURN(OperatorPtr sorted, MakeSort(std::move(agg), {{.column = 0}}, &ctx));
    return CollectOne(*sorted);
  };
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch want, run(plain, 1));
  EXPECT_EQ(want.num_rows(), 37u);
  for (const auto* in : {&plain, &dict}) {
    for (size_t partitions : {1, 2, 3}) {
      CS_ASSERT_OK_AND_ASSIGN(RecordBatch got, run(*in, partitions));
      ASSERT_EQ(got.num_rows(), want.num_rows());
      for (size_t c = 0; c < want.num_columns(); ++c) {
        for (size_t r = 0; r < want.num_rows(); ++r) {
          Scalar a = ScalarAt(got.column(c), r), b = ScalarAt(want.column(c), r);
          bool same = SameScalar(a, b);
          if (!same && a.type == TypeId::kDouble && !a.is_null() && !b.is_null()) {
            same = std::fabs(a.double_value() - b.double_value()) <=
                   1e-9 * std::fabs(b.double_value());
          }
          EXPECT_TRUE(same) << "column " << c << " row " << r << " partitions " << partitions
                            << " dict " << (in == &dict) << ": " << a.ToString() << " vs "
                            << b.ToString();
        }
      }
    }
  }
}

TEST(AggregateTest, PartitionedInputsMatchOneInput) {
  // Three inputs, one per worker (no lock), with and without a pool; the same rows through one
  // input give the same groups and values.
  auto batch = [](int b) {
    return Input({S("a"), S("b"), S(b % 2 ? "c" : "a")}, {D(b), D(2 * b), D(-b)},
                 {I(b), I(1), I(2)}, {T(b), T(b + 1), T(b + 2)}, {B(true), B(b % 3 == 0), B(true)});
  };
  const std::vector<AggregateSpec> specs = {
      {.kind = AggregateKind::kCountStar},
      {.kind = AggregateKind::kSum, .arg = 1},
      {.kind = AggregateKind::kMax, .arg = 2, .filter = 4},
      {.kind = AggregateKind::kLastValue, .arg = 1, .order_by = 3},
  };
  ExecContext ctx;
  std::vector<RecordBatch> all;
  for (int b = 0; b < 9; ++b) all.push_back(batch(b));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr src, MakeSource(InputSchema(), all, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr agg, MakeHashAggregate(std::move(src), {0}, specs, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr sorted, MakeSort(std::move(agg), {{.column = 0}}, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch want, CollectOne(*sorted));
  ASSERT_EQ(want.num_rows(), 3u);
  base::ThreadPool pool(2);
  for (base::ThreadPool* p : {&pool, static_cast<base::ThreadPool*>(nullptr)}) {
    std::vector<OperatorPtr> inputs;
    for (int part = 0; part < 3; ++part) {
      std::vector<RecordBatch> mine;
      for (int b = part; b < 9; b += 3) mine.push_back(batch(b));
      CS_ASSERT_OK_AND_ASSIGN(OperatorPtr in, MakeSource(InputSchema(), mine, &ctx));
      inputs.push_back(std::move(in));
    }
    CS_ASSERT_OK_AND_ASSIGN(
        OperatorPtr pagg,
        MakePartitionedHashAggregate(std::move(inputs), {0}, specs, &ctx, {.pool = p}));
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr psorted, MakeSort(std::move(pagg), {{.column = 0}}, &ctx));
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch got, CollectOne(*psorted));
    EXPECT_TRUE(got.Equals(want)) << "pool " << (p != nullptr);
  }
  std::vector<OperatorPtr> mismatched;
  mismatched.push_back(MakeSource(InputSchema(), {}, &ctx).value());
  mismatched.push_back(MakeSource(model::Schema({{"x", TypeId::kInt64, true}}), {}, &ctx).value());
  EXPECT_THAT(MakePartitionedHashAggregate(std::move(mismatched), {}, {}, &ctx).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different schemas")));
}

TEST(AggregateTest, PrePipelineRunsInWorkers) {
  ExecContext ctx;
  base::ThreadPool pool(1);
  std::vector<RecordBatch> in;
  for (int b = 0; b < 5; ++b) {
    in.push_back(
        Input({S("a"), S("b")}, {D(b), D(-b)}, {I(1), I(1)}, {T(1), T(1)}, {B(true), B(true)}));
  }
  BatchPipeline pre(InputSchema());
  CS_ASSERT_OK_AND_ASSIGN(
      ExprPtr pred,
      MakeCompare(CompareOp::kGt, MakeColumnRef(1, TypeId::kDouble), MakeLiteral(D(0))));
  CS_ASSERT_OK(pre.AddFilter(pred));
  HashAggregateOptions options{.pool = &pool, .partitions = 2, .pre = &pre};
  CS_ASSERT_OK_AND_ASSIGN(
      RecordBatch out,
      Aggregate(in, {0}, {{.kind = AggregateKind::kSum, .arg = 1}}, &ctx, options));
  EXPECT_THAT(ToScalars(out.column(0)), ElementsAre(S("a")));
  EXPECT_THAT(ToScalars(out.column(1)), ElementsAre(D(10)));
}

// An aggregate over an aggregate, both partitioned on one single-thread pool: the outer worker on
// the pool thread waits for the child lock while the inner aggregate (driven under that lock)
// runs its own ParallelFor, whose queued task can never start. The caller must run it.
TEST(AggregateTest, NestedPartitionedAggregatesShareOnePoolThread) {
  ExecContext ctx;
  base::ThreadPool pool(1);
  std::vector<RecordBatch> in;
  for (int b = 0; b < 6; ++b) {
    in.push_back(Input({S("a"), S(b % 2 == 0 ? "b" : "c")}, {D(b), D(b)}, {I(1), I(1)},
                       {T(1), T(1)}, {B(true), B(true)}));
  }
  HashAggregateOptions options{.pool = &pool, .partitions = 2};
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr src, MakeSource(InputSchema(), in, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(
      OperatorPtr inner,
      MakeHashAggregate(std::move(src), {0}, {{.kind = AggregateKind::kCountStar}}, &ctx, options));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr outer,
                          MakeHashAggregate(std::move(inner), {},
                                            {{.kind = AggregateKind::kCountStar},
                                             {.kind = AggregateKind::kSum, .arg = 1}},
                                            &ctx, options));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*outer));
  EXPECT_THAT(ToScalars(out.column(0)), ElementsAre(I(3)));   // groups a, b, c
  EXPECT_THAT(ToScalars(out.column(1)), ElementsAre(I(12)));  // 6 + 3 + 3 rows
}

TEST(AggregateTest, PlanningErrors) {
  ExecContext ctx;
  EXPECT_THAT(
      Aggregate({}, {}, {{.kind = AggregateKind::kSum, .arg = 0}}, &ctx).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sum(string) is not supported")));
  EXPECT_THAT(
      Aggregate({}, {}, {{.kind = AggregateKind::kPercentileCont, .arg = 1, .fraction = 1.5}}, &ctx)
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not between 0 and 1")));
  EXPECT_THAT(Aggregate({}, {}, {{.kind = AggregateKind::kFirstValue, .arg = 1}}, &ctx).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs ORDER BY")));
  EXPECT_THAT(
      Aggregate({}, {}, {{.kind = AggregateKind::kCount, .arg = 1, .filter = 1}}, &ctx).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be bool")));
  EXPECT_THAT(Aggregate({}, {9}, {}, &ctx).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(LookupAggregateFunction("STDDEV").value(), AggregateKind::kStddevSamp);
  EXPECT_EQ(LookupAggregateFunction("variance").value(), AggregateKind::kVarSamp);
  EXPECT_EQ(LookupAggregateFunction("count", true).value(), AggregateKind::kCountDistinct);
  EXPECT_EQ(LookupAggregateFunction("count", false, true).value(), AggregateKind::kCountStar);
  EXPECT_THAT(LookupAggregateFunction("sum", true).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("count(DISTINCT x)")));
  EXPECT_FALSE(IsAggregateFunction("lower"));
}

TEST(AggregateTest, MemoryLimitStopsLargeGroupBy) {
  ExecContext ctx({.memory_limit_bytes = 20'000});
  std::vector<RecordBatch> in;
  for (int b = 0; b < 20; ++b) {
    std::vector<Scalar> g, x, n, ts, keep;
    for (int i = 0; i < 100; ++i) {
      g.push_back(S("key-" + std::to_string(b * 100 + i)));
      x.push_back(D(i));
      n.push_back(I(i));
      ts.push_back(T(i));
      keep.push_back(B(true));
    }
    in.push_back(Input(g, x, n, ts, keep));
  }
  EXPECT_THAT(
      Aggregate(in, {0}, {{.kind = AggregateKind::kPercentileCont, .arg = 1}}, &ctx).status(),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("memory limit of 20000 bytes")));
}

}  // namespace
}  // namespace cardinalsin::exec
