#include "scan/range_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/crc32c.h"

namespace cardinalsin::scan {
namespace {

// Bookkeeping bytes charged per entry on top of the payload and key.
constexpr uint64_t kEntryOverhead = 96;
constexpr char kDiskMagic[4] = {'C', 'S', 'C', '1'};

std::string CacheKey(std::string_view object, uint64_t offset, uint64_t length) {
  // Object keys contain no control characters (io::ValidateKey), so '\n' cannot be ambiguous.
  return absl::StrFormat("%s\n%d\n%d", std::string(object), offset, length);
}

// FNV-1a, 64 bits: stable across processes, so file names survive restarts.
uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void PutU64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }

}  // namespace

RangeCache::RangeCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {
  stats_.capacity_bytes = capacity_bytes;
}

std::shared_ptr<const std::string> RangeCache::Lookup(std::string_view object, uint64_t offset,
                                                      uint64_t length) {
  std::string key = CacheKey(object, offset, length);
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bytes;
}

void RangeCache::Insert(std::string_view object, uint64_t offset, uint64_t length,
                        std::shared_ptr<const std::string> bytes) {
  std::string key = CacheKey(object, offset, length);
  const uint64_t charge = bytes->size() + key.size() + kEntryOverhead;
  if (charge > capacity_ / 8) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return;  // immutable bytes: the entry already holds the same content
  }
  lru_.push_front(Entry{key, std::move(bytes), charge});
  index_.emplace(std::move(key), lru_.begin());
  stats_.bytes += charge;
  ++stats_.entries;
  ++stats_.inserts;
  EvictLocked();
}

void RangeCache::EvictLocked() {
  while (stats_.bytes > capacity_ && !lru_.empty()) {
    Entry& victim = lru_.back();
    stats_.bytes -= victim.charge;
    --stats_.entries;
    ++stats_.evictions;
    index_.erase(victim.key);
    lru_.pop_back();
  }
}

CacheStats RangeCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

absl::StatusOr<std::unique_ptr<DiskCache>> DiskCache::Open(std::string directory,
                                                           uint64_t capacity_bytes) {
  if (directory.empty()) return absl::InvalidArgumentError("disk cache: empty directory name");
  if (capacity_bytes == 0) return absl::InvalidArgumentError("disk cache: capacity is 0 bytes");
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrFormat("disk cache: cannot create directory %s: %s", directory, ec.message()));
  }
  std::unique_ptr<DiskCache> cache(new DiskCache(directory, capacity_bytes));
  struct Found {
    std::string file;
    uint64_t size;
    std::filesystem::file_time_type mtime;
  };
  std::vector<Found> found;
  std::filesystem::directory_iterator it(directory, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::filesystem::path& path = it->path();
    std::string name = path.filename().string();
    std::error_code entry_ec;
    if (path.extension() == ".tmp") {
      std::filesystem::remove(path, entry_ec);  // an insert that crashed half way
      continue;
    }
    if (path.extension() != ".bin" || !it->is_regular_file(entry_ec)) continue;
    uint64_t size = it->file_size(entry_ec);
    auto mtime = it->last_write_time(entry_ec);
    if (entry_ec) continue;
    found.push_back({std::move(name), size, mtime});
  }
  if (ec) {
    return absl::InternalError(
        absl::StrFormat("disk cache: cannot list directory %s: %s", directory, ec.message()));
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime > b.mtime; });
  std::lock_guard lock(cache->mu_);
  cache->stats_.capacity_bytes = capacity_bytes;
  for (Found& f : found) {
    cache->lru_.push_back(Entry{f.file, f.size});
    cache->index_.emplace(std::move(f.file), std::prev(cache->lru_.end()));
    cache->stats_.bytes += f.size;
    ++cache->stats_.entries;
  }
  cache->EvictLocked();
  return cache;
}

