#include "ingest/ingester.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "base/testing/status_matchers.h"
#include "catalog/metadata.h"
#include "io/fault_injecting_object_store.h"
#include "io/in_memory_object_store.h"
#include "parquet/reader.h"

namespace cardinalsin::ingest {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("ingester_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  IngesterOptions Options(std::string wal_dir = "") {
    IngesterOptions options;
    options.wal.dir = wal_dir.empty() ? (dir_ / "wal").string() : wal_dir;
    options.flush_age = absl::Hours(1);  // tests flush explicitly
    options.flush_check_interval = absl::Milliseconds(20);
    options.catalog.initial_backoff = absl::Milliseconds(1);
    return options;
  }

  // `count` series `m{i="k"}` with one sample each at now.
  static model::SampleBatch Batch(int first, int count, double value = 1.0) {
    model::SampleBatch batch;
    int64_t now = absl::ToUnixNanos(absl::Now());
    for (int k = first; k < first + count; ++k) {
      batch.StartSeries();
      batch.AddLabel("__name__", "m");
      batch.AddLabel("i", batch.Own(std::to_string(k)));
      batch.AddSample(now, value + k);
    }
    return batch;
  }

  // Rows of every live chunk of `tenant`, read back from the store.
  uint64_t CommittedRows(io::ObjectStore& store, const std::string& tenant = "default") {
    auto catalog = catalog::Catalog::Open(&store, tenant, {});
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    uint64_t rows = 0;
    for (const auto& [path, summary] : (*catalog)->snapshot()->chunks) {
      auto bytes = store.Get(path);
      EXPECT_TRUE(bytes.ok());
      parquet::MemoryByteSource source(*bytes);
      auto reader = parquet::ParquetReader::Open(source);
      EXPECT_TRUE(reader.ok()) << reader.status();
      auto all = (*reader)->ReadAll();
      EXPECT_TRUE(all.ok()) << all.status();
      EXPECT_EQ(all->num_rows(), summary.row_count);
      rows += all->num_rows();
    }
    return rows;
  }

  std::filesystem::path dir_;
  io::InMemoryObjectStore store_;
};

TEST_F(IngesterTest, WriteFlushCommitTruncatesWal) {
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
  WriteOutcome outcome = ingester->Write("default", Batch(0, 10));
  CS_ASSERT_OK(outcome.status);
  EXPECT_EQ(outcome.accepted_samples, 10u);
  EXPECT_EQ(ingester->Scan("default", {}).rows.num_rows(), 10u);
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 10u);
  EXPECT_EQ(ingester->wal()->flushed_seq(), ingester->wal()->last_seq());
  Ingester::ScanResult scan = ingester->Scan("default", {});
  EXPECT_EQ(scan.rows.num_rows(), 0u);
  EXPECT_EQ(scan.catalog_seq, 1u);

  auto catalog = catalog::Catalog::Open(&store_, "default", {});
  ASSERT_TRUE(catalog.ok());
  const auto& chunks = (*catalog)->snapshot()->chunks;
  ASSERT_EQ(chunks.size(), 1u);
  const catalog::ChunkSummary& summary = chunks.begin()->second;
  EXPECT_THAT(summary.path,
              ::testing::MatchesRegex(
                  "default/data/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/L0-[0-9A-Z]{26}\\.parquet"));
  EXPECT_EQ(summary.series_count, 10u);
  EXPECT_EQ(summary.min_metric, "m");
  EXPECT_EQ(summary.labels.at("i").min, "0");
  EXPECT_EQ(summary.labels.at("i").max, "9");
  EXPECT_EQ((*catalog)->snapshot()->watermarks.at(ingester->watermark_key()),
            ingester->wal()->last_seq());
}

