#include "scan/scanner.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fault_injecting_object_store.h"
#include "io/in_memory_object_store.h"
#include "io/local_object_store.h"
#include "scan/testing/chunk_writer.h"

namespace cardinalsin::scan {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;
using testing::TestRow;

constexpr int64_t kHour = 3'600'000'000'000;
constexpr int64_t kMinute = 60'000'000'000;
constexpr int64_t kBase = 1'700'000'000'000'000'000 / kHour * kHour;  // an hour boundary

// An UnflushedSource whose answer the test sets; `before_answer` runs inside Fetch (an ingester
// committing a flush just before it answers).
class FakeUnflushed final : public UnflushedSource {
 public:
  absl::StatusOr<UnflushedResult> Fetch(const UnflushedQuery& query) override {
    std::lock_guard lock(mu);  // concurrent scans call in parallel
    ++calls;
    last_query = query;
    if (before_answer) before_answer();
    if (!error.ok()) return error;
    return result;
  }
  UnflushedResult result;
  absl::Status error;
  std::function<void()> before_answer;
  UnflushedQuery last_query;
  int calls = 0;
  std::mutex mu;
};

// One row per (series, timestamp) for easy comparison: (metric, series labels, ts) -> value.
using RowKey = std::tuple<std::string, std::string, int64_t>;

std::map<RowKey, double> Collect(const Scanner::Result& result, const std::string& label) {
  std::map<RowKey, double> rows;
  const model::Schema& schema = result.schema;
  for (const model::RecordBatch& batch : result.batches) {
    EXPECT_EQ(batch.schema(), schema);
    const auto& ts = batch.column(*schema.IndexOf("timestamp")).int64s();
    const model::Column& metric = batch.column(*schema.IndexOf("metric_name"));
    const auto& values = batch.column(*schema.IndexOf("value")).doubles();
    std::optional<size_t> label_index = schema.IndexOf(label);
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::string label_value = "<none>";
      if (label_index && batch.column(*label_index).IsValid(r)) {
        label_value = std::string(batch.column(*label_index).StringAt(r));
      }
      auto [it, inserted] =
          rows.emplace(RowKey{std::string(metric.StringAt(r)), label_value, ts[r]}, values[r]);
      EXPECT_TRUE(inserted) << "duplicate row " << std::get<0>(it->first) << " "
                            << std::get<1>(it->first) << " " << std::get<2>(it->first);
    }
  }
  return rows;
}

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CS_ASSERT_OK_AND_ASSIGN(writer_, catalog::Catalog::Open(&store_, "t", {.writer_id = "w"}));
  }

  std::unique_ptr<Scanner> MakeScanner(ScannerOptions options = {}) {
    if (!options.unflushed) options.unflushed = &unflushed_;
    absl::StatusOr<std::unique_ptr<Scanner>> scanner = Scanner::Create(&store_, options);
    EXPECT_TRUE(scanner.ok()) << scanner.status();
    return *std::move(scanner);
  }

  // Without series directories: rows are selected row by row (what the tests counting pages and
  // rows of late materialization measure).
  std::unique_ptr<Scanner> MakeRowScanner() {
    ScannerOptions options;
    options.series_directory_bytes = 0;
    return MakeScanner(options);
  }

  // 24 hourly chunks; each has metrics cpu and mem, 20 instances, one sample a minute, row
  // groups of 600 rows, pages of 60 rows and a bloom filter on `instance`.
  void WriteDay() {
    parquet::WriterOptions options = testing::ChunkOptions(/*row_group_rows=*/600,
                                                           /*page_rows=*/60);
    options.bloom_filter_columns = {"instance"};
    for (int h = 0; h < 24; ++h) {
      std::vector<TestRow> rows;
      for (const char* metric : {"cpu", "mem"}) {
        for (int i = 0; i < 20; ++i) {
          for (int m = 0; m < 60; ++m) {
            rows.push_back({metric,
                            {{"instance", "i" + std::to_string(i)}, {"job", "node"}},
                            kBase + h * kHour + m * kMinute,
                            h * 10000.0 + i * 100 + m});
          }
        }
      }
      CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "h" + std::to_string(h),
                                        testing::MetricsRows(rows), options, h)
                       .status());
    }
  }

  // One chunk of 40 cpu series of 60 samples, one row group, pages of 600 rows. Hosts "a.." and
  // "z.." interleave in series order, so every page's host range contains host "m" (series 7).
  void WriteInterleavedHosts() {
    std::vector<TestRow> rows;
    for (int i = 0; i < 40; ++i) {
      const std::string host = i == 7 ? "m" : (i % 2 ? "a" : "z") + std::to_string(i);
      for (int m = 0; m < 60; ++m) {
        rows.push_back({"cpu", {{"host", host}}, kBase + m * kMinute, i * 100.0 + m});
      }
    }
    CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "c", testing::MetricsRows(rows),
                                      testing::ChunkOptions(/*row_group_rows=*/2400,
                                                            /*page_rows=*/600))
                     .status());
  }

  io::InMemoryObjectStore store_;
  std::unique_ptr<catalog::Catalog> writer_;
  FakeUnflushed unflushed_;
};

TEST_F(ScannerTest, OneSeriesOneHourReadsOneChunkAndFewPages) {
  WriteDay();
  auto scanner = MakeRowScanner();
  ScanRequest request{.tenant = "t",
                      .min_time_ns = kBase + 5 * kHour,
                      .max_time_ns = kBase + 6 * kHour - 1,
                      .metric = MetricCondition::Exact({"cpu"}),
                      .labels = {{.name = "instance", .values = {"i7"}}},
                      .columns = {"timestamp", "metric_name", "value", "instance"}};
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll(request));
  const ScanStats& stats = result.stats;
  EXPECT_EQ(stats.chunks_total, 24);
  EXPECT_EQ(stats.chunks_pruned_by_catalog, 23);
  EXPECT_EQ(stats.chunks_read, 1);
  // 2400 rows in groups of 600: the mem groups go on metric_name statistics; of the two cpu
  // groups (series sorted by id, so both span i0..i9 by byte order) the bloom filter drops the one
  // without i7; the page index leaves the one or two pages of 60 rows holding i7.
  EXPECT_EQ(stats.row_groups_total, 4);
  EXPECT_EQ(stats.row_groups_pruned_by_statistics, 2);
  EXPECT_EQ(stats.row_groups_pruned_by_bloom_filter, 1);
  EXPECT_EQ(stats.row_groups_read, 1);
  EXPECT_LT(stats.pages_read, stats.pages_total);
  EXPECT_LE(stats.rows_read, 120);
  EXPECT_EQ(stats.rows_output, 60);
  // Against reading that hour whole: fewer bytes (both include the footer probe, which on a chunk
  // this small covers the whole object: a fresh scanner has no parsed footer yet).
  CS_ASSERT_OK_AND_ASSIGN(
      Scanner::Result hour,
      MakeRowScanner()->ScanAll(
          {.tenant = "t", .min_time_ns = request.min_time_ns, .max_time_ns = request.max_time_ns}));
  EXPECT_EQ(hour.num_rows(), 2400u);
  EXPECT_LT(stats.bytes_read, hour.stats.bytes_read);
  std::map<RowKey, double> rows = Collect(result, "instance");
  ASSERT_EQ(rows.size(), 60u);
  for (int m = 0; m < 60; ++m) {
    EXPECT_EQ((rows[{"cpu", "i7", kBase + 5 * kHour + m * kMinute}]), 50000.0 + 700 + m);
  }
}

