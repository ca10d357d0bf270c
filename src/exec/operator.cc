#include "exec/operator.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <numeric>

#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/internal/group_table.h"
#include "exec/internal/operator_util.h"

namespace cardinalsin::exec {
namespace {

using internal::ConcatBatches;
using internal::SliceBatch;

absl::Status CheckSchema(const model::Schema& expected, const RecordBatch& batch,
                         std::string_view who) {
  if (batch.num_columns() != expected.size()) {
    return absl::InvalidArgumentError(base::StrCat(who, ": batch has ", batch.num_columns(),
                                                   " columns, schema has ", expected.size()));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (batch.column(i).type() != expected.field(i).type) {
      return absl::InvalidArgumentError(
          base::StrCat(who, ": column '", expected.field(i).name, "' is ",
                       model::TypeName(batch.column(i).type()), ", schema says ",
                       model::TypeName(expected.field(i).type)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckColumnIndex(const model::Schema& schema, size_t index, std::string_view who) {
  if (index >= schema.size()) {
    return absl::InvalidArgumentError(base::StrCat(
        who, ": column index ", index, " out of range (input has ", schema.size(), " columns)"));
  }
  return absl::OkStatus();
}

// ---- sources --------------------------------------------------------------------------------

class VectorSource final : public Operator {
 public:
  VectorSource(model::Schema schema, std::vector<RecordBatch> batches, ExecContext* ctx)
      : schema_(std::move(schema)), batches_(std::move(batches)), ctx_(ctx) {}
  const model::Schema& schema() const override { return schema_; }
  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    CS_RETURN_IF_ERROR(ctx_->CheckAlive());
    if (next_ >= batches_.size()) return std::nullopt;
    RecordBatch batch = std::move(batches_[next_++]);
    CS_RETURN_IF_ERROR(ctx_->CountRowsRead(static_cast<int64_t>(batch.num_rows())));
    return batch;
  }

 private:
  model::Schema schema_;
  std::vector<RecordBatch> batches_;
  size_t next_ = 0;
  ExecContext* ctx_;
};

class CallbackSource final : public Operator {
 public:
  CallbackSource(model::Schema schema, BatchCallback next, ExecContext* ctx)
      : schema_(std::move(schema)), next_(std::move(next)), ctx_(ctx) {}
  const model::Schema& schema() const override { return schema_; }
  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    CS_RETURN_IF_ERROR(ctx_->CheckAlive());
    CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> batch, next_());
    if (!batch.has_value()) return std::nullopt;
    CS_RETURN_IF_ERROR(CheckSchema(schema_, *batch, "source"));
    CS_RETURN_IF_ERROR(ctx_->CountRowsRead(static_cast<int64_t>(batch->num_rows())));
    return batch;
  }

 private:
  model::Schema schema_;
  BatchCallback next_;
  ExecContext* ctx_;
};

// ---- pipeline operators ---------------------------------------------------------------------

class PipelineOperator final : public Operator {
 public:
  PipelineOperator(OperatorPtr child, BatchPipeline pipeline, ExecContext* ctx)
      : child_(std::move(child)), pipeline_(std::move(pipeline)), ctx_(ctx) {}
  const model::Schema& schema() const override { return pipeline_.output_schema(); }
  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    while (true) {
      CS_RETURN_IF_ERROR(ctx_->CheckAlive());
      CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, child_->Next());
      if (!in.has_value()) return std::nullopt;
      CS_ASSIGN_OR_RETURN(RecordBatch out, pipeline_.Apply(std::move(*in)));
      if (out.num_rows() > 0) return out;
    }
  }

 private:
  OperatorPtr child_;
  BatchPipeline pipeline_;
  ExecContext* ctx_;
};

class ParallelPipelineOperator final : public Operator {
 public:
  ParallelPipelineOperator(OperatorPtr child, BatchPipeline pipeline, base::ThreadPool* pool,
                           ExecContext* ctx)
      : child_(std::move(child)), pipeline_(std::move(pipeline)), pool_(pool), ctx_(ctx) {}
  const model::Schema& schema() const override { return pipeline_.output_schema(); }
  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    while (true) {
      if (!ready_.empty()) {
        RecordBatch out = std::move(ready_.front());
        ready_.pop_front();
        return out;
      }
      if (done_) return std::nullopt;
      CS_RETURN_IF_ERROR(ctx_->CheckAlive());
      // Pull a round of batches, transform them in parallel, keep the non-empty results.
      std::vector<RecordBatch> round;
      const size_t width = (pool_ != nullptr ? pool_->num_threads() : 0) + 1;
      while (round.size() < width) {
        CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, child_->Next());
        if (!in.has_value()) {
          done_ = true;
          break;
        }
        round.push_back(std::move(*in));
      }
      std::vector<RecordBatch> results(round.size());
      CS_RETURN_IF_ERROR(base::ParallelFor(pool_, round.size(), [&](size_t i) -> absl::Status {
        CS_ASSIGN_OR_RETURN(results[i], pipeline_.Apply(std::move(round[i])));
        return absl::OkStatus();
      }));
      for (RecordBatch& r : results) {
        if (r.num_rows() > 0) ready_.push_back(std::move(r));
      }
    }
  }

