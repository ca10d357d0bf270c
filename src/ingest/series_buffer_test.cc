#include "ingest/series_buffer.h"

#include <gtest/gtest.h>

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
