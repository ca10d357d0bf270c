#include "promql/testing/memory_querier.h"

#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <string>

namespace cardinalsin::promql::testing {

namespace {

// The matchers with their regular expressions compiled once.
class CompiledMatchers {
 public:
  static absl::StatusOr<CompiledMatchers> Compile(std::span<const LabelMatcher> matchers) {
    CompiledMatchers out;
    out.matchers_ = matchers;
    for (const LabelMatcher& m : matchers) {
      std::unique_ptr<RE2> re;
      if (m.type == MatchType::kRegexMatch || m.type == MatchType::kRegexNoMatch) {
        re = std::make_unique<RE2>("^(?:" + m.value + ")$", RE2::Quiet);
        if (!re->ok()) return absl::InvalidArgumentError("invalid regular expression: " + m.value);
      }
      out.regexes_.push_back(std::move(re));
    }
    return out;
  }

  bool Matches(const Labels& labels) const {
    for (size_t i = 0; i < matchers_.size(); ++i) {
      const LabelMatcher& m = matchers_[i];
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
          bool matched = RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *regexes_[i]);
          ok = m.type == MatchType::kRegexMatch ? matched : !matched;
          break;
        }
      }
      if (!ok) return false;
    }
    return true;
  }

 private:
  std::span<const LabelMatcher> matchers_;
  std::vector<std::unique_ptr<RE2>> regexes_;
};

}  // namespace

absl::StatusOr<bool> MatchesAll(const Labels& labels, std::span<const LabelMatcher> matchers) {
  absl::StatusOr<CompiledMatchers> compiled = CompiledMatchers::Compile(matchers);
  if (!compiled.ok()) return compiled.status();
  return compiled->Matches(labels);
}

void MemoryQuerier::Add(Labels labels, std::span<const FPoint> points) {
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  SortLabels(labels);
  std::vector<size_t>& bucket = index_[HashLabels(labels)];
  Series* series = nullptr;
  for (size_t i : bucket) {
    if (series_[i].labels == labels) series = &series_[i];
  }
  if (series == nullptr) {
    bucket.push_back(series_.size());
    series_.push_back(Series{std::move(labels), {}, false});
    series = &series_.back();
  }
  std::vector<FPoint>& out = series->points;
  auto by_time = [](const FPoint& a, const FPoint& b) { return a.t < b.t; };
  bool strictly_ascending =
      std::adjacent_find(points.begin(), points.end(), [](const FPoint& a, const FPoint& b) {
        return a.t >= b.t;
      }) == points.end();
  if (strictly_ascending && (out.empty() || points.empty() || points.front().t > out.back().t)) {
    // The common case: points in order after the existing ones.
    out.insert(out.end(), points.begin(), points.end());
    return;
  }
  // Later points replace earlier ones at the same timestamp: stable sort, then keep the last.
  out.insert(out.end(), points.begin(), points.end());
  std::stable_sort(out.begin(), out.end(), by_time);
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
  absl::StatusOr<CompiledMatchers> compiled = CompiledMatchers::Compile(matchers);
  if (!compiled.ok()) return compiled.status();
  Matrix out;
  for (const Series& s : series_) {
    if (!compiled->Matches(s.labels)) continue;
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
