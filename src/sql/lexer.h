// File: lexer.h
//
// The SQL tokenizer: turns query text into tokens, each with its byte offset, line and column.
//
// - Unquoted identifiers and keywords are folded to ASCII lower case (`SELECT` and `select` are
//   the same token); "double quoted" identifiers keep their exact spelling, with "" standing for
//   one double quote. Keywords are not a separate kind: the parser matches an unquoted identifier
//   by its folded text, so a quoted identifier is never a keyword.
// - String literals are '...' with '' standing for one quote (no backslash escapes, no E'...').
// - Numbers: 12, 1.5, .5, 1., 1e9, 2.5E-3. A number directly followed by a letter is an error.
// - Operators: = <> != < <= > >= + - * / % || ~ ~* !~ !~* :: and ( ) , . ; as punctuation.
// - Comments: -- to the end of the line, and /* ... */ (nested, as in PostgreSQL).
// - Parameters: `?` (numbered by the parser in order) and `$1`.. `$65535`.
// - The text must be valid UTF-8; bytes >= 0x80 may appear in identifiers as in PostgreSQL.
//
// Errors are InvalidArgument "syntax error at line L, column C: <problem>"; unterminated strings,
// quoted identifiers and comments name the position where they began. Lines and columns are
// 1-based; a column counts UTF-8 code points, so it matches what an editor shows.
//
// Thread-safety: a Lexer is not thread-safe; separate instances are independent.
//
//   Lexer lexer(sql);
//   while (true) {
//     CS_ASSIGN_OR_RETURN(Token token, lexer.Next());
//     if (token.kind == TokenKind::kEnd) break;
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cardinalsin::sql {

enum class TokenKind {
  kEnd,         // end of input; `text` is empty
  kIdentifier,  // `value` is the folded (unquoted) or exact (quoted) name
  kString,      // `value` is the unescaped contents
  kInteger,     // digits only; `text` holds them
  kDecimal,     // has a '.' or an exponent; `text` holds it
  kParameter,   // `?` or `$N`; `text` is the source spelling
  kOperator,    // one of the operators and punctuation listed above; `text` is its spelling
};

// Where a token or an AST node starts in the query text.
struct SourceLocation {
  size_t offset = 0;  // byte offset
  int line = 1;       // 1-based
  int column = 1;     // 1-based, in UTF-8 code points
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  // The token's bytes in the source (for strings and quoted identifiers, with the quotes). A view
  // into the text given to the Lexer.
  std::string_view text;
  // The decoded value of identifiers and strings; empty for other kinds.
  std::string value;
  bool quoted = false;  // kIdentifier only: it was written in double quotes
  SourceLocation location;

  // True if this is an unquoted identifier whose folded text is `keyword` (lower case).
  bool IsKeyword(std::string_view keyword) const {
    return kind == TokenKind::kIdentifier && !quoted && value == keyword;
  }
  // True if this is the operator or punctuation `op`.
  bool IsOperator(std::string_view op) const { return kind == TokenKind::kOperator && text == op; }
};

// Computes the line and column of byte `offset` in `sql` (as the Lexer does), for messages about
// AST nodes, which carry only their byte offset. Offsets past the end give the end position.
SourceLocation LocateOffset(std::string_view sql, size_t offset);

// Returns "syntax error at line L, column C: <message>" as an InvalidArgument status.
absl::Status SyntaxError(const SourceLocation& location, std::string_view message);

// Renders a token for an error message: `'text'`, `string 'text'` for a string literal, or
// "end of input". Text longer than 40 bytes is cut and ends in "...".
std::string DescribeToken(const Token& token);

// Produces the tokens of `sql` one at a time.
// Ownership: does not copy `sql`, which must outlive the Lexer and every Token it returns.
class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  // Returns the next token; after the last one, returns kEnd tokens forever.
  // Errors: InvalidArgument for an unexpected character, invalid UTF-8, an unterminated string,
  // quoted identifier or comment, an empty quoted identifier, a malformed number or parameter.
  [[nodiscard]] absl::StatusOr<Token> Next();

 private:
  absl::Status SkipSpaceAndComments();
  absl::StatusOr<Token> LexQuoted(char quote, Token token);
  absl::StatusOr<Token> LexNumber(Token token);
  absl::StatusOr<Token> LexParameter(Token token);
  absl::StatusOr<Token> LexOperator(Token token);
  // Moves past `n` bytes, keeping line and column current. REQUIRES: pos_ + n <= sql_.size().
  void Advance(size_t n);
  SourceLocation Here() const { return SourceLocation{pos_, line_, column_}; }

  std::string_view sql_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace cardinalsin::sql
