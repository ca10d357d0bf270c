#include "catalog/catalog.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "catalog/log_entry.h"
#include "catalog/testing/commit_load.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fault_injecting_object_store.h"
#include "io/in_memory_object_store.h"
#include "io/local_object_store.h"

namespace cardinalsin::catalog {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::cardinalsin::catalog::testing::LoadResult;
using ::cardinalsin::catalog::testing::RunCommitLoad;
using ::cardinalsin::catalog::testing::TestChunk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kTenant[] = "acme";

// A FakeClock that also records every sleep, to check each backoff on its own.
class RecordingClock final : public base::Clock {
 public:
  absl::Time Now() const override { return fake_.Now(); }
  absl::Time MonotonicNow() const override { return fake_.MonotonicNow(); }
  void SleepFor(absl::Duration d) override {
    {
      absl::MutexLock lock(&mu_);
      sleeps_.push_back(d);
    }
    fake_.SleepFor(d);
  }
  void Advance(absl::Duration d) { fake_.Advance(d); }
  std::vector<absl::Duration> sleeps() const {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  base::FakeClock fake_;
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

class CatalogTest : public ::testing::Test {
 protected:
  CatalogOptions Options(std::string writer = "node-a") {
    return {.writer_id = std::move(writer), .clock = &clock_, .random = &random_};
  }
  std::unique_ptr<Catalog> OpenOn(io::ObjectStore* store, CatalogOptions options) {
    absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(store, kTenant, options);
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return catalog.ok() ? std::move(catalog).value() : nullptr;
  }
  std::unique_ptr<Catalog> Open(CatalogOptions options) { return OpenOn(&store_, options); }

  RecordingClock clock_;
  base::SeededRandom random_{42};
  io::InMemoryObjectStore store_{base::SystemClock()};
};

TEST_F(CatalogTest, EmptyCatalogIsSeqZero) {
  auto catalog = Open(Options());
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(*catalog->snapshot(), Snapshot{});
  EXPECT_EQ(store_.SizeForTest(), 0u);
}

TEST_F(CatalogTest, CommitAndReopenRoundTrip) {
  auto catalog = Open(Options());
  ASSERT_NE(catalog, nullptr);
  ChunkSummary a = TestChunk(kTenant, "a", 100);
  ChunkSummary b = TestChunk(kTenant, "b", 200);
  b.level = 1;
  b.labels["empty"] = {"", ""};
  EXPECT_THAT(catalog->Commit({.add = {a}, .watermark = {{"ingester-1", 17}}}), IsOkAndHolds(1u));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(catalog->Commit({.add = {b}, .remove = {a.path}}), IsOkAndHolds(2u));
  EXPECT_THAT(catalog->Commit({.watermark = {{"ingester-1", 30}}}), IsOkAndHolds(3u));

  std::shared_ptr<const Snapshot> snap = catalog->snapshot();
  EXPECT_EQ(snap->seq, 3u);
  ASSERT_EQ(snap->chunks.size(), 1u);
  EXPECT_EQ(snap->chunks.at(b.path), b);
  EXPECT_EQ(snap->watermarks, (std::map<std::string, uint64_t>{{"ingester-1", 30}}));
  EXPECT_THAT(snap->removed, ElementsAre(RemovedChunk{a.path, absl::ToUnixNanos(clock_.Now())}));

  auto reopened = Open(Options("node-b"));
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->snapshot(), *snap);

  // The entries are where the format says, with the writer and time recorded.
  CS_ASSERT_OK_AND_ASSIGN(std::string body,
                          store_.Get("acme/_catalog/log/00000000000000000002.json"));
  CS_ASSERT_OK_AND_ASSIGN(LogEntry entry, DecodeLogEntry(body, "k", 2));
  EXPECT_EQ(entry.writer, "node-a");
  EXPECT_EQ(entry.committed_at_ns, absl::ToUnixNanos(clock_.Now()));
  Catalog::Stats stats = catalog->stats();
  EXPECT_EQ(stats.commits, 3u);
  EXPECT_EQ(stats.cas_attempts, 3u);
  EXPECT_EQ(stats.cas_conflicts, 0u);
  EXPECT_EQ(stats.retries, 0u);
}

TEST_F(CatalogTest, RefreshSeesOtherWriters) {
  auto reader = Open(Options("reader"));
  auto writer = Open(Options("writer"));
  CS_ASSERT_OK(writer->Commit({.add = {TestChunk(kTenant, "x")}}));
  EXPECT_EQ(reader->snapshot()->seq, 0u);
  CS_ASSERT_OK(reader->Refresh());
  EXPECT_EQ(reader->snapshot()->seq, 1u);
  EXPECT_TRUE(reader->snapshot()->chunks.contains(TestChunk(kTenant, "x").path));
}

TEST_F(CatalogTest, CheckpointEveryIntervalAndReopenReadsOnlyTheTail) {
  CatalogOptions options = Options();
  options.checkpoint_interval = 5;
  auto catalog = Open(options);
  for (int i = 0; i < 12; ++i) {
    CS_ASSERT_OK(catalog->Commit({.add = {TestChunk(kTenant, absl::StrFormat("c%d", i))}}));
  }
  EXPECT_EQ(catalog->stats().checkpoints_written, 2u);
  CS_ASSERT_OK_AND_ASSIGN(std::vector<io::ObjectMeta> checkpoints,
                          io::ListAll(store_, "acme/_catalog/checkpoint/"));
  ASSERT_EQ(checkpoints.size(), 2u);
  EXPECT_EQ(checkpoints[0].key, CheckpointKey(kTenant, 5));
  EXPECT_EQ(checkpoints[1].key, CheckpointKey(kTenant, 10));

  // Count the GETs a reopen makes: the newest checkpoint, entries 11 and 12, and the miss at 13.
  base::FakeClock fault_clock;
  io::FaultInjectingObjectStore counting(store_, fault_clock, random_);
  counting.AddRule({.ops = io::kOpGet, .key_prefix = "acme/_catalog/log/"});
  auto reopened = OpenOn(&counting, options);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(counting.injected_count(), 3);
  counting.ClearRules();
  counting.AddRule({.ops = io::kOpGet, .key_prefix = "acme/_catalog/checkpoint/"});
  auto again = OpenOn(&counting, options);
  EXPECT_EQ(counting.injected_count(), 3 + 1);  // the count is cumulative
  EXPECT_EQ(*reopened->snapshot(), *catalog->snapshot());
  EXPECT_EQ(reopened->snapshot()->chunks.size(), 12u);
  EXPECT_TRUE(reopened->load_warnings().empty());
}

TEST_F(CatalogTest, CorruptCheckpointFallsBackToAnOlderOne) {
  CatalogOptions options = Options();
  options.checkpoint_interval = 5;
  auto catalog = Open(options);
  for (int i = 0; i < 11; ++i) {
    CS_ASSERT_OK(catalog->Commit({.add = {TestChunk(kTenant, absl::StrFormat("c%d", i))}}));
  }
  CS_ASSERT_OK(store_.Put(CheckpointKey(kTenant, 10), "{\"version\":1,\"seq\":"));
  auto reopened = Open(options);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->snapshot(), *catalog->snapshot());
  ASSERT_EQ(reopened->load_warnings().size(), 1u);
  EXPECT_THAT(reopened->load_warnings()[0], HasSubstr(CheckpointKey(kTenant, 10)));
}

TEST_F(CatalogTest, FailedCheckpointWriteDoesNotFailTheCommit) {
  base::FakeClock fault_clock;
  io::FaultInjectingObjectStore faulty(store_, fault_clock, random_);
  faulty.AddRule({.ops = io::kOpPut,
                  .key_prefix = "acme/_catalog/checkpoint/",
                  .error = absl::UnavailableError("injected 503")});
  CatalogOptions options = Options();
  options.checkpoint_interval = 2;
  auto catalog = OpenOn(&faulty, options);
  CS_ASSERT_OK(catalog->Commit({.add = {TestChunk(kTenant, "a")}}));
  EXPECT_THAT(catalog->Commit({.add = {TestChunk(kTenant, "b")}}), IsOkAndHolds(2u));
  EXPECT_EQ(catalog->stats().checkpoints_written, 0u);
  EXPECT_EQ(catalog->stats().checkpoint_failures, 1u);
  EXPECT_EQ(Open(options)->snapshot()->seq, 2u);
}

void ExpectCompleteLoad(const LoadResult& result, io::ObjectStore* store, int total) {
  ASSERT_TRUE(result.status.ok()) << result.status;
  std::vector<uint64_t> seqs = result.seqs;
  std::sort(seqs.begin(), seqs.end());
  std::vector<uint64_t> expected(total);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seqs, expected);  // 1..total, each exactly once
  CS_ASSERT_OK_AND_ASSIGN(auto reader, Catalog::Open(store, kTenant, {}));
  std::shared_ptr<const Snapshot> snap = reader->snapshot();
  EXPECT_EQ(snap->seq, static_cast<uint64_t>(total));
  EXPECT_EQ(snap->chunks.size(), static_cast<size_t>(total));
  for (const std::string& path : result.added_paths) {
    EXPECT_TRUE(snap->chunks.contains(path)) << path;
  }
  EXPECT_EQ(snap->watermarks.size(), 8u);
  for (const auto& [writer, wal_seq] : snap->watermarks) EXPECT_EQ(wal_seq, 25u) << writer;
  std::printf("commit load on %s: %zu commits in %.3f s = %.1f commits/s, %.2f conflicts/commit\n",
              store->Describe().c_str(), result.seqs.size(), result.seconds,
              result.commits_per_second(), result.conflicts_per_commit());
}

