// File: internal/cached_source.h
//
// A parquet::ByteSource over one chunk object that answers from the RAM cache, then the disk
// cache, then ranged GETs, and counts what it did for ScanStats.
//
// Thread-safety: safe for concurrent reads (counters are atomic). Ownership: does not own
// `store`, `ram` or `disk` (either may be null), which must outlive the source.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/object_store.h"
#include "parquet/byte_source.h"
#include "scan/range_cache.h"

namespace cardinalsin::scan::internal {

struct SourceCounters {
  std::atomic<int64_t> bytes_read{0};     // bytes handed to the reader, from anywhere
  std::atomic<int64_t> bytes_fetched{0};  // bytes fetched from the object store
  std::atomic<int64_t> requests{0};       // ranged GETs sent
  std::atomic<int64_t> ram_hits{0};
  std::atomic<int64_t> disk_hits{0};
  std::atomic<int64_t> misses{0};  // ranges no cache had
};

class CachedObjectSource final : public parquet::ByteSource {
 public:
  CachedObjectSource(io::ObjectStore& store, std::string key, uint64_t size, RangeCache* ram,
                     DiskCache* disk, SourceCounters& counters)
      : store_(store),
        key_(std::move(key)),
        size_(size),
        ram_(ram),
        disk_(disk),
        counters_(counters) {}

  uint64_t size() const override { return size_; }
  const std::string& name() const override { return key_; }
  absl::StatusOr<std::string> Read(parquet::ByteRange range) override;
  // Looks every range up in the caches first and coalesces only the misses into GETs; each
  // requested range is cached on its own, so later scans hit it whatever they coalesce.
  absl::StatusOr<std::vector<std::string>> ReadRanges(std::span<const parquet::ByteRange> ranges,
                                                      uint64_t max_gap) override;
  uint64_t read_calls() const override { return static_cast<uint64_t>(counters_.requests); }

 private:
  absl::Status CheckRange(parquet::ByteRange range) const;
  // From the caches, or nullopt.
  std::optional<std::string> FromCache(parquet::ByteRange range);
  void ToCache(parquet::ByteRange range, const std::string& bytes);
  absl::StatusOr<std::string> Fetch(parquet::ByteRange range);

  io::ObjectStore& store_;
  const std::string key_;
  const uint64_t size_;
  RangeCache* const ram_;
  DiskCache* const disk_;
  SourceCounters& counters_;
};

}  // namespace cardinalsin::scan::internal
