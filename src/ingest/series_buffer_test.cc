#include "ingest/series_buffer.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <tuple>

#include "model/labels.h"

namespace cardinalsin::ingest {
namespace {

ValidatedSeries Series(std::vector<model::Label> labels, std::vector<int64_t> ts,
                       std::vector<double> values) {
  ValidatedSeries s;
  model::SortLabels(labels);
  s.labels = std::move(labels);
  s.id = model::ComputeSeriesId(s.labels);
  s.timestamps_ns = std::move(ts);
  s.values = std::move(values);
  return s;
}

std::vector<std::string> Strings(const model::Column& column) {
  std::vector<std::string> out;
  for (size_t i = 0; i < column.size(); ++i)
    out.push_back(column.IsValid(i) ? std::string(column.StringAt(i)) : "<null>");
  return out;
}

TEST(SeriesBufferTest, SortsDeduplicatesAndUnionsLabels) {
  SeriesBuffer buffer;
  absl::Time now = absl::FromUnixSeconds(100);
  ValidatedSeries b = Series({{"__name__", "b"}, {"job", "x"}}, {30, 10}, {3, 1});
  ValidatedSeries a = Series({{"__name__", "a"}, {"pod", "p1"}}, {5}, {9});
  buffer.Append(b, 7, now);
  buffer.Append(a, 8, now);
  buffer.Append(Series({{"__name__", "b"}, {"job", "x"}}, {10, 20}, {1.5, 2}), 9,
                now);  // 10 again: last wins
  EXPECT_EQ(buffer.rows(), 5u);
  EXPECT_EQ(buffer.num_series(), 2u);
  EXPECT_EQ(buffer.min_seq(), 7u);
  EXPECT_EQ(buffer.max_seq(), 9u);
  EXPECT_EQ(buffer.min_time_ns(), 5);
  EXPECT_EQ(buffer.max_time_ns(), 30);

  model::RecordBatch rows = buffer.ToRecordBatch();
  ASSERT_TRUE(rows.Validate().ok()) << rows.Validate();
  EXPECT_EQ(rows.schema(), model::MetricsSchema({"job", "pod"}));
  ASSERT_EQ(rows.num_rows(), 4u);
  EXPECT_EQ(rows.column(0).int64s(), (std::vector<int64_t>{5, 10, 20, 30}));
  EXPECT_EQ(Strings(rows.column(1)), (std::vector<std::string>{"a", "b", "b", "b"}));
  EXPECT_EQ(rows.column(2).doubles(), (std::vector<double>{9, 1.5, 2, 3}));
  EXPECT_EQ(rows.column(3).uint64s(), (std::vector<uint64_t>{a.id, b.id, b.id, b.id}));
  EXPECT_EQ(Strings(rows.column(4)), (std::vector<std::string>{"<null>", "x", "x", "x"}));
  EXPECT_EQ(Strings(rows.column(5)),
            (std::vector<std::string>{"p1", "<null>", "<null>", "<null>"}));

  RowFilter filter;
  filter.metric_name = "b";
  filter.min_time_ns = 11;
  model::RecordBatch some = buffer.ToRecordBatch(filter);
  EXPECT_EQ(some.schema(), model::MetricsSchema({"job"}));
  EXPECT_EQ(some.column(0).int64s(), (std::vector<int64_t>{20, 30}));
  filter.metric_name = "nope";
  EXPECT_EQ(buffer.ToRecordBatch(filter).num_rows(), 0u);
}

// Random appends (out-of-order and repeated timestamps, series lacking some labels, several
// metrics) against a reference model: a map from (metric, series id, timestamp) to the value
// appended last. Odd rounds append in batches of up to 40 series through AppendAll (its
// prefetching looks ahead 8 and 16 series, and a batch may hold a series twice).
TEST(SeriesBufferTest, MatchesReferenceModelOnRandomAppends) {
  std::mt19937_64 random(42);
  for (int round = 0; round < 20; ++round) {
    SeriesBuffer buffer;
    // (metric, series id, timestamp) -> (value, labels other than __name__)
    std::map<std::tuple<std::string, uint64_t, int64_t>,
             std::pair<double, std::map<std::string, std::string>>>
        expected;
    const int num_series = 1 + static_cast<int>(random() % 60);
    std::deque<std::string> storage;  // model::Label holds views
    auto keep = [&storage](std::string s) -> std::string_view { return storage.emplace_back(s); };
    std::vector<std::vector<model::Label>> label_sets;
    for (int i = 0; i < num_series; ++i) {
      std::vector<model::Label> labels = {{"__name__", keep("m" + std::to_string(random() % 4))}};
      if (random() % 2) labels.push_back({"job", keep("j" + std::to_string(random() % 3))});
      if (random() % 3) labels.push_back({"pod", keep("p" + std::to_string(i))});
      // Values shared with other columns and with metric names.
      if (random() % 2) {
        labels.push_back(
            {"alias", keep((random() % 2 ? "m" : "j") + std::to_string(random() % 4))});
      }
      label_sets.push_back(std::move(labels));
    }
    RowFilter filter;
    if (round % 3 == 1) filter.metric_name = "m1";
    if (round % 4 == 2) filter.min_time_ns = 20, filter.max_time_ns = 60;
    std::vector<ValidatedSeries> batch;
    const size_t batch_size = round % 2 ? 1 + random() % 40 : 1;
    for (int append = 0; append < 200; ++append) {
      std::vector<int64_t> ts;
      std::vector<double> values;
      for (int k = 0, n = 1 + static_cast<int>(random() % 3); k < n; ++k) {
        ts.push_back(static_cast<int64_t>(random() % 80));
        values.push_back(static_cast<double>(random() % 1000));
      }
      ValidatedSeries s = Series(label_sets[random() % num_series], ts, values);
      std::map<std::string, std::string> labels;
      for (const model::Label& label : s.labels)
        if (label.name != "__name__") labels[std::string(label.name)] = std::string(label.value);
      for (size_t k = 0; k < ts.size(); ++k) {
        if (ts[k] < filter.min_time_ns || ts[k] > filter.max_time_ns) continue;
        if (filter.metric_name && s.labels[0].value != *filter.metric_name) continue;
        expected[{std::string(s.labels[0].value), s.id, ts[k]}] = {values[k], labels};
      }
      batch.push_back(std::move(s));
      if (batch.size() == batch_size || append == 199) {
        if (batch_size == 1) {
          buffer.Append(batch[0], append + 1, absl::FromUnixSeconds(1));
        } else {
          buffer.AppendAll(batch, append + 1, absl::FromUnixSeconds(1));
        }
        batch.clear();
      }
    }
    model::RecordBatch rows = buffer.ToRecordBatch(filter);
    ASSERT_TRUE(rows.Validate().ok()) << rows.Validate();
    ASSERT_EQ(rows.num_rows(), expected.size()) << "round " << round;
    size_t r = 0;
    for (const auto& [key, value] : expected) {
      EXPECT_EQ(rows.column(1).StringAt(r), std::get<0>(key)) << "round " << round << " row " << r;
      EXPECT_EQ(rows.column(3).uint64s()[r], std::get<1>(key));
      EXPECT_EQ(rows.column(0).int64s()[r], std::get<2>(key));
      EXPECT_EQ(rows.column(2).doubles()[r], value.first);
      std::map<std::string, std::string> labels;
      for (size_t c = 4; c < rows.num_columns(); ++c) {
        if (rows.column(c).IsValid(r))
          labels[rows.schema().field(c).name] = std::string(rows.column(c).StringAt(r));
      }
      EXPECT_EQ(labels, value.second) << "round " << round << " row " << r;
      ++r;
    }
  }
}

// Enough series for the bucketed series sort, with series lacking labels: every row comes out
// once, sorted by (metric, series id), with its own labels.
TEST(SeriesBufferTest, ManySeriesSortAndKeepTheirLabels) {
  SeriesBuffer buffer;
  std::deque<std::string> storage;
  auto keep = [&storage](std::string s) -> std::string_view { return storage.emplace_back(s); };
  std::map<uint64_t, std::pair<std::string, std::string>> expected;  // id -> (metric, pod)
  for (int i = 0; i < 20'000; ++i) {
    const std::string metric = "m" + std::to_string(i % 3);
    std::vector<model::Label> labels = {{"__name__", keep(metric)}};
    const std::string pod = i % 7 == 0 ? "" : "pod-" + std::to_string(i / 2);
    if (!pod.empty()) labels.push_back({"pod", keep(pod)});
    labels.push_back({"request_id", keep("r" + std::to_string(i))});
    ValidatedSeries s = Series(labels, {i}, {static_cast<double>(i)});
    expected[s.id] = {metric, pod};
    buffer.Append(s, 1, absl::FromUnixSeconds(1));
  }
  model::RecordBatch rows = buffer.ToRecordBatch();
  ASSERT_TRUE(rows.Validate().ok()) << rows.Validate();
  ASSERT_EQ(rows.schema(), model::MetricsSchema({"pod", "request_id"}));
  ASSERT_EQ(rows.num_rows(), expected.size());
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    const uint64_t id = rows.column(3).uint64s()[r];
    const auto it = expected.find(id);
    ASSERT_NE(it, expected.end()) << r;
    EXPECT_EQ(rows.column(1).StringAt(r), it->second.first) << r;
    EXPECT_EQ(rows.column(4).IsValid(r) ? std::string(rows.column(4).StringAt(r)) : "",
              it->second.second)
        << r;
    EXPECT_EQ("r" + std::to_string(rows.column(0).int64s()[r]), rows.column(5).StringAt(r));
    if (r > 0) {
      const auto previous =
          std::make_pair(rows.column(1).StringAt(r - 1), rows.column(3).uint64s()[r - 1]);
      ASSERT_LT(previous, std::make_pair(rows.column(1).StringAt(r), id)) << r;
    }
  }
}

TEST(SeriesBufferTest, ConcatUnionsSchemas) {
  SeriesBuffer one, two;
  one.Append(Series({{"__name__", "a"}, {"x", "1"}}, {1}, {1}), 1, absl::Now());
  two.Append(Series({{"__name__", "a"}, {"y", "2"}}, {2}, {2}), 2, absl::Now());
  std::vector<model::RecordBatch> pieces = {one.ToRecordBatch(), two.ToRecordBatch()};
  model::RecordBatch all = ConcatMetricsBatches(pieces);
  ASSERT_TRUE(all.Validate().ok()) << all.Validate();
  EXPECT_EQ(all.schema(), model::MetricsSchema({"x", "y"}));
  EXPECT_EQ(Strings(all.column(4)), (std::vector<std::string>{"1", "<null>"}));
  EXPECT_EQ(Strings(all.column(5)), (std::vector<std::string>{"<null>", "2"}));
}

}  // namespace
}  // namespace cardinalsin::ingest
