#include "base/clock.h"

#include <chrono>

#include "absl/time/clock.h"

namespace cardinalsin::base {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  absl::Time MonotonicNow() const override {
    const auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
    return absl::UnixEpoch() + absl::FromChrono(since_boot);
  }
  void SleepFor(absl::Duration d) override { absl::SleepFor(d); }
};

}  // namespace

Clock& SystemClock() {
  static RealClock* clock = new RealClock();  // Never destroyed: usable during shutdown.
  return *clock;
}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

absl::Time FakeClock::MonotonicNow() const { return Now(); }

void FakeClock::SleepFor(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  if (d > absl::ZeroDuration()) {
    now_ += d;
    slept_ += d;
  }
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

absl::Duration FakeClock::total_slept() const {
  absl::MutexLock lock(&mu_);
  return slept_;
}

SeededRandom::SeededRandom(uint64_t seed)
    : engine_(seed != 0 ? seed
                        : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

uint64_t SeededRandom::Next() {
  absl::MutexLock lock(&mu_);
  return engine_();
}

}  // namespace cardinalsin::base
