// The PromQL evaluator (engine.h).
//
// Evaluation follows Prometheus's engine: every scalar or instant-vector expression evaluates to
// a "grid matrix", one series per output label set with at most one point per evaluation step
// (start, start + interval, ... end); an instant query is a grid of one step. A scalar is a grid
// matrix of one series without labels that has a point at every step.
//
// Before evaluating, every selector's samples are read once (Prefetch) with hints covering every
// time any evaluation step may look at (outer subquery ranges and offsets, @, lookback or range).
// Range-vector arguments are walked per series across all steps with a sliding window, so
// rate(x[5m]) over a range query reads each series once.
//
// Operators (internal/eval_binary.h) and aggregations (internal/eval_aggregate.h) work per step
// on indices into their inputs' grid matrices; the per-series work (matching signatures, output
// label sets, aggregation groups) is done once per series, not per step.
//
// The samples the query holds (grid matrices alive plus the current window) are counted against
// max_samples, as Prometheus's currentSamples.
#include "promql/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "promql/functions.h"
#include "promql/functions_eval.h"
#include "promql/internal/eval_aggregate.h"
#include "promql/internal/eval_binary.h"
#include "promql/internal/eval_common.h"
#include "re2/re2.h"

namespace cardinalsin::promql {
namespace {

using internal::CountPoints;
using internal::DropMetadataLabels;
using internal::EvalAggregation;
using internal::EvalBinaryOp;
using internal::Grid;
using internal::MatrixBuilder;
using internal::PosSuffix;
using internal::QueryState;
using internal::QuoteGo;
using internal::ScalarValues;
using internal::StepWalker;
using internal::UnwrapParens;

// Prometheus's limit on points per series of a range query (the HTTP API's 11,000).
constexpr int64_t kMaxPointsPerSeries = 11000;

// The times the engine computes with (query times shifted by offsets, ranges, lookback and @)
// stay within +-2^60 ms (36 million years), so no arithmetic on them can overflow.
constexpr int64_t kMaxAbsTimeMs = int64_t{1} << 60;

absl::StatusOr<int64_t> CheckedTime(__int128 t) {
  if (t < -kMaxAbsTimeMs || t > kMaxAbsTimeMs) {
    return absl::InvalidArgumentError(
        "query time out of range: a timestamp, offset, @ or range moves an evaluation time "
        "beyond 2^60 ms from the epoch");
  }
  return static_cast<int64_t>(t);
}

// ---- info() -------------------------------------------------------------------------------
// info(v [, selector]) adds the data labels of "info" series (default target_info) whose
// identifying labels (instance, job) equal a base series' to it, as Prometheus's experimental
// info function.

constexpr std::string_view kIdentifyingLabels[] = {"instance", "job"};

bool IsPositive(const LabelMatcher& m) {
  return m.type == MatchType::kEqual || m.type == MatchType::kRegexMatch;
}

// The __name__ matchers that pick info series: the selector's, else target_info; with only
// negative ones, restricted to names ending in _info.
std::vector<LabelMatcher> InfoNameMatchers(const Call& call) {
  std::vector<LabelMatcher> out;
  const VectorSelector* vs =
      call.args.size() > 1 ? UnwrapParens(*call.args[1]).As<VectorSelector>() : nullptr;
  if (vs != nullptr) {
    if (!vs->name.empty()) {
      out.push_back(LabelMatcher{MatchType::kEqual, std::string(kMetricName), vs->name});
    }
    for (const LabelMatcher& m : vs->matchers) {
      if (m.name == kMetricName) out.push_back(m);
    }
  }
  if (out.empty()) {
    out.push_back(LabelMatcher{MatchType::kEqual, std::string(kMetricName), "target_info"});
  } else if (std::none_of(out.begin(), out.end(), IsPositive)) {
    out.push_back(LabelMatcher{MatchType::kRegexMatch, std::string(kMetricName), ".+_info"});
  }
  return out;
}

// The selector's matchers on other labels than __name__ (the data-label matchers).
std::vector<LabelMatcher> InfoDataMatchers(const Call& call) {
  std::vector<LabelMatcher> out;
  const VectorSelector* vs =
      call.args.size() > 1 ? UnwrapParens(*call.args[1]).As<VectorSelector>() : nullptr;
  if (vs == nullptr) return out;
  for (const LabelMatcher& m : vs->matchers) {
    if (m.name != kMetricName) out.push_back(m);
  }
  return out;
}

absl::Status Prefetch(QueryState& q, const Expr& e, int64_t lo, int64_t hi, std::string_view func);

absl::Status PrefetchInfo(QueryState& q, const Call& call, int64_t lo, int64_t hi) {
  int64_t outer_min = q.select_min_ms;
  int64_t outer_max = q.select_max_ms;
  q.select_min_ms = std::numeric_limits<int64_t>::max();
  q.select_max_ms = std::numeric_limits<int64_t>::min();
  CS_RETURN_IF_ERROR(Prefetch(q, *call.args[0], lo, hi, "info"));
  int64_t start = q.select_min_ms;
  int64_t end = q.select_max_ms;
  q.select_min_ms = std::min(outer_min, start);
  q.select_max_ms = std::max(outer_max, end);
  Matrix& out = q.info_series[&call];
  if (start > end) return absl::OkStatus();  // the base reads nothing
  std::vector<LabelMatcher> matchers = InfoNameMatchers(call);
  std::vector<LabelMatcher> data = InfoDataMatchers(call);
  matchers.insert(matchers.end(), data.begin(), data.end());
  SelectHints hints{start, end, q.query_step, 0, "info"};
  CS_ASSIGN_OR_RETURN(out, q.querier->Select(hints, matchers));
  for (const Series& s : out) q.stats.samples_loaded += static_cast<int64_t>(s.points.size());
  q.stats.series_selected += static_cast<int64_t>(out.size());
  return absl::OkStatus();
}

// Reads every selector of `e` once. [lo, hi] are the evaluation times `e` may be evaluated at.
absl::Status Prefetch(QueryState& q, const Expr& e, int64_t lo, int64_t hi, std::string_view func) {
  auto select = [&](const VectorSelector& vs, int64_t start, int64_t end,
                    int64_t range) -> absl::Status {
    std::vector<LabelMatcher> matchers;
    if (!vs.name.empty()) {
      matchers.push_back(LabelMatcher{MatchType::kEqual, std::string(kMetricName), vs.name});
    }
    matchers.insert(matchers.end(), vs.matchers.begin(), vs.matchers.end());
    CS_RETURN_IF_ERROR(q.Poll());
    SelectHints hints{start, end, q.query_step, range, func};
    q.select_min_ms = std::min(q.select_min_ms, start);
    q.select_max_ms = std::max(q.select_max_ms, end);
    CS_ASSIGN_OR_RETURN(Matrix m, q.querier->Select(hints, matchers));
    for (Series& s : m) {
      if (range > 0) {
        std::erase_if(s.points, [](const FPoint& p) { return IsStaleNaN(p.v); });
      }
      q.stats.samples_loaded += static_cast<int64_t>(s.points.size());
    }
    q.stats.series_selected += static_cast<int64_t>(m.size());
    q.selected[&vs] = std::move(m);
    return absl::OkStatus();
  };
  return std::visit(
      [&](const auto& n) -> absl::Status {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, VectorSelector>) {
          CS_ASSIGN_OR_RETURN(int64_t off, q.Resolve(n.offset));
          std::optional<int64_t> at = q.AtTime(n.at);
          // smoothed interpolates towards the next sample, up to the lookback ahead.
          CS_ASSIGN_OR_RETURN(int64_t start,
                              CheckedTime(__int128{at.value_or(lo)} - off - q.lookback));
          CS_ASSIGN_OR_RETURN(int64_t end, CheckedTime(__int128{at.value_or(hi)} - off +
                                                       (n.smoothed ? q.lookback : 0)));
          return select(n, start, end, 0);
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          const VectorSelector& vs = *n.selector->template As<VectorSelector>();
          CS_ASSIGN_OR_RETURN(int64_t off, q.Resolve(vs.offset));
          CS_ASSIGN_OR_RETURN(int64_t range, q.Resolve(n.range));
          std::optional<int64_t> at = q.AtTime(vs.at);
          // anchored and smoothed read up to the lookback before the window; smoothed also
          // up to the lookback after it.
          bool extended = vs.anchored || vs.smoothed;
          CS_ASSIGN_OR_RETURN(int64_t start, CheckedTime(__int128{at.value_or(lo)} - off - range -
                                                         (extended ? q.lookback : 0)));
          CS_ASSIGN_OR_RETURN(int64_t end, CheckedTime(__int128{at.value_or(hi)} - off +
                                                       (vs.smoothed ? q.lookback : 0)));
          return select(vs, start, end, range);
        } else if constexpr (std::is_same_v<T, SubqueryExpr>) {
          CS_ASSIGN_OR_RETURN(int64_t off, q.Resolve(n.offset));
          CS_ASSIGN_OR_RETURN(int64_t range, q.Resolve(n.range));
          std::optional<int64_t> at = q.AtTime(n.at);
          CS_ASSIGN_OR_RETURN(int64_t start, CheckedTime(__int128{at.value_or(lo)} - off - range));
          CS_ASSIGN_OR_RETURN(int64_t end, CheckedTime(__int128{at.value_or(hi)} - off));
          return Prefetch(q, *n.expr, start, end, "");
        } else if constexpr (std::is_same_v<T, ParenExpr>) {
          return Prefetch(q, *n.expr, lo, hi, func);
        } else if constexpr (std::is_same_v<T, UnaryExpr>) {
          return Prefetch(q, *n.expr, lo, hi, "");
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          CS_RETURN_IF_ERROR(Prefetch(q, *n.lhs, lo, hi, ""));
          return Prefetch(q, *n.rhs, lo, hi, "");
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          if (n.param != nullptr) CS_RETURN_IF_ERROR(Prefetch(q, *n.param, lo, hi, ""));
          return Prefetch(q, *n.expr, lo, hi, AggregateOpName(n.op));
        } else if constexpr (std::is_same_v<T, Call>) {
          if (n.func->name == "info") return PrefetchInfo(q, n, lo, hi);
          for (const ExprPtr& arg : n.args) {
            CS_RETURN_IF_ERROR(Prefetch(q, *arg, lo, hi, n.func->name));
          }
          return absl::OkStatus();
        } else {
          return absl::OkStatus();
        }
      },
      e.node);
}

// Linear interpolation of a series at time x (Prometheus's `smoothed` modifier) from the last
// sample at or before x and the first after it, each at most `lookback` away; with only one of
// them, its value. Staleness markers end the series.
std::optional<double> Interpolate(std::span<const FPoint> pts, size_t next, int64_t x,
                                  int64_t lookback) {
  const FPoint* before = next > 0 && pts[next - 1].t > x - lookback ? &pts[next - 1] : nullptr;
  const FPoint* after = next < pts.size() && pts[next].t <= x + lookback ? &pts[next] : nullptr;
  if (before != nullptr && IsStaleNaN(before->v)) return std::nullopt;
  if (after != nullptr && IsStaleNaN(after->v)) after = nullptr;
  if (before != nullptr && (before->t == x || after == nullptr)) return before->v;
  if (before == nullptr) {
    if (after == nullptr) return std::nullopt;
    return after->v;
  }
  double frac = static_cast<double>(x - before->t) / static_cast<double>(after->t - before->t);
  return before->v + (after->v - before->v) * frac;
}

// Sliding window over one series. REQUIRES: window ends non-decreasing.
class WindowCursor {
 public:
  explicit WindowCursor(std::span<const FPoint> pts) : pts_(pts) {}
  // The points in (end - range, end].
  std::span<const FPoint> Window(int64_t end, int64_t range) {
    while (hi_ < pts_.size() && pts_[hi_].t <= end) ++hi_;
    while (lo_ < hi_ && pts_[lo_].t <= end - range) ++lo_;
    return pts_.subspan(lo_, hi_ - lo_);
  }
  std::span<const FPoint> points() const { return pts_; }
  size_t lo() const { return lo_; }  // after Window(): the first point after end - range
  size_t hi() const { return hi_; }  // after Window(): the first point after end

