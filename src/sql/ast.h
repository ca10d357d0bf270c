// File: ast.h
//
// The syntax tree the parser (parser.h) produces and the binder consumes. It records what the
// user wrote, resolved nothing: names are not looked up, GROUP BY positions and aliases stay
// expressions, literals keep their text where the binder must interpret it (intervals,
// timestamps), and no constant is folded (`-5` is a unary minus applied to 5).
//
// Every node carries `pos`, the byte offset where it starts in the query text (sql::LocateOffset
// turns it into a line and column for messages).
//
// Ownership: a tree owns all of its nodes (std::unique_ptr); nodes hold no views into the query
// text, so a Statement outlives the string it was parsed from. Trees are move-only.
// Bounds: the parser guarantees every tree is at most kMaxTreeHeight levels tall (parser.h), so
// recursive walks over it are bounded.
// Thread-safety: immutable trees may be read from any number of threads.
//
//   CS_ASSIGN_OR_RETURN(Statement statement, Parse("SELECT a FROM t WHERE b > 1"));
//   const Query& query = std::get<Query>(statement.node);
//   const Select& select = *query.select;
//   if (const auto* op = select.where->As<BinaryOp>()) { ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cardinalsin::sql {

struct Expr;
struct Query;
struct Statement;
using ExprPtr = std::unique_ptr<Expr>;

// ---- Expressions ---------------------------------------------------------------------------

// `name` or `table.name`. Names are folded to lower case unless they were quoted.
struct ColumnRef {
  std::string table;  // empty when unqualified
  std::string name;
};

enum class LiteralKind {
  kNull,
  kBool,       // bool_value
  kInteger,    // int_value; a number without '.' or exponent that fits in int64
  kDouble,     // double_value; a decimal, or an integer literal too large for int64
  kString,     // text: the unescaped contents
  kInterval,   // INTERVAL 'text' [unit]: text as written, unit empty or one of kIntervalUnits
  kTimestamp,  // TIMESTAMP 'text': text as written, not validated
  kDate,       // DATE 'text': text as written, not validated
};

// The unit words accepted after INTERVAL '...' (the SQL-standard `interval '1' hour` form).
inline constexpr const char* kIntervalUnits[] = {
    "year", "month", "week", "day", "hour", "minute", "second", "millisecond", "microsecond",
};

struct Literal {
  LiteralKind kind = LiteralKind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string text;
  std::string interval_unit;  // kInterval only; lower case; empty when the text holds the unit
};

// `?` or `$N`. `?` markers are numbered 1, 2, ... in order of appearance; one statement uses one
// style.
struct Parameter {
  enum class Style { kQuestionMark, kDollar };
  Style style = Style::kQuestionMark;
  int index = 0;  // 1-based
};

enum class UnaryOperator { kNot, kMinus, kPlus };

// AND and OR are LogicalOp, not BinaryOp.
enum class BinaryOperator {
  kEq,                        // =
  kNotEq,                     // <> and !=
  kLt,                        // <
  kLtEq,                      // <=
  kGt,                        // >
  kGtEq,                      // >=
  kConcat,                    // ||
  kAdd,                       // +
  kSubtract,                  // -
  kMultiply,                  // *
  kDivide,                    // /
  kModulo,                    // %
  kRegexMatch,                // ~
  kRegexMatchInsensitive,     // ~*
  kRegexNotMatch,             // !~
  kRegexNotMatchInsensitive,  // !~*
};

enum class LogicalOperator { kAnd, kOr };

// The SQL spelling of an operator ("NOT", "<>", "~*", "AND").
const char* OperatorSymbol(UnaryOperator op);
const char* OperatorSymbol(BinaryOperator op);
const char* OperatorSymbol(LogicalOperator op);

struct UnaryOp {
  UnaryOperator op;
  ExprPtr operand;
};

struct BinaryOp {
  BinaryOperator op;
  ExprPtr left;
  ExprPtr right;
};

// `a AND b AND c` or `a OR b OR c`: a chain of one operator without parentheses is one node with
// all its operands (at least two), so long chains stay shallow and conjuncts are easy to split.
// `(a AND b) AND c` keeps the inner node.
struct LogicalOp {
  LogicalOperator op;
  std::vector<ExprPtr> operands;
};

// `operand IS [NOT] NULL`.
struct IsNull {
  ExprPtr operand;
  bool negated = false;
};

// `operand [NOT] IN (v1, v2, ...)`; at least one value.
struct InList {
  ExprPtr operand;
  std::vector<ExprPtr> values;
  bool negated = false;
};

// `operand [NOT] IN (SELECT ...)`.
struct InSubquery {
  ExprPtr operand;
  std::unique_ptr<Query> subquery;
  bool negated = false;
};

// `operand [NOT] BETWEEN low AND high`.
struct Between {
  ExprPtr operand;
  ExprPtr low;
  ExprPtr high;
  bool negated = false;
};

// `operand [NOT] LIKE|ILIKE pattern [ESCAPE escape]`.
struct Like {
  ExprPtr operand;
  ExprPtr pattern;
  ExprPtr escape;  // null when absent
  bool negated = false;
  bool case_insensitive = false;  // ILIKE
};

// One ORDER BY item, in a query or in WITHIN GROUP (...).
struct OrderItem {
  enum class Nulls { kDefault, kFirst, kLast };
  ExprPtr expr;
  bool descending = false;
  Nulls nulls = Nulls::kDefault;
  size_t pos = 0;
};

