#include "sql/lexer.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace cardinalsin::sql {
namespace {

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentStart(char c) {
  return IsAsciiAlpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentPart(char c) { return IsIdentStart(c) || IsAsciiDigit(c) || c == '$'; }
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Returns the length of the UTF-8 sequence at s[0], or 0 if it is not a valid, shortest-form
// encoding of a scalar value.
size_t Utf8SequenceLength(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if (!IsContinuationByte(s[i])) return 0;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string DescribeByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x21 && b < 0x7F) return absl::StrFormat("'%c'", c);
  return absl::StrFormat("byte 0x%02X", b);
}

}  // namespace

SourceLocation LocateOffset(std::string_view sql, size_t offset) {
  SourceLocation location;
  const size_t end = std::min(offset, sql.size());
  for (size_t i = 0; i < end; ++i) {
    if (sql[i] == '\n') {
      ++location.line;
      location.column = 1;
    } else if (!IsContinuationByte(sql[i])) {
      ++location.column;
    }
  }
  location.offset = end;
  return location;
}

absl::Status SyntaxError(const SourceLocation& location, std::string_view message) {
  return absl::InvalidArgumentError(base::StrCat("syntax error at line ", location.line,
                                                 ", column ", location.column, ": ", message));
}

std::string DescribeToken(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of input";
  // A string shows with its own quotes; everything else is put in quotes.
  const bool is_string = token.kind == TokenKind::kString;
  const std::string_view quote = is_string ? "" : "'";
  const std::string_view prefix = is_string ? "string " : "";
  constexpr size_t kMaxShown = 40;
  if (token.text.size() <= kMaxShown) return base::StrCat(prefix, quote, token.text, quote);
  // Cut at a code point boundary so the message stays valid UTF-8.
  size_t cut = kMaxShown;
  while (cut > 0 && IsContinuationByte(token.text[cut])) --cut;
  return base::StrCat(prefix, quote, token.text.substr(0, cut), "...", quote);
}