 private:
  OperatorPtr child_;
  BatchPipeline pipeline_;
  base::ThreadPool* pool_;
  ExecContext* ctx_;
  std::deque<RecordBatch> ready_;
  bool done_ = false;
};

// ---- limit / union --------------------------------------------------------------------------

class LimitOperator final : public Operator {
 public:
  LimitOperator(OperatorPtr child, std::optional<int64_t> limit, int64_t offset)
      : child_(std::move(child)), remaining_(limit), to_skip_(offset) {}
  const model::Schema& schema() const override { return child_->schema(); }
  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    while (true) {
      if (remaining_.has_value() && *remaining_ <= 0) return std::nullopt;
      CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, child_->Next());
      if (!in.has_value()) return std::nullopt;
      int64_t rows = static_cast<int64_t>(in->num_rows());
      int64_t begin = std::min(rows, to_skip_);
      to_skip_ -= begin;
      int64_t end = rows;
      if (remaining_.has_value()) end = std::min(rows, begin + *remaining_);
      if (end <= begin) continue;
      if (remaining_.has_value()) *remaining_ -= end - begin;
      if (begin == 0 && end == rows) return in;
      return SliceBatch(*in, static_cast<size_t>(begin), static_cast<size_t>(end));
    }
  }

 private:
  OperatorPtr child_;
  std::optional<int64_t> remaining_;
  int64_t to_skip_;
};

class UnionAllOperator final : public Operator {
 public:
  explicit UnionAllOperator(std::vector<OperatorPtr> children) : children_(std::move(children)) {}
  const model::Schema& schema() const override { return children_[0]->schema(); }
  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    while (current_ < children_.size()) {
      CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, children_[current_]->Next());
      if (in.has_value()) {
        if (current_ == 0) return in;
        return RecordBatch(schema(), in->columns());  // first child's names
      }
      ++current_;
    }
    return std::nullopt;
  }

 private:
  std::vector<OperatorPtr> children_;
  size_t current_ = 0;
};

// ---- sort / top-N ---------------------------------------------------------------------------

