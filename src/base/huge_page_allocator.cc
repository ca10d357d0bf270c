#include "base/huge_page_allocator.h"

#include <sys/mman.h>

#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

namespace cardinalsin::base::internal {
namespace {

size_t RoundUp(size_t bytes) { return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1); }

// Freed mappings kept for reuse, most recently freed last. A buffer's successor and each flush's
// scratch arrays ask for the same rounded sizes again and again; a fresh mapping would cost a page
// fault per huge page and the kernel zeroing it, which at 10M series is 5% of the ingester's time.
class MappingCache {
 public:
  static MappingCache& Instance() {
    static MappingCache* cache = new MappingCache();  // never destroyed: used until exit
    return *cache;
  }
  // A cached mapping of exactly `length` bytes, or nullptr.
  void* Take(size_t length) {
    std::lock_guard lock(mu_);
    for (auto it = mappings_.rbegin(); it != mappings_.rend(); ++it) {
      if (it->second != length) continue;
      void* p = it->first;
      cached_bytes_ -= length;
      mappings_.erase(std::next(it).base());
      return p;
    }
    return nullptr;
  }
  // Keeps `p` for reuse, unmapping the oldest mappings beyond kMaxCachedBytes.
  void Put(void* p, size_t length) {
    std::deque<std::pair<void*, size_t>> evicted;
    {
      std::lock_guard lock(mu_);
      mappings_.emplace_back(p, length);
      cached_bytes_ += length;
      while (cached_bytes_ > kMaxCachedBytes) {
        evicted.push_back(mappings_.front());
        cached_bytes_ -= mappings_.front().second;
        mappings_.pop_front();
      }
    }
    for (const auto& [q, n] : evicted) munmap(q, n);
  }

 private:
  static constexpr size_t kMaxCachedBytes = size_t{256} << 20;
  std::mutex mu_;
  std::deque<std::pair<void*, size_t>> mappings_;  // (address, length)
  size_t cached_bytes_ = 0;
};

void* MapAligned(size_t length) {
  // Map one huge page more than needed, then unmap the unaligned head and the tail, leaving
  // `length` bytes starting on a 2 MiB boundary.
  void* raw = mmap(nullptr, length + kHugePageBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + length + kHugePageBytes;
  if (end > aligned + length) {
    munmap(reinterpret_cast<void*>(aligned + length), end - aligned - length);
  }
  // Advice only: without THP the memory is still valid, on small pages.
  madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

}  // namespace

void* AllocateHugePageBacked(size_t bytes) {
  const size_t length = RoundUp(bytes);
  if (void* p = MappingCache::Instance().Take(length)) return p;
  return MapAligned(length);
}

void FreeHugePageBacked(void* p, size_t bytes) { MappingCache::Instance().Put(p, RoundUp(bytes)); }

}  // namespace cardinalsin::base::internal
