#include "http/request.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::http {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(PercentDecodeTest, DecodesEscapesAndKeepsPlus) {
  EXPECT_THAT(PercentDecode("/a%20b+c%2Fd%e2%82%AC"), IsOkAndHolds("/a b+c/d\xe2\x82\xac"));
  EXPECT_THAT(PercentDecode(""), IsOkAndHolds(""));
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  for (const char* bad : {"%", "%2", "%zz", "a%2g", "100%"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(PercentDecode(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(PercentDecode("x%2g").status().message(), HasSubstr("\"%2g\" at offset 1"));
}

TEST(ParseUrlEncodedTest, Table) {
  struct Case {
    const char* text;
    std::vector<std::pair<std::string, std::string>> want;
  };
  const Case cases[] = {
      {"", {}},
      {"a=1", {{"a", "1"}}},
      {"a=1&b=2", {{"a", "1"}, {"b", "2"}}},
      {"q=rate(x%5B5m%5D)+%2B+1", {{"q", "rate(x[5m]) + 1"}}},
      {"match[]=up&match%5B%5D=foo+bar", {{"match[]", "up"}, {"match[]", "foo bar"}}},
      {"flag&empty=&&=v", {{"", "v"}, {"empty", ""}, {"flag", ""}}},
      {"a=x=y", {{"a", "x=y"}}},
      {"a+b=c%26d", {{"a b", "c&d"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<QueryParams> params = ParseUrlEncoded(c.text);
    ASSERT_TRUE(params.ok()) << params.status();
    std::vector<std::pair<std::string, std::string>> got(params->begin(), params->end());
    EXPECT_EQ(got, c.want);
  }
}

TEST(ParseUrlEncodedTest, RepeatedKeysKeepArrivalOrder) {
  CS_ASSERT_OK_AND_ASSIGN(QueryParams params, ParseUrlEncoded("m=3&z=0&m=1&m=2"));
  auto [first, last] = params.equal_range("m");
  std::vector<std::string> values;
  for (auto it = first; it != last; ++it) {
    values.push_back(it->second);
  }
  EXPECT_THAT(values, ElementsAre("3", "1", "2"));
}

TEST(ParseUrlEncodedTest, RejectsMalformedEscapes) {
  EXPECT_THAT(ParseUrlEncoded("a=%"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseUrlEncoded("a%4=1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseUrlEncoded("ok=1&bad=%GG"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TargetPathTest, StripsQueryFragmentAndAuthority) {
  EXPECT_EQ(TargetPath("/a/b?c=d"), "/a/b");
  EXPECT_EQ(TargetPath("/a#frag"), "/a");
  EXPECT_EQ(TargetPath("http://host:80/x%20y?q"), "/x%20y");
  EXPECT_EQ(TargetPath("HTTPS://host"), "/");
  EXPECT_EQ(TargetPath("http://host?q=1"), "/");
  EXPECT_EQ(TargetPath("*"), "*");
}

TEST(RequestTest, CreateDecodesPathAndQuery) {
  CS_ASSERT_OK_AND_ASSIGN(Request request,
                          Request::Create("GET", "/api/v1/label/a%2Fb/values?match[]=up&x=1+2"));
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/api/v1/label/a%2Fb/values?match[]=up&x=1+2");
  EXPECT_EQ(request.path, "/api/v1/label/a/b/values");
  EXPECT_THAT(request.query, UnorderedElementsAre(Pair("match[]", "up"), Pair("x", "1 2")));
  EXPECT_FALSE(request.ShuttingDown());
}

TEST(RequestTest, CreateRejectsMalformedEscapes) {
  EXPECT_THAT(Request::Create("GET", "/a%zz"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Request::Create("GET", "/a?b=%"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RequestTest, ParamAndParams) {
  CS_ASSERT_OK_AND_ASSIGN(Request request, Request::Create("GET", "/s?m=a&m=b&q=x"));
  EXPECT_THAT(request.Param("m"), Optional(std::string("a")));
  EXPECT_EQ(request.Param("missing"), std::nullopt);
  EXPECT_THAT(request.Params("m"), ElementsAre("a", "b"));
  EXPECT_THAT(request.Params("missing"), IsEmpty());
}

TEST(RequestTest, FormOrQueryMergesFormAfterQuery) {
  CS_ASSERT_OK_AND_ASSIGN(Request request, Request::Create("POST", "/q?match[]=a&step=1"));
  request.headers.Set("Content-Type", "Application/X-WWW-Form-Urlencoded; charset=utf-8");
  request.body = "match%5B%5D=b&match[]=c+d&query=up";
  EXPECT_TRUE(request.IsFormPost());
  EXPECT_THAT(request.FormOrQuery("match[]"), IsOkAndHolds(ElementsAre("a", "b", "c d")));
  EXPECT_THAT(request.FormOrQuery("query"), IsOkAndHolds(ElementsAre("up")));
  EXPECT_THAT(request.FormOrQuery("step"), IsOkAndHolds(ElementsAre("1")));
  // Query-only accessors do not see the body.
  EXPECT_THAT(request.Params("match[]"), ElementsAre("a"));
  CS_ASSERT_OK_AND_ASSIGN(QueryParams all, request.FormAndQuery());
  EXPECT_EQ(all.size(), 5u);
}

TEST(RequestTest, BodyIgnoredUnlessFormPost) {
  CS_ASSERT_OK_AND_ASSIGN(Request get, Request::Create("GET", "/q?query=a"));
  get.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  get.body = "query=b";
  EXPECT_FALSE(get.IsFormPost());
  EXPECT_THAT(get.FormOrQuery("query"), IsOkAndHolds(ElementsAre("a")));

  CS_ASSERT_OK_AND_ASSIGN(Request json, Request::Create("POST", "/q?query=a"));
  json.headers.Set("Content-Type", "application/json");
  json.body = "query=b";
  EXPECT_THAT(json.FormOrQuery("query"), IsOkAndHolds(ElementsAre("a")));
}

TEST(RequestTest, MalformedFormBodyIsInvalidArgument) {
  CS_ASSERT_OK_AND_ASSIGN(Request request, Request::Create("POST", "/q"));
  request.headers.Set("content-type", "application/x-www-form-urlencoded");
  request.body = "query=%x";
  EXPECT_THAT(request.FormOrQuery("query"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(request.FormAndQuery().status().message(), HasSubstr("invalid form body"));
}

TEST(RequestTest, ShuttingDownFollowsTheFlag) {
  std::atomic<bool> flag{false};
  Request request;
  request.shutting_down = &flag;
  EXPECT_FALSE(request.ShuttingDown());
  flag = true;
  EXPECT_TRUE(request.ShuttingDown());
}

}  // namespace
}  // namespace cardinalsin::http
