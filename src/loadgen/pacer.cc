#include "loadgen/pacer.h"

#include <algorithm>

namespace cardinalsin::loadgen {

Pacer::Pacer(double samples_per_second, base::Clock& clock, absl::Duration max_catch_up)
    : samples_per_second_(samples_per_second), clock_(clock), max_catch_up_(max_catch_up) {}

absl::Time Pacer::Reserve(uint64_t samples) {
  const absl::Time now = clock_.MonotonicNow();
  if (samples_per_second_ <= 0) return now;
  std::lock_guard lock(mu_);
  // The first reservation starts the schedule now; later ones follow it, catching up by at most
  // max_catch_up_ when the senders have fallen behind.
  const absl::Time at = next_ == absl::InfinitePast() ? now : std::max(next_, now - max_catch_up_);
  next_ = at + absl::Seconds(static_cast<double>(samples) / samples_per_second_);
  return at;
}

}  // namespace cardinalsin::loadgen
