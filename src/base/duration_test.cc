#include "base/duration.h"

#include "base/testing/status_matchers.h"

namespace cardinalsin::base {
namespace {

using testing::IsOkAndHolds;
using testing::StatusIs;

TEST(ParseHumanDurationTest, AcceptsPrometheusStyleTerms) {
  EXPECT_THAT(ParseHumanDuration("0"), IsOkAndHolds(absl::ZeroDuration()));
  EXPECT_THAT(ParseHumanDuration("90s"), IsOkAndHolds(absl::Seconds(90)));
  EXPECT_THAT(ParseHumanDuration("500ms"), IsOkAndHolds(absl::Milliseconds(500)));
  EXPECT_THAT(ParseHumanDuration("1h30m"), IsOkAndHolds(absl::Minutes(90)));
  EXPECT_THAT(ParseHumanDuration("7d"), IsOkAndHolds(absl::Hours(168)));
  EXPECT_THAT(ParseHumanDuration("1w"), IsOkAndHolds(absl::Hours(168)));
  EXPECT_THAT(ParseHumanDuration("1y"), IsOkAndHolds(absl::Hours(365 * 24)));
  EXPECT_THAT(ParseHumanDuration("5m10s250ms"), IsOkAndHolds(absl::Milliseconds(310250)));
}

TEST(ParseHumanDurationTest, RejectsMalformedInputNamingIt) {
  for (const char* bad : {"", "s", "10", "10x", "-5s", "1.5h", "10 s", "99999999999999999999s"}) {
    absl::StatusOr<absl::Duration> d = ParseHumanDuration(bad);
    EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_NE(d.status().message().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(FormatHumanDurationTest, RoundTrips) {
  for (absl::Duration d : {absl::ZeroDuration(), absl::Milliseconds(250), absl::Seconds(60),
                           absl::Minutes(90), absl::Hours(25), absl::Hours(24 * 400)}) {
    EXPECT_THAT(ParseHumanDuration(FormatHumanDuration(d)), IsOkAndHolds(d))
        << FormatHumanDuration(d);
  }
  EXPECT_EQ(FormatHumanDuration(absl::Minutes(90)), "1h30m");
  EXPECT_EQ(FormatHumanDuration(absl::Seconds(1800)), "30m");
}

}  // namespace
}  // namespace cardinalsin::base
