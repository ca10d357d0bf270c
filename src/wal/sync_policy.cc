#include "wal/sync_policy.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "base/strings.h"

namespace cardinalsin::wal {
namespace {

constexpr std::string_view kIntervalPrefix = "interval_";

// Parses an unsigned decimal the way the original's Rust `u64::from_str` did (an optional leading
// '+', then one or more ASCII digits), with its error texts, which the contract keeps.
absl::StatusOr<uint64_t> ParseU64(std::string_view digits) {
  if (digits.empty()) {
    return absl::InvalidArgumentError("invalid interval: cannot parse integer from empty string");
  }
  if (digits.front() == '+') {
    digits.remove_prefix(1);
    if (digits.empty()) {
      return absl::InvalidArgumentError("invalid interval: invalid digit found in string");
    }
  }
  // Digits are checked one at a time and overflow is reported at the digit that causes it, so
  // "99999999999999999999x" is an overflow and "12x" an invalid digit, as in the original.
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError("invalid interval: invalid digit found in string");
    }
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return absl::InvalidArgumentError("invalid interval: number too large to fit in target type");
    }
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

absl::StatusOr<SyncPolicy> ParseSyncPolicy(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(base::AsAbsl(text));
  if (lower == "every_write") return SyncPolicy{.mode = SyncMode::kEveryWrite};
  if (lower == "on_rotation") return SyncPolicy{.mode = SyncMode::kOnRotation};
  if (lower == "none") return SyncPolicy{.mode = SyncMode::kNone};
  const std::string_view view(lower);
  if (view.substr(0, kIntervalPrefix.size()) != kIntervalPrefix) {
    return absl::InvalidArgumentError(
        base::StrCat("unknown WAL sync mode: '", lower,
                     "'. Use: every_write, interval_100ms, on_rotation, none"));
  }
  std::string_view suffix = view.substr(kIntervalPrefix.size());
  uint64_t millis = 0;
  if (suffix.size() >= 2 && suffix.substr(suffix.size() - 2) == "ms") {
    suffix.remove_suffix(2);
    auto parsed = ParseU64(suffix);
    if (!parsed.ok()) return parsed.status();
    millis = *parsed;
  } else if (!suffix.empty() && suffix.back() == 's') {
    suffix.remove_suffix(1);
    auto parsed = ParseU64(suffix);
    if (!parsed.ok()) return parsed.status();
    if (*parsed > std::numeric_limits<uint64_t>::max() / 1000) {
      return absl::InvalidArgumentError("invalid interval: number too large to fit in target type");
    }
    millis = *parsed * 1000;
  } else {
    return absl::InvalidArgumentError(
        base::StrCat("invalid sync mode: ", lower, " (use e.g. interval_100ms)"));
  }
  if (millis > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError("invalid interval: number too large to fit in target type");
  }
  if (millis == 0) return SyncPolicy{.mode = SyncMode::kEveryWrite};
  return SyncPolicy{.mode = SyncMode::kInterval,
                    .interval = absl::Milliseconds(static_cast<int64_t>(millis))};
}

std::string FormatSyncPolicy(const SyncPolicy& policy) {
  switch (policy.mode) {
    case SyncMode::kEveryWrite:
      return "every_write";
    case SyncMode::kOnRotation:
      return "on_rotation";
    case SyncMode::kNone:
      return "none";
    case SyncMode::kInterval:
      break;
  }
  const int64_t millis = absl::ToInt64Milliseconds(policy.interval);
  if (millis > 0 && millis % 1000 == 0) return base::StrCat("interval_", millis / 1000, "s");
  return base::StrCat("interval_", millis, "ms");
}

}  // namespace cardinalsin::wal
