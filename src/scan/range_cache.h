// File: range_cache.h
//
// Caches for the immutable bytes the scan reads from chunks (ARCHITECTURE.md section 7): Parquet
// footers, page indexes and column-chunk byte ranges, keyed by (object key, offset, length).
// Chunk objects are never rewritten under the same key (compaction writes new keys), so entries
// never go stale and nothing is invalidated.
//
//   RangeCache ram(256 << 20);
//   if (auto hit = ram.Lookup(key, offset, length)) return *hit;
//   ram.Insert(key, offset, length, std::make_shared<const std::string>(bytes));
//
//   CS_ASSIGN_OR_RETURN(auto disk, DiskCache::Open("/var/cache/cardinalsin", 10ull << 30));
//
// RangeCache keeps entries in RAM up to a byte budget and evicts the least recently used.
// DiskCache keeps one file per entry in a directory up to a byte budget (LRU by last use, which
// survives restarts as the file's modification time), with a CRC32C so a torn or damaged file is
// a miss, never wrong bytes.
//
// Thread-safety: both are safe for concurrent use. Counters are exported for /metrics. They lock a
// std::mutex rather than absl::Mutex so that ThreadSanitizer (which cannot see inside Debian's
// uninstrumented Abseil) checks them.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace cardinalsin::scan {

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t evictions = 0;
  uint64_t errors = 0;   // disk cache: failed writes and damaged files (each also a miss)
  uint64_t bytes = 0;    // bytes currently held (payload plus per-entry overhead)
  uint64_t entries = 0;  // entries currently held
  uint64_t capacity_bytes = 0;
};

class RangeCache {
 public:
  // REQUIRES: capacity_bytes > 0.
  explicit RangeCache(uint64_t capacity_bytes);
  RangeCache(const RangeCache&) = delete;
  RangeCache& operator=(const RangeCache&) = delete;

  // The cached bytes of exactly this range, or nullptr. Counts a hit or a miss.
  std::shared_ptr<const std::string> Lookup(std::string_view object, uint64_t offset,
                                            uint64_t length);
  // Adds (or refreshes) an entry and evicts least recently used entries beyond the budget. An
  // entry larger than an eighth of the budget is not kept (one huge range would flush the cache).
  void Insert(std::string_view object, uint64_t offset, uint64_t length,
              std::shared_ptr<const std::string> bytes);

  CacheStats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> bytes;
    uint64_t charge;
  };
  void EvictLocked();  // REQUIRES: mu_ held

  const uint64_t capacity_;
  mutable std::mutex mu_;  // guards everything below
  std::list<Entry> lru_;   // most recently used first
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
  CacheStats stats_;
};

class DiskCache {
 public:
  // Creates `directory` if needed, removes leftover temporary files and indexes the entries
  // already there (evicting beyond the budget). Errors: InvalidArgument for an empty directory
  // name or capacity 0; Internal naming the directory when it cannot be created or listed.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DiskCache>> Open(std::string directory,
                                                                       uint64_t capacity_bytes);
  DiskCache(const DiskCache&) = delete;
  DiskCache& operator=(const DiskCache&) = delete;

  // The cached bytes of exactly this range, or nullopt (missing, or a damaged file, which is
  // deleted). Counts a hit or a miss.
  std::optional<std::string> Lookup(std::string_view object, uint64_t offset, uint64_t length);
  // Writes an entry (temporary file + rename) and evicts beyond the budget. Best effort: a
  // failure is counted in stats().errors and otherwise ignored. Entries larger than an eighth of
  // the budget are not kept.
  void Insert(std::string_view object, uint64_t offset, uint64_t length, std::string_view bytes);

  CacheStats stats() const;
  const std::string& directory() const { return directory_; }

 private:
  DiskCache(std::string directory, uint64_t capacity_bytes)
      : directory_(std::move(directory)), capacity_(capacity_bytes) {}
  struct Entry {
    std::string file;  // name inside directory_
    uint64_t size;
  };
  std::string PathOf(const std::string& file) const { return directory_ + "/" + file; }
  // Unlinks least recently used files until the budget holds.
  void EvictLocked();                          // REQUIRES: mu_ held
  void TouchLocked(const std::string& file);   // REQUIRES: mu_ held
  void ForgetLocked(const std::string& file);  // REQUIRES: mu_ held

  const std::string directory_;
  const uint64_t capacity_;
  mutable std::mutex mu_;  // guards everything below
  std::list<Entry> lru_;   // most recently used first
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t temp_counter_ = 0;
  CacheStats stats_;
};

}  // namespace cardinalsin::scan
