#include "ingest/intern_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace cardinalsin::ingest {
namespace {

// Every length around the 4-, 8- and 16-byte word boundaries, differing in each position.
TEST(SameBytesTest, AgreesWithOperatorEquals) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('a' + i % 26));
    EXPECT_TRUE(SameBytes(a, std::string(a))) << n;
    EXPECT_FALSE(SameBytes(a, a + "x")) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] ^= 1;
      EXPECT_FALSE(SameBytes(a, b)) << n << " " << i;
      EXPECT_FALSE(SameBytes(b, a)) << n << " " << i;
    }
  }
  EXPECT_TRUE(SameBytes("", ""));
}

TEST(StringInternerTest, DenseIdsInFirstSeenOrder) {
  StringInterner interner;
  EXPECT_EQ(interner.Find("a"), std::nullopt);
  EXPECT_EQ(interner.Intern("pod-1"), 0u);
  EXPECT_EQ(interner.Intern("pod-2"), 1u);
  EXPECT_EQ(interner.Intern("pod-1"), 0u);
  EXPECT_EQ(interner.Intern(""), 2u);
  EXPECT_EQ(interner.Intern(""), 2u);
  EXPECT_EQ(interner.size(), 3u);
  EXPECT_EQ(interner.Get(0), "pod-1");
  EXPECT_EQ(interner.Get(1), "pod-2");
  EXPECT_EQ(interner.Get(2), "");
  EXPECT_EQ(interner.Find("pod-2"), 1u);
  EXPECT_EQ(interner.Find(""), 2u);
  EXPECT_EQ(interner.Find("pod-3"), std::nullopt);
}

TEST(StringInternerTest, CopiesTheStrings) {
  StringInterner interner;
  std::string s = "request-0001";
  const uint32_t id = interner.Intern(s);
  s[0] = 'X';
  EXPECT_EQ(interner.Get(id), "request-0001");
  EXPECT_EQ(interner.Find(s), std::nullopt);
}

TEST(StringInternerTest, StringsLargerThanABlock) {
  StringInterner interner;
  const std::string big(600 << 10, 'x');
  const uint32_t small = interner.Intern("small");
  const uint32_t id = interner.Intern(big);
  EXPECT_EQ(interner.Get(id), big);
  EXPECT_EQ(interner.Get(small), "small");
  EXPECT_EQ(interner.Intern("after"), 2u);
  EXPECT_GE(interner.bytes(), big.size());
  EXPECT_GE(interner.arena_bytes(), big.size() + 5);
  EXPECT_LE(interner.arena_bytes(), interner.bytes());
}

// Against std::map over many strings, through growth from empty and from a reservation: every
// string keeps its id and its bytes, and lookups of absent strings find nothing.
TEST(StringInternerTest, AgreesWithAMapAcrossGrowth) {
  for (size_t reserved : {size_t{0}, size_t{1000}, size_t{100'000}}) {
    StringInterner interner(reserved);
    std::map<std::string, uint32_t> expected;
    std::mt19937_64 random(reserved);
    for (int i = 0; i < 50'000; ++i) {
      // Few distinct short strings and many long ones, so both hits and misses are common.
      std::string s = (i % 3 == 0) ? "v" + std::to_string(random() % 500)
                                   : "request-" + std::to_string(random() % 40'000);
      auto [it, inserted] = expected.try_emplace(s, static_cast<uint32_t>(expected.size()));
      ASSERT_EQ(interner.Intern(s), it->second) << s;
    }
    ASSERT_EQ(interner.size(), expected.size());
    for (const auto& [s, id] : expected) {
      ASSERT_EQ(interner.Get(id), s);
      ASSERT_EQ(interner.Find(s), id);
    }
    EXPECT_EQ(interner.Find("absent"), std::nullopt);
  }
}

TEST(SeriesIndexTest, FindOrInsert) {
  SeriesIndex index;
  EXPECT_EQ(index.Find(42), std::nullopt);
  EXPECT_EQ(index.FindOrInsert(42, 0), std::make_pair(0u, true));
  EXPECT_EQ(index.FindOrInsert(7, 1), std::make_pair(1u, true));
  EXPECT_EQ(index.FindOrInsert(42, 2), std::make_pair(0u, false));
  EXPECT_EQ(index.FindOrInsert(0, 2), std::make_pair(2u, true));  // id 0 is a valid id
  EXPECT_EQ(index.Find(0), 2u);
  EXPECT_EQ(index.Find(7), 1u);
  EXPECT_EQ(index.Find(8), std::nullopt);
  EXPECT_EQ(index.size(), 3u);
}

TEST(SeriesIndexTest, AgreesWithAMapAcrossGrowth) {
  for (size_t reserved : {size_t{0}, size_t{10}, size_t{200'000}}) {
    SeriesIndex index(reserved);
    std::map<uint64_t, uint32_t> expected;
    std::mt19937_64 random(reserved);
    for (int i = 0; i < 100'000; ++i) {
      // Ids colliding in their low bits as well as random ones.
      const uint64_t id = (i % 2 == 0) ? (random() % 30'000) << 32 : random() % 60'000;
      auto [it, inserted] = expected.try_emplace(id, static_cast<uint32_t>(expected.size()));
      ASSERT_EQ(index.FindOrInsert(id, static_cast<uint32_t>(expected.size() - 1 + !inserted)),
                std::make_pair(it->second, inserted))
          << id;
    }
    ASSERT_EQ(index.size(), expected.size());
    for (const auto& [id, position] : expected) ASSERT_EQ(index.Find(id), position);
    EXPECT_EQ(index.Find(UINT64_MAX), std::nullopt);
    EXPECT_GE(index.bytes(), expected.size() * 12);
  }
}

}  // namespace
}  // namespace cardinalsin::ingest
