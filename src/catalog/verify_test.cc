#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "catalog/catalog.h"
#include "catalog/testing/commit_load.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/in_memory_object_store.h"

namespace cardinalsin::catalog {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::cardinalsin::catalog::testing::TestChunk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Writes a chunk object with the size its summary records and commits it.
void AddChunk(io::ObjectStore& store, Catalog& catalog, const ChunkSummary& summary) {
  CS_ASSERT_OK(store.Put(summary.path, std::string(summary.size_bytes, 'x')));
  CS_ASSERT_OK(catalog.Commit({.add = {summary}}));
}

TEST(ListTenantsTest, OnlyPrefixesWithACatalog) {
  io::InMemoryObjectStore store;
  EXPECT_THAT(ListTenants(&store), IsOkAndHolds(IsEmpty()));
  for (const char* tenant : {"beta", "alpha"}) {
    CS_ASSERT_OK_AND_ASSIGN(auto catalog, Catalog::Open(&store, tenant, {.writer_id = "w"}));
    CS_ASSERT_OK(catalog->Commit({.watermark = {{"w", 1}}}));
  }
  CS_ASSERT_OK(store.Put("gamma/data/x.parquet", "x"));  // data but no catalog
  CS_ASSERT_OK(store.Put("top-level-object", "x"));
  EXPECT_THAT(ListTenants(&store), IsOkAndHolds(ElementsAre("alpha", "beta")));
}

TEST(VerifyTest, HealthyCatalog) {
  io::InMemoryObjectStore store;
  CS_ASSERT_OK_AND_ASSIGN(auto catalog, Catalog::Open(&store, "t", {.writer_id = "w"}));
  AddChunk(store, *catalog, TestChunk("t", "a"));
  AddChunk(store, *catalog, TestChunk("t", "b"));
  CS_ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(&store, "t"));
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.seq, 2u);
  EXPECT_EQ(report.live_chunks, 2u);
  EXPECT_THAT(report.missing, IsEmpty());
  EXPECT_THAT(report.orphans, IsEmpty());
  EXPECT_THAT(report.awaiting_gc, IsEmpty());
  EXPECT_THAT(report.problems, IsEmpty());
}

TEST(VerifyTest, FindsMissingOrphansGarbageAndProblems) {
  io::InMemoryObjectStore store;
  CS_ASSERT_OK_AND_ASSIGN(auto catalog, Catalog::Open(&store, "t", {.writer_id = "w"}));
  ChunkSummary live = TestChunk("t", "live");
  ChunkSummary gone = TestChunk("t", "gone");
  ChunkSummary removed = TestChunk("t", "removed");
  ChunkSummary resized = TestChunk("t", "resized");
  for (const ChunkSummary& s : {live, gone, removed, resized}) AddChunk(store, *catalog, s);
  CS_ASSERT_OK(catalog->Commit({.remove = {removed.path}}));
  CS_ASSERT_OK(store.Delete(gone.path));
  CS_ASSERT_OK(store.Put(resized.path, "short"));
  CS_ASSERT_OK(store.Put("t/data/2026/stray.parquet", "x"));
  CS_ASSERT_OK(store.Put("other/data/not-ours.parquet", "x"));  // another tenant: not checked

  CS_ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(&store, "t"));
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.live_chunks, 3u);
  EXPECT_THAT(report.missing, ElementsAre(gone.path));
  EXPECT_THAT(report.orphans, ElementsAre("t/data/2026/stray.parquet"));
  EXPECT_THAT(report.awaiting_gc, ElementsAre(removed.path));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_THAT(report.problems[0], HasSubstr(resized.path));

  // Garbage alone is fine.
  CS_ASSERT_OK(store.Delete("t/data/2026/stray.parquet"));
  CS_ASSERT_OK(store.Put(gone.path, std::string(gone.size_bytes, 'x')));
  CS_ASSERT_OK(store.Put(resized.path, std::string(resized.size_bytes, 'x')));
  CS_ASSERT_OK_AND_ASSIGN(report, Verify(&store, "t"));
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.awaiting_gc, ElementsAre(removed.path));
}

TEST(VerifyTest, ReportsLogGapsAndSkippedCheckpoints) {
  io::InMemoryObjectStore store;
  CS_ASSERT_OK_AND_ASSIGN(auto catalog,
                          Catalog::Open(&store, "t", {.writer_id = "w", .checkpoint_interval = 2}));
  for (uint64_t i = 1; i <= 3; ++i) CS_ASSERT_OK(catalog->Commit({.watermark = {{"w", i}}}));
  CS_ASSERT_OK(store.Put(LogKey("t", 7), "{}"));
  CS_ASSERT_OK(store.Put(CheckpointKey("t", 2), "garbage"));
  CS_ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(&store, "t"));
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.seq, 3u);
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_THAT(report.problems[0], HasSubstr(LogKey("t", 7)));
  EXPECT_THAT(report.problems[1], HasSubstr(CheckpointKey("t", 2)));
}

TEST(VerifyTest, UnreadableCatalogIsAnError) {
  io::InMemoryObjectStore store;
  CS_ASSERT_OK(store.Put(LogKey("t", 1), "not json"));
  EXPECT_THAT(Verify(&store, "t"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Verify(&store, "../x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cardinalsin::catalog
