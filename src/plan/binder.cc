#include "plan/binder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/aggregate.h"
#include "exec/functions.h"
#include "plan/optimizer.h"
#include "sql/format.h"
#include "sql/lexer.h"

namespace cardinalsin::plan {
namespace {

using exec::ExprPtr;
using exec::Scalar;
using model::Field;
using model::Schema;
using model::TypeId;

constexpr std::string_view kMetrics = "metrics";

// A bound expression: the exec tree and whether it reads no column (so it can be folded).
struct Bound {
  ExprPtr expr;
  bool constant = false;
};

// The FROM item seen by expressions: its columns and the names that may qualify them.
struct Scope {
  const Schema* schema = nullptr;
  std::string name;  // table name or alias; empty = no FROM
  bool is_metrics = false;
};

// Post-aggregation binding state: expressions over the aggregate's output, whose input is `pre`
// (a projection of the FROM item computing group keys, then aggregate arguments).
struct AggState {
  const Scope* input = nullptr;
  std::vector<std::string> key_sql;               // canonical SQL of each group key
  std::vector<std::optional<size_t>> key_column;  // input column when the key is a plain column
  std::vector<exec::ProjectItem> pre;             // keys first, then aggregate inputs
  std::vector<std::string> agg_sql;
  std::vector<exec::AggregateSpec> specs;
  std::vector<std::string> key_names;
};

// Expression context: plain (over `scope`) or post-aggregate (over `agg`).
struct ExprContext {
  const Scope* scope = nullptr;
  AggState* agg = nullptr;
  const char* clause = "WHERE";  // where aggregates are not allowed, for messages
};

Schema OneRowSchema() { return Schema({Field{"?dummy?", TypeId::kBool, false}}); }
model::RecordBatch OneRow() {
  return model::RecordBatch(OneRowSchema(), {model::Column::FromBool({0})});
}

void ForEachChild(const sql::Expr& e, const std::function<void(const sql::Expr&)>& fn) {
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, sql::UnaryOp>) {
          fn(*n.operand);
        } else if constexpr (std::is_same_v<T, sql::BinaryOp>) {
          fn(*n.left);
          fn(*n.right);
        } else if constexpr (std::is_same_v<T, sql::LogicalOp>) {
          for (const auto& o : n.operands) fn(*o);
        } else if constexpr (std::is_same_v<T, sql::IsNull>) {
          fn(*n.operand);
        } else if constexpr (std::is_same_v<T, sql::InList>) {
          fn(*n.operand);
          for (const auto& v : n.values) fn(*v);
        } else if constexpr (std::is_same_v<T, sql::InSubquery>) {
          fn(*n.operand);
        } else if constexpr (std::is_same_v<T, sql::Between>) {
          fn(*n.operand);
          fn(*n.low);
          fn(*n.high);
        } else if constexpr (std::is_same_v<T, sql::Like>) {
          fn(*n.operand);
          fn(*n.pattern);
          if (n.escape) fn(*n.escape);
        } else if constexpr (std::is_same_v<T, sql::FunctionCall>) {
          for (const auto& a : n.args) fn(*a);
          for (const auto& o : n.order_by) fn(*o.expr);
          for (const auto& o : n.within_group) fn(*o.expr);
          if (n.filter) fn(*n.filter);
        } else if constexpr (std::is_same_v<T, sql::Case>) {
          if (n.operand) fn(*n.operand);
          for (const auto& w : n.whens) {
            fn(*w.condition);
            fn(*w.result);
          }
          if (n.else_result) fn(*n.else_result);
        } else if constexpr (std::is_same_v<T, sql::Cast>) {
          fn(*n.operand);
        } else if constexpr (std::is_same_v<T, sql::Extract>) {
          fn(*n.operand);
        }
      },
      e.node);
}

bool IsAggregateCall(const sql::FunctionCall& call) {
  return call.name == "median" || exec::IsAggregateFunction(call.name);
}

bool ContainsAggregate(const sql::Expr& e) {
  if (const auto* call = e.As<sql::FunctionCall>(); call != nullptr && IsAggregateCall(*call)) {
    return true;
  }
  bool found = false;
  ForEachChild(e, [&](const sql::Expr& child) { found = found || ContainsAggregate(child); });
  return found;
}

void CollectColumns(const sql::Expr& e, std::set<std::string>* names) {
  if (const auto* ref = e.As<sql::ColumnRef>()) names->insert(ref->name);
  if (const auto* call = e.As<sql::FunctionCall>();
      call != nullptr && call->order_by.empty() &&
      (call->name == "first_value" || call->name == "last_value")) {
    names->insert(std::string(model::kTimestampColumn));  // ordered by time by default
  }
  ForEachChild(e, [&](const sql::Expr& child) { CollectColumns(child, names); });
}

std::optional<Comparison> ToComparison(sql::BinaryOperator op) {
  switch (op) {
    case sql::BinaryOperator::kEq:
      return Comparison::kEq;
    case sql::BinaryOperator::kLt:
      return Comparison::kLt;
    case sql::BinaryOperator::kLtEq:
      return Comparison::kLe;
    case sql::BinaryOperator::kGt:
      return Comparison::kGt;
    case sql::BinaryOperator::kGtEq:
      return Comparison::kGe;
    default:
      return std::nullopt;
  }
}

class Binder {
 public:
  Binder(std::string_view sql, const BindOptions& options) : sql_(sql), options_(options) {}

  absl::StatusOr<BoundStatement> BindStatement(const sql::Statement& statement) {
    BoundStatement out;
    if (const auto* query = std::get_if<sql::Query>(&statement.node)) {
      CS_ASSIGN_OR_RETURN(out.plan, BindQuery(*query));
    } else if (std::holds_alternative<sql::ShowTables>(statement.node)) {
      out.plan = TablesValues();
    } else if (const auto* describe = std::get_if<sql::Describe>(&statement.node)) {
      if (!(describe->table.size() == 1 && describe->table[0] == kMetrics) &&
          !(describe->table.size() == 2 && describe->table[0] == "public" &&
            describe->table[1] == kMetrics)) {
        return Error(statement.pos, base::StrCat("table \"", absl::StrJoin(describe->table, "."),
                                                 "\" does not exist"));
      }
      CS_ASSIGN_OR_RETURN(Schema schema, MetricsSchema(/*complete=*/true));
      out.plan = DescribeValues(schema, /*with_table=*/false);
    } else if (const auto* explain = std::get_if<sql::Explain>(&statement.node)) {
      out.kind =
          explain->analyze ? BoundStatement::Kind::kExplainAnalyze : BoundStatement::Kind::kExplain;
      CS_ASSIGN_OR_RETURN(out.plan, BindQuery(*explain->query));
    }
    if (statement.num_parameters > 0) {
      return Error(statement.pos, "query parameters ($1, ?) are not supported by this API");
    }
    return out;
  }

 private:
  // ---- errors --------------------------------------------------------------------------------

  absl::Status Error(size_t pos, std::string_view message) const {
    sql::SourceLocation at = sql::LocateOffset(sql_, pos);
    return absl::InvalidArgumentError(
        base::StrCat(message, " at line ", at.line, ", column ", at.column));
  }
  // An error from exec (type mismatch, bad pattern, ...) with the position of the node it is
  // about. Errors without a user-facing meaning keep their code.
  absl::Status At(size_t pos, const absl::Status& status) const {
    switch (status.code()) {
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kOutOfRange:
        return Error(pos, std::string(status.message()));
      default:
        return status;
    }
  }

  // ---- tables ------------------------------------------------------------------------------

  absl::StatusOr<Schema> MetricsSchema(bool complete) {
    if (complete && complete_labels_.has_value()) return model::MetricsSchema(*complete_labels_);
    if (!complete && catalog_labels_.has_value()) return model::MetricsSchema(*catalog_labels_);
    CS_ASSIGN_OR_RETURN(std::vector<std::string> labels, options_.label_names(complete));
    labels.erase(
        std::remove_if(labels.begin(), labels.end(),
                       [](const std::string& l) { return model::IsReservedColumnName(l); }),
        labels.end());
    (complete ? complete_labels_ : catalog_labels_) = labels;
    return model::MetricsSchema(std::move(labels));
  }

  static PlanPtr TablesValues() {
    Schema schema({{"table_catalog", TypeId::kString, false},
                   {"table_schema", TypeId::kString, false},
                   {"table_name", TypeId::kString, false},
                   {"table_type", TypeId::kString, false}});
    auto column = [](std::vector<std::string> values) {
      model::StringVector v;
      for (const std::string& s : values) v.Append(s);
      return model::Column::FromStrings(std::move(v));
    };
    model::RecordBatch batch(
        schema, {column({"datafusion", "datafusion", "datafusion"}),
                 column({"public", "information_schema", "information_schema"}),
                 column({"metrics", "tables", "columns"}), column({"BASE TABLE", "VIEW", "VIEW"})});
    return MakeValuesNode(schema, {std::move(batch)});
  }

