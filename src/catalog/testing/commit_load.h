// File: testing/commit_load.h
//
// Test helpers: chunk summaries to commit and a driver that runs N concurrent writers against one
// store, each with its own Catalog instance (as separate processes would have), used by the unit
// tests (memory, local) and the RGW test, which also print the throughput it measures.
//
// Thread-safety: RunCommitLoad starts and joins its own threads; the rest are pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "catalog/catalog.h"
#include "io/object_store.h"

namespace cardinalsin::catalog::testing {

// A valid summary for "{tenant}/data/2026/11/24/10/{name}.parquet" with level 0, a one-hour time
// range starting at `min_time_ns`, and labels job and instance.
ChunkSummary TestChunk(std::string_view tenant, std::string_view name, int64_t min_time_ns = 0);

struct LoadResult {
  absl::Status status;                   // first error of any writer
  std::vector<uint64_t> seqs;            // every seq a Commit() returned
  std::vector<std::string> added_paths;  // every path committed
  uint64_t cas_attempts = 0, cas_conflicts = 0, retries = 0;
  double seconds = 0;
  double commits_per_second() const { return seconds > 0 ? seqs.size() / seconds : 0; }
  double conflicts_per_commit() const {
    return seqs.empty() ? 0 : static_cast<double>(cas_conflicts) / seqs.size();
  }
};

// Runs `writers` threads, each opening its own Catalog on `store` for `tenant` with `options`
// (writer_id becomes "{options.writer_id}-{i}") and committing `commits_per_writer` commits that
// each add one new chunk and set the writer's watermark to its commit count.
LoadResult RunCommitLoad(io::ObjectStore* store, const std::string& tenant, int writers,
                         int commits_per_writer, const CatalogOptions& options);

}  // namespace cardinalsin::catalog::testing