// Backoff short enough for a quick test, max_attempts high enough that no writer gives up.
CatalogOptions LoadOptions() {
  return {.writer_id = "load",
          .checkpoint_interval = 50,
          .max_attempts = 1000,
          .initial_backoff = absl::Microseconds(200),
          .max_backoff = absl::Milliseconds(20)};
}

TEST(CatalogConcurrencyTest, EightWritersOnMemoryStore) {
  io::InMemoryObjectStore store;
  LoadResult result = RunCommitLoad(&store, kTenant, 8, 25, LoadOptions());
  ExpectCompleteLoad(result, &store, 200);
  EXPECT_EQ(result.cas_attempts, 200 + result.cas_conflicts);
}

TEST(CatalogConcurrencyTest, EightWritersOnLocalStore) {
  const std::string root = ::testing::TempDir() + "/catalog-local-" +
                           std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                           std::to_string(getpid());
  std::filesystem::remove_all(root);
  {
    // Two store instances on one folder, as two processes would have, four writers each.
    CS_ASSERT_OK_AND_ASSIGN(auto store_a, io::LocalObjectStore::Open(root));
    CS_ASSERT_OK_AND_ASSIGN(auto store_b, io::LocalObjectStore::Open(root));
    LoadResult a, b;
    CatalogOptions options_a = LoadOptions(), options_b = LoadOptions();
    options_a.writer_id = "proc-a";
    options_b.writer_id = "proc-b";
    std::thread ta([&] { a = RunCommitLoad(store_a.get(), kTenant, 4, 25, options_a); });
    std::thread tb([&] { b = RunCommitLoad(store_b.get(), kTenant, 4, 25, options_b); });
    ta.join();
    tb.join();
    LoadResult all = a;
    all.status.Update(b.status);
    all.seqs.insert(all.seqs.end(), b.seqs.begin(), b.seqs.end());
    all.added_paths.insert(all.added_paths.end(), b.added_paths.begin(), b.added_paths.end());
    all.cas_conflicts += b.cas_conflicts;
    all.seconds = std::max(a.seconds, b.seconds);
    ExpectCompleteLoad(all, store_a.get(), 200);
  }
  std::filesystem::remove_all(root);
}