// Sorted permutation of `batch` rows by `keys` (stable).
std::vector<uint32_t> SortedOrder(const RecordBatch& batch, const std::vector<SortKey>& keys) {
  std::vector<uint32_t> order(batch.num_rows());
  std::iota(order.begin(), order.end(), 0);
  auto cmp_key = [&](const SortKey& k, uint32_t a, uint32_t b) -> int {
    const Column& c = batch.column(k.column);
    bool va = c.IsValid(a), vb = c.IsValid(b);
    const bool nulls_first = k.nulls_first.value_or(k.descending);
    if (!va || !vb) {
      if (va == vb) return 0;
      // A NULL sorts before everything when nulls_first (independent of direction).
      return (!va) == nulls_first ? -1 : 1;
    }
    int r = 0;
    switch (c.type()) {
      case TypeId::kBool:
        r = c.bools()[a] - c.bools()[b];
        break;
      case TypeId::kInt64:
      case TypeId::kTimestampNs:
        r = (c.int64s()[a] > c.int64s()[b]) - (c.int64s()[a] < c.int64s()[b]);
        break;
      case TypeId::kUInt64:
        r = (c.uint64s()[a] > c.uint64s()[b]) - (c.uint64s()[a] < c.uint64s()[b]);
        break;
      case TypeId::kDouble:
        r = CompareDoubles(c.doubles()[a], c.doubles()[b]);
        break;
      case TypeId::kString:
        if (c.is_dictionary() && c.dictionary().codes[a] == c.dictionary().codes[b]) {
          r = 0;
        } else {
          r = c.StringAt(a).compare(c.StringAt(b));
        }
        break;
    }
    return k.descending ? -r : r;
  };
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    for (const SortKey& k : keys) {
      int r = cmp_key(k, a, b);
      if (r != 0) return r < 0;
    }
    return false;
  });
  return order;
}

class SortOperator final : public Operator {
 public:
  // limit < 0: full sort.
  SortOperator(OperatorPtr child, std::vector<SortKey> keys, int64_t limit, int64_t offset,
               ExecContext* ctx)
      : child_(std::move(child)),
        keys_(std::move(keys)),
        limit_(limit),
        offset_(offset),
        ctx_(ctx),
        reservation_(ctx) {}
  const model::Schema& schema() const override { return child_->schema(); }

  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    if (!sorted_) {
      CS_RETURN_IF_ERROR(Consume());
      sorted_ = true;
    }
    if (emitted_ >= result_.num_rows()) {
      reservation_.Release();
      return std::nullopt;
    }
    size_t end = std::min(result_.num_rows(), emitted_ + kTargetBatchRows);
    RecordBatch out = SliceBatch(result_, emitted_, end);
    emitted_ = end;
    return out;
  }

 private:
  absl::Status Consume() {
    std::vector<RecordBatch> buffered;
    size_t buffered_rows = 0;
    const size_t keep = limit_ >= 0 ? static_cast<size_t>(limit_ + offset_) : 0;
    const size_t bound = std::max<size_t>(2 * keep, kTargetBatchRows);
    int64_t bytes = 0;
    while (true) {
      CS_RETURN_IF_ERROR(ctx_->CheckAlive());
      CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, child_->Next());
      if (!in.has_value()) break;
      if (in->num_rows() == 0) continue;
      for (const Column& c : in->columns()) bytes += ColumnBytes(c);
      CS_RETURN_IF_ERROR(reservation_.ResizeTo(bytes));
      buffered_rows += in->num_rows();
      buffered.push_back(std::move(*in));
      if (limit_ >= 0 && buffered_rows > bound) {
        // Top-N: keep only the best `keep` rows seen so far.
        RecordBatch all = ConcatBatches(schema(), buffered);
        std::vector<uint32_t> order = SortedOrder(all, keys_);
        order.resize(std::min(order.size(), keep));
        buffered.clear();
        buffered.push_back(all.Take(order));
        buffered_rows = buffered[0].num_rows();
        bytes = 0;
        for (const Column& c : buffered[0].columns()) bytes += ColumnBytes(c);
        CS_RETURN_IF_ERROR(reservation_.ResizeTo(bytes));
      }
    }
    RecordBatch all = ConcatBatches(schema(), buffered);
    buffered.clear();
    std::vector<uint32_t> order = SortedOrder(all, keys_);
    if (limit_ >= 0) {
      size_t begin = std::min(order.size(), static_cast<size_t>(offset_));
      size_t end = std::min(order.size(), keep);
      order = std::vector<uint32_t>(order.begin() + begin, order.begin() + std::max(begin, end));
    }
    result_ = all.Take(order);
    return absl::OkStatus();
  }

  OperatorPtr child_;
  std::vector<SortKey> keys_;
  int64_t limit_;
  int64_t offset_;
  ExecContext* ctx_;
  MemoryReservation reservation_;
  bool sorted_ = false;
  RecordBatch result_;
  size_t emitted_ = 0;
};

