#include "promql/testing/memory_querier.h"

#include <algorithm>
#include <string>

#include <re2/re2.h>

namespace cardinalsin::promql::testing {

absl::StatusOr<bool> MatchesAll(const Labels& labels, std::span<const LabelMatcher> matchers) {
  for (const LabelMatcher& m : matchers) {
    std::string_view value = GetLabel(labels, m.name);
    bool ok = false;
    switch (m.type) {
      case MatchType::kEqual:
        ok = value == m.value;
        break;
      case MatchType::kNotEqual:
        ok = value != m.value;
        break;
      case MatchType::kRegexMatch:
      case MatchType::kRegexNoMatch: {
        RE2 re("^(?:" + m.value + ")$", RE2::Quiet);
        if (!re.ok()) {
          return absl::InvalidArgumentError("invalid regular expression: " + m.value);
        }
        bool matched = RE2::FullMatch(re2::StringPiece(value.data(), value.size()), re);
        ok = m.type == MatchType::kRegexMatch ? matched : !matched;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

void MemoryQuerier::Add(Labels labels, std::span<const FPoint> points) {
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  SortLabels(labels);
  auto it = std::find_if(series_.begin(), series_.end(),
                         [&](const Series& s) { return s.labels == labels; });
  if (it == series_.end()) {
    series_.push_back(Series{std::move(labels), {}, false});
    it = series_.end() - 1;
  }
  std::vector<FPoint>& out = it->points;
  // Later points replace earlier ones at the same timestamp: stable sort, then keep the last.
  out.insert(out.end(), points.begin(), points.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const FPoint& a, const FPoint& b) { return a.t < b.t; });
  std::vector<FPoint> unique;
  unique.reserve(out.size());
  for (const FPoint& p : out) {
    if (!unique.empty() && unique.back().t == p.t) {
      unique.back() = p;
    } else {
      unique.push_back(p);
    }
  }
  out = std::move(unique);
}

absl::StatusOr<Matrix> MemoryQuerier::Select(const SelectHints& hints,
                                             std::span<const LabelMatcher> matchers) {
  select_calls_.fetch_add(1);
  Matrix out;
  for (const Series& s : series_) {
    absl::StatusOr<bool> match = MatchesAll(s.labels, matchers);
    if (!match.ok()) return match.status();
    if (!*match) continue;
    auto lo = std::lower_bound(s.points.begin(), s.points.end(), hints.start_ms,
                               [](const FPoint& p, int64_t t) { return p.t < t; });
    auto hi = std::upper_bound(s.points.begin(), s.points.end(), hints.end_ms,
                               [](int64_t t, const FPoint& p) { return t < p.t; });
    if (lo >= hi) continue;
    out.push_back(Series{s.labels, std::vector<FPoint>(lo, hi), false});
  }
  return out;
}

}  // namespace cardinalsin::promql::testing
