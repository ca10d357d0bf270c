#include "otlp/naming.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>
#include <vector>

namespace cardinalsin::otlp {
namespace {

bool IsMetricChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
}
bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r' || s.front() == '\v' || s.front() == '\f')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                        s.back() == '\r' || s.back() == '\v' || s.back() == '\f')) {
    s.remove_suffix(1);
  }
  return s;
}

// UCUM units (as OpenTelemetry semantic conventions use them) -> Prometheus base-unit words.
constexpr std::array<std::pair<std::string_view, std::string_view>, 26> kUnits = {{
    {"d", "days"},
    {"h", "hours"},
    {"min", "minutes"},
    {"s", "seconds"},
    {"ms", "milliseconds"},
    {"us", "microseconds"},
    {"ns", "nanoseconds"},
    {"By", "bytes"},
    {"KiBy", "kibibytes"},
    {"MiBy", "mebibytes"},
    {"GiBy", "gibibytes"},
    {"TiBy", "tibibytes"},
    {"KBy", "kilobytes"},
    {"MBy", "megabytes"},
    {"GBy", "gigabytes"},
    {"TBy", "terabytes"},
    {"m", "meters"},
    {"V", "volts"},
    {"A", "amperes"},
    {"J", "joules"},
    {"W", "watts"},
    {"g", "grams"},
    {"Cel", "celsius"},
    {"Hz", "hertz"},
    {"1", ""},
    {"%", "percent"},
}};
// The denominator of "X/Y" units, singular.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kPerUnits = {{
    {"s", "second"},
    {"m", "minute"},
    {"h", "hour"},
    {"d", "day"},
    {"w", "week"},
    {"mo", "month"},
    {"y", "year"},
}};

template <size_t N>
std::string_view Lookup(const std::array<std::pair<std::string_view, std::string_view>, N>& table,
                        std::string_view key) {
  for (const auto& [from, to] : table) {
    if (from == key) return to;
  }
  return key;
}

// Invalid characters -> `_`, runs of `_` collapsed, a leading `_` dropped.
std::string CleanUpUnit(std::string_view unit) {
  std::string out;
  out.reserve(unit.size());
  for (char c : unit) {
    char mapped = IsMetricChar(c) ? c : '_';
    if (mapped == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(mapped);
  }
  if (!out.empty() && out.front() == '_') out.erase(0, 1);
  return out;
}

// The main and "per" suffixes of a unit, cleaned up: "By/s" -> {"bytes", "per_second"}.
// Annotations (anything containing `{` or `}`) contribute nothing.
std::pair<std::string, std::string> UnitSuffixes(std::string_view unit) {
  std::string_view main_unit = unit;
  std::string_view per_unit;
  bool has_per = false;
  if (size_t slash = unit.find('/'); slash != std::string_view::npos) {
    main_unit = unit.substr(0, slash);
    per_unit = unit.substr(slash + 1);
    has_per = true;
  }
  std::string main_suffix;
  main_unit = TrimSpace(main_unit);
  if (!main_unit.empty() && main_unit.find_first_of("{}") == std::string_view::npos) {
    main_suffix = std::string(Lookup(kUnits, main_unit));
  }
  std::string per_suffix;
  if (has_per) {
    per_unit = TrimSpace(per_unit);
    if (!per_unit.empty() && per_unit.find_first_of("{}") == std::string_view::npos) {
      std::string_view word = Lookup(kPerUnits, per_unit);
      if (!word.empty()) per_suffix = "per_" + std::string(word);
    }
  }
  main_suffix = CleanUpUnit(main_suffix);
  per_suffix = CleanUpUnit(per_suffix);
  // A "per" part that cleans up to nothing ("per_") is dropped; trailing underscores go.
  if (per_suffix == "per_") per_suffix.clear();
  while (!per_suffix.empty() && per_suffix.back() == '_') per_suffix.pop_back();
  if (!per_suffix.empty()) {
    while (!main_suffix.empty() && main_suffix.back() == '_') main_suffix.pop_back();
  }
  return {std::move(main_suffix), std::move(per_suffix)};
}

bool Contains(const std::vector<std::string_view>& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

void MoveToEnd(std::vector<std::string_view>& tokens, std::string_view token) {
  tokens.erase(std::remove(tokens.begin(), tokens.end(), token), tokens.end());
  tokens.push_back(token);
}

}  // namespace

std::string TranslateMetricName(std::string_view name, std::string_view unit, NameKind kind) {
  std::vector<std::string_view> tokens;
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || !IsMetricChar(name[i])) {
      if (i > start) tokens.push_back(name.substr(start, i - start));
      start = i + 1;
    }
  }
  auto [main_suffix, per_suffix] = UnitSuffixes(unit);
  if (!main_suffix.empty() && !Contains(tokens, main_suffix)) tokens.push_back(main_suffix);
  if (!per_suffix.empty() && !Contains(tokens, per_suffix)) tokens.push_back(per_suffix);
  if (kind == NameKind::kMonotonicCounter) MoveToEnd(tokens, "total");
  if (unit == "1" && kind == NameKind::kGauge) MoveToEnd(tokens, "ratio");

  std::string out;
  for (std::string_view token : tokens) {
    if (!out.empty()) out.push_back('_');
    out.append(token);
  }
  if (!out.empty() && IsDigit(out.front())) out.insert(out.begin(), '_');
  return out;
}

std::string TranslateLabelName(std::string_view key) {
  if (key.empty()) return {};
  bool reserved = key.size() >= 4 && key.substr(0, 2) == "__" && key.substr(key.size() - 2) == "__";
  std::string_view body = reserved ? key.substr(2, key.size() - 4) : key;
  std::string out;
  out.reserve(key.size() + 4);
  if (reserved) out.append("__");
  bool previous_underscore = false;
  for (char c : body) {
    if (IsLabelChar(c)) {
      out.push_back(c);
      previous_underscore = false;
    } else if (!previous_underscore) {
      out.push_back('_');
      previous_underscore = true;
    }
  }
  if (reserved) out.append("__");
  if (IsDigit(out.front())) out.insert(0, "key_");
  if (out.find_first_not_of('_') == std::string::npos) return {};
  return out;
}

std::string TranslateUnit(std::string_view unit) {
  auto [main_suffix, per_suffix] = UnitSuffixes(unit);
  if (main_suffix.empty()) return per_suffix;
  if (per_suffix.empty()) return main_suffix;
  return main_suffix + "_" + per_suffix;
}

std::string FormatFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The longest fixed-notation shortest round-trip form: 1 sign, 309 integer digits for
  // DBL_MAX, or "0." and 323 fraction digits plus 17 significant ones for denormals.
  std::array<char, 400> buffer;
  auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  return std::string(buffer.data(), result.ptr);
}

}  // namespace cardinalsin::otlp
