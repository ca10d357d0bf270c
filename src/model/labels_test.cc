#include "model/labels.h"

#include <gtest/gtest.h>

#include <string>

namespace cardinalsin::model {
namespace {

TEST(Utf8Test, AcceptsValidAndRejectsMalformed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("héllo wörld ✓ 𝄞"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(NamesTest, LegacyNames) {
  EXPECT_TRUE(IsLegacyMetricName("node_cpu_seconds_total"));
  EXPECT_TRUE(IsLegacyMetricName("job:rate5m"));
  EXPECT_FALSE(IsLegacyMetricName("1abc"));
  EXPECT_FALSE(IsLegacyMetricName("a.b"));
  EXPECT_TRUE(IsLegacyLabelName("__name__"));
  EXPECT_FALSE(IsLegacyLabelName("a:b"));
  EXPECT_FALSE(IsLegacyLabelName(""));
}

TEST(SeriesIdTest, DependsOnEveryLabelAndItsBoundaries) {
  std::vector<Label> a = {{"job", "api"}, {"__name__", "up"}};
  SortLabels(a);
  EXPECT_EQ(a[0].name, "__name__");
  SeriesId id = ComputeSeriesId(a);
  EXPECT_EQ(id, ComputeSeriesId(a));
  std::vector<Label> b = {{"__name__", "up"}, {"job", "apj"}};
  EXPECT_NE(id, ComputeSeriesId(b));
  // Moving a byte between name and value changes the id (separators are hashed).
  std::vector<Label> c = {{"__name__", "up"}, {"jo", "bapi"}};
  EXPECT_NE(id, ComputeSeriesId(c));
  // Fixed value: the id is part of the chunk format (docs/format/series-id.md).
  EXPECT_EQ(ComputeSeriesId(std::vector<Label>{{"__name__", "up"}}), 0x23d4c2cb13387598ull)
      << std::hex << ComputeSeriesId(std::vector<Label>{{"__name__", "up"}});
}

TEST(SampleBatchTest, GroupsSamplesBySeries) {
  SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "a");
  batch.AddSample(1, 1.0);
  batch.AddSample(2, 2.0);
  batch.StartSeries();
  batch.AddLabel("__name__", batch.Own(std::string("b")));
  batch.AddLabel("x", "y");
  batch.StartSeries();  // a series without samples is representable; the ingester skips it
  ASSERT_EQ(batch.num_series(), 3u);
  EXPECT_EQ(batch.num_samples(), 2u);
  EXPECT_EQ(batch.labels(0).size(), 1u);
  EXPECT_EQ(batch.timestamps_ns(0).size(), 2u);
  EXPECT_EQ(batch.labels(1)[0].value, "b");
  EXPECT_EQ(batch.labels(1).size(), 2u);
  EXPECT_EQ(batch.values(1).size(), 0u);
  EXPECT_EQ(batch.labels(2).size(), 0u);
  batch.Reject(3, "delta temporality");
  EXPECT_EQ(batch.rejected_samples(), 3u);
  batch.Clear();
  EXPECT_EQ(batch.num_series(), 0u);
}

}  // namespace
}  // namespace cardinalsin::model
