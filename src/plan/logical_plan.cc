#include "plan/logical_plan.h"

#include <limits>
#include <utility>

#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/value.h"

namespace cardinalsin::plan {
namespace {

std::shared_ptr<PlanNode> NewNode(PlanKind kind, std::vector<PlanPtr> children) {
  auto node = std::make_shared<PlanNode>();
  node->kind = kind;
  node->children = std::move(children);
  return node;
}

std::string TimeBound(int64_t ns) {
  if (ns == std::numeric_limits<int64_t>::min()) return "-inf";
  if (ns == std::numeric_limits<int64_t>::max()) return "+inf";
  return exec::FormatTimestamp(ns);
}

std::string SortKeyText(const model::Schema& input, const exec::SortKey& key) {
  std::string out = input.field(key.column).name;
  out += key.descending ? " DESC" : " ASC";
  if (key.nulls_first.has_value()) out += *key.nulls_first ? " NULLS FIRST" : " NULLS LAST";
  return out;
}

}  // namespace

PlanPtr MakeScanNode(model::Schema columns, scan::ScanRequest request,
                     std::vector<std::string> pushed) {
  auto node = NewNode(PlanKind::kScan, {});
  node->schema = std::move(columns);
  node->request = std::move(request);
  node->pushed = std::move(pushed);
  return node;
}

PlanPtr MakeValuesNode(model::Schema schema, std::vector<model::RecordBatch> rows) {
  auto node = NewNode(PlanKind::kValues, {});
  node->schema = std::move(schema);
  node->rows = std::move(rows);
  return node;
}

PlanPtr MakeFilterNode(PlanPtr child, exec::ExprPtr predicate) {
  auto node = NewNode(PlanKind::kFilter, {child});
  node->schema = child->schema;
  node->predicate = std::move(predicate);
  return node;
}

PlanPtr MakeProjectNode(PlanPtr child, std::vector<exec::ProjectItem> items) {
  auto node = NewNode(PlanKind::kProject, {std::move(child)});
  std::vector<model::Field> fields;
  for (const exec::ProjectItem& item : items)
    fields.push_back({item.name, item.expr->type(), true});
  node->schema = model::Schema(std::move(fields));
  node->items = std::move(items);
  return node;
}

absl::StatusOr<PlanPtr> MakeAggregateNode(PlanPtr child, std::vector<size_t> group_keys,
                                          std::vector<std::string> key_names,
                                          std::vector<exec::AggregateSpec> aggregates) {
  std::vector<model::Field> fields;
  for (size_t i = 0; i < group_keys.size(); ++i) {
    fields.push_back({key_names[i], child->schema.field(group_keys[i]).type, true});
  }
  for (const exec::AggregateSpec& spec : aggregates) {
    model::TypeId arg_type = model::TypeId::kInt64;
    if (spec.arg.has_value()) arg_type = child->schema.field(*spec.arg).type;
    CS_ASSIGN_OR_RETURN(model::TypeId type, exec::AggregateResultType(spec.kind, arg_type));
    fields.push_back({spec.name, type, true});
  }
  auto node = NewNode(PlanKind::kAggregate, {std::move(child)});
  node->schema = model::Schema(std::move(fields));
  node->group_keys = std::move(group_keys);
  node->aggregates = std::move(aggregates);
  return PlanPtr(std::move(node));
}

PlanPtr MakeSortNode(PlanPtr child, std::vector<exec::SortKey> keys, std::optional<int64_t> limit,
                     int64_t offset) {
  auto node = NewNode(PlanKind::kSort, {child});
  node->schema = child->schema;
  node->sort_keys = std::move(keys);
  node->limit = limit;
  node->offset = offset;
  return node;
}

PlanPtr MakeLimitNode(PlanPtr child, std::optional<int64_t> limit, int64_t offset) {
  auto node = NewNode(PlanKind::kLimit, {child});
  node->schema = child->schema;
  node->limit = limit;
  node->offset = offset;
  return node;
}

PlanPtr MakeUnionAllNode(std::vector<PlanPtr> children) {
  model::Schema schema = children.front()->schema;
  auto node = NewNode(PlanKind::kUnionAll, std::move(children));
  node->schema = std::move(schema);
  return node;
}

std::string DescribeNode(const PlanNode& node) {
  auto names = [](const model::Schema& schema) {
    std::vector<std::string> out;
    for (const model::Field& f : schema.fields()) out.push_back(f.name);
    return absl::StrJoin(out, ", ");
  };
  switch (node.kind) {
    case PlanKind::kScan: {
      std::string out = base::StrCat("Scan metrics: columns [", names(node.schema), "]");
      out += base::StrCat(", time [", TimeBound(node.request.min_time_ns), ", ",
                          TimeBound(node.request.max_time_ns), "]");
      for (const std::string& p : node.pushed) out += ", " + p;
      return out;
    }
    case PlanKind::kValues: {
      size_t rows = 0;
      for (const model::RecordBatch& b : node.rows) rows += b.num_rows();
      return base::StrCat("Values: ", rows, " rows [", names(node.schema), "]");
    }
    case PlanKind::kFilter:
      return base::StrCat("Filter: ", node.predicate->ToString());
    case PlanKind::kProject: {
      std::vector<std::string> items;
      for (const exec::ProjectItem& item : node.items) {
        std::string text = item.expr->ToString();
        items.push_back(text == item.name ? text : base::StrCat(text, " AS ", item.name));
      }
      return base::StrCat("Project: ", absl::StrJoin(items, ", "));
    }
    case PlanKind::kAggregate: {
      const model::Schema& input = node.children[0]->schema;
      std::vector<std::string> keys;
      for (size_t k : node.group_keys) keys.push_back(input.field(k).name);
      std::vector<std::string> aggs;
      for (const exec::AggregateSpec& spec : node.aggregates) {
        std::string text(exec::AggregateName(spec.kind));
        text += "(";
        if (spec.arg.has_value()) text += input.field(*spec.arg).name;
        if (spec.kind == exec::AggregateKind::kCountStar) text += "*";
        if (spec.order_by.has_value()) text += " ORDER BY " + input.field(*spec.order_by).name;
        text += ")";
        if (spec.filter.has_value()) text += " FILTER " + input.field(*spec.filter).name;
        aggs.push_back(text);
      }
      if (node.aggregates.empty())
        return base::StrCat("Distinct: [", absl::StrJoin(keys, ", "), "]");
      return base::StrCat("HashAggregate: keys [", absl::StrJoin(keys, ", "), "], aggregates [",
                          absl::StrJoin(aggs, ", "), "]");
    }
    case PlanKind::kSort: {
      std::vector<std::string> keys;
      for (const exec::SortKey& key : node.sort_keys) keys.push_back(SortKeyText(node.schema, key));
      if (node.limit.has_value()) {
        return base::StrCat("TopN: [", absl::StrJoin(keys, ", "), "] limit ", *node.limit,
                            node.offset > 0 ? base::StrCat(" offset ", node.offset) : "");
      }
      return base::StrCat("Sort: [", absl::StrJoin(keys, ", "), "]");
    }
    case PlanKind::kLimit:
      return base::StrCat("Limit: ", node.limit.has_value() ? std::to_string(*node.limit) : "all",
                          node.offset > 0 ? base::StrCat(" offset ", node.offset) : "");
    case PlanKind::kUnionAll:
      return base::StrCat("UnionAll: ", node.children.size(), " inputs");
  }
  return "?";
}

}  // namespace cardinalsin::plan