 private:
  std::span<const FPoint> pts_;
  size_t lo_ = 0;
  size_t hi_ = 0;
};

// A range-vector argument: series (ascending points, no staleness markers) and how each
// evaluation step's window over them is placed.
struct RangeSource {
  const Matrix* selected = nullptr;  // a matrix selector's series, else null
  Matrix owned;                      // a subquery's evaluated series
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  std::optional<int64_t> at_ms;
  // Experimental extended range selectors (anchored, smoothed): see Window().
  bool anchored = false;
  bool smoothed = false;
  int64_t lookback = 0;

  int64_t WindowEnd(int64_t t) const { return at_ms.value_or(t) - offset_ms; }
  const Matrix& series() const { return selected != nullptr ? *selected : owned; }

  // The window ending at `end` (a WindowEnd()); extended windows are built in `scratch`.
  std::span<const FPoint> Window(WindowCursor& cursor, int64_t end,
                                 std::vector<FPoint>& scratch) const {
    std::span<const FPoint> inner = cursor.Window(end, range_ms);
    if (!anchored && !smoothed) return inner;
    // The contract of functions_eval.h: the last sample at or before the start (anchored and
    // smoothed) and the first after the end (smoothed), each within the lookback, are added;
    // the kernels pick or interpolate the edge values.
    std::span<const FPoint> pts = cursor.points();
    const int64_t start = end - range_ms;
    size_t lo = cursor.lo();
    size_t hi = cursor.hi();
    if (anchored && inner.empty()) return inner;
    scratch.clear();
    if (lo > 0 && pts[lo - 1].t > start - lookback) scratch.push_back(pts[lo - 1]);
    scratch.insert(scratch.end(), inner.begin(), inner.end());
    if (smoothed && hi < pts.size() && pts[hi].t < end + lookback) scratch.push_back(pts[hi]);
    return scratch;
  }
};

// Steps of one series between deadline and cancellation polls in range kernels.
constexpr int64_t kStepsPerPoll = 256;

class Evaluator {
 public:
  Evaluator(QueryState& q, const Grid& grid) : q_(q), grid_(grid) {}

