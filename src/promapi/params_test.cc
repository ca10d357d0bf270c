#include "promapi/params.h"

#include <cstdint>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::promapi {
namespace {

using ::testing::HasSubstr;

TEST(ParseTimeMs, AcceptsPrometheusForms) {
  struct Case {
    std::string text;
    int64_t ms;
  };
  const Case cases[] = {
      {"1700000000", 1'700'000'000'000},
      {"1700000000.123", 1'700'000'000'123},
      {"1700000000.1234", 1'700'000'000'123},
      {"1700000000.1236", 1'700'000'000'124},
      {"+1.5", 1'500},
      {"-1.5", -1'500},
      {"0", 0},
      {"1e3", 1'000'000},
      {"2023-11-14T22:13:20Z", 1'700'000'000'000},
      {"2023-11-14T22:13:20.123Z", 1'700'000'000'123},
      {"2023-11-14T22:13:20.123456789Z", 1'700'000'000'123},
      {"2023-11-14T23:13:20+01:00", 1'700'000'000'000},
      {"1969-12-31T23:59:59.999Z", -1},
      {"-292273086-05-16T16:47:06Z", kMinTimeMs},
      {"292277025-08-18T07:12:54.999999999Z", kMaxTimeMs},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    CS_ASSERT_OK_AND_ASSIGN(int64_t ms, ParseTimeMs(c.text));
    EXPECT_EQ(ms, c.ms);
  }
}

TEST(ParseTimeMs, RejectsWithPrometheusText) {
  for (const std::string text : {"", "x", "1700000000x", "NaN", "Inf", "1e300", "2023-11-14",
                                 "2023-11-14T22:13:20", "0x10", "++1", " 1"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<int64_t> ms = ParseTimeMs(text);
    ASSERT_FALSE(ms.ok());
    EXPECT_EQ(ms.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ms.status().message(), "cannot parse \"" + text + "\" to a valid timestamp");
  }
}

TEST(ParseDurationMs, AcceptsFloatsAndDurations) {
  struct Case {
    std::string text;
    int64_t ms;
  };
  const Case cases[] = {
      {"15", 15'000},     {"0.5", 500}, {"5m", 300'000},  {"1h30m", 5'400'000}, {"500ms", 500},
      {"1d", 86'400'000}, {"0", 0},     {"-15", -15'000}, {"1w", 604'800'000},  {"1.0005", 1'000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    CS_ASSERT_OK_AND_ASSIGN(int64_t ms, ParseDurationMs(c.text));
    EXPECT_EQ(ms, c.ms);
  }
}

TEST(ParseDurationMs, RejectsWithPrometheusText) {
  for (const std::string text : {"", "x", "5 m", "5mm", "1.5m", "m"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<int64_t> ms = ParseDurationMs(text);
    ASSERT_FALSE(ms.ok());
    EXPECT_EQ(ms.status().message(), "cannot parse \"" + text + "\" to a valid duration");
  }
  absl::StatusOr<int64_t> huge = ParseDurationMs("1e10");
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(std::string(huge.status().message()), HasSubstr("It overflows int64"));
}

TEST(FormatRfc3339Ms, UtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace cardinalsin::promapi
