#include "sql/lexer.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::sql {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

// "<kind>:<value or text>@<offset>:<line>:<column>" for every token up to the end.
absl::StatusOr<std::vector<std::string>> Lex(std::string_view sql) {
  Lexer lexer(sql);
  std::vector<std::string> out;
  while (true) {
    absl::StatusOr<Token> token = lexer.Next();
    if (!token.ok()) return token.status();
    if (token->kind == TokenKind::kEnd) return out;
    std::string kind;
    std::string payload(token->text);
    switch (token->kind) {
      case TokenKind::kIdentifier:
        kind = token->quoted ? "qid" : "id";
        payload = token->value;
        break;
      case TokenKind::kString:
        kind = "str";
        payload = token->value;
        break;
      case TokenKind::kInteger:
        kind = "int";
        break;
      case TokenKind::kDecimal:
        kind = "dec";
        break;
      case TokenKind::kParameter:
        kind = "param";
        break;
      case TokenKind::kOperator:
        kind = "op";
        break;
      case TokenKind::kEnd:
        break;
    }
    out.push_back(kind + ":" + payload + "@" + std::to_string(token->location.offset) + ":" +
                  std::to_string(token->location.line) + ":" +
                  std::to_string(token->location.column));
  }
}

struct LexCase {
  std::string_view sql;
  std::vector<std::string> tokens;
};

class LexerTokensTest : public ::testing::TestWithParam<LexCase> {};

TEST_P(LexerTokensTest, Tokens) {
  CS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> tokens, Lex(GetParam().sql));
  EXPECT_EQ(tokens, GetParam().tokens) << GetParam().sql;
}

INSTANTIATE_TEST_SUITE_P(
    All, LexerTokensTest,
    ::testing::Values(
        LexCase{"", {}}, LexCase{"  \t\n ", {}},
        LexCase{"SELECT Foo_1, \"Mixed Case\"",
                {"id:select@0:1:1", "id:foo_1@7:1:8", "op:,@12:1:13", "qid:Mixed Case@14:1:15"}},
        LexCase{"\"a\"\"b\"", {"qid:a\"b@0:1:1"}},
        LexCase{"'it''s' ''", {"str:it's@0:1:1", "str:@8:1:9"}},
        LexCase{"'multi\nline' x", {"str:multi\nline@0:1:1", "id:x@13:2:7"}},
        LexCase{"1 12.5 .5 1. 1e9 2.5E-3 7e+2",
                {"int:1@0:1:1", "dec:12.5@2:1:3", "dec:.5@7:1:8", "dec:1.@10:1:11",
                 "dec:1e9@13:1:14", "dec:2.5E-3@17:1:18", "dec:7e+2@24:1:25"}},
        LexCase{"= <> != < <= > >= + - * / % || ~ ~* !~ !~* ::",
                {"op:=@0:1:1", "op:<>@2:1:3", "op:!=@5:1:6", "op:<@8:1:9", "op:<=@10:1:11",
                 "op:>@13:1:14", "op:>=@15:1:16", "op:+@18:1:19", "op:-@20:1:21", "op:*@22:1:23",
                 "op:/@24:1:25", "op:%@26:1:27", "op:||@28:1:29", "op:~@31:1:32", "op:~*@33:1:34",
                 "op:!~@36:1:37", "op:!~*@39:1:40", "op:::@43:1:44"}},
        LexCase{"a<=-1", {"id:a@0:1:1", "op:<=@1:1:2", "op:-@3:1:4", "int:1@4:1:5"}},
        LexCase{"x::int", {"id:x@0:1:1", "op:::@1:1:2", "id:int@3:1:4"}},
        LexCase{"t.col", {"id:t@0:1:1", "op:.@1:1:2", "id:col@2:1:3"}},
        LexCase{"a -- comment\nb", {"id:a@0:1:1", "id:b@13:2:1"}},
        LexCase{"a /* x /* nested */ y */ b", {"id:a@0:1:1", "id:b@25:1:26"}},
        LexCase{"a--end", {"id:a@0:1:1"}},
        LexCase{"? $1 $65535", {"param:?@0:1:1", "param:$1@2:1:3", "param:$65535@5:1:6"}},
        LexCase{"(1);", {"op:(@0:1:1", "int:1@1:1:2", "op:)@2:1:3", "op:;@3:1:4"}},
        // Columns count code points: 'é' is two bytes, one column.
        LexCase{"'é' x", {"str:é@0:1:1", "id:x@5:1:5"}}, LexCase{"Émile", {"id:Émile@0:1:1"}},
        LexCase{"a$b", {"id:a$b@0:1:1"}}));

struct LexErrorCase {
  std::string_view sql;
  std::string_view message;
};

class LexerErrorTest : public ::testing::TestWithParam<LexErrorCase> {};

TEST_P(LexerErrorTest, Error) {
  absl::StatusOr<std::vector<std::string>> tokens = Lex(GetParam().sql);
  EXPECT_THAT(tokens.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, std::string(GetParam().message)))
      << GetParam().sql;
}

