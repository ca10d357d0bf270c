#include "plan/optimizer.h"

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "re2/re2.h"

namespace cardinalsin::plan {
namespace {

using base::testing::StatusIs;

constexpr int64_t kSec = 1'000'000'000;

TEST(OptimizerTest, ParseIntervalNs) {
  struct Case {
    const char* text;
    const char* unit;
    int64_t ns;
  };
  for (const Case& c : std::vector<Case>{{"5 minutes", "", 300 * kSec},
                                         {"1 hour 30 minutes", "", 5400 * kSec},
                                         {"1h30m", "", 5400 * kSec},
                                         {"1.5s", "", 1500'000'000},
                                         {"24 hours", "", 86400 * kSec},
                                         {"1", "hour", 3600 * kSec},
                                         {"-2 days", "", -2 * 86400 * kSec},
                                         {"250 ms", "", 250'000'000}}) {
    SCOPED_TRACE(c.text);
    CS_ASSERT_OK_AND_ASSIGN(int64_t ns, ParseIntervalNs(c.text, c.unit));
    EXPECT_EQ(ns, c.ns);
  }
  EXPECT_THAT(ParseIntervalNs("1 month"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIntervalNs("five minutes"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIntervalNs(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIntervalNs("5 fortnights"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIntervalNs("1000000 days"), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(OptimizerTest, RangeOf) {
  EXPECT_EQ(RangeOf(Comparison::kGt, 10).min, 11);
  EXPECT_EQ(RangeOf(Comparison::kGe, 10).min, 10);
  EXPECT_EQ(RangeOf(Comparison::kLt, 10).max, 9);
  EXPECT_EQ(RangeOf(Comparison::kLe, 10).max, 10);
  TimeRange eq = RangeOf(Comparison::kEq, 10);
  EXPECT_EQ(eq.min, 10);
  EXPECT_EQ(eq.max, 10);
  EXPECT_TRUE(RangeOf(Comparison::kGt, INT64_MAX).empty());
  EXPECT_TRUE(RangeOf(Comparison::kLt, INT64_MIN).empty());
  TimeRange r = RangeOf(Comparison::kGe, 5);
  r.Intersect(RangeOf(Comparison::kLt, 5));
  EXPECT_TRUE(r.empty());
}

TEST(OptimizerTest, BucketRangesAreSupersets) {
  // date_trunc('hour', t) <= 10:00 allows t up to 10:59:59.999999999.
  const int64_t ten = 36000 * kSec;
  std::optional<TimeRange> r = DateTruncRange("hour", Comparison::kLe, ten);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->max, ten + 3600 * kSec - 1);
  r = DateTruncRange("hour", Comparison::kGe, ten);
  EXPECT_EQ(r->min, ten);
  EXPECT_FALSE(DateTruncRange("fortnight", Comparison::kGe, ten).has_value());
  TimeRange bin = DateBinRange(300 * kSec, Comparison::kEq, ten);
  EXPECT_EQ(bin.min, ten);
  EXPECT_EQ(bin.max, ten + 300 * kSec - 1);
  EXPECT_EQ(DateTruncRange("year", Comparison::kLt, INT64_MAX - 5)->max, INT64_MAX);
}

TEST(OptimizerTest, TimestampOf) {
  EXPECT_EQ(TimestampOf(exec::Scalar::Timestamp(5)), 5);
  EXPECT_EQ(TimestampOf(exec::Scalar::Int64(7)), 7);
  EXPECT_EQ(TimestampOf(exec::Scalar::String("1970-01-01T00:00:01Z")), kSec);
  EXPECT_FALSE(TimestampOf(exec::Scalar::String("yesterday")).has_value());
  EXPECT_FALSE(TimestampOf(exec::Scalar::Double(1.5)).has_value());
  EXPECT_FALSE(TimestampOf(exec::Scalar::Null(model::TypeId::kTimestampNs)).has_value());
}

TEST(OptimizerTest, LikePatternRegexMatchesWhatLikeMatches) {
  struct Case {
    std::string pattern;
    std::vector<std::string> match;
    std::vector<std::string> no_match;
  };
  const std::vector<Case> cases = {
      {"%error%", {"error", "http_errors_total", "x\nerror\ny"}, {"err", "ERROR"}},
      {"_b%",
       {"ab", "abc_",
        "\xc3\xa9"
        "b_c"},
       {"b", "aab", "ba"}},
      {"a.b%", {"a.b", "a.bc"}, {"axb", "a.", "ba.b"}},
      {"%100\\%", {"100%", "x100%"}, {"100", "100%x"}},
      {"%(x|y)*+?[]{}^$", {"q(x|y)*+?[]{}^$"}, {"x", "y"}},
  };
  for (const Case& c : cases) {
    std::optional<std::string> regex = LikePatternRegex(c.pattern);
    ASSERT_TRUE(regex.has_value()) << c.pattern;
    re2::RE2 re(*regex);
    ASSERT_TRUE(re.ok()) << *regex;
    for (const std::string& s : c.match)
      EXPECT_TRUE(re2::RE2::FullMatch(s, re)) << c.pattern << " " << s;
    for (const std::string& s : c.no_match) {
      EXPECT_FALSE(re2::RE2::FullMatch(s, re)) << c.pattern << " " << s;
    }
  }
  EXPECT_FALSE(LikePatternRegex("abc\\").has_value());
}

TEST(OptimizerTest, LikePatternPrefix) {
  std::optional<LikePrefix> p = LikePatternPrefix("http_%");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->prefix, "http");
  EXPECT_FALSE(p->exact);  // '_' is a wildcard
  p = LikePatternPrefix("http%");
  EXPECT_EQ(p->prefix, "http");
  EXPECT_TRUE(p->exact);
  p = LikePatternPrefix("ab%cd");
  EXPECT_EQ(p->prefix, "ab");
  EXPECT_FALSE(p->exact);
  p = LikePatternPrefix("a\\%b");
  EXPECT_EQ(p->prefix, "a%b");
  EXPECT_TRUE(p->equality);
  EXPECT_FALSE(LikePatternPrefix("%error%").has_value());
}

}  // namespace
}  // namespace cardinalsin::plan
