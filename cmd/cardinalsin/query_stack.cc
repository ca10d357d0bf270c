#include "query_stack.h"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/duration.h"
#include "base/flags.h"
#include "base/status_macros.h"
#include "catalog/metadata.h"
#include "promapi/routes.h"
#include "query/sql_routes.h"

namespace cardinalsin::cmd {

void AddQueryFlags(CLI::App& app, QueryFlags& flags) {
  base::AddOption(app, "--l1-cache-mb", flags.l1_cache_mb, "L1_CACHE_MB",
                  "RAM cache for chunk footers and column ranges, MiB (0 = off)");
  base::AddOption(app, "--series-cache-mb", flags.series_cache_mb, "SERIES_CACHE_MB",
                  "RAM for series directories (the series of each chunk row group read with "
                  "metric or label conditions), MiB (0 = off: such reads decode label columns)");
  base::AddOption(app, "--page-cache-mb", flags.page_cache_mb, "PAGE_CACHE_MB",
                  "RAM for decoded timestamp and value pages of reads that want few of their "
                  "rows (one series out of a chunk), MiB (0 = off)");
  base::AddOption(app, "--l2-cache-mb", flags.l2_cache_mb, "L2_CACHE_MB",
                  "Disk cache capacity in MiB (used with --cache-dir)");
  base::AddOption(app, "--cache-dir", flags.cache_dir, "CACHE_DIR",
                  "Disk cache directory (empty: no disk cache)");
  base::AddOption(app, "--query-timeout", flags.query_timeout, "QUERY_TIMEOUT",
                  "Longest a query may run; also caps the `timeout` request parameter");
  base::AddOption(app, "--max-concurrent-queries", flags.max_concurrent_queries,
                  "MAX_CONCURRENT_QUERIES", "Queries running at once; more get 429")
      ->check(CLI::PositiveNumber);
  base::AddOption(app, "--query-memory-limit-mb", flags.query_memory_limit_mb,
                  "QUERY_MEMORY_LIMIT_MB",
                  "Per-query memory for hash tables and sort buffers, MiB (0 = unlimited)");
  base::AddOption(app, "--query-max-rows-scanned", flags.query_max_rows_scanned,
                  "QUERY_MAX_ROWS_SCANNED",
                  "Rows a query may read from chunks and ingester buffers (0 = unlimited)");
  base::AddOption(app, "--query-max-result-rows", flags.query_max_result_rows,
                  "QUERY_MAX_RESULT_ROWS", "Rows a query may return (0 = unlimited)");
  base::AddOption(app, "--ingester-urls", flags.ingester_urls, "INGESTER_URLS",
                  "Comma-separated ingester base URLs to read unflushed rows from (empty: the "
                  "ingesters registered in the bucket)");
  base::AddOption(app, "--query-lookback-delta", flags.query_lookback_delta, "QUERY_LOOKBACK_DELTA",
                  "How far back PromQL looks for a sample of an instant vector selector");
  base::AddOption(app, "--query-max-samples", flags.query_max_samples, "QUERY_MAX_SAMPLES",
                  "Samples a PromQL query may hold in memory at once; more fail the query")
      ->check(CLI::PositiveNumber);
}

namespace {

std::vector<std::string> SplitUrls(const std::string& text) {
  std::vector<std::string> urls;
  for (absl::string_view url : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    urls.emplace_back(absl::StripAsciiWhitespace(url));
  }
  return urls;
}

// `server`: this process's ingester is read in-process; the other live ingesters of the bucket
// (a server can share a bucket with separate ingester nodes) are asked over HTTP.
class ServerUnflushedSource final : public scan::UnflushedSource {
 public:
  ServerUnflushedSource(io::ObjectStore* store, ingest::Ingester* local)
      : registry_(store, {}), local_(local) {}

  absl::StatusOr<scan::UnflushedResult> Fetch(const scan::UnflushedQuery& query) override {
    scan::UnflushedResult result;
    std::vector<std::string> others;
    CS_ASSIGN_OR_RETURN(std::vector<scan::IngesterEndpoint> live, registry_.CachedLive());
    for (const scan::IngesterEndpoint& endpoint : live) {
      if (endpoint.id != local_->node_id()) others.push_back(endpoint.url);
    }
    if (!others.empty()) {
      scan::HttpUnflushedSource remote(nullptr, {.static_urls = std::move(others)});
      CS_ASSIGN_OR_RETURN(result, remote.Fetch(query));
    }
    ingest::RowFilter filter;
    filter.metric_name = query.metric;
    filter.min_time_ns = query.min_time_ns;
    filter.max_time_ns = query.max_time_ns;
    ingest::Ingester::ScanResult local = local_->Scan(query.tenant, filter);
    scan::UnflushedRows rows;
    rows.ingester = local_->node_id();
    rows.catalog_seq = local.catalog_seq;
    if (local.rows.num_rows() > 0) rows.batches.push_back(std::move(local.rows));
    result.sources.push_back(std::move(rows));
    return result;
  }

