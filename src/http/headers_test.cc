#include "http/headers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

TEST(HeadersTest, LookupIgnoresCase) {
  Headers headers;
  headers.Add("Content-Type", "text/plain");
  EXPECT_THAT(headers.Get("content-type"), Optional(std::string_view("text/plain")));
  EXPECT_THAT(headers.Get("CONTENT-TYPE"), Optional(std::string_view("text/plain")));
  EXPECT_TRUE(headers.Has("Content-type"));
  EXPECT_FALSE(headers.Get("Content-Length").has_value());
  EXPECT_EQ(headers.GetOr("Content-Length", "none"), "none");
}

TEST(HeadersTest, RepeatedFieldsKeepOrder) {
  Headers headers = {{"Vary", "a"}, {"X-Other", "x"}, {"vary", "b"}};
  EXPECT_THAT(headers.GetAll("VARY"), ElementsAre("a", "b"));
  EXPECT_THAT(headers.Get("Vary"), Optional(std::string_view("a")));
  EXPECT_EQ(headers.size(), 3u);
}

TEST(HeadersTest, SetReplacesEveryField) {
  Headers headers = {{"Vary", "a"}, {"vary", "b"}};
  headers.Set("VARY", "c");
  EXPECT_THAT(headers.GetAll("vary"), ElementsAre("c"));
  EXPECT_EQ(headers.size(), 1u);
}

TEST(HeadersTest, SetIfAbsentAndRemove) {
  Headers headers;
  headers.SetIfAbsent("Allow", "GET");
  headers.SetIfAbsent("allow", "POST");
  EXPECT_THAT(headers.GetAll("Allow"), ElementsAre("GET"));
  headers.Remove("ALLOW");
  EXPECT_TRUE(headers.empty());
}

TEST(HeadersTest, EqualsIgnoreCase) {
  EXPECT_TRUE(EqualsIgnoreCase("gzip", "GZip"));
  EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzip "));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
}

}  // namespace
}  // namespace cardinalsin::http