  static PlanPtr DescribeValues(const Schema& table, bool with_table) {
    std::vector<Field> fields;
    if (with_table) {
      fields = {{"table_catalog", TypeId::kString, false},
                {"table_schema", TypeId::kString, false},
                {"table_name", TypeId::kString, false}};
    }
    fields.push_back({"column_name", TypeId::kString, false});
    fields.push_back({"data_type", TypeId::kString, false});
    fields.push_back({"is_nullable", TypeId::kString, false});
    if (with_table) fields.push_back({"ordinal_position", TypeId::kInt64, false});
    Schema schema(fields);
    std::vector<model::StringVector> strings(with_table ? 6 : 3);
    std::vector<int64_t> positions;
    for (size_t i = 0; i < table.size(); ++i) {
      const Field& f = table.field(i);
      size_t c = 0;
      if (with_table) {
        strings[c++].Append("datafusion");
        strings[c++].Append("public");
        strings[c++].Append(kMetrics);
      }
      strings[c++].Append(f.name);
      strings[c++].Append(SqlTypeName(f.type));
      strings[c++].Append(f.nullable ? "YES" : "NO");
      positions.push_back(static_cast<int64_t>(i + 1));
    }
    std::vector<model::Column> columns;
    for (model::StringVector& s : strings)
      columns.push_back(model::Column::FromStrings(std::move(s)));
    if (with_table)
      columns.push_back(model::Column::FromInt64(TypeId::kInt64, std::move(positions)));
    return MakeValuesNode(schema, {model::RecordBatch(schema, std::move(columns))});
  }

  // ---- queries -----------------------------------------------------------------------------

  absl::StatusOr<PlanPtr> BindQuery(const sql::Query& query) {
    if (query.kind == sql::Query::Kind::kSelect) return BindSelect(query);
    CS_ASSIGN_OR_RETURN(PlanPtr left, BindQuery(*query.left));
    CS_ASSIGN_OR_RETURN(PlanPtr right, BindQuery(*query.right));
    if (left->schema.size() != right->schema.size()) {
      return Error(query.right->pos,
                   base::StrCat("each UNION query must have the same number of columns (",
                                left->schema.size(), " and ", right->schema.size(), ")"));
    }
    std::vector<TypeId> types;
    bool cast = false;
    for (size_t i = 0; i < left->schema.size(); ++i) {
      TypeId a = left->schema.field(i).type, b = right->schema.field(i).type;
      absl::StatusOr<TypeId> common = exec::CommonSuperType("UNION", {a, b});
      if (!common.ok()) {
        return Error(query.right->pos,
                     base::StrCat("UNION types ", model::TypeName(a), " and ", model::TypeName(b),
                                  " cannot be matched (column ", i + 1, ")"));
      }
      types.push_back(*common);
      cast = cast || a != *common || b != *common;
    }
    if (cast) {
      CS_ASSIGN_OR_RETURN(left, CastColumns(left, types, left->schema));
      CS_ASSIGN_OR_RETURN(right, CastColumns(right, types, left->schema));
    }
    PlanPtr plan = MakeUnionAllNode({left, right});
    if (query.set_operator == sql::SetOperator::kUnion) {
      CS_ASSIGN_OR_RETURN(plan, Distinct(plan));
    }
    // ORDER BY of a set operation: output columns by name or position only.
    std::vector<exec::SortKey> keys;
    for (const sql::OrderItem& item : query.order_by) {
      std::optional<size_t> column;
      if (const auto* lit = item.expr->As<sql::Literal>();
          lit != nullptr && lit->kind == sql::LiteralKind::kInteger) {
        CS_ASSIGN_OR_RETURN(column,
                            Position(*lit, item.expr->pos, plan->schema.size(), "ORDER BY"));
      } else if (const auto* ref = item.expr->As<sql::ColumnRef>(); ref && ref->table.empty()) {
        column = plan->schema.IndexOf(ref->name);
      }
      if (!column.has_value()) {
        return Error(item.expr->pos,
                     "ORDER BY of a UNION must name an output column or its position");
      }
      keys.push_back(SortKeyOf(item, *column));
    }
    return SortAndLimit(plan, std::move(keys), query, plan->schema.size());
  }

  absl::StatusOr<PlanPtr> CastColumns(const PlanPtr& plan, const std::vector<TypeId>& types,
                                      const Schema& names) {
    std::vector<exec::ProjectItem> items;
    for (size_t i = 0; i < types.size(); ++i) {
      ExprPtr ref = exec::MakeColumnRef(i, plan->schema.field(i).type, plan->schema.field(i).name);
      CS_ASSIGN_OR_RETURN(ExprPtr cast, exec::MakeCast(ref, types[i]));
      items.push_back({cast, names.field(i).name});
    }
    return MakeProjectNode(plan, std::move(items));
  }

  absl::StatusOr<PlanPtr> Distinct(const PlanPtr& plan) {
    std::vector<size_t> keys;
    std::vector<std::string> names;
    for (size_t i = 0; i < plan->schema.size(); ++i) {
      keys.push_back(i);
      names.push_back(plan->schema.field(i).name);
    }
    return MakeAggregateNode(plan, std::move(keys), std::move(names), {});
  }

  static exec::SortKey SortKeyOf(const sql::OrderItem& item, size_t column) {
    exec::SortKey key;
    key.column = column;
    key.descending = item.descending;
    if (item.nulls == sql::OrderItem::Nulls::kFirst) key.nulls_first = true;
    if (item.nulls == sql::OrderItem::Nulls::kLast) key.nulls_first = false;
    return key;
  }

  absl::StatusOr<size_t> Position(const sql::Literal& lit, size_t pos, size_t count,
                                  std::string_view clause) {
    if (lit.int_value < 1 || static_cast<size_t>(lit.int_value) > count) {
      return Error(pos, base::StrCat(clause, " position ", lit.int_value,
                                     " is not in select list (1 to ", count, ")"));
    }
    return static_cast<size_t>(lit.int_value - 1);
  }