// Late materialization: a label condition the page index cannot use (every page's host range
// spans the wanted host) still reads the timestamp and value pages of the matching series only.
TEST_F(ScannerTest, SelectiveLabelReadsOtherColumnsOnlyWhereRowsPass) {
  WriteInterleavedHosts();
  auto scanner = MakeRowScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result,
                          scanner->ScanAll({.tenant = "t",
                                            .labels = {{.name = "host", .values = {"m"}}},
                                            .columns = {"timestamp", "value"}}));
  ASSERT_EQ(result.num_rows(), 60u);
  std::vector<std::pair<int64_t, double>> got;
  for (const model::RecordBatch& batch : result.batches) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      got.push_back({batch.column(0).int64s()[r], batch.column(1).doubles()[r]});
    }
  }
  std::sort(got.begin(), got.end());
  for (int m = 0; m < 60; ++m) {
    EXPECT_EQ(got[m], std::make_pair(kBase + m * kMinute, 700.0 + m));
  }
  // 3 columns x 4 pages of 600 rows. The host column is read where the page index leaves it
  // (every page); the 60 rows of host "m" lie in at most 2 pages of timestamp and of value.
  EXPECT_EQ(result.stats.pages_total, 12);
  EXPECT_EQ(result.stats.rows_read, 2400);
  EXPECT_LE(result.stats.pages_read, 4 + 2 + 2);
}

// Every row of a result with all its columns, sorted, for comparing two scans exactly.
std::vector<std::string> AllRows(const Scanner::Result& result) {
  std::vector<std::string> rows;
  for (const model::RecordBatch& batch : result.batches) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::string row;
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        const model::Column& column = batch.column(c);
        row += result.schema.field(c).name + "=";
        if (!column.IsValid(r)) {
          row += "NULL";
        } else if (column.type() == model::TypeId::kString) {
          row += std::string(column.StringAt(r));
        } else if (column.type() == model::TypeId::kDouble) {
          row += std::to_string(column.doubles()[r]);
        } else if (column.type() == model::TypeId::kUInt64) {
          row += std::to_string(column.uint64s()[r]);
        } else {
          row += std::to_string(column.int64s()[r]);
        }
        row += " ";
      }
      rows.push_back(std::move(row));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST_F(ScannerTest, SeriesDirectoriesGiveTheSameRowsAsRowByRowSelection) {
  WriteDay();
  // A chunk where some series lack `instance` and have a `zone`, overlapping hour 3.
  std::vector<TestRow> extra;
  for (int i = 0; i < 6; ++i) {
    std::map<std::string, std::string> labels = {{"job", i % 2 ? "node" : "api"}};
    if (i < 3) labels["zone"] = "z" + std::to_string(i);
    if (i >= 3) labels["instance"] = "i" + std::to_string(i);
    for (int m = 0; m < 30; ++m) {
      extra.push_back({i < 4 ? "cpu" : "disk", labels, kBase + 3 * kHour + m * 2 * kMinute + 7,
                       i * 1000.0 + m});
    }
  }
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "extra", testing::MetricsRows(extra),
                                    testing::ChunkOptions(/*row_group_rows=*/50, /*page_rows=*/20),
                                    24)
                   .status());
  auto by_row = MakeRowScanner();
  auto by_series = MakeScanner();
  const int64_t straddle_lo = kBase + 3 * kHour + 17 * kMinute + 3;
  const int64_t straddle_hi = kBase + 5 * kHour + 41 * kMinute;
  std::vector<ScanRequest> requests = {
      {.metric = MetricCondition::Exact({"cpu"})},
      {.metric = MetricCondition::Regex("c.*|disk"),
       .labels = {{.name = "instance", .op = LabelOp::kRegex, .values = {"i1.*|i4"}}}},
      {.labels = {{.name = "instance", .op = LabelOp::kNotEqual, .values = {"i3"}}}},
      {.labels = {{.name = "instance", .values = {""}}}},  // absent (PromQL {instance=""})
      {.labels = {{.name = "zone", .op = LabelOp::kNotRegex, .values = {"z1"}}}},
      {.labels = {{.name = "zone",
                   .op = LabelOp::kNotEqual,
                   .values = {"z1"},
                   .absent = AbsentLabel::kNoMatch}}},  // SQL: NULL <> 'z1' is not true
      {.labels = {{.name = "nosuchlabel", .values = {""}}}},
      {.labels = {{.name = "nosuchlabel", .values = {"x"}}}},
      {.metric = MetricCondition::Prefix("di"),
       .labels = {{.name = "job", .op = LabelOp::kIn, .values = {"api", "node"}}}},
      // Literal alternations, matched as sets.
      {.metric = MetricCondition::Regex("cpu|disk"),
       .labels = {{.name = "instance", .op = LabelOp::kRegex, .values = {"i(1|4|13)"}}}},
  };
  for (size_t i = 0; i < requests.size(); ++i) {
    for (bool straddle : {false, true}) {
      for (bool projected : {false, true}) {
        ScanRequest request = requests[i];
        request.tenant = "t";
        if (straddle) {
          request.min_time_ns = straddle_lo;
          request.max_time_ns = straddle_hi;
        }
        if (projected) request.columns = {"value", "zone", "series_id"};
        SCOPED_TRACE(
            absl::StrFormat("request %d, straddle %d, projected %d", i, straddle, projected));
        CS_ASSERT_OK_AND_ASSIGN(Scanner::Result want, by_row->ScanAll(request));
        for (int pass = 0; pass < 2; ++pass) {  // builds the directories, then uses them
          CS_ASSERT_OK_AND_ASSIGN(Scanner::Result got, by_series->ScanAll(request));
          EXPECT_EQ(got.schema, want.schema);
          EXPECT_EQ(AllRows(got), AllRows(want));
          EXPECT_EQ(got.stats.row_groups_read_by_series, got.stats.row_groups_read);
          EXPECT_EQ(want.stats.row_groups_read_by_series, 0);
        }
      }
    }
  }
}