INSTANTIATE_TEST_SUITE_P(
    All, LexerErrorTest,
    ::testing::Values(
        LexErrorCase{"SELECT 'abc",
                     "syntax error at line 1, column 8: unterminated string literal"},
        LexErrorCase{"a\n  'it''s",
                     "syntax error at line 2, column 3: unterminated string literal"},
        LexErrorCase{"\"abc", "syntax error at line 1, column 1: unterminated quoted identifier"},
        LexErrorCase{"x \"\"", "syntax error at line 1, column 3: empty quoted identifier \"\""},
        LexErrorCase{"a /* b /* c */", "syntax error at line 1, column 3: unterminated /* comment"},
        LexErrorCase{"1e",
                     "syntax error at line 1, column 2: exponent without digits in number '1e'"},
        LexErrorCase{"1e+x",
                     "syntax error at line 1, column 2: exponent without digits in number '1e+'"},
        LexErrorCase{"123abc",
                     "syntax error at line 1, column 4: unexpected 'a' after number '123'"},
        LexErrorCase{"1.2.3",
                     "syntax error at line 1, column 4: unexpected '.' after number '1.2'"},
        LexErrorCase{"$0",
                     "syntax error at line 1, column 1: invalid parameter '$0': expected $1 to "
                     "$65535"},
        LexErrorCase{"$65536",
                     "syntax error at line 1, column 1: invalid parameter '$65536': expected $1 to "
                     "$65535"},
        LexErrorCase{"$",
                     "syntax error at line 1, column 1: invalid parameter '$': expected $1 to "
                     "$65535"},
        LexErrorCase{"$1a",
                     "syntax error at line 1, column 3: unexpected 'a' after parameter '$1'"},
        LexErrorCase{"a ! b", "syntax error at line 1, column 3: unexpected character '!'"},
        LexErrorCase{"a : b", "syntax error at line 1, column 3: unexpected character ':'"},
        LexErrorCase{"a\n\n  @", "syntax error at line 3, column 3: unexpected character '@'"},
        LexErrorCase{std::string_view("a \0 b", 5),
                     "syntax error at line 1, column 3: unexpected character byte 0x00"},
        LexErrorCase{"a \x01", "syntax error at line 1, column 3: unexpected character byte 0x01"},
        LexErrorCase{"'\xff'", "syntax error at line 1, column 2: invalid UTF-8 (byte 0xFF)"},
        // Overlong encoding of '/', and a UTF-16 surrogate.
        LexErrorCase{"x \xc0\xaf", "syntax error at line 1, column 3: invalid UTF-8 (byte 0xC0)"},
        LexErrorCase{"\xed\xa0\x80", "syntax error at line 1, column 1: invalid UTF-8 (byte 0xED)"},
        LexErrorCase{"ab\xe2\x82", "syntax error at line 1, column 3: invalid UTF-8 (byte 0xE2)"}));

TEST(LexerTest, EndRepeats) {
  Lexer lexer("x");
  CS_ASSERT_OK_AND_ASSIGN(Token x, lexer.Next());
  EXPECT_EQ(x.kind, TokenKind::kIdentifier);
  for (int i = 0; i < 3; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(Token end, lexer.Next());
    EXPECT_EQ(end.kind, TokenKind::kEnd);
    EXPECT_EQ(end.location.offset, 1u);
  }
}

TEST(LexerTest, HugeTokensAreLinear) {
  // A 1 MiB string and a 1 MiB number lex in one step each (the lexer has no size limit; the
  // parser does).
  std::string sql = "'" + std::string(1 << 20, 'x') + "'";
  CS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> tokens, Lex(sql));
  EXPECT_EQ(tokens.size(), 1u);
  std::string digits(1 << 20, '9');
  Lexer digits_lexer(digits);
  CS_ASSERT_OK_AND_ASSIGN(Token number, digits_lexer.Next());
  EXPECT_EQ(number.kind, TokenKind::kInteger);
  EXPECT_EQ(number.text.size(), digits.size());
}

TEST(LexerTest, DescribeTokenCutsLongText) {
  std::string sql = "'" + std::string(100, 'y') + "'";
  Lexer lexer(sql);
  CS_ASSERT_OK_AND_ASSIGN(Token token, lexer.Next());
  EXPECT_EQ(DescribeToken(token), "string '" + std::string(39, 'y') + "...");
  Lexer word_lexer(std::string_view(sql).substr(1, 50));
  CS_ASSERT_OK_AND_ASSIGN(Token word, word_lexer.Next());
  EXPECT_EQ(DescribeToken(word), "'" + std::string(40, 'y') + "...'");
  Token end;
  EXPECT_EQ(DescribeToken(end), "end of input");
}

TEST(LexerTest, LocateOffset) {
  const std::string_view sql = "ab\ncé\nx";
  EXPECT_EQ(LocateOffset(sql, 0).column, 1);
  EXPECT_EQ(LocateOffset(sql, 3).line, 2);
  EXPECT_EQ(LocateOffset(sql, 3).column, 1);
  EXPECT_EQ(LocateOffset(sql, 6).column, 3);  // after "cé"
  const SourceLocation end = LocateOffset(sql, 1000);
  EXPECT_EQ(end.offset, sql.size());
  EXPECT_EQ(end.line, 3);
  EXPECT_EQ(end.column, 2);
}

TEST(LexerTest, SyntaxErrorFormat) {
  EXPECT_THAT(
      SyntaxError(SourceLocation{5, 2, 3}, "boom"),
      StatusIs(absl::StatusCode::kInvalidArgument, "syntax error at line 2, column 3: boom"));
  EXPECT_THAT(SyntaxError(SourceLocation{}, "x").message(), HasSubstr("line 1, column 1"));
}

}  // namespace
}  // namespace cardinalsin::sql
