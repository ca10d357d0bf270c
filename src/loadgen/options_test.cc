#include "loadgen/options.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(ProtocolTest, RoundTripsEveryName) {
  for (Protocol p :
       {Protocol::kRemoteWrite, Protocol::kRemoteWriteV2, Protocol::kOtlp, Protocol::kInflux}) {
    CS_ASSERT_OK_AND_ASSIGN(Protocol parsed, ParseProtocol(ProtocolName(p)));
    EXPECT_EQ(parsed, p);
  }
  EXPECT_EQ(ParseProtocol("prometheus").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ParseProtocol("").status().message()), HasSubstr("remote-write-v2"));
}

TEST(ValidateOptionsTest, DefaultsAreValid) { CS_EXPECT_OK(ValidateOptions(GeneratorOptions{})); }

TEST(ValidateOptionsTest, RejectsEachBadFlagByName) {
  const struct {
    void (*mutate)(GeneratorOptions&);
    const char* flag;
  } kCases[] = {
      {[](GeneratorOptions& o) { o.endpoint = "localhost:8081"; }, "--endpoint"},
      {[](GeneratorOptions& o) { o.metrics = 0; }, "--metrics"},
      {[](GeneratorOptions& o) { o.hosts = 0; }, "--hosts"},
      {[](GeneratorOptions& o) { o.metrics = 1'000'001; }, "--metrics"},
      {[](GeneratorOptions& o) { o.batch_size = 1'000'001; }, "--batch-size"},
      {[](GeneratorOptions& o) { o.timeout = absl::Microseconds(500); }, "--timeout"},
      {[](GeneratorOptions& o) { o.regions = 0; }, "--regions"},
      {[](GeneratorOptions& o) { o.regions = 6; }, "--regions"},
      {[](GeneratorOptions& o) { o.batch_size = 0; }, "--batch-size"},
      {[](GeneratorOptions& o) { o.duration = absl::ZeroDuration(); }, "--duration"},
      {[](GeneratorOptions& o) {
         o.burst = true;
         o.samples_per_second = 0;
       },
       "--burst"},
      {[](GeneratorOptions& o) { o.churn = 0.1; }, "--churn needs --series"},
      {[](GeneratorOptions& o) {
         o.series = 10;
         o.churn = 1.5;
       },
       "--churn"},
      {[](GeneratorOptions& o) { o.threads = 0; }, "--threads"},
      {[](GeneratorOptions& o) {
         o.series = 3;
         o.threads = 4;
       },
       "--threads must not exceed --series"},
      {[](GeneratorOptions& o) { o.timeout = absl::ZeroDuration(); }, "--timeout"},
      {[](GeneratorOptions& o) { o.tenant = "a\r\nX-Evil: 1"; }, "--tenant"},
  };
  for (const auto& c : kCases) {
    GeneratorOptions options;
    c.mutate(options);
    const absl::Status status = ValidateOptions(options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.flag;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.flag));
  }
}

TEST(BurstTotalTest, RateTimesWholeSeconds) {
  GeneratorOptions options;
  options.samples_per_second = 2000;
  options.duration = absl::Milliseconds(3500);
  EXPECT_EQ(BurstTotal(options), 6000u);
}

}  // namespace
}  // namespace cardinalsin::loadgen