 private:
  scan::HttpUnflushedSource registry_;
  ingest::Ingester* const local_;
};

// /api/v1/metadata: the union of the ingesters' metadata objects in the bucket
// (docs/format/metadata.md), read per request (one listing and one get per ingester).
class BucketMetadataSource final : public promapi::MetadataSource {
 public:
  explicit BucketMetadataSource(io::ObjectStore* store) : store_(store) {}

  absl::StatusOr<std::map<std::string, std::vector<promapi::MetricMetadata>>> Metadata(
      const promapi::MetadataRequest& request) override {
    CS_ASSIGN_OR_RETURN(std::vector<catalog::FamilyMetadata> families,
                        catalog::ReadTenantMetadata(*store_, request.tenant));
    std::map<std::string, std::vector<promapi::MetricMetadata>> out;
    for (catalog::FamilyMetadata& f : families) {  // sorted by family
      if (request.metric.has_value() && f.family != *request.metric) continue;
      auto it = out.find(f.family);
      if (it == out.end()) {
        if (request.limit > 0 && out.size() >= request.limit) break;
        it = out.emplace(f.family, std::vector<promapi::MetricMetadata>{}).first;
      }
      if (request.limit_per_metric > 0 && it->second.size() >= request.limit_per_metric) continue;
      it->second.push_back(promapi::MetricMetadata{std::string(catalog::MetricTypeName(f.type)),
                                                   std::move(f.help), std::move(f.unit)});
    }
    return out;
  }

 private:
  io::ObjectStore* const store_;
};

// The Prometheus API's storage: promscan over the query role's scanner.
class ScanPromBackend final : public promapi::Backend {
 public:
  explicit ScanPromBackend(const promscan::PromStorage* storage) : storage_(storage) {}

  absl::StatusOr<std::unique_ptr<promql::Querier>> NewQuerier(const std::string& tenant,
                                                              absl::Time deadline) override {
    return storage_->NewQuerier(tenant, deadline);
  }
  absl::StatusOr<promapi::LookupResult<promql::Labels>> Series(
      const promapi::LookupRequest& request) override {
    CS_ASSIGN_OR_RETURN(auto answer, storage_->Series(ToLookup(request)));
    return promapi::LookupResult<promql::Labels>{std::move(answer.items),
                                                 std::move(answer.warnings)};
  }
  absl::StatusOr<promapi::LookupResult<std::string>> LabelNames(
      const promapi::LookupRequest& request) override {
    CS_ASSIGN_OR_RETURN(auto answer, storage_->LabelNames(ToLookup(request)));
    return promapi::LookupResult<std::string>{std::move(answer.items), std::move(answer.warnings)};
  }
  absl::StatusOr<promapi::LookupResult<std::string>> LabelValues(
      const promapi::LookupRequest& request, std::string_view name) override {
    CS_ASSIGN_OR_RETURN(auto answer, storage_->LabelValues(ToLookup(request), name));
    return promapi::LookupResult<std::string>{std::move(answer.items), std::move(answer.warnings)};
  }

 private:
  static promscan::Lookup ToLookup(const promapi::LookupRequest& request) {
    return {request.tenant, request.selectors, request.start_ms,
            request.end_ms, request.limit,     request.deadline};
  }
  const promscan::PromStorage* const storage_;
};

query::SqlStats ToSqlStats(const plan::QueryStats& stats) {
  query::SqlStats out;
  out.rows_scanned = static_cast<uint64_t>(stats.rows_scanned);
  out.bytes_scanned = static_cast<uint64_t>(stats.bytes_scanned);
  out.chunks_total = static_cast<uint64_t>(stats.chunks_total);
  out.chunks_scanned = static_cast<uint64_t>(stats.chunks_read);
  out.row_groups_total = static_cast<uint64_t>(stats.row_groups_total);
  out.row_groups_scanned = static_cast<uint64_t>(stats.row_groups_read);
  out.execution_time = stats.execution_time;
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<QueryStack>> QueryStack::Start(const QueryFlags& flags,
                                                              io::ObjectStore* store,
                                                              http::Router& router,
                                                              ingest::Ingester* local) {
  absl::StatusOr<absl::Duration> timeout = base::ParseHumanDuration(flags.query_timeout);
  if (!timeout.ok() || *timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid --query-timeout \"%s\": want a positive duration such as 30s or 5m",
        flags.query_timeout));
  }
  std::unique_ptr<QueryStack> stack(new QueryStack());
  if (local != nullptr) {
    stack->unflushed_ = std::make_unique<ServerUnflushedSource>(store, local);
  } else {
    stack->unflushed_ = std::make_unique<scan::HttpUnflushedSource>(
        store, scan::HttpUnflushedSource::Options{.static_urls = SplitUrls(flags.ingester_urls)});
  }
  plan::SqlEngineOptions engine_options;
  engine_options.scanner.unflushed = stack->unflushed_.get();
  engine_options.scanner.ram_cache_bytes = uint64_t{flags.l1_cache_mb} << 20;
  engine_options.scanner.series_directory_bytes = uint64_t{flags.series_cache_mb} << 20;
  engine_options.scanner.page_cache_bytes = uint64_t{flags.page_cache_mb} << 20;
  engine_options.scanner.cache_dir = flags.cache_dir;
  engine_options.scanner.disk_cache_bytes = uint64_t{flags.l2_cache_mb} << 20;
  CS_ASSIGN_OR_RETURN(stack->engine_, plan::SqlEngine::Create(store, std::move(engine_options)));

