#include "plan/sql_engine.h"

#include <set>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "plan/binder.h"
#include "plan/physical_plan.h"
#include "sql/parser.h"

namespace cardinalsin::plan {
namespace {

// Drains `op`, failing once more than `max_rows` rows (0 = unlimited) arrive.
absl::StatusOr<std::vector<model::RecordBatch>> Collect(exec::Operator& op, int64_t max_rows) {
  std::vector<model::RecordBatch> out;
  int64_t rows = 0;
  while (true) {
    CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, op.Next());
    if (!batch.has_value()) break;
    if (batch->num_rows() == 0) continue;
    rows += static_cast<int64_t>(batch->num_rows());
    if (max_rows > 0 && rows > max_rows) {
      return absl::ResourceExhaustedError(
          base::StrCat("query result exceeds the limit of ", max_rows, " rows"));
    }
    out.push_back(std::move(*batch));
  }
  return out;
}

model::RecordBatch TextRows(const std::string& name, const std::vector<std::string>& lines) {
  model::StringVector values;
  for (const std::string& line : lines) values.Append(line);
  return model::RecordBatch(model::Schema({{name, model::TypeId::kString, false}}),
                            {model::Column::FromStrings(std::move(values))});
}

}  // namespace

size_t QueryResult::num_rows() const {
  size_t n = 0;
  for (const model::RecordBatch& b : batches) n += b.num_rows();
  return n;
}

absl::StatusOr<std::unique_ptr<SqlEngine>> SqlEngine::Create(io::ObjectStore* store,
                                                             SqlEngineOptions options) {
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        base::StrCat("SQL engine threads must be at least 1, not ", options.threads));
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::Scanner> scanner,
                      scan::Scanner::Create(store, options.scanner));
  return std::unique_ptr<SqlEngine>(new SqlEngine(std::move(options), std::move(scanner)));
}

SqlEngine::SqlEngine(SqlEngineOptions options, std::unique_ptr<scan::Scanner> scanner)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : base::SystemClock()),
      scanner_(std::move(scanner)) {
  if (options_.threads > 1) {
    pool_ = std::make_unique<base::ThreadPool>(static_cast<size_t>(options_.threads - 1));
  }
}

SqlEngine::~SqlEngine() = default;

absl::StatusOr<QueryResult> SqlEngine::Execute(std::string_view tenant, std::string_view sql,
                                               const QueryOptions& options) {
  const absl::Time started = clock_.MonotonicNow();
  const absl::Time now = clock_.Now();
  exec::ExecLimits limits;
  if (options.deadline != absl::InfiniteFuture()) {
    limits.timeout = options.deadline - now;
    if (limits.timeout <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("query deadline passed before the query started");
    }
  }
  limits.memory_limit_bytes = options.memory_limit_bytes;
  limits.max_rows_read = options.max_rows_scanned;
  limits.external_cancel = options.cancelled;
  exec::ExecContext ctx(limits, &clock_);

  CS_ASSIGN_OR_RETURN(sql::Statement statement, sql::Parse(sql));

  // Subqueries run with their own planner but the query's context and limits.
  scan::ScanStats subquery_stats;
  BindOptions bind;
  bind.tenant = std::string(tenant);
  bind.now_ns = absl::ToUnixNanos(now);
  bind.label_names = [&](bool complete) -> absl::StatusOr<std::vector<std::string>> {
    std::set<std::string> labels;
    CS_ASSIGN_OR_RETURN(std::shared_ptr<const catalog::Snapshot> snapshot,
                        scanner_->RefreshCatalog(bind.tenant));
    for (const auto& chunk : snapshot->chunks) {
      for (const auto& label : chunk.second.labels) labels.insert(label.first);
    }
    if (complete && options_.scanner.unflushed != nullptr) {
      // The schema of an unrestricted scan lists the labels of unflushed rows too; no chunk is
      // read to learn it.
      scan::ScanRequest probe;
      probe.tenant = bind.tenant;
      CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::ScanStream> stream, scanner_->Open(probe));
      for (const model::Field& f : stream->schema().fields()) {
        if (!model::IsReservedColumnName(f.name)) labels.insert(f.name);
      }
    }
    return std::vector<std::string>(labels.begin(), labels.end());
  };
  bind.run_subquery = [&](const PlanPtr& plan) -> absl::StatusOr<std::vector<model::RecordBatch>> {
    PhysicalPlanner planner(scanner_.get(), &ctx, pool_.get(), &clock_, false);
    CS_ASSIGN_OR_RETURN(exec::OperatorPtr root, planner.Build(plan));
    absl::StatusOr<std::vector<model::RecordBatch>> rows = Collect(*root, 0);
    subquery_stats.Add(planner.ScanStatsTotal());
    return rows;
  };
  CS_ASSIGN_OR_RETURN(BoundStatement bound, Bind(statement, sql, bind));

  const bool analyze = bound.kind == BoundStatement::Kind::kExplainAnalyze;
  PhysicalPlanner planner(scanner_.get(), &ctx, pool_.get(), &clock_, analyze);
  CS_ASSIGN_OR_RETURN(exec::OperatorPtr root, planner.Build(bound.plan));

  QueryResult result;
  if (bound.kind == BoundStatement::Kind::kQuery) {
    result.schema = root->schema();
    CS_ASSIGN_OR_RETURN(result.batches, Collect(*root, options.max_result_rows));
  } else {
    if (analyze) {
      CS_ASSIGN_OR_RETURN(std::vector<model::RecordBatch> ignored, Collect(*root, 0));
      (void)ignored;
    }
    std::vector<std::string> lines = planner.Explain(bound.plan, analyze);
    if (analyze) {
      lines.push_back(
          base::StrCat("Execution time: ", absl::FormatDuration(clock_.MonotonicNow() - started),
                       ", peak memory ", ctx.peak_memory(), " bytes"));
    }
    model::RecordBatch rows = TextRows("plan", lines);
    result.schema = rows.schema();
    result.batches.push_back(std::move(rows));
  }
  scan::ScanStats scan = planner.ScanStatsTotal();
  scan.Add(subquery_stats);
  result.stats.rows_scanned = scan.rows_read + scan.rows_unflushed;
  result.stats.bytes_scanned = scan.bytes_read;
  result.stats.chunks_total = scan.chunks_total;
  result.stats.chunks_read = scan.chunks_read;
  result.stats.row_groups_total = scan.row_groups_total;
  result.stats.row_groups_read = scan.row_groups_read;
  result.stats.warnings = scan.warnings;
  result.stats.execution_time = clock_.MonotonicNow() - started;
  return result;
}

}  // namespace cardinalsin::plan