absl::Status CheckSortKeys(const model::Schema& schema, const std::vector<SortKey>& keys) {
  if (keys.empty()) return absl::InvalidArgumentError("sort needs at least one key");
  for (const SortKey& k : keys) CS_RETURN_IF_ERROR(CheckColumnIndex(schema, k.column, "sort"));
  return absl::OkStatus();
}

// ---- hash join ------------------------------------------------------------------------------

class HashJoinOperator final : public Operator {
 public:
  HashJoinOperator(OperatorPtr left, OperatorPtr right, std::vector<size_t> left_keys,
                   std::vector<size_t> right_keys, JoinType type, model::Schema schema,
                   ExecContext* ctx)
      : left_(std::move(left)),
        right_(std::move(right)),
        left_keys_(std::move(left_keys)),
        right_keys_(std::move(right_keys)),
        type_(type),
        schema_(std::move(schema)),
        ctx_(ctx),
        reservation_(ctx),
        table_(KeyTypes(right_->schema(), right_keys_)) {}
  const model::Schema& schema() const override { return schema_; }

  absl::StatusOr<std::optional<RecordBatch>> Next() override {
    if (!built_) {
      CS_RETURN_IF_ERROR(Build());
      built_ = true;
    }
    while (true) {
      CS_RETURN_IF_ERROR(ctx_->CheckAlive());
      CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, left_->Next());
      if (!in.has_value()) {
        reservation_.Release();
        return std::nullopt;
      }
      CS_ASSIGN_OR_RETURN(RecordBatch out, Probe(*in));
      if (out.num_rows() > 0) return out;
    }
  }

 private:
  static std::vector<TypeId> KeyTypes(const model::Schema& s, const std::vector<size_t>& keys) {
    std::vector<TypeId> types;
    for (size_t k : keys) types.push_back(s.field(k).type);
    return types;
  }

  absl::Status Build() {
    std::vector<RecordBatch> batches;
    int64_t bytes = 0;
    while (true) {
      CS_RETURN_IF_ERROR(ctx_->CheckAlive());
      CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> in, right_->Next());
      if (!in.has_value()) break;
      for (const Column& c : in->columns()) bytes += ColumnBytes(c);
      CS_RETURN_IF_ERROR(reservation_.ResizeTo(bytes));
      batches.push_back(std::move(*in));
    }
    build_ = ConcatBatches(right_->schema(), batches);
    const size_t n = build_.num_rows();
    std::vector<Column> keys;
    for (size_t k : right_keys_) keys.push_back(build_.column(k));
    std::vector<uint32_t> groups;
    table_.Map(keys, n, &groups);
    // Chains of build rows per key, in build order; rows with a NULL key never match.
    head_.assign(table_.num_groups(), internal::GroupTable::kNoGroup);
    next_.assign(n, internal::GroupTable::kNoGroup);
    std::vector<uint32_t> tail(table_.num_groups(), internal::GroupTable::kNoGroup);
    for (size_t i = 0; i < n; ++i) {
      bool null_key = false;
      for (const Column& c : keys) null_key |= !c.IsValid(i);
      if (null_key) continue;
      uint32_t g = groups[i];
      if (head_[g] == internal::GroupTable::kNoGroup) {
        head_[g] = static_cast<uint32_t>(i);
      } else {
        next_[tail[g]] = static_cast<uint32_t>(i);
      }
      tail[g] = static_cast<uint32_t>(i);
    }
    return reservation_.ResizeTo(bytes + table_.MemoryBytes() +
                                 static_cast<int64_t>((head_.size() + next_.size()) * 4));
  }

  absl::StatusOr<RecordBatch> Probe(const RecordBatch& in) {
    const size_t n = in.num_rows();
    std::vector<Column> keys;
    for (size_t k : left_keys_) keys.push_back(in.column(k));
    std::vector<uint32_t> groups;
    table_.Find(keys, n, &groups);
    std::vector<uint32_t> left_rows, right_rows;
    std::vector<uint8_t> matched;
    for (size_t i = 0; i < n; ++i) {
      uint32_t g = groups[i];
      uint32_t r = g == internal::GroupTable::kNoGroup ? internal::GroupTable::kNoGroup : head_[g];
      if (r == internal::GroupTable::kNoGroup) {
        if (type_ == JoinType::kLeft) {
          left_rows.push_back(static_cast<uint32_t>(i));
          right_rows.push_back(0);
          matched.push_back(0);
        }
        continue;
      }
      for (; r != internal::GroupTable::kNoGroup; r = next_[r]) {
        left_rows.push_back(static_cast<uint32_t>(i));
        right_rows.push_back(r);
        matched.push_back(1);
      }
    }
    std::vector<Column> columns;
    for (const Column& c : in.columns()) columns.push_back(c.Take(left_rows));
    const bool any_unmatched = std::find(matched.begin(), matched.end(), 0) != matched.end();
    for (const Column& c : build_.columns()) {
      if (build_.num_rows() == 0) {
        columns.push_back(ScalarToColumn(Scalar::Null(c.type()), left_rows.size()));
        continue;
      }
      Column taken = c.Take(right_rows);
      if (any_unmatched) {
        std::vector<uint8_t> valid(left_rows.size());
        for (size_t k = 0; k < valid.size(); ++k) valid[k] = matched[k] && taken.IsValid(k);
        taken.SetValidity(std::move(valid));
      }
      columns.push_back(std::move(taken));
    }
    return RecordBatch(schema_, std::move(columns));
  }

  OperatorPtr left_, right_;
  std::vector<size_t> left_keys_, right_keys_;
  JoinType type_;
  model::Schema schema_;
  ExecContext* ctx_;
  MemoryReservation reservation_;
  internal::GroupTable table_;
  bool built_ = false;
  RecordBatch build_;
  std::vector<uint32_t> head_, next_;
};

}  // namespace

