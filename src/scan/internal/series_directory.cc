#include "scan/internal/series_directory.h"

#include <algorithm>
#include <numeric>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "model/types.h"

namespace cardinalsin::scan::internal {
namespace {

constexpr uint32_t kUnassigned = UINT32_MAX - 1;

// Gives the rows of one string column codes into a dictionary of its distinct values (kAbsent
// for NULL), the same code for the same value.
class ColumnCoder {
 public:
  explicit ColumnCoder(const model::Column& column) : column_(column) {
    if (column.is_dictionary()) {
      remap_.assign(column.dictionary().dictionary.size(), kUnassigned);
    }
  }

  uint32_t CodeOf(size_t row) {
    if (!column_.IsValid(row)) return SeriesDirectory::kAbsent;
    if (column_.is_dictionary()) {
      const uint32_t in = column_.dictionary().codes[row];
      uint32_t& out = remap_[in];
      if (out == kUnassigned) out = Add(column_.dictionary().dictionary.Get(in));
      return out;
    }
    std::string_view value = column_.strings().Get(row);
    auto it = by_value_.find(value);
    if (it != by_value_.end()) return it->second;
    const uint32_t code = Add(value);
    // Keys view the column's own bytes, which outlive the coder.
    by_value_.emplace(value, code);
    return code;
  }

  model::StringVector TakeDictionary() { return std::move(dictionary_); }

 private:
  uint32_t Add(std::string_view value) {
    dictionary_.Append(value);
    return static_cast<uint32_t>(dictionary_.size() - 1);
  }

  const model::Column& column_;
  std::vector<uint32_t> remap_;  // input dictionary code -> our code (dictionary columns)
  absl::flat_hash_map<std::string_view, uint32_t> by_value_;  // plain columns
  model::StringVector dictionary_;
};

}  // namespace

std::vector<std::string> SeriesDirectory::Columns(const model::Schema& file) {
  std::vector<std::string> columns = {std::string(model::kTimestampColumn),
                                      std::string(model::kSeriesIdColumn),
                                      std::string(model::kMetricNameColumn)};
  for (const model::Field& field : file.fields()) {
    if (!model::IsReservedColumnName(field.name)) columns.push_back(field.name);
  }
  return columns;
}

int SeriesDirectory::ColumnIndex(std::string_view name) const {
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (columns_[c] == name) return static_cast<int>(c);
  }
  return -1;
}

absl::StatusOr<SeriesDirectory> SeriesDirectory::Build(const model::RecordBatch& batch,
                                                       const std::string& what) {
  const model::Schema& schema = batch.schema();
  auto fixed = [&](std::string_view name,
                   std::initializer_list<model::TypeId> types) -> absl::StatusOr<size_t> {
    std::optional<size_t> index = schema.IndexOf(name);
    if (!index ||
        std::find(types.begin(), types.end(), batch.column(*index).type()) == types.end()) {
      return absl::DataLossError(
          absl::StrFormat("%s: not a metrics chunk: column '%s' missing or mistyped", what, name));
    }
    return *index;
  };
  CS_ASSIGN_OR_RETURN(size_t ts_index, fixed(model::kTimestampColumn,
                                             {model::TypeId::kTimestampNs, model::TypeId::kInt64}));
  CS_ASSIGN_OR_RETURN(size_t id_index, fixed(model::kSeriesIdColumn, {model::TypeId::kUInt64}));
  CS_ASSIGN_OR_RETURN(size_t metric_index,
                      fixed(model::kMetricNameColumn, {model::TypeId::kString}));

  SeriesDirectory directory;
  std::vector<size_t> string_columns = {metric_index};
  directory.columns_.push_back(std::string(model::kMetricNameColumn));
  for (size_t i = 0; i < schema.size(); ++i) {
    const std::string& name = schema.field(i).name;
    if (model::IsReservedColumnName(name)) continue;
    if (batch.column(i).type() != model::TypeId::kString) return directory;  // not useful
    string_columns.push_back(i);
    directory.columns_.push_back(name);
  }
  const size_t n = batch.num_rows();
  if (n == 0 || n > UINT32_MAX) return directory;

  // Run boundaries: the series id or any column's value changes.
  const std::vector<uint64_t>& ids = batch.column(id_index).uint64s();
  std::vector<uint8_t> starts(n, 0);
  starts[0] = 1;
  for (size_t r = 1; r < n; ++r) starts[r] = ids[r] != ids[r - 1];
  std::vector<ColumnCoder> coders;
  coders.reserve(string_columns.size());
  for (size_t i : string_columns) coders.emplace_back(batch.column(i));
  for (ColumnCoder& coder : coders) {
    uint32_t previous = coder.CodeOf(0);
    for (size_t r = 1; r < n; ++r) {
      const uint32_t code = coder.CodeOf(r);
      starts[r] |= code != previous;
      previous = code;
    }
  }
  size_t run_count = 0;
  for (uint8_t s : starts) run_count += s;
  if (run_count * kMinRowsPerRun > n) return directory;  // not useful

  const std::vector<int64_t>& times = batch.column(ts_index).int64s();
  directory.runs_.reserve(run_count);
  for (size_t r = 0; r < n; ++r) {
    if (starts[r]) {
      directory.runs_.push_back({static_cast<uint32_t>(r), 0, times[r], times[r], ids[r]});
    }
    Run& run = directory.runs_.back();
    ++run.num_rows;
    run.min_time = std::min(run.min_time, times[r]);
    run.max_time = std::max(run.max_time, times[r]);
  }
  directory.codes_.resize(coders.size());
  for (size_t c = 0; c < coders.size(); ++c) {
    // Codes in first-seen order, then renumbered so that code order is byte order.
    model::StringVector seen = coders[c].TakeDictionary();
    std::vector<uint32_t> order(seen.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return seen.Get(a) < seen.Get(b); });
    std::vector<uint32_t> rank(seen.size());
    model::StringVector sorted;
    sorted.Reserve(seen.size(), seen.bytes().size());
    for (uint32_t i = 0; i < order.size(); ++i) {
      rank[order[i]] = i;
      sorted.Append(seen.Get(order[i]));
    }
    std::vector<uint32_t>& codes = directory.codes_[c];
    codes.reserve(run_count);
    for (const Run& run : directory.runs_) {
      const uint32_t code = coders[c].CodeOf(run.first_row);
      codes.push_back(code == kAbsent ? kAbsent : rank[code]);
    }
    directory.dictionaries_.push_back(std::move(sorted));
  }
  directory.metric_sorted_ = std::is_sorted(directory.codes_[0].begin(), directory.codes_[0].end());
  directory.useful_ = true;
  directory.bytes_ = sizeof(SeriesDirectory) + run_count * sizeof(Run);
  for (size_t c = 0; c < coders.size(); ++c) {
    directory.bytes_ += directory.codes_[c].size() * sizeof(uint32_t) +
                        directory.dictionaries_[c].bytes().size() +
                        directory.dictionaries_[c].offsets().size() * sizeof(uint64_t) +
                        directory.columns_[c].size();
  }
  return directory;
}

}  // namespace cardinalsin::scan::internal
