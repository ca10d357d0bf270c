#include "scan/internal/series_directory.h"

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "model/types.h"

namespace cardinalsin::scan::internal {
namespace {

// Gives the rows of one string column codes such that equal codes mean equal values (kAbsent
// for NULL): a dictionary column's own codes (a value listed twice in its dictionary only splits
// runs, which is still correct), or codes into the distinct values of a plain column.
class ColumnCoder {
 public:
  explicit ColumnCoder(const model::Column& column) : column_(column) {}

  uint32_t CodeOf(size_t row) {
    if (!column_.IsValid(row)) return SeriesDirectory::kAbsent;
    if (column_.is_dictionary()) return column_.dictionary().codes[row];
    std::string_view value = column_.strings().Get(row);
    auto [it, inserted] = by_value_.try_emplace(value, static_cast<uint32_t>(seen_.size()));
    // Keys view the column's own bytes, which outlive the coder.
    if (inserted) seen_.Append(value);
    return it->second;
  }

  // The value of a code CodeOf returned (other than kAbsent).
  std::string_view ValueOf(uint32_t code) const {
    return column_.is_dictionary() ? column_.dictionary().dictionary.Get(code) : seen_.Get(code);
  }
  // Codes are below this.
  size_t code_limit() const {
    return column_.is_dictionary() ? column_.dictionary().dictionary.size() : seen_.size();
  }

  // Marks rows whose value differs from the previous row's: starts[r] |= value(r) != value(r-1).
  void MarkChanges(std::vector<uint8_t>& starts) {
    const size_t n = starts.size();
    if (column_.is_dictionary() && column_.validity().empty()) {
      const std::vector<uint32_t>& codes = column_.dictionary().codes;  // the common case
      for (size_t r = 1; r < n; ++r) starts[r] |= codes[r] != codes[r - 1];
      return;
    }
    // Otherwise compare neighbours' codes or bytes (no hashing per row: values are coded at run
    // starts only).
    auto same = [&](size_t r) {
      if (column_.is_dictionary()) {
        return column_.dictionary().codes[r] == column_.dictionary().codes[r - 1];
      }
      return column_.strings().Get(r) == column_.strings().Get(r - 1);
    };
    for (size_t r = 1; r < n; ++r) {
      const bool valid = column_.IsValid(r);
      starts[r] |= valid != column_.IsValid(r - 1) || (valid && !same(r));
    }
  }

 private:
  const model::Column& column_;
  absl::flat_hash_map<std::string_view, uint32_t> by_value_;  // plain columns
  model::StringVector seen_;  // plain columns: distinct values in first-seen order
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
  for (ColumnCoder& coder : coders) coder.MarkChanges(starts);
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
    ColumnCoder& coder = coders[c];
    // The runs' codes, then renumbered into a dictionary of just the values the runs have,
    // distinct and in byte order (so that code order is byte order).
    std::vector<uint32_t>& codes = directory.codes_[c];
    codes.reserve(run_count);
    for (const Run& run : directory.runs_) codes.push_back(coder.CodeOf(run.first_row));
    std::vector<uint32_t> used;
    used.reserve(run_count);
    for (uint32_t code : codes) {
      if (code != kAbsent) used.push_back(code);
    }
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    std::sort(used.begin(), used.end(),
              [&](uint32_t a, uint32_t b) { return coder.ValueOf(a) < coder.ValueOf(b); });
    std::vector<uint32_t> rank(coder.code_limit(), kAbsent);
    model::StringVector sorted;
    for (uint32_t code : used) {
      const std::string_view value = coder.ValueOf(code);
      if (sorted.size() == 0 || sorted.Get(sorted.size() - 1) != value) sorted.Append(value);
      rank[code] = static_cast<uint32_t>(sorted.size() - 1);
    }
    for (uint32_t& code : codes) {
      if (code != kAbsent) code = rank[code];
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
