// Range kernels: the functions over one range vector whose output for a series depends only on
// that series' window (functions_eval.h). Each is called once per (series, step); none
// allocates except quantile_over_time and mad_over_time, which reuse a per-thread buffer.
#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "promql/format.h"
#include "promql/functions_eval_internal.h"

namespace cardinalsin::promql::internal {
namespace {

using Points = std::span<const FPoint>;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Prometheus's info for rate()/increase() over a metric that does not look like a counter: by
// its `__type__` label when the series has one (type-and-unit labels), else by its name.
void MaybeAddNonCounterInfo(const RangeCall& call) {
  if (call.annotations == nullptr || call.labels == nullptr || call.points.empty()) return;
  std::string_view name = GetLabel(*call.labels, kMetricName);
  if (name.empty()) return;
  std::string_view type = GetLabel(*call.labels, "__type__");
  if (!type.empty()) {
    if (type == "counter" || type == "histogram") return;
    call.annotations->AddInfo(base::StrCat(
        "PromQL info: metric might not be a counter, __type__ label is not set to \"counter\" "
        "or \"histogram\", got ",
        QuoteString(type), ": ", QuoteString(name), ArgPositionSuffix(call.call, 0)));
    return;
  }
  if (EndsWith(name, "_total") || EndsWith(name, "_sum") || EndsWith(name, "_count") ||
      EndsWith(name, "_bucket")) {
    return;
  }
  call.annotations->AddInfo(
      base::StrCat("PromQL info: metric might not be a counter, name does not end in "
                   "_total/_sum/_count/_bucket: ",
                   QuoteString(name), ArgPositionSuffix(call.call, 0)));
}

// The range argument's experimental extended-range modifier, if any.
enum class RangeMode { kPlain, kAnchored, kSmoothed };

RangeMode ModeOf(const RangeCall& call) {
  if (call.call == nullptr || call.call->args.empty()) return RangeMode::kPlain;
  const auto* matrix = call.call->args[0]->As<MatrixSelector>();
  if (matrix == nullptr || matrix->selector == nullptr) return RangeMode::kPlain;
  const auto* selector = matrix->selector->As<VectorSelector>();
  if (selector == nullptr) return RangeMode::kPlain;
  if (selector->smoothed) return RangeMode::kSmoothed;
  return selector->anchored ? RangeMode::kAnchored : RangeMode::kPlain;
}

// The value at `t` on the line through a and b; a counter that reset between them is taken to
// have restarted from zero at a.
double Interpolate(const FPoint& a, const FPoint& b, int64_t t, bool is_counter) {
  double from = is_counter && b.v < a.v ? 0 : a.v;
  return from + (b.v - from) * static_cast<double>(t - a.t) / static_cast<double>(b.t - a.t);
}

// rate/increase/delta over an anchored or smoothed window (see functions_eval.h for the points
// the engine passes): the difference between the values at the window's edges, without
// extrapolation. Anchored takes the last sample at or before the start as the start value;
// smoothed interpolates both edges between the samples around them.
std::optional<double> ExtendedDelta(const RangeCall& call, bool smoothed, bool is_counter,
                                    bool is_rate) {
  Points p = call.points;
  if (p.empty()) return std::nullopt;
  const int64_t start = call.range_start_ms;
  const int64_t end = call.range_end_ms;
  // first: the last sample at or before the start (else the first sample); last: for smoothed
  // the first sample at or after the end (else the last sample).
  size_t after_start = 0;  // the first sample after the start, among all but the last
  while (after_start < p.size() - 1 && p[after_start].t <= start) ++after_start;
  size_t first = after_start > 0 ? after_start - 1 : 0;
  size_t last = p.size() - 1;
  if (smoothed) {
    size_t i = 0;
    while (i < p.size() - 1 && p[i].t < end) ++i;
    last = i;
  }
  if (p[last].t <= start) return std::nullopt;
  if (smoothed && p[first].t > end) return std::nullopt;
  double left = smoothed && p[first].t < start
                    ? Interpolate(p[first], p[first + 1], start, is_counter)
                    : p[first].v;
  double right = smoothed && last > 0 && p[last].t > end
                     ? Interpolate(p[last - 1], p[last], end, is_counter)
                     : p[last].v;
  double result = right - left;
  if (is_counter) {
    // Resets at the edges are already in the interpolated edge values; count those between.
    size_t from = p[first].t <= start ? first + 1 : first;
    size_t to = p[last].t >= end ? last : last + 1;  // exclusive
    double prev = left;
    for (size_t i = from; i < to; ++i) {
      if (p[i].v < prev) result += prev;
      prev = p[i].v;
    }
    if (right < prev) result += prev;
  }
  if (is_rate) result /= static_cast<double>(end - start) / 1000.0;
  return result;
}

// rate, increase and delta: the change over the window, extrapolated towards the window's edges
// (by at most half an average sample interval when the first/last sample is farther than 1.1
// intervals from the edge; a counter not below zero), as Prometheus 3 does.
std::optional<double> ExtrapolatedDelta(const RangeCall& call, bool is_counter, bool is_rate) {
  RangeMode mode = ModeOf(call);
  if (mode != RangeMode::kPlain) {
    return ExtendedDelta(call, mode == RangeMode::kSmoothed, is_counter, is_rate);
  }
  Points p = call.points;
  if (p.size() < 2) return std::nullopt;
  double result = p.back().v - p.front().v;
  if (is_counter) {
    // Each decrease is a counter reset: the counter restarted from zero, so the value before
    // the reset was lost from the difference.
    double prev = p.front().v;
    for (size_t i = 1; i < p.size(); ++i) {
      if (p[i].v < prev) result += prev;
      prev = p[i].v;
    }
  }
  double range_seconds = static_cast<double>(call.range_end_ms - call.range_start_ms) / 1000.0;
  double duration_to_start = static_cast<double>(p.front().t - call.range_start_ms) / 1000.0;
  double duration_to_end = static_cast<double>(call.range_end_ms - p.back().t) / 1000.0;
  double sampled_interval = static_cast<double>(p.back().t - p.front().t) / 1000.0;
  double average_interval = sampled_interval / static_cast<double>(p.size() - 1);
  double threshold = average_interval * 1.1;
  if (duration_to_start >= threshold) duration_to_start = average_interval / 2;
  if (is_counter && result > 0 && p.front().v >= 0) {
    // A counter cannot go below zero: do not extrapolate further back than where the line
    // through the samples would cross zero.
    double duration_to_zero = sampled_interval * (p.front().v / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  if (duration_to_end >= threshold) duration_to_end = average_interval / 2;
  double factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
  if (is_rate) factor /= range_seconds;
  return result * factor;
}

std::optional<double> Rate(const RangeCall& call) {
  MaybeAddNonCounterInfo(call);
  return ExtrapolatedDelta(call, /*is_counter=*/true, /*is_rate=*/true);
}

std::optional<double> Increase(const RangeCall& call) {
  MaybeAddNonCounterInfo(call);
  return ExtrapolatedDelta(call, /*is_counter=*/true, /*is_rate=*/false);
}

std::optional<double> Delta(const RangeCall& call) {
  return ExtrapolatedDelta(call, /*is_counter=*/false, /*is_rate=*/false);
}

// irate / idelta: from the last two samples.
std::optional<double> Irate(const RangeCall& call) {
  Points p = call.points;
  if (p.size() < 2) return std::nullopt;
  const FPoint& last = p[p.size() - 1];
  const FPoint& prev = p[p.size() - 2];
  // A decrease is a counter reset: the counter counted `last` since it restarted.
  double result = last.v < prev.v ? last.v : last.v - prev.v;
  int64_t interval_ms = last.t - prev.t;
  if (interval_ms == 0) return std::nullopt;
  return result / (static_cast<double>(interval_ms) / 1000.0);
}

std::optional<double> Idelta(const RangeCall& call) {
  Points p = call.points;
  if (p.size() < 2) return std::nullopt;
  return p[p.size() - 1].v - p[p.size() - 2].v;
}

// Least-squares fit of value over time (seconds relative to intercept_ms), with Kahan sums.
// Returns {slope, intercept}. A constant series has slope 0 (NaN/NaN when the constant is
// infinite), as in Prometheus.
struct Fit {
  double slope;
  double intercept;
};

Fit LinearRegression(Points p, int64_t intercept_ms) {
  double n = 0, sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0, c_x2 = 0;
  const double first = p.front().v;
  bool constant = true;
  for (const FPoint& pt : p) {
    if (constant && pt.v != first) constant = false;
    n += 1;
    double x = static_cast<double>(pt.t - intercept_ms) / 1000.0;
    KahanAdd(x, sum_x, c_x);
    KahanAdd(pt.v, sum_y, c_y);
    KahanAdd(x * pt.v, sum_xy, c_xy);
    KahanAdd(x * x, sum_x2, c_x2);
  }
  if (constant) {
    if (std::isinf(first)) return {NAN, NAN};
    return {0, first};
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  double slope = cov_xy / var_x;
  return {slope, sum_y / n - slope * sum_x / n};
}

std::optional<double> Deriv(const RangeCall& call) {
  if (call.points.size() < 2) return std::nullopt;
  // Times relative to the first sample keep the sums small and precise.
  return LinearRegression(call.points, call.points.front().t).slope;
}

std::optional<double> PredictLinear(const RangeCall& call) {
  if (call.points.size() < 2 || call.scalars.empty()) return std::nullopt;
  Fit fit = LinearRegression(call.points, call.eval_ms);
  return fit.slope * call.scalars[0] + fit.intercept;
}

// The points changes() and resets() look at: for an anchored range, from the last sample at
// or before the window start (earlier ones are dropped), and nothing at all when no sample lies
// after the start; otherwise the window as given.
std::optional<Points> CountedPoints(const RangeCall& call) {
  Points p = call.points;
  if (p.empty()) return std::nullopt;
  if (ModeOf(call) != RangeMode::kAnchored) return p;
  size_t after_start = 0;
  while (after_start < p.size() && p[after_start].t <= call.range_start_ms) ++after_start;
  if (after_start == p.size()) return std::nullopt;
  return p.subspan(after_start > 0 ? after_start - 1 : 0);
}

std::optional<double> Resets(const RangeCall& call) {
  std::optional<Points> counted = CountedPoints(call);
  if (!counted.has_value()) return std::nullopt;
  Points p = *counted;
  int resets = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    if (p[i].v < p[i - 1].v) ++resets;
  }
  return resets;
}

std::optional<double> Changes(const RangeCall& call) {
  std::optional<Points> counted = CountedPoints(call);
  if (!counted.has_value()) return std::nullopt;
  Points p = *counted;
  int changes = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    double cur = p[i].v;
    double prev = p[i - 1].v;
    if (!(cur == prev || (std::isnan(cur) && std::isnan(prev)))) ++changes;
  }
  return changes;
}

std::optional<double> SumOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  double sum = 0, c = 0;
  for (const FPoint& pt : call.points) KahanAdd(pt.v, sum, c);
  return sum + c;
}

// The mean by Kahan summation; if the sum overflows, switches to an incremental mean (as
// Prometheus does, so that the average of huge values stays finite).
std::optional<double> AvgOverTime(const RangeCall& call) {
  Points p = call.points;
  if (p.empty()) return std::nullopt;
  double sum = 0, c = 0, mean = 0, count = 0;
  bool incremental = false;
  for (const FPoint& pt : p) {
    count += 1;
    if (!incremental) {
      double new_sum = sum, new_c = c;
      KahanAdd(pt.v, new_sum, new_c);
      if (count == 1 || !std::isinf(new_sum)) {
        sum = new_sum;
        c = new_c;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    double q = (count - 1) / count;
    double scaled_mean = q * mean;
    double scaled_c = q * c;
    KahanAdd(pt.v / count, scaled_mean, scaled_c);
    mean = scaled_mean;
    c = scaled_c;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

std::optional<double> CountOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return static_cast<double>(call.points.size());
}

// min/max_over_time and their ts_of_ variants. A NaN is replaced by any later sample. Among
// equal extremes min/max keep the first and ts_of_min/max report the last, as Prometheus.
template <bool kMax, bool kTimestamp>
std::optional<double> ExtremeOverTime(const RangeCall& call) {
  Points p = call.points;
  if (p.empty()) return std::nullopt;
  double best = p.front().v;
  int64_t best_t = p.front().t;
  for (const FPoint& pt : p) {
    bool better = kMax ? (kTimestamp ? pt.v >= best : pt.v > best)
                       : (kTimestamp ? pt.v <= best : pt.v < best);
    if (better || std::isnan(best)) {
      best = pt.v;
      best_t = pt.t;
    }
  }
  if (kTimestamp) return static_cast<double>(best_t) / 1000.0;
  return best;
}

std::optional<double> LastOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return call.points.back().v;
}

std::optional<double> FirstOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return call.points.front().v;
}

std::optional<double> TsOfLastOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return static_cast<double>(call.points.back().t) / 1000.0;
}

std::optional<double> TsOfFirstOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return static_cast<double>(call.points.front().t) / 1000.0;
}

std::optional<double> PresentOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return 1.0;
}

