// File: ingester.h
//
// The write path of one ingester (ARCHITECTURE.md section 3): validate, append to the WAL, buffer
// per tenant, acknowledge; in the background flush buffers to Parquet chunks, upload them, commit
// them to the tenant's catalog, and only then let the WAL go.
//
//   CS_ASSIGN_OR_RETURN(std::unique_ptr<Ingester> ingester, Ingester::Open(store, options));
//   WriteOutcome outcome = ingester->Write("default", batch);   // after decoding a request
//   ...
//   ingester->Stop();   // SIGTERM: flush and commit everything, then return
//
// Durability and exactly-once: a write is acknowledged only after its WAL record is durable under
// the WAL's sync policy. Every catalog commit of a chunk carries a watermark (key
// "{ingester id}@{WAL incarnation}", value the highest WAL sequence whose rows the chunk completes
// for that tenant); on restart, WAL records at or below a tenant's watermark are not replayed into
// that tenant's buffer, so a crash between a commit and the WAL truncation neither loses nor
// duplicates rows. WAL sequence order is buffer order (both happen under one lock), which makes
// "everything up to the watermark" exact. Two rules keep watermarks meaningful when the WAL loses
// data: the WAL is made durable up to a watermark before it is committed (so a power loss never
// leaves the log behind a committed watermark, whatever WAL_SYNC_MODE says), and the key carries
// the WAL incarnation (so a wiped or replaced WAL directory, which numbers from 1 again, never
// meets the watermarks of the log it replaced, even under a fixed INGESTER_ID).
//
// Metric metadata (type, help, unit per metric family, from remote write and OTLP) is kept per
// tenant and written to the bucket (catalog/metadata.h) by the flush thread when it changed, and
// on Stop(). It is not in the WAL: a crash can lose what arrived since the last write, which
// clients resend (Prometheus every minute).
//
// Hand-over to queries: a flushed buffer stays readable through Scan() until the commit holding
// its rows is done; Scan() reports the catalog sequence that commit got, so a query node that has
// loaded at least that sequence sees every row exactly once (in a chunk or in the buffer).
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "catalog/catalog.h"
#include "catalog/metadata.h"
#include "ingest/series_buffer.h"
#include "ingest/series_validation.h"
#include "io/object_store.h"
#include "model/sample_batch.h"
#include "model/tenant.h"
#include "parquet/writer.h"
#include "wal/wal.h"

namespace cardinalsin::ingest {

struct IngesterOptions {
  Limits limits;
  absl::Duration flush_age = absl::Seconds(10);  // a buffer older than this is flushed
  size_t flush_rows = 1'000'000;
  size_t flush_bytes = 64 << 20;
  // Unflushed plus in-flight bytes over all tenants; beyond it writes get ResourceExhausted (429).
  size_t max_buffer_bytes = 512 << 20;
  bool wal_enabled = true;
  wal::WalOptions wal;
  // Stable identity of this ingester, used in catalog watermarks and heartbeats. Empty: read from
  // (or created in) `{wal.dir}/ingester_id`, or random when the WAL is disabled.
  std::string node_id;
  parquet::WriterOptions chunk_options;
  catalog::CatalogOptions catalog;  // writer_id is set to node_id
  // How often the flush thread looks at the buffers; also the first retry delay after a failure.
  absl::Duration flush_check_interval = absl::Milliseconds(200);
  base::Clock* clock = nullptr;    // null = base::SystemClock()
  base::Random* random = nullptr;  // null = an internal SeededRandom
};

// What happened to one write call.
struct WriteOutcome {
  // OK when the accepted series are durable (rejections do not make it fail). Otherwise nothing of
  // the call was acknowledged: ResourceExhausted = buffer full (retry later), Unavailable = WAL
  // disk full or shutting down (retry later), Internal = WAL I/O failure.
  absl::Status status;
  uint64_t accepted_samples = 0;
  uint64_t accepted_series = 0;
  uint64_t rejected_samples = 0;
  uint64_t rejected_series = 0;
  std::vector<std::string> reasons;  // first few rejection reasons
};

struct IngesterStats {
  uint64_t samples_accepted = 0;
  uint64_t samples_rejected = 0;
  uint64_t writes_refused = 0;  // whole calls refused (buffer full, disk full, shutdown)
  uint64_t flushes = 0;
  uint64_t flush_failures = 0;
  uint64_t chunks_committed = 0;
  uint64_t rows_committed = 0;
  uint64_t bytes_committed = 0;
  uint64_t buffered_rows = 0;
  uint64_t buffered_bytes = 0;
  uint64_t replayed_records = 0;
  uint64_t replay_skipped_records = 0;  // already committed according to the catalog watermark
  uint64_t metadata_dropped = 0;        // metadata entries ignored (invalid, or over the limit)
};

// Metric families whose metadata one ingester keeps per tenant; entries for new families beyond
// it are dropped (counted in IngesterStats::metadata_dropped).
inline constexpr size_t kMaxMetadataFamiliesPerTenant = 100'000;

class Ingester {
 public:
  // Opens the WAL, replays it into the buffers (skipping what the catalogs already hold) and
  // starts the flush thread. `store` must outlive the Ingester.
  static absl::StatusOr<std::unique_ptr<Ingester>> Open(io::ObjectStore* store,
                                                        IngesterOptions options);
  ~Ingester();

