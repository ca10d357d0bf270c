#include "promql/lexer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::promql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void AppendUtf8(std::string& out, uint32_t rune) {
  if (rune < 0x80) {
    out.push_back(static_cast<char>(rune));
  } else if (rune < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (rune >> 6)));
    out.push_back(static_cast<char>(0x80 | (rune & 0x3F)));
  } else if (rune < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (rune >> 12)));
    out.push_back(static_cast<char>(0x80 | ((rune >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (rune & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (rune >> 18)));
    out.push_back(static_cast<char>(0x80 | ((rune >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((rune >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (rune & 0x3F)));
  }
}

// Milliseconds per duration unit.
struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr Unit kUnits[] = {
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
};

// Length of the duration unit at the start of `s` (0 if none); "ms" wins over "m".
size_t UnitLength(std::string_view s) {
  if (s.size() >= 2 && s[0] == 'm' && s[1] == 's') return 2;
  if (!s.empty() &&
      (s[0] == 'y' || s[0] == 'w' || s[0] == 'd' || s[0] == 'h' || s[0] == 'm' || s[0] == 's')) {
    return 1;
  }
  return 0;
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token token;
      token.pos = static_cast<int32_t>(pos_);
      if (pos_ >= input_.size()) {
        token.kind = TokenKind::kEof;
        tokens.push_back(std::move(token));
        return tokens;
      }
      CS_RETURN_IF_ERROR(Next(token));
      token.text = input_.substr(static_cast<size_t>(token.pos), pos_ - token.pos);
      tokens.push_back(std::move(token));
    }
  }

 private:
  void SkipSpaceAndComments() {
    while (pos_ < input_.size()) {
      char c = input_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < input_.size() && input_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  absl::Status Error(size_t pos, std::string_view message) const {
    return ParseError(input_, static_cast<int32_t>(pos), message);
  }

  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < input_.size() ? input_[pos_ + ahead] : '\0';
  }

  absl::Status Next(Token& token) {
    char c = input_[pos_];
    auto single = [&](TokenKind kind) {
      token.kind = kind;
      ++pos_;
      return absl::OkStatus();
    };
    auto pair = [&](TokenKind kind) {
      token.kind = kind;
      pos_ += 2;
      return absl::OkStatus();
    };
    switch (c) {
      case '(':
        return single(TokenKind::kLeftParen);
      case ')':
        return single(TokenKind::kRightParen);
      case '{':
        ++brace_depth_;
        return single(TokenKind::kLeftBrace);
      case '}':
        if (brace_depth_ > 0) --brace_depth_;
        return single(TokenKind::kRightBrace);
      case '[':
        ++bracket_depth_;
        return single(TokenKind::kLeftBracket);
      case ']':
        if (bracket_depth_ > 0) --bracket_depth_;
        return single(TokenKind::kRightBracket);
      case ',':
        return single(TokenKind::kComma);
      case '@':
        return single(TokenKind::kAt);
      case '+':
        return single(TokenKind::kAdd);
      case '-':
        return single(TokenKind::kSub);
      case '*':
        return single(TokenKind::kMul);
      case '/':
        return single(TokenKind::kDiv);
      case '%':
        return single(TokenKind::kMod);
      case '^':
        return single(TokenKind::kPow);
      case '=':
        if (Peek(1) == '=') return pair(TokenKind::kEqlc);
        if (Peek(1) == '~') return pair(TokenKind::kRegexMatch);
        return single(TokenKind::kAssign);
      case '!':
        if (Peek(1) == '=') return pair(TokenKind::kNeq);
        if (Peek(1) == '~') return pair(TokenKind::kRegexNoMatch);
        return Error(pos_, "unexpected character after '!': expected '=' or '~'");
      case '<':
        if (Peek(1) == '=') return pair(TokenKind::kLte);
        if (Peek(1) == '/') return pair(TokenKind::kTrimUpper);
        return single(TokenKind::kLss);
      case '>':
        if (Peek(1) == '=') return pair(TokenKind::kGte);
        if (Peek(1) == '/') return pair(TokenKind::kTrimLower);
        return single(TokenKind::kGtr);
      case '"':
      case '\'':
        return LexQuoted(token, c);
      case '`':
        return LexRaw(token);
      case ':':
        if (bracket_depth_ > 0) return single(TokenKind::kColon);
        return LexIdentifier(token);
      default:
        break;
    }
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumber(token);
    if (IsAlpha(c)) return LexIdentifier(token);
    if (static_cast<unsigned char>(c) >= 0x80) {
      return Error(pos_, "unexpected character: non-ASCII characters must be in a quoted string");
    }
    return Error(pos_, absl::StrFormat("unexpected character: %c", c));
  }

  absl::Status LexIdentifier(Token& token) {
    bool colon = false;
    while (pos_ < input_.size()) {
      char c = input_[pos_];
      if (IsAlnum(c)) {
        ++pos_;
      } else if (c == ':' && bracket_depth_ == 0) {
        colon = true;
        ++pos_;
      } else {
        break;
      }
    }
    std::string_view word = input_.substr(static_cast<size_t>(token.pos), pos_ - token.pos);
    std::string lower = absl::AsciiStrToLower(base::AsAbsl(word));
    // Inf and NaN are numbers, except inside braces where only label names stand (as in
    // Prometheus: `{inf="x"}` matches a label, `by (inf)` is an error).
    if (!colon && brace_depth_ == 0 && (lower == "inf" || lower == "nan")) {
      token.kind = TokenKind::kNumber;
      token.number = lower == "inf" ? std::numeric_limits<double>::infinity()
                                    : std::numeric_limits<double>::quiet_NaN();
      return absl::OkStatus();
    }
    token.kind = colon ? TokenKind::kMetricIdentifier : TokenKind::kIdentifier;
    return absl::OkStatus();
  }

  absl::Status LexNumber(Token& token) {
    const size_t start = pos_;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) {
      pos_ += 2;
      size_t digits = pos_;
      while (IsHex(Peek())) ++pos_;
      if (pos_ == digits || IsAlnum(Peek())) return BadNumber(start);
      double value = 0;
      for (size_t i = digits; i < pos_; ++i) value = value * 16 + HexValue(input_[i]);
      token.kind = TokenKind::kNumber;
      token.number = value;
      return absl::OkStatus();
    }
    while (IsDigit(Peek())) ++pos_;
    bool integer = true;
    // A duration: integer digits directly followed by a unit.
    if (UnitLength(input_.substr(pos_)) > 0) {
      pos_ = start;
      return LexDuration(token);
    }
    if (Peek() == '.') {
      integer = false;
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t save = pos_;
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) {
        pos_ = save;
      } else {
        integer = false;
        while (IsDigit(Peek())) ++pos_;
      }
    }
    if (IsAlnum(Peek()) || Peek() == '.') {
      while (IsAlnum(Peek()) || Peek() == '.') ++pos_;
      return BadNumber(start);
    }
    std::string text(input_.substr(start, pos_ - start));
    token.kind = TokenKind::kNumber;
    // Go's ParseInt with base 0 reads a leading 0 as octal; Prometheus tries that first.
    if (integer && text.size() > 1 && text[0] == '0') {
      bool octal = true;
      double value = 0;
      for (char c : text) {
        if (c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal) {
        token.number = value;
        return absl::OkStatus();
      }
    }
    char* end = nullptr;
    token.number = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return BadNumber(start);
    return absl::OkStatus();
  }

  absl::Status LexDuration(Token& token) {
    const size_t start = pos_;
    while (IsDigit(Peek())) {
      while (IsDigit(Peek())) ++pos_;
      size_t unit = UnitLength(input_.substr(pos_));
      if (unit == 0) return BadNumber(start);
      pos_ += unit;
    }
    if (IsAlnum(Peek()) || Peek() == '.') {
      while (IsAlnum(Peek()) || Peek() == '.') ++pos_;
      return BadNumber(start);
    }
    absl::StatusOr<int64_t> ms = ParseDurationMs(input_.substr(start, pos_ - start));
    if (!ms.ok()) return Error(start, std::string(ms.status().message()));
    token.kind = TokenKind::kDuration;
    token.duration_ms = *ms;
    token.number = static_cast<double>(*ms) / 1000.0;
    return absl::OkStatus();
  }

  absl::Status BadNumber(size_t start) {
    return Error(start, absl::StrFormat("bad number or duration syntax: \"%s\"",
                                        base::AsAbsl(input_.substr(start, pos_ - start))));
  }

  absl::Status LexRaw(Token& token) {
    const size_t start = pos_;
    ++pos_;
    while (pos_ < input_.size() && input_[pos_] != '`') ++pos_;
    if (pos_ >= input_.size()) return Error(start, "unterminated raw string");
    token.value = std::string(input_.substr(start + 1, pos_ - start - 1));
    ++pos_;
    token.kind = TokenKind::kString;
    return absl::OkStatus();
  }

  absl::Status LexQuoted(Token& token, char quote) {
    const size_t start = pos_;
    ++pos_;
    std::string& out = token.value;
    while (true) {
      if (pos_ >= input_.size() || input_[pos_] == '\n') {
        return Error(start, "unterminated quoted string");
      }
      char c = input_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      const size_t escape = pos_;
      ++pos_;
      if (pos_ >= input_.size()) return Error(start, "unterminated quoted string");
      char e = input_[pos_++];
      switch (e) {
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
        case '"':
          if (e != quote) return Error(escape, "unknown escape sequence in quoted string");
          out.push_back(e);
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          uint32_t value = 0;
          for (int i = 0; i < n; ++i) {
            if (!IsHex(Peek())) return Error(escape, "invalid escape sequence in quoted string");
            value = value * 16 + static_cast<uint32_t>(HexValue(input_[pos_++]));
          }
          if (e == 'x') {
            out.push_back(static_cast<char>(value));
          } else {
            if (value > 0x10FFFF || (value >= 0xD800 && value < 0xE000)) {
              return Error(escape, "escape sequence is an invalid Unicode code point");
            }
            AppendUtf8(out, value);
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t value = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2; ++i) {
              if (Peek() < '0' || Peek() > '7') {
                return Error(escape, "invalid escape sequence in quoted string");
              }
              value = value * 8 + static_cast<uint32_t>(input_[pos_++] - '0');
            }
            if (value > 255) return Error(escape, "octal escape value > 255");
            out.push_back(static_cast<char>(value));
            break;
          }
          return Error(escape, "unknown escape sequence in quoted string");
      }
    }
    token.kind = TokenKind::kString;
    return absl::OkStatus();
  }

  std::string_view input_;
  size_t pos_ = 0;
  int bracket_depth_ = 0;
  int brace_depth_ = 0;
};

}  // namespace

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEof:
      return "<EOF>";
    case TokenKind::kIdentifier:
      return absl::StrFormat("identifier \"%s\"", base::AsAbsl(token.text));
    case TokenKind::kMetricIdentifier:
      return absl::StrFormat("metric identifier \"%s\"", base::AsAbsl(token.text));
    case TokenKind::kNumber:
      return absl::StrFormat("number \"%s\"", base::AsAbsl(token.text));
    case TokenKind::kDuration:
      return absl::StrFormat("duration \"%s\"", base::AsAbsl(token.text));
    case TokenKind::kString:
      return absl::StrFormat("string %s", base::AsAbsl(token.text));
    case TokenKind::kLeftParen:
      return "\"(\"";
    case TokenKind::kRightParen:
      return "\")\"";
    case TokenKind::kLeftBrace:
      return "\"{\"";
    case TokenKind::kRightBrace:
      return "\"}\"";
    case TokenKind::kLeftBracket:
      return "\"[\"";
    case TokenKind::kRightBracket:
      return "\"]\"";
    case TokenKind::kComma:
      return "\",\"";
    case TokenKind::kColon:
      return "\":\"";
    case TokenKind::kAt:
      return "\"@\"";
    default:
      return absl::StrFormat("<op:%s>", base::AsAbsl(token.text));
  }
}

