// File: huge_page_allocator.h
//
// A std::allocator replacement for large arrays read at random (hash tables of millions of
// slots): allocations of at least 2 MiB are mapped on 2 MiB boundaries and marked
// MADV_HUGEPAGE, so that with transparent huge pages in `madvise` mode (the common distribution
// default) the kernel backs them with 2 MiB pages. With 4 KiB pages a random lookup in a 32 MiB
// table misses the TLB almost every time and the page walk costs as much as the cache miss;
// with 2 MiB pages the TLB covers gigabytes.
//
//   base::HugePageVector<Slot> slots(1 << 22);
//
// Smaller allocations use operator new. When the kernel has no huge pages to give (THP off, or
// memory too fragmented), the mapping simply stays on 4 KiB pages: only speed differs.
//
// Freed mappings are kept for reuse by allocations of the same size (rounded up to 2 MiB), up to
// 256 MiB in total, oldest unmapped first: repeated allocations of one size (a buffer and its
// successor, one flush's scratch arrays and the next's) then skip the page faults and the kernel
// zeroing of fresh memory. Like operator new's, the memory is not zeroed.
//
// Thread-safety: stateless; any thread.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace cardinalsin::base {

namespace internal {
// Returns `bytes` (> 0) of memory as described above; throws std::bad_alloc.
void* AllocateHugePageBacked(size_t bytes);
void FreeHugePageBacked(void* p, size_t bytes);
inline constexpr size_t kHugePageBytes = size_t{2} << 20;
}  // namespace internal

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < internal::kHugePageBytes) return static_cast<T*>(::operator new(bytes));
    return static_cast<T*>(internal::AllocateHugePageBacked(bytes));
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < internal::kHugePageBytes) {
      ::operator delete(p);
    } else {
      internal::FreeHugePageBacked(p, bytes);
    }
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

template <typename T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace cardinalsin::base
