// File: internal/eval_common.h
//
// Private to the PromQL engine (engine.cc and internal/eval_*.cc; not for use elsewhere): the
// query-wide state, the step grid evaluation runs on, and the building blocks operators,
// aggregations and functions share.
//
// A grid matrix is how a scalar or instant-vector expression evaluates over a Grid: one series
// per label set with at most one point per step, at the step times. A scalar is a grid matrix
// of one series without labels with a point at every step.
//
// Thread-safety: one QueryState and its grids belong to one query on one thread.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "promql/ast.h"
#include "promql/engine.h"
#include "promql/value.h"

namespace cardinalsin::promql::internal {

// How many QueryState::Poll() calls pass between two reads of the clock.
inline constexpr uint32_t kPollClockEvery = 256;

// The evaluation times start, start + interval, ... <= end. REQUIRES: interval > 0, end >= start.
struct Grid {
  int64_t start = 0;
  int64_t end = 0;
  int64_t interval = 1;

  int64_t num_steps() const { return (end - start) / interval + 1; }
  int64_t StepTime(int64_t k) const { return start + k * interval; }
  // The step index of a step time.
  size_t Index(int64_t t) const { return static_cast<size_t>((t - start) / interval); }
};

// Query-wide state shared by every evaluator of one query (subqueries have their own grids).
struct QueryState {
  const EngineOptions* engine = nullptr;
  Querier* querier = nullptr;
  const QueryOptions* options = nullptr;
  int64_t query_start = 0;
  int64_t query_end = 0;
  int64_t query_step = 0;  // 0 for an instant query
  int64_t lookback = 0;
  Annotations annotations;
  QueryStats stats;
  // The samples of every selector, read once before evaluation. Matrix selectors' series have
  // their staleness markers removed.
  absl::flat_hash_map<const VectorSelector*, Matrix> selected;
  // The info series of each info() call, read over the times its first argument's selectors
  // read (select_min_ms/select_max_ms track those bounds while prefetching).
  absl::flat_hash_map<const Call*, Matrix> info_series;
  int64_t select_min_ms = std::numeric_limits<int64_t>::max();
  int64_t select_max_ms = std::numeric_limits<int64_t>::min();
  int64_t current_samples = 0;
  uint32_t polls = 0;

  // Polls cancellation (each call) and the deadline (every kPollClockEvery calls).
  [[nodiscard]] absl::Status Poll() { return PollWith(polls); }
  // Poll() counting calls in `counter`: thread-safe, for work split across threads.
  [[nodiscard]] absl::Status PollWith(uint32_t& counter) const;
  // The error AddSamples gives past max_samples.
  [[nodiscard]] static absl::Status TooManySamples();
  // Counts `n` more samples held; ResourceExhausted (Prometheus's text) past max_samples.
  [[nodiscard]] absl::Status AddSamples(int64_t n);
  // A duration of the query (ranges, steps, offsets) in milliseconds.
  [[nodiscard]] absl::StatusOr<int64_t> Resolve(const DurationValue& d) const {
    return d.Resolve(query_step, query_end - query_start);
  }
  // The time an @ modifier pins, if any.
  std::optional<int64_t> AtTime(const AtModifier& at) const;
};

// `e` without enclosing parentheses.
const Expr& UnwrapParens(const Expr& e);
// The points of all series.
int64_t CountPoints(const Matrix& m);
// The value at every step of a scalar grid matrix (NaN where absent).
std::vector<double> ScalarValues(const Grid& grid, const Matrix& m);
// Go's fmt %g of a float64 (annotation texts): "1e-05", "0.5", "1e+06", "NaN", "+Inf".
std::string FormatGoG(double v);
// Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest text that reads back as v, never in
// exponent form (count_values' label values).
std::string FormatGoF(double v);
// Go's %q of a string, invalid UTF-8 bytes as \x escapes (error texts).
std::string QuoteGo(std::string_view s);
// Prometheus's position suffix of an annotation: " (1:<column>)" for a one-line query.
std::string PosSuffix(const PosRange& pos);
// The metric name and the type-and-unit labels (__type__, __unit__), which Prometheus drops
// together.
bool IsMetadataLabel(std::string_view name);
void DropMetadataLabels(Labels& labels);

// Collects output series by label set, one point per step each.
class MatrixBuilder {
 public:
  // The index of the output series with `labels`, created if new. A series reached with
  // drop_name set keeps it.
  size_t Intern(const Labels& labels, bool drop_name) {
    uint64_t h = HashLabels(labels);
    std::vector<size_t>& bucket = index_[h];
    for (size_t i : bucket) {
      if (out_[i].labels == labels) {
        out_[i].drop_name = out_[i].drop_name || drop_name;
        return i;
      }
    }
    out_.push_back(Series{labels, {}, drop_name});
    bucket.push_back(out_.size() - 1);
    return out_.size() - 1;
  }
  size_t Intern(Labels&& labels, bool drop_name) {
    uint64_t h = HashLabels(labels);
    std::vector<size_t>& bucket = index_[h];
    for (size_t i : bucket) {
      if (out_[i].labels == labels) {
        out_[i].drop_name = out_[i].drop_name || drop_name;
        return i;
      }
    }
    out_.push_back(Series{std::move(labels), {}, drop_name});
    bucket.push_back(out_.size() - 1);
    return out_.size() - 1;
  }
  // Intern(), trying the series at `hint` first (a function's outputs usually come in the
  // same order at every step).
  size_t InternWithHint(size_t hint, Labels&& labels, bool drop_name) {
    if (hint < out_.size() && out_[hint].labels == labels) {
      out_[hint].drop_name = out_[hint].drop_name || drop_name;
      return hint;
    }
    return Intern(std::move(labels), drop_name);
  }
  [[nodiscard]] absl::Status Append(size_t idx, int64_t t, double v) {
    std::vector<FPoint>& pts = out_[idx].points;
    if (!pts.empty() && pts.back().t == t) {
      return absl::FailedPreconditionError("vector cannot contain metrics with the same labelset");
    }
    pts.push_back(FPoint{t, v});
    return absl::OkStatus();
  }
  Matrix Finish() {
    std::erase_if(out_, [](const Series& s) { return s.points.empty(); });
    return std::move(out_);
  }

 private:
  absl::flat_hash_map<uint64_t, std::vector<size_t>> index_;
  Matrix out_;
};

// Walks a grid matrix step by step: the series with a point at each step.
class StepWalker {
 public:
  explicit StepWalker(const Matrix& m) : m_(m), pos_(m.size(), 0) {}
  // Fills `present` with the indices of series that have a point at `t`; their values are
  // value(i). REQUIRES: t ascending across calls.
  void At(int64_t t, std::vector<uint32_t>& present) {
    present.clear();
    for (size_t i = 0; i < m_.size(); ++i) {
      const std::vector<FPoint>& pts = m_[i].points;
      size_t& p = pos_[i];
      while (p < pts.size() && pts[p].t < t) ++p;
      if (p < pts.size() && pts[p].t == t) present.push_back(static_cast<uint32_t>(i));
    }
  }
  double value(uint32_t i) const { return m_[i].points[pos_[i]].v; }
  // The index of series i's point at the last At() time.
  size_t position(uint32_t i) const { return pos_[i]; }

 private:
  const Matrix& m_;
  std::vector<size_t> pos_;
};

}  // namespace cardinalsin::promql::internal
