#include "catalog/testing/commit_load.h"

#include <thread>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/strings.h"

namespace cardinalsin::catalog::testing {

ChunkSummary TestChunk(std::string_view tenant, std::string_view name, int64_t min_time_ns) {
  return ChunkSummary{
      .path = base::StrCat(tenant, "/data/2026/11/24/10/", name, ".parquet"),
      .level = 0,
      .min_time_ns = min_time_ns,
      .max_time_ns = min_time_ns + 3'600'000'000'000,
      .row_count = 1000,
      .series_count = 10,
      .size_bytes = 4096,
      .min_metric = "cpu_usage",
      .max_metric = "mem_free",
      .labels = {{"instance", {"host-01", "host-10"}}, {"job", {"node", "node"}}},
      .created_at_ns = min_time_ns + 3'700'000'000'000,
  };
}

LoadResult RunCommitLoad(io::ObjectStore* store, const std::string& tenant, int writers,
                         int commits_per_writer, const CatalogOptions& options) {
  LoadResult result;
  absl::Mutex mu;
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      CatalogOptions mine = options;
      mine.writer_id = absl::StrFormat("%s-%d", options.writer_id, w);
      auto record_error = [&](const absl::Status& status) {
        absl::MutexLock lock(&mu);
        if (result.status.ok()) result.status = status;
      };
      absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(store, tenant, mine);
      if (!catalog.ok()) return record_error(catalog.status());
      for (int i = 0; i < commits_per_writer; ++i) {
        ChunkSummary chunk = TestChunk(tenant, absl::StrFormat("%s-c%04d", mine.writer_id, i), i);
        absl::StatusOr<uint64_t> seq = (*catalog)->Commit(
            {.add = {chunk}, .watermark = {{mine.writer_id, static_cast<uint64_t>(i + 1)}}});
        if (!seq.ok()) return record_error(seq.status());
        absl::MutexLock lock(&mu);
        result.seqs.push_back(*seq);
        result.added_paths.push_back(chunk.path);
      }
      Catalog::Stats stats = (*catalog)->stats();
      absl::MutexLock lock(&mu);
      result.cas_attempts += stats.cas_attempts;
      result.cas_conflicts += stats.cas_conflicts;
      result.retries += stats.retries;
    });
  }
  for (std::thread& thread : threads) thread.join();
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

}  // namespace cardinalsin::catalog::testing
