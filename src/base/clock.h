// File: clock.h
//
// Injectable time (STYLE.md section 7). Production code takes a `Clock&` and never reads the
// system clock directly, so tests can drive time with FakeClock instead of sleeping.
//
//   base::Clock& clock = base::SystemClock();
//   absl::Time deadline = clock.Now() + absl::Seconds(5);
//   clock.SleepFor(absl::Milliseconds(10));
//
// Thread-safety: every method of every implementation is safe to call concurrently.
#pragma once

#include <cstdint>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cardinalsin::base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (may jump).
  virtual absl::Time Now() const = 0;
  // Monotonic time for measuring intervals; only differences are meaningful.
  virtual absl::Time MonotonicNow() const = 0;
  // Blocks the calling thread for `d` of this clock's time.
  virtual void SleepFor(absl::Duration d) = 0;
};

// The process-wide real clock. The returned reference is valid for the life of the process.
Clock& SystemClock();

// A manually driven clock for tests. SleepFor() advances time instead of blocking, so code that
// backs off or polls runs instantly and deterministically.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  absl::Time Now() const override;
  absl::Time MonotonicNow() const override;
  void SleepFor(absl::Duration d) override;
  void Advance(absl::Duration d);
  // Total time slept through SleepFor(), for asserting on backoff behaviour.
  absl::Duration total_slept() const;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration slept_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

// Injectable randomness (jitter, ids). Thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
};

// A seeded, mutex-protected 64-bit Mersenne Twister. Seed 0 means "from std::random_device".
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed = 0);
  uint64_t Next() override;

 private:
  absl::Mutex mu_;
  std::mt19937_64 engine_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cardinalsin::base
