#include "base/thread_pool.h"

#include <atomic>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::base {
namespace {

TEST(ThreadPoolTest, ParallelForRunsEveryIndexOnceWithAndWithoutPool) {
  ThreadPool pool(2);
  for (ThreadPool* p : {&pool, static_cast<ThreadPool*>(nullptr)}) {
    for (size_t n : {0u, 1u, 2u, 17u, 1000u}) {
      std::vector<std::atomic<int>> runs(n);
      ASSERT_TRUE(ParallelFor(p, n, [&](size_t i) {
                    runs[i].fetch_add(1);
                    return absl::OkStatus();
                  }).ok());
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPoolTest, ParallelForReturnsTheFirstErrorByIndex) {
  ThreadPool pool(2);
  absl::Status status = ParallelFor(&pool, 10, [](size_t i) {
    if (i == 7) return absl::InternalError("seven");
    if (i == 3) return absl::InvalidArgumentError("three");
    return absl::OkStatus();
  });
  EXPECT_EQ(status, absl::InvalidArgumentError("three"));
}

TEST(ThreadPoolTest, NestedParallelForOnAOneThreadPoolDoesNotDeadlock) {
  ThreadPool pool(1);
  std::atomic<int> leaves{0};
  ASSERT_TRUE(ParallelFor(&pool, 4, [&](size_t) {
                return ParallelFor(&pool, 4, [&](size_t) {
                  leaves.fetch_add(1);
                  return absl::OkStatus();
                });
              }).ok());
  EXPECT_EQ(leaves.load(), 16);
}

TEST(ThreadPoolTest, DestructorRunsEveryScheduledTask) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Schedule([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace cardinalsin::base