int64_t ColumnBytes(const Column& column) {
  int64_t bytes = static_cast<int64_t>(column.validity().size());
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, model::StringVector>) {
          bytes += static_cast<int64_t>(v.bytes().size() + v.offsets().size() * 8);
        } else if constexpr (std::is_same_v<T, model::DictionaryStrings>) {
          bytes += static_cast<int64_t>(v.dictionary.bytes().size() +
                                        v.dictionary.offsets().size() * 8 + v.codes.size() * 4);
        } else {
          bytes += static_cast<int64_t>(v.size() * sizeof(typename T::value_type));
        }
      },
      column.storage());
  return bytes;
}

absl::StatusOr<std::vector<RecordBatch>> CollectAll(Operator& op) {
  std::vector<RecordBatch> out;
  while (true) {
    CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> b, op.Next());
    if (!b.has_value()) return out;
    if (b->num_rows() > 0) out.push_back(std::move(*b));
  }
}

absl::StatusOr<RecordBatch> CollectOne(Operator& op) {
  CS_ASSIGN_OR_RETURN(std::vector<RecordBatch> batches, CollectAll(op));
  return ConcatBatches(op.schema(), batches);
}

absl::StatusOr<OperatorPtr> MakeSource(model::Schema schema, std::vector<RecordBatch> batches,
                                       ExecContext* ctx) {
  for (const RecordBatch& b : batches) CS_RETURN_IF_ERROR(CheckSchema(schema, b, "source"));
  return OperatorPtr(std::make_unique<VectorSource>(std::move(schema), std::move(batches), ctx));
}

OperatorPtr MakeCallbackSource(model::Schema schema, BatchCallback next, ExecContext* ctx) {
  return std::make_unique<CallbackSource>(std::move(schema), std::move(next), ctx);
}

