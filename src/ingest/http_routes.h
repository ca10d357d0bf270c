// File: http_routes.h
//
// The ingest routes of the HTTP port (ARCHITECTURE.md section 3; contract section 3.1):
//
//   POST /api/v1/write          Prometheus remote write 1.0 and 2.0 (snappy protobuf)
//   POST /v1/metrics            OTLP/HTTP metrics, protobuf or JSON, gzip allowed
//   POST /api/v2/write, /write  InfluxDB line protocol (`precision` parameter)
//   GET  /internal/v1/scan      the unflushed buffer as an Arrow IPC stream, for query nodes
//
// Tenant: the `X-Scope-OrgID` header, else the default tenant (TENANT_ID); an invalid id is 400.
// Status codes: 204 (or 200 with a body for OTLP) when everything was stored; 400 naming the
// problem when the body is malformed or some series were rejected (the valid ones are stored and
// the body counts both); 413 for an oversized body (HTTP layer); 415 for an unsupported
// Content-Type/-Encoding; 429 + Retry-After when the buffer is full; 503 + Retry-After when the
// WAL disk is full or the ingester is shutting down; 500 for WAL I/O failures. Nothing is ever
// dropped without the response saying so.
//
// Thread-safety: the handlers are thread-safe; `ingester` must outlive the router.
#pragma once

#include <string>

#include "http/router.h"
#include "ingest/ingester.h"

namespace cardinalsin::ingest {

struct IngestRoutesOptions {
  std::string default_tenant = "default";
  size_t max_uncompressed_bytes = 64 << 20;  // remote write after snappy
};

void AddIngestRoutes(http::Router& router, Ingester& ingester, IngestRoutesOptions options);

// The scan endpoint's response header carrying Ingester::ScanResult::catalog_seq.
inline constexpr std::string_view kCatalogSeqHeader = "X-CardinalSin-Catalog-Seq";

}  // namespace cardinalsin::ingest
