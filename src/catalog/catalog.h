// File: catalog.h
//
// The catalog: which chunks of a tenant are live, with a summary of each for pruning, plus every
// ingester's committed WAL watermark. It is a transaction log in the object store, Delta Lake
// style (ARCHITECTURE.md section 5, format in docs/format/catalog.md version 1):
//
//   {tenant}/_catalog/log/{seq:020}.json         commit `seq` (1, 2, ...), created with
//                                                put-if-absent, so one writer wins each number
//   {tenant}/_catalog/checkpoint/{seq:020}.json  full state after commit `seq`, every
//                                                checkpoint_interval commits, best effort
//
// Readers load the newest checkpoint that parses and replay the log after it; a writer appends
// commit loaded_seq + 1 and, when another writer got there first, refreshes, re-validates its
// actions against the new state and retries with jittered exponential backoff.
//
//   CS_ASSIGN_OR_RETURN(auto catalog, catalog::Catalog::Open(&store, "default",
//                                                            {.writer_id = "ingester-1"}));
//   CS_ASSIGN_OR_RETURN(uint64_t seq, catalog->Commit({.add = {summary},
//                                                      .watermark = {{"ingester-1", wal_seq}}}));
//   std::shared_ptr<const catalog::Snapshot> snap = catalog->snapshot();
//
// Thread-safety: Catalog is safe for concurrent use by many threads; commits from one instance
// are serialised, commits from different instances (or processes, or machines) race through the
// store's put-if-absent. Snapshots are immutable and may be used after the Catalog is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "io/object_store.h"

namespace cardinalsin::catalog {

// Smallest and largest value (byte order) a label takes in a chunk, over the rows that have it.
struct LabelRange {
  std::string min, max;
  friend bool operator==(const LabelRange&, const LabelRange&) = default;
};

// What a query node needs to prune a chunk without reading it. All strings are valid UTF-8.
struct ChunkSummary {
  std::string path;  // object key, under "{tenant}/data/"
  int level = 0;     // 0 = written by an ingester (L0), n = produced by compaction level n
  int64_t min_time_ns = 0, max_time_ns = 0;  // inclusive sample time range
  uint64_t row_count = 0, series_count = 0, size_bytes = 0;
  std::string min_metric, max_metric;  // byte-order range of metric names
  // Every label column present in the chunk; a label absent from every row is not listed.
  std::map<std::string, LabelRange> labels;
  int64_t created_at_ns = 0;  // when the chunk object was written
  friend bool operator==(const ChunkSummary&, const ChunkSummary&) = default;
};

// A chunk that a commit removed. Kept in the state for kRemovedRetention after the removal so
// garbage collection and `admin catalog verify` can tell garbage from orphans.
struct RemovedChunk {
  std::string path;
  int64_t removed_at_ns = 0;
  friend bool operator==(const RemovedChunk&, const RemovedChunk&) = default;
};

// Removed entries older than this, measured against a later commit's committed_at_ns, leave the
// state (part of the format: every reader trims identically, so every reader agrees on the state).
inline constexpr absl::Duration kRemovedRetention = absl::Hours(24 * 7);

// The catalog state at one sequence number. Immutable once published.
struct Snapshot {
  uint64_t seq = 0;                            // last applied commit; 0 = empty catalog
  std::map<std::string, ChunkSummary> chunks;  // live chunks by path
  std::map<std::string, uint64_t> watermarks;  // ingester id -> WAL seq committed up to
  std::vector<RemovedChunk> removed;           // in commit order
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// One set of actions committed atomically.
struct Commit {
  std::vector<ChunkSummary> add;
  std::vector<std::string> remove;  // paths of live chunks
  // (ingester id, WAL seq): the ingester's data up to and including that WAL record is committed
  // once this commit is. Must not go backwards for an ingester.
  std::optional<std::pair<std::string, uint64_t>> watermark;
};

struct CatalogOptions {
  // Recorded as "writer" in every commit. REQUIRES for Commit(): non-empty.
  std::string writer_id;
  // Write a checkpoint after every commit whose seq is a multiple of this. REQUIRES: >= 1.
  uint64_t checkpoint_interval = 100;
  // Put attempts per Commit() before giving up with Aborted. REQUIRES: >= 1.
  int max_attempts = 10;
  // Backoff after losing attempt a (0-based): uniform in [0, min(max, initial * 2^a)].
  absl::Duration initial_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Seconds(2);
  base::Clock* clock = nullptr;    // not owned; nullptr = base::SystemClock()
  base::Random* random = nullptr;  // not owned; nullptr = a private SeededRandom
};

class Catalog {
 public:
  // Loads the tenant's catalog: the newest checkpoint that parses (older ones are tried when a
  // newer one is corrupt; see load_warnings()), then every log entry after it. An empty prefix is
  // an empty catalog (seq 0). `store` is not owned and must outlive the Catalog.
  // Errors: InvalidArgument for a bad tenant or options; DataLoss naming the object for a corrupt
  // or inconsistent log entry; FailedPrecondition for an entry of a newer format version; the
  // store's error otherwise.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Catalog>> Open(io::ObjectStore* store,
                                                                     std::string tenant,
                                                                     CatalogOptions options);

  // Reads the log entries committed after the loaded state and publishes the new state (tail
  // polling). Errors as for Open(); on error the previous snapshot stays current.
  [[nodiscard]] absl::Status Refresh();

  // The current state. Never null.
  std::shared_ptr<const Snapshot> snapshot() const;

