#include "base/json_string.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::base {
namespace {

TEST(JsonStringTest, EscapesAndReplacesInvalidUtf8) {
  struct Case {
    std::string input;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"plain", R"("plain")"},
      {"q\"b\\s/", R"("q\"b\\s/")"},
      {"\n\r\t\b\f", R"("\n\r\t\b\f")"},
      {std::string("nul\0x\x1f", 6), R"("nul\u0000x\u001f")"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"bad\xff", R"("bad\ufffd")"},
      {"cut\xe2\x82", R"("cut\ufffd\ufffd")"},
      {"surrogate\xed\xa0\x80", R"("surrogate\ufffd\ufffd\ufffd")"},
      {"overlong\xc0\xaf", R"("overlong\ufffd\ufffd")"},
      {"big\xf4\x90\x80\x80", R"("big\ufffd\ufffd\ufffd\ufffd")"},
      {"", R"("")"},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendJsonString(&out, c.input);
    EXPECT_EQ(out, c.want) << c.input;
    EXPECT_TRUE(nlohmann::json::accept(out)) << out;
  }
}

TEST(JsonStringTest, EscapedHasNoQuotes) {
  std::string out = "x";
  AppendJsonEscaped(&out, "a\"b");
  EXPECT_EQ(out, "xa\\\"b");
}

}  // namespace
}  // namespace cardinalsin::base
