// The histogram functions over classic histograms: series of cumulative bucket counts told
// apart by their `le` (upper bound) label. Native histograms are not stored by CardinalSin, so
// the functions that read only native histograms (histogram_count, histogram_sum,
// histogram_avg, histogram_stddev, histogram_stdvar) output nothing for float input, exactly as
// Prometheus does.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "promql/format.h"
#include "promql/functions_eval_internal.h"

namespace cardinalsin::promql::internal {
namespace {

constexpr std::string_view kBucketLabel = "le";

struct Bucket {
  double upper_bound;
  double count;  // cumulative
};

// One classic histogram of the input: the series sharing all labels but `le`.
struct BucketGroup {
  Labels labels;  // the output labels: without `le` and the metric name
  std::string metric_name;
  std::vector<Bucket> buckets;
};

// Sorts by upper bound and merges buckets with the same bound (e.g. le="0.2" and le="2e-1"),
// summing their counts.
void SortAndCoalesce(std::vector<Bucket>& buckets) {
  // NaN bounds (le="NaN" parses) sort first so that the order stays a strict weak order.
  std::sort(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) {
    if (std::isnan(a.upper_bound)) return !std::isnan(b.upper_bound);
    if (std::isnan(b.upper_bound)) return false;
    return a.upper_bound < b.upper_bound;
  });
  size_t out = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (out > 0 && buckets[out - 1].upper_bound == buckets[i].upper_bound) {
      buckets[out - 1].count += buckets[i].count;
    } else {
      buckets[out++] = buckets[i];
    }
  }
  buckets.resize(out);
}

