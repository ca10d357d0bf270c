#include "promql/internal/eval_binary.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cardinalsin::promql::internal {
namespace {

uint64_t HashMatching(const Labels& labels, bool on, const std::vector<std::string>& names) {
  size_t h = 0x2545f4914f6cdd1dULL;
  for (const Label& l : labels) {
    bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (on ? !listed : (listed || l.name == kMetricName)) continue;
    h = absl::HashOf(h, absl::string_view(l.name.data(), l.name.size()),
                     absl::string_view(l.value.data(), l.value.size()));
  }
  return h;
}

Labels MatchingLabels(const Labels& labels, bool on, const std::vector<std::string>& names) {
  Labels out;
  for (const Label& l : labels) {
    bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (on ? listed : (!listed && l.name != kMetricName)) out.push_back(l);
  }
  return out;
}

bool DropsName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
    case BinaryOp::kPow:
    case BinaryOp::kAtan2:
      return true;
    default:
      return false;
  }
}

// The value of `l op r` and whether a comparison holds (true for arithmetic).
std::pair<double, bool> ElemBinop(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return {l + r, true};
    case BinaryOp::kSub:
      return {l - r, true};
    case BinaryOp::kMul:
      return {l * r, true};
    case BinaryOp::kDiv:
      return {l / r, true};
    case BinaryOp::kMod:
      return {std::fmod(l, r), true};
    case BinaryOp::kPow:
      return {std::pow(l, r), true};
    case BinaryOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinaryOp::kEql:
      return {l, l == r};
    case BinaryOp::kNeq:
      return {l, l != r};
    case BinaryOp::kGtr:
      return {l, l > r};
    case BinaryOp::kLss:
      return {l, l < r};
    case BinaryOp::kGte:
      return {l, l >= r};
    case BinaryOp::kLte:
      return {l, l <= r};
    default:
      return {NAN, false};
  }
}

absl::StatusOr<Matrix> VectorScalarBinop(const Grid& g, const BinaryExpr& b, Matrix vec,
                                         const std::vector<double>& scalar, bool swap) {
  bool drop = DropsName(b.op) || b.return_bool;
  for (Series& s : vec) {
    size_t w = 0;
    for (const FPoint& p : s.points) {
      double sv = scalar[static_cast<size_t>(g.Index(p.t))];
      double l = swap ? sv : p.v;
      double r = swap ? p.v : sv;
      auto [v, keep] = ElemBinop(b.op, l, r);
      if (IsComparisonOp(b.op) && swap) v = r;
      if (b.return_bool) {
        v = keep ? 1 : 0;
        keep = true;
      }
      if (keep) s.points[w++] = FPoint{p.t, v};
    }
    s.points.resize(w);
    if (drop) s.drop_name = true;
  }
  std::erase_if(vec, [](const Series& s) { return s.points.empty(); });
  return vec;
}

// Dense ids of the match groups (matching signatures) of both sides, so per-step matching
// works on arrays instead of hash maps.
struct MatchGroups {
  std::vector<uint32_t> lhs;  // group id of each lhs series
  std::vector<uint32_t> rhs;
  size_t count = 0;
};

MatchGroups GroupBySignature(const Matrix& lhs, const Matrix& rhs, const VectorMatching& vm) {
  MatchGroups groups;
  absl::flat_hash_map<uint64_t, uint32_t> ids;
  auto id = [&](const Labels& labels) {
    auto [it, inserted] =
        ids.try_emplace(HashMatching(labels, vm.on, vm.labels), static_cast<uint32_t>(ids.size()));
    return it->second;
  };
  groups.lhs.reserve(lhs.size());
  for (const Series& s : lhs) groups.lhs.push_back(id(s.labels));
  groups.rhs.reserve(rhs.size());
  for (const Series& s : rhs) groups.rhs.push_back(id(s.labels));
  groups.count = ids.size();
  return groups;
}

