#include "loadgen/report.h"

#include "gtest/gtest.h"

namespace cardinalsin::loadgen {
namespace {

TEST(FormatRustDurationTest, MatchesRustDebug) {
  const struct {
    absl::Duration d;
    const char* text;
  } kCases[] = {
      {absl::Seconds(60), "60s"},
      {absl::Seconds(1800), "1800s"},
      {absl::Seconds(60) + absl::Microseconds(1234), "60.001234s"},
      {absl::Milliseconds(1500), "1.5s"},
      {absl::Nanoseconds(3'000'000'001), "3.000000001s"},
      {absl::Milliseconds(250), "250ms"},
      {absl::Microseconds(2500), "2.5ms"},
      {absl::Nanoseconds(12'500), "12.5\u00b5s"},
      {absl::Nanoseconds(7), "7ns"},
      {absl::ZeroDuration(), "0ns"},
  };
  for (const auto& c : kCases) EXPECT_EQ(FormatRustDuration(c.d), c.text);
}

TEST(FormatBannerTest, ContractBannerForTheRunbookInvocation) {
  GeneratorOptions o;
  o.metrics = 24;
  o.hosts = 24;
  o.samples_per_second = 2000;
  o.duration = absl::Minutes(30);
  o.batch_size = 400;
  EXPECT_EQ(FormatBanner(o),
            "CardinalSin Test Data Generator\n"
            "================================\n"
            "Endpoint:      http://localhost:8081\n"
            "Metrics:       24\n"
            "Hosts:         24\n"
            "Regions:       3\n"
            "Target rate:   2000 samples/sec\n"
            "Duration:      1800s\n"
            "Batch size:    400\n"
            "Mode:          steady\n"
            "\n");
  EXPECT_EQ(FormatStart(o), "Starting steady-rate generation...\n");
}

TEST(FormatBannerTest, AdditionsOnlyWhenNotDefault) {
  GeneratorOptions o;
  o.burst = true;
  o.duration = absl::Seconds(5);
  o.protocol = Protocol::kOtlp;
  o.series = 1000;
  o.churn = 0.1;
  o.threads = 4;
  o.tenant = "team-a";
  EXPECT_EQ(FormatBanner(o),
            "CardinalSin Test Data Generator\n"
            "================================\n"
            "Endpoint:      http://localhost:8081\n"
            "Metrics:       10\n"
            "Hosts:         5\n"
            "Regions:       3\n"
            "Target rate:   100 samples/sec\n"
            "Duration:      5s\n"
            "Batch size:    100\n"
            "Mode:          burst\n"
            "Protocol:      otlp\n"
            "Series:        1000 (churn 0.1/s)\n"
            "Threads:       4\n"
            "Tenant:        team-a\n"
            "\n");
  EXPECT_EQ(FormatStart(o), "Sending 500 samples in burst mode...\n");
  o.burst = false;
  o.samples_per_second = 0;
  EXPECT_NE(FormatBanner(o).find("Target rate:   unlimited\n"), std::string::npos);
}

TEST(FormatStatsLineTest, Exact) {
  EXPECT_EQ(FormatStatsLine({.samples = 20000, .batches = 50, .errors = 1, .bytes = 123456}),
            "[Stats] Samples: 20000, Batches: 50, Errors: 1, Bytes: 123456\n");
}

TEST(FormatSummaryTest, Exact) {
  EXPECT_EQ(FormatSummary({.samples = 6000, .batches = 60, .errors = 0, .bytes = 1234567},
                          absl::Seconds(3) + absl::Microseconds(1500)),
            "\n"
            "Generation Complete\n"
            "===================\n"
            "Duration:       3.0015s\n"
            "Samples sent:   6000\n"
            "Batches sent:   60\n"
            "Errors:         0\n"
            "Bytes sent:     1234567 (1.23 MB)\n"
            "Actual rate:    1999.00 samples/sec\n");
  EXPECT_EQ(FormatErrorWarning(3), "WARNING: 3 errors occurred during generation\n");
}

}  // namespace
}  // namespace cardinalsin::loadgen
