// File: lexer.h
//
// Splits PromQL text into tokens. Keywords (by, without, on, offset, and, sum, ...) are returned
// as kIdentifier: the parser decides by context, case-insensitively like Prometheus. `Inf` and
// `NaN` (any case) are numbers.
//
//   absl::StatusOr<std::vector<Token>> tokens = Lex("rate(foo[5m])");
//
// Token rules:
// - numbers: decimal (`1`, `1.5`, `.5`, `2.`, `1e-3`), hexadecimal (`0x1F`), octal integers
//   (`010` is 8, as with Go's ParseInt base 0), Inf, NaN;
// - durations: one or more <integer><unit> with units y w d h m s ms in descending order, each
//   at most once (`1h30m`); value in milliseconds;
// - strings: "..." and '...' with Go escapes (\a \b \f \n \r \t \v \\ \' or \" \xNN \NNN \uNNNN
//   \UNNNNNNNN), `...` raw; the token's value is the unquoted text (bytes, not checked for UTF-8
//   here: the parser checks quoted metric and label names);
// - identifiers: [a-zA-Z_][a-zA-Z0-9_:]* (colons, and a leading colon, only outside brackets,
//   where ':' separates a subquery's range and step); kMetricIdentifier when it has a colon;
// - `#` starts a comment to the end of the line.
//
// Errors are InvalidArgument "<line>:<col>: parse error: <what>" like the parser's.
//
// Thread-safety: Lex is a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cardinalsin::promql {

enum class TokenKind {
  kEof,
  kIdentifier,
  kMetricIdentifier,
  kNumber,
  kDuration,
  kString,
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kColon,
  kAt,
  kAssign,        // =
  kEqlc,          // ==
  kNeq,           // !=
  kRegexMatch,    // =~
  kRegexNoMatch,  // !~
  kLss,
  kGtr,
  kLte,
  kGte,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kTrimUpper,  // </  (experimental native histogram trimming)
  kTrimLower,  // >/
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  int32_t pos = 0;          // byte offset of the first character
  std::string_view text;    // the source text of the token (views the lexed input)
  std::string value;        // kString: the unquoted value
  double number = 0;        // kNumber: the value; kDuration: seconds
  int64_t duration_ms = 0;  // kDuration
};

// Prometheus-style description of a token for error messages: `identifier "foo"`, `number "1"`,
// `"("`, `<EOF>`.
std::string DescribeToken(const Token& token);

// "<line>:<col>" of byte offset `pos` in `input` (both 1-based; col counts bytes).
std::string PositionString(std::string_view input, int32_t pos);

// InvalidArgument "<line>:<col>: parse error: <message>".
absl::Status ParseError(std::string_view input, int32_t pos, std::string_view message);

// Tokenizes `input`; the last token is kEof. The tokens view `input`, which must outlive them.
[[nodiscard]] absl::StatusOr<std::vector<Token>> Lex(std::string_view input);

// Parses a Prometheus duration such as "1h30m" or "500ms" into milliseconds. InvalidArgument
// if it is not one.
[[nodiscard]] absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

// Prints milliseconds the way Prometheus prints durations: "1h30m", "500ms", "0s"; negative
// values get a leading '-'.
std::string FormatDurationMs(int64_t ms);

}  // namespace cardinalsin::promql
