#include "plan/physical_plan.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/aggregate.h"

namespace cardinalsin::plan {
namespace {

// Counts rows and time of one operator's Next() calls for EXPLAIN ANALYZE.
class InstrumentedOperator final : public exec::Operator {
 public:
  template <typename Actuals>
  InstrumentedOperator(exec::OperatorPtr child, std::shared_ptr<Actuals> actuals,
                       base::Clock* clock)
      : child_(std::move(child)),
        rows_(&actuals->rows),
        time_(&actuals->time),
        keep_(actuals),
        clock_(clock) {}
  const model::Schema& schema() const override { return child_->schema(); }
  absl::StatusOr<std::optional<model::RecordBatch>> Next() override {
    const absl::Time start = clock_->MonotonicNow();
    absl::StatusOr<std::optional<model::RecordBatch>> batch = child_->Next();
    *time_ += clock_->MonotonicNow() - start;
    if (batch.ok() && batch->has_value()) *rows_ += static_cast<int64_t>((*batch)->num_rows());
    return batch;
  }

 private:
  exec::OperatorPtr child_;
  int64_t* rows_;
  absl::Duration* time_;
  std::shared_ptr<void> keep_;
  base::Clock* clock_;
};

std::string Millis(absl::Duration d) {
  return absl::StrFormat("%.3f ms", absl::ToDoubleMilliseconds(d));
}

}  // namespace

PhysicalPlanner::PhysicalPlanner(scan::Scanner* scanner, exec::ExecContext* ctx,
                                 base::ThreadPool* pool, base::Clock* clock, bool instrument)
    : scanner_(scanner), ctx_(ctx), pool_(pool), clock_(clock), instrument_(instrument) {}

PhysicalPlanner::~PhysicalPlanner() = default;

absl::StatusOr<exec::OperatorPtr> PhysicalPlanner::Build(const PlanPtr& plan) {
  return BuildNode(plan);
}

absl::StatusOr<exec::OperatorPtr> PhysicalPlanner::Wrap(const PlanNode* node,
                                                        exec::OperatorPtr op) {
  if (!instrument_) return op;
  auto actuals = std::make_shared<Actuals>();
  actuals_[node] = actuals;
  return exec::OperatorPtr(std::make_unique<InstrumentedOperator>(std::move(op), actuals, clock_));
}

absl::StatusOr<exec::OperatorPtr> PhysicalPlanner::BuildNode(const PlanPtr& node) {
  exec::OperatorPtr op;
  switch (node->kind) {
    case PlanKind::kScan: {
      CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::ScanStream> stream, scanner_->Open(node->request));
      scan::ScanStream* raw = stream.get();
      model::Schema schema = raw->schema();
      if (schema.size() != node->schema.size()) {
        return absl::InternalError(base::StrCat(
            "scan returned ", schema.size(), " columns, the plan expects ", node->schema.size()));
      }
      scans_[node.get()] = std::move(stream);
      op = exec::MakeCallbackSource(
          std::move(schema), [raw]() { return raw->Next(); }, ctx_);
      break;
    }
    case PlanKind::kValues: {
      CS_ASSIGN_OR_RETURN(op, exec::MakeSource(node->schema, node->rows, ctx_));
      break;
    }
    case PlanKind::kFilter: {
      CS_ASSIGN_OR_RETURN(exec::OperatorPtr child, BuildNode(node->children[0]));
      CS_ASSIGN_OR_RETURN(op, exec::MakeFilter(std::move(child), node->predicate, ctx_));
      break;
    }
    case PlanKind::kProject: {
      CS_ASSIGN_OR_RETURN(exec::OperatorPtr child, BuildNode(node->children[0]));
      CS_ASSIGN_OR_RETURN(op, exec::MakeProject(std::move(child), node->items, ctx_));
      break;
    }
    case PlanKind::kAggregate: {
      // Filters and projections directly below run in the aggregate's workers.
      std::vector<const PlanNode*> stages;
      PlanPtr below = node->children[0];
      if (!instrument_) {
        while (below->kind == PlanKind::kProject || below->kind == PlanKind::kFilter) {
          stages.push_back(below.get());
          below = below->children[0];
        }
      }
      CS_ASSIGN_OR_RETURN(exec::OperatorPtr child, BuildNode(below));
      exec::HashAggregateOptions options;
      if (!stages.empty()) {
        auto pipeline = std::make_unique<exec::BatchPipeline>(child->schema());
        for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
          if ((*it)->kind == PlanKind::kFilter) {
            CS_RETURN_IF_ERROR(pipeline->AddFilter((*it)->predicate));
          } else {
            CS_RETURN_IF_ERROR(pipeline->AddProject((*it)->items));
          }
        }
        options.pre = pipeline.get();
        pipelines_.push_back(std::move(pipeline));
      }
      if (pool_ != nullptr) {
        options.pool = pool_;
        options.partitions = pool_->num_threads() + 1;
      }
      CS_ASSIGN_OR_RETURN(op, exec::MakeHashAggregate(std::move(child), node->group_keys,
                                                      node->aggregates, ctx_, options));
      break;
    }
    case PlanKind::kSort: {
      CS_ASSIGN_OR_RETURN(exec::OperatorPtr child, BuildNode(node->children[0]));
      if (node->limit.has_value()) {
        CS_ASSIGN_OR_RETURN(op, exec::MakeTopN(std::move(child), node->sort_keys, *node->limit,
                                               node->offset, ctx_));
      } else {
        CS_ASSIGN_OR_RETURN(op, exec::MakeSort(std::move(child), node->sort_keys, ctx_));
      }
      break;
    }
    case PlanKind::kLimit: {
      CS_ASSIGN_OR_RETURN(exec::OperatorPtr child, BuildNode(node->children[0]));
      CS_ASSIGN_OR_RETURN(op, exec::MakeLimit(std::move(child), node->limit, node->offset));
      break;
    }
    case PlanKind::kUnionAll: {
      std::vector<exec::OperatorPtr> children;
      for (const PlanPtr& c : node->children) {
        CS_ASSIGN_OR_RETURN(exec::OperatorPtr child, BuildNode(c));
        children.push_back(std::move(child));
      }
      CS_ASSIGN_OR_RETURN(op, exec::MakeUnionAll(std::move(children)));
      break;
    }
  }
  return Wrap(node.get(), std::move(op));
}

