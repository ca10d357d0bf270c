// File: metadata.h
//
// Metric metadata in the bucket: the type, help text and unit of each metric family a tenant's
// writers have been told about (remote-write 1.0 MetricMetadata, remote-write 2.0 per-series
// metadata, OTLP metric descriptions and units). The Prometheus API's /api/v1/metadata serves it.
//
//   {tenant}/metadata/{writer id}.json
//
// One object per writer (ingester), overwritten whole whenever that writer has learnt something
// new, so writers never contend for an object. Readers take the union over all writers. The
// format is docs/format/metadata.md:
//
//   {"version":1,"writer":"ingester-1","families":[
//     {"family":"http_requests_total","type":"counter","help":"Requests.","unit":""}, ...]}
//
//   CS_RETURN_IF_ERROR(WriteWriterMetadata(store, "default", "ingester-1", families));
//   CS_ASSIGN_OR_RETURN(std::vector<FamilyMetadata> all, ReadTenantMetadata(store, "default"));
//
// Thread-safety: free functions; the store's own guarantees apply.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "io/object_store.h"
#include "model/sample_batch.h"

namespace cardinalsin::catalog {

struct FamilyMetadata {
  std::string family;
  model::MetricType type = model::MetricType::kUnknown;
  std::string help;
  std::string unit;
  friend bool operator==(const FamilyMetadata&, const FamilyMetadata&) = default;
  friend auto operator<=>(const FamilyMetadata&, const FamilyMetadata&) = default;
};

// Prometheus's names: "counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
// "stateset", "unknown".
std::string_view MetricTypeName(model::MetricType type);

std::string MetadataPrefix(std::string_view tenant);
std::string MetadataKey(std::string_view tenant, std::string_view writer_id);

std::string EncodeMetadata(std::string_view writer_id, std::span<const FamilyMetadata> families);
// InvalidArgument naming the problem for anything but the format above (unknown types included).
[[nodiscard]] absl::StatusOr<std::vector<FamilyMetadata>> DecodeMetadata(std::string_view json);

// Replaces the writer's object.
[[nodiscard]] absl::Status WriteWriterMetadata(io::ObjectStore& store, std::string_view tenant,
                                               std::string_view writer_id,
                                               std::span<const FamilyMetadata> families);
// The writer's object; empty when it does not exist.
[[nodiscard]] absl::StatusOr<std::vector<FamilyMetadata>> ReadWriterMetadata(
    io::ObjectStore& store, std::string_view tenant, std::string_view writer_id);
// The union over every writer of the tenant, sorted, without duplicates. An object that does not
// decode is an error (DataLoss naming its key), not skipped.
[[nodiscard]] absl::StatusOr<std::vector<FamilyMetadata>> ReadTenantMetadata(
    io::ObjectStore& store, std::string_view tenant);

}  // namespace cardinalsin::catalog
