// File: parser.h
//
// The SQL parser: one statement of text to a syntax tree (ast.h). Recursive descent over the
// tokens of lexer.h, with the usual SQL operator precedence, loosest first:
//
//   OR < AND < NOT < comparison (= <> != < <= > >= ~ ~* !~ !~*), IS, IN, BETWEEN, LIKE, ILIKE
//      < || < + - < * / % < unary - + < ::
//
// All binary operators are left-associative (`a = b = c` is `(a = b) = c`).
//
// Statements:
//   query             [ ( ] SELECT ... [ UNION [ALL] ... ] [ORDER BY ...] [LIMIT n] [OFFSET n]
//   SHOW TABLES
//   DESCRIBE | DESC   table
//   EXPLAIN [ANALYZE] query
//
// Names: unquoted words are folded to lower case. These words are reserved: they cannot be
// column, table or function names or aliases without AS unless double-quoted: all and any as asc
// between by case cast cross desc distinct else end escape except exists false from full group
// having ilike in inner intersect is join left like limit natural not null offset on or order
// outer right select then true union using when where window with. (`left` and `right` may still
// be called as functions.) `interval`, `timestamp` and `date` are typed-literal prefixes only when
// a string literal follows, so columns may have those names.
//
// Errors are InvalidArgument with the position and what was expected and found, for example
//   syntax error at line 1, column 34: expected expression, found ')'
//
// Limits, so hostile text cannot exhaust the stack or memory:
// - kMaxQueryBytes of text;
// - kMaxNestingDepth levels of nesting: the statement's query is one level, and each nested
//   expression (in parentheses, a function's arguments, CASE, CAST, ...), subquery and prefix
//   operator (NOT, unary - and +) opens another, so `SELECT ((1))` uses four;
// - kMaxTreeHeight levels in the resulting tree (long AND/OR chains count one level per term).
// The tree takes at most about 200 bytes per byte of text.
//
// Thread-safety: Parse is a pure function; call it from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "sql/ast.h"

namespace cardinalsin::sql {

inline constexpr size_t kMaxQueryBytes = 1 << 20;
inline constexpr int kMaxNestingDepth = 256;
inline constexpr int kMaxTreeHeight = 1000;

// Parses exactly one statement, optionally followed by one `;`. Comments and whitespace may
// surround it.
// Errors: InvalidArgument for a syntax error, a limit exceeded, or text longer than
// kMaxQueryBytes.
[[nodiscard]] absl::StatusOr<Statement> Parse(std::string_view sql);

// True if `word` (lower case) is reserved (listed above).
bool IsReservedKeyword(std::string_view word);

}  // namespace cardinalsin::sql
