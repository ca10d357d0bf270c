#include "promscan/prom_storage.h"

#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/in_memory_object_store.h"
#include "scan/testing/chunk_writer.h"

namespace cardinalsin::promscan {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using promql::FPoint;
using promql::LabelMatcher;
using promql::Labels;
using promql::MatchType;
using scan::testing::TestRow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBaseMs = 1'700'000'000'000;
constexpr int64_t kBase = kBaseMs * kMs;

class FakeUnflushed final : public scan::UnflushedSource {
 public:
  absl::StatusOr<scan::UnflushedResult> Fetch(const scan::UnflushedQuery&) override {
    std::lock_guard lock(mu);
    return result;
  }
  scan::UnflushedResult result;
  std::mutex mu;
};

LabelMatcher Eq(std::string name, std::string value) {
  return {MatchType::kEqual, std::move(name), std::move(value)};
}
LabelMatcher Ne(std::string name, std::string value) {
  return {MatchType::kNotEqual, std::move(name), std::move(value)};
}
LabelMatcher Re(std::string name, std::string value) {
  return {MatchType::kRegexMatch, std::move(name), std::move(value)};
}
LabelMatcher Nre(std::string name, std::string value) {
  return {MatchType::kRegexNoMatch, std::move(name), std::move(value)};
}

class PromStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CS_ASSERT_OK_AND_ASSIGN(writer_, catalog::Catalog::Open(&store_, "t", {.writer_id = "w"}));
    // Chunk c1: http_requests_total for jobs api (instances a, b) and db (c), one sample a
    // second for 10 s; node_temp with only a `zone` label.
    std::vector<TestRow> rows;
    for (int s = 0; s < 10; ++s) {
      const int64_t t = kBase + s * 1000 * kMs;
      rows.push_back({"http_requests_total", {{"job", "api"}, {"instance", "a"}}, t, 1.0 * s});
      rows.push_back({"http_requests_total", {{"job", "api"}, {"instance", "b"}}, t, 10.0 * s});
      rows.push_back({"http_requests_total", {{"job", "db"}, {"instance", "c"}}, t, 100.0 * s});
    }
    rows.push_back({"node_temp", {{"zone", "eu"}}, kBase, 21.5});
    CS_ASSERT_OK(
        scan::testing::CommitChunk(store_, *writer_, "c1", scan::testing::MetricsRows(rows))
            .status());
    // Still in an ingester: two more seconds of job=db, a NaN, and a new series.
    std::vector<TestRow> buffered = {
        {"http_requests_total", {{"job", "db"}, {"instance", "c"}}, kBase + 10'000 * kMs, 1000},
        {"http_requests_total", {{"job", "db"}, {"instance", "c"}}, kBase + 11'000 * kMs, NAN},
        {"up", {{"job", "cache"}}, kBase + 5'000 * kMs, 1},
    };
    unflushed_.result.sources.push_back(
        {"ing-1", writer_->snapshot()->seq, {scan::testing::MetricsRows(buffered)}});
    CS_ASSERT_OK_AND_ASSIGN(scanner_, scan::Scanner::Create(&store_, {.unflushed = &unflushed_}));
  }

  PromStorage Storage(PromStorageOptions options = {}) {
    options.clock = &clock_;
    return PromStorage(scanner_.get(), options);
  }

  absl::StatusOr<promql::Matrix> Select(const PromStorage& storage,
                                        std::vector<LabelMatcher> matchers,
                                        int64_t start_ms = kBaseMs - 1,
                                        int64_t end_ms = kBaseMs + 60'000) {
    std::unique_ptr<promql::Querier> querier =
        storage.NewQuerier("t", clock_.Now() + absl::Minutes(1));
    promql::SelectHints hints{.start_ms = start_ms, .end_ms = end_ms};
    absl::StatusOr<promql::Matrix> matrix = querier->Select(hints, matchers);
    if (matrix.ok()) {
      std::sort(matrix->begin(), matrix->end(),
                [](const promql::Series& a, const promql::Series& b) {
                  return promql::LabelsLess(a.labels, b.labels);
                });
    }
    return matrix;
  }

  static std::vector<Labels> LabelsOf(const promql::Matrix& matrix) {
    std::vector<Labels> out;
    for (const promql::Series& s : matrix) out.push_back(s.labels);
    return out;
  }

  Lookup MakeLookup(std::vector<std::vector<LabelMatcher>> selectors = {}) {
    Lookup lookup;
    lookup.tenant = "t";
    lookup.selectors = std::move(selectors);
    lookup.start_ms = kBaseMs - 3'600'000;
    lookup.end_ms = kBaseMs + 3'600'000;
    lookup.deadline = clock_.Now() + absl::Minutes(1);
    return lookup;
  }

  base::FakeClock clock_{absl::FromUnixMillis(kBaseMs)};
  io::InMemoryObjectStore store_;
  std::unique_ptr<catalog::Catalog> writer_;
  FakeUnflushed unflushed_;
  std::unique_ptr<scan::Scanner> scanner_;
};

const Labels kApiA = {{"__name__", "http_requests_total"}, {"instance", "a"}, {"job", "api"}};
const Labels kApiB = {{"__name__", "http_requests_total"}, {"instance", "b"}, {"job", "api"}};
const Labels kDbC = {{"__name__", "http_requests_total"}, {"instance", "c"}, {"job", "db"}};
const Labels kTemp = {{"__name__", "node_temp"}, {"zone", "eu"}};
const Labels kUp = {{"__name__", "up"}, {"job", "cache"}};

TEST_F(PromStorageTest, SelectGroupsRowsIntoSortedSeries) {
  PromStorage storage = Storage();
  CS_ASSERT_OK_AND_ASSIGN(promql::Matrix matrix,
                          Select(storage, {Eq("__name__", "http_requests_total")}));
  ASSERT_THAT(LabelsOf(matrix), ElementsAre(kApiA, kApiB, kDbC));
  ASSERT_EQ(matrix[0].points.size(), 10u);
  for (int s = 0; s < 10; ++s) {
    EXPECT_EQ(matrix[0].points[s], (FPoint{kBaseMs + s * 1000, 1.0 * s}));
  }
  // Chunk and ingester rows merge into one series; the NaN comes through.
  ASSERT_EQ(matrix[2].points.size(), 12u);
  EXPECT_EQ(matrix[2].points[10], (FPoint{kBaseMs + 10'000, 1000}));
  EXPECT_EQ(matrix[2].points[11].t, kBaseMs + 11'000);
  EXPECT_TRUE(std::isnan(matrix[2].points[11].v));
}

TEST_F(PromStorageTest, IngesterFailuresBecomeQuerierWarnings) {
  PromStorage storage = Storage();
  unflushed_.result.failures = {"ingester ing-2 (http://x): connection refused"};
  std::unique_ptr<promql::Querier> querier =
      storage.NewQuerier("t", clock_.Now() + absl::Minutes(1));
  EXPECT_TRUE(querier->Warnings().empty());
  const std::vector<LabelMatcher> matchers = {Eq("__name__", "http_requests_total")};
  for (int i = 0; i < 2; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(
        promql::Matrix matrix,
        querier->Select({.start_ms = 0, .end_ms = kBaseMs + 3'600'000}, matchers));
    EXPECT_EQ(matrix.size(), 3u);
  }
  EXPECT_THAT(querier->Warnings(), ElementsAre(HasSubstr("ing-2")));  // once for both selects
}

TEST_F(PromStorageTest, SelectMatchers) {
  PromStorage storage = Storage();
  struct Case {
    std::vector<LabelMatcher> matchers;
    std::vector<Labels> want;
  };
  const std::vector<Case> cases = {
      {{Eq("job", "api")}, {kApiA, kApiB}},
      {{Eq("__name__", "http_requests_total"), Ne("job", "api")}, {kDbC}},
      {{Re("job", "a.*|cache")}, {kApiA, kApiB, kUp}},
      {{Re("job", "ap")}, {}},        // anchored
      {{Nre("job", ".+")}, {kTemp}},  // no job: sees ""
      {{Re("job", ".*"), Re("zone", ".*"), Eq("__name__", "node_temp")},
       {kTemp}},  // all, absent too
      {{Eq("job", ""), Re("__name__", ".+")}, {kTemp}},
      {{Re("__name__", "node_.*|up")}, {kTemp, kUp}},
      {{Re("__name__", ".+"), Ne("__name__", "http_requests_total")}, {kTemp, kUp}},
      {{Nre("__name__", "http.*|node.*")}, {kUp}},
      {{Eq("__name__", "up"), Eq("__name__", "node_temp")}, {}},
      {{Eq("value", "")}, {kApiA, kApiB, kDbC, kTemp, kUp}},  // a fixed column is no label
      {{Eq("value", "1")}, {}},
      {{Eq("nosuchlabel", "x")}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.want.size()) + " series");
    CS_ASSERT_OK_AND_ASSIGN(promql::Matrix matrix, Select(storage, c.matchers));
    EXPECT_EQ(LabelsOf(matrix), c.want);
  }
}

TEST_F(PromStorageTest, SelectTimeRangeIsInclusiveInMilliseconds) {
  PromStorage storage = Storage();
  CS_ASSERT_OK_AND_ASSIGN(promql::Matrix matrix,
                          Select(storage, {Eq("instance", "a")}, kBaseMs + 2'000, kBaseMs + 4'000));
  ASSERT_EQ(matrix.size(), 1u);
  EXPECT_THAT(matrix[0].points, ElementsAre(FPoint{kBaseMs + 2'000, 2}, FPoint{kBaseMs + 3'000, 3},
                                            FPoint{kBaseMs + 4'000, 4}));
  CS_ASSERT_OK_AND_ASSIGN(matrix, Select(storage, {Eq("instance", "a")}, kBaseMs + 5, kBaseMs + 5));
  EXPECT_THAT(matrix, IsEmpty());
  CS_ASSERT_OK_AND_ASSIGN(matrix, Select(storage, {Eq("instance", "a")}, 10, 5));
  EXPECT_THAT(matrix, IsEmpty());
}

TEST_F(PromStorageTest, SubMillisecondSamplesKeepTheLast) {
  std::vector<TestRow> rows = {{"sub", {{"k", "v"}}, kBase + 100, 1},
                               {"sub", {{"k", "v"}}, kBase + 900'000, 2},
                               {"sub", {{"k", "v"}}, kBase + kMs, 3},
                               {"sub", {{"k", "v"}}, kBase - 1, 0}};
  CS_ASSERT_OK(scan::testing::CommitChunk(store_, *writer_, "sub", scan::testing::MetricsRows(rows))
                   .status());
  PromStorage storage = Storage();
  CS_ASSERT_OK_AND_ASSIGN(promql::Matrix matrix,
                          Select(storage, {Eq("__name__", "sub")}, kBaseMs - 1, kBaseMs + 1));
  ASSERT_EQ(matrix.size(), 1u);
  EXPECT_THAT(matrix[0].points,
              ElementsAre(FPoint{kBaseMs - 1, 0}, FPoint{kBaseMs, 2}, FPoint{kBaseMs + 1, 3}));
}

TEST_F(PromStorageTest, SelectLimitsAndDeadline) {
  PromStorage limited = Storage({.max_samples = 25});
  EXPECT_THAT(Select(limited, {Eq("job", "api")}).status(), StatusIs(absl::StatusCode::kOk));
  // 20 + 12 samples over two selects of one query.
  std::unique_ptr<promql::Querier> querier =
      limited.NewQuerier("t", clock_.Now() + absl::Minutes(1));
  promql::SelectHints hints{.start_ms = kBaseMs - 1, .end_ms = kBaseMs + 60'000};
  std::vector<LabelMatcher> api = {Eq("job", "api")};
  std::vector<LabelMatcher> db = {Eq("job", "db")};
  CS_ASSERT_OK(querier->Select(hints, api).status());
  EXPECT_THAT(querier->Select(hints, db).status(), StatusIs(absl::StatusCode::kResourceExhausted));

  PromStorage storage = Storage();
  std::unique_ptr<promql::Querier> late = storage.NewQuerier("t", clock_.Now());
  EXPECT_THAT(late->Select(hints, api).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(PromStorageTest, SelectRejectsBadRegex) {
  PromStorage storage = Storage();
  EXPECT_THAT(Select(storage, {Re("__name__", "a"), Nre("__name__", "(")}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PromStorageTest, SeriesLookup) {
  PromStorage storage = Storage();
  CS_ASSERT_OK_AND_ASSIGN(
      LookupAnswer<Labels> answer,
      storage.Series(MakeLookup({{Eq("job", "api")}, {Eq("__name__", "up")}, {Eq("job", "api")}})));
  std::sort(answer.items.begin(), answer.items.end(), promql::LabelsLess);
  EXPECT_THAT(answer.items, ElementsAre(kApiA, kApiB, kUp));

  Lookup limited = MakeLookup({{Re("__name__", ".+")}});
  limited.limit = 2;
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.Series(limited));
  EXPECT_EQ(answer.items.size(), 2u);

  Lookup outside = MakeLookup({{Re("__name__", ".+")}});
  outside.start_ms = kBaseMs + 10'500;
  outside.end_ms = kBaseMs + 20'000;
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.Series(outside));
  EXPECT_THAT(answer.items, ElementsAre(kDbC));

  EXPECT_THAT(storage.Series(MakeLookup()).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  Lookup late = MakeLookup({{Eq("job", "api")}});
  late.deadline = clock_.Now();
  EXPECT_THAT(storage.Series(late).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  PromStorage capped = Storage({.max_lookup_rows = 5});
  EXPECT_THAT(capped.Series(MakeLookup({{Re("__name__", ".+")}})).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(PromStorageTest, LabelNames) {
  PromStorage storage = Storage();
  CS_ASSERT_OK_AND_ASSIGN(LookupAnswer<std::string> answer, storage.LabelNames(MakeLookup()));
  EXPECT_THAT(answer.items, ElementsAre("__name__", "instance", "job", "zone"));
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelNames(MakeLookup({{Eq("__name__", "up")}})));
  EXPECT_THAT(answer.items, ElementsAre("__name__", "job"));
  CS_ASSERT_OK_AND_ASSIGN(
      answer, storage.LabelNames(MakeLookup({{Eq("zone", "eu")}, {Eq("__name__", "up")}})));
  EXPECT_THAT(answer.items, ElementsAre("__name__", "job", "zone"));
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelNames(MakeLookup({{Eq("job", "nope")}})));
  EXPECT_THAT(answer.items, IsEmpty());
  CS_ASSERT_OK_AND_ASSIGN(
      answer, storage.LabelNames(MakeLookup({{Re("job", ".+"), Ne("__name__", "up")}})));
  EXPECT_THAT(answer.items, ElementsAre("__name__", "instance", "job"));
  Lookup limited = MakeLookup();
  limited.limit = 2;
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelNames(limited));
  EXPECT_THAT(answer.items, ElementsAre("__name__", "instance"));
}

TEST_F(PromStorageTest, LabelNamesOfAnEmptyTenant) {
  PromStorage storage = Storage();
  unflushed_.result.sources.clear();
  Lookup lookup = MakeLookup();
  lookup.tenant = "empty";
  CS_ASSERT_OK_AND_ASSIGN(LookupAnswer<std::string> answer, storage.LabelNames(lookup));
  EXPECT_THAT(answer.items, IsEmpty());
}

TEST_F(PromStorageTest, LabelValues) {
  PromStorage storage = Storage();
  CS_ASSERT_OK_AND_ASSIGN(LookupAnswer<std::string> answer,
                          storage.LabelValues(MakeLookup(), "job"));
  EXPECT_THAT(answer.items, ElementsAre("api", "cache", "db"));
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelValues(MakeLookup(), "__name__"));
  EXPECT_THAT(answer.items, ElementsAre("http_requests_total", "node_temp", "up"));
  CS_ASSERT_OK_AND_ASSIGN(
      answer, storage.LabelValues(MakeLookup({{Eq("__name__", "http_requests_total")}}), "job"));
  EXPECT_THAT(answer.items, ElementsAre("api", "db"));
  CS_ASSERT_OK_AND_ASSIGN(
      answer, storage.LabelValues(MakeLookup({{Re("job", ".+"), Ne("__name__", "up")}}), "job"));
  EXPECT_THAT(answer.items, ElementsAre("api", "db"));
  CS_ASSERT_OK_AND_ASSIGN(answer,
                          storage.LabelValues(MakeLookup({{Eq("job", "api")}}), "instance"));
  EXPECT_THAT(answer.items, ElementsAre("a", "b"));
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelValues(MakeLookup({{Eq("job", "db")}}), "__name__"));
  EXPECT_THAT(answer.items, ElementsAre("http_requests_total"));
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelValues(MakeLookup(), "value"));
  EXPECT_THAT(answer.items, IsEmpty());
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelValues(MakeLookup(), "nosuchlabel"));
  EXPECT_THAT(answer.items, IsEmpty());
  Lookup limited = MakeLookup();
  limited.limit = 1;
  CS_ASSERT_OK_AND_ASSIGN(answer, storage.LabelValues(limited, "job"));
  EXPECT_EQ(answer.items.size(), 1u);
  Lookup late = MakeLookup();
  late.deadline = clock_.Now();
  EXPECT_THAT(storage.LabelValues(late, "job").status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

}  // namespace
}  // namespace cardinalsin::promscan
