#include "base/duration.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_format.h"

namespace cardinalsin::base {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t millis;
};

// Longest suffixes first so that "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ms", 1},
                           {"s", 1000},
                           {"m", 60 * 1000},
                           {"h", 3600 * 1000},
                           {"d", 24 * 3600 * 1000},
                           {"w", 7 * 24 * 3600 * 1000},
                           {"y", 365LL * 24 * 3600 * 1000}};

}  // namespace

absl::StatusOr<absl::Duration> ParseHumanDuration(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid duration '%s': use <number><unit> terms with units ms, s, m, h, d, w, y", text));
  };
  if (text == "0") return absl::ZeroDuration();
  if (text.empty()) return bad();
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t value = 0;
    const size_t digits_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) return bad();
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) return bad();
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.suffix.size()) == u.suffix) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return bad();
    i += unit->suffix.size();
    if (value > (std::numeric_limits<int64_t>::max() - total_ms) / unit->millis) return bad();
    total_ms += value * unit->millis;
  }
  return absl::Milliseconds(total_ms);
}

std::string FormatHumanDuration(absl::Duration d) {
  int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static constexpr Unit kFormatUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                                          {"w", 7 * 24 * 3600 * 1000},
                                          {"d", 24 * 3600 * 1000},
                                          {"h", 3600 * 1000},
                                          {"m", 60 * 1000},
                                          {"s", 1000},
                                          {"ms", 1}};
  for (const Unit& u : kFormatUnits) {
    if (ms >= u.millis) {
      absl::StrAppendFormat(&out, "%d%s", ms / u.millis, u.suffix);
      ms %= u.millis;
    }
  }
  return out;
}

}  // namespace cardinalsin::base
