// File: scan_request.h
//
// What a query asks the storage scan for (ARCHITECTURE.md section 7): one tenant's `metrics` rows
// in an inclusive time range, restricted by a metric-name condition and label predicates, with a
// column projection. The SQL planner and the PromQL engine both describe their reads this way.
//
//   ScanRequest request;
//   request.tenant = "default";
//   request.min_time_ns = start;
//   request.max_time_ns = end;
//   request.metric = MetricCondition::Exact({"http_requests_total"});
//   request.labels.push_back({.name = "job", .op = LabelOp::kEqual, .values = {"api"}});
//   request.columns = {"timestamp", "value", "job"};
//   request.include_series_id = true;
//
// Semantics. Every condition of a request is applied exactly by the scan: a returned row has
// min_time_ns <= timestamp <= max_time_ns, satisfies the metric condition and every label
// predicate. (A caller may re-apply a condition; it will remove nothing.) The conditions are also
// used to skip data without reading it, at the levels listed in src/scan/README.md.
//
// Absent labels. A label that a row does not have is NULL in SQL and "" in PromQL. Each label
// predicate says which of the two it means through `absent`:
//   kEmptyString  the absent label compares as "" (PromQL: {job=""} and {job!="x"} match a
//                 series without `job`, {job=~".*"} too);
//   kNoMatch      an absent label satisfies no predicate, not even kNotEqual / kNotRegex (SQL
//                 three-valued logic: NULL <> 'x' is not true).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cardinalsin::scan {

// Which metric names a scan returns.
struct MetricCondition {
  enum class Kind {
    kAny,     // every metric
    kExact,   // metric_name is one of `values` (an empty set matches nothing)
    kPrefix,  // metric_name starts with values[0] (SQL LIKE 'abc%')
    kRegex,   // metric_name fully matches the RE2 pattern values[0] (PromQL {__name__=~"..."})
  };
  Kind kind = Kind::kAny;
  std::vector<std::string> values;

  static MetricCondition Any() { return {}; }
  static MetricCondition Exact(std::vector<std::string> names) {
    return {Kind::kExact, std::move(names)};
  }
  static MetricCondition Prefix(std::string prefix) { return {Kind::kPrefix, {std::move(prefix)}}; }
  static MetricCondition Regex(std::string pattern) { return {Kind::kRegex, {std::move(pattern)}}; }
};

enum class LabelOp {
  kEqual,     // value == values[0]
  kNotEqual,  // value != values[0]
  kIn,        // value is one of `values` (an empty set matches nothing)
  kRegex,     // value matches the RE2 pattern values[0]
  kNotRegex,  // value does not match the RE2 pattern values[0]
};

// How a row without the label is treated (see the file comment).
enum class AbsentLabel { kEmptyString, kNoMatch };

struct LabelPredicate {
  std::string name;  // a label key (not one of the fixed columns)
  LabelOp op = LabelOp::kEqual;
  std::vector<std::string> values;
  AbsentLabel absent = AbsentLabel::kEmptyString;
  // For kRegex / kNotRegex: true = the whole value must match (PromQL, anchored), false = a match
  // anywhere in the value is enough (SQL `~`, regexp_like).
  bool full_match = true;
};

struct ScanRequest {
  std::string tenant;
  // Inclusive sample time range in nanoseconds since the epoch, UTC.
  int64_t min_time_ns = std::numeric_limits<int64_t>::min();
  int64_t max_time_ns = std::numeric_limits<int64_t>::max();
  MetricCondition metric;
  std::vector<LabelPredicate> labels;  // all must hold (AND)
  // Output columns, in this order: any of timestamp, metric_name, value, series_id and label
  // keys. A label key that no chunk has comes back as an all-null column. Empty = every column:
  // timestamp, metric_name, value, series_id, then every label key of the data the scan reads,
  // sorted by name (model::MetricsSchema).
  std::vector<std::string> columns;
  // Appends series_id to `columns` when it is not already there (PromQL groups by it).
  bool include_series_id = false;
  // Lookups (label values, series) need each selected series, not its samples: the scan may then
  // return just one of a series' rows per row group (one inside the time range, with that row's
  // timestamp and value), where it knows the row group's series (src/scan/README.md, series
  // directories). Elsewhere every row still comes back; callers must not count on either.
  bool one_row_per_series = false;
  // With one_row_per_series, for lookups that want only the distinct values of the requested
  // label columns (label values): the scan may then return one row per distinct combination of
  // them per row group, where it knows the row group's series. No effect when timestamp, value
  // or series_id is requested.
  bool distinct_labels = false;
  // Merge in the unflushed rows of live ingesters (ARCHITECTURE.md section 3). Off only for
  // callers that want committed data alone (tools, tests).
  bool include_unflushed = true;
};

// OK when the request is well formed: a tenant is set, min_time_ns <= max_time_ns, exactly one
// value for kPrefix / kRegex / kEqual / kNotEqual / kNotRegex, regular expressions that RE2
// accepts, label predicates that do not name a fixed column, no repeated output column.
// Otherwise InvalidArgument naming the problem.
[[nodiscard]] absl::Status ValidateScanRequest(const ScanRequest& request);

}  // namespace cardinalsin::scan
