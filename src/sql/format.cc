#include "sql/format.h"

#include <charconv>
#include <cmath>
#include <string>

#include "base/strings.h"
#include "sql/parser.h"

namespace cardinalsin::sql {
namespace {

void AppendExpr(std::string* out, const Expr& expr);
void AppendQuery(std::string* out, const Query& query);

void AppendName(std::string* out, const std::vector<std::string>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out->push_back('.');
    out->append(QuoteIdentifier(parts[i]));
  }
}

void AppendDouble(std::string* out, double value) {
  // The parser never produces these (it has no negative or non-finite literals), but trees
  // built or folded by later stages may hold them.
  if (std::isnan(value)) {
    out->append("CAST('NaN' AS double precision)");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "CAST('Infinity' AS double precision)"
                          : "CAST('-Infinity' AS double precision)");
    return;
  }
  if (std::signbit(value)) {
    out->append("(-");
    AppendDouble(out, -value);
    out->push_back(')');
    return;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string_view text(buffer, end - buffer);
  out->append(text);
  // Keep it a decimal when read back: "1" would parse as an integer.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void AppendLiteral(std::string* out, const Literal& literal) {
  switch (literal.kind) {
    case LiteralKind::kNull:
      out->append("NULL");
      return;
    case LiteralKind::kBool:
      out->append(literal.bool_value ? "TRUE" : "FALSE");
      return;
    case LiteralKind::kInteger:
      // Parenthesised when negative (only in trees not from the parser), so that a preceding
      // '-' cannot turn it into a comment.
      if (literal.int_value < 0) {
        base::StrAppend(out, "(", literal.int_value, ")");
      } else {
        base::StrAppend(out, literal.int_value);
      }
      return;
    case LiteralKind::kDouble:
      AppendDouble(out, literal.double_value);
      return;
    case LiteralKind::kString:
      out->append(QuoteString(literal.text));
      return;
    case LiteralKind::kInterval:
      base::StrAppend(out, "INTERVAL ", QuoteString(literal.text));
      if (!literal.interval_unit.empty()) {
        out->push_back(' ');
        for (char c : literal.interval_unit) out->push_back(c >= 'a' && c <= 'z' ? c - 32 : c);
      }
      return;
    case LiteralKind::kTimestamp:
      base::StrAppend(out, "TIMESTAMP ", QuoteString(literal.text));
      return;
    case LiteralKind::kDate:
      base::StrAppend(out, "DATE ", QuoteString(literal.text));
      return;
  }
}

void AppendOrderItems(std::string* out, const std::vector<OrderItem>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendExpr(out, *items[i].expr);
    out->append(items[i].descending ? " DESC" : " ASC");
    if (items[i].nulls == OrderItem::Nulls::kFirst) out->append(" NULLS FIRST");
    if (items[i].nulls == OrderItem::Nulls::kLast) out->append(" NULLS LAST");
  }
}

void AppendExprList(std::string* out, const std::vector<ExprPtr>& exprs) {
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendExpr(out, *exprs[i]);
  }
}

void AppendTypeName(std::string* out, const TypeName& type) {
  out->append(type.name);
  if (type.params.empty()) return;
  out->push_back('(');
  for (size_t i = 0; i < type.params.size(); ++i) {
    if (i > 0) out->append(", ");
    base::StrAppend(out, type.params[i]);
  }
  out->push_back(')');
}