  // Evaluates a scalar or instant-vector expression to a grid matrix, counting its samples.
  [[nodiscard]] absl::StatusOr<Matrix> Eval(const Expr& e) {
    int64_t before = q_.current_samples;
    CS_ASSIGN_OR_RETURN(Matrix m, EvalInner(e));
    q_.current_samples = before;
    CS_RETURN_IF_ERROR(q_.AddSamples(CountPoints(m)));
    return m;
  }

  // A range-vector expression (matrix selector or subquery, maybe parenthesized).
  [[nodiscard]] absl::StatusOr<RangeSource> EvalRangeSource(const Expr& expr) {
    const Expr& e = UnwrapParens(expr);
    RangeSource src;
    if (const MatrixSelector* ms = e.As<MatrixSelector>()) {
      const VectorSelector& vs = *ms->selector->As<VectorSelector>();
      CS_ASSIGN_OR_RETURN(src.range_ms, q_.Resolve(ms->range));
      CS_ASSIGN_OR_RETURN(src.offset_ms, q_.Resolve(vs.offset));
      src.at_ms = q_.AtTime(vs.at);
      src.selected = &q_.selected.at(&vs);
      src.anchored = vs.anchored;
      src.smoothed = vs.smoothed;
      src.lookback = q_.lookback;
      return src;
    }
    const SubqueryExpr* sq = e.As<SubqueryExpr>();
    if (sq == nullptr) {
      return absl::InternalError(
          "range-vector argument is neither a matrix selector nor a subquery");
    }
    CS_ASSIGN_OR_RETURN(src.range_ms, q_.Resolve(sq->range));
    CS_ASSIGN_OR_RETURN(src.offset_ms, q_.Resolve(sq->offset));
    src.at_ms = q_.AtTime(sq->at);
    int64_t step = q_.engine->default_subquery_step_ms;
    if (sq->step.has_value()) {
      CS_ASSIGN_OR_RETURN(step, q_.Resolve(*sq->step));
    }
    if (step <= 0) {
      return absl::FailedPreconditionError(
          base::StrCat("subquery step must be positive, got ", step, "ms"));
    }
    int64_t lo = src.WindowEnd(grid_.start) - src.range_ms;
    int64_t hi = src.WindowEnd(grid_.end);
    // The first multiple of the step after lo: subquery steps are aligned in absolute time.
    int64_t first = lo >= 0 ? (lo / step + 1) * step : -((-lo) / step) * step;
    if (first <= lo) first += step;
    if (first <= hi) {
      // More steps than max_samples: one series with a point at every step would exceed the
      // limit, and a constant body (vector(1)) allocates that much at once; refuse up front
      // (a deliberate difference: Prometheus only fails such a subquery when it holds data).
      if ((hi - first) / step + 1 > q_.engine->max_samples) {
        return q_.AddSamples(q_.engine->max_samples + 1);
      }
      Evaluator inner(q_, Grid{first, hi, step});
      CS_ASSIGN_OR_RETURN(src.owned, inner.Eval(*sq->expr));
    }
    return src;
  }

  // The points of a range vector at one evaluation time (an instant query of a range vector).
  [[nodiscard]] absl::StatusOr<Matrix> EvalRangeVectorAt(const Expr& e, int64_t t) {
    CS_ASSIGN_OR_RETURN(RangeSource src, EvalRangeSource(e));
    Matrix out;
    int64_t end = src.WindowEnd(t);
    std::vector<FPoint> scratch;
    for (const Series& s : src.series()) {
      WindowCursor cursor(s.points);
      std::span<const FPoint> w = src.Window(cursor, end, scratch);
      if (w.empty()) continue;
      out.push_back(Series{s.labels, std::vector<FPoint>(w.begin(), w.end()), s.drop_name});
    }
    CS_RETURN_IF_ERROR(q_.AddSamples(CountPoints(out)));
    return out;
  }

 private:
  [[nodiscard]] absl::StatusOr<Matrix> EvalInner(const Expr& e) {
    CS_RETURN_IF_ERROR(q_.Poll());
    if (const NumberLiteral* n = e.As<NumberLiteral>()) return ConstantSeries(n->value);
    if (const ParenExpr* p = e.As<ParenExpr>()) return Eval(*p->expr);
    if (const UnaryExpr* u = e.As<UnaryExpr>()) {
      CS_ASSIGN_OR_RETURN(Matrix m, Eval(*u->expr));
      if (u->negative) {
        bool scalar = TypeOf(*u->expr) == ValueType::kScalar;
        for (Series& s : m) {
          for (FPoint& p : s.points) p.v = -p.v;
          if (!scalar) s.drop_name = true;
        }
      }
      return m;
    }
    if (const VectorSelector* vs = e.As<VectorSelector>()) return EvalVectorSelector(*vs, nullptr);
    if (const BinaryExpr* b = e.As<BinaryExpr>()) return EvalBinary(*b);
    if (const AggregateExpr* a = e.As<AggregateExpr>()) return EvalAggregate(*a);
    if (const Call* c = e.As<Call>()) return EvalCall(e, *c);
    if (e.As<StringLiteral>() != nullptr) {
      return absl::InternalError("a string expression has no grid value");
    }
    return absl::InternalError(base::StrCat("expression of type ", ValueTypeName(TypeOf(e)),
                                            " cannot be evaluated as an instant value"));
  }

