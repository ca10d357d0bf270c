// Runs the catalog's concurrency test against a real S3 server (Ceph RGW), configured by the
// environment test/harness/rgw.sh writes (CS_TEST_S3_*). Skipped when CS_TEST_S3_ENDPOINT is unset,
// so a plain ctest run without the harness stays green; scripts/test.sh runs it with RGW up.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "catalog/catalog.h"
#include "catalog/testing/commit_load.h"
#include "gtest/gtest.h"
#include "io/s3_object_store.h"

namespace cardinalsin::catalog {
namespace {

using ::cardinalsin::catalog::testing::LoadResult;
using ::cardinalsin::catalog::testing::RunCommitLoad;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

class CatalogRgwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("CS_TEST_S3_ENDPOINT").empty()) {
      GTEST_SKIP() << "CS_TEST_S3_ENDPOINT is unset; run through test/harness/rgw.sh";
    }
    io::S3Config config{.endpoint = Env("CS_TEST_S3_ENDPOINT"),
                        .bucket = Env("CS_TEST_S3_BUCKET"),
                        .access_key_id = Env("CS_TEST_S3_ACCESS_KEY_ID"),
                        .secret_access_key = Env("CS_TEST_S3_SECRET_ACCESS_KEY")};
    if (!Env("CS_TEST_S3_REGION").empty()) config.region = Env("CS_TEST_S3_REGION");
    config.quote_etag_in_if_match = Env("CS_TEST_S3_ETAG_QUOTING") != "unquoted";
    absl::StatusOr<std::unique_ptr<io::S3ObjectStore>> store =
        io::S3ObjectStore::Create(std::move(config), base::SystemClock(), random_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    tenant_ = absl::StrFormat("catalog-rgw-%d", random_.Next() % 1000000000);
  }
  void TearDown() override {
    if (store_ == nullptr) return;
    absl::StatusOr<std::vector<io::ObjectMeta>> left = io::ListAll(*store_, tenant_ + "/");
    if (!left.ok()) return;
    for (const io::ObjectMeta& meta : *left) (void)store_->Delete(meta.key);
  }

  base::SeededRandom random_;
  std::unique_ptr<io::S3ObjectStore> store_;
  std::string tenant_;
};

CatalogOptions LoadOptions() {
  return {.writer_id = "rgw",
          .checkpoint_interval = 50,
          .max_attempts = 1000,
          .initial_backoff = absl::Milliseconds(1),
          .max_backoff = absl::Milliseconds(50)};
}

void ExpectComplete(const LoadResult& result, io::ObjectStore* store, const std::string& tenant,
                    int writers, int total) {
  ASSERT_TRUE(result.status.ok()) << result.status;
  std::vector<uint64_t> seqs = result.seqs;
  std::sort(seqs.begin(), seqs.end());
  std::vector<uint64_t> expected(total);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seqs, expected);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, Catalog::Open(store, tenant, {}));
  EXPECT_EQ(reader->snapshot()->seq, static_cast<uint64_t>(total));
  EXPECT_EQ(reader->snapshot()->chunks.size(), static_cast<size_t>(total));
  for (const std::string& path : result.added_paths) {
    EXPECT_TRUE(reader->snapshot()->chunks.contains(path)) << path;
  }
  std::printf(
      "commit load on %s, %d writers: %zu commits in %.3f s = %.1f commits/s, "
      "%.2f conflicts/commit\n",
      store->Describe().c_str(), writers, result.seqs.size(), result.seconds,
      result.commits_per_second(), result.conflicts_per_commit());
}

TEST_F(CatalogRgwTest, EightConcurrentWriters) {
  LoadResult result = RunCommitLoad(store_.get(), tenant_, 8, 25, LoadOptions());
  ExpectComplete(result, store_.get(), tenant_, 8, 200);
}

TEST_F(CatalogRgwTest, OneWriter) {
  LoadResult result = RunCommitLoad(store_.get(), tenant_, 1, 100, LoadOptions());
  ExpectComplete(result, store_.get(), tenant_, 1, 100);
  EXPECT_EQ(result.cas_conflicts, 0u);
  // Reopening reads checkpoint 100 and one missing tail entry; without checkpoints, all 100.
  for (bool checkpoints : {true, false}) {
    if (!checkpoints) {
      CS_ASSERT_OK(store_->Delete(CheckpointKey(tenant_, 50)));
      CS_ASSERT_OK(store_->Delete(CheckpointKey(tenant_, 100)));
    }
    absl::Time start = absl::Now();
    CS_ASSERT_OK_AND_ASSIGN(auto reader, Catalog::Open(store_.get(), tenant_, {}));
    std::printf("open %s checkpoint: %.1f ms\n", checkpoints ? "with" : "without",
                absl::ToDoubleMilliseconds(absl::Now() - start));
    EXPECT_EQ(reader->snapshot()->seq, 100u);
  }
}

TEST_F(CatalogRgwTest, VerifyAndListTenants) {
  LoadResult result = RunCommitLoad(store_.get(), tenant_, 2, 3, LoadOptions());
  ASSERT_TRUE(result.status.ok()) << result.status;
  CS_ASSERT_OK_AND_ASSIGN(std::vector<std::string> tenants, ListTenants(store_.get()));
  EXPECT_NE(std::find(tenants.begin(), tenants.end(), tenant_), tenants.end());
  CS_ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(store_.get(), tenant_));
  EXPECT_EQ(report.live_chunks, 6u);
  EXPECT_EQ(report.missing.size(), 6u);  // the load commits summaries without uploading chunks
}

}  // namespace
}  // namespace cardinalsin::catalog
