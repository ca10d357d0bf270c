#include "loadgen/workload.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::loadgen {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kNow = 1'700'000'000'000'000'000;
constexpr int64_t kMs = 1'000'000;

std::string Key(const model::SampleBatch& batch, size_t series) {
  std::string key;
  for (const model::Label& l : batch.labels(series)) {
    key += std::string(l.name) + "=" + std::string(l.value) + ",";
  }
  return key;
}

std::vector<std::string> Keys(const model::SampleBatch& batch) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < batch.num_series(); ++i) keys.push_back(Key(batch, i));
  return keys;
}

TEST(HostNameTest, ThreeDigitsFromOne) {
  EXPECT_EQ(HostName(0), "host-001");
  EXPECT_EQ(HostName(23), "host-024");
  EXPECT_EQ(HostName(999), "host-1000");
}

TEST(RegionsTest, ContractOrder) {
  EXPECT_THAT(kRegions, ElementsAre("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1",
                                    "ap-southeast-1"));
}

TEST(ContractWorkloadTest, WalksMetricHostRegionEnvFromTheStart) {
  ContractWorkload workload({.metrics = 2, .hosts = 2, .regions = 2}, 100, 1);
  EXPECT_EQ(workload.total_series(), 16u);
  model::SampleBatch batch;
  workload.Fill(5, kNow, 0, &batch);
  EXPECT_THAT(Keys(batch),
              ElementsAre("__name__=cpu_usage,env=prod,host=host-001,region=us-east-1,",
                          "__name__=cpu_usage,env=staging,host=host-001,region=us-east-1,",
                          "__name__=cpu_usage,env=prod,host=host-001,region=us-west-2,",
                          "__name__=cpu_usage,env=staging,host=host-001,region=us-west-2,",
                          "__name__=cpu_usage,env=prod,host=host-002,region=us-east-1,"));
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_THAT(batch.timestamps_ns(i), ElementsAre(kNow + static_cast<int64_t>(i) * kMs));
  }
  workload.Fill(16, kNow, 0, &batch);
  EXPECT_EQ(Key(batch, 8), "__name__=memory_used_bytes,env=prod,host=host-001,region=us-east-1,");
  EXPECT_EQ(Key(batch, 15),
            "__name__=memory_used_bytes,env=staging,host=host-002,region=us-west-2,");
}

TEST(ContractWorkloadTest, SmallBatchesRepeatTheFirstSeriesWithIncreasingTimestamps) {
  ContractWorkload workload({.metrics = 24, .hosts = 24, .regions = 3}, 400, 1);
  model::SampleBatch first, second;
  workload.Fill(400, kNow, 0, &first);
  // Same wall clock again (two batches in one millisecond): the base moves 1 ms on.
  workload.Fill(400, kNow, 0, &second);
  ASSERT_EQ(first.num_series(), 400u);
  EXPECT_EQ(Keys(first), Keys(second));
  EXPECT_EQ(second.timestamps_ns(0)[0], kNow + kMs);
  EXPECT_EQ(second.timestamps_ns(399)[0], kNow + 400 * kMs);
  // A later clock wins over the +1 ms rule.
  workload.Fill(1, kNow + 5000 * kMs, 0, &second);
  EXPECT_EQ(second.timestamps_ns(0)[0], kNow + 5000 * kMs);
}

TEST(ContractWorkloadTest, BatchLargerThanSeriesWrapsAndGroupsBySeries) {
  // 1 metric x 1 host x 2 regions x 2 envs = 4 series; 10 samples.
  ContractWorkload workload({.metrics = 1, .hosts = 1, .regions = 2}, 10, 1);
  model::SampleBatch batch;
  workload.Fill(10, kNow, 0, &batch);
  ASSERT_EQ(batch.num_series(), 4u);
  EXPECT_EQ(batch.num_samples(), 10u);
  EXPECT_THAT(batch.timestamps_ns(0), ElementsAre(kNow, kNow + 4 * kMs, kNow + 8 * kMs));
  EXPECT_THAT(batch.timestamps_ns(3), ElementsAre(kNow + 3 * kMs, kNow + 7 * kMs));
}

TEST(ContractWorkloadTest, CountersKeepGrowingAcrossBatches) {
  // Metric 2 is disk_read_bytes_total (rate 1e6): series 0 of metric 2 is the walk's index 2*4.
  ContractWorkload workload({.metrics = 3, .hosts = 1, .regions = 2}, 12, 1);
  model::SampleBatch batch;
  double previous = 0;
  for (int i = 0; i < 50; ++i) {
    workload.Fill(12, kNow + i * 1000 * kMs, i, &batch);
    ASSERT_EQ(Key(batch, 8),
              "__name__=disk_read_bytes_total,env=prod,host=host-001,region=us-east-1,");
    const double value = batch.values(8)[0];
    EXPECT_GE(value - previous, 1e5);
    EXPECT_LT(value - previous, 1.5e5);
    previous = value;
  }
}

ChurnOptions Churn(uint64_t series, double churn) {
  return {.shape = {.metrics = 10, .hosts = 5, .regions = 3}, .series = series, .churn = churn};
}