  Matrix ConstantSeries(double v) {
    Series s;
    s.points.reserve(static_cast<size_t>(grid_.num_steps()));
    for (int64_t k = 0; k < grid_.num_steps(); ++k) {
      s.points.push_back(FPoint{grid_.StepTime(k), v});
    }
    Matrix m;
    m.push_back(std::move(s));
    return m;
  }

  // A vector selector on the grid. With `sample_times`, also the timestamp of each output
  // point's sample (timestamp()).
  [[nodiscard]] absl::StatusOr<Matrix> EvalVectorSelector(
      const VectorSelector& vs, std::vector<std::vector<int64_t>>* sample_times) {
    const Matrix& in = q_.selected.at(&vs);
    CS_ASSIGN_OR_RETURN(int64_t off, q_.Resolve(vs.offset));
    std::optional<int64_t> at = q_.AtTime(vs.at);
    Matrix out;
    const int64_t steps = grid_.num_steps();
    for (const Series& s : in) {
      CS_RETURN_IF_ERROR(q_.Poll());
      Series o{s.labels, {}, false};
      std::vector<int64_t> times;
      const std::vector<FPoint>& pts = s.points;
      size_t i = 0;
      for (int64_t k = 0; k < steps; ++k) {
        int64_t ts = grid_.StepTime(k);
        int64_t ref = at.value_or(ts) - off;
        while (i < pts.size() && pts[i].t <= ref) ++i;
        if (i == 0) continue;
        const FPoint& p = pts[i - 1];
        if (p.t <= ref - q_.lookback || IsStaleNaN(p.v)) continue;
        if (vs.smoothed) {
          std::optional<double> v = Interpolate(pts, i, ref, q_.lookback);
          if (!v.has_value()) continue;
          o.points.push_back(FPoint{ts, *v});
          if (sample_times != nullptr) times.push_back(ref);
          continue;
        }
        o.points.push_back(FPoint{ts, p.v});
        if (sample_times != nullptr) times.push_back(p.t);
      }
      if (o.points.empty()) continue;
      CS_RETURN_IF_ERROR(q_.AddSamples(static_cast<int64_t>(o.points.size())));
      out.push_back(std::move(o));
      if (sample_times != nullptr) sample_times->push_back(std::move(times));
    }
    return out;
  }

  [[nodiscard]] absl::StatusOr<Matrix> EvalBinary(const BinaryExpr& b) {
    CS_ASSIGN_OR_RETURN(Matrix lhs, Eval(*b.lhs));
    CS_ASSIGN_OR_RETURN(Matrix rhs, Eval(*b.rhs));
    return EvalBinaryOp(q_, grid_, b, std::move(lhs), std::move(rhs));
  }

  [[nodiscard]] absl::StatusOr<Matrix> EvalAggregate(const AggregateExpr& a) {
    std::vector<double> param;
    if (a.param != nullptr && TypeOf(*a.param) == ValueType::kScalar) {
      CS_ASSIGN_OR_RETURN(Matrix m, Eval(*a.param));
      param = ScalarValues(grid_, m);
    }
    CS_ASSIGN_OR_RETURN(Matrix in, Eval(*a.expr));
    return EvalAggregation(q_, grid_, a, in, param);
  }

  // ---- Functions ---------------------------------------------------------------------------

  [[nodiscard]] absl::StatusOr<Matrix> EvalCall(const Expr& e, const Call& c) {
    std::string_view name = c.func->name;
    if (name == "step" || name == "range" || name == "start" || name == "end") {
      double v = name == "step"    ? static_cast<double>(q_.query_step) / 1000
                 : name == "range" ? static_cast<double>(q_.query_end - q_.query_start) / 1000
                 : name == "start" ? static_cast<double>(q_.query_start) / 1000
                                   : static_cast<double>(q_.query_end) / 1000;
      return ConstantSeries(v);
    }
    if (name == "min_of" || name == "max_of") {
      CS_ASSIGN_OR_RETURN(Matrix am, Eval(*c.args[0]));
      CS_ASSIGN_OR_RETURN(Matrix bm, Eval(*c.args[1]));
      std::vector<double> av = ScalarValues(grid_, am);
      std::vector<double> bv = ScalarValues(grid_, bm);
      Matrix m = ConstantSeries(0);
      for (size_t k = 0; k < av.size(); ++k) {
        double x = av[k];
        double y = bv[k];
        m[0].points[k].v = std::isnan(x) || std::isnan(y) ? NAN
                           : name == "min_of"             ? std::min(x, y)
                                                          : std::max(x, y);
      }
      return m;
    }
    if (q_.query_step > 0 && (name == "sort" || name == "sort_desc" || name == "sort_by_label" ||
                              name == "sort_by_label_desc")) {
      q_.annotations.AddWarning(base::StrCat(
          "PromQL warning: sort is ineffective for range queries since results are always "
          "ordered by labels",
          PosSuffix(e.pos)));
    }
    if (name == "info") return EvalInfo(c);
    const FunctionImpl* impl = LookupFunctionImpl(name);
    if (impl == nullptr) {
      return absl::FailedPreconditionError(
          base::StrCat("function \"", name, "\" is not supported"));
    }
    if (impl->range != nullptr) return EvalRangeKernel(c, *impl);
    return EvalStepFunction(e, c, *impl);
  }

  // One step of the time shifts from an expression down to its first selector: the evaluation
  // time t becomes at.value_or(t) - offset, then (subqueries) the last multiple of `align`.
  struct TimeShift {
    std::optional<int64_t> at;
    int64_t offset = 0;
    int64_t align = 0;
  };

