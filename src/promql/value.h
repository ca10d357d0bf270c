// File: value.h
//
// The values PromQL evaluation produces and consumes (Prometheus's promql.Value types), the
// annotations (warnings and infos) a query collects, and the storage interface the engine reads
// series through.
//
//   Labels labels = {{"__name__", "up"}, {"job", "api"}};   // sorted by name
//   SortLabels(labels);                                      // when built out of order
//   Series series{labels, {{1000, 1.0}, {16000, 1.0}}};
//
// Labels follow Prometheus's model: a label set is sorted by name with no duplicate names, and
// a label with an empty value is the same as an absent label (it is never stored).
//
// Time is int64 milliseconds since the Unix epoch throughout the engine, as in Prometheus.
//
// Thread-safety: plain values; the Querier contract is stated on the class.
#pragma once

#include <bit>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "promql/ast.h"

namespace cardinalsin::promql {

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// Sorted by name, unique names, no empty values.
using Labels = std::vector<Label>;

inline constexpr std::string_view kMetricName = "__name__";

// Sorts by name (bytewise). REQUIRES: no duplicate names.
void SortLabels(Labels& labels);
// The value of `name`, or "" when absent. `labels` must be sorted.
std::string_view GetLabel(const Labels& labels, std::string_view name);
// Sets (or, for an empty value, removes) `name`, keeping the set sorted.
void SetLabel(Labels& labels, std::string_view name, std::string_view value);
// Removes `name` if present.
void RemoveLabel(Labels& labels, std::string_view name);
// Prometheus's text form: `{__name__="up", job="api"}` ("{}" when empty). Values are escaped
// like Go's strconv.Quote.
std::string LabelsToString(const Labels& labels);
// Lexicographic order over (name, value) pairs: the order Prometheus sorts result series by.
bool LabelsLess(const Labels& a, const Labels& b);
// A 64-bit hash of the whole label set (equal sets hash equal).
uint64_t HashLabels(const Labels& labels);

// The staleness marker Prometheus writes when a series disappears (a NaN with this bit pattern;
// any other NaN is an ordinary value). Remote write carries it bit-exactly into our chunks.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

// One float sample.
struct FPoint {
  int64_t t = 0;
  double v = 0;
  friend bool operator==(const FPoint&, const FPoint&) = default;
};

// A series with points ascending by time, at most one per timestamp.
struct Series {
  Labels labels;
  std::vector<FPoint> points;
  // Prometheus 3 delayed __name__ removal: the metric name is dropped from `labels` when the
  // result leaves the engine (or a later operation needs the labels without it), not at once.
  bool drop_name = false;
};

// One element of an instant vector. `t` is the evaluation time, except where a contract says
// otherwise (see functions_eval.h on timestamp()).
struct Sample {
  Labels labels;
  int64_t t = 0;
  double v = 0;
  bool drop_name = false;  // as on Series
};

using Vector = std::vector<Sample>;
using Matrix = std::vector<Series>;

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

// What a query evaluates to.
using Value = std::variant<Scalar, Vector, Matrix, String>;

// The warnings and infos of one query, deduplicated, in the order first added. Messages are
// Prometheus's annotation texts including their prefix, e.g.
//   "PromQL warning: encountered a mix of histograms and floats for metric name \"x\""
//   "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket:
//   \"x\""
// followed, like Prometheus, by ` (1:6)` with the position of the expression they are about.
class Annotations {
 public:
  void AddWarning(std::string message);
  void AddInfo(std::string message);
  void Merge(const Annotations& other);
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::vector<std::string>& infos() const { return infos_; }
  bool empty() const { return warnings_.empty() && infos_.empty(); }

 private:
  std::vector<std::string> warnings_;
  std::vector<std::string> infos_;
};

// What the engine tells storage about a selection, so it can read less. Sample times the engine
// will look at lie in [start_ms, end_ms] (inclusive); storage may return more.
struct SelectHints {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;    // 0 for an instant query
  int64_t range_ms = 0;   // the range of a matrix selector, else 0
  std::string_view func;  // the function the selection feeds ("rate"), or empty
};

// Where the engine reads series from (Prometheus's storage.Querier). One Querier serves one query.
class Querier {
 public:
  virtual ~Querier() = default;

  // Every series matching all `matchers` (the metric name is a `__name__` matcher; a matcher on
  // a label the series lacks sees ""), each with its samples in [hints.start_ms, hints.end_ms]
  // ascending by time, one per timestamp, staleness markers included. Series with no sample in
  // the range may be left out. Order is unspecified.
  // Errors: Unavailable / Internal from storage; ResourceExhausted when a storage limit is hit;
  // DeadlineExceeded / Cancelled when the query's deadline or cancellation is seen.
  // Thread-safety: the engine may call Select from several threads at once.
  [[nodiscard]] virtual absl::StatusOr<Matrix> Select(const SelectHints& hints,
                                                      std::span<const LabelMatcher> matchers) = 0;
  // What storage has to say about the selections so far that did not fail them (an ingester
  // that did not answer, so recent samples may be missing): the engine returns these as warning
  // annotations, as Prometheus does storage warnings. Each once, in first-seen order.
  virtual std::vector<std::string> Warnings() const { return {}; }
};

}  // namespace cardinalsin::promql