// Population variance by Welford's method with Kahan-compensated running sums.
double Variance(Points p) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const FPoint& pt : p) {
    count += 1;
    double delta = pt.v - (mean + c_mean);
    KahanAdd(delta / count, mean, c_mean);
    KahanAdd(delta * (pt.v - (mean + c_mean)), aux, c_aux);
  }
  return (aux + c_aux) / count;
}

std::optional<double> StdvarOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return Variance(call.points);
}

std::optional<double> StddevOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  return std::sqrt(Variance(call.points));
}

// A per-thread scratch buffer for the sorting kernels: grows to the largest window seen and is
// reused, so steady-state calls do not allocate.
std::vector<double>& Scratch() {
  thread_local std::vector<double> buffer;
  return buffer;
}

std::optional<double> QuantileOverTime(const RangeCall& call) {
  if (call.scalars.empty()) return std::nullopt;
  double q = call.scalars[0];
  if (std::isnan(q) || q < 0 || q > 1) {
    AddInvalidQuantileWarning(
        call.annotations, q,
        call.call != nullptr && !call.call->args.empty() ? call.call->args[0].get() : nullptr);
  }
  if (call.points.empty()) return std::nullopt;
  std::vector<double>& values = Scratch();
  values.clear();
  for (const FPoint& pt : call.points) values.push_back(pt.v);
  return QuantileInPlace(q, values);
}