  // The shifts from `e` to the first selector it reads; false if it reads none.
  [[nodiscard]] absl::StatusOr<bool> ShiftsToSelector(const Expr& e, std::vector<TimeShift>& path) {
    if (const VectorSelector* vs = e.As<VectorSelector>()) {
      CS_ASSIGN_OR_RETURN(int64_t off, q_.Resolve(vs->offset));
      path.push_back(TimeShift{q_.AtTime(vs->at), off, 0});
      return true;
    }
    if (const MatrixSelector* ms = e.As<MatrixSelector>())
      return ShiftsToSelector(*ms->selector, path);
    if (const SubqueryExpr* sq = e.As<SubqueryExpr>()) {
      CS_ASSIGN_OR_RETURN(int64_t off, q_.Resolve(sq->offset));
      int64_t step = q_.engine->default_subquery_step_ms;
      if (sq->step.has_value()) {
        CS_ASSIGN_OR_RETURN(step, q_.Resolve(*sq->step));
      }
      path.push_back(TimeShift{q_.AtTime(sq->at), off, std::max<int64_t>(step, 1)});
      return ShiftsToSelector(*sq->expr, path);
    }
    std::vector<const Expr*> children;
    if (const ParenExpr* p = e.As<ParenExpr>()) children.push_back(p->expr.get());
    if (const UnaryExpr* u = e.As<UnaryExpr>()) children.push_back(u->expr.get());
    if (const BinaryExpr* b = e.As<BinaryExpr>()) children = {b->lhs.get(), b->rhs.get()};
    if (const AggregateExpr* a = e.As<AggregateExpr>()) children.push_back(a->expr.get());
    if (const Call* c = e.As<Call>()) {
      for (const ExprPtr& arg : c->args) children.push_back(arg.get());
    }
    for (const Expr* child : children) {
      size_t size = path.size();
      CS_ASSIGN_OR_RETURN(bool found, ShiftsToSelector(*child, path));
      if (found) return true;
      path.resize(size);
    }
    return false;
  }

  static int64_t ApplyShifts(const std::vector<TimeShift>& path, int64_t t) {
    for (const TimeShift& s : path) {
      t = s.at.value_or(t) - s.offset;
      if (s.align > 0) t = (t >= 0 ? t / s.align : -((-t + s.align - 1) / s.align)) * s.align;
    }
    return t;
  }

  [[nodiscard]] absl::StatusOr<Matrix> EvalInfo(const Call& c) {
    CS_ASSIGN_OR_RETURN(Matrix base, Eval(*c.args[0]));
    const Matrix& infos = q_.info_series.at(&c);
    // The info series are read at the time the base series' samples come from.
    std::vector<TimeShift> path;
    CS_RETURN_IF_ERROR(ShiftsToSelector(*c.args[0], path).status());
    std::vector<LabelMatcher> name_matchers = InfoNameMatchers(c);
    std::vector<LabelMatcher> data_matchers = InfoDataMatchers(c);
    // A base sample without an info series is kept unless a data matcher needs a value.
    bool required = false;
    for (const LabelMatcher& m : data_matchers) {
      CS_ASSIGN_OR_RETURN(bool matches_empty, MatcherMatches(m, ""));
      if (!matches_empty) required = true;
    }
    std::vector<std::string> data_names;
    for (const LabelMatcher& m : data_matchers) data_names.push_back(m.name);
    // Info series by identifying label values.
    auto identity = [](const Labels& labels) {
      std::string key;
      for (std::string_view name : kIdentifyingLabels) {
        base::StrAppend(&key, GetLabel(labels, name), std::string_view("\xff", 1));
      }
      return key;
    };
    absl::flat_hash_map<std::string, std::vector<uint32_t>> by_identity;
    for (size_t i = 0; i < infos.size(); ++i) {
      by_identity[identity(infos[i].labels)].push_back(static_cast<uint32_t>(i));
    }
    MatrixBuilder out;
    std::vector<std::pair<std::string_view, std::string_view>> added;
    absl::flat_hash_map<std::string_view, std::pair<int64_t, uint32_t>> latest;  // per name
    for (const Series& s : base) {
      CS_RETURN_IF_ERROR(q_.Poll());
      bool is_info = true;
      for (const LabelMatcher& m : name_matchers) {
        CS_ASSIGN_OR_RETURN(bool ok, MatcherMatches(m, GetLabel(s.labels, kMetricName)));
        is_info = is_info && ok;
      }
      auto cands = by_identity.find(identity(s.labels));
      if (is_info || cands == by_identity.end()) {
        if (!is_info && required) continue;
        size_t idx = out.Intern(s.labels, s.drop_name);
        for (const FPoint& p : s.points) CS_RETURN_IF_ERROR(out.Append(idx, p.t, p.v));
        continue;
      }
      for (const FPoint& p : s.points) {
        int64_t ref = ApplyShifts(path, p.t);
        // The info series present at ref; per metric name the one with the latest sample.
        latest.clear();
        for (uint32_t i : cands->second) {
          const std::vector<FPoint>& pts = infos[i].points;
          auto it = std::upper_bound(pts.begin(), pts.end(), ref,
                                     [](int64_t t, const FPoint& x) { return t < x.t; });
          if (it == pts.begin()) continue;
          const FPoint& last = *(it - 1);
          if (last.t <= ref - q_.lookback || IsStaleNaN(last.v)) continue;
          std::string_view name = GetLabel(infos[i].labels, kMetricName);
          auto [lit, inserted] = latest.try_emplace(name, last.t, i);
          if (!inserted && last.t > lit->second.first) lit->second = {last.t, i};
        }
        if (latest.empty()) {
          if (required) continue;
          CS_RETURN_IF_ERROR(out.Append(out.Intern(s.labels, s.drop_name), p.t, p.v));
          continue;
        }
        added.clear();
        for (const auto& entry : latest) {
          for (const Label& l : infos[entry.second.second].labels) {
            if (l.name == kMetricName) continue;
            bool identifying =
                std::find(std::begin(kIdentifyingLabels), std::end(kIdentifyingLabels), l.name) !=
                std::end(kIdentifyingLabels);
            if (data_names.empty()
                    ? identifying
                    : std::find(data_names.begin(), data_names.end(), l.name) == data_names.end()) {
              continue;
            }
            if (!GetLabel(s.labels, l.name).empty()) continue;  // the base's own label wins
            for (const auto& [name, value] : added) {
              if (name == l.name && value != l.value) {
                return absl::FailedPreconditionError(absl::StrFormat(
                    "conflicting label: %s has values %s and %s in different info series", l.name,
                    QuoteGo(value), QuoteGo(l.value)));
              }
            }
            added.emplace_back(l.name, l.value);
          }
        }
        Labels labels = s.labels;
        for (const auto& [name, value] : added) SetLabel(labels, name, value);
        CS_RETURN_IF_ERROR(out.Append(out.Intern(std::move(labels), s.drop_name), p.t, p.v));
      }
    }
    return out.Finish();
  }