TEST_F(ScannerTest, SeriesDirectoryReadsOnlyThePagesOfTheMatchingSeries) {
  WriteInterleavedHosts();
  auto scanner = MakeScanner();
  const ScanRequest request{.tenant = "t",
                            .labels = {{.name = "host", .values = {"m"}}},
                            .columns = {"timestamp", "value", "host"}};
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result first, scanner->ScanAll(request));
  EXPECT_EQ(first.num_rows(), 60u);
  EXPECT_EQ(first.stats.rows_read, 2400 + 60);  // the directory's build, then the series
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result second, scanner->ScanAll(request));
  ASSERT_EQ(second.num_rows(), 60u);
  EXPECT_EQ(second.stats.row_groups_read_by_series, 1);
  EXPECT_EQ(second.stats.rows_read, 60);
  // timestamp and value: 4 pages each, of which the 60 rows of "m" touch at most 2.
  EXPECT_EQ(second.stats.pages_total, 8);
  EXPECT_LE(second.stats.pages_read, 2 + 2);
  for (const model::RecordBatch& batch : second.batches) {
    for (size_t r = 0; r < batch.num_rows(); ++r) EXPECT_EQ(batch.column(2).StringAt(r), "m");
  }
  // 60 of a page's 600 rows: both scans decoded the pages whole into the page cache (the first
  // while its directory was built), and a third takes them from there with the same answer.
  EXPECT_EQ(first.stats.pages_from_cache, 0);
  EXPECT_EQ(second.stats.pages_from_cache, second.stats.pages_read);
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result third, scanner->ScanAll(request));
  EXPECT_EQ(third.stats.pages_from_cache, third.stats.pages_read);
  ASSERT_EQ(third.batches.size(), second.batches.size());
  for (size_t b = 0; b < third.batches.size(); ++b) {
    EXPECT_TRUE(third.batches[b].Equals(second.batches[b]));
  }
  ScannerOptions without;
  without.page_cache_bytes = 0;
  auto uncached = MakeScanner(without);
  for (int round = 0; round < 2; ++round) {
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result got, uncached->ScanAll(request));
    EXPECT_EQ(got.stats.pages_from_cache, 0);
    ASSERT_EQ(got.batches.size(), second.batches.size());
    for (size_t b = 0; b < got.batches.size(); ++b) {
      EXPECT_TRUE(got.batches[b].Equals(second.batches[b]));
    }
  }
}

TEST_F(ScannerTest, RowGroupsWithoutRunsOfSeriesAreSelectedRowByRow) {
  std::vector<TestRow> rows;  // one sample per series: no run is worth a directory entry
  for (int i = 0; i < 100; ++i) {
    rows.push_back({"cpu", {{"host", "h" + std::to_string(i)}}, kBase + i, double(i)});
  }
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "c", testing::MetricsRows(rows),
                                    testing::ChunkOptions(/*row_group_rows=*/100,
                                                          /*page_rows=*/10))
                   .status());
  auto scanner = MakeScanner();
  const ScanRequest request{.tenant = "t",
                            .labels = {{.name = "host", .op = LabelOp::kRegex, .values = {"h1.?"}}},
                            .columns = {"value", "host"}};
  for (int pass = 0; pass < 2; ++pass) {
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll(request));
    EXPECT_EQ(result.num_rows(), 11u);
    EXPECT_EQ(result.stats.row_groups_read_by_series, 0);
  }
}

TEST_F(ScannerTest, OneRowPerSeriesFindsEverySeriesWithSamplesInTheRange) {
  WriteDay();
  // A series with samples at minutes 0 and 50 of hour 3 only: its run straddles 3:10-3:20 but
  // has no sample there.
  std::vector<TestRow> sparse = {
      {"cpu", {{"instance", "sparse"}, {"job", "node"}}, kBase + 3 * kHour, 1},
      {"cpu", {{"instance", "sparse"}, {"job", "node"}}, kBase + 3 * kHour + 50 * kMinute, 2},
      {"cpu", {{"instance", "dense"}, {"job", "node"}}, kBase + 3 * kHour + 15 * kMinute, 3},
      {"cpu", {{"instance", "dense"}, {"job", "node"}}, kBase + 3 * kHour + 16 * kMinute, 4},
      {"cpu", {{"instance", "dense"}, {"job", "node"}}, kBase + 3 * kHour + 17 * kMinute, 5},
      {"cpu", {{"instance", "dense"}, {"job", "node"}}, kBase + 3 * kHour + 18 * kMinute, 6}};
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "sparse", testing::MetricsRows(sparse),
                                    testing::ChunkOptions(), 30)
                   .status());
  auto by_series = MakeScanner();
  auto by_row = MakeRowScanner();
  auto series_of = [](const Scanner::Result& result) {
    std::set<std::string> series;
    for (const model::RecordBatch& batch : result.batches) {
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        series.insert(std::string(batch.column(1).StringAt(r)) + "/" +
                      std::string(batch.column(2).StringAt(r)));
      }
    }
    return series;
  };
  struct Case {
    int64_t lo, hi;
    std::vector<LabelPredicate> labels;
  };
  const std::vector<Case> cases = {
      {kBase, kBase + 24 * kHour, {}},
      {kBase + 3 * kHour + 10 * kMinute, kBase + 3 * kHour + 20 * kMinute, {}},
      {kBase + 3 * kHour + 10 * kMinute,
       kBase + 3 * kHour + 20 * kMinute,
       {{.name = "instance", .op = LabelOp::kRegex, .values = {"s.*|d.*|i1"}}}},
      // Ranges that cut runs at one end: their last (first) sample is inside, nothing is read.
      {kBase + 3 * kHour + 10 * kMinute, kBase + 5 * kHour, {}},
      {kBase + 2 * kHour, kBase + 3 * kHour + 20 * kMinute, {}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    ScanRequest request{.tenant = "t",
                        .min_time_ns = cases[i].lo,
                        .max_time_ns = cases[i].hi,
                        .labels = cases[i].labels,
                        .columns = {"timestamp", "metric_name", "instance"}};
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result want, by_row->ScanAll(request));
    request.one_row_per_series = true;
    for (int pass = 0; pass < 2; ++pass) {
      CS_ASSERT_OK_AND_ASSIGN(Scanner::Result got, by_series->ScanAll(request));
      EXPECT_EQ(series_of(got), series_of(want));
      EXPECT_LT(got.num_rows(), want.num_rows());
      for (const model::RecordBatch& batch : got.batches) {
        for (int64_t t : batch.column(0).int64s()) {
          ASSERT_GE(t, cases[i].lo);
          ASSERT_LE(t, cases[i].hi);
        }
      }
      EXPECT_GT(got.stats.row_groups_read_by_series, 0);
    }
    // Label values (here of metric_name; a row group holds 10 series of one metric): the same
    // distinct values from fewer rows, one per distinct value per row group (where overlapping
    // chunks are deduplicated by series, one per series).
    std::set<std::string> metrics;
    for (const std::string& series : series_of(want)) {
      metrics.insert(series.substr(0, series.find('/')));
    }
    // A fresh scanner: without label conditions, metric names alone are read through
    // directories of the names only (the metric browser), not the full ones built above.
    auto names_scanner = MakeScanner();
    ScanRequest values = request;
    values.columns = {"metric_name"};
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result per_series, names_scanner->ScanAll(values));
    values.distinct_labels = true;
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result distinct, names_scanner->ScanAll(values));
    EXPECT_GT(distinct.stats.row_groups_read_by_series, 0);
    // Full directories are still built for what needs the labels.
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result labelled, names_scanner->ScanAll(request));
    EXPECT_EQ(series_of(labelled), series_of(want));
    std::set<std::string> got_metrics;
    for (const model::RecordBatch& batch : distinct.batches) {
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        got_metrics.insert(std::string(batch.column(0).StringAt(r)));
      }
    }
    EXPECT_EQ(got_metrics, metrics);
    // Cases 1 and 2 read only hour 3, which the "sparse" chunk overlaps.
    if (i != 1 && i != 2) {
      EXPECT_LT(distinct.num_rows(), per_series.num_rows());
    }
    if (i == 1 || i == 2) {
      EXPECT_FALSE(series_of(want).contains("cpu/sparse"));
      EXPECT_TRUE(series_of(want).contains("cpu/dense"));
    }
  }
}