absl::Status BatchPipeline::AddFilter(ExprPtr predicate) {
  if (predicate->type() != TypeId::kBool) {
    return absl::InvalidArgumentError(base::StrCat("WHERE/filter condition must be bool, not ",
                                                   model::TypeName(predicate->type()), ": ",
                                                   predicate->ToString()));
  }
  stages_.push_back(Stage{std::move(predicate), {}, schema_});
  return absl::OkStatus();
}

absl::Status BatchPipeline::AddProject(std::vector<ProjectItem> items) {
  std::vector<model::Field> fields;
  for (const ProjectItem& item : items) {
    if (item.expr == nullptr) return absl::InvalidArgumentError("projection without expression");
    fields.push_back({item.name, item.expr->type(), true});
  }
  schema_ = model::Schema(std::move(fields));
  stages_.push_back(Stage{nullptr, std::move(items), schema_});
  return absl::OkStatus();
}

absl::StatusOr<RecordBatch> BatchPipeline::Apply(RecordBatch batch) const {
  for (const Stage& stage : stages_) {
    if (stage.predicate != nullptr) {
      CS_ASSIGN_OR_RETURN(Column mask, stage.predicate->Evaluate(batch));
      const auto& v = mask.bools();
      std::vector<uint32_t> selection;
      selection.reserve(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] && mask.IsValid(i)) selection.push_back(static_cast<uint32_t>(i));
      }
      if (selection.size() != batch.num_rows()) batch = batch.Take(selection);
    } else {
      // Computed items first; then pass-through columns, each moved out of the batch by its last
      // reference and copied by any earlier one (`SELECT value, value` copies once).
      std::vector<std::optional<Column>> computed(stage.items.size());
      for (size_t i = 0; i < stage.items.size(); ++i) {
        if (stage.items[i].expr->column_index().has_value()) continue;
        CS_ASSIGN_OR_RETURN(computed[i], stage.items[i].expr->Evaluate(batch));
      }
      for (size_t i = 0; i < stage.items.size(); ++i) {
        std::optional<size_t> source = stage.items[i].expr->column_index();
        if (!source.has_value()) continue;
        bool last_use = true;
        for (size_t j = i + 1; j < stage.items.size() && last_use; ++j) {
          last_use = stage.items[j].expr->column_index() != source;
        }
        if (last_use) {
          if (*source >= batch.num_columns() ||
              batch.column(*source).type() != stage.items[i].expr->type()) {
            return absl::InternalError(base::StrCat("column reference ",
                                                    stage.items[i].expr->ToString(),
                                                    " does not match the input batch"));
          }
          computed[i] = std::move(batch.mutable_column(*source));
        } else {
          CS_ASSIGN_OR_RETURN(computed[i], stage.items[i].expr->Evaluate(batch));
        }
      }
      std::vector<Column> columns;
      columns.reserve(computed.size());
      for (std::optional<Column>& c : computed) columns.push_back(std::move(*c));
      batch = RecordBatch(stage.schema, std::move(columns));
    }
  }
  return batch;
}

absl::StatusOr<OperatorPtr> MakeFilter(OperatorPtr child, ExprPtr predicate, ExecContext* ctx) {
  BatchPipeline pipeline(child->schema());
  CS_RETURN_IF_ERROR(pipeline.AddFilter(std::move(predicate)));
  return OperatorPtr(
      std::make_unique<PipelineOperator>(std::move(child), std::move(pipeline), ctx));
}

absl::StatusOr<OperatorPtr> MakeProject(OperatorPtr child, std::vector<ProjectItem> items,
                                        ExecContext* ctx) {
  BatchPipeline pipeline(child->schema());
  CS_RETURN_IF_ERROR(pipeline.AddProject(std::move(items)));
  return OperatorPtr(
      std::make_unique<PipelineOperator>(std::move(child), std::move(pipeline), ctx));
}

absl::StatusOr<OperatorPtr> MakeParallelPipeline(OperatorPtr child, BatchPipeline pipeline,
                                                 base::ThreadPool* pool, ExecContext* ctx) {
  if (!(pipeline.input_schema() == child->schema())) {
    return absl::InvalidArgumentError("parallel pipeline input does not match its child");
  }
  return OperatorPtr(
      std::make_unique<ParallelPipelineOperator>(std::move(child), std::move(pipeline), pool, ctx));
}

