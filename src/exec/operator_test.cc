#include "exec/operator.h"

#include <cmath>
#include <limits>

#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "exec/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::exec {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::cardinalsin::exec::testing::BatchOf;
using ::cardinalsin::exec::testing::D;
using ::cardinalsin::exec::testing::I;
using ::cardinalsin::exec::testing::Null;
using ::cardinalsin::exec::testing::S;
using ::cardinalsin::exec::testing::ToDictionary;
using ::cardinalsin::exec::testing::ToScalars;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A (id int64, name string, value double) batch.
RecordBatch Rows(std::vector<Scalar> ids, std::vector<Scalar> names, std::vector<Scalar> values) {
  RecordBatch b = BatchOf({ids, names, values}, {TypeId::kInt64, TypeId::kString, TypeId::kDouble});
  return RecordBatch(model::Schema({{"id", TypeId::kInt64, true},
                                    {"name", TypeId::kString, true},
                                    {"value", TypeId::kDouble, true}}),
                     b.columns());
}

OperatorPtr Source(std::vector<RecordBatch> batches, ExecContext* ctx) {
  model::Schema schema = batches[0].schema();
  return MakeSource(schema, std::move(batches), ctx).value();
}

std::vector<Scalar> ColumnOf(const RecordBatch& b, size_t c) { return ToScalars(b.column(c)); }

TEST(OperatorTest, FilterProjectAcrossBatches) {
  ExecContext ctx;
  std::vector<RecordBatch> in = {
      Rows({I(1), I(2)}, {S("a"), S("b")}, {D(1), D(5)}),
      Rows({I(3), I(4)}, {S("c"), Null(TypeId::kString)}, {D(9), Null(TypeId::kDouble)}),
      Rows({I(5)}, {S("e")}, {D(0)})};
  CS_ASSERT_OK_AND_ASSIGN(
      ExprPtr pred,
      MakeCompare(CompareOp::kGt, MakeColumnRef(2, TypeId::kDouble), MakeLiteral(D(2))));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr filter, MakeFilter(Source(in, &ctx), pred, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(
      ExprPtr doubled,
      MakeArithmetic(ArithmeticOp::kMultiply, MakeColumnRef(0, TypeId::kInt64), MakeLiteral(I(2))));
  CS_ASSERT_OK_AND_ASSIGN(
      OperatorPtr project,
      MakeProject(std::move(filter),
                  {{doubled, "id2"}, {MakeColumnRef(1, TypeId::kString), "name"}}, &ctx));
  EXPECT_EQ(project->schema().field(0).name, "id2");
  CS_ASSERT_OK_AND_ASSIGN(std::vector<RecordBatch> out, CollectAll(*project));
  ASSERT_EQ(out.size(), 2u);  // the last input batch filters to nothing and is skipped
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch all, CollectOne(*project));  // exhausted: zero rows
  EXPECT_EQ(all.num_rows(), 0u);
  EXPECT_THAT(ColumnOf(out[0], 0), ElementsAre(I(4)));
  EXPECT_THAT(ColumnOf(out[1], 0), ElementsAre(I(6)));
  EXPECT_FALSE(MakeFilter(Source(in, &ctx), MakeColumnRef(0, TypeId::kInt64), &ctx).ok());
}

TEST(OperatorTest, ProjectPassesColumnsThroughRepeatedAndBesideComputedItems) {
  // A pass-through column is moved out of the batch by its last reference; items computed from
  // it and earlier references to it must still see it.
  ExecContext ctx;
  std::vector<RecordBatch> in = {Rows({I(1), I(2)}, {S("a"), S("b")}, {D(1.5), D(-2)})};
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr doubled,
                          MakeArithmetic(ArithmeticOp::kMultiply, MakeColumnRef(2, TypeId::kDouble),
                                         MakeLiteral(D(2))));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr project,
                          MakeProject(Source(in, &ctx),
                                      {{MakeColumnRef(2, TypeId::kDouble), "v1"},
                                       {doubled, "v2"},
                                       {MakeColumnRef(2, TypeId::kDouble), "v3"},
                                       {MakeColumnRef(1, TypeId::kString), "name"}},
                                      &ctx));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*project));
  EXPECT_THAT(ColumnOf(out, 0), ElementsAre(D(1.5), D(-2)));
  EXPECT_THAT(ColumnOf(out, 1), ElementsAre(D(3), D(-4)));
  EXPECT_THAT(ColumnOf(out, 2), ElementsAre(D(1.5), D(-2)));
  EXPECT_THAT(ColumnOf(out, 3), ElementsAre(S("a"), S("b")));
}

