#include "ingest/series_buffer.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "model/labels.h"

namespace cardinalsin::ingest {
namespace {
constexpr size_t kArenaBlockBytes = 256 << 10;
constexpr size_t kBytesPerRow = sizeof(uint32_t) + sizeof(int64_t) + sizeof(double);
constexpr size_t kBytesPerSeries =
    sizeof(model::SeriesId) + 4 * sizeof(uint32_t) + 16;  // + hash slot
}  // namespace

uint32_t SeriesBuffer::Intern(std::string_view s) {
  if (auto it = string_ids_.find(s); it != string_ids_.end()) return it->second;
  if (s.size() > arena_left_) {
    size_t block = std::max(kArenaBlockBytes, s.size());
    arena_.push_back(std::make_unique<char[]>(block));
    arena_next_ = arena_.back().get();
    arena_left_ = block;
    bytes_ += block;
  }
  if (!s.empty()) std::memcpy(arena_next_, s.data(), s.size());
  std::string_view stored(arena_next_, s.size());
  arena_next_ += s.size();
  arena_left_ -= s.size();
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.push_back(stored);
  string_ids_.emplace(stored, id);
  bytes_ += sizeof(std::string_view) + 24;
  return id;
}

void SeriesBuffer::Append(const ValidatedSeries& series, uint64_t wal_seq, absl::Time now) {
  if (series.timestamps_ns.empty()) return;
  if (timestamps_.empty()) first_append_ = now;
  if (wal_seq != 0) {
    if (min_seq_ == 0 || wal_seq < min_seq_) min_seq_ = wal_seq;
    max_seq_ = std::max(max_seq_, wal_seq);
  }
  uint32_t index;
  auto [it, inserted] = series_index_.try_emplace(series.id, 0);
  if (inserted) {
    index = static_cast<uint32_t>(series_.size());
    it->second = index;
    Series entry{series.id, 0, static_cast<uint32_t>(labels_.size()), 0};
    for (const model::Label& label : series.labels) {
      if (label.name == model::kMetricNameLabel) {
        entry.metric = Intern(label.value);
      } else {
        labels_.push_back({Intern(label.name), Intern(label.value)});
        ++entry.label_count;
      }
    }
    series_.push_back(entry);
    bytes_ += kBytesPerSeries + entry.label_count * sizeof(LabelRef);
  } else {
    index = it->second;
  }
  for (size_t i = 0; i < series.timestamps_ns.size(); ++i) {
    row_series_.push_back(index);
    timestamps_.push_back(series.timestamps_ns[i]);
    values_.push_back(series.values[i]);
    min_time_ns_ = std::min(min_time_ns_, series.timestamps_ns[i]);
    max_time_ns_ = std::max(max_time_ns_, series.timestamps_ns[i]);
  }
  bytes_ += series.timestamps_ns.size() * kBytesPerRow;
}

model::RecordBatch SeriesBuffer::ToRecordBatch(const RowFilter& filter) const {
  // 1. Series in chunk order, restricted to the filter's metric.
  std::optional<uint32_t> metric_id;
  if (filter.metric_name) {
    auto it = string_ids_.find(*filter.metric_name);
    if (it == string_ids_.end()) return model::RecordBatch(model::MetricsSchema({}), {});
    metric_id = it->second;
  }
  // 2. Rows grouped by series (counting sort keeps append order within a series).
  std::vector<uint32_t> row_begin(series_.size() + 1, 0);
  for (size_t r = 0; r < timestamps_.size(); ++r) {
    if (timestamps_[r] < filter.min_time_ns || timestamps_[r] > filter.max_time_ns) continue;
    if (metric_id && series_[row_series_[r]].metric != *metric_id) continue;
    ++row_begin[row_series_[r] + 1];
  }
  std::partial_sum(row_begin.begin(), row_begin.end(), row_begin.begin());
  std::vector<uint32_t> grouped(row_begin.back());
  {
    std::vector<uint32_t> cursor(row_begin.begin(), row_begin.end() - 1);
    for (size_t r = 0; r < timestamps_.size(); ++r) {
      if (timestamps_[r] < filter.min_time_ns || timestamps_[r] > filter.max_time_ns) continue;
      if (metric_id && series_[row_series_[r]].metric != *metric_id) continue;
      grouped[cursor[row_series_[r]]++] = static_cast<uint32_t>(r);
    }
  }
  std::vector<uint32_t> order;
  for (uint32_t s = 0; s < series_.size(); ++s) {
    if (row_begin[s + 1] > row_begin[s]) order.push_back(s);
  }
  std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    std::string_view ma = strings_[series_[a].metric];
    std::string_view mb = strings_[series_[b].metric];
    if (ma != mb) return ma < mb;
    return series_[a].id < series_[b].id;
  });

  // 3. Label columns: the names present in the selected series, sorted.
  absl::flat_hash_map<uint32_t, size_t> column_of_name;
  std::vector<std::string> label_names;
  for (uint32_t s : order) {
    for (uint32_t l = 0; l < series_[s].label_count; ++l) {
      uint32_t name = labels_[series_[s].label_begin + l].name;
      if (column_of_name.try_emplace(name, 0).second) label_names.emplace_back(strings_[name]);
    }
  }
  std::sort(label_names.begin(), label_names.end());
  for (size_t i = 0; i < label_names.size(); ++i)
    column_of_name[string_ids_.at(label_names[i])] = i;

  // 4. Rows: per series sorted by timestamp (stable: the last appended of equal timestamps is
  //    last), duplicates dropped keeping the last.
  std::vector<int64_t> ts;
  std::vector<double> values;
  std::vector<uint64_t> ids;
  std::vector<uint32_t> metric_codes;
  std::vector<uint32_t> row_of_series;  // index into `order` per output row
  ts.reserve(grouped.size());
  values.reserve(grouped.size());
  std::vector<uint32_t> rows;
  for (uint32_t position = 0; position < order.size(); ++position) {
    uint32_t s = order[position];
    rows.assign(grouped.begin() + row_begin[s], grouped.begin() + row_begin[s + 1]);
    std::stable_sort(rows.begin(), rows.end(),
                     [this](uint32_t a, uint32_t b) { return timestamps_[a] < timestamps_[b]; });
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i + 1 < rows.size() && timestamps_[rows[i + 1]] == timestamps_[rows[i]]) continue;
      ts.push_back(timestamps_[rows[i]]);
      values.push_back(values_[rows[i]]);
      ids.push_back(series_[s].id);
      row_of_series.push_back(position);
    }
  }

  // 5. Dictionary columns: metric names and labels, codes assigned in first-use order.
  const size_t num_rows = ts.size();
  auto build_dictionary = [&](auto value_of_position) {
    absl::flat_hash_map<uint32_t, uint32_t> code_of;
    model::StringVector dictionary;
    std::vector<uint32_t> codes(num_rows, 0);
    std::vector<uint8_t> validity;
    bool any_null = false;
    std::vector<int64_t> code_of_position(order.size(), -1);
    for (uint32_t p = 0; p < order.size(); ++p) {
      std::optional<uint32_t> value = value_of_position(order[p]);
      if (!value) continue;
      auto [it, inserted] = code_of.try_emplace(*value, static_cast<uint32_t>(dictionary.size()));
      if (inserted) dictionary.Append(strings_[*value]);
      code_of_position[p] = it->second;
    }
    for (size_t r = 0; r < num_rows; ++r) {
      int64_t code = code_of_position[row_of_series[r]];
      if (code < 0) {
        if (!any_null) validity.assign(num_rows, 1);
        any_null = true;
        validity[r] = 0;
      } else {
        codes[r] = static_cast<uint32_t>(code);
      }
    }
    model::Column column = model::Column::FromDictionary(std::move(dictionary), std::move(codes));
    if (any_null) column.SetValidity(std::move(validity));
    return column;
  };

  std::vector<model::Column> columns;
  columns.push_back(model::Column::FromInt64(model::TypeId::kTimestampNs, std::move(ts)));
  columns.push_back(build_dictionary(
      [this](uint32_t s) -> std::optional<uint32_t> { return series_[s].metric; }));
  columns.push_back(model::Column::FromDouble(std::move(values)));
  columns.push_back(model::Column::FromUInt64(std::move(ids)));
  for (const std::string& name : label_names) {
    uint32_t name_id = string_ids_.at(name);
    columns.push_back(build_dictionary([this, name_id](uint32_t s) -> std::optional<uint32_t> {
      const Series& series = series_[s];
      for (uint32_t l = 0; l < series.label_count; ++l) {
        const LabelRef& ref = labels_[series.label_begin + l];
        if (ref.name == name_id) return ref.value;
      }
      return std::nullopt;
    }));
  }
  return model::RecordBatch(model::MetricsSchema(label_names), std::move(columns));
}

