#include "io/fault_injecting_object_store.h"

#include "base/testing/status_matchers.h"
#include "io/in_memory_object_store.h"
#include "io/object_store_conformance.h"

namespace cardinalsin::io {
namespace {

using testing::ObjectStoreConformanceTest;

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;

// With no rules the wrapper is transparent: it must pass the whole contract.
INSTANTIATE_TEST_SUITE_P(FaultInjectingWithoutRules, ObjectStoreConformanceTest,
                         ::testing::Values(testing::ObjectStoreFactory{
                             "fault_injecting",
                             []() -> absl::StatusOr<std::unique_ptr<ObjectStore>> {
                               static InMemoryObjectStore* inner = new InMemoryObjectStore();
                               static base::SeededRandom* random = new base::SeededRandom(1);
                               return std::unique_ptr<ObjectStore>(new FaultInjectingObjectStore(
                                   *inner, base::SystemClock(), *random));
                             }}),
                         [](const auto& info) { return info.param.name; });

class FaultInjectingObjectStoreTest : public ::testing::Test {
 protected:
  base::FakeClock clock_;
  base::SeededRandom random_{7};
  InMemoryObjectStore inner_{clock_};
  FaultInjectingObjectStore store_{inner_, clock_, random_};
};

TEST_F(FaultInjectingObjectStoreTest, FailsTheNextNMatchingCalls) {
  store_.AddRule({.ops = kOpPut,
                  .key_prefix = "cat/",
                  .error = absl::UnavailableError("injected 503"),
                  .remaining = 2});
  EXPECT_THAT(store_.Put("cat/1", "x"), StatusIs(absl::StatusCode::kUnavailable));
  CS_EXPECT_OK(store_.Put("data/1", "x"));  // Other prefixes are untouched.
  EXPECT_THAT(store_.Put("cat/1", "x"), StatusIs(absl::StatusCode::kUnavailable));
  CS_EXPECT_OK(store_.Put("cat/1", "x"));
  EXPECT_EQ(store_.injected_count(), 2);
  EXPECT_EQ(inner_.SizeForTest(), 2u);
}

TEST_F(FaultInjectingObjectStoreTest, ApplyThenFailLandsTheWrite) {
  store_.AddRule({.ops = kOpPut,
                  .error = absl::DeadlineExceededError("injected timeout"),
                  .remaining = 1,
                  .apply_then_fail = true});
  EXPECT_THAT(store_.Put("k", "v", {.mode = PutMode::kCreateIfAbsent}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(inner_.Get("k"), IsOkAndHolds("v"));
  // A retry of the create now loses to the write that landed: callers must handle this.
  EXPECT_THAT(store_.Put("k", "v", {.mode = PutMode::kCreateIfAbsent}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(FaultInjectingObjectStoreTest, LatencyIsSleptOnTheInjectedClock) {
  store_.AddRule({.ops = kOpGet, .latency = absl::Seconds(3)});
  CS_ASSERT_OK(store_.Put("k", "v"));
  EXPECT_THAT(store_.Get("k"), IsOkAndHolds("v"));
  EXPECT_THAT(store_.Get("k"), IsOkAndHolds("v"));
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(6));
}

TEST_F(FaultInjectingObjectStoreTest, TruncatedReadsAndProbability) {
  CS_ASSERT_OK(store_.Put("k", "0123456789"));
  store_.AddRule({.ops = kOpGet, .remaining = 1, .truncate_read = true});
  EXPECT_THAT(store_.Get("k"), IsOkAndHolds("01234"));
  store_.ClearRules();
  store_.AddRule({.ops = kOpHead, .error = absl::UnavailableError("flaky"), .probability = 0.3});
  int failures = 0;
  for (int i = 0; i < 1000; ++i) failures += store_.Head("k").ok() ? 0 : 1;
  EXPECT_GT(failures, 200);
  EXPECT_LT(failures, 400);
}

TEST_F(FaultInjectingObjectStoreTest, MultipartFailuresAbortCleanly) {
  store_.AddRule(
      {.ops = kOpMultipart, .error = absl::UnavailableError("part lost"), .remaining = 1});
  // The first multipart call (starting the upload) fails; nothing may become visible.
  EXPECT_THAT(PutLarge(store_, "big", std::string(11 << 20, 'x'), 8 << 20, 5 << 20),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(inner_.Head("big"), StatusIs(absl::StatusCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta,
                          PutLarge(store_, "big", std::string(11 << 20, 'x'), 8 << 20, 5 << 20));
  EXPECT_EQ(meta.size, 11u << 20);
}

}  // namespace
}  // namespace cardinalsin::io
