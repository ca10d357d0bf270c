#include "base/shared_lru_cache.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace cardinalsin::base {
namespace {

TEST(SharedLruCacheTest, EvictsLeastRecentlyUsedBeyondTheBudget) {
  SharedLruCache<int> cache(100);  // keys count too: "a" + 40 = 41 bytes per entry
  cache.Put("a", std::make_shared<const int>(1), 40);
  cache.Put("b", std::make_shared<const int>(2), 40);
  ASSERT_NE(cache.Get("a"), nullptr);  // "a" is now the most recently used
  cache.Put("c", std::make_shared<const int>(3), 40);
  EXPECT_EQ(cache.Get("b"), nullptr);  // evicted: least recently used
  ASSERT_NE(cache.Get("a"), nullptr);
  EXPECT_EQ(*cache.Get("a"), 1);
  ASSERT_NE(cache.Get("c"), nullptr);
  EXPECT_EQ(*cache.Get("c"), 3);
}

TEST(SharedLruCacheTest, ReplacesAndRefusesWhatAloneExceedsTheBudget) {
  SharedLruCache<std::string> cache(100);
  cache.Put("k", std::make_shared<const std::string>("old"), 10);
  cache.Put("k", std::make_shared<const std::string>("new"), 10);
  ASSERT_NE(cache.Get("k"), nullptr);
  EXPECT_EQ(*cache.Get("k"), "new");
  cache.Put("huge", std::make_shared<const std::string>("x"), 100);  // 104 bytes with its key
  EXPECT_EQ(cache.Get("huge"), nullptr);
  EXPECT_NE(cache.Get("k"), nullptr);  // nothing was evicted for it
  // A held object outlives its eviction.
  std::shared_ptr<const std::string> held = cache.Get("k");
  cache.Put("big", std::make_shared<const std::string>("y"), 95);
  EXPECT_EQ(cache.Get("k"), nullptr);
  EXPECT_EQ(*held, "new");
}

}  // namespace
}  // namespace cardinalsin::base
