// File: scanner.h
//
// The query side's one way to read a tenant's `metrics` rows (ARCHITECTURE.md section 7): the SQL
// and PromQL engines describe what they need as a ScanRequest and get a stream of record batches
// in one uniform schema, plus ScanStats for EXPLAIN and the JSON `stats` field.
//
//   CS_ASSIGN_OR_RETURN(auto scanner, Scanner::Create(&store, {.unflushed = &ingesters}));
//   CS_ASSIGN_OR_RETURN(std::unique_ptr<ScanStream> stream, scanner->Open(request));
//   // stream->schema() is known before any chunk is read.
//   while (true) {
//     CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
//     if (!batch) break;
//     ...
//   }
//   const ScanStats& stats = stream->stats();   // complete once Next() returned nullopt
//
// What a scan does (src/scan/README.md has the details):
//   1. asks every live ingester for its unflushed rows (UnflushedSource), each answer relative
//      to a catalog sequence;
//   2. refreshes the tenant's catalog, to at least the highest such sequence;
//   3. prunes chunks by their catalog summaries (time, metric-name range, label ranges);
//   4. per remaining chunk, on a small thread pool: Parquet row-group statistics, bloom filters,
//      page index, then the exact filter on the decoded rows; bytes come through the RAM cache,
//      the optional disk cache and ranged GETs;
//   5. removes duplicate (series_id, timestamp) samples wherever two sources (chunks or ingester
//      buffers) overlap in time and metric range, keeping the most recently written copy.
//
// Visibility: every sample acknowledged before Open() is returned exactly once (unless an
// ingester could not be asked; see ScannerOptions::require_unflushed). Rows come in no
// particular order across batches.
//
// Thread-safety: Scanner is safe for concurrent use; each ScanStream is used by one thread.
// Ownership: the Scanner does not own `store` or options.unflushed, which must outlive it; every
// ScanStream must be destroyed before its Scanner.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/shared_lru_cache.h"
#include "base/thread_pool.h"
#include "catalog/catalog.h"
#include "io/object_store.h"
#include "model/record_batch.h"
#include "parquet/reader.h"
#include "scan/range_cache.h"
#include "scan/scan_request.h"
#include "scan/unflushed_source.h"

namespace cardinalsin::scan {

namespace internal {
struct Piece;
struct ScanContext;
struct ChunkMetricTimes;
class SeriesDirectory;
}  // namespace internal

// What one scan touched. Counters are exact; "pruned" counts what was skipped without reading.
struct ScanStats {
  uint64_t catalog_seq = 0;              // catalog state the scan read
  int64_t chunks_total = 0;              // live chunks of the tenant
  int64_t chunks_pruned_by_catalog = 0;  // skipped on their summaries alone
  int64_t chunks_read = 0;               // opened (footer read)
  int64_t row_groups_total = 0;          // in the chunks read
  int64_t row_groups_pruned_by_statistics = 0;
  int64_t row_groups_pruned_by_bloom_filter = 0;
  int64_t row_groups_read = 0;
  int64_t row_groups_read_by_series = 0;  // ... of which rows were chosen per series
  int64_t pages_total = 0;                // data pages of the read columns in the row groups read
  int64_t pages_read = 0;                 // ... left after page-index pruning
  int64_t pages_from_cache = 0;           // ... of which decoded values came from the page cache
  int64_t rows_read = 0;                  // rows decoded from chunks
  int64_t rows_unflushed = 0;             // rows received from ingesters
  int64_t rows_deduplicated = 0;          // duplicate (series_id, timestamp) rows removed
  int64_t rows_output = 0;                // rows returned
  int64_t bytes_read = 0;                 // chunk bytes decoded from, wherever they came from
  int64_t bytes_fetched = 0;              // chunk bytes fetched from the object store
  int64_t requests = 0;                   // ranged GETs sent to the object store
  int64_t cache_hits = 0;                 // byte ranges found in the RAM cache
  int64_t disk_cache_hits = 0;            // ... in the disk cache
  int64_t cache_misses = 0;               // ... in neither
  int64_t ingesters_asked = 0;
  int64_t ingesters_failed = 0;
  // Problems that did not fail the scan (an ingester that could not be asked), one sentence each.
  std::vector<std::string> warnings;

  void Add(const ScanStats& other);  // sums counters, keeps the larger catalog_seq
};

struct ScannerOptions {
  int decode_threads = 2;                   // REQUIRES: >= 1
  uint64_t ram_cache_bytes = 256ull << 20;  // 0 = no RAM cache
  std::string cache_dir;                    // CACHE_DIR; empty = no disk cache
  // Series directories kept in RAM (src/scan/README.md): scans with metric or label conditions
  // choose rows per series through them. 0 = none (every such scan decodes its label columns).
  uint64_t series_directory_bytes = 256ull << 20;
  // Decoded timestamp and value pages kept in RAM (parquet::PageCache) for reads that want few
  // rows of their pages, such as one series' samples out of a chunk. 0 = none.
  uint64_t page_cache_bytes = 256ull << 20;
  uint64_t disk_cache_bytes = 10ull << 30;
  // Not owned. nullptr = committed data only.
  UnflushedSource* unflushed = nullptr;
  // true: a scan fails with Unavailable when an ingester cannot be asked (its unflushed rows
  // would be missing). false: the scan goes on and says so in ScanStats::warnings.
  bool require_unflushed = false;
  // Chunks decoded ahead of the consumer. 0 = 2 * decode_threads.
  int max_inflight_chunks = 0;
  // A chunk that overlaps no other source (nothing to deduplicate) is decoded by up to
  // decode_threads tasks of about this many rows each, its selected row groups split into
  // contiguous runs, so a query reading one big chunk uses every decode thread. Rows come out in
  // chunk order either way. REQUIRES: >= 1.
  uint64_t rows_per_decode_part = uint64_t{1} << 20;
};

class ScanStream;

class Scanner {
 public:
  // Errors: InvalidArgument for bad options; the disk cache's errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Scanner>> Create(io::ObjectStore* store,
                                                                       ScannerOptions options);
  ~Scanner();