TEST(CatalogConcurrencyTest, OneWriterOnEachStore) {
  io::InMemoryObjectStore memory;
  LoadResult result = RunCommitLoad(&memory, kTenant, 1, 100, LoadOptions());
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.cas_conflicts, 0u);
  std::printf("commit load on memory, 1 writer: %.1f commits/s\n", result.commits_per_second());

  const std::string root = ::testing::TempDir() + "/catalog-one-" + std::to_string(getpid());
  std::filesystem::remove_all(root);
  CS_ASSERT_OK_AND_ASSIGN(auto local, io::LocalObjectStore::Open(root));
  result = RunCommitLoad(local.get(), kTenant, 1, 100, LoadOptions());
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.cas_conflicts, 0u);
  std::printf("commit load on local, 1 writer: %.1f commits/s\n", result.commits_per_second());
  std::filesystem::remove_all(root);
}

TEST(CatalogConcurrencyTest, ThreadsSharingOneInstanceDoNotConflict) {
  io::InMemoryObjectStore store;
  CS_ASSERT_OK_AND_ASSIGN(auto catalog, Catalog::Open(&store, kTenant, {.writer_id = "shared"}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(
            catalog->Commit({.add = {TestChunk(kTenant, absl::StrFormat("t%d-%d", t, i))}}).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(catalog->snapshot()->seq, 200u);
  EXPECT_EQ(catalog->snapshot()->chunks.size(), 200u);
  EXPECT_EQ(catalog->stats().cas_conflicts, 0u);
}

TEST_F(CatalogTest, ConflictingRemoveAborts) {
  auto compactor_a = Open(Options("compactor-a"));
  ChunkSummary input = TestChunk(kTenant, "input");
  CS_ASSERT_OK(compactor_a->Commit({.add = {input}}));
  auto compactor_b = Open(Options("compactor-b"));  // sees `input` live
  ASSERT_TRUE(compactor_b->snapshot()->chunks.contains(input.path));

  CS_ASSERT_OK(compactor_a->Commit({.add = {TestChunk(kTenant, "out-a")}, .remove = {input.path}}));
  // B builds on its stale state, loses seq 3, refreshes and finds its input gone.
  absl::StatusOr<uint64_t> lost =
      compactor_b->Commit({.add = {TestChunk(kTenant, "out-b")}, .remove = {input.path}});
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(lost.status().message()), HasSubstr(input.path));
  EXPECT_EQ(compactor_b->stats().cas_conflicts, 1u);
  EXPECT_EQ(compactor_b->snapshot()->seq, 2u);
  EXPECT_FALSE(compactor_b->snapshot()->chunks.contains(TestChunk(kTenant, "out-b").path));
  EXPECT_TRUE(clock_.sleeps().empty());  // aborted on re-validation, no backoff
}

TEST_F(CatalogTest, StateRulesAreFailedPrecondition) {
  auto catalog = Open(Options());
  ChunkSummary a = TestChunk(kTenant, "a");
  CS_ASSERT_OK(catalog->Commit({.add = {a}, .watermark = {{"ing", 10}}}));
  struct Case {
    std::string name;
    catalog::Commit commit;
    std::string message;
  };
  std::vector<Case> cases = {
      {"add live", {.add = {a}}, "already live"},
      {"remove missing", {.remove = {TestChunk(kTenant, "zz").path}}, "not live"},
      {"watermark back", {.watermark = {{"ing", 9}}}, "cannot go back"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint64_t> got = catalog->Commit(c.commit);
    EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition)) << c.name;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.message)) << c.name;
  }
  // A removed path can never come back.
  CS_ASSERT_OK(catalog->Commit({.remove = {a.path}}));
  EXPECT_THAT(catalog->Commit({.add = {a}}), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(catalog->snapshot()->seq, 2u);
}

