// Engine behaviour that golden files cannot show: EXPLAIN ANALYZE (timings vary), statistics,
// limits and deadlines, concurrency.

#include "plan/sql_engine.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_join.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plan/internal/test_dataset.h"

namespace cardinalsin::plan {
namespace {

using base::testing::StatusIs;
using ::testing::HasSubstr;

class SqlEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CS_ASSERT_OK(db_.Init());
    CS_ASSERT_OK(db_.AddHourlyDataset());
  }
  internal::TestDatabase db_;
};

constexpr const char* kOneSeriesOneHour =
    "SELECT timestamp, value FROM metrics WHERE metric_name = 'cpu_usage' AND host = 'h2' "
    "AND timestamp >= '2024-01-01T05:00:00Z' AND timestamp < '2024-01-01T06:00:00Z'";

TEST_F(SqlEngineTest, SelectiveQueryReadsOneChunkAndOneRowGroup) {
  CS_ASSERT_OK_AND_ASSIGN(QueryResult result, db_.Query(kOneSeriesOneHour));
  EXPECT_EQ(result.num_rows(), 6u);
  EXPECT_EQ(result.stats.chunks_total, 24);
  EXPECT_EQ(result.stats.chunks_read, 1);
  EXPECT_EQ(result.stats.row_groups_total, 2);
  EXPECT_LE(result.stats.row_groups_read, 2);
  EXPECT_GT(result.stats.bytes_scanned, 0);

  CS_ASSERT_OK_AND_ASSIGN(QueryResult full, db_.Query("SELECT count(*) FROM metrics"));
  EXPECT_EQ(full.stats.chunks_read, 24);
  EXPECT_EQ(full.stats.rows_scanned, 24 * 36);
  EXPECT_GT(full.stats.bytes_scanned, result.stats.bytes_scanned);
}

TEST_F(SqlEngineTest, ExplainAnalyzeReportsActualsAndPruning) {
  CS_ASSERT_OK_AND_ASSIGN(QueryResult result,
                          db_.Query(std::string("EXPLAIN ANALYZE ") + kOneSeriesOneHour));
  std::vector<std::string> lines = internal::ResultLines(result);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "plan");
  std::string text = absl::StrJoin(lines, "\n");
  EXPECT_THAT(text, HasSubstr("chunks: 24 total, 1 after catalog pruning, 1 read; row groups: 2 "
                              "total"));
  EXPECT_THAT(text, HasSubstr("actual rows=6"));
  EXPECT_THAT(text, HasSubstr("Execution time: "));
}

TEST_F(SqlEngineTest, ResultRowLimit) {
  QueryOptions options;
  options.max_result_rows = 10;
  EXPECT_THAT(db_.Query("SELECT * FROM metrics", options),
              StatusIs(absl::StatusCode::kResourceExhausted));
  CS_EXPECT_OK(db_.Query("SELECT * FROM metrics LIMIT 10", options));
}

TEST_F(SqlEngineTest, RowsScannedLimit) {
  QueryOptions options;
  options.max_rows_scanned = 100;
  EXPECT_THAT(db_.Query("SELECT count(*) FROM metrics", options),
              StatusIs(absl::StatusCode::kResourceExhausted));
  CS_EXPECT_OK(db_.Query(kOneSeriesOneHour, options));
}

TEST_F(SqlEngineTest, MemoryLimit) {
  QueryOptions options;
  options.memory_limit_bytes = 1024;
  EXPECT_THAT(db_.Query("SELECT timestamp, host, value FROM metrics ORDER BY value", options),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(SqlEngineTest, DeadlineInThePast) {
  QueryOptions options;
  options.deadline = db_.clock().Now() - absl::Seconds(1);
  EXPECT_THAT(db_.Query("SELECT 1", options), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(SqlEngineTest, CallerCancellationFlagStopsTheQuery) {
  std::atomic<bool> cancelled{false};
  QueryOptions options;
  options.cancelled = &cancelled;
  CS_ASSERT_OK(db_.Query("SELECT count(*) FROM metrics", options).status());
  cancelled = true;
  EXPECT_THAT(db_.Query("SELECT count(*) FROM metrics", options),
              StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(SqlEngineTest, EmptySchemaKeptForEmptyResults) {
  CS_ASSERT_OK_AND_ASSIGN(
      QueryResult result,
      db_.Query("SELECT metric_name, value AS v FROM metrics WHERE value < -1"));
  EXPECT_EQ(result.num_rows(), 0u);
  ASSERT_EQ(result.schema.size(), 2u);
  EXPECT_EQ(result.schema.field(1).name, "v");
}

TEST_F(SqlEngineTest, ConcurrentQueries) {
  std::vector<std::thread> threads;
  std::vector<int64_t> counts(4, -1);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t]() {
      absl::StatusOr<QueryResult> r =
          db_.Query("SELECT count(*) FROM metrics WHERE metric_name = 'mem_bytes'");
      if (r.ok() && r->num_rows() == 1) counts[t] = r->batches[0].column(0).int64s()[0];
    });
  }
  for (std::thread& t : threads) t.join();
  for (int64_t c : counts) EXPECT_EQ(c, 24 * 18);
}

TEST_F(SqlEngineTest, ParseErrorsAreInvalidArgument) {
  EXPECT_THAT(db_.Query("SELCT * FORM nonexistent_table"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SqlEngineCreateTest, RejectsZeroThreads) {
  io::InMemoryObjectStore store;
  SqlEngineOptions options;
  options.threads = 0;
  EXPECT_THAT(SqlEngine::Create(&store, options), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cardinalsin::plan