// The metric browser (distinct metric names, no label condition) is answered per chunk from its
// metric names and their first and last sample times, cached: a later lookup reads no row
// group. A metric whose samples reach past both ends of the range may have none inside; then the
// chunk's row groups decide.
TEST_F(ScannerTest, MetricNamesLookupIsAnsweredPerChunk) {
  std::vector<TestRow> rows;
  for (int i = 0; i < 8; ++i) {
    const std::string instance = "i" + std::to_string(i);
    for (int m = 0; m < 60; ++m) {
      rows.push_back({"every_minute", {{"instance", instance}}, kBase + m * kMinute, 1});
    }
    rows.push_back({"ends_only", {{"instance", instance}}, kBase, 2});
    rows.push_back({"ends_only", {{"instance", instance}}, kBase + 50 * kMinute, 2});
    for (int m = 20; m <= 30; ++m) {
      rows.push_back({"middle", {{"instance", instance}}, kBase + m * kMinute, 3});
    }
  }
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "m", testing::MetricsRows(rows),
                                    testing::ChunkOptions(/*row_group_rows=*/200), 1)
                   .status());
  auto by_row = MakeRowScanner();
  auto scanner = MakeScanner();
  auto names_of = [](const Scanner::Result& result) {
    std::set<std::string> names;
    for (const model::RecordBatch& batch : result.batches) {
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        names.insert(std::string(batch.column(0).StringAt(r)));
      }
    }
    return names;
  };
  struct Case {
    int64_t lo, hi;
    std::string metric_regex;  // empty: every metric
    bool from_summary;         // no row group needs reading
    std::set<std::string> want;
  };
  const std::vector<Case> cases = {
      {kBase, kBase + kHour, "", true, {"every_minute", "ends_only", "middle"}},
      {kBase + 25 * kMinute, kBase + 2 * kHour, "", true, {"every_minute", "ends_only", "middle"}},
      {kBase + 31 * kMinute, kBase + 2 * kHour, "", true, {"every_minute", "ends_only"}},
      {kBase - kHour, kBase + 10 * kMinute, "e.*", true, {"every_minute", "ends_only"}},
      // every_minute and ends_only reach past both ends: the row groups tell that ends_only has
      // no sample inside.
      {kBase + 10 * kMinute, kBase + 40 * kMinute, "", false, {"every_minute", "middle"}},
      {kBase + 10 * kMinute, kBase + 40 * kMinute, "middle", true, {"middle"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    ScanRequest request{.tenant = "t",
                        .min_time_ns = cases[i].lo,
                        .max_time_ns = cases[i].hi,
                        .columns = {"metric_name"},
                        .one_row_per_series = true,
                        .distinct_labels = true};
    if (!cases[i].metric_regex.empty()) {
      request.metric = MetricCondition::Regex(cases[i].metric_regex);
    }
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result want, by_row->ScanAll(request));
    EXPECT_EQ(names_of(want), cases[i].want);
    for (int pass = 0; pass < 2; ++pass) {
      CS_ASSERT_OK_AND_ASSIGN(Scanner::Result got, scanner->ScanAll(request));
      EXPECT_EQ(names_of(got), cases[i].want) << "pass " << pass;
      // From the summary, one row per name; from row groups, one per name and row group.
      if (cases[i].from_summary) {
        EXPECT_EQ(got.num_rows(), cases[i].want.size());
      }
      if (cases[i].from_summary && (pass == 1 || i > 0)) {
        EXPECT_EQ(got.stats.rows_read, 0);
        EXPECT_EQ(got.stats.row_groups_read_by_series, 0);
      }
      if (!cases[i].from_summary) {
        EXPECT_GT(got.stats.row_groups_read_by_series, 0);
      }
    }
  }
}

TEST_F(ScannerTest, FullScanReturnsEverythingOnce) {
  WriteDay();
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(result.schema, model::MetricsSchema({"instance", "job"}));
  EXPECT_EQ(result.num_rows(), 24u * 2 * 20 * 60);
  EXPECT_EQ(Collect(result, "instance").size(), 24u * 2 * 20 * 60);
  EXPECT_EQ(result.stats.chunks_read, 24);
  EXPECT_EQ(result.stats.rows_deduplicated, 0);
  EXPECT_EQ(result.stats.rows_output, 24 * 2 * 20 * 60);
}

// A chunk split among decode tasks (row groups of 600 rows, parts of 600 rows, 3 threads: parts
// of 2, 1 and 1 row groups, or fewer after pruning) gives the same rows in the same order and
// the same stats as one task per chunk.
TEST_F(ScannerTest, ChunkSplitAmongDecodeThreadsKeepsRowsOrderAndStats) {
  WriteDay();
  auto whole = MakeScanner({.decode_threads = 3});
  auto split = MakeScanner({.decode_threads = 3, .rows_per_decode_part = 600});
  const std::vector<ScanRequest> requests = {
      {.tenant = "t"},
      {.tenant = "t",
       .min_time_ns = kBase + 2 * kHour + 30 * kMinute,
       .max_time_ns = kBase + 4 * kHour},
      {.tenant = "t", .metric = MetricCondition::Exact({"mem"})},
      {.tenant = "t",
       .labels = {{.name = "instance", .op = LabelOp::kIn, .values = {"i3", "i11"}}},
       .columns = {"timestamp", "value"}},
  };
  for (size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(i);
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result a, whole->ScanAll(requests[i]));
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result b, split->ScanAll(requests[i]));
    auto flatten = [](const Scanner::Result& r) {
      std::vector<std::pair<int64_t, double>> rows;
      for (const model::RecordBatch& batch : r.batches) {
        const auto& ts = batch.column(*batch.schema().IndexOf("timestamp")).int64s();
        const auto& v = batch.column(*batch.schema().IndexOf("value")).doubles();
        for (size_t k = 0; k < batch.num_rows(); ++k) rows.emplace_back(ts[k], v[k]);
      }
      return rows;
    };
    EXPECT_GT(a.num_rows(), 0u);
    EXPECT_EQ(flatten(a), flatten(b));
    EXPECT_EQ(a.schema, b.schema);
    EXPECT_EQ(a.stats.chunks_read, b.stats.chunks_read);
    EXPECT_EQ(a.stats.row_groups_total, b.stats.row_groups_total);
    EXPECT_EQ(a.stats.row_groups_pruned_by_statistics, b.stats.row_groups_pruned_by_statistics);
    EXPECT_EQ(a.stats.row_groups_pruned_by_bloom_filter, b.stats.row_groups_pruned_by_bloom_filter);
    EXPECT_EQ(a.stats.row_groups_read, b.stats.row_groups_read);
    EXPECT_EQ(a.stats.pages_read, b.stats.pages_read);
    EXPECT_EQ(a.stats.rows_read, b.stats.rows_read);
    EXPECT_EQ(a.stats.rows_output, b.stats.rows_output);
  }
  EXPECT_FALSE(Scanner::Create(&store_, {.rows_per_decode_part = 0}).ok());
}

