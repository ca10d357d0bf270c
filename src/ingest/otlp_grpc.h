// File: otlp_grpc.h
//
// OTLP metrics over gRPC: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export` on the
// gRPC port (contract section 3.3). The tenant comes from the `x-scope-orgid` metadata, else the
// default. Status codes: OK (with partial_success when points were rejected), INVALID_ARGUMENT
// "Invalid OTLP metrics payload: ..." for undecodable or empty requests, RESOURCE_EXHAUSTED when
// the buffer is full, UNAVAILABLE when the WAL disk is full or the ingester stops, INTERNAL for
// WAL I/O failures.
#pragma once

#include <string>

#include "ingest/ingester.h"
#include "rpc/server.h"

namespace cardinalsin::ingest {

inline constexpr std::string_view kOtlpExportMethod =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

// `ingester` must outlive the table's server.
void AddOtlpGrpcService(rpc::ServiceTable& table, Ingester& ingester, std::string default_tenant);

}  // namespace cardinalsin::ingest