// `name([DISTINCT] args [ORDER BY ...]) [WITHIN GROUP (ORDER BY ...)] [FILTER (WHERE ...)]`,
// or `name(*)`. The ORDER BY inside the parentheses orders an aggregate's input
// (`first_value(value ORDER BY timestamp)`). COALESCE, NULLIF, now(), date_trunc, ... are all
// plain calls; the binder knows them.
struct FunctionCall {
  std::string name;  // folded to lower case unless quoted
  std::vector<ExprPtr> args;
  bool distinct = false;
  bool star = false;                    // count(*): args is empty
  std::vector<OrderItem> order_by;      // empty when absent
  std::vector<OrderItem> within_group;  // empty when absent
  ExprPtr filter;                       // null when absent
};

// `CASE [operand] WHEN w THEN t ... [ELSE e] END`; at least one WHEN.
struct Case {
  struct When {
    ExprPtr condition;  // compared with `operand` in the simple form
    ExprPtr result;
  };
  ExprPtr operand;  // null for the searched form
  std::vector<When> whens;
  ExprPtr else_result;  // null when absent
};

// A type name as written in CAST / `::`: lower case words ("bigint", "double precision",
// "timestamp with time zone") and optional integer parameters (`varchar(10)`, `decimal(10, 2)`).
// The binder maps names to types.
struct TypeName {
  std::string name;
  std::vector<int64_t> params;
};

// `CAST(operand AS type)` or `operand::type`.
struct Cast {
  ExprPtr operand;
  TypeName type;
};

// `EXTRACT(field FROM operand)`; field is lower case ("hour", "epoch", ...), not validated.
struct Extract {
  std::string field;
  ExprPtr operand;
};

// `(SELECT ...)` used as a value.
struct ScalarSubquery {
  std::unique_ptr<Query> query;
};

struct Expr {
  using Node =
      std::variant<ColumnRef, Literal, Parameter, UnaryOp, BinaryOp, LogicalOp, IsNull, InList,
                   InSubquery, Between, Like, FunctionCall, Case, Cast, Extract, ScalarSubquery>;

  Node node;
  size_t pos = 0;
  // Levels in this subtree, counting a subquery's own levels: 1 for a leaf. At most
  // kMaxTreeHeight (parser.h).
  int height = 1;

  // The node as a T, or nullptr if it holds another kind.
  template <typename T>
  const T* As() const {
    return std::get_if<T>(&node);
  }
};

// ---- Queries -------------------------------------------------------------------------------

// One item of a select list: an expression with an optional alias, `*`, or `table.*`.
struct SelectItem {
  ExprPtr expr;  // null for `*` and `table.*`
  bool star = false;
  std::string star_table;  // `table` of `table.*`; empty for a bare `*`
  std::optional<std::string> alias;
  size_t pos = 0;
};

// What FROM reads: a (possibly schema-qualified) table or a subquery with an alias. Joins will
// add a kind here (left and right TableRefs and a condition); none is parsed yet.
struct TableRef {
  enum class Kind { kTable, kSubquery };
  Kind kind = Kind::kTable;
  std::vector<std::string> name;     // kTable: ["metrics"] or ["information_schema", "tables"]
  std::unique_ptr<Query> subquery;   // kSubquery
  std::optional<std::string> alias;  // required for kSubquery
  size_t pos = 0;
};

// SELECT [DISTINCT] items [FROM from] [WHERE where] [GROUP BY group_by] [HAVING having].
// ORDER BY / LIMIT / OFFSET belong to the enclosing Query.
struct Select {
  bool distinct = false;
  std::vector<SelectItem> items;
  std::optional<TableRef> from;   // absent in `SELECT 1 AS one`
  ExprPtr where;                  // null when absent
  std::vector<ExprPtr> group_by;  // expressions; positions (`1`) and aliases are resolved later
  ExprPtr having;                 // null when absent
  size_t pos = 0;
};

enum class SetOperator { kUnion, kUnionAll };

// A query expression: a Select, or `left UNION [ALL] right`, followed by the ORDER BY, LIMIT and
// OFFSET that apply to its whole result.
struct Query {
  enum class Kind { kSelect, kSetOperation };
  Kind kind = Kind::kSelect;
  std::unique_ptr<Select> select;                     // kSelect
  SetOperator set_operator = SetOperator::kUnionAll;  // kSetOperation
  std::unique_ptr<Query> left;                        // kSetOperation
  std::unique_ptr<Query> right;                       // kSetOperation
  std::vector<OrderItem> order_by;
  ExprPtr limit;   // null when absent
  ExprPtr offset;  // null when absent
  size_t pos = 0;
  int height = 1;  // as Expr::height
};

// ---- Statements ----------------------------------------------------------------------------

struct ShowTables {};

// DESCRIBE table.
struct Describe {
  std::vector<std::string> table;  // as in TableRef::name
};

// EXPLAIN [ANALYZE] query.
struct Explain {
  bool analyze = false;
  std::unique_ptr<Query> query;
};

struct Statement {
  std::variant<Query, ShowTables, Describe, Explain> node;
  size_t pos = 0;
  int num_parameters = 0;  // the highest parameter index used; 0 when there are none
};

}  // namespace cardinalsin::sql
