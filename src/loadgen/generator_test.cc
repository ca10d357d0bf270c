#include "loadgen/generator.h"

#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::loadgen {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// What the fake sinks of one run received, shared by all of them.
struct Received {
  std::mutex mu;  // guards the rest
  uint64_t samples = 0;
  uint64_t sends = 0;
  std::set<std::string> series;
};

// Accepts batches (failing every `fail_every`-th send when non-zero) and advances a fake
// clock by `latency` per send, as a real round trip would.
class FakeSink final : public BatchSink {
 public:
  FakeSink(Received& received, base::FakeClock& clock, absl::Duration latency, int fail_every)
      : received_(received), clock_(clock), latency_(latency), fail_every_(fail_every) {}

  absl::StatusOr<uint64_t> Send(const model::SampleBatch& batch) override {
    clock_.Advance(latency_);
    std::lock_guard lock(received_.mu);
    const uint64_t n = ++received_.sends;
    if (fail_every_ != 0 && n % fail_every_ == 0) {
      return absl::UnavailableError("HTTP error: 500 - boom");
    }
    received_.samples += batch.num_samples();
    for (size_t s = 0; s < batch.num_series(); ++s) {
      std::string key;
      for (const model::Label& l : batch.labels(s)) key += std::string(l.value) + ",";
      received_.series.insert(key);
    }
    return 10 * batch.num_samples();
  }

 private:
  Received& received_;
  base::FakeClock& clock_;
  const absl::Duration latency_;
  const int fail_every_;
};

