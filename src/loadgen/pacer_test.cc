#include "loadgen/pacer.h"

#include "gtest/gtest.h"

namespace cardinalsin::loadgen {
namespace {

TEST(PacerTest, SpacesReservationsBySamplesOverRate) {
  base::FakeClock clock;
  const absl::Time t0 = clock.MonotonicNow();
  Pacer pacer(2000, clock);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(pacer.Reserve(100), t0 + absl::Milliseconds(50 * i));
  // Another sender reserving a different size continues the same schedule.
  EXPECT_EQ(pacer.Reserve(400), t0 + absl::Milliseconds(500));
  EXPECT_EQ(pacer.Reserve(100), t0 + absl::Milliseconds(700));
}

TEST(PacerTest, CatchUpAfterAStallIsBounded) {
  base::FakeClock clock;
  Pacer pacer(1000, clock, absl::Seconds(1));
  pacer.Reserve(100);
  clock.Advance(absl::Seconds(10));
  const absl::Time now = clock.MonotonicNow();
  // The schedule resumes at most one second behind: ten 100-sample batches are due at once.
  EXPECT_EQ(pacer.Reserve(100), now - absl::Seconds(1));
  EXPECT_EQ(pacer.Reserve(800), now - absl::Milliseconds(900));
  EXPECT_EQ(pacer.Reserve(100), now - absl::Milliseconds(100));
  EXPECT_EQ(pacer.Reserve(100), now);
  EXPECT_EQ(pacer.Reserve(100), now + absl::Milliseconds(100));
}

TEST(PacerTest, ZeroRateIsUnlimited) {
  base::FakeClock clock;
  Pacer pacer(0, clock);
  EXPECT_EQ(pacer.Reserve(1'000'000), clock.MonotonicNow());
  EXPECT_EQ(pacer.Reserve(1'000'000), clock.MonotonicNow());
}

}  // namespace
}  // namespace cardinalsin::loadgen