TEST(OperatorTest, EmptyInputs) {
  ExecContext ctx;
  model::Schema schema = Rows({}, {}, {}).schema();
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr src, MakeSource(schema, {}, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr sort, MakeSort(std::move(src), {{.column = 0}}, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*sort));
  EXPECT_EQ(out.num_rows(), 0u);
  EXPECT_EQ(out.num_columns(), 3u);
}

TEST(OperatorTest, ParallelPipelineKeepsOrder) {
  ExecContext ctx;
  base::ThreadPool pool(2);
  std::vector<RecordBatch> in;
  for (int b = 0; b < 7; ++b)
    in.push_back(Rows({I(b), I(b + 100)}, {S("x"), S("y")}, {D(b), D(-1)}));
  BatchPipeline pipeline(in[0].schema());
  CS_ASSERT_OK_AND_ASSIGN(
      ExprPtr pred,
      MakeCompare(CompareOp::kGe, MakeColumnRef(2, TypeId::kDouble), MakeLiteral(D(0))));
  CS_ASSERT_OK(pipeline.AddFilter(pred));
  CS_ASSERT_OK(pipeline.AddProject({{MakeColumnRef(0, TypeId::kInt64), "id"}}));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr op,
                          MakeParallelPipeline(Source(in, &ctx), std::move(pipeline), &pool, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*op));
  EXPECT_THAT(ColumnOf(out, 0), ElementsAre(I(0), I(1), I(2), I(3), I(4), I(5), I(6)));
}

struct LimitCase {
  std::optional<int64_t> limit;
  int64_t offset;
  std::vector<Scalar> want;
};

TEST(OperatorTest, LimitOffset) {
  const std::vector<LimitCase> cases = {
      {3, 0, {I(1), I(2), I(3)}},
      {3, 2, {I(3), I(4), I(5)}},
      {std::nullopt, 4, {I(5)}},
      {0, 0, {}},
      {10, 10, {}},
      {1, 3, {I(4)}},
  };
  for (const LimitCase& c : cases) {
    ExecContext ctx;
    std::vector<RecordBatch> in = {
        Rows({I(1), I(2)}, {S("a"), S("a")}, {D(0), D(0)}),
        Rows({I(3), I(4), I(5)}, {S("a"), S("a"), S("a")}, {D(0), D(0), D(0)})};
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr op, MakeLimit(Source(in, &ctx), c.limit, c.offset));
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*op));
    EXPECT_THAT(ColumnOf(out, 0), ::testing::ElementsAreArray(c.want));
  }
  ExecContext ctx;
  EXPECT_FALSE(MakeLimit(Source({Rows({I(1)}, {S("a")}, {D(0)})}, &ctx), -1, 0).ok());
}

TEST(OperatorTest, UnionAll) {
  ExecContext ctx;
  std::vector<OperatorPtr> children;
  children.push_back(Source({Rows({I(1)}, {S("a")}, {D(0)})}, &ctx));
  children.push_back(Source({Rows({I(2), I(3)}, {S("b"), S("c")}, {D(0), D(1)})}, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(OperatorPtr u, MakeUnionAll(std::move(children)));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*u));
  EXPECT_THAT(ColumnOf(out, 0), ElementsAre(I(1), I(2), I(3)));
  std::vector<OperatorPtr> bad;
  bad.push_back(Source({Rows({I(1)}, {S("a")}, {D(0)})}, &ctx));
  bad.push_back(Source({BatchOf({{I(1)}}, {TypeId::kInt64})}, &ctx));
  EXPECT_FALSE(MakeUnionAll(std::move(bad)).ok());
}

struct SortCase {
  std::string name;
  std::vector<SortKey> keys;
  std::vector<Scalar> want_ids;
};

