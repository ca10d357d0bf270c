#include "base/huge_page_allocator.h"

#include <cstdint>
#include <numeric>

#include "gtest/gtest.h"

namespace cardinalsin::base {
namespace {

TEST(HugePageAllocatorTest, LargeArraysStartOnHugePageBoundaries) {
  HugePageVector<uint64_t> slots(internal::kHugePageBytes / sizeof(uint64_t) + 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(slots.data()) % internal::kHugePageBytes, 0u);
  std::iota(slots.begin(), slots.end(), 0);
  EXPECT_EQ(slots.back(), slots.size() - 1);
}

TEST(HugePageAllocatorTest, SmallArraysUseTheHeap) {
  HugePageVector<uint32_t> small(16, 7);
  EXPECT_EQ(small[15], 7u);
}

TEST(HugePageAllocatorTest, GrowthKeepsValuesAcrossTheSizeThreshold) {
  HugePageVector<uint32_t> values;
  for (uint32_t i = 0; i < (3u << 20); ++i) values.push_back(i);  // 12 MiB, several regrowths
  for (uint32_t i = 0; i < values.size(); i += 4099) ASSERT_EQ(values[i], i);
}

TEST(HugePageAllocatorTest, FreedMappingsAreReusedForTheSameSize) {
  const size_t n = 3 * internal::kHugePageBytes / sizeof(uint64_t);
  const uint64_t* first;
  {
    HugePageVector<uint64_t> a(n, 1);
    first = a.data();
  }
  HugePageVector<uint64_t> b(n, 2);  // value-initialised by the vector, not by the mapping
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(b[n - 1], 2u);
}

}  // namespace
}  // namespace cardinalsin::base