  // REQUIRES: `tenant` passed model::ValidateTenantId.
  WriteOutcome Write(std::string_view tenant, const model::SampleBatch& batch);

  // Seals every non-empty buffer and waits until all sealed buffers are committed. Returns the
  // first error if a flush fails (the rows stay buffered and are retried).
  absl::Status FlushAll();

  struct ScanResult {
    model::RecordBatch rows;   // unflushed and flushing rows, sorted, deduplicated per buffer
    uint64_t catalog_seq = 0;  // the tenant's catalog sequence the rows are relative to
  };
  ScanResult Scan(std::string_view tenant, const RowFilter& filter);

  // Writes the metadata of tenants whose metadata changed to the bucket. The flush thread calls
  // it after each flush round; Stop() at the end. Returns the first error (the tenant stays
  // marked for the next call).
  absl::Status PersistMetadata();

  // Refuses new writes, flushes everything (retrying failures for up to `deadline`), stops the
  // flush thread. Idempotent. Returns the flush error if rows could not be committed (they stay
  // in the WAL for the next start).
  absl::Status Stop(absl::Duration deadline = absl::Seconds(60));

  const std::string& node_id() const { return node_id_; }
  // The key of this ingester's catalog watermarks: "{node_id}@{WAL incarnation}" ("{node_id}"
  // without a WAL, which commits no watermarks).
  const std::string& watermark_key() const { return watermark_key_; }
  IngesterStats stats() const;
  // Tenants with buffered data or an open catalog.
  std::vector<std::string> tenants() const;
  // Nil when the WAL is disabled.
  const wal::Wal* wal() const { return wal_.get(); }

 private:
  struct Tenant {
    std::string name;
    std::unique_ptr<catalog::Catalog> catalog;  // opened on first flush or replay
    std::shared_ptr<SeriesBuffer> active = std::make_shared<SeriesBuffer>();
    std::deque<std::shared_ptr<SeriesBuffer>> sealed;  // oldest first; only the flush thread pops
    uint64_t catalog_seq = 0;                          // of this ingester's last commit
    // The chunk uploaded for sealed.front() whose commit failed: a retry commits it again instead
    // of uploading another object. Only the flush thread touches these.
    std::shared_ptr<const SeriesBuffer> uploaded_for;
    catalog::ChunkSummary uploaded;
    absl::Time retry_at = absl::InfinitePast();
    absl::Duration retry_delay;
  };

  Ingester(io::ObjectStore* store, IngesterOptions options);
  absl::Status Replay();
  Tenant& TenantLocked(std::string_view name);
  absl::StatusOr<catalog::Catalog*> CatalogFor(Tenant& tenant);
  size_t BufferedBytesLocked() const;
  void FlushLoop();
  // Seals buffers that reached a limit (or all when `force`), then flushes sealed buffers in order.
  absl::Status FlushOnce(bool force);
  absl::Status FlushSealed(Tenant& tenant, const std::shared_ptr<SeriesBuffer>& buffer);
  void TruncateWal();
  void RecordMetadata(std::string_view tenant, std::span<const model::MetricMetadata> metadata);

  // Metadata learnt per tenant: the latest entry per metric family.
  struct TenantMetadata {
    std::map<std::string, catalog::FamilyMetadata, std::less<>> families;
    bool dirty = false;
    bool merged_stored = false;  // the bucket's earlier object was merged in
  };

  io::ObjectStore* const store_;
  IngesterOptions options_;
  base::Clock* clock_;
  std::unique_ptr<base::Random> owned_random_;
  base::Random* random_;
  std::string node_id_;
  std::string watermark_key_;
  std::unique_ptr<wal::Wal> wal_;

  mutable std::mutex mu_;  // guards tenants_' buffers and WAL write order, stopping_
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_;
  bool stopping_ = false;

  std::mutex metadata_mu_;  // guards metadata_
  std::map<std::string, TenantMetadata, std::less<>> metadata_;
  std::mutex persist_mu_;  // serialises PersistMetadata

  std::mutex flush_mu_;               // serialises FlushOnce (flush thread, FlushAll, Stop)
  std::condition_variable flush_cv_;  // wakes the flush thread (with mu_)
  bool flush_thread_exit_ = false;    // guarded by mu_
  std::thread flush_thread_;

  std::atomic<uint64_t> samples_accepted_{0}, samples_rejected_{0}, writes_refused_{0}, flushes_{0},
      flush_failures_{0}, chunks_committed_{0}, rows_committed_{0}, bytes_committed_{0},
      replayed_records_{0}, replay_skipped_records_{0}, metadata_dropped_{0};
};

}  // namespace cardinalsin::ingest