TEST(SortTest, KeysDirectionsNullsAndNaN) {
  // id: 1..7; value with NaN, +-Inf, NULL; name with ties.
  auto input = [] {
    return std::vector<RecordBatch>{
        Rows({I(1), I(2), I(3)}, {S("b"), S("a"), S("b")}, {D(kNaN), D(1), Null(TypeId::kDouble)}),
        Rows({I(4), I(5), I(6), I(7)}, {S("a"), Null(TypeId::kString), S("c"), S("a")},
             {D(-kInf), D(kInf), D(-0.5), D(1)})};
  };
  const std::vector<SortCase> cases = {
      {"value asc (nulls last, NaN after +Inf)",
       {{.column = 2}},
       {I(4), I(6), I(2), I(7), I(5), I(1), I(3)}},
      {"value desc (nulls first)",
       {{.column = 2, .descending = true}},
       {I(3), I(1), I(5), I(2), I(7), I(6), I(4)}},
      {"value asc nulls first",
       {{.column = 2, .nulls_first = true}},
       {I(3), I(4), I(6), I(2), I(7), I(5), I(1)}},
      {"value desc nulls last",
       {{.column = 2, .descending = true, .nulls_first = false}},
       {I(1), I(5), I(2), I(7), I(6), I(4), I(3)}},
      {"name asc then id desc",
       {{.column = 1}, {.column = 0, .descending = true}},
       {I(7), I(4), I(2), I(3), I(1), I(6), I(5)}},
      {"stable on ties", {{.column = 1}}, {I(2), I(4), I(7), I(1), I(3), I(6), I(5)}},
  };
  for (const SortCase& c : cases) {
    for (bool dict : {false, true}) {
      ExecContext ctx;
      std::vector<RecordBatch> in = input();
      if (dict) {
        for (RecordBatch& b : in) b.mutable_column(1) = ToDictionary(b.column(1));
      }
      CS_ASSERT_OK_AND_ASSIGN(OperatorPtr sort, MakeSort(Source(in, &ctx), c.keys, &ctx));
      CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*sort));
      EXPECT_THAT(ColumnOf(out, 0), ::testing::ElementsAreArray(c.want_ids)) << c.name;
      // Top-N agrees with sort + limit for every limit/offset.
      for (int64_t limit : {0, 1, 3, 10}) {
        for (int64_t offset : {0, 2}) {
          ExecContext ctx2;
          CS_ASSERT_OK_AND_ASSIGN(OperatorPtr top,
                                  MakeTopN(Source(input(), &ctx2), c.keys, limit, offset, &ctx2));
          CS_ASSERT_OK_AND_ASSIGN(RecordBatch t, CollectOne(*top));
          std::vector<Scalar> want;
          for (int64_t i = offset; i < std::min<int64_t>(7, offset + limit); ++i) {
            want.push_back(c.want_ids[i]);
          }
          EXPECT_THAT(ColumnOf(t, 0), ::testing::ElementsAreArray(want))
              << c.name << " limit " << limit << " offset " << offset;
        }
      }
    }
  }
}

TEST(SortTest, TopNOverManyBatchesCompacts) {
  ExecContext ctx;
  std::vector<RecordBatch> in;
  std::vector<int64_t> all;
  for (int b = 0; b < 40; ++b) {
    std::vector<Scalar> ids, names, values;
    for (int i = 0; i < 1000; ++i) {
      int64_t v = (b * 7919 + i * 104729) % 100003;
      all.push_back(v);
      ids.push_back(I(v));
      names.push_back(S("n"));
      values.push_back(D(0));
    }
    in.push_back(Rows(ids, names, values));
  }
  CS_ASSERT_OK_AND_ASSIGN(
      OperatorPtr top, MakeTopN(Source(in, &ctx), {{.column = 0, .descending = true}}, 5, 1, &ctx));
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*top));
  std::sort(all.rbegin(), all.rend());
  EXPECT_THAT(ColumnOf(out, 0), ElementsAre(I(all[1]), I(all[2]), I(all[3]), I(all[4]), I(all[5])));
  EXPECT_LT(ctx.peak_memory(), 40 * 1000 * 20);  // never held all 40k rows
}

TEST(HashJoinTest, InnerAndLeft) {
  auto left = [] {
    return std::vector<RecordBatch>{Rows({I(1), I(2), I(3), Null(TypeId::kInt64)},
                                         {S("a"), S("b"), S("c"), S("d")},
                                         {D(1), D(2), D(3), D(4)})};
  };
  // Right: (key int64, label string); key 2 appears twice, NULL key never matches.
  auto right = [] {
    RecordBatch b = BatchOf(
        {{I(2), I(1), I(2), Null(TypeId::kInt64), I(9)}, {S("x"), S("y"), S("z"), S("n"), S("q")}},
        {TypeId::kInt64, TypeId::kString});
    return std::vector<RecordBatch>{b};
  };
  {
    ExecContext ctx;
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr j, MakeHashJoin(Source(left(), &ctx), Source(right(), &ctx),
                                                        {0}, {0}, JoinType::kInner, &ctx));
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*j));
    EXPECT_EQ(out.num_columns(), 5u);
    EXPECT_THAT(ColumnOf(out, 0), ElementsAre(I(1), I(2), I(2)));
    EXPECT_THAT(ColumnOf(out, 4), ElementsAre(S("y"), S("x"), S("z")));
  }
  {
    ExecContext ctx;
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr j, MakeHashJoin(Source(left(), &ctx), Source(right(), &ctx),
                                                        {0}, {0}, JoinType::kLeft, &ctx));
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*j));
    EXPECT_THAT(ColumnOf(out, 1), ElementsAre(S("a"), S("b"), S("b"), S("c"), S("d")));
    EXPECT_THAT(ColumnOf(out, 4),
                ElementsAre(S("y"), S("x"), S("z"), Null(TypeId::kString), Null(TypeId::kString)));
    EXPECT_TRUE(out.schema().field(4).nullable);
  }
  {
    // String keys: dictionary on one side, plain on the other; empty build side.
    ExecContext ctx;
    std::vector<RecordBatch> l = left();
    l[0].mutable_column(1) = ToDictionary(l[0].column(1));
    RecordBatch r = BatchOf({{S("c"), S("a")}, {I(30), I(10)}}, {TypeId::kString, TypeId::kInt64});
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr j, MakeHashJoin(Source(l, &ctx), Source({r}, &ctx), {1},
                                                        {0}, JoinType::kInner, &ctx));
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch out, CollectOne(*j));
    EXPECT_THAT(ColumnOf(out, 4), ElementsAre(I(10), I(30)));
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr empty_src, MakeSource(r.schema(), {}, &ctx));
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr lj, MakeHashJoin(Source(left(), &ctx), std::move(empty_src),
                                                         {1}, {0}, JoinType::kLeft, &ctx));
    CS_ASSERT_OK_AND_ASSIGN(out, CollectOne(*lj));
    EXPECT_EQ(out.num_rows(), 4u);
    EXPECT_EQ(out.column(4).null_count(), 4u);
  }
  ExecContext ctx;
  EXPECT_THAT(
      MakeHashJoin(Source(left(), &ctx), Source(right(), &ctx), {0}, {1}, JoinType::kInner, &ctx)
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("join key 1 has types int64 and string")));
}