TEST_F(ScannerTest, TimeRangeIsExactAndInclusive) {
  WriteDay();
  auto scanner = MakeScanner();
  // From the last minute of hour 2 to the first minute of hour 3, both ends inclusive.
  ScanRequest request{.tenant = "t",
                      .min_time_ns = kBase + 3 * kHour - kMinute,
                      .max_time_ns = kBase + 3 * kHour,
                      .metric = MetricCondition::Exact({"mem"}),
                      .columns = {"timestamp"}};
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll(request));
  EXPECT_EQ(result.num_rows(), 2u * 20);
  EXPECT_EQ(result.stats.chunks_read, 2);
  for (const model::RecordBatch& batch : result.batches) {
    for (int64_t ts : batch.column(0).int64s()) {
      EXPECT_TRUE(ts == request.min_time_ns || ts == request.max_time_ns) << ts;
    }
  }
}

TEST_F(ScannerTest, CatalogPrunesOnLabelRanges) {
  CS_ASSERT_OK(
      testing::CommitChunk(store_, *writer_, "eu",
                           testing::MetricsRows({{"up", {{"region", "eu"}}, kBase, 1},
                                                 {"up", {{"region", "eu-west"}}, kBase, 2}}))
          .status());
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "us",
                                    testing::MetricsRows({{"up", {{"region", "us"}}, kBase, 3}}))
                   .status());
  auto scanner = MakeScanner();
  struct Case {
    LabelPredicate predicate;
    int64_t pruned;
    size_t rows;
  };
  const std::vector<Case> cases = {
      {{.name = "region", .values = {"us"}}, 1, 1},
      {{.name = "region", .op = LabelOp::kIn, .values = {"eu", "zz"}}, 1, 1},
      {{.name = "region", .op = LabelOp::kRegex, .values = {"eu.*"}}, 1, 2},
      {{.name = "region", .op = LabelOp::kRegex, .values = {"west"}, .full_match = false}, 0, 1},
      // Rows without `region` would match, and summaries do not say whether there are any.
      {{.name = "region", .op = LabelOp::kNotEqual, .values = {"us"}}, 0, 2},
      {{.name = "region",
        .op = LabelOp::kNotEqual,
        .values = {"us"},
        .absent = AbsentLabel::kNoMatch},
       1,
       2},
      {{.name = "region", .op = LabelOp::kNotRegex, .values = {"eu.*"}}, 0, 1},
      {{.name = "zone", .values = {"a"}}, 2, 0},
      {{.name = "zone", .values = {""}}, 0, 3},  // PromQL: absent equals ""
      {{.name = "zone", .values = {""}, .absent = AbsentLabel::kNoMatch}, 2, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.predicate.name + " " + c.predicate.values[0]);
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result,
                            scanner->ScanAll({.tenant = "t", .labels = {c.predicate}}));
    EXPECT_EQ(result.stats.chunks_pruned_by_catalog, c.pruned);
    EXPECT_EQ(result.num_rows(), c.rows);
  }
}

TEST_F(ScannerTest, BloomFilterPrunesRowGroupsStatisticsCannot) {
  parquet::WriterOptions options = testing::ChunkOptions();
  options.bloom_filter_columns = {"instance"};
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "c",
                                    testing::MetricsRows({{"up", {{"instance", "a"}}, kBase, 1},
                                                          {"up", {{"instance", "c"}}, kBase, 2}}),
                                    options)
                   .status());
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(
      Scanner::Result result,
      scanner->ScanAll({.tenant = "t", .labels = {{.name = "instance", .values = {"b"}}}}));
  EXPECT_EQ(result.num_rows(), 0u);
  EXPECT_EQ(result.stats.chunks_pruned_by_catalog, 0);
  EXPECT_EQ(result.stats.row_groups_pruned_by_statistics, 0);
  EXPECT_EQ(result.stats.row_groups_pruned_by_bloom_filter, 1);
  EXPECT_EQ(result.stats.rows_read, 0);
}

TEST_F(ScannerTest, LabelColumnsAbsentFromSomeChunksAreNull) {
  CS_ASSERT_OK(testing::CommitChunk(
                   store_, *writer_, "a",
                   testing::MetricsRows({{"up", {{"job", "api"}}, kBase, 1}, {"up", {}, kBase, 2}}))
                   .status());
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "b",
                                    testing::MetricsRows({{"up", {{"zone", "z1"}}, kBase + 1, 3}}))
                   .status());
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result all, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(all.schema, model::MetricsSchema({"job", "zone"}));
  std::map<RowKey, double> by_job = Collect(all, "job");
  EXPECT_EQ(by_job.size(), 3u);
  EXPECT_EQ((by_job[{"up", "api", kBase}]), 1);
  EXPECT_EQ((by_job[{"up", "<none>", kBase}]), 2);
  EXPECT_EQ((by_job[{"up", "<none>", kBase + 1}]), 3);

  // A projected label that no chunk has: an all-null column of the right length.
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result nope,
                          scanner->ScanAll({.tenant = "t", .columns = {"value", "nope"}}));
  EXPECT_EQ(nope.schema, model::Schema({{"value", model::TypeId::kDouble, false},
                                        {"nope", model::TypeId::kString, true}}));
  size_t rows = 0;
  for (const model::RecordBatch& batch : nope.batches) {
    CS_EXPECT_OK(batch.Validate());
    EXPECT_EQ(batch.column(1).null_count(), batch.num_rows());
    rows += batch.num_rows();
  }
  EXPECT_EQ(rows, 3u);

  // SQL: job <> 'api' is not true for rows without job.
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result sql,
                          scanner->ScanAll({.tenant = "t",
                                            .labels = {{.name = "job",
                                                        .op = LabelOp::kNotEqual,
                                                        .values = {"api"},
                                                        .absent = AbsentLabel::kNoMatch}}}));
  EXPECT_EQ(sql.num_rows(), 0u);
  // PromQL: {job!="api"} matches series without job.
  CS_ASSERT_OK_AND_ASSIGN(
      Scanner::Result promql,
      scanner->ScanAll({.tenant = "t",
                        .labels = {{.name = "job", .op = LabelOp::kNotEqual, .values = {"api"}}}}));
  EXPECT_EQ(promql.num_rows(), 2u);
}

TEST_F(ScannerTest, NanInfAndStalenessMarkersAreBitExact) {
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  const std::vector<double> values = {std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      stale,
                                      -0.0,
                                      1.5};
  std::vector<TestRow> rows;
  for (size_t i = 0; i < values.size(); ++i) {
    rows.push_back({"m", {}, kBase + static_cast<int64_t>(i), values[i]});
  }
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "c", testing::MetricsRows(rows)).status());
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result,
                          scanner->ScanAll({.tenant = "t", .columns = {"timestamp", "value"}}));
  ASSERT_EQ(result.num_rows(), values.size());
  std::map<int64_t, uint64_t> bits;
  for (const model::RecordBatch& batch : result.batches) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      bits[batch.column(0).int64s()[r]] = std::bit_cast<uint64_t>(batch.column(1).doubles()[r]);
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(bits[kBase + static_cast<int64_t>(i)], std::bit_cast<uint64_t>(values[i])) << i;
  }
}