// Median absolute deviation from the median. A NaN sample leaves the median undefined, so the
// result is NaN (Prometheus 3).
std::optional<double> MadOverTime(const RangeCall& call) {
  if (call.points.empty()) return std::nullopt;
  std::vector<double>& values = Scratch();
  values.clear();
  for (const FPoint& pt : call.points) {
    if (std::isnan(pt.v)) return NAN;
    values.push_back(pt.v);
  }
  double median = QuantileInPlace(0.5, values);
  values.clear();
  for (const FPoint& pt : call.points) values.push_back(std::fabs(pt.v - median));
  return QuantileInPlace(0.5, values);
}

// Holt's linear (double exponential) smoothing with smoothing factor sf and trend factor tf,
// both in (0, 1); the result is the last smoothed value.
std::optional<double> DoubleExponentialSmoothing(const RangeCall& call) {
  if (call.scalars.size() < 2) return std::nullopt;
  double sf = call.scalars[0];
  double tf = call.scalars[1];
  Points p = call.points;
  if (p.empty()) return std::nullopt;
  if (sf <= 0 || sf >= 1) {
    if (call.error != nullptr) {
      *call.error = absl::InvalidArgumentError(
          absl::StrFormat("invalid smoothing factor. Expected: 0 < sf < 1, got: %f", sf));
    }
    return std::nullopt;
  }
  if (tf <= 0 || tf >= 1) {
    if (call.error != nullptr) {
      *call.error = absl::InvalidArgumentError(
          absl::StrFormat("invalid trend factor. Expected: 0 < tf < 1, got: %f", tf));
    }
    return std::nullopt;
  }
  if (p.size() < 2) return std::nullopt;
  double previous = 0;       // the smoothed value before `smoothed`
  double smoothed = p[0].v;  // the latest smoothed value
  double trend = p[1].v - p[0].v;
  for (size_t i = 1; i < p.size(); ++i) {
    if (i > 1) trend = tf * (smoothed - previous) + (1 - tf) * trend;
    double next = sf * p[i].v + (1 - sf) * (smoothed + trend);
    previous = smoothed;
    smoothed = next;
  }
  return smoothed;
}