TEST_F(IngesterTest, StopFlushesAndRestartKeepsTheNodeId) {
  std::string id;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
    id = ingester->node_id();
    CS_ASSERT_OK(ingester->Write("default", Batch(0, 5)).status);
    CS_ASSERT_OK(ingester->Write("other", Batch(0, 3)).status);
    CS_ASSERT_OK(ingester->Stop());
    EXPECT_EQ(ingester->Write("default", Batch(0, 1)).status.code(),
              absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(CommittedRows(store_), 5u);
  EXPECT_EQ(CommittedRows(store_, "other"), 3u);
  CS_ASSERT_OK_AND_ASSIGN(auto again, Ingester::Open(&store_, Options()));
  EXPECT_EQ(again->node_id(), id);
  EXPECT_EQ(again->stats().replayed_records, 0u);
}

TEST_F(IngesterTest, MetricMetadataIsPersistedAndSurvivesARestart) {
  using catalog::FamilyMetadata;
  std::string id;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
    id = ingester->node_id();
    model::SampleBatch metadata_only;  // as Prometheus sends it: no series
    metadata_only.metadata.push_back({"up", model::MetricType::kGauge, "Target is up.", ""});
    metadata_only.metadata.push_back({"", model::MetricType::kGauge, "no family", ""});
    metadata_only.metadata.push_back({"bad", model::MetricType::kGauge, "\xff\xfe", ""});
    CS_ASSERT_OK(ingester->Write("default", metadata_only).status);
    model::SampleBatch with_series = Batch(0, 2);
    with_series.metadata.push_back({"m", model::MetricType::kCounter, "Ms.", "seconds"});
    CS_ASSERT_OK(ingester->Write("default", with_series).status);
    EXPECT_EQ(ingester->stats().metadata_dropped, 2u);
    CS_ASSERT_OK(ingester->PersistMetadata());
    CS_ASSERT_OK_AND_ASSIGN(std::vector<FamilyMetadata> stored,
                            catalog::ReadTenantMetadata(store_, "default"));
    EXPECT_THAT(stored, ::testing::ElementsAre(
                            FamilyMetadata{"m", model::MetricType::kCounter, "Ms.", "seconds"},
                            FamilyMetadata{"up", model::MetricType::kGauge, "Target is up.", ""}));
    // A changed help text replaces the family's entry; Stop() writes it.
    model::SampleBatch changed;
    changed.metadata.push_back({"up", model::MetricType::kGauge, "1 if up.", ""});
    CS_ASSERT_OK(ingester->Write("default", changed).status);
    CS_ASSERT_OK(ingester->Stop());
  }
  // After a restart the ingester learns one more family; what it knew before stays.
  CS_ASSERT_OK_AND_ASSIGN(auto again, Ingester::Open(&store_, Options()));
  ASSERT_EQ(again->node_id(), id);
  model::SampleBatch more;
  more.metadata.push_back({"new", model::MetricType::kSummary, "New.", ""});
  CS_ASSERT_OK(again->Write("default", more).status);
  CS_ASSERT_OK(again->PersistMetadata());
  CS_ASSERT_OK_AND_ASSIGN(std::vector<FamilyMetadata> stored,
                          catalog::ReadWriterMetadata(store_, "default", id));
  EXPECT_THAT(stored, ::testing::ElementsAre(
                          FamilyMetadata{"m", model::MetricType::kCounter, "Ms.", "seconds"},
                          FamilyMetadata{"new", model::MetricType::kSummary, "New.", ""},
                          FamilyMetadata{"up", model::MetricType::kGauge, "1 if up.", ""}));
}

TEST_F(IngesterTest, UnflushedRowsSurviveAStoreOutageAtShutdown) {
  base::SeededRandom random(1);
  io::FaultInjectingObjectStore faulty(store_, base::SystemClock(), random);
  faulty.AddRule({.ops = io::kOpPut,
                  .key_prefix = "default/data/",
                  .error = absl::UnavailableError("injected")});
  {
    CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&faulty, Options()));
    CS_ASSERT_OK(ingester->Write("default", Batch(0, 4)).status);
    EXPECT_THAT(ingester->Stop(absl::Milliseconds(50)), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(CommittedRows(store_), 0u);
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
  EXPECT_EQ(ingester->stats().replayed_records, 1u);
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 4u);
}

// A crash after the commit but before the WAL truncation: the restarted ingester must not commit
// the same rows again (the catalog watermark says they are in).
TEST_F(IngesterTest, ReplaySkipsRecordsCommittedBeforeACrash) {
  const std::filesystem::path wal = dir_ / "wal";
  const std::filesystem::path saved = dir_ / "wal-before-truncation";
  {
    CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
    CS_ASSERT_OK(ingester->Write("default", Batch(0, 6)).status);
    CS_ASSERT_OK(ingester->Write("default", Batch(6, 2)).status);
    std::filesystem::copy(wal, saved, std::filesystem::copy_options::recursive);
    CS_ASSERT_OK(ingester->Stop());
  }
  std::filesystem::remove_all(wal);
  std::filesystem::rename(saved, wal);
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
  EXPECT_EQ(ingester->stats().replay_skipped_records, 2u);
  EXPECT_EQ(ingester->stats().replayed_records, 0u);
  CS_ASSERT_OK(ingester->Write("default", Batch(100, 1)).status);
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 9u);
}