  absl::StatusOr<std::optional<int64_t>> ConstantCount(const sql::Expr* e, std::string_view what) {
    if (e == nullptr) return std::optional<int64_t>();
    Scope empty;
    CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*e, ExprContext{&empty, nullptr, what.data()}));
    const Scalar* value = b.expr->literal();
    if (value == nullptr || value->is_null()) {
      if (value != nullptr && what == "LIMIT") return std::optional<int64_t>();  // LIMIT NULL: all
      return Error(e->pos, base::StrCat(what, " must be a constant integer"));
    }
    absl::StatusOr<Scalar> n = exec::CastScalar(*value, TypeId::kInt64);
    if (!n.ok() || (value->type != TypeId::kInt64 && value->type != TypeId::kUInt64)) {
      return Error(e->pos, base::StrCat(what, " must be an integer, not ", value->ToString()));
    }
    if (n->int64_value() < 0) return Error(e->pos, base::StrCat(what, " must not be negative"));
    return std::optional<int64_t>(n->int64_value());
  }

  // ORDER BY keys + LIMIT/OFFSET on top of `plan`, then drop hidden columns beyond `visible`.
  absl::StatusOr<PlanPtr> SortAndLimit(PlanPtr plan, std::vector<exec::SortKey> keys,
                                       const sql::Query& query, size_t visible) {
    CS_ASSIGN_OR_RETURN(std::optional<int64_t> limit, ConstantCount(query.limit.get(), "LIMIT"));
    CS_ASSIGN_OR_RETURN(std::optional<int64_t> offset, ConstantCount(query.offset.get(), "OFFSET"));
    const int64_t skip = offset.value_or(0);
    if (!keys.empty() && limit.has_value()) {
      // Limit pushdown: ORDER BY + LIMIT keeps only limit + offset rows (top-N).
      plan = MakeSortNode(plan, std::move(keys), limit, skip);
    } else if (!keys.empty()) {
      plan = MakeSortNode(plan, std::move(keys), std::nullopt, 0);
      if (skip > 0) plan = MakeLimitNode(plan, std::nullopt, skip);
    } else if (limit.has_value() || skip > 0) {
      plan = MakeLimitNode(plan, limit, skip);
    }
    if (visible < plan->schema.size()) {
      std::vector<exec::ProjectItem> items;
      for (size_t i = 0; i < visible; ++i) {
        const Field& f = plan->schema.field(i);
        items.push_back({exec::MakeColumnRef(i, f.type, f.name), f.name});
      }
      plan = MakeProjectNode(plan, std::move(items));
    }
    return plan;
  }

  // What the FROM item is before WHERE: a plan, or a metrics scan still being built.
  struct From {
    PlanPtr plan;   // set unless `metrics`
    Schema schema;  // the columns expressions see
    std::string name;
    bool is_metrics = false;
  };

  absl::StatusOr<From> BindFrom(const sql::Select& select, const sql::Query& query) {
    From from;
    if (!select.from.has_value()) {
      from.schema = OneRowSchema();
      from.plan = MakeValuesNode(from.schema, {OneRow()});
      return from;
    }
    const sql::TableRef& ref = *select.from;
    if (ref.kind == sql::TableRef::Kind::kSubquery) {
      CS_ASSIGN_OR_RETURN(from.plan, BindQuery(*ref.subquery));
      from.schema = from.plan->schema;
      from.name = ref.alias.value_or("");
      return from;
    }
    std::vector<std::string> name = ref.name;
    if (name.size() == 2 && name[0] == "public") name.erase(name.begin());
    from.name = ref.alias.value_or(name.back());
    if (name.size() == 1 && name[0] == kMetrics) {
      from.is_metrics = true;
      // Projection pushdown: the scan reads only the columns the query names.
      std::set<std::string> used;
      bool star = false;
      for (const sql::SelectItem& item : select.items) {
        if (item.star) star = true;
        if (item.expr) CollectColumns(*item.expr, &used);
      }
      if (select.where) CollectColumns(*select.where, &used);
      for (const auto& g : select.group_by) CollectColumns(*g, &used);
      if (select.having) CollectColumns(*select.having, &used);
      for (const sql::OrderItem& o : query.order_by) CollectColumns(*o.expr, &used);
      CS_ASSIGN_OR_RETURN(Schema table, MetricsSchema(star));
      bool missing = false;
      for (const std::string& n : used) {
        if (!table.IndexOf(n).has_value() && !model::IsReservedColumnName(n)) missing = true;
      }
      if (missing && !star) {
        // A label the catalog does not know yet may be in unflushed rows.
        CS_ASSIGN_OR_RETURN(table, MetricsSchema(true));
      }
      std::vector<Field> fields;
      for (const Field& f : table.fields()) {
        if (star || used.count(f.name) > 0) fields.push_back(f);
      }
      // A scan needs a column to count rows by (count(*) alone names none).
      if (fields.empty()) fields.push_back(table.field(0));
      from.schema = Schema(std::move(fields));
      return from;
    }
    if (name.size() == 2 && name[0] == "information_schema" &&
        (name[1] == "tables" || name[1] == "columns")) {
      if (name[1] == "tables") {
        from.plan = TablesValues();
      } else {
        CS_ASSIGN_OR_RETURN(Schema table, MetricsSchema(true));
        from.plan = DescribeValues(table, /*with_table=*/true);
      }
      from.schema = from.plan->schema;
      return from;
    }
    return Error(ref.pos,
                 base::StrCat("table \"", absl::StrJoin(ref.name, "."), "\" does not exist"));
  }

  // WHERE over a metrics scan: conjuncts the scan can apply become part of its request;
  // the rest (and conservative ones) stay in a filter above it.
  absl::StatusOr<PlanPtr> BindScanWhere(const From& from, const Scope& scope,
                                        const sql::Expr* where) {
    scan::ScanRequest request;
    request.tenant = options_.tenant;
    for (const Field& f : from.schema.fields()) request.columns.push_back(f.name);
    std::vector<std::string> pushed;
    TimeRange time;
    bool metric_set = false;
    std::vector<ExprPtr> residual;
    std::vector<const sql::Expr*> conjuncts;
    if (where != nullptr) {
      if (const auto* logical = where->As<sql::LogicalOp>();
          logical != nullptr && logical->op == sql::LogicalOperator::kAnd) {
        for (const auto& o : logical->operands) conjuncts.push_back(o.get());
      } else {
        conjuncts.push_back(where);
      }
    }
    ExprContext ctx{&scope, nullptr, "WHERE"};
    for (const sql::Expr* conjunct : conjuncts) {
      CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*conjunct, ctx));
      if (b.expr->type() != TypeId::kBool) {
        return Error(conjunct->pos, base::StrCat("argument of WHERE must be type boolean, not ",
                                                 model::TypeName(b.expr->type())));
      }
      CS_ASSIGN_OR_RETURN(bool exact,
                          Pushdown(*conjunct, scope, &request, &time, &metric_set, &pushed));
      if (!exact) residual.push_back(b.expr);
    }
    PlanPtr plan;
    bool contradiction = time.empty();
    if (request.metric.kind == scan::MetricCondition::Kind::kExact &&
        request.metric.values.empty()) {
      contradiction = true;
    }
    if (contradiction) {
      plan = MakeValuesNode(from.schema, {});  // WHERE is false for every row
    } else {
      request.min_time_ns = time.min;
      request.max_time_ns = time.max;
      plan = MakeScanNode(from.schema, std::move(request), std::move(pushed));
    }
    if (!residual.empty()) {
      CS_ASSIGN_OR_RETURN(ExprPtr predicate, exec::MakeAnd(std::move(residual)));
      plan = MakeFilterNode(plan, predicate);
    }
    return plan;
  }

  // The scan column a conjunct's operand names, if it is a plain column of the metrics scan.
  std::optional<std::string> ScanColumn(const sql::Expr& e, const Scope& scope) {
    const auto* ref = e.As<sql::ColumnRef>();
    if (ref == nullptr) return std::nullopt;
    if (!ref->table.empty() && ref->table != scope.name && ref->table != kMetrics) {
      return std::nullopt;
    }
    if (!scope.schema->IndexOf(ref->name).has_value()) return std::nullopt;
    return ref->name;
  }

  // A constant operand, folded; nullopt when it reads columns.
  absl::StatusOr<std::optional<Scalar>> ConstantOf(const sql::Expr& e, const Scope& scope) {
    CS_ASSIGN_OR_RETURN(Bound b, BindExpr(e, ExprContext{&scope, nullptr, "WHERE"}));
    if (b.expr->literal() == nullptr) return std::optional<Scalar>();
    return std::optional<Scalar>(*b.expr->literal());
  }

  // The time range of `bucket op c` where `bucket` is timestamp, date_trunc(unit, timestamp),
  // date_bin(stride, timestamp[, origin]) or time_bucket(...). `exact` says whether the range is
  // exactly the conjunct's rows.
  absl::StatusOr<std::optional<TimeRange>> TimeCondition(const sql::Expr& operand, Comparison op,
                                                         int64_t c, const Scope& scope,
                                                         bool* exact) {
    std::optional<std::string> column = ScanColumn(operand, scope);
    if (column.has_value()) {
      if (*column != model::kTimestampColumn) return std::optional<TimeRange>();
      *exact = true;
      return std::optional<TimeRange>(RangeOf(op, c));
    }
    const auto* call = operand.As<sql::FunctionCall>();
    if (call == nullptr || call->args.size() < 2 || call->distinct || call->star) {
      return std::optional<TimeRange>();
    }
    std::optional<std::string> arg = ScanColumn(*call->args[1], scope);
    if (!arg.has_value() || *arg != model::kTimestampColumn) return std::optional<TimeRange>();
    CS_ASSIGN_OR_RETURN(std::optional<Scalar> first, ConstantOf(*call->args[0], scope));
    if (!first.has_value() || first->is_null()) return std::optional<TimeRange>();
    *exact = false;
    if (call->name == "date_trunc" && call->args.size() == 2 && first->type == TypeId::kString) {
      return DateTruncRange(absl::AsciiStrToLower(first->string_value()), op, c);
    }
    if ((call->name == "date_bin" || call->name == "time_bucket") &&
        first->type == TypeId::kInt64 && first->int64_value() > 0) {
      return std::optional<TimeRange>(DateBinRange(first->int64_value(), op, c));
    }
    return std::optional<TimeRange>();
  }

  // Adds what the scan can do for `conjunct` to the request. Returns true when the scan applies
  // the conjunct exactly (no filter needed above it).
  absl::StatusOr<bool> Pushdown(const sql::Expr& conjunct, const Scope& scope,
                                scan::ScanRequest* request, TimeRange* time, bool* metric_set,
                                std::vector<std::string>* pushed) {
    auto set_metric = [&](scan::MetricCondition condition, std::string text) {
      if (!*metric_set) {
        request->metric = std::move(condition);
        *metric_set = true;
        pushed->push_back(std::move(text));
        return true;
      }
      if (request->metric.kind == scan::MetricCondition::Kind::kExact &&
          condition.kind == scan::MetricCondition::Kind::kExact) {
        std::vector<std::string> both;
        for (const std::string& v : request->metric.values) {
          if (std::find(condition.values.begin(), condition.values.end(), v) !=
              condition.values.end()) {
            both.push_back(v);
          }
        }
        request->metric.values = both;
        pushed->push_back(std::move(text));
        return true;
      }
      return false;
    };
    auto is_label = [&](const std::string& column) { return !model::IsReservedColumnName(column); };
    if (const auto* between = conjunct.As<sql::Between>(); between && !between->negated) {
      CS_ASSIGN_OR_RETURN(std::optional<Scalar> low, ConstantOf(*between->low, scope));
      CS_ASSIGN_OR_RETURN(std::optional<Scalar> high, ConstantOf(*between->high, scope));
      if (!low || !high) return false;
      std::optional<int64_t> lo = TimestampOf(*low), hi = TimestampOf(*high);
      if (!lo || !hi) return false;
      bool exact_lo = false, exact_hi = false;
      CS_ASSIGN_OR_RETURN(std::optional<TimeRange> r1,
                          TimeCondition(*between->operand, Comparison::kGe, *lo, scope, &exact_lo));
      CS_ASSIGN_OR_RETURN(std::optional<TimeRange> r2,
                          TimeCondition(*between->operand, Comparison::kLe, *hi, scope, &exact_hi));
      if (!r1 || !r2) return false;
      time->Intersect(*r1);
      time->Intersect(*r2);
      return exact_lo && exact_hi;
    }
    if (const auto* op = conjunct.As<sql::BinaryOp>()) {
      const sql::Expr* column_side = op->left.get();
      const sql::Expr* value_side = op->right.get();
      std::optional<Comparison> cmp = ToComparison(op->op);
      CS_ASSIGN_OR_RETURN(std::optional<Scalar> value, ConstantOf(*value_side, scope));
      if (!value.has_value()) {
        std::swap(column_side, value_side);
        if (cmp) cmp = Mirror(*cmp);
        CS_ASSIGN_OR_RETURN(value, ConstantOf(*value_side, scope));
        if (!value.has_value()) return false;
      }
      if (value->is_null()) return false;
      if (cmp.has_value()) {
        if (std::optional<int64_t> ns = TimestampOf(*value)) {
          bool exact = false;
          CS_ASSIGN_OR_RETURN(std::optional<TimeRange> r,
                              TimeCondition(*column_side, *cmp, *ns, scope, &exact));
          if (r.has_value()) {
            time->Intersect(*r);
            return exact;
          }
        }
      }
      std::optional<std::string> column = ScanColumn(*column_side, scope);
      if (!column.has_value() || value->type != TypeId::kString) return false;
      const std::string& v = value->string_value();
      if (*column == model::kMetricNameColumn && op->op == sql::BinaryOperator::kEq) {
        return set_metric(scan::MetricCondition::Exact({v}),
                          base::StrCat("metric_name = ", sql::QuoteString(v)));
      }
      if (!is_label(*column)) return false;
      scan::LabelPredicate label;
      label.name = *column;
      label.absent = scan::AbsentLabel::kNoMatch;  // SQL: NULL satisfies no comparison
      label.full_match = false;                    // SQL `~` searches
      label.values = {v};
      switch (op->op) {
        case sql::BinaryOperator::kEq:
          label.op = scan::LabelOp::kEqual;
          break;
        case sql::BinaryOperator::kNotEq:
          label.op = scan::LabelOp::kNotEqual;
          break;
        case sql::BinaryOperator::kRegexMatch:
        case sql::BinaryOperator::kRegexMatchInsensitive:
          label.op = scan::LabelOp::kRegex;
          break;
        case sql::BinaryOperator::kRegexNotMatch:
        case sql::BinaryOperator::kRegexNotMatchInsensitive:
          label.op = scan::LabelOp::kNotRegex;
          break;
        default:
          return false;
      }
      if (column_side != op->left.get() && label.op != scan::LabelOp::kEqual &&
          label.op != scan::LabelOp::kNotEqual) {
        return false;  // 'pattern' ~ column is not a label match
      }
      if (op->op == sql::BinaryOperator::kRegexMatchInsensitive ||
          op->op == sql::BinaryOperator::kRegexNotMatchInsensitive) {
        label.values[0] = "(?i)" + v;
      }
      pushed->push_back(
          base::StrCat(*column, " ", sql::OperatorSymbol(op->op), " ", sql::QuoteString(v)));
      request->labels.push_back(std::move(label));
      return true;
    }
    if (const auto* in = conjunct.As<sql::InList>(); in && !in->negated) {
      std::optional<std::string> column = ScanColumn(*in->operand, scope);
      if (!column.has_value()) return false;
      std::vector<std::string> values;
      for (const auto& v : in->values) {
        CS_ASSIGN_OR_RETURN(std::optional<Scalar> value, ConstantOf(*v, scope));
        if (!value.has_value()) return false;
        if (value->is_null()) continue;  // x IN (..., NULL) is never true because of the NULL
        if (value->type != TypeId::kString) return false;
        values.push_back(value->string_value());
      }
      std::vector<std::string> quoted;
      for (const std::string& v : values) quoted.push_back(sql::QuoteString(v));
      std::string text = base::StrCat(*column, " IN (", absl::StrJoin(quoted, ", "), ")");
      if (*column == model::kMetricNameColumn) {
        return set_metric(scan::MetricCondition::Exact(values), text);
      }
      if (!is_label(*column)) return false;
      scan::LabelPredicate label;
      label.name = *column;
      label.op = scan::LabelOp::kIn;
      label.values = std::move(values);
      label.absent = scan::AbsentLabel::kNoMatch;
      request->labels.push_back(std::move(label));
      pushed->push_back(std::move(text));
      return true;
    }
    if (const auto* like = conjunct.As<sql::Like>();
        like && !like->negated && !like->case_insensitive && like->escape == nullptr) {
      std::optional<std::string> column = ScanColumn(*like->operand, scope);
      if (!column.has_value() || *column != model::kMetricNameColumn) return false;
      CS_ASSIGN_OR_RETURN(std::optional<Scalar> pattern, ConstantOf(*like->pattern, scope));
      if (!pattern.has_value() || pattern->is_null() || pattern->type != TypeId::kString) {
        return false;
      }
      std::optional<LikePrefix> prefix = LikePatternPrefix(pattern->string_value());
      if (!prefix.has_value()) {
        // A leading wildcard (LIKE '%error%'): the scan applies it exactly as a regex, and
        // decides pages holding one metric by it.
        std::optional<std::string> regex = LikePatternRegex(pattern->string_value());
        if (!regex.has_value()) return false;
        return set_metric(
            scan::MetricCondition::Regex(*regex),
            base::StrCat("metric_name LIKE ", sql::QuoteString(pattern->string_value())));
      }
      if (prefix->equality) {
        return set_metric(scan::MetricCondition::Exact({prefix->prefix}),
                          base::StrCat("metric_name = ", sql::QuoteString(prefix->prefix)));
      }
      bool applied =
          set_metric(scan::MetricCondition::Prefix(prefix->prefix),
                     base::StrCat("metric_name prefix ", sql::QuoteString(prefix->prefix)));
      return applied && prefix->exact;
    }
    return false;
  }

  absl::StatusOr<PlanPtr> BindSelect(const sql::Query& query) {
    const sql::Select& select = *query.select;
    CS_ASSIGN_OR_RETURN(From from, BindFrom(select, query));
    Scope scope{&from.schema, from.name, from.is_metrics};
    PlanPtr plan;
    if (from.is_metrics) {
      CS_ASSIGN_OR_RETURN(plan, BindScanWhere(from, scope, select.where.get()));
    } else {
      plan = from.plan;
      if (select.where) {
        CS_ASSIGN_OR_RETURN(Bound b,
                            BindExpr(*select.where, ExprContext{&scope, nullptr, "WHERE"}));
        if (b.expr->type() != TypeId::kBool) {
          return Error(select.where->pos,
                       base::StrCat("argument of WHERE must be type boolean, not ",
                                    model::TypeName(b.expr->type())));
        }
        plan = MakeFilterNode(plan, b.expr);
      }
    }

    // Expand `*` into the FROM item's columns.
    struct Item {
      const sql::Expr* expr = nullptr;  // null: column `column` of the FROM item
      size_t column = 0;
      std::string name;
      size_t pos = 0;
    };
    std::vector<Item> items;
    for (const sql::SelectItem& si : select.items) {
      if (si.star) {
        if (!select.from.has_value()) return Error(si.pos, "SELECT * with no tables specified");
        if (!si.star_table.empty() && si.star_table != from.name) {
          return Error(si.pos,
                       base::StrCat("missing FROM-clause entry for table \"", si.star_table, "\""));
        }
        for (size_t i = 0; i < from.schema.size(); ++i) {
          items.push_back({nullptr, i, from.schema.field(i).name, si.pos});
        }
        continue;
      }
      items.push_back({si.expr.get(), 0, si.alias.value_or(DefaultName(*si.expr)), si.pos});
    }

    bool aggregate = !select.group_by.empty();
    for (const Item& item : items)
      aggregate = aggregate || (item.expr && ContainsAggregate(*item.expr));
    if (select.having) aggregate = true;
    for (const sql::OrderItem& o : query.order_by)
      aggregate = aggregate || ContainsAggregate(*o.expr);

    AggState agg;
    agg.input = &scope;
    ExprContext ctx{&scope, nullptr, "WHERE"};
    if (aggregate) {
      ExprContext input_ctx{&scope, nullptr, "GROUP BY"};
      for (const auto& g : select.group_by) {
        const sql::Expr* key = g.get();
        if (const auto* lit = g->As<sql::Literal>();
            lit && lit->kind == sql::LiteralKind::kInteger) {
          CS_ASSIGN_OR_RETURN(size_t p, Position(*lit, g->pos, items.size(), "GROUP BY"));
          if (items[p].expr == nullptr) {
            CS_RETURN_IF_ERROR(AddColumnKey(&agg, items[p].column));
            continue;
          }
          key = items[p].expr;
        } else if (const auto* ref = g->As<sql::ColumnRef>();
                   ref && ref->table.empty() && !from.schema.IndexOf(ref->name).has_value()) {
          for (const Item& item : items) {
            if (item.expr != nullptr && item.name == ref->name) {
              key = item.expr;
              break;
            }
          }
        }
        if (ContainsAggregate(*key))
          return Error(key->pos, "aggregate functions are not allowed in GROUP BY");
        CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*key, input_ctx));
        std::optional<size_t> column;
        if (const auto* ref = key->As<sql::ColumnRef>()) column = from.schema.IndexOf(ref->name);
        agg.key_sql.push_back(sql::ToSql(*key));
        agg.key_column.push_back(column);
        agg.key_names.push_back(column ? from.schema.field(*column).name : DefaultName(*key));
        agg.pre.push_back({b.expr, agg.key_names.back()});
      }
      ctx = ExprContext{&scope, &agg, "WHERE"};
    }

    // Select list.
    std::vector<Bound> bound_items;
    for (const Item& item : items) {
      if (item.expr == nullptr) {
        const Field& f = from.schema.field(item.column);
        if (aggregate) {
          CS_ASSIGN_OR_RETURN(Bound b, BindColumnInAggregate(&agg, item.column, item.pos));
          bound_items.push_back(b);
        } else {
          bound_items.push_back({exec::MakeColumnRef(item.column, f.type, f.name), false});
        }
        continue;
      }
      CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*item.expr, ctx));
      bound_items.push_back(b);
    }
    std::optional<Bound> having;
    if (select.having) {
      CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*select.having, ctx));
      if (b.expr->type() != TypeId::kBool) {
        return Error(select.having->pos, "argument of HAVING must be type boolean");
      }
      having = b;
    }

    // ORDER BY: positions, output names, then expressions (hidden columns).
    std::vector<exec::SortKey> keys;
    std::vector<Bound> hidden;
    for (const sql::OrderItem& o : query.order_by) {
      std::optional<size_t> column;
      if (const auto* lit = o.expr->As<sql::Literal>();
          lit && lit->kind == sql::LiteralKind::kInteger) {
        CS_ASSIGN_OR_RETURN(column, Position(*lit, o.expr->pos, items.size(), "ORDER BY"));
      } else if (const auto* ref = o.expr->As<sql::ColumnRef>(); ref && ref->table.empty()) {
        for (size_t i = 0; i < items.size() && !column; ++i) {
          if (items[i].name == ref->name) column = i;
        }
      }
      if (!column.has_value()) {
        std::string text = sql::ToSql(*o.expr);
        for (size_t i = 0; i < items.size() && !column; ++i) {
          if (items[i].expr != nullptr && sql::ToSql(*items[i].expr) == text) column = i;
        }
      }
      if (!column.has_value()) {
        if (select.distinct) {
          return Error(o.expr->pos,
                       "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
        }
        CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*o.expr, ctx));
        column = items.size() + hidden.size();
        hidden.push_back(b);
      }
      keys.push_back(SortKeyOf(o, *column));
    }

    if (aggregate) {
      std::vector<size_t> key_indices;
      for (size_t i = 0; i < agg.key_sql.size(); ++i) key_indices.push_back(i);
      if (agg.pre.empty()) {
        // count(*) alone reads no column, but batches count their rows through columns.
        const Field& f = plan->schema.field(0);
        agg.pre.push_back({exec::MakeColumnRef(0, f.type, f.name), f.name});
      }
      PlanPtr pre = MakeProjectNode(plan, agg.pre);
      CS_ASSIGN_OR_RETURN(plan,
                          MakeAggregateNode(pre, std::move(key_indices), agg.key_names, agg.specs));
      if (having) plan = MakeFilterNode(plan, having->expr);
    }
    std::vector<exec::ProjectItem> project;
    for (size_t i = 0; i < items.size(); ++i)
      project.push_back({bound_items[i].expr, items[i].name});
    for (size_t i = 0; i < hidden.size(); ++i) {
      project.push_back({hidden[i].expr, base::StrCat("?order", i + 1, "?")});
    }
    plan = MakeProjectNode(plan, std::move(project));
    if (select.distinct) {
      CS_ASSIGN_OR_RETURN(plan, Distinct(plan));
    }
    return SortAndLimit(plan, std::move(keys), query, items.size());
  }

  absl::Status AddColumnKey(AggState* agg, size_t column) {
    const Field& f = agg->input->schema->field(column);
    agg->key_sql.push_back(sql::QuoteIdentifier(f.name));
    agg->key_column.push_back(column);
    agg->key_names.push_back(f.name);
    agg->pre.push_back({exec::MakeColumnRef(column, f.type, f.name), f.name});
    return absl::OkStatus();
  }

  absl::StatusOr<Bound> BindColumnInAggregate(AggState* agg, size_t column, size_t pos) {
    for (size_t k = 0; k < agg->key_column.size(); ++k) {
      if (agg->key_column[k] == column) {
        return Bound{exec::MakeColumnRef(k, agg->pre[k].expr->type(), agg->key_names[k]), false};
      }
    }
    return Error(pos, base::StrCat("column \"", agg->input->schema->field(column).name,
                                   "\" must appear in the GROUP BY clause or be used in an "
                                   "aggregate function"));
  }

  static std::string DefaultName(const sql::Expr& e) {
    if (const auto* ref = e.As<sql::ColumnRef>()) return ref->name;
    if (const auto* call = e.As<sql::FunctionCall>()) return call->name;
    if (const auto* cast = e.As<sql::Cast>()) return DefaultName(*cast->operand);
    if (e.As<sql::Case>() != nullptr) return "case";
    if (const auto* ex = e.As<sql::Extract>()) return ex->field;
    return "?column?";
  }

  // ---- expressions -------------------------------------------------------------------------

  // Folds an expression without column references into a literal.
  absl::StatusOr<Bound> Fold(Bound b, size_t pos) {
    if (!b.constant || b.expr->literal() != nullptr) return b;
    absl::StatusOr<model::Column> value = b.expr->Evaluate(OneRow());
    if (!value.ok()) return At(pos, value.status());
    return Bound{exec::MakeLiteral(exec::ScalarAt(*value, 0)), true};
  }

  absl::StatusOr<Bound> BindExpr(const sql::Expr& e, const ExprContext& ctx) {
    if (ctx.agg != nullptr) {
      // Post-aggregate: a group key as a whole, an aggregate, or something built from them.
      std::string text = sql::ToSql(e);
      for (size_t k = 0; k < ctx.agg->key_sql.size(); ++k) {
        if (ctx.agg->key_sql[k] == text) {
          return Bound{exec::MakeColumnRef(k, ctx.agg->pre[k].expr->type(), ctx.agg->key_names[k]),
                       false};
        }
      }
      if (const auto* ref = e.As<sql::ColumnRef>()) {
        CS_ASSIGN_OR_RETURN(size_t column, ResolveColumn(*ref, *ctx.scope, e.pos));
        return BindColumnInAggregate(ctx.agg, column, e.pos);
      }
      if (const auto* call = e.As<sql::FunctionCall>(); call && IsAggregateCall(*call)) {
        return BindAggregate(*call, e, ctx.agg);
      }
    }
    CS_ASSIGN_OR_RETURN(Bound b, BindNode(e, ctx));
    return Fold(std::move(b), e.pos);
  }

  absl::StatusOr<size_t> ResolveColumn(const sql::ColumnRef& ref, const Scope& scope, size_t pos) {
    if (!ref.table.empty() && ref.table != scope.name) {
      return Error(pos, base::StrCat("missing FROM-clause entry for table \"", ref.table, "\""));
    }
    if (scope.schema != nullptr) {
      if (std::optional<size_t> i = scope.schema->IndexOf(ref.name)) return *i;
    }
    std::string name = ref.table.empty() ? ref.name : base::StrCat(ref.table, ".", ref.name);
    return Error(pos, base::StrCat("column \"", name, "\" does not exist"));
  }

  absl::StatusOr<std::vector<Bound>> BindAll(const std::vector<sql::ExprPtr>& exprs,
                                             const ExprContext& ctx) {
    std::vector<Bound> out;
    for (const auto& e : exprs) {
      CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*e, ctx));
      out.push_back(std::move(b));
    }
    return out;
  }

  static bool AllConstant(const std::vector<Bound>& v) {
    return std::all_of(v.begin(), v.end(), [](const Bound& b) { return b.constant; });
  }
  static std::vector<ExprPtr> Exprs(const std::vector<Bound>& v) {
    std::vector<ExprPtr> out;
    for (const Bound& b : v) out.push_back(b.expr);
    return out;
  }

  // Gives a NULL literal the type of the other operand, and compares timestamps with numbers as
  // nanoseconds.
  absl::StatusOr<std::pair<ExprPtr, ExprPtr>> Unify(ExprPtr a, ExprPtr b) {
    auto is_null = [](const ExprPtr& e) { return e->literal() && e->literal()->is_null(); };
    if (is_null(a) && !is_null(b)) a = exec::MakeLiteral(Scalar::Null(b->type()));
    if (is_null(b) && !is_null(a)) b = exec::MakeLiteral(Scalar::Null(a->type()));
    auto to_ts = [](ExprPtr e) -> absl::StatusOr<ExprPtr> {
      if (e->type() == TypeId::kDouble) {
        CS_ASSIGN_OR_RETURN(e, exec::MakeCast(e, TypeId::kInt64));
      }
      return exec::MakeCast(e, TypeId::kTimestampNs);
    };
    if (a->type() == TypeId::kTimestampNs && exec::IsNumeric(b->type())) {
      CS_ASSIGN_OR_RETURN(b, to_ts(b));
    } else if (b->type() == TypeId::kTimestampNs && exec::IsNumeric(a->type())) {
      CS_ASSIGN_OR_RETURN(a, to_ts(a));
    }
    return std::make_pair(a, b);
  }

  absl::StatusOr<Bound> BindNode(const sql::Expr& e, const ExprContext& ctx) {
    const size_t pos = e.pos;
    if (const auto* ref = e.As<sql::ColumnRef>()) {
      if (ref->table.empty() &&
          (ref->name == "current_timestamp" || ref->name == "localtimestamp") &&
          !(ctx.scope->schema && ctx.scope->schema->IndexOf(ref->name))) {
        return Bound{exec::MakeLiteral(Scalar::Timestamp(options_.now_ns)), true};
      }
      CS_ASSIGN_OR_RETURN(size_t column, ResolveColumn(*ref, *ctx.scope, pos));
      const Field& f = ctx.scope->schema->field(column);
      return Bound{exec::MakeColumnRef(column, f.type, f.name), false};
    }
    if (const auto* lit = e.As<sql::Literal>()) return BindLiteral(*lit, pos);
    if (e.As<sql::Parameter>() != nullptr) {
      return Error(pos, "query parameters ($1, ?) are not supported by this API");
    }
    if (const auto* un = e.As<sql::UnaryOp>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*un->operand, ctx));
      absl::StatusOr<ExprPtr> out;
      switch (un->op) {
        case sql::UnaryOperator::kNot:
          out = exec::MakeNot(operand.expr);
          break;
        case sql::UnaryOperator::kMinus:
          out = exec::MakeNegate(operand.expr);
          break;
        case sql::UnaryOperator::kPlus:
          if (!exec::IsNumeric(operand.expr->type())) {
            out = absl::InvalidArgumentError(
                base::StrCat("operator does not exist: + ", model::TypeName(operand.expr->type())));
          } else {
            out = operand.expr;
          }
          break;
      }
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, operand.constant};
    }
    if (const auto* bin = e.As<sql::BinaryOp>()) return BindBinary(*bin, pos, ctx);
    if (const auto* logical = e.As<sql::LogicalOp>()) {
      CS_ASSIGN_OR_RETURN(std::vector<Bound> ops, BindAll(logical->operands, ctx));
      absl::StatusOr<ExprPtr> out = logical->op == sql::LogicalOperator::kAnd
                                        ? exec::MakeAnd(Exprs(ops))
                                        : exec::MakeOr(Exprs(ops));
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, AllConstant(ops)};
    }
    if (const auto* isnull = e.As<sql::IsNull>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*isnull->operand, ctx));
      return Bound{exec::MakeIsNull(operand.expr, isnull->negated), operand.constant};
    }
    if (const auto* in = e.As<sql::InList>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*in->operand, ctx));
      CS_ASSIGN_OR_RETURN(std::vector<Bound> values, BindAll(in->values, ctx));
      if (AllConstant(values)) {
        std::vector<Scalar> scalars;
        for (const Bound& v : values) scalars.push_back(*v.expr->literal());
        return MakeIn(operand, std::move(scalars), in->negated, pos);
      }
      // Non-constant list: x = v1 OR x = v2 ...
      std::vector<ExprPtr> eqs;
      for (const Bound& v : values) {
        CS_ASSIGN_OR_RETURN(auto pair, Unify(operand.expr, v.expr));
        absl::StatusOr<ExprPtr> eq =
            exec::MakeCompare(exec::CompareOp::kEq, pair.first, pair.second);
        if (!eq.ok()) return At(pos, eq.status());
        eqs.push_back(*eq);
      }
      absl::StatusOr<ExprPtr> any = exec::MakeOr(std::move(eqs));
      if (any.ok() && in->negated) any = exec::MakeNot(*any);
      if (!any.ok()) return At(pos, any.status());
      return Bound{*any, false};
    }
    if (const auto* in = e.As<sql::InSubquery>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*in->operand, ctx));
      CS_ASSIGN_OR_RETURN(std::vector<Scalar> values, RunSubquery(*in->subquery, pos, false));
      return MakeIn(operand, std::move(values), in->negated, pos);
    }
    if (const auto* between = e.As<sql::Between>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*between->operand, ctx));
      CS_ASSIGN_OR_RETURN(Bound low, BindExpr(*between->low, ctx));
      CS_ASSIGN_OR_RETURN(Bound high, BindExpr(*between->high, ctx));
      CS_ASSIGN_OR_RETURN(auto lo, Unify(operand.expr, low.expr));
      CS_ASSIGN_OR_RETURN(auto hi, Unify(operand.expr, high.expr));
      absl::StatusOr<ExprPtr> out =
          exec::MakeBetween(operand.expr, lo.second, hi.second, between->negated);
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, operand.constant && low.constant && high.constant};
    }
    if (const auto* like = e.As<sql::Like>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*like->operand, ctx));
      CS_ASSIGN_OR_RETURN(Bound pattern, BindExpr(*like->pattern, ctx));
      const Scalar* p = pattern.expr->literal();
      if (p == nullptr || (p->type != TypeId::kString && !p->is_null())) {
        return Error(like->pattern->pos, "LIKE pattern must be a constant string");
      }
      if (p->is_null()) return Bound{exec::MakeLiteral(Scalar::Null(TypeId::kBool)), true};
      std::optional<char> escape = '\\';
      if (like->escape) {
        CS_ASSIGN_OR_RETURN(Bound esc, BindExpr(*like->escape, ctx));
        const Scalar* s = esc.expr->literal();
        if (s == nullptr || s->type != TypeId::kString || s->string_value().size() > 1) {
          return Error(like->escape->pos, "ESCAPE must be a constant string of one character");
        }
        escape =
            s->string_value().empty() ? std::nullopt : std::optional<char>(s->string_value()[0]);
      }
      absl::StatusOr<ExprPtr> out = exec::MakeLike(operand.expr, p->string_value(),
                                                   like->case_insensitive, like->negated, escape);
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, operand.constant};
    }
    if (const auto* call = e.As<sql::FunctionCall>()) return BindCall(*call, pos, ctx);
    if (const auto* c = e.As<sql::Case>()) {
      std::vector<std::pair<ExprPtr, ExprPtr>> whens;
      bool constant = true;
      std::optional<Bound> operand;
      if (c->operand) {
        CS_ASSIGN_OR_RETURN(operand, BindExpr(*c->operand, ctx));
        constant = operand->constant;
      }
      for (const sql::Case::When& w : c->whens) {
        CS_ASSIGN_OR_RETURN(Bound cond, BindExpr(*w.condition, ctx));
        CS_ASSIGN_OR_RETURN(Bound result, BindExpr(*w.result, ctx));
        ExprPtr condition = cond.expr;
        if (operand.has_value()) {
          CS_ASSIGN_OR_RETURN(auto pair, Unify(operand->expr, cond.expr));
          absl::StatusOr<ExprPtr> eq =
              exec::MakeCompare(exec::CompareOp::kEq, pair.first, pair.second);
          if (!eq.ok()) return At(w.condition->pos, eq.status());
          condition = *eq;
        }
        constant = constant && cond.constant && result.constant;
        whens.push_back({condition, result.expr});
      }
      ExprPtr else_result;
      if (c->else_result) {
        CS_ASSIGN_OR_RETURN(Bound b, BindExpr(*c->else_result, ctx));
        else_result = b.expr;
        constant = constant && b.constant;
      }
      absl::StatusOr<ExprPtr> out = exec::MakeCase(std::move(whens), else_result);
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, constant};
    }
    if (const auto* cast = e.As<sql::Cast>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*cast->operand, ctx));
      if (cast->type.name == "interval") {
        const Scalar* s = operand.expr->literal();
        if (s == nullptr || s->type != TypeId::kString) {
          return Error(pos, "only constant strings can be cast to interval");
        }
        absl::StatusOr<int64_t> ns = ParseIntervalNs(s->string_value());
        if (!ns.ok()) return At(pos, ns.status());
        return Bound{exec::MakeLiteral(Scalar::Int64(*ns)), true};
      }
      CS_ASSIGN_OR_RETURN(TypeId to, CastType(cast->type, pos));
      absl::StatusOr<ExprPtr> out = exec::MakeCast(operand.expr, to);
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, operand.constant};
    }
    if (const auto* ex = e.As<sql::Extract>()) {
      CS_ASSIGN_OR_RETURN(Bound operand, BindExpr(*ex->operand, ctx));
      absl::StatusOr<ExprPtr> out =
          exec::MakeCall("date_part", {exec::MakeLiteral(Scalar::String(ex->field)), operand.expr});
      if (!out.ok()) return At(pos, out.status());
      return Bound{*out, operand.constant};
    }
    if (const auto* sub = e.As<sql::ScalarSubquery>()) {
      CS_ASSIGN_OR_RETURN(std::vector<Scalar> values, RunSubquery(*sub->query, pos, true));
      return Bound{exec::MakeLiteral(values.front()), true};
    }
    return Error(pos, "unsupported expression");
  }

  absl::StatusOr<Bound> MakeIn(const Bound& operand, std::vector<Scalar> values, bool negated,
                               size_t pos) {
    for (Scalar& v : values) {
      if (v.is_null()) v = Scalar::Null(operand.expr->type());
      if (operand.expr->type() == TypeId::kTimestampNs && !v.is_null() &&
          v.type != TypeId::kTimestampNs) {
        absl::StatusOr<Scalar> ts = exec::CastScalar(v, TypeId::kTimestampNs);
        if (!ts.ok()) return At(pos, ts.status());
        v = *ts;
      }
    }
    absl::StatusOr<ExprPtr> out = exec::MakeInList(operand.expr, std::move(values), negated);
    if (!out.ok()) return At(pos, out.status());
    return Bound{*out, operand.constant};
  }

  // Runs an uncorrelated subquery; `scalar`: exactly one column and at most one row (none gives
  // NULL). Otherwise one column, any number of rows up to the limit.
  absl::StatusOr<std::vector<Scalar>> RunSubquery(const sql::Query& query, size_t pos,
                                                  bool scalar) {
    CS_ASSIGN_OR_RETURN(PlanPtr plan, BindQuery(query));
    if (plan->schema.size() != 1) {
      return Error(pos,
                   base::StrCat("subquery must return only one column, not ", plan->schema.size()));
    }
    CS_ASSIGN_OR_RETURN(std::vector<model::RecordBatch> batches, options_.run_subquery(plan));
    std::vector<Scalar> out;
    for (const model::RecordBatch& batch : batches) {
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        out.push_back(exec::ScalarAt(batch.column(0), r));
        if (scalar && out.size() > 1) {
          return Error(pos, "more than one row returned by a subquery used as an expression");
        }
        if (out.size() > options_.max_in_subquery_values) {
          return Error(pos, base::StrCat("IN subquery returned more than ",
                                         options_.max_in_subquery_values, " values"));
        }
      }
    }
    if (scalar && out.empty()) out.push_back(Scalar::Null(plan->schema.field(0).type));
    return out;
  }

  absl::StatusOr<TypeId> CastType(const sql::TypeName& type, size_t pos) {
    static const std::map<std::string, TypeId> kTypes = {
        {"bigint", TypeId::kInt64},
        {"int", TypeId::kInt64},
        {"integer", TypeId::kInt64},
        {"int8", TypeId::kInt64},
        {"int4", TypeId::kInt64},
        {"int2", TypeId::kInt64},
        {"smallint", TypeId::kInt64},
        {"tinyint", TypeId::kInt64},
        {"ubigint", TypeId::kUInt64},
        {"uint64", TypeId::kUInt64},
        {"bigint unsigned", TypeId::kUInt64},
        {"double", TypeId::kDouble},
        {"double precision", TypeId::kDouble},
        {"float", TypeId::kDouble},
        {"float8", TypeId::kDouble},
        {"float4", TypeId::kDouble},
        {"real", TypeId::kDouble},
        {"numeric", TypeId::kDouble},
        {"decimal", TypeId::kDouble},
        {"varchar", TypeId::kString},
        {"text", TypeId::kString},
        {"string", TypeId::kString},
        {"char", TypeId::kString},
        {"character varying", TypeId::kString},
        {"boolean", TypeId::kBool},
        {"bool", TypeId::kBool},
        {"timestamp", TypeId::kTimestampNs},
        {"timestamptz", TypeId::kTimestampNs},
        {"timestamp with time zone", TypeId::kTimestampNs},
        {"timestamp without time zone", TypeId::kTimestampNs},
        {"date", TypeId::kTimestampNs},
    };
    auto it = kTypes.find(type.name);
    if (it == kTypes.end())
      return Error(pos, base::StrCat("type \"", type.name, "\" does not exist"));
    return it->second;
  }

  absl::StatusOr<Bound> BindLiteral(const sql::Literal& lit, size_t pos) {
    switch (lit.kind) {
      case sql::LiteralKind::kNull:
        return Bound{exec::MakeLiteral(Scalar::Null(TypeId::kString)), true};
      case sql::LiteralKind::kBool:
        return Bound{exec::MakeLiteral(Scalar::Bool(lit.bool_value)), true};
      case sql::LiteralKind::kInteger:
        return Bound{exec::MakeLiteral(Scalar::Int64(lit.int_value)), true};
      case sql::LiteralKind::kDouble:
        return Bound{exec::MakeLiteral(Scalar::Double(lit.double_value)), true};
      case sql::LiteralKind::kString:
        return Bound{exec::MakeLiteral(Scalar::String(lit.text)), true};
      case sql::LiteralKind::kInterval: {
        absl::StatusOr<int64_t> ns = ParseIntervalNs(lit.text, lit.interval_unit);
        if (!ns.ok()) return At(pos, ns.status());
        return Bound{exec::MakeLiteral(Scalar::Int64(*ns)), true};
      }
      case sql::LiteralKind::kTimestamp:
      case sql::LiteralKind::kDate: {
        absl::StatusOr<int64_t> ns = exec::ParseTimestamp(lit.text);
        if (!ns.ok()) return At(pos, ns.status());
        return Bound{exec::MakeLiteral(Scalar::Timestamp(*ns)), true};
      }
    }
    return Error(pos, "unsupported literal");
  }

  absl::StatusOr<Bound> BindBinary(const sql::BinaryOp& bin, size_t pos, const ExprContext& ctx) {
    CS_ASSIGN_OR_RETURN(Bound left, BindExpr(*bin.left, ctx));
    CS_ASSIGN_OR_RETURN(Bound right, BindExpr(*bin.right, ctx));
    const bool constant = left.constant && right.constant;
    absl::StatusOr<ExprPtr> out;
    auto compare = [&](exec::CompareOp op) -> absl::StatusOr<ExprPtr> {
      CS_ASSIGN_OR_RETURN(auto pair, Unify(left.expr, right.expr));
      return exec::MakeCompare(op, pair.first, pair.second);
    };
    auto regex = [&](bool insensitive, bool negated) -> absl::StatusOr<ExprPtr> {
      const Scalar* p = right.expr->literal();
      if (p == nullptr || p->type != TypeId::kString) {
        return absl::InvalidArgumentError("regular expression must be a constant string");
      }
      return exec::MakeRegexpMatch(left.expr, p->string_value(), insensitive, negated);
    };
    auto arith = [&](exec::ArithmeticOp op) -> absl::StatusOr<ExprPtr> {
      // Only NULL literals are retyped: timestamp - int64 (an interval) must stay as it is.
      ExprPtr a = left.expr, b = right.expr;
      auto is_null = [](const ExprPtr& x) { return x->literal() && x->literal()->is_null(); };
      if (is_null(a) && !is_null(b)) a = exec::MakeLiteral(Scalar::Null(b->type()));
      if (is_null(b) && !is_null(a)) b = exec::MakeLiteral(Scalar::Null(a->type()));
      return exec::MakeArithmetic(op, a, b);
    };
    switch (bin.op) {
      case sql::BinaryOperator::kEq:
        out = compare(exec::CompareOp::kEq);
        break;
      case sql::BinaryOperator::kNotEq:
        out = compare(exec::CompareOp::kNe);
        break;
      case sql::BinaryOperator::kLt:
        out = compare(exec::CompareOp::kLt);
        break;
      case sql::BinaryOperator::kLtEq:
        out = compare(exec::CompareOp::kLe);
        break;
      case sql::BinaryOperator::kGt:
        out = compare(exec::CompareOp::kGt);
        break;
      case sql::BinaryOperator::kGtEq:
        out = compare(exec::CompareOp::kGe);
        break;
      case sql::BinaryOperator::kAdd:
        out = arith(exec::ArithmeticOp::kAdd);
        break;
      case sql::BinaryOperator::kSubtract:
        out = arith(exec::ArithmeticOp::kSubtract);
        break;
      case sql::BinaryOperator::kMultiply:
        out = arith(exec::ArithmeticOp::kMultiply);
        break;
      case sql::BinaryOperator::kDivide:
        out = arith(exec::ArithmeticOp::kDivide);
        break;
      case sql::BinaryOperator::kModulo:
        out = arith(exec::ArithmeticOp::kModulo);
        break;
      case sql::BinaryOperator::kConcat: {
        // SQL ||: NULL if either side is NULL (concat() would skip NULLs).
        absl::StatusOr<ExprPtr> a = exec::MakeCast(left.expr, TypeId::kString);
        absl::StatusOr<ExprPtr> b = exec::MakeCast(right.expr, TypeId::kString);
        if (!a.ok()) return At(pos, a.status());
        if (!b.ok()) return At(pos, b.status());
        absl::StatusOr<ExprPtr> joined = exec::MakeCall("concat", {*a, *b});
        if (!joined.ok()) return At(pos, joined.status());
        absl::StatusOr<ExprPtr> any_null =
            exec::MakeOr({exec::MakeIsNull(*a), exec::MakeIsNull(*b)});
        if (!any_null.ok()) return At(pos, any_null.status());
        out = exec::MakeCase({{*any_null, exec::MakeLiteral(Scalar::Null(TypeId::kString))}},
                             *joined);
        break;
      }
      case sql::BinaryOperator::kRegexMatch:
        out = regex(false, false);
        break;
      case sql::BinaryOperator::kRegexMatchInsensitive:
        out = regex(true, false);
        break;
      case sql::BinaryOperator::kRegexNotMatch:
        out = regex(false, true);
        break;
      case sql::BinaryOperator::kRegexNotMatchInsensitive:
        out = regex(true, true);
        break;
    }
    if (!out.ok()) return At(pos, out.status());
    return Bound{*out, constant};
  }

  absl::StatusOr<Bound> BindCall(const sql::FunctionCall& call, size_t pos,
                                 const ExprContext& ctx) {
    if (IsAggregateCall(call)) {
      return Error(pos, base::StrCat("aggregate functions are not allowed in ", ctx.clause));
    }
    if (call.distinct || call.star || !call.order_by.empty() || !call.within_group.empty() ||
        call.filter) {
      return Error(pos, base::StrCat(call.name,
                                     "() is not an aggregate function; DISTINCT, *, ORDER BY, "
                                     "WITHIN GROUP and FILTER apply to aggregates only"));
    }
    if (call.name == "now" || call.name == "current_timestamp") {
      if (!call.args.empty()) return Error(pos, base::StrCat(call.name, "() takes no arguments"));
      return Bound{exec::MakeLiteral(Scalar::Timestamp(options_.now_ns)), true};
    }
    CS_ASSIGN_OR_RETURN(std::vector<Bound> args, BindAll(call.args, ctx));
    const bool constant = AllConstant(args);
    absl::StatusOr<ExprPtr> out;
    if (call.name == "coalesce") {
      out = exec::MakeCoalesce(Exprs(args));
    } else if (call.name == "nullif" && args.size() == 2) {
      CS_ASSIGN_OR_RETURN(auto pair, Unify(args[0].expr, args[1].expr));
      out = exec::MakeNullIf(pair.first, pair.second);
    } else if ((call.name == "regexp_match" || call.name == "regexp_like") &&
               (args.size() == 2 || args.size() == 3)) {
      const Scalar* p = args[1].expr->literal();
      bool insensitive = false;
      if (args.size() == 3) {
        const Scalar* flags = args[2].expr->literal();
        if (flags == nullptr || flags->type != TypeId::kString ||
            (flags->string_value() != "i" && !flags->string_value().empty())) {
          return Error(call.args[2]->pos, "regexp flags must be a constant '' or 'i'");
        }
        insensitive = flags->string_value() == "i";
      }
      if (p == nullptr || p->type != TypeId::kString) {
        return Error(call.args[1]->pos, "regular expression must be a constant string");
      }
      out = exec::MakeRegexpMatch(args[0].expr, p->string_value(), insensitive);
    } else {
      if (!exec::IsScalarFunction(call.name)) {
        return Error(pos, base::StrCat("function ", call.name, "() does not exist"));
      }
      std::vector<ExprPtr> exprs = Exprs(args);
      // date_trunc('hour', NULL) and friends: a bare NULL takes the timestamp type.
      for (ExprPtr& a : exprs) {
        if (a->literal() && a->literal()->is_null() && a->type() == TypeId::kString &&
            (call.name == "date_trunc" || call.name == "date_bin" || call.name == "time_bucket" ||
             call.name == "date_part") &&
            &a != &exprs.front()) {
          a = exec::MakeLiteral(Scalar::Null(TypeId::kTimestampNs));
        }
      }
      out = exec::MakeCall(call.name, std::move(exprs));
    }
    if (!out.ok()) return At(pos, out.status());
    return Bound{*out, constant};
  }

  // An aggregate call in a post-aggregate expression: its inputs go into the pre-projection,
  // the call into the aggregate node; returns a reference to its output column.
  absl::StatusOr<Bound> BindAggregate(const sql::FunctionCall& call, const sql::Expr& e,
                                      AggState* agg) {
    const size_t pos = e.pos;
    std::string text = sql::ToSql(e);
    const size_t keys = agg->key_sql.size();
    for (size_t j = 0; j < agg->agg_sql.size(); ++j) {
      if (agg->agg_sql[j] == text) {
        return Bound{exec::MakeColumnRef(keys + j, AggType(*agg, j), agg->specs[j].name), false};
      }
    }
    ExprContext input{agg->input, nullptr, "aggregate function calls"};
    auto add_input = [&](const sql::Expr& arg) -> absl::StatusOr<size_t> {
      if (ContainsAggregate(arg)) {
        return Error(arg.pos, "aggregate function calls cannot be nested");
      }
      CS_ASSIGN_OR_RETURN(Bound b, BindExpr(arg, input));
      agg->pre.push_back({b.expr, b.expr->ToString()});
      return agg->pre.size() - 1;
    };
    auto constant_fraction = [&](const sql::Expr& arg) -> absl::StatusOr<double> {
      CS_ASSIGN_OR_RETURN(Bound b, BindExpr(arg, input));
      const Scalar* v = b.expr->literal();
      if (v == nullptr || v->is_null() || !exec::IsNumeric(v->type)) {
        return Error(arg.pos, base::StrCat(call.name, " fraction must be a constant number"));
      }
      absl::StatusOr<Scalar> d = exec::CastScalar(*v, TypeId::kDouble);
      if (!d.ok()) return At(arg.pos, d.status());
      if (!(d->double_value() >= 0 && d->double_value() <= 1)) {
        return Error(arg.pos,
                     base::StrCat(call.name, " fraction ", exec::FormatDouble(d->double_value()),
                                  " is not between 0 and 1"));
      }
      return d->double_value();
    };
    exec::AggregateSpec spec;
    spec.name = call.name;
    if (call.name == "median") {
      if (call.args.size() != 1) return Error(pos, "median() takes one argument");
      spec.kind = exec::AggregateKind::kPercentileCont;
      spec.fraction = 0.5;
      CS_ASSIGN_OR_RETURN(spec.arg, add_input(*call.args[0]));
    } else {
      absl::StatusOr<exec::AggregateKind> kind =
          exec::LookupAggregateFunction(call.name, call.distinct, call.star);
      if (!kind.ok()) return At(pos, kind.status());
      spec.kind = *kind;
      switch (spec.kind) {
        case exec::AggregateKind::kCountStar:
          break;
        case exec::AggregateKind::kPercentileCont:
        case exec::AggregateKind::kPercentileDisc: {
          if (call.args.size() != 1 || call.within_group.size() != 1) {
            return Error(
                pos,
                base::StrCat(call.name, "(fraction) WITHIN GROUP (ORDER BY x) is the only form"));
          }
          CS_ASSIGN_OR_RETURN(spec.fraction, constant_fraction(*call.args[0]));
          if (call.within_group[0].descending) {
            if (spec.kind == exec::AggregateKind::kPercentileDisc) {
              return Error(call.within_group[0].pos,
                           "percentile_disc with ORDER BY ... DESC is not supported");
            }
            spec.fraction = 1 - spec.fraction;
          }
          CS_ASSIGN_OR_RETURN(spec.arg, add_input(*call.within_group[0].expr));
          break;
        }
        case exec::AggregateKind::kApproxPercentileCont: {
          if (call.args.size() < 2 || call.args.size() > 3) {
            return Error(pos,
                         "approx_percentile_cont(x, fraction[, centroids]) takes 2 or 3 arguments");
          }
          CS_ASSIGN_OR_RETURN(spec.fraction, constant_fraction(*call.args[1]));
          CS_ASSIGN_OR_RETURN(spec.arg, add_input(*call.args[0]));
          break;
        }
        case exec::AggregateKind::kFirstValue:
        case exec::AggregateKind::kLastValue: {
          if (call.args.size() != 1)
            return Error(pos, base::StrCat(call.name, "() takes one argument"));
          CS_ASSIGN_OR_RETURN(spec.arg, add_input(*call.args[0]));
          if (call.order_by.size() > 1) {
            return Error(pos, base::StrCat(call.name, "() takes at most one ORDER BY key"));
          }
          if (call.order_by.empty()) {
            // By time, as the contract describes first_value/last_value.
            std::optional<size_t> ts = agg->input->schema->IndexOf(model::kTimestampColumn);
            if (!ts.has_value()) {
              return Error(pos, base::StrCat(call.name,
                                             "() needs ORDER BY when there is no "
                                             "timestamp column"));
            }
            const Field& f = agg->input->schema->field(*ts);
            agg->pre.push_back({exec::MakeColumnRef(*ts, f.type, f.name), "?order?"});
            spec.order_by = agg->pre.size() - 1;
          } else {
            CS_ASSIGN_OR_RETURN(spec.order_by, add_input(*call.order_by[0].expr));
            if (call.order_by[0].descending) {
              spec.kind = spec.kind == exec::AggregateKind::kFirstValue
                              ? exec::AggregateKind::kLastValue
                              : exec::AggregateKind::kFirstValue;
            }
          }
          break;
        }
        default: {
          if (call.args.size() != 1) {
            return Error(pos, base::StrCat(call.name, "() takes exactly one argument"));
          }
          if (!call.within_group.empty()) {
            return Error(pos, base::StrCat("WITHIN GROUP is not allowed for ", call.name, "()"));
          }
          CS_ASSIGN_OR_RETURN(spec.arg, add_input(*call.args[0]));
          break;
        }
      }
      if (!call.order_by.empty() && spec.kind != exec::AggregateKind::kFirstValue &&
          spec.kind != exec::AggregateKind::kLastValue) {
        return Error(pos, base::StrCat("ORDER BY inside ", call.name, "() is not supported"));
      }
    }
    if (call.filter) {
      CS_ASSIGN_OR_RETURN(size_t f, add_input(*call.filter));
      if (agg->pre[f].expr->type() != TypeId::kBool) {
        return Error(call.filter->pos, "FILTER (WHERE ...) must be boolean");
      }
      spec.filter = f;
    }
    TypeId arg_type = spec.arg ? agg->pre[*spec.arg].expr->type() : TypeId::kInt64;
    absl::StatusOr<TypeId> type = exec::AggregateResultType(spec.kind, arg_type);
    if (!type.ok()) return At(pos, type.status());
    agg->agg_sql.push_back(text);
    agg->specs.push_back(spec);
    return Bound{exec::MakeColumnRef(keys + agg->specs.size() - 1, *type, spec.name), false};
  }

  static TypeId AggType(const AggState& agg, size_t j) {
    const exec::AggregateSpec& spec = agg.specs[j];
    TypeId arg_type = spec.arg ? agg.pre[*spec.arg].expr->type() : TypeId::kInt64;
    absl::StatusOr<TypeId> type = exec::AggregateResultType(spec.kind, arg_type);
    return type.ok() ? *type : TypeId::kInt64;  // checked when the spec was added
  }

  std::string_view sql_;
  const BindOptions& options_;
  std::optional<std::vector<std::string>> catalog_labels_;
  std::optional<std::vector<std::string>> complete_labels_;
};

}  // namespace

std::string_view SqlTypeName(model::TypeId type) {
  switch (type) {
    case TypeId::kBool:
      return "BOOLEAN";
    case TypeId::kInt64:
      return "BIGINT";
    case TypeId::kUInt64:
      return "UBIGINT";
    case TypeId::kDouble:
      return "DOUBLE";
    case TypeId::kString:
      return "VARCHAR";
    case TypeId::kTimestampNs:
      return "TIMESTAMP";
  }
  return "UNKNOWN";
}

absl::StatusOr<BoundStatement> Bind(const sql::Statement& statement, std::string_view sql,
                                    const BindOptions& options) {
  Binder binder(sql, options);
  return binder.BindStatement(statement);
}

}  // namespace cardinalsin::plan