TEST_F(CatalogTest, ValidateCallbackSeesTheStateAndCanAbort) {
  auto catalog = Open(Options());
  auto other = Open(Options("other"));
  CS_ASSERT_OK(other->Commit({.add = {TestChunk(kTenant, "lease-marker")}}));
  std::vector<uint64_t> seen;
  absl::StatusOr<uint64_t> got = catalog->Commit(
      {.add = {TestChunk(kTenant, "mine")}}, [&](const Snapshot& state) -> absl::Status {
        seen.push_back(state.seq);
        if (state.seq > 0) return absl::FailedPreconditionError("lease lost");
        return absl::OkStatus();
      });
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(seen, ElementsAre(0u, 1u));
}

TEST_F(CatalogTest, MalformedCommitsAreInvalidArgument) {
  auto catalog = Open(Options());
  auto with = [](auto mutate) {
    ChunkSummary s = TestChunk(kTenant, "s");
    mutate(s);
    return s;
  };
  struct Case {
    std::string name;
    catalog::Commit commit;
  };
  ChunkSummary good = TestChunk(kTenant, "good");
  std::vector<Case> cases = {
      {"empty", {}},
      {"other tenant", {.add = {with([](ChunkSummary& s) { s.path = "other/data/x.parquet"; })}}},
      {"not under data", {.add = {with([](ChunkSummary& s) { s.path = "acme/x.parquet"; })}}},
      {"data prefix only", {.add = {with([](ChunkSummary& s) { s.path = "acme/data/"; })}}},
      {"double slash", {.add = {with([](ChunkSummary& s) { s.path = "acme/data//x"; })}}},
      {"negative level", {.add = {with([](ChunkSummary& s) { s.level = -1; })}}},
      {"time", {.add = {with([](ChunkSummary& s) { s.max_time_ns = s.min_time_ns - 1; })}}},
      {"metric", {.add = {with([](ChunkSummary& s) { std::swap(s.min_metric, s.max_metric); })}}},
      {"label", {.add = {with([](ChunkSummary& s) {
                   s.labels["job"] = {"b", "a"};
                 })}}},
      {"empty label", {.add = {with([](ChunkSummary& s) {
                         s.labels[""] = {"a", "a"};
                       })}}},
      {"utf8", {.add = {with([](ChunkSummary& s) {
                  s.labels["job"] = {"\xff", "\xff"};
                })}}},
      {"dup add", {.add = {good, good}}},
      {"add and remove", {.add = {good}, .remove = {good.path}}},
      {"empty watermark writer", {.watermark = {{"", 1}}}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(catalog->Commit(c.commit), StatusIs(absl::StatusCode::kInvalidArgument)) << c.name;
  }
  EXPECT_EQ(catalog->stats().cas_attempts, 0u);
  EXPECT_EQ(store_.SizeForTest(), 0u);
}

TEST_F(CatalogTest, BadTenantsAndOptionsAreRejected) {
  for (std::string tenant :
       std::vector<std::string>{"", ".hidden", "_x", "a/b", "a b", "..", std::string(129, 'a')}) {
    EXPECT_THAT(Catalog::Open(&store_, tenant, {}), StatusIs(absl::StatusCode::kInvalidArgument))
        << tenant;
  }
  for (std::string tenant :
       std::vector<std::string>{"default", "team-1.prod", "A_b", std::string(128, 'a')}) {
    CS_EXPECT_OK(ValidateTenant(tenant)) << tenant;
  }
  EXPECT_THAT(Catalog::Open(&store_, "t", {.checkpoint_interval = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Catalog::Open(&store_, "t", {.max_attempts = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(auto reader, Catalog::Open(&store_, "t", {}));
  EXPECT_THAT(reader->Commit({.watermark = {{"x", 1}}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CatalogTest, BackoffIsFullJitterWithinTheCapAndGivesUp) {
  // Every log put "loses" (412 without anything landing), so each attempt conflicts.
  base::FakeClock fault_clock;
  io::FaultInjectingObjectStore faulty(store_, fault_clock, random_);
  faulty.AddRule({.ops = io::kOpPut,
                  .key_prefix = "acme/_catalog/log/",
                  .error = absl::FailedPreconditionError("injected 412")});
  CatalogOptions options = Options();
  options.max_attempts = 8;
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(100);
  auto catalog = OpenOn(&faulty, options);
  absl::StatusOr<uint64_t> got = catalog->Commit({.add = {TestChunk(kTenant, "a")}});
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("catalog commit gave up after 8 attempts"));

  std::vector<absl::Duration> sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 7u);  // none after the last attempt
  absl::Duration total;
  bool any_below_half_cap = false;
  for (size_t i = 0; i < sleeps.size(); ++i) {
    absl::Duration cap = std::min(absl::Milliseconds(100), absl::Milliseconds(10) * (1 << i));
    EXPECT_GE(sleeps[i], absl::ZeroDuration()) << i;
    EXPECT_LE(sleeps[i], cap) << i;
    any_below_half_cap |= sleeps[i] < cap / 2;
    total += sleeps[i];
  }
  EXPECT_TRUE(any_below_half_cap) << "jitter should not always sit at the cap";
  Catalog::Stats stats = catalog->stats();
  EXPECT_EQ(stats.backoff_total, total);
  EXPECT_EQ(stats.cas_attempts, 8u);
  EXPECT_EQ(stats.cas_conflicts, 8u);
  EXPECT_EQ(stats.retries, 7u);
  EXPECT_EQ(stats.commits, 0u);
}

TEST_F(CatalogTest, BackoffDependsOnTheSeed) {
  auto sleeps_for_seed = [&](uint64_t seed) {
    RecordingClock clock;
    base::SeededRandom random(seed);
    base::FakeClock fault_clock;
    io::InMemoryObjectStore store;
    io::FaultInjectingObjectStore faulty(store, fault_clock, random);
    faulty.AddRule({.ops = io::kOpPut, .error = absl::FailedPreconditionError("412")});
    auto catalog =
        Catalog::Open(&faulty, kTenant,
                      {.writer_id = "w", .max_attempts = 4, .clock = &clock, .random = &random});
    EXPECT_TRUE(catalog.ok());
    EXPECT_FALSE((*catalog)->Commit({.add = {TestChunk(kTenant, "a")}}).ok());
    return clock.sleeps();
  };
  EXPECT_EQ(sleeps_for_seed(1), sleeps_for_seed(1));
  EXPECT_NE(sleeps_for_seed(1), sleeps_for_seed(2));
}

TEST_F(CatalogTest, StoreErrorsSurface) {
  base::FakeClock fault_clock;
  io::FaultInjectingObjectStore faulty(store_, fault_clock, random_);
  auto catalog = OpenOn(&faulty, Options());
  ASSERT_NE(catalog, nullptr);

  // A put that fails without landing: the error comes back, nothing is committed.
  faulty.AddRule(
      {.ops = io::kOpPut, .error = absl::UnavailableError("injected 503"), .remaining = 1});
  EXPECT_THAT(catalog->Commit({.add = {TestChunk(kTenant, "a")}}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(catalog->snapshot()->seq, 0u);
  EXPECT_THAT(store_.Head(LogKey(kTenant, 1)), StatusIs(absl::StatusCode::kNotFound));

  // A put that lands but whose response is lost: reading it back proves the commit.
  faulty.AddRule({.ops = io::kOpPut,
                  .error = absl::DeadlineExceededError("injected timeout"),
                  .remaining = 1,
                  .apply_then_fail = true});
  EXPECT_THAT(catalog->Commit({.add = {TestChunk(kTenant, "a")}}), IsOkAndHolds(1u));
  EXPECT_EQ(catalog->snapshot()->seq, 1u);

  // A lost response whose read-back also fails: the put's error, not a guess.
  faulty.AddRule({.ops = io::kOpPut,
                  .error = absl::DeadlineExceededError("injected timeout"),
                  .remaining = 1,
                  .apply_then_fail = true});
  faulty.AddRule(
      {.ops = io::kOpGet, .error = absl::UnavailableError("injected 503"), .remaining = 1});
  EXPECT_THAT(catalog->Commit({.add = {TestChunk(kTenant, "b")}}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));

  // Reads: Refresh and Open report the store's error and keep the old state.
  faulty.AddRule(
      {.ops = io::kOpGet, .error = absl::UnavailableError("injected 503"), .remaining = 1});
  EXPECT_THAT(catalog->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(catalog->snapshot()->seq, 1u);
  faulty.AddRule(
      {.ops = io::kOpList, .error = absl::PermissionDeniedError("injected 403"), .remaining = 1});
  EXPECT_THAT(Catalog::Open(&faulty, kTenant, Options()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CS_ASSERT_OK(catalog->Refresh());
  EXPECT_EQ(catalog->snapshot()->seq, 2u);  // the landed-but-unconfirmed "b"
}

TEST_F(CatalogTest, ReportedLossOfAPutThatLandedIsSuccess) {
  base::FakeClock fault_clock;
  io::FaultInjectingObjectStore faulty(store_, fault_clock, random_);
  auto catalog = OpenOn(&faulty, Options());
  // The put lands, but the store answers 412, as a retried conditional put whose first try
  // landed would.
  faulty.AddRule({.ops = io::kOpPut,
                  .error = absl::FailedPreconditionError("injected 412"),
                  .remaining = 1,
                  .apply_then_fail = true});
  EXPECT_THAT(catalog->Commit({.add = {TestChunk(kTenant, "a")}}), IsOkAndHolds(1u));
  EXPECT_EQ(catalog->snapshot()->seq, 1u);
  Catalog::Stats stats = catalog->stats();
  EXPECT_EQ(stats.commits, 1u);
  EXPECT_EQ(stats.cas_conflicts, 0u);
  EXPECT_TRUE(clock_.sleeps().empty());
  EXPECT_THAT(catalog->Commit({.add = {TestChunk(kTenant, "b")}}), IsOkAndHolds(2u));
}

TEST_F(CatalogTest, CorruptLogEntriesAreDataLossNamingTheKey) {
  auto writer = Open(Options());
  CS_ASSERT_OK(writer->Commit({.add = {TestChunk(kTenant, "a")}}));
  const std::string key = LogKey(kTenant, 2);
  struct Case {
    std::string name;
    std::string body;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"truncated", R"({"version":1,"seq":2,"wri)", absl::StatusCode::kDataLoss, key},
      {"not an object", "[]", absl::StatusCode::kDataLoss, key},
      {"wrong seq", R"({"version":1,"seq":3,"writer":"w","committed_at_ns":1,"actions":[]})",
       absl::StatusCode::kDataLoss, "seq is 3"},
      {"unknown kind",
       R"({"version":1,"seq":2,"writer":"w","committed_at_ns":1,"actions":[{"frobnicate":{}}]})",
       absl::StatusCode::kDataLoss, "unknown action kind \"frobnicate\" in commit seq 2"},
      {"remove not live",
       R"({"version":1,"seq":2,"writer":"w","committed_at_ns":1,"actions":[{"remove":{"path":"acme/data/zz","removed_at_ns":1}}]})",
       absl::StatusCode::kDataLoss, "not live"},
      {"newer version", R"({"version":2,"seq":2})", absl::StatusCode::kFailedPrecondition,
       "version 2"},
  };
  for (const Case& c : cases) {
    CS_ASSERT_OK(store_.Put(key, c.body));
    absl::Status refreshed = writer->Refresh();
    EXPECT_THAT(refreshed, StatusIs(c.code)) << c.name;
    EXPECT_THAT(std::string(refreshed.message()), HasSubstr(c.message)) << c.name;
    EXPECT_THAT(std::string(refreshed.message()), HasSubstr(key)) << c.name;
    EXPECT_THAT(Catalog::Open(&store_, kTenant, Options()), StatusIs(c.code)) << c.name;
    EXPECT_EQ(writer->snapshot()->seq, 1u) << c.name;
  }
}

TEST_F(CatalogTest, RemovedChunksLeaveTheStateAfterTheRetention) {
  auto catalog = Open(Options());
  ChunkSummary a = TestChunk(kTenant, "a");
  CS_ASSERT_OK(catalog->Commit({.add = {a}}));
  CS_ASSERT_OK(catalog->Commit({.remove = {a.path}}));
  clock_.Advance(kRemovedRetention);
  CS_ASSERT_OK(catalog->Commit({.watermark = {{"w", 1}}}));
  EXPECT_EQ(catalog->snapshot()->removed.size(), 1u);  // exactly at the retention: kept
  clock_.Advance(absl::Nanoseconds(1));
  CS_ASSERT_OK(catalog->Commit({.watermark = {{"w", 2}}}));
  EXPECT_TRUE(catalog->snapshot()->removed.empty());
  EXPECT_EQ(*Open(Options())->snapshot(), *catalog->snapshot());
}

}  // namespace
}  // namespace cardinalsin::catalog