TEST_F(IngesterTest, FullBufferRefusesWithResourceExhausted) {
  IngesterOptions options = Options();
  options.max_buffer_bytes = 300 << 10;
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, options));
  absl::Status last;
  int accepted = 0;
  for (int i = 0; i < 100 && last.ok(); ++i) {
    last = ingester->Write("default", Batch(i * 1000, 1000)).status;
    if (last.ok()) ++accepted;
  }
  EXPECT_THAT(last,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("write buffer is full")));
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), accepted * 1000u);  // refused writes left nothing behind
  CS_EXPECT_OK(ingester->Write("default", Batch(0, 10)).status);
}

TEST_F(IngesterTest, FailedFlushKeepsRowsQueryableAndRetries) {
  base::SeededRandom random(2);
  io::FaultInjectingObjectStore faulty(store_, base::SystemClock(), random);
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&faulty, Options()));
  CS_ASSERT_OK(ingester->Write("default", Batch(0, 3)).status);
  faulty.AddRule({.ops = io::kOpPut,
                  .key_prefix = "default/_catalog/",
                  .error = absl::UnavailableError("down"),
                  .remaining = 30});
  EXPECT_FALSE(ingester->FlushAll().ok());
  EXPECT_EQ(ingester->Scan("default", {}).rows.num_rows(), 3u);
  EXPECT_GE(ingester->stats().flush_failures, 1u);
  faulty.ClearRules();
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 3u);
  // Every retry committed the chunk uploaded by the first attempt: no orphaned objects.
  CS_ASSERT_OK_AND_ASSIGN(std::vector<io::ObjectMeta> objects,
                          io::ListAll(store_, "default/data/"));
  EXPECT_EQ(objects.size(), 1u);
}

// The WAL directory is wiped (a new volume) while INGESTER_ID stays: the new WAL numbers records
// from 1 again, below the watermark the old WAL committed. Rows written after the restart must
// neither be mistaken for committed ones on the next replay nor fail to commit.
TEST_F(IngesterTest, ReplacedWalUnderAFixedIngesterIdKeepsAcknowledgedWrites) {
  IngesterOptions options = Options();
  options.node_id = "ingester-fixed";
  {
    CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, options));
    for (int i = 0; i < 5; ++i) CS_ASSERT_OK(ingester->Write("default", Batch(i * 10, 10)).status);
    CS_ASSERT_OK(ingester->Stop());  // watermark 5 committed
  }
  std::filesystem::remove_all(options.wal.dir);
  base::SeededRandom random(3);
  io::FaultInjectingObjectStore faulty(store_, base::SystemClock(), random);
  faulty.AddRule({.ops = io::kOpPut,
                  .key_prefix = "default/data/",
                  .error = absl::UnavailableError("injected")});
  {
    // Acknowledged, then the process dies with the rows only in the (new) WAL.
    CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&faulty, options));
    CS_ASSERT_OK(ingester->Write("default", Batch(100, 3)).status);
    CS_ASSERT_OK(ingester->Write("default", Batch(200, 4)).status);
    EXPECT_FALSE(ingester->Stop(absl::Milliseconds(20)).ok());
  }
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, options));
  EXPECT_EQ(ingester->stats().replayed_records, 2u);
  EXPECT_EQ(ingester->stats().replay_skipped_records, 0u);
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 50u + 7u);
  CS_ASSERT_OK(ingester->Write("default", Batch(300, 1)).status);
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 58u);
}

TEST_F(IngesterTest, RejectedSeriesDoNotBlockValidOnes) {
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, Options()));
  model::SampleBatch batch = Batch(0, 2);
  batch.StartSeries();
  batch.AddLabel("job", "no-name");
  batch.AddSample(absl::ToUnixNanos(absl::Now()), 1);
  WriteOutcome outcome = ingester->Write("default", batch);
  CS_ASSERT_OK(outcome.status);
  EXPECT_EQ(outcome.accepted_samples, 2u);
  EXPECT_EQ(outcome.rejected_series, 1u);
  EXPECT_THAT(outcome.reasons.at(0), HasSubstr("missing metric name"));
}

TEST_F(IngesterTest, ConcurrentWritersAreCommittedExactlyOnce) {
  IngesterOptions options = Options();
  options.flush_rows = 500;  // many flushes while writing
  CS_ASSERT_OK_AND_ASSIGN(auto ingester, Ingester::Open(&store_, options));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(ingester->Write("default", Batch((t * 50 + i) * 10, 10)).status.ok());
    });
  }
  for (auto& thread : threads) thread.join();
  CS_ASSERT_OK(ingester->FlushAll());
  EXPECT_EQ(CommittedRows(store_), 2000u);
  EXPECT_EQ(ingester->wal()->flushed_seq(), ingester->wal()->last_seq());
}

}  // namespace
}  // namespace cardinalsin::ingest
