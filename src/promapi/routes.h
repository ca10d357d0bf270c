// File: routes.h
//
// The Prometheus HTTP API on the query port (ARCHITECTURE.md section 7, compatibility contract
// section 4.2), as Prometheus 3's web/api/v1 serves it, so Grafana and other Prometheus clients
// work unchanged. PromQL runs on promql::Engine over the Querier a Backend (backend.h) provides;
// this module does not know about storage. The engine comes in as an Evaluator (two callbacks),
// so the route tests can script results and errors.
//
//   PromApiOptions options;
//   options.evaluator = EngineEvaluator(engine);
//   options.backend = &backend;
//   AddPromApiRoutes(router, std::move(options));
//
// Routes (GET and POST with an application/x-www-form-urlencoded body; form values win over
// query-string values, as Go's FormValue; other methods get 405):
//   /api/v1/query         query, time (default now), timeout, limit, stats, lookback_delta
//   /api/v1/query_range   query, start, end, step (all required), timeout, limit, stats,
//                         lookback_delta
//   /api/v1/series        match[] (required, repeatable), start, end, limit
//   /api/v1/labels        match[], start, end, limit
//   /api/v1/label/<name>/values   the same; <name> may be "U__"-escaped (Prometheus's UTF-8 name
//                         escaping)
//   /api/v1/metadata      metric, limit, limit_per_metric (from the MetadataSource)
//   /api/v1/format_query, /api/v1/parse_query   query
//   /api/v1/status/buildinfo, /runtimeinfo, /config, /flags
//   /api/v1/query_exemplars (data []), /api/v1/rules, /api/v1/alerts, /api/v1/targets (empty
//   lists in Prometheus's shapes: this server evaluates no rules and scrapes nothing)
// Times are float Unix seconds or RFC 3339; durations float seconds or "1h30m" (params.h). The
// tenant is X-Scope-OrgID (model::ValidateTenantId), else PromApiOptions::default_tenant.
//
// Responses: {"status":"success","data":...} with "warnings" / "infos" arrays when non-empty;
// results as Prometheus encodes them (internal/json.h: values are strings, "NaN", "+Inf",
// "-Inf"; timestamps seconds with millisecond decimals). Errors:
// {"status":"error","errorType":"<type>","error":"<message>"} with
//   400 bad_data     unparsable parameters or query (Prometheus's texts, e.g.
//                    `invalid parameter "start": cannot parse "x" to a valid timestamp`,
//                    `invalid parameter "end": end timestamp must not be before start time`,
//                    `exceeded maximum resolution of 11,000 points per timeseries. Try
//                    decreasing the query resolution (?step=XX)`), bad tenant id
//   422 execution    evaluation errors (FailedPrecondition, ResourceExhausted)
//   503 timeout      the deadline passed (DeadlineExceeded)
//   503 canceled     the server is shutting down (Cancelled)
//   503 unavailable  storage unavailable, or max_concurrent_queries queries already running
//   500 internal     anything else
//
// Limits: each query and lookup gets a deadline of now + min(timeout parameter,
// query_timeout); at most max_concurrent_queries PromQL queries and lookups run at once (more get
// 503 at once, nothing queues); `limit` truncates series results with the warning "results
// truncated due to limit".
//
// Thread-safety: the handlers are thread-safe. The engine, backend and metadata source are called
// concurrently and must be thread-safe; the backend and metadata source must outlive the router.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "http/router.h"
#include "promapi/backend.h"
#include "promql/engine.h"

namespace cardinalsin::promapi {

// /api/v1/status/buildinfo (Prometheus's field names; goVersion carries the compiler).
struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version;
};

// How the query routes evaluate PromQL: promql::Engine's two entry points (engine.h states the
// contract, including the error codes), as callbacks.
struct Evaluator {
  std::function<absl::StatusOr<promql::QueryResult>(promql::Querier& querier,
                                                    const promql::Expr& expr, int64_t time_ms,
                                                    const promql::QueryOptions& options)>
      instant;
  std::function<absl::StatusOr<promql::QueryResult>(
      promql::Querier& querier, const promql::Expr& expr, int64_t start_ms, int64_t end_ms,
      int64_t step_ms, const promql::QueryOptions& options)>
      range;
};

// An Evaluator running `engine`, which must outlive the routes.
inline Evaluator EngineEvaluator(const promql::Engine& engine) {
  return {[&engine](promql::Querier& querier, const promql::Expr& expr, int64_t time_ms,
                    const promql::QueryOptions& options) {
            return engine.InstantQuery(querier, expr, time_ms, options);
          },
          [&engine](promql::Querier& querier, const promql::Expr& expr, int64_t start_ms,
                    int64_t end_ms, int64_t step_ms, const promql::QueryOptions& options) {
            return engine.RangeQuery(querier, expr, start_ms, end_ms, step_ms, options);
          }};
}

struct PromApiOptions {
  Evaluator evaluator;                 // required (both callbacks)
  Backend* backend = nullptr;          // required; not owned
  MetadataSource* metadata = nullptr;  // not owned; null = /api/v1/metadata is always empty
  std::string default_tenant = "default";
  // The per-request timeout and the cap for the `timeout` parameter.
  absl::Duration query_timeout = absl::Minutes(2);
  int max_concurrent_queries = 20;  // >= 1
  // Points per series a range query may ask for (Prometheus: 11000).
  int64_t max_points_per_series = 11'000;
  BuildInfo build_info;
  // /api/v1/status/flags, name -> value.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_yaml;        // /api/v1/status/config
  std::string storage_retention;  // /api/v1/status/runtimeinfo
  base::Clock* clock = nullptr;   // null = base::SystemClock()
};

// Registers the routes above on `router`.
// REQUIRES: evaluator.instant, evaluator.range and backend are set;
// max_concurrent_queries >= 1; query_timeout > 0;
// max_points_per_series >= 1.
void AddPromApiRoutes(http::Router& router, PromApiOptions options);

}  // namespace cardinalsin::promapi