absl::StatusOr<OperatorPtr> MakeLimit(OperatorPtr child, std::optional<int64_t> limit,
                                      int64_t offset) {
  if (offset < 0 || (limit.has_value() && *limit < 0)) {
    return absl::InvalidArgumentError("LIMIT and OFFSET must not be negative");
  }
  return OperatorPtr(std::make_unique<LimitOperator>(std::move(child), limit, offset));
}

absl::StatusOr<OperatorPtr> MakeUnionAll(std::vector<OperatorPtr> children) {
  if (children.empty()) return absl::InvalidArgumentError("UNION ALL needs at least one input");
  const model::Schema& first = children[0]->schema();
  for (size_t i = 1; i < children.size(); ++i) {
    const model::Schema& s = children[i]->schema();
    if (s.size() != first.size()) {
      return absl::InvalidArgumentError(
          base::StrCat("UNION ALL inputs have ", first.size(), " and ", s.size(), " columns"));
    }
    for (size_t c = 0; c < s.size(); ++c) {
      if (s.field(c).type != first.field(c).type) {
        return absl::InvalidArgumentError(base::StrCat("UNION ALL column ", c + 1, " has types ",
                                                       model::TypeName(first.field(c).type),
                                                       " and ", model::TypeName(s.field(c).type)));
      }
    }
  }
  return OperatorPtr(std::make_unique<UnionAllOperator>(std::move(children)));
}

absl::StatusOr<OperatorPtr> MakeSort(OperatorPtr child, std::vector<SortKey> keys,
                                     ExecContext* ctx) {
  CS_RETURN_IF_ERROR(CheckSortKeys(child->schema(), keys));
  return OperatorPtr(std::make_unique<SortOperator>(std::move(child), std::move(keys), -1, 0, ctx));
}

absl::StatusOr<OperatorPtr> MakeTopN(OperatorPtr child, std::vector<SortKey> keys, int64_t limit,
                                     int64_t offset, ExecContext* ctx) {
  CS_RETURN_IF_ERROR(CheckSortKeys(child->schema(), keys));
  if (limit < 0 || offset < 0) {
    return absl::InvalidArgumentError("LIMIT and OFFSET must not be negative");
  }
  return OperatorPtr(
      std::make_unique<SortOperator>(std::move(child), std::move(keys), limit, offset, ctx));
}

absl::StatusOr<OperatorPtr> MakeHashJoin(OperatorPtr left, OperatorPtr right,
                                         std::vector<size_t> left_keys,
                                         std::vector<size_t> right_keys, JoinType type,
                                         ExecContext* ctx) {
  if (left_keys.empty() || left_keys.size() != right_keys.size()) {
    return absl::InvalidArgumentError("hash join needs the same number (>= 1) of keys per side");
  }
  for (size_t i = 0; i < left_keys.size(); ++i) {
    CS_RETURN_IF_ERROR(CheckColumnIndex(left->schema(), left_keys[i], "join"));
    CS_RETURN_IF_ERROR(CheckColumnIndex(right->schema(), right_keys[i], "join"));
    TypeId lt = left->schema().field(left_keys[i]).type;
    TypeId rt = right->schema().field(right_keys[i]).type;
    if (lt != rt) {
      return absl::InvalidArgumentError(base::StrCat(
          "join key ", i + 1, " has types ", model::TypeName(lt), " and ", model::TypeName(rt)));
    }
  }
  std::vector<model::Field> fields = left->schema().fields();
  for (model::Field f : right->schema().fields()) {
    if (type == JoinType::kLeft) f.nullable = true;
    fields.push_back(std::move(f));
  }
  model::Schema schema(std::move(fields));
  return OperatorPtr(std::make_unique<HashJoinOperator>(std::move(left), std::move(right),
                                                        std::move(left_keys), std::move(right_keys),
                                                        type, std::move(schema), ctx));
}

}  // namespace cardinalsin::exec