const FunctionImpl kRangeImpls[] = {
    {"avg_over_time", AvgOverTime},
    {"changes", Changes},
    {"count_over_time", CountOverTime},
    {"delta", Delta},
    {"deriv", Deriv},
    {"double_exponential_smoothing", DoubleExponentialSmoothing},
    {"first_over_time", FirstOverTime, nullptr, /*drops_name=*/false},
    {"idelta", Idelta},
    {"increase", Increase},
    {"irate", Irate},
    {"last_over_time", LastOverTime, nullptr, /*drops_name=*/false},
    {"mad_over_time", MadOverTime},
    {"max_over_time", ExtremeOverTime<true, false>},
    {"min_over_time", ExtremeOverTime<false, false>},
    {"predict_linear", PredictLinear},
    {"present_over_time", PresentOverTime},
    {"quantile_over_time", QuantileOverTime},
    {"rate", Rate},
    {"resets", Resets},
    {"stddev_over_time", StddevOverTime},
    {"stdvar_over_time", StdvarOverTime},
    {"sum_over_time", SumOverTime},
    {"ts_of_first_over_time", TsOfFirstOverTime},
    {"ts_of_last_over_time", TsOfLastOverTime},
    {"ts_of_max_over_time", ExtremeOverTime<true, true>},
    {"ts_of_min_over_time", ExtremeOverTime<false, true>},
};

}  // namespace

std::span<const FunctionImpl> RangeFunctionImpls() { return kRangeImpls; }

}  // namespace cardinalsin::promql::internal
