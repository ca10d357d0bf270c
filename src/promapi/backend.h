// File: backend.h
//
// What the Prometheus HTTP API (routes.h) needs from storage, as interfaces, so the routes can be
// tested over fakes and this module does not depend on the scan: a PromQL Querier per query, the
// series / label-name / label-value lookups of /api/v1/series, /api/v1/labels and
// /api/v1/label/<name>/values, and the metric metadata of /api/v1/metadata.
//
//   class MyBackend : public promapi::Backend { ... };
//   LookupRequest request{.tenant = "default", .start_ms = 0, .end_ms = 3'600'000};
//   request.selectors.push_back({{promql::MatchType::kEqual, "__name__", "up"}});
//   absl::StatusOr<LookupResult<promql::Labels>> series = backend.Series(request);
//
// Thread-safety: implementations must be thread-safe; the routes call every method concurrently
// from the HTTP server's io threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "promql/ast.h"
#include "promql/value.h"

namespace cardinalsin::promapi {

// One lookup (series, label names, label values).
struct LookupRequest {
  std::string tenant;  // validated (model::ValidateTenantId)
  // The `match[]` selectors: a series qualifies when it matches all matchers of at least one
  // selector. Empty = every series (label names and values only; series requires one).
  std::vector<std::vector<promql::LabelMatcher>> selectors;
  // Inclusive time range in ms; a series qualifies when it has a sample in it. Implementations
  // may answer from coarser metadata (a chunk overlapping the range), as Prometheus does with
  // blocks.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  // At most this many items are wanted; 0 = no limit. The routes ask for one more than the user's
  // `limit` to tell whether the result was truncated; an implementation may stop once it has
  // `limit` items.
  size_t limit = 0;
  absl::Time deadline = absl::InfiniteFuture();  // past it: DeadlineExceeded
};

template <typename T>
struct LookupResult {
  std::vector<T> items;               // series: any order; names and values: sorted, unique
  std::vector<std::string> warnings;  // problems that did not fail the lookup
};

class Backend {
 public:
  virtual ~Backend() = default;

  // A Querier for one PromQL query of `tenant`; its Select() returns DeadlineExceeded once
  // `deadline` has passed. The routes keep it for the duration of one query only.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<promql::Querier>> NewQuerier(
      const std::string& tenant, absl::Time deadline) = 0;

  // The label sets of the series matching `request` (REQUIRES: at least one selector), each once.
  [[nodiscard]] virtual absl::StatusOr<LookupResult<promql::Labels>> Series(
      const LookupRequest& request) = 0;
  // The label names (including "__name__") of the matching series, sorted, unique.
  [[nodiscard]] virtual absl::StatusOr<LookupResult<std::string>> LabelNames(
      const LookupRequest& request) = 0;
  // The non-empty values of label `name` ("__name__" for metric names) on the matching series,
  // sorted, unique. REQUIRES: `name` is non-empty.
  [[nodiscard]] virtual absl::StatusOr<LookupResult<std::string>> LabelValues(
      const LookupRequest& request, std::string_view name) = 0;
};

// Errors of every Backend method, mapped by the routes like the engine's (engine.h):
// InvalidArgument -> bad_data 400, ResourceExhausted / FailedPrecondition -> execution 422,
// DeadlineExceeded -> timeout 503, Cancelled / Unavailable -> 503, others -> internal 500.

// One metric's metadata as Prometheus's /api/v1/metadata reports it.
struct MetricMetadata {
  std::string type;  // counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown
  std::string help;
  std::string unit;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
};

struct MetadataRequest {
  std::string tenant;
  std::optional<std::string> metric;  // only this metric
  size_t limit = 0;                   // metrics at most; 0 = no limit
  size_t limit_per_metric = 0;        // entries per metric at most; 0 = no limit
};

// Where metric metadata (remote-write 1.0 MetricMetadata, OTLP descriptions and units) comes from.
// Thread-safety: as Backend.
class MetadataSource {
 public:
  virtual ~MetadataSource() = default;
  // Metric name -> its distinct metadata entries, for the metrics `request` selects, within its
  // limits.
  [[nodiscard]] virtual absl::StatusOr<std::map<std::string, std::vector<MetricMetadata>>> Metadata(
      const MetadataRequest& request) = 0;
};

}  // namespace cardinalsin::promapi