std::optional<std::string> DiskCache::Lookup(std::string_view object, uint64_t offset,
                                             uint64_t length) {
  const std::string key = CacheKey(object, offset, length);
  const std::string file = absl::StrFormat("%016x.bin", Fnv1a64(key));
  {
    std::lock_guard lock(mu_);
    if (!index_.contains(file)) {
      ++stats_.misses;
      return std::nullopt;
    }
  }
  std::string content;
  bool damaged = true;
  if (std::FILE* f = std::fopen(PathOf(file).c_str(), "rb")) {
    char buffer[1 << 16];
    size_t n;
    // The file was written by us with a size bounded by the budget; cap reads anyway.
    while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0 && content.size() <= capacity_) {
      content.append(buffer, n);
    }
    std::fclose(f);
    damaged = false;
  }
  // Layout: magic(4) key_len(4) key payload_len(8) payload crc32c(4) of everything before it.
  std::optional<std::string> payload;
  bool collision = false;
  if (!damaged) {
    damaged = true;
    if (content.size() >= 20 && std::memcmp(content.data(), kDiskMagic, 4) == 0) {
      uint32_t key_len, crc;
      std::memcpy(&key_len, content.data() + 4, 4);
      std::memcpy(&crc, content.data() + content.size() - 4, 4);
      if (key_len <= content.size() - 20 &&
          base::Crc32c(std::string_view(content).substr(0, content.size() - 4)) == crc) {
        uint64_t payload_len;
        std::memcpy(&payload_len, content.data() + 8 + key_len, 8);
        if (payload_len == content.size() - 20 - key_len) {
          damaged = false;
          if (std::string_view(content).substr(8, key_len) == key) {
            payload = content.substr(16 + key_len, payload_len);
          } else {
            collision = true;  // another range with the same hash; the insert will replace it
          }
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  if (damaged) {
    ++stats_.errors;
    std::error_code ec;
    std::filesystem::remove(PathOf(file), ec);
    ForgetLocked(file);
  }
  if (!payload || collision) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  TouchLocked(file);
  ::utimensat(AT_FDCWD, PathOf(file).c_str(), nullptr, 0);  // persist recency across restarts
  return payload;
}

void DiskCache::Insert(std::string_view object, uint64_t offset, uint64_t length,
                       std::string_view bytes) {
  const std::string key = CacheKey(object, offset, length);
  const std::string file = absl::StrFormat("%016x.bin", Fnv1a64(key));
  std::string content;
  content.reserve(bytes.size() + key.size() + 20);
  content.append(kDiskMagic, 4);
  PutU32(content, static_cast<uint32_t>(key.size()));
  content.append(key);
  PutU64(content, bytes.size());
  content.append(bytes);
  PutU32(content, base::Crc32c(content));
  if (content.size() > capacity_ / 8) return;

  uint64_t temp_id;
  {
    std::lock_guard lock(mu_);
    temp_id = temp_counter_++;
  }
  const std::string temp = PathOf(absl::StrFormat("%s.%d.tmp", file, temp_id));
  bool ok = false;
  if (std::FILE* f = std::fopen(temp.c_str(), "wb")) {
    ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    ok = (std::fclose(f) == 0) && ok;
  }
  std::error_code ec;
  if (ok) {
    std::filesystem::rename(temp, PathOf(file), ec);
    ok = !ec;
  }
  std::lock_guard lock(mu_);
  if (!ok) {
    ++stats_.errors;
    std::filesystem::remove(temp, ec);
    return;
  }
  ForgetLocked(file);  // replaced a colliding entry, or a concurrent insert of the same range
  lru_.push_front(Entry{file, content.size()});
  index_.emplace(file, lru_.begin());
  stats_.bytes += content.size();
  ++stats_.entries;
  ++stats_.inserts;
  EvictLocked();
}

void DiskCache::TouchLocked(const std::string& file) {
  auto it = index_.find(file);
  if (it != index_.end()) lru_.splice(lru_.begin(), lru_, it->second);
}

void DiskCache::ForgetLocked(const std::string& file) {
  auto it = index_.find(file);
  if (it == index_.end()) return;
  stats_.bytes -= it->second->size;
  --stats_.entries;
  lru_.erase(it->second);
  index_.erase(it);
}

void DiskCache::EvictLocked() {
  while (stats_.bytes > capacity_ && !lru_.empty()) {
    Entry& victim = lru_.back();
    std::error_code ec;
    std::filesystem::remove(PathOf(victim.file), ec);
    stats_.bytes -= victim.size;
    --stats_.entries;
    ++stats_.evictions;
    index_.erase(victim.file);
    lru_.pop_back();
  }
}

CacheStats DiskCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace cardinalsin::scan
