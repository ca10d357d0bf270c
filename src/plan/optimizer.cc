#include "plan/optimizer.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/strings.h"
#include "exec/functions.h"
#include "re2/re2.h"

namespace cardinalsin::plan {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSecond;

int64_t SaturatingAdd(int64_t a, int64_t b) {
  __int128 r = static_cast<__int128>(a) + b;
  if (r > INT64_MAX) return INT64_MAX;
  if (r < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(r);
}

// The longest bucket of a date_trunc unit, in nanoseconds (months and years vary: take the
// longest so the derived bound stays a superset).
std::optional<int64_t> MaxUnitLength(std::string_view unit) {
  struct Unit {
    std::string_view name;
    int64_t ns;
  };
  static constexpr Unit kUnits[] = {
      {"microsecond", 1'000},   {"millisecond", 1'000'000}, {"second", kSecond},
      {"minute", 60 * kSecond}, {"hour", 3600 * kSecond},   {"day", kDay},
      {"week", 7 * kDay},       {"month", 31 * kDay},       {"quarter", 92 * kDay},
      {"year", 366 * kDay},     {"decade", 3653 * kDay},    {"century", 36525 * kDay},
  };
  for (const Unit& u : kUnits) {
    if (u.name == unit) return u.ns;
  }
  return std::nullopt;
}

std::optional<int64_t> UnitNs(std::string_view unit) {
  struct Unit {
    std::string_view name;
    int64_t ns;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1},
      {"nanosecond", 1},
      {"nanoseconds", 1},
      {"us", 1'000},
      {"microsecond", 1'000},
      {"microseconds", 1'000},
      {"ms", 1'000'000},
      {"millisecond", 1'000'000},
      {"milliseconds", 1'000'000},
      {"s", kSecond},
      {"sec", kSecond},
      {"secs", kSecond},
      {"second", kSecond},
      {"seconds", kSecond},
      {"m", 60 * kSecond},
      {"min", 60 * kSecond},
      {"mins", 60 * kSecond},
      {"minute", 60 * kSecond},
      {"minutes", 60 * kSecond},
      {"h", 3600 * kSecond},
      {"hr", 3600 * kSecond},
      {"hrs", 3600 * kSecond},
      {"hour", 3600 * kSecond},
      {"hours", 3600 * kSecond},
      {"d", kDay},
      {"day", kDay},
      {"days", kDay},
      {"w", 7 * kDay},
      {"week", 7 * kDay},
      {"weeks", 7 * kDay},
  };
  for (const Unit& u : kUnits) {
    if (u.name == unit) return u.ns;
  }
  return std::nullopt;
}

}  // namespace

Comparison Mirror(Comparison op) {
  switch (op) {
    case Comparison::kEq:
      return Comparison::kEq;
    case Comparison::kLt:
      return Comparison::kGt;
    case Comparison::kLe:
      return Comparison::kGe;
    case Comparison::kGt:
      return Comparison::kLt;
    case Comparison::kGe:
      return Comparison::kLe;
  }
  return op;
}

std::optional<int64_t> TimestampOf(const exec::Scalar& value) {
  if (value.is_null()) return std::nullopt;
  switch (value.type) {
    case model::TypeId::kTimestampNs:
    case model::TypeId::kInt64:
      return value.int64_value();
    case model::TypeId::kUInt64:
      if (value.uint64_value() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(value.uint64_value());
    case model::TypeId::kString: {
      absl::StatusOr<int64_t> ns = exec::ParseTimestamp(value.string_value());
      if (!ns.ok()) return std::nullopt;
      return *ns;
    }
    default:
      return std::nullopt;
  }
}

TimeRange RangeOf(Comparison op, int64_t c) {
  TimeRange r;
  switch (op) {
    case Comparison::kEq:
      r.min = r.max = c;
      break;
    case Comparison::kLt:
      if (c == INT64_MIN) {
        r.min = 0;
        r.max = -1;  // nothing is below the smallest timestamp
      } else {
        r.max = c - 1;
      }
      break;
    case Comparison::kLe:
      r.max = c;
      break;
    case Comparison::kGt:
      if (c == INT64_MAX) {
        r.min = 0;
        r.max = -1;
      } else {
        r.min = c + 1;
      }
      break;
    case Comparison::kGe:
      r.min = c;
      break;
  }
  return r;
}

std::optional<TimeRange> DateTruncRange(std::string_view unit, Comparison op, int64_t c) {
  std::optional<int64_t> length = MaxUnitLength(unit);
  if (!length.has_value()) return std::nullopt;
  // trunc(t) <= t < trunc(t) + length, so a lower bound on trunc(t) bounds t from below, and an
  // upper bound c on trunc(t) gives t < c + length.
  TimeRange r;
  switch (op) {
    case Comparison::kEq:
      r.min = c;
      r.max = SaturatingAdd(c, *length - 1);
      break;
    case Comparison::kGt:
    case Comparison::kGe:
      r = RangeOf(op, c);
      break;
    case Comparison::kLt:
    case Comparison::kLe:
      r.max = SaturatingAdd(c, *length - 1);
      break;
  }
  return r;
}

TimeRange DateBinRange(int64_t stride_ns, Comparison op, int64_t c) {
  TimeRange r;
  switch (op) {
    case Comparison::kEq:
      r.min = c;
      r.max = SaturatingAdd(c, stride_ns - 1);
      break;
    case Comparison::kGt:
    case Comparison::kGe:
      r = RangeOf(op, c);
      break;
    case Comparison::kLt:
    case Comparison::kLe:
      r.max = SaturatingAdd(c, stride_ns - 1);
      break;
  }
  return r;
}

std::optional<LikePrefix> LikePatternPrefix(std::string_view pattern) {
  LikePrefix out;
  size_t i = 0;
  for (; i < pattern.size(); ++i) {
    char ch = pattern[i];
    if (ch == '%' || ch == '_') break;
    if (ch == '\\') {
      if (i + 1 >= pattern.size()) return std::nullopt;  // malformed; the filter reports it
      out.prefix += pattern[++i];
      continue;
    }
    out.prefix += ch;
  }
  if (i == pattern.size()) {
    out.exact = true;
    out.equality = true;
    return out;
  }
  if (out.prefix.empty()) return std::nullopt;
  out.exact = pattern[i] == '%' && i + 1 == pattern.size();
  return out;
}

std::optional<std::string> LikePatternRegex(std::string_view pattern) {
  std::string out = "(?s)";
  std::string literal;
  auto flush = [&]() {
    out += re2::RE2::QuoteMeta(re2::StringPiece(literal.data(), literal.size()));
    literal.clear();
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '%' || ch == '_') {
      flush();
      out += ch == '%' ? ".*" : ".";
    } else if (ch == '\\') {
      if (i + 1 >= pattern.size()) return std::nullopt;
      literal += pattern[++i];
    } else {
      literal += ch;
    }
  }
  flush();
  return out;
}

absl::StatusOr<int64_t> ParseIntervalNs(std::string_view text, std::string_view unit) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        base::StrCat("invalid interval '", text, "'", unit.empty() ? "" : base::StrCat(" ", unit),
                     ": expected e.g. '5 minutes', '1 hour 30 minutes' or '1.5s'"));
  };
  std::string lower = absl::AsciiStrToLower(std::string(text));
  // Split into number/unit tokens: "1h30m" and "1 hour 30 minutes" both work.
  std::vector<std::pair<std::string, std::string>> parts;
  size_t i = 0;
  while (i < lower.size()) {
    while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\t' || lower[i] == ',')) ++i;
    if (i == lower.size()) break;
    size_t start = i;
    if (lower[i] == '-' || lower[i] == '+') ++i;
    while (i < lower.size() &&
           (std::isdigit(static_cast<unsigned char>(lower[i])) || lower[i] == '.')) {
      ++i;
    }
    std::string number = lower.substr(start, i - start);
    if (number.empty() || number == "-" || number == "+") return bad();
    while (i < lower.size() && lower[i] == ' ') ++i;
    size_t ustart = i;
    while (i < lower.size() && std::isalpha(static_cast<unsigned char>(lower[i]))) ++i;
    parts.push_back({number, lower.substr(ustart, i - ustart)});
  }
  if (parts.empty()) return bad();
  if (!unit.empty()) {
    if (parts.size() != 1 || !parts[0].second.empty()) return bad();
    parts[0].second = std::string(unit);
  }
  long double total = 0;
  for (const auto& part : parts) {
    if (part.second == "month" || part.second == "months" || part.second == "mon" ||
        part.second == "year" || part.second == "years" || part.second == "y" ||
        part.second == "mons") {
      return absl::InvalidArgumentError(base::StrCat(
          "interval '", text, "' has months or years, which have no fixed length; use days"));
    }
    std::optional<int64_t> ns = UnitNs(part.second);
    if (!ns.has_value()) return bad();
    double number = 0;
    if (!absl::SimpleAtod(part.first, &number) || !std::isfinite(number)) return bad();
    total += static_cast<long double>(number) * static_cast<long double>(*ns);
  }
  if (total > static_cast<long double>(INT64_MAX) || total < static_cast<long double>(INT64_MIN)) {
    return absl::OutOfRangeError(base::StrCat("interval '", text, "' is out of range"));
  }
  return static_cast<int64_t>(std::llround(static_cast<double>(total)));
}

}  // namespace cardinalsin::plan