void AppendExpr(std::string* out, const Expr& expr) {
  if (const auto* n = expr.As<ColumnRef>()) {
    if (!n->table.empty()) base::StrAppend(out, QuoteIdentifier(n->table), ".");
    out->append(QuoteIdentifier(n->name));
  } else if (const auto* n = expr.As<Literal>()) {
    AppendLiteral(out, *n);
  } else if (const auto* n = expr.As<Parameter>()) {
    if (n->style == Parameter::Style::kQuestionMark) {
      out->push_back('?');
    } else {
      base::StrAppend(out, "$", n->index);
    }
  } else if (const auto* n = expr.As<UnaryOp>()) {
    out->push_back('(');
    out->append(OperatorSymbol(n->op));
    if (n->op == UnaryOperator::kNot) out->push_back(' ');
    AppendExpr(out, *n->operand);
    out->push_back(')');
  } else if (const auto* n = expr.As<BinaryOp>()) {
    out->push_back('(');
    AppendExpr(out, *n->left);
    base::StrAppend(out, " ", OperatorSymbol(n->op), " ");
    AppendExpr(out, *n->right);
    out->push_back(')');
  } else if (const auto* n = expr.As<LogicalOp>()) {
    out->push_back('(');
    for (size_t i = 0; i < n->operands.size(); ++i) {
      if (i > 0) base::StrAppend(out, " ", OperatorSymbol(n->op), " ");
      AppendExpr(out, *n->operands[i]);
    }
    out->push_back(')');
  } else if (const auto* n = expr.As<IsNull>()) {
    out->push_back('(');
    AppendExpr(out, *n->operand);
    out->append(n->negated ? " IS NOT NULL)" : " IS NULL)");
  } else if (const auto* n = expr.As<InList>()) {
    out->push_back('(');
    AppendExpr(out, *n->operand);
    out->append(n->negated ? " NOT IN (" : " IN (");
    AppendExprList(out, n->values);
    out->append("))");
  } else if (const auto* n = expr.As<InSubquery>()) {
    out->push_back('(');
    AppendExpr(out, *n->operand);
    out->append(n->negated ? " NOT IN (" : " IN (");
    AppendQuery(out, *n->subquery);
    out->append("))");
  } else if (const auto* n = expr.As<Between>()) {
    out->push_back('(');
    AppendExpr(out, *n->operand);
    out->append(n->negated ? " NOT BETWEEN " : " BETWEEN ");
    AppendExpr(out, *n->low);
    out->append(" AND ");
    AppendExpr(out, *n->high);
    out->push_back(')');
  } else if (const auto* n = expr.As<Like>()) {
    out->push_back('(');
    AppendExpr(out, *n->operand);
    out->append(n->negated ? " NOT" : "");
    out->append(n->case_insensitive ? " ILIKE " : " LIKE ");
    AppendExpr(out, *n->pattern);
    if (n->escape) {
      out->append(" ESCAPE ");
      AppendExpr(out, *n->escape);
    }
    out->push_back(')');
  } else if (const auto* n = expr.As<FunctionCall>()) {
    // "extract(" would read back as EXTRACT(field FROM x); a call by that name needs quotes. The
    // reserved words left and right may be called bare.
    if (n->name == "extract") {
      out->append("\"extract\"");
    } else if (n->name == "left" || n->name == "right") {
      out->append(n->name);
    } else {
      out->append(QuoteIdentifier(n->name));
    }
    out->push_back('(');
    if (n->star) out->push_back('*');
    if (n->distinct) out->append("DISTINCT ");
    AppendExprList(out, n->args);
    if (!n->order_by.empty()) {
      out->append(" ORDER BY ");
      AppendOrderItems(out, n->order_by);
    }
    out->push_back(')');
    if (!n->within_group.empty()) {
      out->append(" WITHIN GROUP (ORDER BY ");
      AppendOrderItems(out, n->within_group);
      out->push_back(')');
    }
    if (n->filter) {
      out->append(" FILTER (WHERE ");
      AppendExpr(out, *n->filter);
      out->push_back(')');
    }
  } else if (const auto* n = expr.As<Case>()) {
    out->append("CASE");
    if (n->operand) {
      out->push_back(' ');
      AppendExpr(out, *n->operand);
    }
    for (const Case::When& when : n->whens) {
      out->append(" WHEN ");
      AppendExpr(out, *when.condition);
      out->append(" THEN ");
      AppendExpr(out, *when.result);
    }
    if (n->else_result) {
      out->append(" ELSE ");
      AppendExpr(out, *n->else_result);
    }
    out->append(" END");
  } else if (const auto* n = expr.As<Cast>()) {
    out->append("CAST(");
    AppendExpr(out, *n->operand);
    out->append(" AS ");
    AppendTypeName(out, n->type);
    out->push_back(')');
  } else if (const auto* n = expr.As<Extract>()) {
    base::StrAppend(out, "EXTRACT(", QuoteIdentifier(n->field), " FROM ");
    AppendExpr(out, *n->operand);
    out->push_back(')');
  } else if (const auto* n = expr.As<ScalarSubquery>()) {
    out->push_back('(');
    AppendQuery(out, *n->query);
    out->push_back(')');
  }
}

void AppendSelect(std::string* out, const Select& select) {
  out->append(select.distinct ? "SELECT DISTINCT " : "SELECT ");
  for (size_t i = 0; i < select.items.size(); ++i) {
    const SelectItem& item = select.items[i];
    if (i > 0) out->append(", ");
    if (item.star) {
      if (!item.star_table.empty()) base::StrAppend(out, QuoteIdentifier(item.star_table), ".");
      out->push_back('*');
    } else {
      AppendExpr(out, *item.expr);
    }
    if (item.alias) base::StrAppend(out, " AS ", QuoteIdentifier(*item.alias));
  }
  if (select.from) {
    const TableRef& from = *select.from;
    out->append(" FROM ");
    if (from.kind == TableRef::Kind::kSubquery) {
      out->push_back('(');
      AppendQuery(out, *from.subquery);
      out->push_back(')');
    } else {
      AppendName(out, from.name);
    }
    if (from.alias) base::StrAppend(out, " AS ", QuoteIdentifier(*from.alias));
  }
  if (select.where) {
    out->append(" WHERE ");
    AppendExpr(out, *select.where);
  }
  if (!select.group_by.empty()) {
    out->append(" GROUP BY ");
    AppendExprList(out, select.group_by);
  }
  if (select.having) {
    out->append(" HAVING ");
    AppendExpr(out, *select.having);
  }
}