// Rows of one ingester answer, as the ingester's scan endpoint produces them.
UnflushedRows Unflushed(std::string ingester, uint64_t seq, std::vector<TestRow> rows) {
  return {std::move(ingester), seq, {testing::MetricsRows(std::move(rows))}};
}

TEST_F(ScannerTest, SamplesInAChunkAndStillBufferedAreReturnedOnce) {
  std::vector<TestRow> flushed, buffered;
  for (int t = 0; t < 10; ++t) flushed.push_back({"up", {{"job", "a"}}, kBase + t, 1.0 * t});
  // The buffer still holds 7..9 (committed, not yet dropped) and has 10..11 besides; its copy
  // of 7 carries a different value, so the test also sees which copy wins (the newest).
  for (int t = 7; t < 12; ++t) buffered.push_back({"up", {{"job", "a"}}, kBase + t, 100.0 + t});
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "c", testing::MetricsRows(flushed)).status());
  unflushed_.result.sources.push_back(Unflushed("ing-1", writer_->snapshot()->seq, buffered));
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll({.tenant = "t"}));
  std::map<RowKey, double> rows = Collect(result, "job");
  EXPECT_EQ(rows.size(), 12u);
  EXPECT_EQ(result.stats.rows_deduplicated, 3);
  EXPECT_EQ(result.stats.rows_unflushed, 5);
  EXPECT_EQ(result.stats.ingesters_asked, 1);
  EXPECT_EQ((rows[{"up", "a", kBase + 7}]), 107.0);
  EXPECT_EQ((rows[{"up", "a", kBase + 3}]), 3.0);
  EXPECT_EQ(unflushed_.last_query.tenant, "t");
  // Deduplication does not depend on series_id being projected.
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result values,
                          scanner->ScanAll({.tenant = "t", .columns = {"value"}}));
  EXPECT_EQ(values.num_rows(), 12u);
  EXPECT_EQ(values.stats.rows_deduplicated, 3);
}

TEST_F(ScannerTest, OverlappingChunksAreDeduplicatedNewestWins) {
  CS_ASSERT_OK(
      testing::CommitChunk(store_, *writer_, "old",
                           testing::MetricsRows({{"up", {}, kBase, 1}, {"up", {}, kBase + 1, 1}}),
                           testing::ChunkOptions(), /*created_at_ns=*/1)
          .status());
  CS_ASSERT_OK(testing::CommitChunk(
                   store_, *writer_, "new",
                   testing::MetricsRows({{"up", {}, kBase + 1, 2}, {"up", {}, kBase + 2, 2}}),
                   testing::ChunkOptions(), /*created_at_ns=*/2)
                   .status());
  // A third chunk far away in time overlaps nothing and is streamed without deduplication.
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "later",
                                    testing::MetricsRows({{"up", {}, kBase + kHour, 3}}))
                   .status());
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll({.tenant = "t"}));
  std::map<RowKey, double> rows = Collect(result, "job");
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ((rows[{"up", "<none>", kBase + 1}]), 2.0);
  EXPECT_EQ(result.stats.rows_deduplicated, 1);
}

TEST_F(ScannerTest, IngesterCommitBeforeAnswerIsSeenThroughTheCatalog) {
  auto scanner = MakeScanner();
  // Warm the scanner's catalog at seq 0.
  CS_ASSERT_OK(scanner->ScanAll({.tenant = "t"}).status());
  // The ingester flushes rows 0..4 and commits them, then answers with only rows 5..6 relative
  // to the new sequence: the scan must find 0..4 in the catalog.
  unflushed_.before_answer = [&] {
    std::vector<TestRow> rows;
    for (int t = 0; t < 5; ++t) rows.push_back({"up", {}, kBase + t, 1});
    ASSERT_TRUE(testing::CommitChunk(store_, *writer_, "flushed", testing::MetricsRows(rows)).ok());
    unflushed_.result.sources = {Unflushed("ing", writer_->snapshot()->seq,
                                           {{"up", {}, kBase + 5, 1}, {"up", {}, kBase + 6, 1}})};
  };
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(result.num_rows(), 7u);
  EXPECT_EQ(result.stats.catalog_seq, writer_->snapshot()->seq);
}

TEST_F(ScannerTest, CatalogBehindTheIngestersSequenceIsUnavailable) {
  unflushed_.result.sources = {Unflushed("ing", 99, {{"up", {}, kBase, 1}})};
  auto scanner = MakeScanner();
  EXPECT_THAT(scanner->Open({.tenant = "t"}).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("sequence 99")));
}

TEST_F(ScannerTest, IngesterFailuresAreWarningsOrErrors) {
  unflushed_.result.failures = {"ingester ing-2 (http://x): connection refused"};
  auto lenient = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, lenient->ScanAll({.tenant = "t"}));
  EXPECT_EQ(result.stats.ingesters_failed, 1);
  EXPECT_THAT(result.stats.warnings, ::testing::ElementsAre(HasSubstr("ing-2")));
  auto strict = MakeScanner({.require_unflushed = true});
  EXPECT_THAT(strict->Open({.tenant = "t"}).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("ing-2")));
  unflushed_.error = absl::UnavailableError("registry down");
  EXPECT_THAT(strict->Open({.tenant = "t"}).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("registry down")));
  CS_ASSERT_OK_AND_ASSIGN(result, lenient->ScanAll({.tenant = "t"}));
  EXPECT_THAT(result.stats.warnings, ::testing::ElementsAre(HasSubstr("registry down")));
}

TEST_F(ScannerTest, UnflushedRowsAreFilteredLikeChunks) {
  unflushed_.result.sources = {Unflushed("ing", 0,
                                         {{"up", {{"job", "a"}}, kBase, 1},
                                          {"up", {{"job", "b"}}, kBase, 2},
                                          {"down", {{"job", "a"}}, kBase, 3},
                                          {"up", {{"job", "a"}}, kBase + kHour, 4}})};
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result,
                          scanner->ScanAll({.tenant = "t",
                                            .min_time_ns = kBase,
                                            .max_time_ns = kBase + 1,
                                            .metric = MetricCondition::Exact({"up"}),
                                            .labels = {{.name = "job", .values = {"a"}}},
                                            .columns = {"value"},
                                            .include_series_id = true}));
  ASSERT_EQ(result.num_rows(), 1u);
  EXPECT_EQ(result.schema, model::Schema({{"value", model::TypeId::kDouble, false},
                                          {"series_id", model::TypeId::kUInt64, false}}));
  EXPECT_EQ(result.batches[0].column(0).doubles()[0], 1.0);
  EXPECT_EQ(result.batches[0].column(1).uint64s()[0], testing::SeriesIdOf("up", {{"job", "a"}}));
  EXPECT_EQ(unflushed_.last_query.metric, "up");
  EXPECT_EQ(unflushed_.last_query.min_time_ns, kBase);
}

