#include "promql/internal/eval_aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "model/labels.h"

namespace cardinalsin::promql::internal {
namespace {

// Prometheus's Kahan-Babuska-Neumaier increment (kahanSumInc).
void KahanInc(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::isinf(t)) {
    c = 0;
  } else if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

// One group's state at one step (sum, avg, min, max, count, group, stddev, stdvar, quantile).
struct Group {
  bool seen = false;
  bool incremental = false;
  double value = 0;
  double kahan = 0;
  double mean = 0;
  double count = 0;
  std::vector<double> values;  // quantile
};

// The labels of the group a series with `in` belongs to: only the `by` labels, or all but the
// `without` labels and the metric name (with the type-and-unit labels).
Labels GroupLabels(const Labels& in, const AggregateExpr& a) {
  Labels out;
  for (const Label& l : in) {
    bool listed = std::find(a.grouping.begin(), a.grouping.end(), l.name) != a.grouping.end();
    if (a.without ? (!listed && !IsMetadataLabel(l.name)) : listed) out.push_back(l);
  }
  return out;
}

// Prometheus's quantile(): linear interpolation between closest ranks, NaN values first.
double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(values.begin(), values.end(), [](double x, double y) {
    if (std::isnan(x)) return !std::isnan(y);
    if (std::isnan(y)) return false;
    return x < y;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

// count_values: per group and step, how many samples have each value; the value (Go's 'f'
// formatting) goes into `label`.
absl::StatusOr<Matrix> AggregateCountValues(QueryState& q, const Grid& grid, const Matrix& in,
                                            const std::vector<uint32_t>& group_of,
                                            const std::vector<Labels>& group_labels,
                                            const std::vector<bool>& group_drop,
                                            const std::string& label) {
  MatrixBuilder out;
  StepWalker walker(in);
  std::vector<uint32_t> present;
  absl::flat_hash_map<std::pair<uint32_t, std::string>, double> counts;
  std::vector<std::pair<uint32_t, std::string>> order;
  for (int64_t k = 0; k < grid.num_steps(); ++k) {
    CS_RETURN_IF_ERROR(q.Poll());
    int64_t t = grid.StepTime(k);
    walker.At(t, present);
    counts.clear();
    order.clear();
    for (uint32_t i : present) {
      auto key = std::pair(group_of[i], FormatGoF(walker.value(i)));
      auto [it, inserted] = counts.try_emplace(key, 0);
      if (inserted) order.push_back(key);
      it->second++;
    }
    for (const auto& key : order) {
      Labels labels = group_labels[key.first];
      SetLabel(labels, label, key.second);
      size_t idx = out.Intern(std::move(labels), group_drop[key.first]);
      CS_RETURN_IF_ERROR(out.Append(idx, t, counts[key]));
    }
  }
  return out.Finish();
}

// Go's container/heap over `heap` (input indices) ordered by `less`.
template <typename Less>
void HeapUp(std::vector<uint32_t>& h, size_t j, Less less) {
  while (j > 0) {
    size_t i = (j - 1) / 2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}

template <typename Less>
void HeapDown(std::vector<uint32_t>& h, size_t i, Less less) {
  size_t n = h.size();
  for (;;) {
    size_t j1 = 2 * i + 1;
    if (j1 >= n) break;
    size_t j = j1;
    if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    i = j;
  }
}

// Prometheus's HashRatioSampler offset of a series: its label hash scaled to [0, 1]. The hash is
// Prometheus's labels.Hash() (xxHash64 of name 0xff value 0xff ..., which is our SeriesId), so
// limit_ratio keeps the same series as Prometheus, across queries and restarts.
double RatioOffset(const Labels& labels) {
  std::vector<model::Label> view;
  view.reserve(labels.size());
  for (const Label& l : labels) view.push_back(model::Label{l.name, l.value});
  return static_cast<double>(model::ComputeSeriesId(view)) /
         static_cast<double>(std::numeric_limits<uint64_t>::max());
}

// topk, bottomk, limitk, limit_ratio: the input samples each group keeps at each step, in
// Prometheus's output order (topk descending, bottomk ascending, NaN last; limit* input order).
absl::StatusOr<Matrix> AggregateSelect(QueryState& q, const Grid& grid, const AggregateExpr& a,
                                       const Matrix& in, const std::vector<uint32_t>& group_of,
                                       size_t num_groups, const std::vector<double>& param) {
  MatrixBuilder out;
  std::vector<int64_t> out_idx(in.size(), -1);
  std::vector<std::vector<uint32_t>> heaps(num_groups);
  std::vector<uint32_t> touched;
  std::vector<double> offsets;
  if (a.op == AggregateOp::kLimitRatio) {
    offsets.resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) offsets[i] = RatioOffset(in[i].labels);
  }
  StepWalker walker(in);
  std::vector<uint32_t> present;
  bool warned_ratio = false;
  for (int64_t k = 0; k < grid.num_steps(); ++k) {
    CS_RETURN_IF_ERROR(q.Poll());
    int64_t t = grid.StepTime(k);
    double p = param[static_cast<size_t>(k)];
    int64_t limit = 0;
    double ratio = 0;
    if (a.op == AggregateOp::kLimitRatio) {
      if (std::isnan(p)) return absl::FailedPreconditionError("Ratio value is NaN");
      ratio = p;
      if (ratio > 1 || ratio < -1) {
        double capped = ratio > 1 ? 1 : -1;
        if (!warned_ratio) {
          q.annotations.AddWarning(base::StrCat(
              "PromQL warning: ratio value should be between -1 and 1, got ", FormatGoG(ratio),
              ", capping to ", FormatGoG(capped), PosSuffix(a.param->pos)));
          warned_ratio = true;
        }
        ratio = capped;
      }
    } else {
      if (std::isnan(p)) return absl::FailedPreconditionError("Parameter value is NaN");
      if (p >= 9.2e18) {
        limit = std::numeric_limits<int64_t>::max();
      } else if (p <= -9.2e18) {
        limit = std::numeric_limits<int64_t>::min();
      } else {
        limit = static_cast<int64_t>(p);
      }
      if (limit < 1) continue;
    }
    walker.At(t, present);
    touched.clear();
    const bool top = a.op == AggregateOp::kTopk;
    // topk keeps the smallest kept value at heap[0]; bottomk the biggest.
    auto less = [&](uint32_t x, uint32_t y) {
      double vx = walker.value(x);
      double vy = walker.value(y);
      if (std::isnan(vx)) return true;
      return top ? vx < vy : vx > vy;
    };
    for (uint32_t i : present) {
      std::vector<uint32_t>& h = heaps[group_of[i]];
      if (h.empty()) touched.push_back(group_of[i]);
      double f = walker.value(i);
      switch (a.op) {
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk: {
          if (static_cast<int64_t>(h.size()) < limit) {
            h.push_back(i);
            HeapUp(h, h.size() - 1, less);
          } else {
            double root = walker.value(h[0]);
            bool better = top ? root < f : root > f;
            if (better || (std::isnan(root) && !std::isnan(f))) {
              h[0] = i;
              if (limit > 1) HeapDown(h, 0, less);
            }
          }
          break;
        }
        case AggregateOp::kLimitk:
          if (static_cast<int64_t>(h.size()) < limit) h.push_back(i);
          break;
        case AggregateOp::kLimitRatio: {
          double off = offsets[i];
          if ((ratio >= 0 && off < ratio) || (ratio < 0 && off >= 1.0 + ratio)) h.push_back(i);
          break;
        }
        default:
          break;
      }
    }
    for (uint32_t gi : touched) {
      std::vector<uint32_t>& h = heaps[gi];
      if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk) {
        std::stable_sort(h.begin(), h.end(), [&](uint32_t x, uint32_t y) { return less(y, x); });
      }
      for (uint32_t i : h) {
        if (out_idx[i] < 0) {
          out_idx[i] = static_cast<int64_t>(out.Intern(in[i].labels, in[i].drop_name));
        }
        CS_RETURN_IF_ERROR(out.Append(static_cast<size_t>(out_idx[i]), t, walker.value(i)));
      }
      h.clear();
    }
  }
  return out.Finish();
}

}  // namespace

absl::StatusOr<Matrix> EvalAggregation(QueryState& q, const Grid& grid, const AggregateExpr& a,
                                       const Matrix& in, const std::vector<double>& param) {
  std::string count_label;
  if (a.op == AggregateOp::kCountValues) {
    const StringLiteral* s = UnwrapParens(*a.param).As<StringLiteral>();
    if (s == nullptr) return absl::InternalError("count_values parameter is not a string");
    count_label = s->value;
    if (count_label.empty() || !model::IsValidUtf8(count_label)) {
      return absl::FailedPreconditionError(
          absl::StrFormat("invalid label name %s", QuoteGo(count_label)));
    }
  }
  // Groups, computed once per input series.
  std::vector<uint32_t> group_of(in.size());
  std::vector<Labels> group_labels;
  std::vector<bool> group_drop;
  {
    absl::flat_hash_map<uint64_t, std::vector<uint32_t>> index;
    for (size_t i = 0; i < in.size(); ++i) {
      Labels g = GroupLabels(in[i].labels, a);
      std::vector<uint32_t>& bucket = index[HashLabels(g)];
      uint32_t found = UINT32_MAX;
      for (uint32_t gi : bucket) {
        if (group_labels[gi] == g) found = gi;
      }
      if (found == UINT32_MAX) {
        found = static_cast<uint32_t>(group_labels.size());
        bucket.push_back(found);
        group_labels.push_back(std::move(g));
        group_drop.push_back(false);
      }
      group_of[i] = found;
      if (in[i].drop_name) group_drop[found] = true;
    }
  }
  for (size_t g = 0; g < group_labels.size(); ++g) {
    if (GetLabel(group_labels[g], kMetricName).empty()) group_drop[g] = false;
  }
  switch (a.op) {
    case AggregateOp::kTopk:
    case AggregateOp::kBottomk:
    case AggregateOp::kLimitk:
    case AggregateOp::kLimitRatio:
      return AggregateSelect(q, grid, a, in, group_of, group_labels.size(), param);
    case AggregateOp::kCountValues:
      return AggregateCountValues(q, grid, in, group_of, group_labels, group_drop, count_label);
    default:
      break;
  }
  if (a.op == AggregateOp::kQuantile) {
    for (double p : param) {
      if (std::isnan(p) || p < 0 || p > 1) {
        q.annotations.AddWarning(
            base::StrCat("PromQL warning: quantile value should be between 0 and 1, got ",
                         FormatGoG(p), PosSuffix(a.param->pos)));
        break;
      }
    }
  }
  MatrixBuilder out;
  std::vector<int64_t> out_idx(group_labels.size(), -1);
  std::vector<Group> groups(group_labels.size());
  std::vector<uint32_t> seen_order;
  StepWalker walker(in);
  std::vector<uint32_t> present;
  for (int64_t k = 0; k < grid.num_steps(); ++k) {
    CS_RETURN_IF_ERROR(q.Poll());
    int64_t t = grid.StepTime(k);
    walker.At(t, present);
    seen_order.clear();
    for (uint32_t i : present) {
      double f = walker.value(i);
      uint32_t gi = group_of[i];
      Group& g = groups[gi];
      if (!g.seen) {
        g = Group{};
        g.seen = true;
        g.value = f;
        g.mean = f;
        g.count = 1;
        if (a.op == AggregateOp::kStddev || a.op == AggregateOp::kStdvar) {
          g.value = std::isnan(f) || std::isinf(f) ? NAN : 0;
        }
        if (a.op == AggregateOp::kQuantile) g.values.push_back(f);
        seen_order.push_back(gi);
        continue;
      }
      switch (a.op) {
        case AggregateOp::kSum:
          KahanInc(f, g.value, g.kahan);
          break;
        case AggregateOp::kAvg: {
          g.count++;
          if (!g.incremental) {
            double nv = g.value;
            double nc = g.kahan;
            KahanInc(f, nv, nc);
            if (!std::isinf(nv)) {
              g.value = nv;
              g.kahan = nc;
              break;
            }
            // The sum would overflow: continue with the incremental mean.
            g.incremental = true;
            g.mean = g.value / (g.count - 1);
            g.kahan /= g.count - 1;
          }
          if (std::isinf(g.mean)) {
            if (std::isinf(f) && (g.mean > 0) == (f > 0)) break;
            if (!std::isinf(f) && !std::isnan(f)) break;
          }
          double scale = (g.count - 1) / g.count;
          double m = scale * g.mean;
          double c = scale * g.kahan;
          KahanInc(f / g.count, m, c);
          g.mean = m;
          g.kahan = c;
          break;
        }
        case AggregateOp::kMin:
          if (g.value > f || std::isnan(g.value)) g.value = f;
          break;
        case AggregateOp::kMax:
          if (g.value < f || std::isnan(g.value)) g.value = f;
          break;
        case AggregateOp::kCount:
        case AggregateOp::kGroup:
          g.count++;
          break;
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar: {
          g.count++;
          double delta = f - g.mean;
          g.mean += delta / g.count;
          g.value += delta * (f - g.mean);
          break;
        }
        case AggregateOp::kQuantile:
          g.values.push_back(f);
          break;
        default:
          break;
      }
    }
    for (uint32_t gi : seen_order) {
      Group& g = groups[gi];
      g.seen = false;
      double v = 0;
      switch (a.op) {
        case AggregateOp::kSum:
          v = g.value + g.kahan;
          break;
        case AggregateOp::kAvg:
          v = g.incremental ? g.mean + g.kahan : (g.value + g.kahan) / g.count;
          break;
        case AggregateOp::kMin:
        case AggregateOp::kMax:
          v = g.value;
          break;
        case AggregateOp::kCount:
          v = g.count;
          break;
        case AggregateOp::kGroup:
          v = 1;
          break;
        case AggregateOp::kStdvar:
          v = g.value / g.count;
          break;
        case AggregateOp::kStddev:
          v = std::sqrt(g.value / g.count);
          break;
        case AggregateOp::kQuantile:
          v = Quantile(param[static_cast<size_t>(k)], g.values);
          g.values.clear();
          break;
        default:
          break;
      }
      if (out_idx[gi] < 0) {
        out_idx[gi] = static_cast<int64_t>(out.Intern(group_labels[gi], group_drop[gi]));
      }
      CS_RETURN_IF_ERROR(out.Append(static_cast<size_t>(out_idx[gi]), t, v));
    }
  }
  return out.Finish();
}

}  // namespace cardinalsin::promql::internal
