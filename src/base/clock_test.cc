#include "base/clock.h"

#include <set>

#include "gtest/gtest.h"

namespace cardinalsin::base {
namespace {

TEST(FakeClockTest, SleepAdvancesTimeWithoutBlocking) {
  FakeClock clock(absl::FromUnixSeconds(100));
  clock.SleepFor(absl::Hours(1));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(3700));
  EXPECT_EQ(clock.total_slept(), absl::Hours(1));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(3705));
  EXPECT_EQ(clock.total_slept(), absl::Hours(1));
}

TEST(SystemClockTest, MonotonicNeverGoesBackwards) {
  Clock& clock = SystemClock();
  absl::Time previous = clock.MonotonicNow();
  for (int i = 0; i < 1000; ++i) {
    absl::Time now = clock.MonotonicNow();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(SeededRandomTest, SameSeedSameSequenceAndUnitInterval) {
  SeededRandom a(42), b(42);
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    seen.insert(x);
    double d = a.NextDouble();
    b.NextDouble();
    EXPECT_GE(d, 0.0);
    EXPECT_LT(d, 1.0);
  }
  EXPECT_GT(seen.size(), 95u);
}

}  // namespace
}  // namespace cardinalsin::base
