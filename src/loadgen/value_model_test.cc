#include "loadgen/value_model.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace cardinalsin::loadgen {
namespace {

TEST(MetricNameTest, TemplateIModTenSuffixedByIOverTen) {
  const struct {
    size_t index;
    const char* name;
  } kCases[] = {
      {0, "cpu_usage"},
      {1, "memory_used_bytes"},
      {2, "disk_read_bytes_total"},
      {3, "disk_write_bytes_total"},
      {4, "network_rx_bytes_total"},
      {5, "network_tx_bytes_total"},
      {6, "http_requests_total"},
      {7, "http_request_duration_seconds"},
      {8, "gc_pause_seconds"},
      {9, "active_connections"},
      {10, "cpu_usage_1"},
      {13, "disk_write_bytes_total_1"},
      {23, "disk_write_bytes_total_2"},
      {109, "active_connections_10"},
  };
  for (const auto& c : kCases) EXPECT_EQ(MetricName(c.index), c.name) << c.index;
}

TEST(MetricTemplatesTest, ModelsMatchTheContract) {
  ASSERT_EQ(MetricTemplates().size(), 10u);
  const ValueModel& cpu = TemplateForMetric(0).model;
  EXPECT_EQ(cpu.kind, ValueKind::kSine);
  EXPECT_EQ(cpu.min, 10);
  EXPECT_EQ(cpu.max, 95);
  EXPECT_EQ(cpu.period_seconds, 300);
  const ValueModel& memory = TemplateForMetric(11).model;
  EXPECT_EQ(memory.kind, ValueKind::kRandomWalk);
  EXPECT_EQ(memory.step, 1e7);
  const double kCounterRates[] = {1e6, 5e5, 2e6, 1.5e6, 1000};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(TemplateForMetric(2 + i).model.kind, ValueKind::kCounter);
    EXPECT_EQ(TemplateForMetric(2 + i).model.rate, kCounterRates[i]);
  }
  EXPECT_EQ(TemplateForMetric(8).model.kind, ValueKind::kJitter);
  EXPECT_EQ(TemplateForMetric(8).model.base, 0.05);
  EXPECT_EQ(TemplateForMetric(8).model.jitter, 0.02);
  EXPECT_EQ(TemplateForMetric(9).model.period_seconds, 600);
}

TEST(ValueModelTest, CounterGrowsByRateOverTenPlusUpToRateOverTwenty) {
  const ValueModel& model = TemplateForMetric(6).model;  // http_requests_total, rate 1000
  SplitMix64 random(1);
  double state = InitialState(model);
  EXPECT_EQ(state, 0);
  double previous = 0;
  for (int i = 0; i < 1000; ++i) {
    const double value = NextValue(model, 0, state, random);
    EXPECT_EQ(value, state);
    EXPECT_GE(value - previous, 100.0);
    EXPECT_LT(value - previous, 150.0);
    previous = value;
  }
  // The mean increment is rate/10 + rate/40 = 125.
  EXPECT_NEAR(previous / 1000, 125.0, 2.0);
}

TEST(ValueModelTest, RandomWalkStartsMidwayStepsBoundedAndStaysInRange) {
  const ValueModel& model = TemplateForMetric(1).model;
  SplitMix64 random(2);
  double state = InitialState(model);
  EXPECT_EQ(state, 4.5e9);
  double previous = state;
  for (int i = 0; i < 100000; ++i) {
    const double value = NextValue(model, 0, state, random);
    EXPECT_LE(std::abs(value - previous), 1e7);
    EXPECT_GE(value, 1e9);
    EXPECT_LE(value, 8e9);
    previous = value;
  }
}

TEST(ValueModelTest, SineFollowsElapsedTime) {
  const ValueModel& model = TemplateForMetric(0).model;  // 10..95, period 300 s
  SplitMix64 random(3);
  double state = 0;
  EXPECT_DOUBLE_EQ(NextValue(model, 0, state, random), 52.5);
  EXPECT_DOUBLE_EQ(NextValue(model, 75, state, random), 95);
  EXPECT_NEAR(NextValue(model, 225, state, random), 10, 1e-9);
  EXPECT_NEAR(NextValue(model, 300, state, random), 52.5, 1e-9);
}

TEST(ValueModelTest, JitterStaysWithinBaseAndJitter) {
  const ValueModel& model = TemplateForMetric(8).model;
  SplitMix64 random(4);
  double state = 0;
  double min = 1, max = 0;
  for (int i = 0; i < 10000; ++i) {
    const double v = NextValue(model, 0, state, random);
    min = std::min(min, v);
    max = std::max(max, v);
  }
  EXPECT_GE(min, 0.03);
  EXPECT_LT(min, 0.031);
  EXPECT_LE(max, 0.07);
  EXPECT_GT(max, 0.069);
}

TEST(SplitMix64Test, DeterministicAndInUnitInterval) {
  SplitMix64 a(7), b(7);
  for (int i = 0; i < 1000; ++i) {
    const double x = a.NextDouble();
    EXPECT_EQ(x, b.NextDouble());
    EXPECT_GE(x, 0);
    EXPECT_LT(x, 1);
  }
}

}  // namespace
}  // namespace cardinalsin::loadgen