  // Whether matcher `m` accepts `value`.
  [[nodiscard]] absl::StatusOr<bool> MatcherMatches(const LabelMatcher& m, std::string_view value) {
    switch (m.type) {
      case MatchType::kEqual:
        return value == m.value;
      case MatchType::kNotEqual:
        return value != m.value;
      case MatchType::kRegexMatch:
      case MatchType::kRegexNoMatch: {
        auto it = regexes_.find(m.value);
        if (it == regexes_.end()) {
          auto re = std::make_unique<RE2>("^(?:" + m.value + ")$", RE2::Quiet);
          if (!re->ok())
            return absl::InvalidArgumentError("invalid regular expression: " + m.value);
          it = regexes_.emplace(m.value, std::move(re)).first;
        }
        bool matched = RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *it->second);
        return m.type == MatchType::kRegexMatch ? matched : !matched;
      }
    }
    return false;
  }

  [[nodiscard]] absl::StatusOr<Matrix> EvalRangeKernel(const Call& c, const FunctionImpl& impl) {
    size_t matrix_arg = c.args.size();
    std::vector<std::vector<double>> scalars;
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (TypeOf(*c.args[i]) == ValueType::kMatrix) {
        matrix_arg = i;
        continue;
      }
      CS_ASSIGN_OR_RETURN(Matrix m, Eval(*c.args[i]));
      scalars.push_back(ScalarValues(grid_, m));
    }
    if (matrix_arg == c.args.size()) {
      return absl::InternalError(base::StrCat("function ", c.func->name, " has no range argument"));
    }
    CS_ASSIGN_OR_RETURN(RangeSource src, EvalRangeSource(*c.args[matrix_arg]));
    // Series are independent here: with an evaluation pool, contiguous slices of them are
    // evaluated in parallel and the slices' results, annotations and sample counts joined in
    // order, so the result is the same as one pass would give.
    const Matrix& series = src.series();
    const size_t slices = SlicesFor(series.size());
    std::vector<Matrix> outs(slices);
    std::vector<Annotations> notes(slices);
    std::atomic<int64_t> held{q_.current_samples};  // samples held, for max_samples
    CS_RETURN_IF_ERROR(base::ParallelFor(q_.engine->pool, slices, [&](size_t slice) {
      std::vector<FPoint> scratch;
      std::vector<double> scalar_args(scalars.size());
      uint32_t polls = 0;
      absl::Status error;
      RangeCall call;
      call.call = &c;
      call.annotations = &notes[slice];
      call.error = &error;
      const int64_t steps = grid_.num_steps();
      const size_t begin = series.size() * slice / slices;
      const size_t end_series = series.size() * (slice + 1) / slices;
      for (size_t i = begin; i < end_series; ++i) {
        const Series& s = series[i];
        CS_RETURN_IF_ERROR(q_.PollWith(polls));
        Series o{s.labels, {}, s.drop_name || impl.drops_name};
        WindowCursor cursor(s.points);
        call.labels = &s.labels;
        const auto [k_begin, k_end] = StepsMeeting(s.points, src, steps);
        for (int64_t k = k_begin; k < k_end; ++k) {
          if ((k - k_begin) % kStepsPerPoll == kStepsPerPoll - 1) {
            CS_RETURN_IF_ERROR(q_.PollWith(polls));
          }
          int64_t ts = grid_.StepTime(k);
          int64_t end = src.WindowEnd(ts);
          std::span<const FPoint> w = src.Window(cursor, end, scratch);
          if (w.empty()) continue;
          if (held.load(std::memory_order_relaxed) + static_cast<int64_t>(w.size()) >
              q_.engine->max_samples) {
            return q_.TooManySamples();
          }
          for (size_t j = 0; j < scalars.size(); ++j) {
            scalar_args[j] = scalars[j][static_cast<size_t>(k)];
          }
          call.points = w;
          call.range_start_ms = end - src.range_ms;
          call.range_end_ms = end;
          call.eval_ms = ts;
          call.scalars = scalar_args;
          std::optional<double> v = impl.range(call);
          if (!error.ok()) return absl::FailedPreconditionError(error.message());
          if (v.has_value()) o.points.push_back(FPoint{ts, *v});
        }
        if (o.points.empty()) continue;
        const int64_t n = static_cast<int64_t>(o.points.size());
        if (held.fetch_add(n, std::memory_order_relaxed) + n > q_.engine->max_samples) {
          return q_.TooManySamples();
        }
        outs[slice].push_back(std::move(o));
      }
      return absl::OkStatus();
    }));
    Matrix out = std::move(outs[0]);
    for (size_t slice = 1; slice < slices; ++slice) {
      out.insert(out.end(), std::make_move_iterator(outs[slice].begin()),
                 std::make_move_iterator(outs[slice].end()));
    }
    for (const Annotations& n : notes) q_.annotations.Merge(n);
    CS_RETURN_IF_ERROR(q_.AddSamples(CountPoints(out)));
    return out;
  }

  // The steps [begin, end) whose window can hold one of `points` (sorted by time): a window
  // (end - range, end] meets [first, last] when first <= end < last + range, and end moves with
  // the step. All steps where it does not (@) or where windows reach past the range (anchored,
  // smoothed). A series alive for an hour of a day's query is then evaluated at an hour's steps.
  std::pair<int64_t, int64_t> StepsMeeting(std::span<const FPoint> points, const RangeSource& src,
                                           int64_t steps) const {
    if (points.empty()) return {0, 0};
    if (src.at_ms.has_value() || src.anchored || src.smoothed) return {0, steps};
    // Step k's window ends at base + k * interval.
    const __int128 base = static_cast<__int128>(grid_.start) - src.offset_ms;
    const __int128 first = static_cast<__int128>(points.front().t) - base;
    const __int128 last = static_cast<__int128>(points.back().t) + src.range_ms - base;
    auto ceil_div = [](__int128 a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); };
    const __int128 begin = std::max<__int128>(0, ceil_div(first, grid_.interval));
    const __int128 end = std::min<__int128>(steps, ceil_div(last, grid_.interval));
    if (begin >= end) return {0, 0};
    return {static_cast<int64_t>(begin), static_cast<int64_t>(end)};
  }

  // How many slices EvalRangeKernel cuts `n` series into: one per pool thread and one for the
  // calling thread, each of at least kMinSeriesPerSlice series (fewer are not worth a hand-off).
  size_t SlicesFor(size_t n) const {
    constexpr size_t kMinSeriesPerSlice = 1024;
    const base::ThreadPool* pool = q_.engine->pool;
    if (pool == nullptr) return 1;
    return std::clamp<size_t>(n / kMinSeriesPerSlice, 1, pool->num_threads() + 1);
  }

  [[nodiscard]] absl::StatusOr<Matrix> EvalStepFunction(const Expr& e, const Call& c,
                                                        const FunctionImpl& impl) {
    struct Arg {
      ValueType type = ValueType::kNone;
      std::string_view str;
      std::vector<double> scalar;
      Matrix grid;
      std::vector<std::vector<int64_t>> times;  // timestamp(): each point's sample time
      std::optional<StepWalker> walker;
      std::vector<uint32_t> present;  // the series in `vec`
      RangeSource range;
      std::vector<WindowCursor> cursors;
      std::vector<FPoint> scratch;
      Vector vec;
      Matrix windows;
    };
    std::vector<Arg> args(c.args.size());
    for (size_t i = 0; i < c.args.size(); ++i) {
      Arg& a = args[i];
      a.type = TypeOf(*c.args[i]);
      switch (a.type) {
        case ValueType::kString: {
          const StringLiteral* s = UnwrapParens(*c.args[i]).As<StringLiteral>();
          if (s == nullptr) return absl::InternalError("string argument is not a literal");
          a.str = s->value;
          break;
        }
        case ValueType::kScalar: {
          CS_ASSIGN_OR_RETURN(Matrix m, Eval(*c.args[i]));
          a.scalar = ScalarValues(grid_, m);
          break;
        }
        case ValueType::kVector: {
          const VectorSelector* vs = UnwrapParens(*c.args[i]).As<VectorSelector>();
          if (c.func->name == "timestamp" && vs != nullptr) {
            CS_ASSIGN_OR_RETURN(a.grid, EvalVectorSelector(*vs, &a.times));
          } else {
            CS_ASSIGN_OR_RETURN(a.grid, Eval(*c.args[i]));
          }
          break;
        }
        case ValueType::kMatrix: {
          CS_ASSIGN_OR_RETURN(a.range, EvalRangeSource(*c.args[i]));
          for (const Series& s : a.range.series()) a.cursors.emplace_back(s.points);
          break;
        }
        default:
          return absl::InternalError("argument of unexpected type");
      }
    }
    for (Arg& a : args) {
      if (a.type == ValueType::kVector) a.walker.emplace(a.grid);
    }
    MatrixBuilder out;
    std::vector<StepArg> step_args(args.size());
    std::vector<uint32_t> present;
    Vector result;
    std::vector<size_t> last_out;  // the output series of each result position, last step
    for (int64_t k = 0; k < grid_.num_steps(); ++k) {
      CS_RETURN_IF_ERROR(q_.Poll());
      int64_t ts = grid_.StepTime(k);
      for (size_t i = 0; i < args.size(); ++i) {
        Arg& a = args[i];
        switch (a.type) {
          case ValueType::kString:
            step_args[i] = a.str;
            break;
          case ValueType::kScalar:
            step_args[i] = a.scalar[static_cast<size_t>(k)];
            break;
          case ValueType::kVector: {
            a.walker->At(ts, present);
            // The same series as at the previous step (the usual case): only values change,
            // so the labels are not copied again.
            bool same = present == a.present;
            if (!same) {
              a.vec.clear();
              a.present = present;
            }
            for (size_t j = 0; j < present.size(); ++j) {
              uint32_t s = present[j];
              int64_t t = a.times.empty() ? ts : a.times[s][a.walker->position(s)];
              if (same) {
                a.vec[j].t = t;
                a.vec[j].v = a.walker->value(s);
              } else {
                a.vec.push_back(
                    Sample{a.grid[s].labels, t, a.walker->value(s), a.grid[s].drop_name});
              }
            }
            step_args[i] = &a.vec;
            break;
          }
          case ValueType::kMatrix: {
            a.windows.clear();
            int64_t end = a.range.WindowEnd(ts);
            for (size_t s = 0; s < a.cursors.size(); ++s) {
              std::span<const FPoint> w = a.range.Window(a.cursors[s], end, a.scratch);
              if (w.empty()) continue;
              const Series& src = (a.range.series())[s];
              a.windows.push_back(
                  Series{src.labels, std::vector<FPoint>(w.begin(), w.end()), src.drop_name});
            }
            step_args[i] = &a.windows;
            break;
          }
          default:
            break;
        }
      }
      result.clear();
      StepCall call;
      call.call = &c;
      call.pos = e.pos;
      call.eval_ms = ts;
      call.args = step_args;
      call.annotations = &q_.annotations;
      absl::Status st = impl.step(call, result);
      if (!st.ok()) {
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          return absl::FailedPreconditionError(st.message());
        }
        return st;
      }
      if (last_out.size() < result.size()) last_out.resize(result.size(), SIZE_MAX);
      for (size_t j = 0; j < result.size(); ++j) {
        last_out[j] =
            out.InternWithHint(last_out[j], std::move(result[j].labels), result[j].drop_name);
        CS_RETURN_IF_ERROR(out.Append(last_out[j], ts, result[j].v));
      }
    }
    return out.Finish();
  }

  QueryState& q_;
  absl::flat_hash_map<std::string, std::unique_ptr<RE2>> regexes_;  // info() name matchers
  const Grid grid_;
};