// Go's almost.Equal: relative difference below epsilon (absolute near zero).
bool AlmostEqual(double a, double b, double epsilon) {
  if (a == b) return true;
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

// Bucket counts must not decrease with the bound; rate() over buckets scraped at slightly
// different times can make them do so. Counts within a relative 1e-12 of the previous one are
// set equal to it (float noise); a real decrease is raised to the previous count and reported.
// Returns whether a real decrease was fixed.
bool EnsureMonotonic(std::vector<Bucket>& buckets) {
  constexpr double kSmallDeltaTolerance = 1e-12;
  bool forced = false;
  double prev = buckets.empty() ? 0 : buckets[0].count;
  for (size_t i = 1; i < buckets.size(); ++i) {
    double cur = buckets[i].count;
    if (cur == prev) continue;
    if (AlmostEqual(prev, cur, kSmallDeltaTolerance)) {
      buckets[i].count = prev;
      continue;
    }
    if (cur < prev) {
      buckets[i].count = prev;
      forced = true;
      continue;
    }
    prev = cur;
  }
  return forced;
}

// The q-quantile of a classic histogram by linear interpolation within the bucket holding the
// rank (Prometheus's bucketQuantile). REQUIRES: buckets sorted and coalesced.
// `forced_monotonic` reports whether decreasing counts had to be fixed.
double BucketQuantile(double q, std::vector<Bucket>& buckets, bool* forced_monotonic) {
  *forced_monotonic = false;
  if (std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  if (buckets.empty() || !std::isinf(buckets.back().upper_bound) ||
      buckets.back().upper_bound < 0) {
    return NAN;
  }
  *forced_monotonic = EnsureMonotonic(buckets);
  if (buckets.size() < 2) return NAN;
  double observations = buckets.back().count;
  if (observations == 0) return NAN;
  double rank = q * observations;
  // The first bucket (excluding +Inf) whose cumulative count reaches the rank.
  size_t b = 0;
  while (b < buckets.size() - 1 && buckets[b].count < rank) ++b;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double bucket_start = 0;
  double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

// The fraction of observations in [lower, upper] of a classic histogram, interpolating
// linearly within finite buckets. The first bucket spans [0, bound] when its bound is positive,
// else (-Inf, bound]; an infinitely wide bucket counts only when [lower, upper] covers it whole.
// REQUIRES: buckets sorted and coalesced.
double BucketFraction(double lower, double upper, const std::vector<Bucket>& buckets) {
  if (buckets.empty() || !std::isinf(buckets.back().upper_bound) ||
      buckets.back().upper_bound < 0) {
    return NAN;
  }
  double total = buckets.back().count;
  if (total == 0 || std::isnan(lower) || std::isnan(upper)) return NAN;
  if (lower >= upper) return 0;
  double inside = 0;
  double previous_count = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    double hi = buckets[i].upper_bound;
    double lo = i > 0 ? buckets[i - 1].upper_bound : (hi > 0 ? 0 : -INFINITY);
    double count = buckets[i].count - previous_count;
    previous_count = buckets[i].count;
    if (upper <= lo || lower >= hi) continue;  // no overlap (lower < upper holds here)
    double from = std::max(lower, lo);
    double to = std::min(upper, hi);
    if (std::isinf(hi)) {
      // The +Inf bucket has no width to interpolate over: all of it counts when the range
      // reaches +Inf, whatever its lower bound (histograms.test: (400, +Inf] over buckets up to
      // le="3" is the whole +Inf bucket).
      if (std::isinf(upper)) inside += count;
      continue;
    }
    if (std::isinf(lo)) {
      if (from == lo && to == hi) inside += count;
      continue;
    }
    inside += count * (to - from) / (hi - lo);
  }
  return inside / total;
}

// " for metric name \"x\"", or nothing when the series has no name (Prometheus's
// maybeAddMetricName).
std::string ForMetricName(std::string_view name) {
  if (name.empty()) return "";
  return base::StrCat(" for metric name ", QuoteString(name));
}

void AddBadBucketLabelWarning(const StepCall& call, const Sample& s, size_t vector_arg) {
  if (call.annotations == nullptr) return;
  call.annotations->AddWarning(base::StrCat(
      "PromQL warning: bucket label \"le\" is missing or has a malformed value of ",
      QuoteString(GetLabel(s.labels, kBucketLabel)), ForMetricName(GetLabel(s.labels, kMetricName)),
      ArgPositionSuffix(call.call, vector_arg)));
}

// Prometheus 3.13 appends to this info the bucket range, largest fix and time range it merged
// over the whole query; Annotations keeps plain deduplicated strings, so ours stops after the
// metric name.
void AddForcedMonotonicityInfo(const StepCall& call, const BucketGroup& g, size_t vector_arg) {
  if (call.annotations == nullptr) return;
  call.annotations->AddInfo(base::StrCat(
      "PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see "
      "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)",
      ForMetricName(g.metric_name), ArgPositionSuffix(call.call, vector_arg)));
}

// Groups the samples of argument `vector_arg` into classic histograms, in order of first
// appearance; samples without a parseable `le` are skipped with a warning. Each group's buckets
// come back sorted and coalesced.
absl::Status GroupBuckets(const StepCall& call, size_t vector_arg,
                          std::vector<BucketGroup>& groups) {
  const Vector* const* in =
      vector_arg < call.args.size() ? std::get_if<const Vector*>(&call.args[vector_arg]) : nullptr;
  if (in == nullptr || *in == nullptr) {
    return absl::InternalError(base::StrCat("argument ", vector_arg + 1,
                                            " of a histogram function is not an instant vector"));
  }
  std::unordered_map<std::string, size_t> index;
  std::string key;
  for (const Sample& s : **in) {
    double upper_bound = 0;
    if (!ParseGoFloat(GetLabel(s.labels, kBucketLabel), &upper_bound)) {
      AddBadBucketLabelWarning(call, s, vector_arg);
      continue;
    }
    // Grouped by all labels but `le`, the metric name included, as Prometheus does: buckets
    // of differently named metrics never merge (their outputs then collide, which is an error).
    key.clear();
    for (const Label& l : s.labels) {
      if (l.name == kBucketLabel) continue;
      base::StrAppend(&key, l.name.size(), ":", l.name, l.value.size(), ":", l.value);
    }
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      BucketGroup& g = groups.emplace_back();
      g.labels = s.labels;
      RemoveLabel(g.labels, kBucketLabel);
      g.metric_name = std::string(GetLabel(s.labels, kMetricName));
      RemoveLabel(g.labels, kMetricName);
    }
    groups[it->second].buckets.push_back(Bucket{upper_bound, s.v});
  }
  for (BucketGroup& g : groups) SortAndCoalesce(g.buckets);
  return absl::OkStatus();
}

absl::Status CheckUniqueOutputs(const Vector& out, size_t from) {
  if (out.size() - from < 2) return absl::OkStatus();
  std::unordered_set<std::string> seen;
  std::string key;
  for (size_t i = from; i < out.size(); ++i) {
    key.clear();
    for (const Label& l : out[i].labels) {
      base::StrAppend(&key, l.name.size(), ":", l.name, l.value.size(), ":", l.value);
    }
    if (!seen.insert(key).second) {
      return absl::FailedPreconditionError("vector cannot contain metrics with the same labelset");
    }
  }
  return absl::OkStatus();
}

bool InvalidQuantile(double q) { return std::isnan(q) || q < 0 || q > 1; }

const Expr* ArgExpr(const StepCall& call, size_t index) {
  if (call.call == nullptr || index >= call.call->args.size()) return nullptr;
  return call.call->args[index].get();
}

// histogram_quantile(q, v).
absl::Status HistogramQuantile(const StepCall& call, Vector& out) {
  const double* q = call.args.empty() ? nullptr : std::get_if<double>(&call.args[0]);
  if (q == nullptr) return absl::InternalError("argument 1 of histogram_quantile is not a scalar");
  if (InvalidQuantile(*q)) AddInvalidQuantileWarning(call.annotations, *q, ArgExpr(call, 0));
  std::vector<BucketGroup> groups;
  CS_RETURN_IF_ERROR(GroupBuckets(call, 1, groups));
  size_t from = out.size();
  for (BucketGroup& g : groups) {
    bool forced = false;
    double v = BucketQuantile(*q, g.buckets, &forced);
    if (forced) AddForcedMonotonicityInfo(call, g, 1);
    out.push_back(Sample{std::move(g.labels), call.eval_ms, v, true});
  }
  return CheckUniqueOutputs(out, from);
}

// The label value histogram_quantiles gives quantile q, OpenMetrics style: Go's %g with ".0"
// added to integers ("0.0", "0.25", "1.0", "1e-05"), "NaN", "+Inf", "-Inf".
std::string QuantileLabelValue(double q) {
  std::string s = GoFormatG(q);
  if (std::isfinite(q) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// histogram_quantiles(v, label, q1, q2, ...): one output per histogram and quantile, the
// quantile in `label`.
absl::Status HistogramQuantiles(const StepCall& call, Vector& out) {
  const std::string_view* label =
      call.args.size() > 1 ? std::get_if<std::string_view>(&call.args[1]) : nullptr;
  if (label == nullptr)
    return absl::InternalError("argument 2 of histogram_quantiles is not a string");
  std::vector<double> quantiles;
  for (size_t i = 2; i < call.args.size(); ++i) {
    const double* q = std::get_if<double>(&call.args[i]);
    if (q == nullptr) return absl::InternalError("histogram_quantiles quantile is not a scalar");
    if (InvalidQuantile(*q)) AddInvalidQuantileWarning(call.annotations, *q, ArgExpr(call, i));
    quantiles.push_back(*q);
  }
  std::vector<BucketGroup> groups;
  CS_RETURN_IF_ERROR(GroupBuckets(call, 0, groups));
  size_t from = out.size();
  for (BucketGroup& g : groups) {
    bool any_forced = false;
    for (double q : quantiles) {
      bool forced = false;
      double v = BucketQuantile(q, g.buckets, &forced);
      any_forced = any_forced || forced;
      Sample& s = out.emplace_back(Sample{g.labels, call.eval_ms, v, true});
      SetLabel(s.labels, *label, QuantileLabelValue(q));
    }
    if (any_forced) AddForcedMonotonicityInfo(call, g, 0);
  }
  return CheckUniqueOutputs(out, from);
}

// histogram_fraction(lower, upper, v).
absl::Status HistogramFraction(const StepCall& call, Vector& out) {
  const double* lower = call.args.size() > 0 ? std::get_if<double>(&call.args[0]) : nullptr;
  const double* upper = call.args.size() > 1 ? std::get_if<double>(&call.args[1]) : nullptr;
  if (lower == nullptr || upper == nullptr) {
    return absl::InternalError("histogram_fraction bounds are not scalars");
  }
  std::vector<BucketGroup> groups;
  CS_RETURN_IF_ERROR(GroupBuckets(call, 2, groups));
  size_t from = out.size();
  for (BucketGroup& g : groups) {
    double v = BucketFraction(*lower, *upper, g.buckets);
    out.push_back(Sample{std::move(g.labels), call.eval_ms, v, true});
  }
  return CheckUniqueOutputs(out, from);
}

// histogram_count, _sum, _avg, _stddev, _stdvar read native histograms only; float samples
// are ignored, so over CardinalSin's float-only data they output nothing.
absl::Status NativeHistogramOnly(const StepCall& call, Vector& out) {
  (void)out;
  if (call.args.empty() || std::get_if<const Vector*>(&call.args[0]) == nullptr) {
    return absl::InternalError("argument 1 of a native histogram function is not a vector");
  }
  return absl::OkStatus();
}

const FunctionImpl kHistogramImpls[] = {
    {"histogram_avg", nullptr, NativeHistogramOnly},
    {"histogram_count", nullptr, NativeHistogramOnly},
    {"histogram_fraction", nullptr, HistogramFraction},
    {"histogram_quantile", nullptr, HistogramQuantile},
    {"histogram_quantiles", nullptr, HistogramQuantiles},
    {"histogram_stddev", nullptr, NativeHistogramOnly},
    {"histogram_stdvar", nullptr, NativeHistogramOnly},
    {"histogram_sum", nullptr, NativeHistogramOnly},
};

}  // namespace

std::span<const FunctionImpl> HistogramFunctionImpls() { return kHistogramImpls; }

}  // namespace cardinalsin::promql::internal