TEST(LimitsTest, DeadlineCancellationRowsAndMemory) {
  base::FakeClock clock;
  {
    ExecContext ctx({.timeout = absl::Seconds(30)}, &clock);
    int calls = 0;
    OperatorPtr src = MakeCallbackSource(
        Rows({}, {}, {}).schema(),
        [&]() -> absl::StatusOr<std::optional<RecordBatch>> {
          clock.Advance(absl::Seconds(20));
          ++calls;
          return Rows({I(1)}, {S("a")}, {D(1)});
        },
        &ctx);
    CS_ASSERT_OK(src->Next().status());  // checked at 0s
    CS_ASSERT_OK(src->Next().status());  // checked at 20s
    EXPECT_EQ(calls, 2);
    EXPECT_THAT(src->Next().status(), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                               HasSubstr("query timed out after 30s")));
  }
  {
    ExecContext ctx;
    OperatorPtr src = Source({Rows({I(1)}, {S("a")}, {D(1)})}, &ctx);
    ctx.Cancel();
    EXPECT_THAT(src->Next().status(), StatusIs(absl::StatusCode::kCancelled));
  }
  {
    ExecContext ctx({.max_rows_read = 2});
    OperatorPtr src = Source(
        {Rows({I(1), I(2)}, {S("a"), S("b")}, {D(1), D(2)}), Rows({I(3)}, {S("c")}, {D(3)})}, &ctx);
    CS_ASSERT_OK(src->Next().status());
    EXPECT_THAT(src->Next().status(),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("query exceeded the row limit of 2 rows read")));
  }
  {
    ExecContext ctx({.memory_limit_bytes = 300});
    std::vector<RecordBatch> in;
    for (int b = 0; b < 10; ++b)
      in.push_back(Rows({I(b), I(b)}, {S("aaaaaaaaaa"), S("b")}, {D(1), D(2)}));
    CS_ASSERT_OK_AND_ASSIGN(OperatorPtr sort, MakeSort(Source(in, &ctx), {{.column = 0}}, &ctx));
    EXPECT_THAT(sort->Next().status(),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("query exceeded the memory limit of 300 bytes")));
  }
  {
    // Memory is returned when the operator finishes.
    ExecContext ctx({.memory_limit_bytes = 1 << 20});
    CS_ASSERT_OK_AND_ASSIGN(
        OperatorPtr sort,
        MakeSort(Source({Rows({I(2), I(1)}, {S("a"), S("b")}, {D(1), D(2)})}, &ctx),
                 {{.column = 0}}, &ctx));
    CS_ASSERT_OK(CollectAll(*sort).status());
    EXPECT_EQ(ctx.memory_used(), 0);
    EXPECT_GT(ctx.peak_memory(), 0);
  }
}

TEST(LimitsTest, SourceRejectsMismatchedBatches) {
  ExecContext ctx;
  EXPECT_THAT(
      MakeSource(Rows({}, {}, {}).schema(), {BatchOf({{I(1)}}, {TypeId::kInt64})}, &ctx).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 columns, schema has 3")));
}

}  // namespace
}  // namespace cardinalsin::exec