  query::SqlRoutesOptions routes;
  routes.query_timeout = *timeout;
  routes.max_concurrent_queries = flags.max_concurrent_queries;
  routes.max_result_rows = flags.query_max_result_rows;
  const int64_t memory_limit = static_cast<int64_t>(flags.query_memory_limit_mb) << 20;
  const int64_t max_rows_scanned = static_cast<int64_t>(flags.query_max_rows_scanned);
  routes.execute = [engine = stack->engine_.get(), memory_limit, max_rows_scanned](
                       const query::SqlCall& call) -> absl::StatusOr<query::SqlResult> {
    plan::QueryOptions options;
    options.deadline = call.deadline;
    options.memory_limit_bytes = memory_limit;
    options.max_result_rows = static_cast<int64_t>(call.max_result_rows);
    options.max_rows_scanned = max_rows_scanned;
    options.cancelled = call.cancelled;
    CS_ASSIGN_OR_RETURN(plan::QueryResult result,
                        engine->Execute(call.tenant, call.query, options));
    query::SqlResult out;
    out.schema = std::move(result.schema);
    out.batches = std::move(result.batches);
    out.stats = ToSqlStats(result.stats);
    out.warnings = std::move(result.stats.warnings);  // returned in the response
    return out;
  };
  query::AddSqlRoutes(router, std::move(routes));

  absl::StatusOr<absl::Duration> lookback = base::ParseHumanDuration(flags.query_lookback_delta);
  if (!lookback.ok() || *lookback <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid --query-lookback-delta \"%s\": want a positive duration such as 5m",
        flags.query_lookback_delta));
  }
  promql::EngineOptions promql_options;
  promql_options.lookback_delta_ms = absl::ToInt64Milliseconds(*lookback);
  promql_options.max_samples = flags.query_max_samples;
  // One evaluation thread per core besides the query's own (at least one).
  const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  stack->promql_pool_ = std::make_unique<base::ThreadPool>(cores - 1);
  promql_options.pool = stack->promql_pool_.get();
  stack->promql_engine_ = std::make_unique<promql::Engine>(promql_options);
  promscan::PromStorageOptions storage_options;
  // The engine counts what it holds at once; storage stops a query whose selections alone
  // exceed the same budget before the engine sees them.
  storage_options.max_samples = flags.query_max_samples;
  storage_options.max_lookup_rows = max_rows_scanned;
  stack->prom_storage_ =
      std::make_unique<promscan::PromStorage>(&stack->engine_->scanner(), storage_options);
  stack->prom_backend_ = std::make_unique<ScanPromBackend>(stack->prom_storage_.get());
  promapi::PromApiOptions prom_routes;
  prom_routes.evaluator = promapi::EngineEvaluator(*stack->promql_engine_);
  prom_routes.backend = stack->prom_backend_.get();
  stack->prom_metadata_ = std::make_unique<BucketMetadataSource>(store);
  prom_routes.metadata = stack->prom_metadata_.get();
  prom_routes.query_timeout = *timeout;
  prom_routes.max_concurrent_queries = flags.max_concurrent_queries;
  prom_routes.build_info.version = CS_VERSION;
  prom_routes.build_info.branch = "main";
  prom_routes.build_info.go_version = "gcc " __VERSION__;
  prom_routes.flags = {
      {"query.timeout", flags.query_timeout},
      {"query.lookback-delta", flags.query_lookback_delta},
      {"query.max-samples", std::to_string(flags.query_max_samples)},
      {"query.max-concurrency", std::to_string(flags.max_concurrent_queries)},
  };
  promapi::AddPromApiRoutes(router, std::move(prom_routes));
  return stack;
}

QueryStack::~QueryStack() = default;

}  // namespace cardinalsin::cmd