std::string PositionString(std::string_view input, int32_t pos) {
  int line = 1;
  size_t line_start = 0;
  size_t limit = std::min(static_cast<size_t>(pos < 0 ? 0 : pos), input.size());
  for (size_t i = 0; i < limit; ++i) {
    if (input[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrFormat("%d:%d", line, static_cast<int>(limit - line_start) + 1);
}

absl::Status ParseError(std::string_view input, int32_t pos, std::string_view message) {
  return absl::InvalidArgumentError(
      base::StrCat(PositionString(input, pos), ": parse error: ", message));
}

absl::StatusOr<std::vector<Token>> Lex(std::string_view input) { return Lexer(input).Run(); }

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty duration string");
  size_t pos = 0;
  int64_t total = 0;
  size_t last_unit = 0;  // index into kUnits + 1 of the previous unit; units must descend
  while (pos < text.size()) {
    size_t digits = pos;
    int64_t value = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        return absl::InvalidArgumentError(
            absl::StrFormat("duration out of range: \"%s\"", base::AsAbsl(text)));
      }
      value = value * 10 + (text[pos] - '0');
      ++pos;
    }
    size_t unit_len = UnitLength(text.substr(pos));
    if (pos == digits || unit_len == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("not a valid duration string: \"%s\"", base::AsAbsl(text)));
    }
    std::string_view unit = text.substr(pos, unit_len);
    pos += unit_len;
    size_t index = 0;
    while (kUnits[index].name != unit) ++index;
    if (index + 1 <= last_unit) {
      return absl::InvalidArgumentError(
          absl::StrFormat("not a valid duration string: \"%s\"", base::AsAbsl(text)));
    }
    last_unit = index + 1;
    if (value > std::numeric_limits<int64_t>::max() / kUnits[index].ms ||
        total > std::numeric_limits<int64_t>::max() - value * kUnits[index].ms) {
      return absl::InvalidArgumentError(
          absl::StrFormat("duration out of range: \"%s\"", base::AsAbsl(text)));
    }
    total += value * kUnits[index].ms;
  }
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t rest;
  if (ms < 0) {
    out.push_back('-');
    rest = static_cast<uint64_t>(-(ms + 1)) + 1;
  } else {
    rest = static_cast<uint64_t>(ms);
  }
  for (const Unit& unit : kUnits) {
    uint64_t n = rest / static_cast<uint64_t>(unit.ms);
    if (n > 0) {
      base::StrAppend(&out, n, unit.name);
      rest -= n * static_cast<uint64_t>(unit.ms);
    }
  }
  return out;
}

}  // namespace cardinalsin::promql