  // Appends `commit` as the next sequence number and returns that number. Every attempt first
  // checks the actions against the state it builds on: adding a path that is live (or was
  // removed), removing a path that is not live, or moving a watermark backwards fails with
  // FailedPrecondition naming the path or writer, and so does a non-OK `validate` (called with
  // that state; it may run several times). So a compaction whose inputs another writer removed
  // aborts instead of resurrecting them. Losing the race for a number refreshes, backs off and
  // retries; after options.max_attempts losses: Aborted("catalog commit gave up after N
  // attempts: ..."). InvalidArgument for a malformed commit (empty, bad summary, path outside
  // "{tenant}/data/", duplicate path). Any other store error is returned as is, unless reading
  // the entry back shows that the put landed after all (a lost response), which is success.
  [[nodiscard]] absl::StatusOr<uint64_t> Commit(
      const Commit& commit, std::function<absl::Status(const Snapshot&)> validate = nullptr);

  struct Stats {
    uint64_t cas_attempts = 0;   // put-if-absent requests for log entries
    uint64_t cas_conflicts = 0;  // ... that lost to another writer
    uint64_t retries = 0;        // attempts after the first within a Commit()
    uint64_t commits = 0;        // successful Commit() calls
    uint64_t checkpoints_written = 0;
    uint64_t checkpoint_failures = 0;
    absl::Duration backoff_total = absl::ZeroDuration();
  };
  Stats stats() const;

  // Problems met while loading that did not prevent it (a corrupt checkpoint that was skipped).
  std::vector<std::string> load_warnings() const;

  const std::string& tenant() const { return tenant_; }

 private:
  Catalog(io::ObjectStore* store, std::string tenant, CatalogOptions options);

  // One attempt's log entry, built on the current snapshot and checked against it.
  struct Attempt {
    uint64_t seq = 0;
    std::string body;                      // the encoded log entry
    std::shared_ptr<const Snapshot> next;  // state after the entry
  };
  absl::StatusOr<Attempt> Prepare(const catalog::Commit& commit,
                                  const std::function<absl::Status(const Snapshot&)>& validate);
  absl::Status LoadCheckpoint();
  // Returns `base` advanced through every log entry after base.seq that exists. When
  // `captured` is set, the raw bytes of entry `capture_seq` are stored there if it is read.
  absl::StatusOr<std::shared_ptr<const Snapshot>> ReadTail(std::shared_ptr<const Snapshot> base,
                                                           uint64_t capture_seq,
                                                           std::string* captured);
  // Refresh(), capturing entry `capture_seq` as ReadTail does.
  absl::Status RefreshCapturing(uint64_t capture_seq, std::string* captured);
  // Publishes `next` unless the current snapshot is already at least as new.
  void Publish(std::shared_ptr<const Snapshot> next) ABSL_LOCKS_EXCLUDED(mu_);
  void MaybeWriteCheckpoint(const Snapshot& state);
  absl::Duration Backoff(int attempt);

  io::ObjectStore* const store_;
  const std::string tenant_;
  const CatalogOptions options_;
  base::Clock& clock_;
  std::unique_ptr<base::Random> owned_random_;
  base::Random& random_;

  absl::Mutex commit_mu_;   // serialises Commit() within this instance
  absl::Mutex refresh_mu_;  // serialises log reads so concurrent refreshes do not repeat GETs
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> load_warnings_ ABSL_GUARDED_BY(mu_);
};

// Key of log entry `seq` / checkpoint `seq` of `tenant` (docs/format/catalog.md).
std::string LogKey(std::string_view tenant, uint64_t seq);
std::string CheckpointKey(std::string_view tenant, uint64_t seq);
// "{tenant}/data/": the prefix every chunk path of the tenant starts with.
std::string DataPrefix(std::string_view tenant);

// OK if `tenant` can name a catalog: 1 to 128 bytes of [A-Za-z0-9._-] not starting with '.' or
// '_' (so it is one key segment and never one of the local store's reserved names); otherwise
// InvalidArgument naming the problem.
[[nodiscard]] absl::Status ValidateTenant(std::string_view tenant);

// OK if `summary` is well formed for `tenant`: path a valid key under DataPrefix(tenant), level
// >= 0, min <= max for time, metric and every label, valid UTF-8 everywhere. Otherwise
// InvalidArgument naming the path and the problem.
[[nodiscard]] absl::Status ValidateChunkSummary(std::string_view tenant,
                                                const ChunkSummary& summary);

// Tenants with a catalog: root prefixes "{t}/" of `store` having at least one object under
// "{t}/_catalog/". Sorted.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListTenants(io::ObjectStore* store);

// Result of Verify(). Every list is sorted.
struct VerifyReport {
  uint64_t seq = 0;  // catalog state checked
  size_t live_chunks = 0;
  std::vector<std::string> missing;      // live, but no object
  std::vector<std::string> orphans;      // object under {tenant}/data/, neither live nor removed
  std::vector<std::string> awaiting_gc;  // removed, object still there (normal until GC runs)
  std::vector<std::string> problems;     // anything else wrong, one sentence each
  // True when nothing is missing, orphaned or otherwise wrong (garbage awaiting GC is fine).
  bool ok() const { return missing.empty() && orphans.empty() && problems.empty(); }
};

// Checks a tenant's catalog against the objects in the store: every live chunk exists with the
// recorded size, every object under "{tenant}/data/" is live or removed, the log has no entry
// past a gap and no checkpoint was unreadable. On a store that is being written, a chunk object
// uploaded but not yet committed shows up as an orphan. Errors: those of Catalog::Open (a
// catalog that cannot be loaded is an error, not a report) and of listing.
[[nodiscard]] absl::StatusOr<VerifyReport> Verify(io::ObjectStore* store,
                                                  const std::string& tenant);

}  // namespace cardinalsin::catalog