bool HasTail(const Query& query) { return !query.order_by.empty() || query.limit || query.offset; }

// A set operand in parentheses when it is itself a set operation or has its own tail, so that
// reading it back groups it the same way.
void AppendSetOperand(std::string* out, const Query& operand) {
  const bool parenthesise = operand.kind == Query::Kind::kSetOperation || HasTail(operand);
  if (parenthesise) out->push_back('(');
  AppendQuery(out, operand);
  if (parenthesise) out->push_back(')');
}

void AppendQuery(std::string* out, const Query& query) {
  if (query.kind == Query::Kind::kSelect) {
    AppendSelect(out, *query.select);
  } else {
    AppendSetOperand(out, *query.left);
    out->append(query.set_operator == SetOperator::kUnionAll ? " UNION ALL " : " UNION ");
    AppendSetOperand(out, *query.right);
  }
  if (!query.order_by.empty()) {
    out->append(" ORDER BY ");
    AppendOrderItems(out, query.order_by);
  }
  if (query.limit) {
    out->append(" LIMIT ");
    AppendExpr(out, *query.limit);
  }
  if (query.offset) {
    out->append(" OFFSET ");
    AppendExpr(out, *query.offset);
  }
}

}  // namespace

const char* OperatorSymbol(UnaryOperator op) {
  switch (op) {
    case UnaryOperator::kNot:
      return "NOT";
    case UnaryOperator::kMinus:
      return "-";
    case UnaryOperator::kPlus:
      return "+";
  }
  return "?";
}

const char* OperatorSymbol(BinaryOperator op) {
  switch (op) {
    case BinaryOperator::kEq:
      return "=";
    case BinaryOperator::kNotEq:
      return "<>";
    case BinaryOperator::kLt:
      return "<";
    case BinaryOperator::kLtEq:
      return "<=";
    case BinaryOperator::kGt:
      return ">";
    case BinaryOperator::kGtEq:
      return ">=";
    case BinaryOperator::kConcat:
      return "||";
    case BinaryOperator::kAdd:
      return "+";
    case BinaryOperator::kSubtract:
      return "-";
    case BinaryOperator::kMultiply:
      return "*";
    case BinaryOperator::kDivide:
      return "/";
    case BinaryOperator::kModulo:
      return "%";
    case BinaryOperator::kRegexMatch:
      return "~";
    case BinaryOperator::kRegexMatchInsensitive:
      return "~*";
    case BinaryOperator::kRegexNotMatch:
      return "!~";
    case BinaryOperator::kRegexNotMatchInsensitive:
      return "!~*";
  }
  return "?";
}

const char* OperatorSymbol(LogicalOperator op) {
  return op == LogicalOperator::kAnd ? "AND" : "OR";
}

std::string QuoteIdentifier(std::string_view name) {
  bool bare = !name.empty() && !(name[0] >= '0' && name[0] <= '9') && !IsReservedKeyword(name);
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) bare = false;
  }
  if (bare) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string QuoteString(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted.push_back('\'');
    quoted.push_back(c);
  }
  quoted.push_back('\'');
  return quoted;
}

std::string ToSql(const Expr& expr) {
  std::string out;
  AppendExpr(&out, expr);
  return out;
}

std::string ToSql(const Query& query) {
  std::string out;
  AppendQuery(&out, query);
  return out;
}

std::string ToSql(const Statement& statement) {
  std::string out;
  if (const auto* query = std::get_if<Query>(&statement.node)) {
    AppendQuery(&out, *query);
  } else if (std::holds_alternative<ShowTables>(statement.node)) {
    out = "SHOW TABLES";
  } else if (const auto* describe = std::get_if<Describe>(&statement.node)) {
    out = "DESCRIBE ";
    AppendName(&out, describe->table);
  } else if (const auto* explain = std::get_if<Explain>(&statement.node)) {
    out = explain->analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ";
    AppendQuery(&out, *explain->query);
  }
  return out;
}

}  // namespace cardinalsin::sql
