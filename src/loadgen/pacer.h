// File: pacer.h
//
// Paces sender threads to a target sample rate. One Pacer is shared by all senders: each
// reserves the samples of its next request and waits until the returned time, so the whole
// process sends `rate` samples per second however many threads there are (a token bucket
// implemented as a virtual schedule: reservation k starts when reservations 0..k-1 have used
// up their share of time).
//
//   Pacer pacer(2000, clock);
//   absl::Time at = pacer.Reserve(100);  // first call: now; then every 50 ms of schedule
//   if (at >= deadline) break;
//   clock.SleepFor(at - clock.MonotonicNow());
//
// A sender that falls behind (slow responses) may catch up by sending early, but by at most
// `max_catch_up` of schedule, so a stall is not followed by an unbounded burst.
// A rate of 0 means unlimited: Reserve() returns the current time.
//
// Thread-safety: thread-safe. Ownership: does not own `clock`, which must outlive the pacer.
#pragma once

#include <cstdint>
#include <mutex>

#include "absl/time/time.h"
#include "base/clock.h"

namespace cardinalsin::loadgen {

class Pacer {
 public:
  // REQUIRES: samples_per_second >= 0.
  Pacer(double samples_per_second, base::Clock& clock,
        absl::Duration max_catch_up = absl::Seconds(1));

  // Reserves `samples` and returns the monotonic time (clock.MonotonicNow() scale) at which
  // they may be sent.
  absl::Time Reserve(uint64_t samples);

 private:
  const double samples_per_second_;
  base::Clock& clock_;
  const absl::Duration max_catch_up_;
  std::mutex mu_;  // std::mutex: ThreadSanitizer cannot see Debian Abseil's absl::Mutex
  absl::Time next_ = absl::InfinitePast();  // guarded by mu_
};

}  // namespace cardinalsin::loadgen
