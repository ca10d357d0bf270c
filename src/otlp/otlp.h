// File: otlp.h
//
// OTLP metrics (opentelemetry.proto.collector.metrics.v1) in and out, translated to Prometheus
// series the way Prometheus' own OTLP receiver and the collector translate them
// (docs/format/otlp-translation.md; OTLP protocol 1.x, metrics data model v1).
//
//   model::SampleBatch batch;
//   absl::Status status = otlp::DecodeExportRequest(body, &batch);   // body outlives batch
//   if (!status.ok()) return BadRequest(status.message());           // malformed body: nothing
//   kept
//   ... write batch; points the translation refused are in batch.rejected_samples() ...
//   std::string reply = otlp::EncodeExportResponse(
//       batch.rejected_samples(), absl::StrJoin(batch.rejection_reasons(), "; "));
//
// Decoding reads protobuf zero-copy (src/proto/wire.h): label values that the body holds
// verbatim are views into it, the rest are owned by the batch. OTLP/JSON is parsed with
// nlohmann_json and everything it yields is owned by the batch.
//
// Malformed input (bad wire format, wrong JSON types) fails the whole request with
// InvalidArgument naming the field path and, for protobuf, the byte offset. Points that are
// well-formed but cannot be translated (delta temporality, time_unix_nano 0, inconsistent
// histogram buckets, names that translate to nothing) are counted with out->Reject(1, reason)
// per data point and the rest of the request is kept (OTLP partial success).
//
// Thread-safety: every function is reentrant; a batch must not be shared during a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "model/sample_batch.h"

namespace cardinalsin::otlp {

struct DecodeOptions {
  // The most labels (`__name__` included, summed over all series) one request may expand to.
  // A histogram point becomes one series per bucket and every series repeats all resource
  // attributes, so a small body can describe a huge batch; past this the request fails with
  // InvalidArgument instead of exhausting memory. The default is 8 Mi labels (256 MiB of
  // label views).
  size_t max_labels = size_t{8} << 20;
};

// Decodes an ExportMetricsServiceRequest in the protobuf encoding, appending to `out` (which
// need not be empty). `protobuf` must outlive `out`. On an error `out` may hold part of the
// request: the caller discards it.
[[nodiscard]] absl::Status DecodeExportRequest(std::string_view protobuf, model::SampleBatch* out,
                                               const DecodeOptions& options = {});

// The same for the OTLP/JSON encoding (protobuf JSON mapping with OTLP's rules: lowerCamelCase
// or original field names, 64-bit integers as strings or numbers, enums as numbers or names,
// unknown fields ignored). Nothing in `out` refers to `json` afterwards.
[[nodiscard]] absl::Status DecodeExportRequestJson(std::string_view json, model::SampleBatch* out,
                                                   const DecodeOptions& options = {});

// ExportMetricsServiceResponse: with partial_success {rejected_data_points, error_message}
// when `rejected` > 0, otherwise empty.
std::string EncodeExportResponse(uint64_t rejected, std::string_view message);
// The same in OTLP/JSON: {"partialSuccess":{"rejectedDataPoints":"N","errorMessage":"..."}} or {}.
std::string EncodeExportResponseJson(uint64_t rejected, std::string_view message);

// An ExportMetricsServiceRequest (protobuf) for the load generator and tests: each series of
// `batch` becomes one Gauge metric named by its `__name__` label, its other labels the data
// point attributes (string values), one NumberDataPoint (as_double, time_unix_nano) per
// sample. A non-empty `service_name` becomes the resource attribute `service.name`. All metrics
// share one ResourceMetrics and one ScopeMetrics.
std::string EncodeGaugeRequest(const model::SampleBatch& batch, std::string_view service_name = {});

}  // namespace cardinalsin::otlp
