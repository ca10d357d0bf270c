// File: testing/memory_querier.h
//
// An in-memory Querier (value.h) for engine tests, benchmarks and the conformance runner: series
// are added with their points and Select filters them by matchers and time range, exactly as the
// Querier contract describes.
//
//   MemoryQuerier q;
//   q.Add({{"__name__", "up"}, {"job", "api"}}, {{0, 1}, {15000, 1}});
//   Engine engine(EngineOptions{});
//   auto r = engine.InstantQuery(q, *expr, 15000, {});
//
// Regular-expression matchers are fully anchored (RE2), as in Prometheus.
//
// Thread-safety: Add and Clear must not run concurrently with anything; Select may run from
// several threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "promql/value.h"

namespace cardinalsin::promql::testing {

// Whether `labels` (sorted) satisfy every matcher; a missing label reads as "". InvalidArgument
// for an invalid regular expression.
[[nodiscard]] absl::StatusOr<bool> MatchesAll(const Labels& labels,
                                              std::span<const LabelMatcher> matchers);

class MemoryQuerier final : public Querier {
 public:
  // Adds points to the series `labels` (sorted or not; empty values are dropped), creating it if
  // needed. Points may come in any order; a later point at an existing timestamp replaces it.
  void Add(Labels labels, std::span<const FPoint> points);
  void Clear() {
    series_.clear();
    index_.clear();
  }
  size_t num_series() const { return series_.size(); }

  // Counts Select calls (for tests that check each selector is read once).
  int64_t select_calls() const { return select_calls_.load(); }

  [[nodiscard]] absl::StatusOr<Matrix> Select(const SelectHints& hints,
                                              std::span<const LabelMatcher> matchers) override;

 private:
  std::vector<Series> series_;                                // points ascending by time
  absl::flat_hash_map<uint64_t, std::vector<size_t>> index_;  // HashLabels -> series_ indices
  std::atomic<int64_t> select_calls_{0};
};

}  // namespace cardinalsin::promql::testing
