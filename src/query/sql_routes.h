// File: sql_routes.h
//
// The SQL HTTP API, GET and POST /api/v1/sql (compatibility contract section 4.1, ARCHITECTURE.md
// section 7). The route parses the request, applies the limits and encodes the result; the SQL
// engine itself comes in as a callback, so this module does not depend on the planner.
//
//   SqlRoutesOptions options;
//   options.execute = [&engine](const SqlCall& call) -> absl::StatusOr<SqlResult> {
//     return engine.Run(call.tenant, call.query, call.deadline);
//   };
//   options.max_concurrent_queries = 16;
//   AddSqlRoutes(router, std::move(options));
//
// Request. Parameters `query` (required), `format` (json | csv | arrow | ndjson, default json)
// and `timeout` (a duration such as "10s" or "1m30s", or float seconds; capped at
// SqlRoutesOptions::query_timeout) come from:
//   - GET: the query string;
//   - POST with Content-Type application/json (or application/<x>+json): a JSON object
//     {"query": "...", "format": "...", "timeout": "10s" | 10}; query-string parameters fill in
//     what the body lacks;
//   - POST with Content-Type application/x-www-form-urlencoded: the form, then the query string;
//   - POST with an empty body: the query string, whatever the Content-Type.
// Tenant: the `X-Scope-OrgID` header, else SqlRoutesOptions::default_tenant; 1-128 characters of
// [A-Za-z0-9_.-], not starting with '.' or '_' (the same rule as the ingest routes).
//
// Responses (errors are application/json {"error": "<message>"} unless said otherwise):
//   200  the result in the requested format (result_format.h); small bodies are sent with a
//        Content-Length, larger ones (over stream_threshold_bytes) chunked as they are encoded.
//        Headers X-CardinalSin-Rows-Read / -Bytes-Read / -Execution-Time-Ms carry the stats for
//        every format, and one X-CardinalSin-Warning header per SqlResult warning (json also
//        lists them in a top-level "warnings" array).
//   400  text/plain "Invalid format. Use: json, arrow, or csv" for an unknown format (the
//        contract's text; ndjson is accepted too), checked before the query runs (defect 43)
//   400  malformed JSON body, missing or empty `query` in GET or form parameters, bad `timeout`,
//        bad tenant id; a query the engine rejects (InvalidArgument, OutOfRange, Unimplemented):
//        its message, which names the position
//   415  a POST body with another or no Content-Type
//   422  a JSON body that is not an object, lacks a string `query` (contract, as built); a query
//        over a memory, row or byte limit (ResourceExhausted): the execution-error code
//        Prometheus and Mimir use for "query would load too many samples"
//   429  + Retry-After: max_concurrent_queries queries are running (as Mimir's frontend does;
//        nothing queues behind the limit)
//   503  + Retry-After for Unavailable, Aborted and Cancelled (the server is shutting down);
//        503 "query timed out after 30s" for DeadlineExceeded (Prometheus's errorTimeout)
//   500  anything else: storage and internal errors (defect 43: not 400; NotFound is a missing
//        object, since the engine reports unknown tables and columns as InvalidArgument), and a
//        result the engine built inconsistently
//
// Limits (defect 45: enforced, not just configured):
//   - timeout: each call gets a deadline (now + min(timeout parameter, query_timeout)). The
//     engine must check SqlCall::deadline and return DeadlineExceeded; the route cannot pre-empt
//     it. A result that arrives late is still returned.
//   - max_concurrent_queries: a counting semaphore around the engine call, try-acquire only.
//     Encoding a result does not hold a slot. Also bounded by the HTTP server's io threads.
//   - max_result_rows: passed to the engine in SqlCall and checked on the result (422).
//
// Thread-safety: the handlers are thread-safe; SqlRoutesOptions::execute is called concurrently
// (up to max_concurrent_queries at once) and must be thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "http/router.h"
#include "query/result_format.h"
#include "query/sql_result.h"

namespace cardinalsin::query {

// One query as the engine sees it.
struct SqlCall {
  std::string tenant;  // validated
  std::string query;   // the SQL text, non-empty
  ResultFormat format = ResultFormat::kJson;
  absl::Duration timeout;  // the effective timeout (parameter capped by the server maximum)
  absl::Time deadline;     // clock.Now() at the start + timeout; past it return DeadlineExceeded
  // 0 = no limit. The engine may stop early with ResourceExhausted once the result would exceed
  // it; the route checks the returned result either way.
  uint64_t max_result_rows = 0;
  // True once the HTTP server is shutting down (never null): long queries should stop with
  // Cancelled. Valid during the call only.
  const std::atomic<bool>* cancelled = nullptr;

  // DeadlineExceeded past `deadline` (by `clock`), Cancelled once `cancelled`; else OK. A
  // convenience for engines that poll between batches.
  [[nodiscard]] absl::Status CheckContinue(base::Clock& clock) const;
};

// Runs one query. Errors are mapped to HTTP statuses as in the file comment.
using SqlExecutor = std::function<absl::StatusOr<SqlResult>(const SqlCall& call)>;

struct SqlRoutesOptions {
  SqlExecutor execute;  // required
  std::string default_tenant = "default";
  // The per-query timeout and the cap for the `timeout` parameter (the original's configured 300 s,
  // defect 45).
  absl::Duration query_timeout = absl::Seconds(300);
  int max_concurrent_queries = 100;  // the original's configured limit; >= 1
  uint64_t max_result_rows = 0;      // 0 = unlimited
  // Bodies up to this size are encoded whole and sent with Content-Length; larger ones stream.
  size_t stream_threshold_bytes = 1 << 20;
  size_t stream_chunk_bytes = 256 << 10;  // target size of each streamed chunk
  EncodeOptions encode;
  base::Clock* clock = nullptr;  // null = base::SystemClock()
};

// Registers GET and POST /api/v1/sql on `router`.
// REQUIRES: options.execute is set; options.max_concurrent_queries >= 1; query_timeout > 0.
void AddSqlRoutes(http::Router& router, SqlRoutesOptions options);

// The response headers carrying SqlStats for every format.
inline constexpr std::string_view kRowsReadHeader = "X-CardinalSin-Rows-Read";
inline constexpr std::string_view kBytesReadHeader = "X-CardinalSin-Bytes-Read";
inline constexpr std::string_view kExecutionTimeHeader = "X-CardinalSin-Execution-Time-Ms";
// One per SqlResult::warnings entry, non-printable and non-ASCII bytes replaced by '?'.
inline constexpr std::string_view kWarningHeader = "X-CardinalSin-Warning";

}  // namespace cardinalsin::query
