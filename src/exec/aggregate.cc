#include "exec/aggregate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/internal/group_table.h"
#include "exec/internal/kernels.h"
#include "exec/internal/operator_util.h"

namespace cardinalsin::exec {
namespace {

using internal::GroupTable;

template <typename T>
const std::vector<T>& Vec(const Column& c) {
  if constexpr (std::is_same_v<T, int64_t>) {
    return c.int64s();
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return c.uint64s();
  } else if constexpr (std::is_same_v<T, double>) {
    return c.doubles();
  } else {
    return c.bools();
  }
}

template <typename T>
int Cmp(T a, T b) {
  if constexpr (std::is_same_v<T, double>) {
    return CompareDoubles(a, b);
  } else {
    return (a > b) - (a < b);
  }
}

// Inputs of one Update() call: the argument and order columns (null when unused), the filter
// mask (null: all rows) and the group of every row.
struct UpdateInput {
  const Column* arg = nullptr;
  const Column* order = nullptr;
  const Column* filter = nullptr;
  const std::vector<uint32_t>* groups = nullptr;
  size_t rows = 0;

  bool Use(size_t i) const {
    if (filter != nullptr && !(filter->IsValid(i) && filter->bools()[i])) return false;
    if (arg != nullptr && !arg->IsValid(i)) return false;
    if (order != nullptr && !order->IsValid(i)) return false;
    return true;
  }
};

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  virtual void Resize(size_t groups) = 0;
  [[nodiscard]] virtual absl::Status Update(const UpdateInput& in) = 0;
  // Folds `other` (the same kind of accumulator) in: its group g becomes group map[g].
  [[nodiscard]] virtual absl::Status Merge(Accumulator& other,
                                           const std::vector<uint32_t>& map) = 0;
  virtual absl::StatusOr<Column> Finalize(size_t groups) = 0;
  // Bytes held beyond the per-group fixed arrays (value lists, sets, strings).
  virtual int64_t ExtraBytes() const { return 0; }
  virtual int64_t BytesPerGroup() const = 0;
};

// ---- count ----------------------------------------------------------------------------------

class CountAcc final : public Accumulator {
 public:
  void Resize(size_t groups) override { counts_.resize(groups, 0); }
  absl::Status Update(const UpdateInput& in) override {
    const uint32_t* g = in.groups->data();
    if (in.filter == nullptr && (in.arg == nullptr || in.arg->validity().empty())) {
      for (size_t i = 0; i < in.rows; ++i) ++counts_[g[i]];
    } else {
      for (size_t i = 0; i < in.rows; ++i) counts_[g[i]] += in.Use(i);
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<CountAcc&>(other);
    for (size_t g = 0; g < o.counts_.size(); ++g) counts_[map[g]] += o.counts_[g];
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    counts_.resize(groups, 0);
    return Column::FromInt64(TypeId::kInt64, std::move(counts_));
  }
  int64_t BytesPerGroup() const override { return 8; }

 private:
  std::vector<int64_t> counts_;
};

// ---- sum / avg ------------------------------------------------------------------------------

template <typename T>
class SumAcc final : public Accumulator {
 public:
  explicit SumAcc(TypeId type) : type_(type) {}
  void Resize(size_t groups) override {
    sums_.resize(groups, 0);
    has_.resize(groups, 0);
  }
  absl::Status Update(const UpdateInput& in) override {
    const auto& v = Vec<T>(*in.arg);
    const uint32_t* g = in.groups->data();
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      CS_RETURN_IF_ERROR(Add(g[i], v[i]));
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<SumAcc&>(other);
    for (size_t g = 0; g < o.sums_.size(); ++g) {
      if (o.has_[g]) CS_RETURN_IF_ERROR(Add(map[g], o.sums_[g]));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    Column out = Column::Empty(type_);
    if constexpr (std::is_same_v<T, int64_t>) {
      out = Column::FromInt64(TypeId::kInt64, std::move(sums_));
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      out = Column::FromUInt64(std::move(sums_));
    } else {
      out = Column::FromDouble(std::move(sums_));
    }
    out.SetValidity(std::move(has_));
    return out;
  }
  int64_t BytesPerGroup() const override { return sizeof(T) + 1; }

 private:
  absl::Status Add(uint32_t g, T v) {
    has_[g] = 1;
    if constexpr (std::is_same_v<T, double>) {
      sums_[g] += v;
    } else if (__builtin_add_overflow(sums_[g], v, &sums_[g])) {
      return absl::OutOfRangeError(base::StrCat("sum(x) overflows ", model::TypeName(type_)));
    }
    return absl::OkStatus();
  }

  TypeId type_;
  std::vector<T> sums_;
  std::vector<uint8_t> has_;
};

template <typename T>
class AvgAcc final : public Accumulator {
 public:
  void Resize(size_t groups) override {
    sums_.resize(groups, 0);
    counts_.resize(groups, 0);
  }
  absl::Status Update(const UpdateInput& in) override {
    const auto& v = Vec<T>(*in.arg);
    const uint32_t* g = in.groups->data();
    if (in.filter == nullptr && in.arg->validity().empty()) {
      // Runs of one group (scan order keeps a series' rows together; a global aggregate is one
      // run) add in a register instead of through memory. Same order of additions per group.
      for (size_t i = 0; i < in.rows;) {
        const uint32_t group = g[i];
        double sum = sums_[group];
        size_t j = i;
        for (; j < in.rows && g[j] == group; ++j) sum += static_cast<double>(v[j]);
        sums_[group] = sum;
        counts_[group] += static_cast<int64_t>(j - i);
        i = j;
      }
      return absl::OkStatus();
    }
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      sums_[g[i]] += static_cast<double>(v[i]);
      ++counts_[g[i]];
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<AvgAcc&>(other);
    for (size_t g = 0; g < o.sums_.size(); ++g) {
      sums_[map[g]] += o.sums_[g];
      counts_[map[g]] += o.counts_[g];
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    std::vector<double> out(groups);
    std::vector<uint8_t> valid(groups);
    for (size_t g = 0; g < groups; ++g) {
      valid[g] = counts_[g] > 0;
      out[g] = valid[g] ? sums_[g] / static_cast<double>(counts_[g]) : 0;
    }
    Column c = Column::FromDouble(std::move(out));
    c.SetValidity(std::move(valid));
    return c;
  }
  int64_t BytesPerGroup() const override { return 16; }

 private:
  std::vector<double> sums_;
  std::vector<int64_t> counts_;
};

// ---- min / max ------------------------------------------------------------------------------

template <typename T, bool kMax>
class MinMaxAcc final : public Accumulator {
 public:
  explicit MinMaxAcc(TypeId type) : type_(type) {}
  void Resize(size_t groups) override {
    best_.resize(groups, T{});
    has_.resize(groups, 0);
  }
  absl::Status Update(const UpdateInput& in) override {
    const auto& v = Vec<T>(*in.arg);
    const uint32_t* g = in.groups->data();
    if (in.filter == nullptr && in.arg->validity().empty()) {
      // Runs of one group keep their best value in a register (as AvgAcc).
      for (size_t i = 0; i < in.rows;) {
        const uint32_t group = g[i];
        size_t j = i;
        if (!has_[group]) {
          has_[group] = 1;
          best_[group] = v[j++];
        }
        T best = best_[group];
        for (; j < in.rows && g[j] == group; ++j) {
          const int c = Cmp(v[j], best);
          if (kMax ? c > 0 : c < 0) best = v[j];
        }
        best_[group] = best;
        i = j;
      }
      return absl::OkStatus();
    }
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      Offer(g[i], v[i]);
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<MinMaxAcc&>(other);
    for (size_t g = 0; g < o.best_.size(); ++g) {
      if (o.has_[g]) Offer(map[g], o.best_[g]);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    Column out = Column::Empty(type_);
    if constexpr (std::is_same_v<T, int64_t>) {
      out = Column::FromInt64(type_, std::move(best_));
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      out = Column::FromUInt64(std::move(best_));
    } else if constexpr (std::is_same_v<T, double>) {
      out = Column::FromDouble(std::move(best_));
    } else {
      out = Column::FromBool(std::move(best_));
    }
    out.SetValidity(std::move(has_));
    return out;
  }
  int64_t BytesPerGroup() const override { return sizeof(T) + 1; }

 private:
  void Offer(uint32_t g, T v) {
    if (!has_[g]) {
      has_[g] = 1;
      best_[g] = v;
      return;
    }
    int c = Cmp(v, best_[g]);
    if (kMax ? c > 0 : c < 0) best_[g] = v;
  }

  TypeId type_;
  std::vector<T> best_;
  std::vector<uint8_t> has_;
};

template <bool kMax>
class MinMaxStringAcc final : public Accumulator {
 public:
  void Resize(size_t groups) override {
    best_.resize(groups);
    has_.resize(groups, 0);
  }
  absl::Status Update(const UpdateInput& in) override {
    const uint32_t* g = in.groups->data();
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      Offer(g[i], in.arg->StringAt(i));
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<MinMaxStringAcc&>(other);
    for (size_t g = 0; g < o.best_.size(); ++g) {
      if (o.has_[g]) Offer(map[g], o.best_[g]);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    ColumnBuilder b(TypeId::kString);
    for (size_t g = 0; g < groups; ++g) {
      if (has_[g]) {
        b.AppendString(best_[g]);
      } else {
        b.AppendNull();
      }
    }
    return b.Finish();
  }
  int64_t ExtraBytes() const override { return bytes_; }
  int64_t BytesPerGroup() const override { return 33; }

 private:
  void Offer(uint32_t g, std::string_view v) {
    if (!has_[g] || (kMax ? v > best_[g] : v < best_[g])) {
      bytes_ += static_cast<int64_t>(v.size()) - static_cast<int64_t>(best_[g].size());
      best_[g].assign(v);
      has_[g] = 1;
    }
  }

  std::vector<std::string> best_;
  std::vector<uint8_t> has_;
  int64_t bytes_ = 0;
};

// ---- variance family ------------------------------------------------------------------------

template <typename T>
class MomentsAcc final : public Accumulator {
 public:
  explicit MomentsAcc(AggregateKind kind) : kind_(kind) {}
  void Resize(size_t groups) override {
    n_.resize(groups, 0);
    mean_.resize(groups, 0);
    m2_.resize(groups, 0);
  }
  absl::Status Update(const UpdateInput& in) override {
    const auto& v = Vec<T>(*in.arg);
    const uint32_t* g = in.groups->data();
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      const uint32_t k = g[i];
      const double x = static_cast<double>(v[i]);
      n_[k] += 1;
      const double delta = x - mean_[k];
      mean_[k] += delta / static_cast<double>(n_[k]);
      m2_[k] += delta * (x - mean_[k]);
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<MomentsAcc&>(other);
    for (size_t g = 0; g < o.n_.size(); ++g) {
      if (o.n_[g] == 0) continue;
      const uint32_t k = map[g];
      const double na = static_cast<double>(n_[k]), nb = static_cast<double>(o.n_[g]);
      const double delta = o.mean_[g] - mean_[k];
      const double n = na + nb;
      mean_[k] += delta * nb / n;
      m2_[k] += o.m2_[g] + delta * delta * na * nb / n;
      n_[k] += o.n_[g];
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    const bool sample = kind_ == AggregateKind::kStddevSamp || kind_ == AggregateKind::kVarSamp;
    const bool root = kind_ == AggregateKind::kStddevSamp || kind_ == AggregateKind::kStddevPop;
    std::vector<double> out(groups, 0);
    std::vector<uint8_t> valid(groups, 0);
    for (size_t g = 0; g < groups; ++g) {
      const int64_t min_n = sample ? 2 : 1;
      if (n_[g] < min_n) continue;
      double var = m2_[g] / static_cast<double>(sample ? n_[g] - 1 : n_[g]);
      if (var < 0) var = 0;  // rounding
      out[g] = root ? std::sqrt(var) : var;
      valid[g] = 1;
    }
    Column c = Column::FromDouble(std::move(out));
    c.SetValidity(std::move(valid));
    return c;
  }
  int64_t BytesPerGroup() const override { return 24; }

 private:
  AggregateKind kind_;
  std::vector<int64_t> n_;
  std::vector<double> mean_, m2_;
};

// ---- percentiles ----------------------------------------------------------------------------

template <typename T>
class PercentileAcc final : public Accumulator {
 public:
  PercentileAcc(bool continuous, double fraction, TypeId type)
      : continuous_(continuous), fraction_(fraction), type_(type) {}
  void Resize(size_t groups) override { values_.resize(groups); }
  absl::Status Update(const UpdateInput& in) override {
    const auto& v = Vec<T>(*in.arg);
    const uint32_t* g = in.groups->data();
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      values_[g[i]].push_back(v[i]);
      ++count_;
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<PercentileAcc&>(other);
    for (size_t g = 0; g < o.values_.size(); ++g) {
      auto& dst = values_[map[g]];
      dst.insert(dst.end(), o.values_[g].begin(), o.values_[g].end());
      count_ += static_cast<int64_t>(o.values_[g].size());
      std::vector<T>().swap(o.values_[g]);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    ColumnBuilder b(continuous_ ? TypeId::kDouble : type_);
    for (size_t g = 0; g < groups; ++g) {
      std::vector<T>& v = values_[g];
      if (v.empty()) {
        b.AppendNull();
        continue;
      }
      // Only one or two order statistics are needed: selection (linear), not a sort.
      const auto less = [](T a, T c) { return Cmp(a, c) < 0; };
      const size_t n = v.size();
      if (continuous_) {
        const double pos = fraction_ * static_cast<double>(n - 1);
        const size_t lo = static_cast<size_t>(std::floor(pos));
        const size_t hi = static_cast<size_t>(std::ceil(pos));
        std::nth_element(v.begin(), v.begin() + lo, v.end(), less);
        // Everything after position lo is >= v[lo]: its minimum is the next order statistic.
        const T upper = hi == lo ? v[lo] : *std::min_element(v.begin() + hi, v.end(), less);
        const double a = static_cast<double>(v[lo]), c = static_cast<double>(upper);
        b.AppendDouble(lo == hi || Cmp(v[lo], upper) == 0 ? a : a + (pos - lo) * (c - a));
      } else {
        double want = std::ceil(fraction_ * static_cast<double>(n));
        size_t index = want < 1 ? 0 : std::min(n - 1, static_cast<size_t>(want) - 1);
        std::nth_element(v.begin(), v.begin() + index, v.end(), less);
        T x = v[index];
        if constexpr (std::is_same_v<T, double>) {
          b.AppendDouble(x);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          b.AppendUInt64(x);
        } else {
          b.AppendInt64(x);
        }
      }
      std::vector<T>().swap(v);
    }
    return b.Finish();
  }
  int64_t ExtraBytes() const override { return count_ * static_cast<int64_t>(sizeof(T)); }
  int64_t BytesPerGroup() const override { return 24; }

 private:
  bool continuous_;
  double fraction_;
  TypeId type_;
  std::vector<std::vector<T>> values_;
  int64_t count_ = 0;
};

// ---- count(DISTINCT) ------------------------------------------------------------------------

class CountDistinctAcc final : public Accumulator {
 public:
  void Resize(size_t groups) override { groups_ = std::max(groups_, groups); }
  absl::Status Update(const UpdateInput& in) override {
    const uint32_t* g = in.groups->data();
    const Column& c = *in.arg;
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      switch (c.type()) {
        case TypeId::kString: {
          std::string_view s = c.StringAt(i);
          if (strings_.emplace(g[i], std::string(s)).second) string_bytes_ += s.size() + 40;
          break;
        }
        case TypeId::kDouble:
          values_.emplace(g[i], internal::NormalizeDoubleBits(c.doubles()[i]));
          break;
        case TypeId::kBool:
          values_.emplace(g[i], c.bools()[i]);
          break;
        case TypeId::kUInt64:
          values_.emplace(g[i], c.uint64s()[i]);
          break;
        default:
          values_.emplace(g[i], static_cast<uint64_t>(c.int64s()[i]));
          break;
      }
    }
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<CountDistinctAcc&>(other);
    for (const auto& [g, v] : o.values_) values_.emplace(map[g], v);
    for (const auto& [g, s] : o.strings_) {
      if (strings_.emplace(map[g], s).second) string_bytes_ += s.size() + 40;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    std::vector<int64_t> counts(groups, 0);
    for (const auto& entry : values_) ++counts[entry.first];
    for (const auto& entry : strings_) ++counts[entry.first];
    return Column::FromInt64(TypeId::kInt64, std::move(counts));
  }
  int64_t ExtraBytes() const override {
    return static_cast<int64_t>(values_.size() * 24 + string_bytes_);
  }
  int64_t BytesPerGroup() const override { return 0; }

