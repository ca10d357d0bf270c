// File: unflushed_source.h
//
// Where the scan gets rows that ingesters have acknowledged but not yet committed in a chunk
// (ARCHITECTURE.md section 3, "Until then the ingester serves its buffer to query nodes").
//
// Each answer carries the catalog sequence its rows are relative to (the ingester's
// `X-CardinalSin-Catalog-Seq`): every row the ingester has dropped from its buffer is in a chunk
// committed at or before that sequence. A scan that reads the catalog at that sequence or later
// therefore sees every row at least once, and removes the overlap (rows both flushed and still
// buffered) by (series_id, timestamp).
//
//   HttpUnflushedSource source(&store, {.clock = &clock});
//   CS_ASSIGN_OR_RETURN(UnflushedResult result, source.Fetch({.tenant = "default"}));
//
// Thread-safety: implementations are safe for concurrent Fetch() calls.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "io/object_store.h"
#include "model/record_batch.h"

namespace cardinalsin::scan {

// What to ask the ingesters for. Ingesters filter by time and by one exact metric name; the scan
// applies the rest of its request itself.
struct UnflushedQuery {
  std::string tenant;
  std::optional<std::string> metric;                          // exact metric name, or every metric
  int64_t min_time_ns = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t max_time_ns = std::numeric_limits<int64_t>::max();  // inclusive
};

// One ingester's answer.
struct UnflushedRows {
  std::string ingester;  // id or URL, for messages
  uint64_t catalog_seq = 0;
  std::vector<model::RecordBatch> batches;  // metrics schema (model::MetricsSchema), any labels
};

struct UnflushedResult {
  std::vector<UnflushedRows> sources;
  // One sentence per ingester that could not be asked (unreachable, bad answer). The scan turns
  // these into warnings or, when configured to, into an Unavailable error.
  std::vector<std::string> failures;
};

class UnflushedSource {
 public:
  virtual ~UnflushedSource() = default;
  // Errors are for the source as a whole (the registry cannot be listed); a single ingester's
  // failure goes to UnflushedResult::failures.
  [[nodiscard]] virtual absl::StatusOr<UnflushedResult> Fetch(const UnflushedQuery& query) = 0;
};

// A live ingester as registered under `_cluster/ingesters/{id}.json`.
struct IngesterEndpoint {
  std::string id;
  std::string url;  // base URL, e.g. "http://10.0.0.5:8081"
  int64_t updated_at_ns = 0;
};

// Parses one registry object: {"id": ..., "url": ..., "started_at_ns": ..., "updated_at_ns": ...}
// (src/ingest/heartbeat.h). InvalidArgument naming `key` for anything else.
[[nodiscard]] absl::StatusOr<IngesterEndpoint> ParseIngesterRegistration(std::string_view key,
                                                                         std::string_view body);

// Decodes an ingester's /internal/v1/scan answer: an Arrow IPC stream `body` and the value of its
// X-CardinalSin-Catalog-Seq header. DataLoss / InvalidArgument naming `ingester` when either is
// malformed or the rows lack the fixed metrics columns.
[[nodiscard]] absl::StatusOr<UnflushedRows> DecodeScanResponse(std::string ingester,
                                                               std::string_view body,
                                                               std::string_view catalog_seq_header);

// Lists the registry in the object store (or uses a static URL list) and calls every live
// ingester's `GET /internal/v1/scan?tenant=&metric=&start_ns=&end_ns=` over HTTP (libcurl), all
// in parallel (one short-lived thread per ingester). Fetch() reads the registry (one LIST plus
// one GET per registered ingester) at most once per `registry_ttl` and reuses that reading in
// between.
class HttpUnflushedSource final : public UnflushedSource {
 public:
  static constexpr std::string_view kRegistryPrefix = "_cluster/ingesters/";
  static constexpr std::string_view kCatalogSeqHeader = "X-CardinalSin-Catalog-Seq";

  struct Options {
    // When non-empty, these base URLs are asked instead of the registry (INGESTER_URLS).
    std::vector<std::string> static_urls;
    // Registrations older than this are ignored (a crashed ingester stops refreshing its own).
    absl::Duration max_age = absl::Seconds(30);
    // How long one reading of the registry serves Fetch() and CachedLive(). Registrations change
    // at heartbeat granularity (ingest/heartbeat.h: every 5 s, ignored after max_age), while
    // reading them per query would be most of a small query's time.
    absl::Duration registry_ttl = absl::Seconds(1);
    absl::Duration connect_timeout = absl::Seconds(2);
    absl::Duration timeout = absl::Seconds(30);
    // A larger answer is a failure of that ingester (untrusted input never allocates unbounded).
    uint64_t max_response_bytes = uint64_t{1} << 30;
    base::Clock* clock = nullptr;  // not owned; nullptr = base::SystemClock()
  };

  // `store` (not owned) must outlive the source; may be null when static_urls is set.
  HttpUnflushedSource(io::ObjectStore* store, Options options);

  absl::StatusOr<UnflushedResult> Fetch(const UnflushedQuery& query) override;

  // The registered ingesters whose heartbeat is at most max_age old, sorted by id. Malformed
  // registrations are skipped and named in `skipped` when non-null.
  [[nodiscard]] absl::StatusOr<std::vector<IngesterEndpoint>> ListLive(
      std::vector<std::string>* skipped = nullptr);
  // ListLive() as of at most registry_ttl ago (errors are not cached). Thread-safe.
  [[nodiscard]] absl::StatusOr<std::vector<IngesterEndpoint>> CachedLive(
      std::vector<std::string>* skipped = nullptr);

 private:
  absl::StatusOr<UnflushedRows> Ask(const std::string& name, const std::string& base_url,
                                    const UnflushedQuery& query);

  io::ObjectStore* const store_;
  const Options options_;
  base::Clock& clock_;

  std::mutex cache_mu_;
  struct CachedListing {
    absl::Time read_at;
    std::vector<IngesterEndpoint> live;
    std::vector<std::string> skipped;
  };
  std::optional<CachedListing> cache_;  // guarded by cache_mu_
};

}  // namespace cardinalsin::scan