std::vector<std::string> PhysicalPlanner::Explain(const PlanPtr& plan, bool analyze) const {
  std::vector<std::string> out;
  ExplainNode(*plan, 0, analyze, &out);
  return out;
}

void PhysicalPlanner::ExplainNode(const PlanNode& node, int depth, bool analyze,
                                  std::vector<std::string>* out) const {
  std::string line(static_cast<size_t>(depth) * 2, ' ');
  line += DescribeNode(node);
  if (node.kind == PlanKind::kScan) {
    auto it = scans_.find(&node);
    if (it != scans_.end()) {
      const scan::ScanStats& s = it->second->stats();
      line += base::StrCat("; chunks: ", s.chunks_total, " total, ",
                           s.chunks_total - s.chunks_pruned_by_catalog, " after catalog pruning");
      if (analyze) {
        line += base::StrCat(", ", s.chunks_read, " read; row groups: ", s.row_groups_total,
                             " total, ", s.row_groups_read, " read; rows read ", s.rows_read,
                             ", unflushed ", s.rows_unflushed, ", bytes read ", s.bytes_read);
      }
    }
  }
  if (analyze) {
    auto it = actuals_.find(&node);
    if (it != actuals_.end()) {
      line +=
          base::StrCat(" (actual rows=", it->second->rows, " time=", Millis(it->second->time), ")");
    }
  }
  out->push_back(std::move(line));
  for (const PlanPtr& child : node.children) ExplainNode(*child, depth + 1, analyze, out);
}

scan::ScanStats PhysicalPlanner::ScanStatsTotal() const {
  scan::ScanStats total;
  for (const auto& entry : scans_) total.Add(entry.second->stats());
  return total;
}

}  // namespace cardinalsin::plan