 private:
  size_t groups_ = 0;
  absl::flat_hash_set<std::pair<uint32_t, uint64_t>> values_;
  absl::flat_hash_set<std::pair<uint32_t, std::string>> strings_;
  size_t string_bytes_ = 0;
};

// ---- first_value / last_value ---------------------------------------------------------------

// Order-preserving map of an order-by value to uint64.
uint64_t OrderKey(const Column& c, size_t i) {
  switch (c.type()) {
    case TypeId::kUInt64:
      return c.uint64s()[i];
    case TypeId::kDouble: {
      double v = c.doubles()[i];
      if (std::isnan(v)) return UINT64_MAX;  // NaN after +Inf
      uint64_t bits = internal::NormalizeDoubleBits(v);
      return (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
    }
    default:
      return static_cast<uint64_t>(c.int64s()[i]) ^ (uint64_t{1} << 63);
  }
}

class ArgAcc final : public Accumulator {
 public:
  ArgAcc(bool last, TypeId type) : last_(last), type_(type) {}
  void Resize(size_t groups) override {
    keys_.resize(groups, 0);
    has_.resize(groups, 0);
    values_.resize(groups, Scalar::Null(type_));
  }
  absl::Status Update(const UpdateInput& in) override {
    // The winning row of each group is found first and its value materialized once per batch:
    // last_value over time-ordered rows would otherwise copy a Scalar for every row.
    const uint32_t* g = in.groups->data();
    if (winner_.size() < keys_.size()) winner_.resize(keys_.size(), kNoRow);
    for (size_t i = 0; i < in.rows; ++i) {
      if (!in.Use(i)) continue;
      const uint64_t key = OrderKey(*in.order, i);
      const uint32_t k = g[i];
      if (Better(k, key)) {
        has_[k] = 1;
        keys_[k] = key;
        if (winner_[k] == kNoRow) touched_.push_back(k);
        winner_[k] = static_cast<uint32_t>(i);
      }
    }
    for (uint32_t k : touched_) {
      bytes_ -= ValueBytes(values_[k]);
      values_[k] = ScalarAt(*in.arg, winner_[k]);
      bytes_ += ValueBytes(values_[k]);
      winner_[k] = kNoRow;
    }
    touched_.clear();
    return absl::OkStatus();
  }
  absl::Status Merge(Accumulator& other, const std::vector<uint32_t>& map) override {
    auto& o = static_cast<ArgAcc&>(other);
    for (size_t g = 0; g < o.keys_.size(); ++g) {
      const uint32_t k = map[g];
      if (o.has_[g] && Better(k, o.keys_[g])) {
        has_[k] = 1;
        keys_[k] = o.keys_[g];
        bytes_ += ValueBytes(o.values_[g]) - ValueBytes(values_[k]);
        values_[k] = std::move(o.values_[g]);
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Column> Finalize(size_t groups) override {
    Resize(groups);
    ColumnBuilder b(type_);
    for (size_t g = 0; g < groups; ++g) b.AppendScalar(values_[g]);
    return b.Finish();
  }
  int64_t ExtraBytes() const override { return bytes_; }
  int64_t BytesPerGroup() const override { return 64; }

 private:
  bool Better(uint32_t k, uint64_t key) const {
    if (!has_[k]) return true;
    return last_ ? key >= keys_[k] : key < keys_[k];
  }
  static int64_t ValueBytes(const Scalar& s) {
    return s.type == TypeId::kString && !s.is_null() ? static_cast<int64_t>(s.string_value().size())
                                                     : 0;
  }

  static constexpr uint32_t kNoRow = 0xffffffffu;

  bool last_;
  TypeId type_;
  std::vector<uint64_t> keys_;
  std::vector<uint8_t> has_;
  std::vector<Scalar> values_;
  int64_t bytes_ = 0;
  // Within one Update(): the row holding each touched group's best key so far (kNoRow between
  // calls) and the groups touched.
  std::vector<uint32_t> winner_;
  std::vector<uint32_t> touched_;
};

// ---- factory --------------------------------------------------------------------------------

// Dispatches on the physical representation of `type` for numeric accumulators.
template <template <typename> class Acc, typename... Args>
std::unique_ptr<Accumulator> ByNumeric(TypeId type, Args... args) {
  switch (type) {
    case TypeId::kDouble:
      return std::make_unique<Acc<double>>(args...);
    case TypeId::kUInt64:
      return std::make_unique<Acc<uint64_t>>(args...);
    default:
      return std::make_unique<Acc<int64_t>>(args...);
  }
}

template <typename T>
using MaxAcc = MinMaxAcc<T, true>;
template <typename T>
using MinAcc = MinMaxAcc<T, false>;

std::unique_ptr<Accumulator> NewAccumulator(const AggregateSpec& spec, TypeId arg_type) {
  switch (spec.kind) {
    case AggregateKind::kCountStar:
    case AggregateKind::kCount:
      return std::make_unique<CountAcc>();
    case AggregateKind::kCountDistinct:
      return std::make_unique<CountDistinctAcc>();
    case AggregateKind::kSum:
      return ByNumeric<SumAcc>(arg_type, arg_type);
    case AggregateKind::kAvg:
      return ByNumeric<AvgAcc>(arg_type);
    case AggregateKind::kMin:
    case AggregateKind::kMax: {
      const bool max = spec.kind == AggregateKind::kMax;
      if (arg_type == TypeId::kString) {
        if (max) return std::make_unique<MinMaxStringAcc<true>>();
        return std::make_unique<MinMaxStringAcc<false>>();
      }
      if (arg_type == TypeId::kBool) {
        if (max) return std::make_unique<MinMaxAcc<uint8_t, true>>(arg_type);
        return std::make_unique<MinMaxAcc<uint8_t, false>>(arg_type);
      }
      if (max) return ByNumeric<MaxAcc>(arg_type, arg_type);
      return ByNumeric<MinAcc>(arg_type, arg_type);
    }
    case AggregateKind::kStddevSamp:
    case AggregateKind::kStddevPop:
    case AggregateKind::kVarSamp:
    case AggregateKind::kVarPop:
      return ByNumeric<MomentsAcc>(arg_type, spec.kind);
    case AggregateKind::kPercentileCont:
    case AggregateKind::kApproxPercentileCont:
      return ByNumeric<PercentileAcc>(arg_type, true, spec.fraction, arg_type);
    case AggregateKind::kPercentileDisc:
      return ByNumeric<PercentileAcc>(arg_type, false, spec.fraction, arg_type);
    case AggregateKind::kFirstValue:
      return std::make_unique<ArgAcc>(false, arg_type);
    case AggregateKind::kLastValue:
      return std::make_unique<ArgAcc>(true, arg_type);
  }
  return nullptr;
}

// ---- the operator ---------------------------------------------------------------------------

struct Partial {
  Partial(std::vector<TypeId> key_types, const std::vector<AggregateSpec>& specs,
          const std::vector<TypeId>& arg_types, ExecContext* ctx)
      : table(std::move(key_types)), reservation(ctx) {
    for (size_t i = 0; i < specs.size(); ++i)
      accs.push_back(NewAccumulator(specs[i], arg_types[i]));
  }
  int64_t MemoryBytes() const {
    int64_t bytes = table.MemoryBytes();
    for (const auto& a : accs) {
      bytes += a->ExtraBytes() + a->BytesPerGroup() * static_cast<int64_t>(table.num_groups());
    }
    return bytes;
  }

  GroupTable table;
  std::vector<std::unique_ptr<Accumulator>> accs;
  MemoryReservation reservation;
};

class HashAggregateOperator final : public Operator {
 public:
  // One child: shared by options.partitions workers under a lock. Several: worker i owns
  // children[i].
  HashAggregateOperator(std::vector<OperatorPtr> children, std::vector<size_t> keys,
                        std::vector<AggregateSpec> specs, std::vector<TypeId> key_types,
                        std::vector<TypeId> arg_types, model::Schema schema, ExecContext* ctx,
                        HashAggregateOptions options)
      : children_(std::move(children)),
        keys_(std::move(keys)),
        specs_(std::move(specs)),
        key_types_(std::move(key_types)),
        arg_types_(std::move(arg_types)),
        schema_(std::move(schema)),
        ctx_(ctx),
        options_(options) {}

  const model::Schema& schema() const override { return schema_; }

  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    if (!done_) {
      CS_RETURN_IF_ERROR(Consume());
      done_ = true;
    }
    if (emitted_ >= result_.num_rows()) {
      partials_.clear();
      return std::nullopt;
    }
    size_t end = std::min(result_.num_rows(), emitted_ + kTargetBatchRows);
    RecordBatch out = emitted_ == 0 && end == result_.num_rows()
                          ? result_
                          : internal::SliceBatch(result_, emitted_, end);
    emitted_ = end;
    return out;
  }

 private:
  absl::Status Process(Partial& p, const RecordBatch& batch, std::vector<uint32_t>* groups) {
    const size_t rows = batch.num_rows();
    if (rows == 0) return absl::OkStatus();
    std::vector<Column> key_columns;
    key_columns.reserve(keys_.size());
    for (size_t k : keys_) key_columns.push_back(batch.column(k));
    p.table.Map(key_columns, rows, groups);
    for (size_t a = 0; a < specs_.size(); ++a) {
      const AggregateSpec& s = specs_[a];
      p.accs[a]->Resize(p.table.num_groups());
      UpdateInput in;
      in.arg = s.arg.has_value() && s.kind != AggregateKind::kCountStar ? &batch.column(*s.arg)
                                                                        : nullptr;
      in.order = s.order_by.has_value() ? &batch.column(*s.order_by) : nullptr;
      in.filter = s.filter.has_value() ? &batch.column(*s.filter) : nullptr;
      in.groups = groups;
      in.rows = rows;
      CS_RETURN_IF_ERROR(p.accs[a]->Update(in));
    }
    return p.reservation.ResizeTo(p.MemoryBytes());
  }

  absl::Status Worker(size_t index) {
    Partial& p = *partials_[index];
    std::vector<uint32_t> groups;
    const bool owned = children_.size() > 1;
    Operator& child = *children_[owned ? index : 0];
    while (true) {
      std::optional<RecordBatch> batch;
      {
        // Only a shared child needs the lock; an owned one is this worker's alone.
        std::unique_lock<std::mutex> lock(child_mu_, std::defer_lock);
        if (!owned) lock.lock();
        if (failed_.load()) return absl::OkStatus();  // another worker failed; its status wins
        CS_RETURN_IF_ERROR(ctx_->CheckAlive());
        absl::StatusOr<std::optional<RecordBatch>> next = child.Next();
        if (!next.ok()) {
          failed_.store(true);
          return next.status();
        }
        batch = std::move(*next);
      }
      if (!batch.has_value()) return absl::OkStatus();
      RecordBatch input = std::move(*batch);
      absl::Status status;
      if (options_.pre != nullptr) {
        absl::StatusOr<RecordBatch> transformed = options_.pre->Apply(std::move(input));
        if (transformed.ok()) {
          input = std::move(*transformed);
        } else {
          status = transformed.status();
        }
      }
      if (status.ok()) status = Process(p, input, &groups);
      if (!status.ok()) {
        failed_.store(true);
        return status;
      }
    }
  }

  absl::Status Consume() {
    size_t n = options_.pool != nullptr && options_.partitions > 1 ? options_.partitions : 1;
    if (children_.size() > 1) n = children_.size();
    for (size_t i = 0; i < n; ++i) {
      partials_.push_back(std::make_unique<Partial>(key_types_, specs_, arg_types_, ctx_));
    }
    CS_RETURN_IF_ERROR(base::ParallelFor(options_.pool, n, [this](size_t i) { return Worker(i); }));
    Partial& target = *partials_[0];
    if (keys_.empty()) target.table.EnsureSingleGroup();
    for (size_t i = 1; i < n; ++i) {
      Partial& p = *partials_[i];
      const size_t groups = p.table.num_groups();
      std::vector<Column> keys = p.table.TakeKeyColumns();
      std::vector<uint32_t> map;
      target.table.Map(keys, groups, &map);
      for (size_t a = 0; a < specs_.size(); ++a) {
        target.accs[a]->Resize(target.table.num_groups());
        p.accs[a]->Resize(groups);
        CS_RETURN_IF_ERROR(target.accs[a]->Merge(*p.accs[a], map));
      }
      partials_[i].reset();
      CS_RETURN_IF_ERROR(target.reservation.ResizeTo(target.MemoryBytes()));
    }
    const size_t groups = target.table.num_groups();
    std::vector<Column> columns = target.table.TakeKeyColumns();
    for (auto& acc : target.accs) {
      CS_ASSIGN_OR_RETURN(Column c, acc->Finalize(groups));
      columns.push_back(std::move(c));
    }
    result_ = RecordBatch(schema_, std::move(columns));
    return absl::OkStatus();
  }

  std::vector<OperatorPtr> children_;
  std::vector<size_t> keys_;
  std::vector<AggregateSpec> specs_;
  std::vector<TypeId> key_types_;
  std::vector<TypeId> arg_types_;
  model::Schema schema_;
  ExecContext* ctx_;
  HashAggregateOptions options_;
  std::mutex child_mu_;  // serialises Next() on a shared child
  std::atomic<bool> failed_{false};
  std::vector<std::unique_ptr<Partial>> partials_;
  bool done_ = false;
  RecordBatch result_;
  size_t emitted_ = 0;
};

bool IsOrderType(TypeId t) {
  return t == TypeId::kInt64 || t == TypeId::kUInt64 || t == TypeId::kDouble ||
         t == TypeId::kTimestampNs;
}

}  // namespace

std::string_view AggregateName(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCountStar:
    case AggregateKind::kCount:
    case AggregateKind::kCountDistinct:
      return "count";
    case AggregateKind::kSum:
      return "sum";
    case AggregateKind::kAvg:
      return "avg";
    case AggregateKind::kMin:
      return "min";
    case AggregateKind::kMax:
      return "max";
    case AggregateKind::kStddevSamp:
      return "stddev_samp";
    case AggregateKind::kStddevPop:
      return "stddev_pop";
    case AggregateKind::kVarSamp:
      return "var_samp";
    case AggregateKind::kVarPop:
      return "var_pop";
    case AggregateKind::kPercentileCont:
      return "percentile_cont";
    case AggregateKind::kPercentileDisc:
      return "percentile_disc";
    case AggregateKind::kApproxPercentileCont:
      return "approx_percentile_cont";
    case AggregateKind::kFirstValue:
      return "first_value";
    case AggregateKind::kLastValue:
      return "last_value";
  }
  return "?";
}

absl::StatusOr<AggregateKind> LookupAggregateFunction(std::string_view name, bool distinct,
                                                      bool star) {
  const std::string n = absl::AsciiStrToLower(base::AsAbsl(name));
  if (n == "count") {
    if (star) return AggregateKind::kCountStar;
    return distinct ? AggregateKind::kCountDistinct : AggregateKind::kCount;
  }
  static const auto* const kNames = new absl::flat_hash_map<std::string, AggregateKind>{
      {"sum", AggregateKind::kSum},
      {"avg", AggregateKind::kAvg},
      {"mean", AggregateKind::kAvg},
      {"min", AggregateKind::kMin},
      {"max", AggregateKind::kMax},
      {"stddev", AggregateKind::kStddevSamp},
      {"stddev_samp", AggregateKind::kStddevSamp},
      {"stddev_pop", AggregateKind::kStddevPop},
      {"variance", AggregateKind::kVarSamp},
      {"var_samp", AggregateKind::kVarSamp},
      {"var_pop", AggregateKind::kVarPop},
      {"percentile_cont", AggregateKind::kPercentileCont},
      {"percentile_disc", AggregateKind::kPercentileDisc},
      {"approx_percentile_cont", AggregateKind::kApproxPercentileCont},
      {"first_value", AggregateKind::kFirstValue},
      {"last_value", AggregateKind::kLastValue},
  };
  auto it = kNames->find(n);
  if (it == kNames->end()) return absl::NotFoundError(base::StrCat("unknown aggregate: ", name));
  if (distinct) {
    return absl::InvalidArgumentError(
        base::StrCat("DISTINCT is only supported in count(DISTINCT x), not in ", n));
  }
  return it->second;
}

bool IsAggregateFunction(std::string_view name) { return LookupAggregateFunction(name).ok(); }

absl::StatusOr<TypeId> AggregateResultType(AggregateKind kind, TypeId arg) {
  auto unsupported = [&] {
    return absl::InvalidArgumentError(
        base::StrCat(AggregateName(kind), "(", model::TypeName(arg), ") is not supported"));
  };
  switch (kind) {
    case AggregateKind::kCountStar:
    case AggregateKind::kCount:
    case AggregateKind::kCountDistinct:
      return TypeId::kInt64;
    case AggregateKind::kSum:
      if (!IsNumeric(arg)) return unsupported();
      return arg;
    case AggregateKind::kAvg:
    case AggregateKind::kStddevSamp:
    case AggregateKind::kStddevPop:
    case AggregateKind::kVarSamp:
    case AggregateKind::kVarPop:
    case AggregateKind::kPercentileCont:
    case AggregateKind::kApproxPercentileCont:
      if (!IsNumeric(arg)) return unsupported();
      return TypeId::kDouble;
    case AggregateKind::kPercentileDisc:
      if (!IsNumeric(arg) && arg != TypeId::kTimestampNs) return unsupported();
      return arg;
    case AggregateKind::kMin:
    case AggregateKind::kMax:
    case AggregateKind::kFirstValue:
    case AggregateKind::kLastValue:
      return arg;
  }
  return unsupported();
}

namespace {
absl::StatusOr<OperatorPtr> BuildHashAggregate(std::vector<OperatorPtr> children,
                                               std::vector<size_t> group_keys,
                                               std::vector<AggregateSpec> aggregates,
                                               ExecContext* ctx, HashAggregateOptions options) {
  if (children.empty()) return absl::InvalidArgumentError("aggregate needs at least one input");
  const model::Schema& child_schema = children[0]->schema();
  for (const OperatorPtr& c : children) {
    if (!(c->schema() == child_schema)) {
      return absl::InvalidArgumentError("partitioned aggregate inputs have different schemas");
    }
  }
  const model::Schema& in = options.pre != nullptr ? options.pre->output_schema() : child_schema;
  if (options.pre != nullptr && !(options.pre->input_schema() == child_schema)) {
    return absl::InvalidArgumentError("aggregate pre-pipeline input does not match its child");
  }
  auto check_index = [&](size_t i, std::string_view what) -> absl::Status {
    if (i >= in.size()) {
      return absl::InvalidArgumentError(base::StrCat("aggregate ", what, " column index ", i,
                                                     " out of range (input has ", in.size(),
                                                     " columns)"));
    }
    return absl::OkStatus();
  };
  std::vector<model::Field> fields;
  std::vector<TypeId> key_types;
  for (size_t k : group_keys) {
    CS_RETURN_IF_ERROR(check_index(k, "group key"));
    key_types.push_back(in.field(k).type);
    fields.push_back(in.field(k));
  }
  std::vector<TypeId> arg_types;
  for (const AggregateSpec& s : aggregates) {
    TypeId arg_type = TypeId::kInt64;
    if (s.kind != AggregateKind::kCountStar) {
      if (!s.arg.has_value()) {
        return absl::InvalidArgumentError(
            base::StrCat(AggregateName(s.kind), " needs an argument"));
      }
      CS_RETURN_IF_ERROR(check_index(*s.arg, "argument"));
      arg_type = in.field(*s.arg).type;
    }
    CS_ASSIGN_OR_RETURN(TypeId result, AggregateResultType(s.kind, arg_type));
    if (s.filter.has_value()) {
      CS_RETURN_IF_ERROR(check_index(*s.filter, "FILTER"));
      if (in.field(*s.filter).type != TypeId::kBool) {
        return absl::InvalidArgumentError(base::StrCat("FILTER of ", AggregateName(s.kind),
                                                       " must be bool, not ",
                                                       model::TypeName(in.field(*s.filter).type)));
      }
    }
    if (s.kind == AggregateKind::kFirstValue || s.kind == AggregateKind::kLastValue) {
      if (!s.order_by.has_value()) {
        return absl::InvalidArgumentError(
            base::StrCat(AggregateName(s.kind), " needs ORDER BY (e.g. ORDER BY timestamp)"));
      }
      CS_RETURN_IF_ERROR(check_index(*s.order_by, "ORDER BY"));
      if (!IsOrderType(in.field(*s.order_by).type)) {
        return absl::InvalidArgumentError(
            base::StrCat(AggregateName(s.kind), " cannot order by ",
                         model::TypeName(in.field(*s.order_by).type)));
      }
    }
    const bool percentile = s.kind == AggregateKind::kPercentileCont ||
                            s.kind == AggregateKind::kPercentileDisc ||
                            s.kind == AggregateKind::kApproxPercentileCont;
    if (percentile && !(s.fraction >= 0 && s.fraction <= 1)) {
      return absl::InvalidArgumentError(
          base::StrCat("percentile value ", FormatDouble(s.fraction), " is not between 0 and 1"));
    }
    arg_types.push_back(arg_type);
    fields.push_back({s.name, result, true});
  }
  model::Schema schema(std::move(fields));
  return OperatorPtr(std::make_unique<HashAggregateOperator>(
      std::move(children), std::move(group_keys), std::move(aggregates), std::move(key_types),
      std::move(arg_types), std::move(schema), ctx, options));
}
}  // namespace

absl::StatusOr<OperatorPtr> MakeHashAggregate(OperatorPtr child, std::vector<size_t> group_keys,
                                              std::vector<AggregateSpec> aggregates,
                                              ExecContext* ctx, HashAggregateOptions options) {
  std::vector<OperatorPtr> children;
  children.push_back(std::move(child));
  return BuildHashAggregate(std::move(children), std::move(group_keys), std::move(aggregates), ctx,
                            options);
}

absl::StatusOr<OperatorPtr> MakePartitionedHashAggregate(std::vector<OperatorPtr> inputs,
                                                         std::vector<size_t> group_keys,
                                                         std::vector<AggregateSpec> aggregates,
                                                         ExecContext* ctx,
                                                         HashAggregateOptions options) {
  return BuildHashAggregate(std::move(inputs), std::move(group_keys), std::move(aggregates), ctx,
                            options);
}

}  // namespace cardinalsin::exec