TEST_F(ScannerTest, MetricRegexAndPrefix) {
  WriteDay();
  auto scanner = MakeScanner();
  for (const MetricCondition& condition :
       {MetricCondition::Regex("c.u"), MetricCondition::Prefix("cp")}) {
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result,
                            scanner->ScanAll({.tenant = "t",
                                              .min_time_ns = kBase,
                                              .max_time_ns = kBase + kHour - 1,
                                              .metric = condition,
                                              .columns = {"metric_name"}}));
    EXPECT_EQ(result.num_rows(), 20u * 60);
    for (const model::RecordBatch& batch : result.batches) {
      for (size_t r = 0; r < batch.num_rows(); ++r) EXPECT_EQ(batch.column(0).StringAt(r), "cpu");
    }
    // The mem row groups are skipped on their metric_name statistics.
    EXPECT_EQ(result.stats.row_groups_read, 2);
  }
}

TEST_F(ScannerTest, UnboundedRegexDecidesSingleValueRowGroupsAndPagesByItself) {
  // `.*p.*` has no byte-order bounds, so min/max statistics alone prune nothing; row groups and
  // pages holding one metric (all of them here) are decided by the regex on that value.
  WriteDay();
  auto scanner = MakeRowScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result,
                          scanner->ScanAll({.tenant = "t",
                                            .min_time_ns = kBase,
                                            .max_time_ns = kBase + kHour - 1,
                                            .metric = MetricCondition::Regex(".*p.*"),
                                            .columns = {"metric_name", "value"}}));
  EXPECT_EQ(result.num_rows(), 20u * 60);
  for (const model::RecordBatch& batch : result.batches) {
    for (size_t r = 0; r < batch.num_rows(); ++r) EXPECT_EQ(batch.column(0).StringAt(r), "cpu");
  }
  EXPECT_EQ(result.stats.row_groups_pruned_by_statistics, 2);  // the mem groups
  EXPECT_EQ(result.stats.row_groups_read, 2);
  EXPECT_EQ(result.stats.rows_read, 20 * 60);
}

TEST_F(ScannerTest, CatalogRefreshShowsNewCommits) {
  CS_ASSERT_OK(
      testing::CommitChunk(store_, *writer_, "a", testing::MetricsRows({{"up", {}, kBase, 1}}))
          .status());
  auto scanner = MakeScanner();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result first, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(first.num_rows(), 1u);
  CS_ASSERT_OK(
      testing::CommitChunk(store_, *writer_, "b", testing::MetricsRows({{"up", {}, kBase + 1, 2}}))
          .status());
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result second, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(second.num_rows(), 2u);
  EXPECT_EQ(second.stats.catalog_seq, first.stats.catalog_seq + 1);
}

TEST_F(ScannerTest, SecondScanIsServedFromTheRamCache) {
  WriteDay();
  // The byte-range cache alone: no decoded pages or offset indexes kept besides.
  ScannerOptions options;
  options.series_directory_bytes = 0;
  options.page_cache_bytes = 0;
  auto scanner = MakeScanner(options);
  ScanRequest request{.tenant = "t",
                      .min_time_ns = kBase,
                      .max_time_ns = kBase + 2 * kHour - 1,
                      .metric = MetricCondition::Exact({"mem"})};
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result cold, scanner->ScanAll(request));
  EXPECT_EQ(cold.stats.cache_hits, 0);
  EXPECT_GT(cold.stats.cache_misses, 0);
  EXPECT_GT(cold.stats.bytes_fetched, 0);
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result warm, scanner->ScanAll(request));
  EXPECT_EQ(warm.stats.cache_misses, 0);
  // The footers (one probe read per chunk this small) come parsed from the footer cache.
  EXPECT_EQ(warm.stats.chunks_read, cold.stats.chunks_read);
  EXPECT_EQ(warm.stats.cache_hits, cold.stats.cache_misses - cold.stats.chunks_read);
  EXPECT_EQ(warm.stats.bytes_fetched, 0);
  EXPECT_EQ(warm.stats.requests, 0);
  EXPECT_LT(warm.stats.bytes_read, cold.stats.bytes_read);
  EXPECT_EQ(warm.num_rows(), cold.num_rows());
  CacheStats ram = scanner->ram_cache_stats();
  EXPECT_EQ(ram.hits, static_cast<uint64_t>(warm.stats.cache_hits));
  EXPECT_EQ(ram.misses, static_cast<uint64_t>(cold.stats.cache_misses));
  EXPECT_EQ(ram.evictions, 0u);
}

TEST_F(ScannerTest, DiskCacheServesAFreshScanner) {
  WriteDay();
  std::string dir = ::testing::TempDir() + "/scan_disk_cache_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::remove_all(dir);
  ScanRequest request{.tenant = "t",
                      .min_time_ns = kBase,
                      .max_time_ns = kBase + kHour - 1,
                      .labels = {{.name = "instance", .values = {"i3"}}}};
  int64_t misses;
  {
    auto scanner = MakeScanner({.ram_cache_bytes = 0, .cache_dir = dir});
    CS_ASSERT_OK_AND_ASSIGN(Scanner::Result cold, scanner->ScanAll(request));
    misses = cold.stats.cache_misses;
    EXPECT_GT(misses, 0);
    EXPECT_EQ(scanner->disk_cache_stats()->inserts, static_cast<uint64_t>(misses));
  }
  auto restarted = MakeScanner({.ram_cache_bytes = 0, .cache_dir = dir});
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result warm, restarted->ScanAll(request));
  EXPECT_EQ(warm.stats.disk_cache_hits, misses);
  EXPECT_EQ(warm.stats.cache_misses, 0);
  EXPECT_EQ(warm.stats.bytes_fetched, 0);
  EXPECT_EQ(warm.num_rows(), 2u * 60);
  std::filesystem::remove_all(dir);
}

TEST_F(ScannerTest, CorruptChunkIsDataLossNamingTheObject) {
  CS_ASSERT_OK_AND_ASSIGN(
      catalog::ChunkSummary chunk,
      testing::CommitChunk(store_, *writer_, "bad", testing::MetricsRows({{"up", {}, kBase, 1}})));
  std::string garbage(chunk.size_bytes, 'x');
  CS_ASSERT_OK(store_.Put(chunk.path, garbage).status());
  auto scanner = MakeScanner();
  EXPECT_THAT(scanner->ScanAll({.tenant = "t"}).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(chunk.path)));

  // A valid Parquet file that is not a metrics chunk.
  model::RecordBatch other(model::Schema({{"x", model::TypeId::kInt64, false}}),
                           {model::Column::FromInt64(model::TypeId::kInt64, {1})});
  CS_ASSERT_OK_AND_ASSIGN(std::string bytes, parquet::WriteParquet(other));
  CS_ASSERT_OK(store_.Put(chunk.path, bytes).status());
  // The catalog size no longer matches either: a short object.
  auto fresh = MakeScanner();
  EXPECT_THAT(fresh->ScanAll({.tenant = "t"}).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(chunk.path)));
}

