// File: query_stack.h
//
// The query role as `cardinalsin query` and `cardinalsin server` run it: its flags, and the wiring
// of scan::Scanner (caches, unflushed rows from the ingesters) + plan::SqlEngine + the SQL HTTP
// API (`/api/v1/sql`, src/query/sql_routes.h), and of promql::Engine over promscan::PromStorage
// (the same scanner and caches) + the Prometheus HTTP API (`/api/v1/query`, ...,
// src/promapi/routes.h).
//
// Where unflushed rows come from: `query` asks every live ingester registered in the bucket (or
// INGESTER_URLS) over HTTP; `server` reads its own ingester in-process and asks only the others.
#pragma once

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "base/thread_pool.h"
#include "common_options.h"
#include "http/router.h"
#include "ingest/ingester.h"
#include "io/object_store.h"
#include "plan/sql_engine.h"
#include "promapi/backend.h"
#include "promql/engine.h"
#include "promscan/prom_storage.h"
#include "scan/unflushed_source.h"

namespace cardinalsin::cmd {

struct QueryFlags {
  size_t l1_cache_mb = 1024;      // RAM cache of chunk footers and column ranges
  size_t series_cache_mb = 1024;  // RAM for series directories (scan::ScannerOptions)
  size_t page_cache_mb = 256;     // RAM for decoded timestamp and value pages (same)
  size_t l2_cache_mb = 10240;     // disk cache capacity (with --cache-dir)
  std::string cache_dir;          // empty = no disk cache
  std::string query_timeout = "300s";
  int max_concurrent_queries = 100;
  size_t query_memory_limit_mb = 4096;  // per query, hash tables and sort buffers; 0 = unlimited
  uint64_t query_max_rows_scanned = 0;  // per query; 0 = unlimited
  uint64_t query_max_result_rows = 0;   // per query; 0 = unlimited
  std::string ingester_urls;  // comma-separated base URLs instead of the bucket's registry
  // PromQL (Prometheus's --query.lookback-delta and --query.max-samples).
  std::string query_lookback_delta = "5m";
  int64_t query_max_samples = 50'000'000;
};

void AddQueryFlags(CLI::App& app, QueryFlags& flags);

// A running query engine whose routes are on the caller's router.
class QueryStack {
 public:
  // Creates the scanner, the SQL and PromQL engines and adds the SQL and Prometheus API routes
  // to `router` (which must outlive the stack). `local` (nullable, not owned) is this process's
  // ingester: its buffer is read in-process and it is not asked over HTTP.
  static absl::StatusOr<std::unique_ptr<QueryStack>> Start(const QueryFlags& flags,
                                                           io::ObjectStore* store,
                                                           http::Router& router,
                                                           ingest::Ingester* local);
  ~QueryStack();

 private:
  QueryStack() = default;
  std::unique_ptr<scan::UnflushedSource> unflushed_;
  std::unique_ptr<plan::SqlEngine> engine_;
  std::unique_ptr<base::ThreadPool> promql_pool_;  // before the engine that uses it
  std::unique_ptr<promql::Engine> promql_engine_;
  std::unique_ptr<promscan::PromStorage> prom_storage_;  // reads through engine_'s scanner
  std::unique_ptr<promapi::Backend> prom_backend_;
  std::unique_ptr<promapi::MetadataSource> prom_metadata_;
};

}  // namespace cardinalsin::cmd