// Removes the metric name from series marked drop_name, then merges series that now share a
// label set if their points do not overlap (else Prometheus's duplicate-labelset error), and
// sorts by labels.
absl::StatusOr<Matrix> FinishMatrix(Matrix m) {
  for (Series& s : m) {
    if (s.drop_name) DropMetadataLabels(s.labels);
    s.drop_name = false;
  }
  std::stable_sort(m.begin(), m.end(),
                   [](const Series& a, const Series& b) { return LabelsLess(a.labels, b.labels); });
  Matrix out;
  for (Series& s : m) {
    if (!out.empty() && out.back().labels == s.labels) {
      std::vector<FPoint>& pts = out.back().points;
      std::vector<FPoint> merged;
      merged.reserve(pts.size() + s.points.size());
      std::merge(pts.begin(), pts.end(), s.points.begin(), s.points.end(),
                 std::back_inserter(merged),
                 [](const FPoint& a, const FPoint& b) { return a.t < b.t; });
      for (size_t i = 1; i < merged.size(); ++i) {
        if (merged[i].t == merged[i - 1].t) {
          return absl::FailedPreconditionError(
              "vector cannot contain metrics with the same labelset");
        }
      }
      pts = std::move(merged);
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool KeepsInstantOrder(const Expr& expr) {
  const Expr& e = UnwrapParens(expr);
  if (const Call* c = e.As<Call>()) {
    std::string_view n = c->func->name;
    return n == "sort" || n == "sort_desc" || n == "sort_by_label" || n == "sort_by_label_desc";
  }
  if (const AggregateExpr* a = e.As<AggregateExpr>()) {
    return a->op == AggregateOp::kTopk || a->op == AggregateOp::kBottomk;
  }
  return false;
}

QueryState NewState(const EngineOptions& engine, Querier& querier, const QueryOptions& options,
                    int64_t start, int64_t end, int64_t step) {
  QueryState q;
  q.engine = &engine;
  q.querier = &querier;
  q.options = &options;
  q.query_start = start;
  q.query_end = end;
  q.query_step = step;
  q.lookback = options.lookback_delta_ms > 0 ? options.lookback_delta_ms : engine.lookback_delta_ms;
  return q;
}

absl::Status CheckDeadline(const QueryOptions& options) {
  if (options.cancelled != nullptr && options.cancelled->load()) {
    return absl::CancelledError("query was canceled before evaluation");
  }
  if (absl::Now() > options.deadline) {
    return absl::DeadlineExceededError("query timed out in query queue");
  }
  return absl::OkStatus();
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(options) {}

absl::StatusOr<QueryResult> Engine::InstantQuery(Querier& querier, const Expr& expr,
                                                 int64_t time_ms,
                                                 const QueryOptions& options) const {
  CS_RETURN_IF_ERROR(CheckDeadline(options));
  CS_RETURN_IF_ERROR(CheckedTime(time_ms).status());
  QueryState q = NewState(options_, querier, options, time_ms, time_ms, 0);
  QueryResult result;
  ValueType type = TypeOf(expr);
  if (type == ValueType::kString) {
    const StringLiteral* s = UnwrapParens(expr).As<StringLiteral>();
    if (s == nullptr) return absl::InternalError("string expression is not a literal");
    result.value = String{time_ms, s->value};
    return result;
  }
  CS_RETURN_IF_ERROR(Prefetch(q, expr, time_ms, time_ms, ""));
  Evaluator ev(q, Grid{time_ms, time_ms, 1});
  if (type == ValueType::kMatrix) {
    CS_ASSIGN_OR_RETURN(Matrix m, ev.EvalRangeVectorAt(expr, time_ms));
    CS_ASSIGN_OR_RETURN(result.value, FinishMatrix(std::move(m)));
  } else {
    CS_ASSIGN_OR_RETURN(Matrix m, ev.Eval(expr));
    if (type == ValueType::kScalar) {
      result.value = Scalar{time_ms, m.empty() || m[0].points.empty() ? NAN : m[0].points[0].v};
    } else {
      Vector v;
      v.reserve(m.size());
      for (Series& s : m) {
        if (s.drop_name) DropMetadataLabels(s.labels);
        v.push_back(Sample{std::move(s.labels), time_ms, s.points[0].v, false});
      }
      if (!KeepsInstantOrder(expr)) {
        std::stable_sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) {
          return LabelsLess(a.labels, b.labels);
        });
      }
      std::vector<const Labels*> sorted;
      sorted.reserve(v.size());
      for (const Sample& s : v) sorted.push_back(&s.labels);
      std::sort(sorted.begin(), sorted.end(),
                [](const Labels* a, const Labels* b) { return LabelsLess(*a, *b); });
      for (size_t i = 1; i < sorted.size(); ++i) {
        if (*sorted[i] == *sorted[i - 1]) {
          return absl::FailedPreconditionError(
              "vector cannot contain metrics with the same labelset");
        }
      }
      result.value = std::move(v);
    }
  }
  for (std::string& warning : querier.Warnings()) q.annotations.AddWarning(std::move(warning));
  result.annotations = std::move(q.annotations);
  result.stats = q.stats;
  return result;
}

absl::StatusOr<QueryResult> Engine::RangeQuery(Querier& querier, const Expr& expr, int64_t start_ms,
                                               int64_t end_ms, int64_t step_ms,
                                               const QueryOptions& options) const {
  ValueType type = TypeOf(expr);
  if (type != ValueType::kScalar && type != ValueType::kVector) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid expression type \"", ValueTypeName(type),
                     "\" for range query, must be Scalar or instant Vector"));
  }
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  CS_RETURN_IF_ERROR(CheckedTime(start_ms).status());
  CS_RETURN_IF_ERROR(CheckedTime(end_ms).status());
  if (end_ms < start_ms) {
    return absl::InvalidArgumentError("end timestamp must not be before start time");
  }
  if ((end_ms - start_ms) / step_ms + 1 > kMaxPointsPerSeries) {
    return absl::InvalidArgumentError(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  CS_RETURN_IF_ERROR(CheckDeadline(options));
  QueryState q = NewState(options_, querier, options, start_ms, end_ms, step_ms);
  CS_RETURN_IF_ERROR(Prefetch(q, expr, start_ms, end_ms, ""));
  Evaluator ev(q, Grid{start_ms, end_ms, step_ms});
  CS_ASSIGN_OR_RETURN(Matrix m, ev.Eval(expr));
  QueryResult result;
  CS_ASSIGN_OR_RETURN(result.value, FinishMatrix(std::move(m)));
  for (std::string& warning : querier.Warnings()) q.annotations.AddWarning(std::move(warning));
  result.annotations = std::move(q.annotations);
  result.stats = q.stats;
  return result;
}

}  // namespace cardinalsin::promql
