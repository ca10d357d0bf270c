#include "promql/lexer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/testing/status_matchers.h"

namespace cardinalsin::promql {
namespace {

std::string Kinds(std::string_view input) {
  absl::StatusOr<std::vector<Token>> tokens = Lex(input);
  if (!tokens.ok()) return "ERROR " + std::string(tokens.status().message());
  std::string out;
  for (const Token& t : *tokens) {
    if (!out.empty()) out += " ";
    out += DescribeToken(t);
  }
  return out;
}

TEST(LexerTest, TokenKinds) {
  EXPECT_EQ(Kinds("rate(foo[5m])"),
            "identifier \"rate\" \"(\" identifier \"foo\" \"[\" duration \"5m\" \"]\" \")\" <EOF>");
  EXPECT_EQ(Kinds("a:b{c=~'x'}"),
            "metric identifier \"a:b\" \"{\" identifier \"c\" <op:=~> string 'x' \"}\" <EOF>");
  EXPECT_EQ(Kinds("x[1h:5m]"),
            "identifier \"x\" \"[\" duration \"1h\" \":\" duration \"5m\" \"]\" <EOF>");
  EXPECT_EQ(Kinds("== != <= >= < > =~ !~ = </ >/ ^ % @"),
            "<op:==> <op:!=> <op:<=> <op:>=> <op:<> <op:>> <op:=~> <op:!~> <op:=> <op:</> "
            "<op:>/> <op:^> <op:%> \"@\" <EOF>");
  EXPECT_EQ(Kinds("Inf nan 1e3"), "number \"Inf\" number \"nan\" number \"1e3\" <EOF>");
  EXPECT_EQ(Kinds("a # comment ) (\nb"), "identifier \"a\" identifier \"b\" <EOF>");
  EXPECT_EQ(Kinds("!a"),
            "ERROR 1:1: parse error: unexpected character after '!': expected '=' "
            "or '~'");
  EXPECT_EQ(Kinds("é"),
            "ERROR 1:1: parse error: unexpected character: non-ASCII characters "
            "must be in a quoted string");
  EXPECT_EQ(Kinds("\"a\nb\""), "ERROR 1:1: parse error: unterminated quoted string");
  EXPECT_EQ(Kinds("'\\u12'"), "ERROR 1:2: parse error: invalid escape sequence in quoted string");
  EXPECT_EQ(Kinds("'\\ud800'"),
            "ERROR 1:2: parse error: escape sequence is an invalid Unicode code point");
  EXPECT_EQ(Kinds("'\\400'"), "ERROR 1:2: parse error: octal escape value > 255");
  EXPECT_EQ(Kinds("0x"), "ERROR 1:1: parse error: bad number or duration syntax: \"0x\"");
  EXPECT_EQ(Kinds("1.2.3"), "ERROR 1:1: parse error: bad number or duration syntax: \"1.2.3\"");
}

TEST(LexerTest, NumberValues) {
  struct Case {
    std::string_view text;
    double value;
  };
  const Case cases[] = {{"1", 1},     {"1.5", 1.5},   {".5", 0.5},   {"2.", 2},
                        {"1e3", 1e3}, {"1E-2", 0.01}, {"0x1f", 31},  {"0XFF", 255},
                        {"010", 8},   {"019", 19},    {"0.10", 0.1}, {"00", 0}};
  for (const Case& c : cases) {
    CS_ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, Lex(c.text));
    ASSERT_EQ(tokens[0].kind, TokenKind::kNumber) << c.text;
    EXPECT_EQ(tokens[0].number, c.value) << c.text;
  }
  CS_ASSERT_OK_AND_ASSIGN(std::vector<Token> inf, Lex("INF"));
  EXPECT_TRUE(std::isinf(inf[0].number));
}

TEST(LexerTest, StringEscapes) {
  CS_ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens,
                          Lex(R"("a\tb\\\"\x41\101\u00e9\U0001F600" 'it\'s' `raw\n`)"));
  EXPECT_EQ(tokens[0].value, "a\tb\\\"AA\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(tokens[1].value, "it's");
  EXPECT_EQ(tokens[2].value, "raw\\n");
}

TEST(LexerTest, Durations) {
  struct Case {
    std::string_view text;
    int64_t ms;
  };
  const Case cases[] = {{"5m", 300000},      {"1h30m", 5400000}, {"500ms", 500},
                        {"1y", 31536000000}, {"2w", 1209600000}, {"1d12h", 129600000},
                        {"10s53ms", 10053},  {"0s", 0}};
  for (const Case& c : cases) {
    CS_ASSERT_OK_AND_ASSIGN(int64_t ms, ParseDurationMs(c.text));
    EXPECT_EQ(ms, c.ms) << c.text;
    EXPECT_EQ(FormatDurationMs(ms), c.ms == 129600000 ? "1d12h" : std::string(c.text)) << c.text;
  }
  EXPECT_EQ(FormatDurationMs(90 * 60 * 1000), "1h30m");
  EXPECT_EQ(FormatDurationMs(-1500), "-1s500ms");
  EXPECT_EQ(FormatDurationMs(7 * 86400000LL), "1w");
  for (std::string_view bad : {"", "5", "m", "1m1h", "1s1s", "5x", "99999999999999999999y"}) {
    EXPECT_FALSE(ParseDurationMs(bad).ok()) << bad;
  }
}

TEST(LexerTest, PositionsCountLinesAndColumns) {
  EXPECT_EQ(PositionString("abc", 0), "1:1");
  EXPECT_EQ(PositionString("abc", 3), "1:4");
  EXPECT_EQ(PositionString("a\nbc\nd", 4), "2:3");
  EXPECT_EQ(PositionString("a\nbc\nd", 5), "3:1");
}

}  // namespace
}  // namespace cardinalsin::promql
