// File: parser.h
//
// The SQL parser: one statement of text to a syntax tree (ast.h). Recursive descent over the
// tokens of lexer.h, with precedence climbing for the usual SQL operator precedence, loosest
// first:
//
//   OR < AND < NOT < comparison (= <> != < <= > >= ~ ~* !~ !~*), IS, IN, BETWEEN, LIKE, ILIKE
//      < || < + - < * / % < unary - + < ::
//
// All binary operators are left-associative (`a = b = c` is `(a = b) = c`); a chain of ANDs or of
// ORs becomes one n-ary LogicalOp.
//
// Statements:
//   query             [ ( ] SELECT ... [ UNION [ALL] ... ] [ORDER BY ...] [LIMIT n] [OFFSET n]
//   SHOW TABLES
//   DESCRIBE | DESC   table
//   EXPLAIN [ANALYZE] query
//
// Not supported, each with its own error message: joins (a comma or JOIN after the FROM item),
// EXISTS, window functions (OVER), WITH, INTERSECT and EXCEPT.
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
// - kMaxQueryBytes of text (256 KiB, ClickHouse's default max_query_size);
// - kMaxNestingDepth levels of nesting: the statement's query is one level, and each nested
//   expression (in parentheses, a function's arguments, CASE, CAST, ...), subquery and prefix
//   operator (NOT, unary - and +) opens another, so `SELECT ((1))` uses four;
// - kMaxTreeHeight levels in the resulting tree. A chain of one operator adds a level per
//   operator (`1 + 2 + 3` is two levels), except AND and OR chains, which are one LogicalOp node
//   however long. Canonical SQL (format.h) nests at most two parser levels per tree level, so
//   with kMaxNestingDepth >= 2 * kMaxTreeHeight the formatted text of every tree the parser
//   returns parses again.
// Stack: a statement at the limits parses in 512 KB of stack in a release build and in 2 MB under
// ASan (GCC 12, measured in threads with fixed stack sizes; the worst shapes found are nested
// calls and CASEs with an extra parenthesis per level, `f((f((...))))`).
// The tree takes at most about 130 bytes per byte of text: a 256 KiB select list `1,1,1,...`, the
// worst case, peaks at 33 MB (measured with /usr/bin/time; a 256 KiB IN list at 22 MB).
//
// Thread-safety: Parse is a pure function; call it from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "sql/ast.h"

namespace cardinalsin::sql {

inline constexpr size_t kMaxQueryBytes = 256 << 10;
inline constexpr int kMaxNestingDepth = 256;
inline constexpr int kMaxTreeHeight = 128;
static_assert(kMaxNestingDepth >= 2 * kMaxTreeHeight, "canonical SQL must stay parseable");

// Parses exactly one statement, optionally followed by one `;`. Comments and whitespace may
// surround it.
// Errors: InvalidArgument for a syntax error, a limit exceeded, or text longer than
// kMaxQueryBytes.
[[nodiscard]] absl::StatusOr<Statement> Parse(std::string_view sql);

// True if `word` (lower case) is reserved (listed above).
bool IsReservedKeyword(std::string_view word);

}  // namespace cardinalsin::sql