class GeneratorTest : public ::testing::Test {
 protected:
  SinkFactory Factory(absl::Duration latency = absl::ZeroDuration(), int fail_every = 0) {
    return [this, latency, fail_every]() -> absl::StatusOr<std::unique_ptr<BatchSink>> {
      return std::make_unique<FakeSink>(received_, clock_, latency, fail_every);
    };
  }
  GeneratorResult Run(const GeneratorOptions& options, const SinkFactory& factory) {
    absl::StatusOr<GeneratorResult> result = RunGenerator(options, factory, clock_, out_, err_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : GeneratorResult{};
  }
  uint64_t ReceivedSamples() {
    std::lock_guard lock(received_.mu);
    return received_.samples;
  }
  size_t ReceivedSeries() {
    std::lock_guard lock(received_.mu);
    return received_.series.size();
  }

  base::FakeClock clock_;
  Received received_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(GeneratorTest, SteadyModePacesToTheTargetRateAndPrintsTheContract) {
  GeneratorOptions options;
  options.samples_per_second = 2000;
  options.duration = absl::Seconds(3);
  options.batch_size = 100;
  options.seed = 1;
  GeneratorResult result = Run(options, Factory());
  // Slots every 50 ms from t=0 up to, not including, the deadline: 60 batches.
  EXPECT_EQ(result.stats.batches, 60u);
  EXPECT_EQ(result.stats.samples, 6000u);
  EXPECT_EQ(result.stats.errors, 0u);
  EXPECT_EQ(result.stats.bytes, 60000u);
  // The run lasts until the deadline, the end of the last batch's 50 ms.
  EXPECT_EQ(result.elapsed, absl::Seconds(3));
  EXPECT_EQ(ReceivedSamples(), 6000u);
  const std::string out = out_.str();
  EXPECT_THAT(out, StartsWith(FormatBanner(options) + "Starting steady-rate generation...\n" +
                              "[Stats] Samples: "));
  EXPECT_THAT(out, HasSubstr("\nGeneration Complete\n===================\n"
                             "Duration:       3s\n"
                             "Samples sent:   6000\n"
                             "Batches sent:   60\n"
                             "Errors:         0\n"
                             "Bytes sent:     60000 (0.06 MB)\n"
                             "Actual rate:    2000.00 samples/sec\n"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(GeneratorTest, UnlimitedRateRunsUntilTheDeadline) {
  GeneratorOptions options;
  options.samples_per_second = 0;
  options.duration = absl::Seconds(1);
  options.threads = 2;
  GeneratorResult result = Run(options, Factory(absl::Milliseconds(1)));
  // Each send advances the shared fake clock by 1 ms, so about 1000 sends fit in one second.
  EXPECT_GE(result.stats.batches, 999u);
  EXPECT_LE(result.stats.batches, 1002u);
  EXPECT_EQ(ReceivedSamples(), result.stats.samples);
}

TEST_F(GeneratorTest, FailedBatchesAreCountedReportedAndWarned) {
  GeneratorOptions options;
  options.samples_per_second = 1000;
  options.duration = absl::Seconds(1);
  options.batch_size = 100;
  GeneratorResult result = Run(options, Factory(absl::ZeroDuration(), 3));
  EXPECT_EQ(result.stats.batches + result.stats.errors, 10u);
  EXPECT_EQ(result.stats.errors, 3u);
  EXPECT_EQ(result.stats.samples, 700u);
  EXPECT_THAT(out_.str(), HasSubstr("Errors:         3\n"));
  // Steady mode without --verbose prints the first error only.
  EXPECT_EQ(err_.str(),
            "Error sending batch: HTTP error: 500 - boom\n"
            "(steady mode prints only the first error; --verbose prints each)\n"
            "WARNING: 3 errors occurred during generation\n");
}

TEST_F(GeneratorTest, BurstSendsRateTimesWholeSecondsAcrossThreads) {
  GeneratorOptions options;
  options.burst = true;
  options.samples_per_second = 1000;
  options.duration = absl::Milliseconds(2500);
  options.batch_size = 300;
  options.threads = 3;
  options.verbose = true;
  GeneratorResult result = Run(options, Factory(absl::ZeroDuration(), 4));
  EXPECT_EQ(result.stats.samples + 0, ReceivedSamples());
  EXPECT_EQ(result.stats.errors, 1u);  // 7 batches (6 x 300 + 200); the 4th fails
  EXPECT_EQ(result.stats.batches, 6u);
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("Sending 2000 samples in burst mode...\n"));
  EXPECT_THAT(out, Not(HasSubstr("[Stats]")));
  EXPECT_THAT(out, HasSubstr("Sent batch of 300 samples\n"));
  EXPECT_THAT(err_.str(), HasSubstr("Error sending batch: HTTP error: 500 - boom\n"));
  EXPECT_THAT(err_.str(), HasSubstr("WARNING: 1 errors occurred during generation\n"));
}

TEST_F(GeneratorTest, HighCardinalityModeSplitsSeriesAcrossThreads) {
  GeneratorOptions options;
  options.burst = true;
  options.samples_per_second = 1000;
  options.duration = absl::Seconds(1);
  options.batch_size = 50;
  options.series = 1000;
  options.threads = 4;
  GeneratorResult result = Run(options, Factory());
  EXPECT_EQ(result.stats.samples, 1000u);
  // Each thread walks its own 250 slots, and the threads share the 20 batches in whatever way
  // they race for them: at least one thread's range is covered, and nothing outside the set.
  EXPECT_LE(ReceivedSeries(), 1000u);
  EXPECT_GE(ReceivedSeries(), 250u);
}

TEST_F(GeneratorTest, ChurnCreatesNewSeriesOverTime) {
  GeneratorOptions options;
  options.samples_per_second = 1000;
  options.duration = absl::Seconds(5);
  options.batch_size = 100;
  options.series = 100;
  options.churn = 0.5;
  GeneratorResult result = Run(options, Factory());
  EXPECT_EQ(result.stats.samples, 5000u);
  // Every slot is visited ten times a second; seconds 1..4 each replace 50 slots.
  EXPECT_EQ(ReceivedSeries(), 100u + 4 * 50);
}

TEST_F(GeneratorTest, BadOptionsFailBeforePrinting) {
  GeneratorOptions options;
  options.regions = 9;
  absl::StatusOr<GeneratorResult> result = RunGenerator(options, Factory(), clock_, out_, err_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(GeneratorTest, SinkFactoryFailureIsReturned) {
  SinkFactory broken = []() -> absl::StatusOr<std::unique_ptr<BatchSink>> {
    return absl::InternalError("curl_easy_init failed");
  };
  absl::StatusOr<GeneratorResult> result =
      RunGenerator(GeneratorOptions{}, broken, clock_, out_, err_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace cardinalsin::loadgen