void Lexer::Advance(size_t n) {
  for (size_t end = pos_ + n; pos_ < end; ++pos_) {
    if (sql_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else if (!IsContinuationByte(sql_[pos_])) {
      ++column_;
    }
  }
}

absl::Status Lexer::SkipSpaceAndComments() {
  while (pos_ < sql_.size()) {
    const char c = sql_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      Advance(1);
    } else if (c == '-' && pos_ + 1 < sql_.size() && sql_[pos_ + 1] == '-') {
      const size_t newline = sql_.find('\n', pos_);
      Advance((newline == std::string_view::npos ? sql_.size() : newline) - pos_);
    } else if (c == '/' && pos_ + 1 < sql_.size() && sql_[pos_ + 1] == '*') {
      const SourceLocation start = Here();
      Advance(2);
      // Nesting depth only counts; it needs no stack, so hostile input cannot exhaust one.
      size_t depth = 1;
      while (depth > 0) {
        if (pos_ + 1 >= sql_.size()) {
          return SyntaxError(start, "unterminated /* comment");
        }
        if (sql_[pos_] == '*' && sql_[pos_ + 1] == '/') {
          --depth;
          Advance(2);
        } else if (sql_[pos_] == '/' && sql_[pos_ + 1] == '*') {
          ++depth;
          Advance(2);
        } else {
          Advance(1);
        }
      }
    } else {
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Token> Lexer::Next() {
  if (pos_ == 0) {
    // Validate the whole text once, so every later step may assume well-formed UTF-8.
    for (size_t i = 0; i < sql_.size();) {
      const size_t n = Utf8SequenceLength(sql_.substr(i));
      if (n == 0) {
        return SyntaxError(
            LocateOffset(sql_, i),
            absl::StrFormat("invalid UTF-8 (byte 0x%02X)", static_cast<unsigned char>(sql_[i])));
      }
      i += n;
    }
  }
  if (auto status = SkipSpaceAndComments(); !status.ok()) return status;

  Token token;
  token.location = Here();
  if (pos_ >= sql_.size()) {
    token.kind = TokenKind::kEnd;
    token.text = sql_.substr(sql_.size());
    return token;
  }
  const char c = sql_[pos_];
  if (c == '\'' || c == '"') return LexQuoted(c, std::move(token));
  if (IsAsciiDigit(c) || (c == '.' && pos_ + 1 < sql_.size() && IsAsciiDigit(sql_[pos_ + 1]))) {
    return LexNumber(std::move(token));
  }
  if (IsIdentStart(c)) {
    size_t end = pos_ + 1;
    while (end < sql_.size() && IsIdentPart(sql_[end])) ++end;
    token.kind = TokenKind::kIdentifier;
    token.text = sql_.substr(pos_, end - pos_);
    token.value.assign(token.text);
    for (char& ch : token.value) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    Advance(end - pos_);
    return token;
  }
  if (c == '?' || c == '$') return LexParameter(std::move(token));
  return LexOperator(std::move(token));
}

absl::StatusOr<Token> Lexer::LexQuoted(char quote, Token token) {
  const size_t start = pos_;
  size_t i = pos_ + 1;
  while (true) {
    const size_t close = sql_.find(quote, i);
    if (close == std::string_view::npos) {
      return SyntaxError(token.location, quote == '\'' ? "unterminated string literal"
                                                       : "unterminated quoted identifier");
    }
    token.value.append(sql_.substr(i, close - i));
    if (close + 1 < sql_.size() && sql_[close + 1] == quote) {
      token.value.push_back(quote);
      i = close + 2;
      continue;
    }
    i = close + 1;
    break;
  }
  token.text = sql_.substr(start, i - start);
  if (quote == '\'') {
    token.kind = TokenKind::kString;
  } else {
    if (token.value.empty()) return SyntaxError(token.location, "empty quoted identifier \"\"");
    token.kind = TokenKind::kIdentifier;
    token.quoted = true;
  }
  Advance(i - start);
  return token;
}

absl::StatusOr<Token> Lexer::LexNumber(Token token) {
  size_t end = pos_;
  bool decimal = false;
  while (end < sql_.size() && IsAsciiDigit(sql_[end])) ++end;
  if (end < sql_.size() && sql_[end] == '.') {
    decimal = true;
    ++end;
    while (end < sql_.size() && IsAsciiDigit(sql_[end])) ++end;
  }
  if (end < sql_.size() && (sql_[end] == 'e' || sql_[end] == 'E')) {
    decimal = true;
    size_t digits = end + 1;
    if (digits < sql_.size() && (sql_[digits] == '+' || sql_[digits] == '-')) ++digits;
    if (digits >= sql_.size() || !IsAsciiDigit(sql_[digits])) {
      return SyntaxError(LocateOffset(sql_, end),
                         base::StrCat("exponent without digits in number '",
                                      sql_.substr(pos_, digits - pos_), "'"));
    }
    end = digits;
    while (end < sql_.size() && IsAsciiDigit(sql_[end])) ++end;
  }
  if (end < sql_.size() && (IsIdentPart(sql_[end]) || sql_[end] == '.')) {
    return SyntaxError(LocateOffset(sql_, end),
                       base::StrCat("unexpected ", DescribeByte(sql_[end]), " after number '",
                                    sql_.substr(pos_, end - pos_), "'"));
  }
  token.kind = decimal ? TokenKind::kDecimal : TokenKind::kInteger;
  token.text = sql_.substr(pos_, end - pos_);
  Advance(end - pos_);
  return token;
}

absl::StatusOr<Token> Lexer::LexParameter(Token token) {
  token.kind = TokenKind::kParameter;
  if (sql_[pos_] == '?') {
    token.text = sql_.substr(pos_, 1);
    Advance(1);
    return token;
  }
  size_t end = pos_ + 1;
  while (end < sql_.size() && IsAsciiDigit(sql_[end])) ++end;
  const std::string_view digits = sql_.substr(pos_ + 1, end - pos_ - 1);
  // $N with 1 <= N <= 65535 (PostgreSQL's limit); the digit-count check keeps the value small.
  int number = 0;
  if (digits.size() <= 5) {
    for (char d : digits) number = number * 10 + (d - '0');
  }
  if (digits.empty() || digits.size() > 5 || number < 1 || number > 65535) {
    return SyntaxError(token.location,
                       base::StrCat("invalid parameter '", sql_.substr(pos_, end - pos_),
                                    "': expected $1 to $65535"));
  }
  if (end < sql_.size() && IsIdentPart(sql_[end])) {
    return SyntaxError(LocateOffset(sql_, end),
                       base::StrCat("unexpected ", DescribeByte(sql_[end]), " after parameter '",
                                    sql_.substr(pos_, end - pos_), "'"));
  }
  token.text = sql_.substr(pos_, end - pos_);
  Advance(end - pos_);
  return token;
}

absl::StatusOr<Token> Lexer::LexOperator(Token token) {
  // Longest match first.
  static constexpr std::string_view kOperators[] = {
      "!~*", "<>", "!=", "<=", ">=", "||", "~*", "!~", "::", "=", "<", ">",
      "+",   "-",  "*",  "/",  "%",  "~",  "(",  ")",  ",",  ".", ";",
  };
  const std::string_view rest = sql_.substr(pos_);
  for (std::string_view op : kOperators) {
    if (rest.substr(0, op.size()) == op) {
      token.kind = TokenKind::kOperator;
      token.text = rest.substr(0, op.size());
      Advance(op.size());
      return token;
    }
  }
  return SyntaxError(token.location, base::StrCat("unexpected character ", DescribeByte(rest[0])));
}

}  // namespace cardinalsin::sql
