#include "scan/range_cache.h"

#include <filesystem>
#include <fstream>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace cardinalsin::scan {
namespace {

std::shared_ptr<const std::string> Bytes(size_t n, char c) {
  return std::make_shared<const std::string>(n, c);
}

TEST(RangeCacheTest, HitsMissesAndLruEviction) {
  RangeCache cache(8 * 1000);  // entries up to 1000 bytes are kept
  EXPECT_EQ(cache.Lookup("a", 0, 10), nullptr);
  cache.Insert("a", 0, 10, Bytes(10, 'a'));
  ASSERT_NE(cache.Lookup("a", 0, 10), nullptr);
  EXPECT_EQ(*cache.Lookup("a", 0, 10), std::string(10, 'a'));
  EXPECT_EQ(cache.Lookup("a", 0, 11), nullptr);  // a different range is a different entry
  EXPECT_EQ(cache.Lookup("b", 0, 10), nullptr);
  CacheStats stats = cache.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 3u);
  EXPECT_EQ(stats.entries, 1u);

  // Fill past the budget; "a" stays because it is used between inserts.
  for (int i = 0; i < 20; ++i) {
    cache.Insert("k" + std::to_string(i), 0, 800, Bytes(800, 'x'));
    ASSERT_NE(cache.Lookup("a", 0, 10), nullptr);
  }
  stats = cache.stats();
  EXPECT_LE(stats.bytes, 8000u);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.entries + stats.evictions, 21u);
  EXPECT_EQ(cache.Lookup("k0", 0, 800), nullptr);
  EXPECT_NE(cache.Lookup("k19", 0, 800), nullptr);

  cache.Insert("huge", 0, 5000, Bytes(5000, 'h'));  // more than an eighth of the budget
  EXPECT_EQ(cache.Lookup("huge", 0, 5000), nullptr);
}

class DiskCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/scan_disk_cache_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(DiskCacheTest, SurvivesReopenAndEvictsBeyondBudget) {
  {
    CS_ASSERT_OK_AND_ASSIGN(auto cache, DiskCache::Open(dir_, 80'000));
    EXPECT_EQ(cache->Lookup("t/data/a.parquet", 4, 100), std::nullopt);
    cache->Insert("t/data/a.parquet", 4, 100, std::string(100, 'a'));
    EXPECT_EQ(cache->Lookup("t/data/a.parquet", 4, 100), std::string(100, 'a'));
    EXPECT_EQ(cache->stats().hits, 1u);
    EXPECT_EQ(cache->stats().misses, 1u);
  }
  std::ofstream(dir_ + "/leftover.bin.3.tmp") << "partial";
  CS_ASSERT_OK_AND_ASSIGN(auto cache, DiskCache::Open(dir_, 80'000));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/leftover.bin.3.tmp"));
  EXPECT_EQ(cache->stats().entries, 1u);
  EXPECT_EQ(cache->Lookup("t/data/a.parquet", 4, 100), std::string(100, 'a'));
  for (int i = 0; i < 20; ++i)
    cache->Insert("k" + std::to_string(i), 0, 9000, std::string(9000, 'x'));
  EXPECT_LE(cache->stats().bytes, 80'000u);
  EXPECT_GT(cache->stats().evictions, 0u);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    files += entry.is_regular_file();
  EXPECT_EQ(files, cache->stats().entries);
  EXPECT_EQ(cache->Lookup("k0", 0, 9000), std::nullopt);
  EXPECT_EQ(cache->Lookup("k19", 0, 9000), std::string(9000, 'x'));
}

TEST_F(DiskCacheTest, DamagedFileIsAMissAndRemoved) {
  CS_ASSERT_OK_AND_ASSIGN(auto cache, DiskCache::Open(dir_, 1 << 20));
  cache->Insert("obj", 0, 1000, std::string(1000, 'z'));
  std::filesystem::path file;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) file = entry.path();
  ASSERT_FALSE(file.empty());
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('!');
  }
  EXPECT_EQ(cache->Lookup("obj", 0, 1000), std::nullopt);
  EXPECT_EQ(cache->stats().errors, 1u);
  EXPECT_EQ(cache->stats().entries, 0u);
  EXPECT_FALSE(std::filesystem::exists(file));
  cache->Insert("obj", 0, 1000, std::string(1000, 'z'));
  EXPECT_EQ(cache->Lookup("obj", 0, 1000), std::string(1000, 'z'));
}

TEST_F(DiskCacheTest, RejectsBadOptions) {
  EXPECT_FALSE(DiskCache::Open("", 1).ok());
  EXPECT_FALSE(DiskCache::Open(dir_, 0).ok());
}

}  // namespace
}  // namespace cardinalsin::scan
