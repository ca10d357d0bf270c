// File: intern_table.h
//
// The two lookup tables a SeriesBuffer consults for every appended series, built so that a lookup
// in a table much larger than the CPU caches costs one cache miss, not two:
//
//   StringInterner values;
//   uint32_t pod = values.Intern("pod-7");      // copies "pod-7" once; dense ids 0, 1, 2, ...
//   values.Get(pod);                             // "pod-7", valid while `values` lives
//
//   SeriesIndex index;
//   auto [position, inserted] = index.FindOrInsert(series_id, next_position);
//
// Both are open-addressing tables with linear probing over one array of small slots (8 bytes for
// strings: a 32-bit hash tag and the id; 16 for series: the id and the position), at most 3/4
// full. A lookup that finds nothing, the common case when every sample is a series new to the
// buffer, touches one slot run: the insert that follows writes into the same cache line. (A
// swiss table keeps control bytes and slots apart, which makes that two misses.) Keys are hashed
// with absl::Hash, as absl's own tables do, so crafted keys do not degrade them more than absl's.
//
// Thread-safety: none; const methods may run concurrently with each other.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/huge_page_allocator.h"
#include "model/types.h"

namespace cardinalsin::ingest {

// a == b, without a library call for strings of at most 16 bytes (label names and most values):
// the lookups above compare short strings so often that the call to memcmp dominates.
inline bool SameBytes(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8 && n <= 16) {  // two overlapping 8-byte words
    uint64_t x0, x1, y0, y1;
    std::memcpy(&x0, x, 8);
    std::memcpy(&y0, y, 8);
    std::memcpy(&x1, x + n - 8, 8);
    std::memcpy(&y1, y + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4 && n < 8) {  // two overlapping 4-byte words
    uint32_t x0, x1, y0, y1;
    std::memcpy(&x0, x, 4);
    std::memcpy(&y0, y, 4);
    std::memcpy(&x1, x + n - 4, 4);
    std::memcpy(&y1, y + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) {
      if (x[i] != y[i]) return false;
    }
    return true;
  }
  return std::memcmp(x, y, n) == 0;
}

class StringInterner {
 public:
  StringInterner() = default;
  // Reserves room for `expected_strings` strings without growing.
  explicit StringInterner(size_t expected_strings);
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // The id of `s`, adding a copy of it under the next id (ids count from 0 in first-seen order).
  uint32_t Intern(std::string_view s);
  std::optional<uint32_t> Find(std::string_view s) const;
  // Starts loading the memory Intern(s) and Find(s) will look at first.
  void Prefetch(std::string_view s) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Tag(s) & (slots_.size() - 1)]);
  }
  // REQUIRES: id < size(). The view stays valid as long as the interner.
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }
  // Heap bytes held: string copies (in 256 KiB blocks), views and the table.
  size_t bytes() const;
  // Of which the blocks holding the string copies.
  size_t arena_bytes() const { return block_bytes_; }

 private:
  struct Slot {
    uint32_t tag;      // 32 bits of the string's hash; also where its probe starts
    uint32_t id_plus;  // id + 1; 0 = empty
  };
  static uint32_t Tag(std::string_view s);
  void Grow();

  // The large arrays lookups read at random sit on huge pages (see base/huge_page_allocator.h).
  base::HugePageVector<Slot> slots_;  // size a power of two (or empty)
  base::HugePageVector<std::string_view> strings_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_bytes_ = 0;
  char* next_ = nullptr;
  size_t left_ = 0;
};

class SeriesIndex {
 public:
  SeriesIndex() = default;
  // Reserves room for `expected_series` entries without growing.
  explicit SeriesIndex(size_t expected_series);

  // Returns the position stored for `id` and false, or stores `position` for it and returns it
  // and true. REQUIRES: position < UINT32_MAX.
  std::pair<uint32_t, bool> FindOrInsert(model::SeriesId id, uint32_t position);
  std::optional<uint32_t> Find(model::SeriesId id) const;
  // Starts loading the memory FindOrInsert(id) and Find(id) will look at first.
  void Prefetch(model::SeriesId id) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Hash(id) & (slots_.size() - 1)]);
  }
  size_t size() const { return size_; }
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    model::SeriesId id;
    uint32_t position_plus;  // position + 1; 0 = empty
  };
  static size_t Hash(model::SeriesId id);
  void Grow();

  base::HugePageVector<Slot> slots_;  // size a power of two (or empty)
  size_t size_ = 0;
};

}  // namespace cardinalsin::ingest