TEST(ChurnWorkloadTest, ReplacedCountsWholeSeconds) {
  EXPECT_EQ(ChurnWorkload::Replaced(Churn(1000, 0.05), 0), 0u);
  EXPECT_EQ(ChurnWorkload::Replaced(Churn(1000, 0.05), 0.99), 0u);
  EXPECT_EQ(ChurnWorkload::Replaced(Churn(1000, 0.05), 3.7), 150u);
  EXPECT_EQ(ChurnWorkload::Replaced(Churn(1000, 0), 3600), 0u);
  EXPECT_EQ(ChurnWorkload::Replaced(Churn(10'000'000, 0.1), 9), 9'000'000u);
}

TEST(ChurnWorkloadTest, LabelsSortedAfterName) {
  ChurnWorkload workload(Churn(20, 0), 0, 20, 1);
  model::SampleBatch batch;
  workload.Fill(20, kNow, 0, &batch);
  std::vector<std::string> names;
  for (const model::Label& l : batch.labels(13)) names.emplace_back(l.name);
  EXPECT_THAT(names, ElementsAre("__name__", "env", "host", "pod", "region", "request_id"));
  // Slot 13: metric 3, group 1.
  EXPECT_EQ(batch.labels(13)[0].value, "disk_write_bytes_total");
  EXPECT_EQ(batch.labels(13)[1].value, "staging");
  EXPECT_EQ(batch.labels(13)[2].value, "host-002");
  EXPECT_EQ(batch.labels(13)[3].value, "pod-1");
  EXPECT_EQ(batch.labels(13)[4].value, "us-west-2");
  EXPECT_EQ(batch.labels(13)[5].value.size(), 16u);
}

// Visits every slot once per simulated second for `seconds` seconds and counts the distinct
// label sets seen.
size_t DistinctSeries(const ChurnOptions& options, int seconds, uint64_t threads) {
  std::vector<ChurnWorkload> workloads;
  for (uint64_t t = 0; t < threads; ++t) {
    workloads.emplace_back(options, options.series * t / threads,
                           options.series * (t + 1) / threads, t);
  }
  std::set<std::string> seen;
  model::SampleBatch batch;
  for (int s = 0; s < seconds; ++s) {
    for (uint64_t t = 0; t < threads; ++t) {
      const size_t range = options.series * (t + 1) / threads - options.series * t / threads;
      workloads[t].Fill(range, kNow + s * 1000 * kMs, s, &batch);
      for (size_t i = 0; i < batch.num_series(); ++i) seen.insert(Key(batch, i));
    }
  }
  return seen.size();
}

TEST(ChurnWorkloadTest, ChurnAddsNeverSeenSeriesEachSecond) {
  EXPECT_EQ(DistinctSeries(Churn(100, 0), 10, 1), 100u);
  EXPECT_EQ(DistinctSeries(Churn(100, 0.1), 10, 1), 100u + 9 * 10);
  EXPECT_EQ(DistinctSeries(Churn(100, 1), 5, 1), 500u);
  // Threads own disjoint slot ranges, so the total is the same.
  EXPECT_EQ(DistinctSeries(Churn(100, 0.1), 10, 3), 190u);
  EXPECT_EQ(DistinctSeries(Churn(1000, 0.25), 12, 4), 1000u + 11 * 250);
}

TEST(ChurnWorkloadTest, CursorWalksTheRangeCyclically) {
  ChurnWorkload workload(Churn(10, 0), 0, 10, 1);
  model::SampleBatch batch;
  std::map<std::string, int> visits;
  for (int i = 0; i < 10; ++i) {
    workload.Fill(7, kNow, 0, &batch);
    for (size_t s = 0; s < batch.num_series(); ++s) visits[Key(batch, s)]++;
  }
  ASSERT_EQ(visits.size(), 10u);
  for (const auto& [key, count] : visits) EXPECT_EQ(count, 7) << key;
}

TEST(ChurnWorkloadTest, TimestampsIncreasePerSeriesWhenBatchesWrap) {
  ChurnWorkload workload(Churn(3, 0), 0, 3, 1);
  model::SampleBatch batch;
  std::map<std::string, int64_t> last;
  for (int i = 0; i < 20; ++i) {
    workload.Fill(7, kNow, 0, &batch);  // the clock does not move
    EXPECT_EQ(batch.num_samples(), 7u);
    for (size_t s = 0; s < batch.num_series(); ++s) {
      for (int64_t ts : batch.timestamps_ns(s)) {
        auto it = last.find(Key(batch, s));
        if (it != last.end()) {
          EXPECT_GT(ts, it->second);
        }
        last[Key(batch, s)] = ts;
      }
    }
  }
}

TEST(ChurnWorkloadTest, ReplacedSeriesStartFreshCounters) {
  // Slot 2 is disk_read_bytes_total (a counter); churn 1 replaces every slot each second.
  ChurnWorkload workload(Churn(10, 1), 0, 10, 1);
  model::SampleBatch batch;
  for (int i = 0; i < 5; ++i) workload.Fill(10, kNow, 0.5, &batch);
  EXPECT_GT(batch.values(2)[0], 4 * 1e5);
  workload.Fill(10, kNow, 1.0, &batch);
  EXPECT_LT(batch.values(2)[0], 1.5e5);
}

}  // namespace
}  // namespace cardinalsin::loadgen
