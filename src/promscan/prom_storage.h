// File: prom_storage.h
//
// PromQL's view of the stored `metrics` rows: a promql::Querier over scan::Scanner, and the
// series, label-name and label-value lookups of the Prometheus HTTP API (promapi/backend.h; the
// wiring in cmd/ adapts this class to that interface, since promscan may not depend on promapi).
//
//   PromStorage storage(scanner.get(), PromStorageOptions{.max_samples = 50'000'000});
//   std::unique_ptr<promql::Querier> querier = storage.NewQuerier("default", deadline);
//   absl::StatusOr<promql::Matrix> series = querier->Select(hints, matchers);
//
// How PromQL maps onto the scan (ARCHITECTURE.md section 7):
//   - a `__name__` matcher = or =~ becomes the scan's MetricCondition (Exact / Regex); != and !~
//     on `__name__` are applied to each series after the scan;
//   - any other matcher becomes a LabelPredicate with AbsentLabel::kEmptyString and an anchored
//     (full-match) regex, so {job=""} and {job!="x"} match series without `job`;
//   - a matcher on a name that cannot be a label (the fixed columns timestamp, value, series_id,
//     metric_name) sees "" for every series;
//   - times: SelectHints' inclusive [start_ms, end_ms] becomes nanoseconds [start_ms * 1e6,
//     end_ms * 1e6 + 999'999] (clamped to the int64 ns range);
//   - rows are grouped by series_id; a series' labels are its non-null, non-empty label columns
//     plus `__name__` from metric_name; its points are sorted by time, timestamps truncated to
//     milliseconds, and of samples in the same millisecond only the last is kept.
// Unflushed ingester rows are included (the scan merges them).
//
// Limits: PromStorageOptions::max_samples caps the samples one query's Selects return together
// (ResourceExhausted, Prometheus's text); lookups stop reading once they have `limit` items; all
// calls check their deadline between batches (DeadlineExceeded).
//
// Thread-safety: PromStorage and its Queriers are thread-safe (Select may run concurrently).
// Ownership: does not own the scanner, which must outlive this object and every Querier.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "promql/ast.h"
#include "promql/value.h"
#include "scan/scanner.h"

namespace cardinalsin::promscan {

struct PromStorageOptions {
  // Samples all Selects of one query may return together; 0 = unlimited.
  int64_t max_samples = 0;
  // Rows one lookup (series, label names, label values) may read; 0 = unlimited.
  int64_t max_lookup_rows = 0;
  base::Clock* clock = nullptr;  // null = base::SystemClock()
};

// One series / label lookup (promapi::LookupRequest's fields).
struct Lookup {
  std::string tenant;
  // A series qualifies when it matches every matcher of at least one selector; empty = all.
  std::vector<std::vector<promql::LabelMatcher>> selectors;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // inclusive
  size_t limit = 0;      // stop after this many items; 0 = no limit
  absl::Time deadline = absl::InfiniteFuture();
};

template <typename T>
struct LookupAnswer {
  std::vector<T> items;               // series in no order; names and values sorted, unique
  std::vector<std::string> warnings;  // e.g. an ingester that could not be asked
};

class PromStorage {
 public:
  PromStorage(scan::Scanner* scanner, PromStorageOptions options);

  // A Querier for one query of `tenant` (REQUIRES: a valid tenant id). Its Selects fail with
  // DeadlineExceeded once `deadline` has passed.
  std::unique_ptr<promql::Querier> NewQuerier(std::string tenant, absl::Time deadline) const;

  // The label sets of the matching series with a sample in the range. REQUIRES: at least one
  // selector. Errors: the scan's; DeadlineExceeded; ResourceExhausted past max_lookup_rows.
  [[nodiscard]] absl::StatusOr<LookupAnswer<promql::Labels>> Series(const Lookup& lookup) const;

  // Label names, "__name__" included. Without selectors they come from the catalog summaries of
  // the chunks overlapping the range and the unflushed rows' columns, without reading chunk data
  // (so a label whose only rows in a chunk lie outside the range may still be listed, as
  // Prometheus does with blocks); with selectors, from the matching rows.
  [[nodiscard]] absl::StatusOr<LookupAnswer<std::string>> LabelNames(const Lookup& lookup) const;

  // The distinct non-empty values of label `name` ("__name__": metric names) on matching rows.
  [[nodiscard]] absl::StatusOr<LookupAnswer<std::string>> LabelValues(const Lookup& lookup,
                                                                      std::string_view name) const;

 private:
  scan::Scanner* const scanner_;
  const PromStorageOptions options_;
  base::Clock* const clock_;
};

}  // namespace cardinalsin::promscan