absl::StatusOr<Matrix> SetOp(QueryState& q, const Grid& g, const BinaryExpr& b, const Matrix& lhs,
                             const Matrix& rhs) {
  const MatchGroups groups = GroupBySignature(lhs, rhs, *b.matching);
  MatrixBuilder out;
  std::vector<int64_t> lout(lhs.size(), -1);
  std::vector<int64_t> rout(rhs.size(), -1);
  auto emit = [&](const Matrix& m, std::vector<int64_t>& idx, uint32_t i, int64_t t,
                  double v) -> absl::Status {
    if (idx[i] < 0) idx[i] = static_cast<int64_t>(out.Intern(m[i].labels, m[i].drop_name));
    return out.Append(static_cast<size_t>(idx[i]), t, v);
  };
  StepWalker lw(lhs);
  StepWalker rw(rhs);
  std::vector<uint32_t> lp;
  std::vector<uint32_t> rp;
  // The step at which each match group was last seen on the side that filters.
  std::vector<int64_t> seen(groups.count, -1);
  for (int64_t k = 0; k < g.num_steps(); ++k) {
    CS_RETURN_IF_ERROR(q.Poll());
    int64_t t = g.StepTime(k);
    lw.At(t, lp);
    rw.At(t, rp);
    switch (b.op) {
      case BinaryOp::kAnd:
      case BinaryOp::kUnless: {
        for (uint32_t r : rp) seen[groups.rhs[r]] = k;
        const bool want = b.op == BinaryOp::kAnd;
        for (uint32_t l : lp) {
          if ((seen[groups.lhs[l]] == k) == want) {
            CS_RETURN_IF_ERROR(emit(lhs, lout, l, t, lw.value(l)));
          }
        }
        break;
      }
      case BinaryOp::kOr:
        for (uint32_t l : lp) {
          seen[groups.lhs[l]] = k;
          CS_RETURN_IF_ERROR(emit(lhs, lout, l, t, lw.value(l)));
        }
        for (uint32_t r : rp) {
          if (seen[groups.rhs[r]] != k) CS_RETURN_IF_ERROR(emit(rhs, rout, r, t, rw.value(r)));
        }
        break;
      default:
        return absl::InternalError("not a set operator");
    }
  }
  return out.Finish();
}

// The output labels of one match (Prometheus's resultMetric, with delayed name removal).
Labels ResultLabels(const Labels& l, const Labels& r, const VectorMatching& vm) {
  Labels out;
  if (vm.card == VectorMatching::Cardinality::kOneToOne) {
    for (const Label& lab : l) {
      bool listed = std::find(vm.labels.begin(), vm.labels.end(), lab.name) != vm.labels.end();
      if (vm.on ? listed : !listed) out.push_back(lab);
    }
  } else {
    out = l;
  }
  for (const std::string& name : vm.include) SetLabel(out, name, GetLabel(r, name));
  return out;
}

