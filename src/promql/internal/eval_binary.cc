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

absl::StatusOr<Matrix> SetOp(QueryState& q, const Grid& g, const BinaryExpr& b, const Matrix& lhs,
                             const Matrix& rhs) {
  const VectorMatching& vm = *b.matching;
  std::vector<uint64_t> lsig(lhs.size());
  std::vector<uint64_t> rsig(rhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) lsig[i] = HashMatching(lhs[i].labels, vm.on, vm.labels);
  for (size_t i = 0; i < rhs.size(); ++i) rsig[i] = HashMatching(rhs[i].labels, vm.on, vm.labels);
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
  absl::flat_hash_set<uint64_t> sigs;
  for (int64_t k = 0; k < g.num_steps(); ++k) {
    CS_RETURN_IF_ERROR(q.Poll());
    int64_t t = g.StepTime(k);
    lw.At(t, lp);
    rw.At(t, rp);
    sigs.clear();
    switch (b.op) {
      case BinaryOp::kAnd:
        for (uint32_t r : rp) sigs.insert(rsig[r]);
        for (uint32_t l : lp) {
          if (sigs.contains(lsig[l])) CS_RETURN_IF_ERROR(emit(lhs, lout, l, t, lw.value(l)));
        }
        break;
      case BinaryOp::kOr:
        for (uint32_t l : lp) {
          sigs.insert(lsig[l]);
          CS_RETURN_IF_ERROR(emit(lhs, lout, l, t, lw.value(l)));
        }
        for (uint32_t r : rp) {
          if (!sigs.contains(rsig[r])) CS_RETURN_IF_ERROR(emit(rhs, rout, r, t, rw.value(r)));
        }
        break;
      case BinaryOp::kUnless:
        for (uint32_t r : rp) sigs.insert(rsig[r]);
        for (uint32_t l : lp) {
          if (!sigs.contains(lsig[l])) CS_RETURN_IF_ERROR(emit(lhs, lout, l, t, lw.value(l)));
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
  bool swap = vm.card == VectorMatching::Cardinality::kOneToMany;
  const Matrix& lhs = swap ? rhs_in : lhs_in;  // the "many" side
  const Matrix& rhs = swap ? lhs_in : rhs_in;  // the "one" side
  std::vector<uint64_t> lsig(lhs.size());
  std::vector<uint64_t> rsig(rhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) lsig[i] = HashMatching(lhs[i].labels, vm.on, vm.labels);
  for (size_t i = 0; i < rhs.size(); ++i) rsig[i] = HashMatching(rhs[i].labels, vm.on, vm.labels);
  bool drop = DropsName(b.op) || b.return_bool;
  // Fill modifiers: the value of a missing lhs (the "many" side after a group_right swap, as
  // Prometheus) or rhs sample.
  const std::optional<double> fill_lhs = b.fill.left;
  const std::optional<double> fill_rhs = b.fill.right;
  constexpr uint32_t kNone = UINT32_MAX;
  absl::flat_hash_set<uint64_t> left_sigs;
  MatrixBuilder out;
  struct Result {
    size_t out;
    uint64_t hash;
  };
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, Result> results;
  absl::flat_hash_map<uint64_t, uint32_t> right;
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<uint64_t>> matched;
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
    right.clear();
    for (uint32_t r : rp) {
      auto [it, inserted] = right.emplace(rsig[r], r);
      if (!inserted) {
        const Labels* first = &rhs[it->second].labels;
        const Labels* second = &rhs[r].labels;
        if (LabelsLess(*second, *first)) std::swap(first, second);
        return absl::FailedPreconditionError(absl::StrFormat(
            "found duplicate series for the match group %s on the %s hand-side of the "
            "operation: [%s, %s];many-to-many matching not allowed: matching labels must be "
            "unique on one side",
            LabelsToString(MatchingLabels(rhs[r].labels, vm.on, vm.labels)),
            swap ? "left" : "right", LabelsToString(*first), LabelsToString(*second)));
      }
    }
    matched.clear();
    // One output point for lhs series l and rhs series r (kNone: filled in).
    auto emit = [&](uint32_t l, uint32_t r, double fl, double fr) -> absl::Status {
      if (swap) std::swap(fl, fr);
      auto [v, keep] = ElemBinop(b.op, fl, fr);
      auto rit = results.find(std::pair(l, r));
      if (rit == results.end()) {
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
        rit = results.emplace(std::pair(l, r), Result{idx, h}).first;
      }
      if (l != kNone && r != kNone) {
        auto [mit, first_match] = matched.try_emplace(lsig[l]);
        if (vm.card == VectorMatching::Cardinality::kOneToOne) {
          if (!first_match) {
            return absl::FailedPreconditionError(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)");
          }
        } else if (!mit->second.insert(rit->second.hash).second) {
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
      return out.Append(rit->second.out, t, v);
    };
    for (uint32_t l : lp) {
      auto it = right.find(lsig[l]);
      if (it == right.end()) {
        if (fill_rhs.has_value()) CS_RETURN_IF_ERROR(emit(l, kNone, lw.value(l), *fill_rhs));
        continue;
      }
      CS_RETURN_IF_ERROR(emit(l, it->second, lw.value(l), rw.value(it->second)));
    }
    if (fill_lhs.has_value()) {
      left_sigs.clear();
      for (uint32_t l : lp) left_sigs.insert(lsig[l]);
      for (uint32_t r : rp) {
        if (!left_sigs.contains(rsig[r])) {
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