  // Plans a scan: validates `request`, fetches unflushed rows, refreshes the catalog and prunes
  // chunks by their summaries. No chunk is read until the stream's first Next().
  // Errors: InvalidArgument for a bad request; Unavailable when the catalog cannot be brought to
  // the sequence an ingester reported, or (require_unflushed) an ingester failed; the catalog's
  // and the unflushed source's errors.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ScanStream>> Open(const ScanRequest& request);

  // Open() and Next() until the end, handing every batch to `sink` (stops at its first error).
  // Fills `*stats` when non-null once Open() succeeded, also when a batch or the sink fails.
  [[nodiscard]] absl::Status Scan(const ScanRequest& request,
                                  const std::function<absl::Status(model::RecordBatch)>& sink,
                                  ScanStats* stats = nullptr);

  struct Result {
    model::Schema schema;
    std::vector<model::RecordBatch> batches;
    ScanStats stats;
    size_t num_rows() const;
  };
  // Everything in memory: for tests, tools and small queries.
  [[nodiscard]] absl::StatusOr<Result> ScanAll(const ScanRequest& request);

  // The tenant's catalog after a refresh (for SHOW / DESCRIBE and the PromQL label APIs).
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const catalog::Snapshot>> RefreshCatalog(
      const std::string& tenant);

  CacheStats ram_cache_stats() const;                  // zeros when there is no RAM cache
  std::optional<CacheStats> disk_cache_stats() const;  // nullopt when there is no disk cache

 private:
  Scanner(io::ObjectStore* store, ScannerOptions options);
  // The tenant's catalog, opened on first use. Only tenants with at least one commit are kept
  // open, so queries naming made-up tenants cannot grow the map.
  absl::StatusOr<std::shared_ptr<catalog::Catalog>> CatalogFor(const std::string& tenant);

  io::ObjectStore* const store_;
  const ScannerOptions options_;
  std::unique_ptr<RangeCache> ram_cache_;
  std::unique_ptr<DiskCache> disk_cache_;
  std::unique_ptr<base::SharedLruCache<internal::SeriesDirectory>> directories_;
  // Per chunk, its metric names and their time ranges: the metric browser's answers.
  std::unique_ptr<base::SharedLruCache<internal::ChunkMetricTimes>> metric_times_;
  std::unique_ptr<parquet::PageCache> pages_;
  // Parsed chunk footers: a scan opening a chunk seen before reads no footer bytes.
  std::unique_ptr<base::SharedLruCache<parquet::ParquetReader::Footer>> footers_;
  std::mutex catalogs_mu_;  // std::mutex: visible to ThreadSanitizer
  std::map<std::string, std::shared_ptr<catalog::Catalog>> catalogs_;  // guarded by catalogs_mu_
  // Last so that it is destroyed first: its workers still use the caches and the store.
  std::unique_ptr<base::ThreadPool> pool_;
};

// The rows of one scan, batch by batch, all in schema(): the requested columns in order (or the
// full metrics schema); fixed columns non-null, label columns nullable strings.
class ScanStream {
 public:
  ~ScanStream();  // cancels chunk decodes that have not started; waits for none
  ScanStream(const ScanStream&) = delete;
  ScanStream& operator=(const ScanStream&) = delete;

  // Known as soon as Open() returns, before any chunk is read. With an empty projection it lists
  // every label key of the chunks left after catalog pruning and of the unflushed rows, sorted
  // (what SELECT * and DESCRIBE need); a chunk's label may still be all-null after filtering.
  const model::Schema& schema() const;
  // The next non-empty batch, or nullopt at the end. After an error the stream stays failed.
  // Errors: DataLoss naming the chunk object for a corrupt or inconsistent chunk; the object
  // store's errors (NotFound when a live chunk is gone) prefixed with the object key.
  [[nodiscard]] absl::StatusOr<std::optional<model::RecordBatch>> Next();
  // Counters so far; complete after Next() returned nullopt.
  const ScanStats& stats() const { return stats_; }

 private:
  friend class Scanner;
  explicit ScanStream(std::shared_ptr<internal::ScanContext> context);
  // Hands the chunk tasks up to `at_least` (and a window beyond) to the decode threads.
  void TopUp(size_t at_least);
  // The result of task t, a task of the component ending at task `component_end`. Tasks are
  // awaited in order. While they take under kInlineTaskLimit each (a few pages of one series,
  // say), they run on this thread; after a longer one they go to the decode threads, and this
  // thread runs those not started yet instead of waiting.
  absl::StatusOr<internal::Piece> Await(size_t t, size_t component_end);

  std::shared_ptr<internal::ScanContext> context_;
  ScanStats stats_;
  absl::Status failed_;
  size_t next_component_ = 0;
  size_t submitted_ = 0;  // chunk tasks started here or handed to the pool, in plan order
  bool pooled_ = false;   // tasks go to the pool (see Await)
  std::vector<model::RecordBatch> ready_;  // batches of the current component, not yet returned
};

}  // namespace cardinalsin::scan