model::RecordBatch ConcatMetricsBatches(std::span<const model::RecordBatch> pieces) {
  std::vector<std::string> label_names;
  for (const model::RecordBatch& piece : pieces) {
    for (const model::Field& field : piece.schema().fields()) {
      if (model::IsReservedColumnName(field.name)) continue;
      if (std::find(label_names.begin(), label_names.end(), field.name) == label_names.end()) {
        label_names.push_back(field.name);
      }
    }
  }
  model::Schema schema = model::MetricsSchema(label_names);
  if (pieces.size() == 1 && pieces[0].schema() == schema) return pieces[0];
  std::vector<model::Column> columns;
  for (const model::Field& field : schema.fields()) {
    std::vector<model::Column> parts;
    for (const model::RecordBatch& piece : pieces) {
      if (piece.num_rows() == 0) continue;
      if (std::optional<size_t> index = piece.schema().IndexOf(field.name)) {
        parts.push_back(piece.column(*index));
      } else {
        model::Column nulls = model::Column::FromDictionary(
            model::StringVector::Of({""}), std::vector<uint32_t>(piece.num_rows(), 0));
        nulls.SetValidity(std::vector<uint8_t>(piece.num_rows(), 0));
        parts.push_back(std::move(nulls));
      }
    }
    columns.push_back(parts.empty() ? model::Column::Empty(field.type)
                                    : model::Concat(field.type, parts));
  }
  return model::RecordBatch(std::move(schema), std::move(columns));
}

}  // namespace cardinalsin::ingest