absl::StatusOr<Matrix> VectorBinop(QueryState& q, const Grid& g, const BinaryExpr& b,
                                   const Matrix& lhs_in, const Matrix& rhs_in) {
  const VectorMatching& vm = *b.matching;
  const bool swap = vm.card == VectorMatching::Cardinality::kOneToMany;
  const Matrix& lhs = swap ? rhs_in : lhs_in;  // the "many" side
  const Matrix& rhs = swap ? lhs_in : rhs_in;  // the "one" side
  const MatchGroups groups = GroupBySignature(lhs, rhs, vm);
  const bool drop = DropsName(b.op) || b.return_bool;
  // Fill modifiers: the value of a missing lhs (the "many" side after a group_right swap, as
  // Prometheus) or rhs sample.
  const std::optional<double> fill_lhs = b.fill.left;
  const std::optional<double> fill_rhs = b.fill.right;
  constexpr uint32_t kNone = UINT32_MAX;
  MatrixBuilder out;
  // The output series of each (lhs, rhs) pair met so far, with its label hash (many-to-one
  // checks); the last pair of each lhs series is cached, as it rarely changes between steps.
  struct Result {
    size_t out;
    uint64_t hash;
  };
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, Result> results;
  std::vector<char> has_last(lhs.size(), 0);
  std::vector<uint32_t> last_rhs(lhs.size(), kNone);
  std::vector<Result> last_result(lhs.size());
  // Per match group and step: the present rhs series, whether an lhs series matched (stamped
  // with the step, so nothing is cleared between steps), and for many-to-one the result label
  // sets already produced.
  std::vector<uint32_t> right(groups.count, kNone);
  std::vector<int64_t> right_step(groups.count, -1);
  std::vector<int64_t> matched_step(groups.count, -1);
  std::vector<int64_t> left_step(groups.count, -1);
  absl::flat_hash_map<uint32_t, absl::flat_hash_set<uint64_t>> many_matched;
  StepWalker lw(lhs);
  StepWalker rw(rhs);
  std::vector<uint32_t> lp;
  std::vector<uint32_t> rp;
  for (int64_t k = 0; k < g.num_steps(); ++k) {
    CS_RETURN_IF_ERROR(q.Poll());
    int64_t t = g.StepTime(k);
    lw.At(t, lp);
    rw.At(t, rp);
    if (lp.empty() && rp.empty()) continue;
    if (!fill_lhs.has_value() && !fill_rhs.has_value() && (lp.empty() || rp.empty())) continue;
    for (uint32_t r : rp) {
      uint32_t grp = groups.rhs[r];
      if (right_step[grp] == k) {
        const Labels* first = &rhs[right[grp]].labels;
        const Labels* second = &rhs[r].labels;
        if (LabelsLess(*second, *first)) std::swap(first, second);
        return absl::FailedPreconditionError(absl::StrFormat(
            "found duplicate series for the match group %s on the %s hand-side of the "
            "operation: [%s, %s];many-to-many matching not allowed: matching labels must be "
            "unique on one side",
            LabelsToString(MatchingLabels(rhs[r].labels, vm.on, vm.labels)),
            swap ? "left" : "right", LabelsToString(*first), LabelsToString(*second)));
      }
      right_step[grp] = k;
      right[grp] = r;
    }
    many_matched.clear();
    // One output point for lhs series l and rhs series r (kNone: filled in).
    auto emit = [&](uint32_t l, uint32_t r, double fl, double fr) -> absl::Status {
      if (swap) std::swap(fl, fr);
      auto [v, keep] = ElemBinop(b.op, fl, fr);
      Result result;
      if (l != kNone && has_last[l] && last_rhs[l] == r) {
        result = last_result[l];
      } else {
        auto it = results.find(std::pair(l, r));
        if (it == results.end()) {
          Labels labels;
          bool drop_name = drop;
          if (l == kNone) {
            labels = MatchingLabels(rhs[r].labels, vm.on, vm.labels);
          } else {
            labels = ResultLabels(lhs[l].labels, r == kNone ? Labels() : rhs[r].labels, vm);
            drop_name = drop_name || lhs[l].drop_name;
          }
          uint64_t h = HashLabels(labels);
          size_t idx = out.Intern(std::move(labels), drop_name);
          it = results.emplace(std::pair(l, r), Result{idx, h}).first;
        }
        result = it->second;
        if (l != kNone) {
          has_last[l] = 1;
          last_rhs[l] = r;
          last_result[l] = result;
        }
      }
      if (l != kNone && r != kNone) {
        uint32_t grp = groups.lhs[l];
        if (vm.card == VectorMatching::Cardinality::kOneToOne) {
          if (matched_step[grp] == k) {
            return absl::FailedPreconditionError(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)");
          }
          matched_step[grp] = k;
        } else if (!many_matched[grp].insert(result.hash).second) {
          return absl::FailedPreconditionError(
              "multiple matches for labels: grouping labels must ensure unique matches");
        }
      }
      // Matching errors are found before comparisons filter (as Prometheus).
      if (b.return_bool) {
        v = keep ? 1 : 0;
      } else if (!keep) {
        return absl::OkStatus();
      }
      return out.Append(result.out, t, v);
    };
    for (uint32_t l : lp) {
      uint32_t grp = groups.lhs[l];
      if (right_step[grp] != k) {
        if (fill_rhs.has_value()) CS_RETURN_IF_ERROR(emit(l, kNone, lw.value(l), *fill_rhs));
        continue;
      }
      CS_RETURN_IF_ERROR(emit(l, right[grp], lw.value(l), rw.value(right[grp])));
    }
    if (fill_lhs.has_value()) {
      for (uint32_t l : lp) left_step[groups.lhs[l]] = k;
      for (uint32_t r : rp) {
        if (left_step[groups.rhs[r]] != k) {
          CS_RETURN_IF_ERROR(emit(kNone, r, *fill_lhs, rw.value(r)));
        }
      }
    }
  }
  return out.Finish();
}

}  // namespace

absl::StatusOr<Matrix> EvalBinaryOp(QueryState& q, const Grid& g, const BinaryExpr& b, Matrix lhs,
                                    Matrix rhs) {
  ValueType lt = TypeOf(*b.lhs);
  ValueType rt = TypeOf(*b.rhs);
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    std::vector<double> l = ScalarValues(g, lhs);
    std::vector<double> r = ScalarValues(g, rhs);
    Series s;
    for (int64_t k = 0; k < g.num_steps(); ++k) {
      auto [v, keep] = ElemBinop(b.op, l[static_cast<size_t>(k)], r[static_cast<size_t>(k)]);
      if (IsComparisonOp(b.op)) v = keep ? 1 : 0;
      s.points.push_back(FPoint{g.StepTime(k), v});
    }
    Matrix m;
    m.push_back(std::move(s));
    return m;
  }
  if (lt == ValueType::kScalar || rt == ValueType::kScalar) {
    bool swap = lt == ValueType::kScalar;
    Matrix& vec = swap ? rhs : lhs;
    std::vector<double> scalar = ScalarValues(g, swap ? lhs : rhs);
    return VectorScalarBinop(g, b, std::move(vec), scalar, swap);
  }
  if (IsSetOp(b.op)) return SetOp(q, g, b, lhs, rhs);
  return VectorBinop(q, g, b, lhs, rhs);
}

}  // namespace cardinalsin::promql::internal