TEST_F(ScannerTest, NonMetricsParquetIsDataLoss) {
  model::RecordBatch other(model::Schema({{"x", model::TypeId::kInt64, false}}),
                           {model::Column::FromInt64(model::TypeId::kInt64, {1})});
  CS_ASSERT_OK_AND_ASSIGN(std::string bytes, parquet::WriteParquet(other));
  catalog::ChunkSummary summary{.path = "t/data/x.parquet",
                                .min_time_ns = kBase,
                                .max_time_ns = kBase,
                                .row_count = 1,
                                .series_count = 1,
                                .size_bytes = bytes.size(),
                                .min_metric = "up",
                                .max_metric = "up"};
  CS_ASSERT_OK(store_.Put(summary.path, bytes).status());
  CS_ASSERT_OK(writer_->Commit({.add = {summary}}).status());
  auto scanner = MakeScanner();
  EXPECT_THAT(scanner->ScanAll({.tenant = "t"}).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::AllOf(HasSubstr("t/data/x.parquet"), HasSubstr("timestamp"))));
}

TEST_F(ScannerTest, StoreFaultsSurfaceAsStatuses) {
  WriteDay();
  base::FakeClock clock;
  base::SeededRandom random(7);
  io::FaultInjectingObjectStore faulty(store_, clock, random);
  auto scanner_or = Scanner::Create(&faulty, {.unflushed = &unflushed_});
  CS_ASSERT_OK(scanner_or.status());
  auto& scanner = *scanner_or;
  struct Case {
    io::FaultRule rule;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {{.ops = io::kOpGet,
        .key_prefix = "t/data/",
        .error = absl::UnavailableError("503 SlowDown")},
       absl::StatusCode::kUnavailable},
      {{.ops = io::kOpGet, .key_prefix = "t/data/", .error = absl::NotFoundError("gone")},
       absl::StatusCode::kNotFound},
      {{.ops = io::kOpGet, .key_prefix = "t/data/", .truncate_read = true},
       absl::StatusCode::kDataLoss},
      {{.ops = io::kOpGet,
        .key_prefix = "t/_catalog/",
        .error = absl::DeadlineExceededError("slow")},
       absl::StatusCode::kDeadlineExceeded},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule.error.ToString());
    faulty.ClearRules();
    faulty.AddRule(c.rule);
    absl::Status status = scanner->ScanAll({.tenant = "t"}).status();
    EXPECT_EQ(status.code(), c.code) << status;
    if (c.rule.key_prefix == "t/data/") {
      EXPECT_THAT(std::string(status.message()), HasSubstr("t/data/test/h"));
    }
  }
  faulty.ClearRules();
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(result.num_rows(), 24u * 2 * 20 * 60);
}

TEST_F(ScannerTest, ConcurrentScansShareOneScanner) {
  WriteDay();
  auto scanner = MakeScanner({.ram_cache_bytes = 1 << 20});  // small: evictions while scanning
  std::vector<std::thread> threads;
  std::vector<size_t> rows(4);
  for (size_t i = 0; i < rows.size(); ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Scanner::Result> result = scanner->ScanAll(
          {.tenant = "t", .labels = {{.name = "instance", .values = {"i" + std::to_string(i)}}}});
      rows[i] = result.ok() ? result->num_rows() : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t n : rows) EXPECT_EQ(n, 24u * 2 * 60);
}

TEST_F(ScannerTest, SchemaIsKnownBeforeAnyChunkIsRead) {
  CS_ASSERT_OK(testing::CommitChunk(store_, *writer_, "a",
                                    testing::MetricsRows({{"up", {{"job", "api"}}, kBase, 1}}))
                   .status());
  unflushed_.result.sources = {Unflushed("ing", 0, {{"up", {{"pod", "p1"}}, kBase + 5, 1}})};
  base::FakeClock clock;
  base::SeededRandom random(1);
  io::FaultInjectingObjectStore faulty(store_, clock, random);
  faulty.AddRule({.ops = io::kOpGet, .key_prefix = "t/data/", .error = absl::InternalError("no")});
  CS_ASSERT_OK_AND_ASSIGN(auto scanner, Scanner::Create(&faulty, {.unflushed = &unflushed_}));
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ScanStream> stream, scanner->Open({.tenant = "t"}));
  EXPECT_EQ(stream->schema(), model::MetricsSchema({"job", "pod"}));
  EXPECT_EQ(stream->stats().chunks_read, 0);
  EXPECT_EQ(faulty.injected_count(), 0);
  EXPECT_THAT(stream->Next().status(), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(ScannerTest, AbandonedStreamIsSafe) {
  WriteDay();
  auto scanner = MakeScanner({.decode_threads = 2, .max_inflight_chunks = 8});
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ScanStream> stream, scanner->Open({.tenant = "t"}));
  CS_ASSERT_OK_AND_ASSIGN(std::optional<model::RecordBatch> batch, stream->Next());
  ASSERT_TRUE(batch.has_value());
  stream.reset();  // decodes still queued are cancelled
  CS_ASSERT_OK_AND_ASSIGN(Scanner::Result result, scanner->ScanAll({.tenant = "t"}));
  EXPECT_EQ(result.num_rows(), 24u * 2 * 20 * 60);
}

TEST_F(ScannerTest, LocalObjectStoreAndCallbackApi) {
  std::string root = ::testing::TempDir() + "/scan_local_store";
  std::filesystem::remove_all(root);
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<io::LocalObjectStore> local,
                          io::LocalObjectStore::Open(root));
  CS_ASSERT_OK_AND_ASSIGN(auto catalog,
                          catalog::Catalog::Open(local.get(), "t", {.writer_id = "w"}));
  CS_ASSERT_OK(
      testing::CommitChunk(*local, *catalog, "c",
                           testing::MetricsRows({{"up", {}, kBase, 1}, {"up", {}, kBase + 1, 2}}))
          .status());
  CS_ASSERT_OK_AND_ASSIGN(auto scanner, Scanner::Create(local.get(), {}));
  ScanStats stats;
  size_t rows = 0;
  CS_ASSERT_OK(scanner->Scan(
      {.tenant = "t", .columns = {"value"}},
      [&](model::RecordBatch batch) {
        rows += batch.num_rows();
        return absl::OkStatus();
      },
      &stats));
  EXPECT_EQ(rows, 2u);
  EXPECT_EQ(stats.rows_output, 2);
  EXPECT_THAT(scanner->Scan({.tenant = "t"},
                            [](model::RecordBatch) { return absl::CancelledError("enough"); }),
              StatusIs(absl::StatusCode::kCancelled));
  std::filesystem::remove_all(root);
}

TEST(ScanRequestTest, InvalidRequestsAreRejected) {
  const std::vector<std::pair<ScanRequest, std::string>> cases = {
      {{}, "no tenant"},
      {{.tenant = "t", .min_time_ns = 2, .max_time_ns = 1}, "empty"},
      {{.tenant = "t", .metric = MetricCondition::Regex("(")}, "invalid regular expression"},
      {{.tenant = "t", .labels = {{.name = "value", .values = {"1"}}}}, "not a label"},
      {{.tenant = "t", .labels = {{.name = "job", .values = {"a", "b"}}}}, "exactly one value"},
      {{.tenant = "t", .columns = {"value", "value"}}, "twice"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ValidateScanRequest(c.first),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.second)));
  }
  CS_EXPECT_OK(ValidateScanRequest({.tenant = "t"}));
}

}  // namespace
}  // namespace cardinalsin::scan
