#include "ingest/series_buffer.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "model/labels.h"

namespace cardinalsin::ingest {
namespace {
constexpr size_t kBytesPerRow = sizeof(uint32_t) + sizeof(int64_t) + sizeof(double);
constexpr size_t kBytesPerSeries =
    sizeof(model::SeriesId) + 4 * sizeof(uint32_t) + 16;           // + hash slot
constexpr size_t kBytesPerString = sizeof(std::string_view) + 24;  // + the arena blocks

struct SeriesSortKey {
  uint32_t metric_rank;
  uint32_t series;
  model::SeriesId id;
};

// Sorts by (metric_rank, id). REQUIRES: every metric_rank < num_ranks.
// Series ids are hashes, so a counting sort on the rank and the top bits of the id leaves
// buckets of about one key, which std::sort finishes (a whole bucket, should ids not spread).
void SortSeriesKeys(std::vector<SeriesSortKey>& keys, uint32_t num_ranks) {
  auto less = [](const SeriesSortKey& a, const SeriesSortKey& b) {
    return a.metric_rank != b.metric_rank ? a.metric_rank < b.metric_rank : a.id < b.id;
  };
  const size_t n = keys.size();
  if (n < 1024) {
    std::sort(keys.begin(), keys.end(), less);
    return;
  }
  int bits = 0;  // of the id: about one bucket per key
  while (bits < 24 && (size_t{num_ranks} << bits) < n) ++bits;
  auto bucket = [bits](const SeriesSortKey& key) {
    return (size_t{key.metric_rank} << bits) | (bits > 0 ? key.id >> (64 - bits) : 0);
  };
  std::vector<uint32_t> next(size_t{num_ranks} << bits, 0);  // counts, then bucket cursors
  for (const SeriesSortKey& key : keys) ++next[bucket(key)];
  uint32_t begin = 0;
  for (uint32_t& count : next) begin += std::exchange(count, begin);
  std::vector<SeriesSortKey> sorted(n);
  for (const SeriesSortKey& key : keys) sorted[next[bucket(key)]++] = key;
  // Now next[b] is where bucket b ends.
  begin = 0;
  for (uint32_t end : next) {
    if (end - begin > 1) std::sort(sorted.begin() + begin, sorted.begin() + end, less);
    begin = end;
  }
  keys.swap(sorted);
}

}  // namespace

SeriesBuffer::SeriesBuffer(const Capacity& capacity)
    : value_strings_(capacity.strings), series_index_(capacity.series) {
  series_.reserve(capacity.series);
  labels_.reserve(capacity.label_refs);
  row_series_.reserve(capacity.rows);
  timestamps_.reserve(capacity.rows);
  values_.reserve(capacity.rows);
}

uint32_t SeriesBuffer::InternIn(StringInterner& table, std::string_view s) {
  const size_t strings_before = table.size();
  const size_t arena_before = table.arena_bytes();
  const uint32_t id = table.Intern(s);
  if (table.size() != strings_before) {
    bytes_ += kBytesPerString + (table.arena_bytes() - arena_before);
  }
  return id;
}

void SeriesBuffer::Append(const ValidatedSeries& series, uint64_t wal_seq, absl::Time now) {
  if (series.timestamps_ns.empty()) return;
  if (timestamps_.empty()) first_append_ = now;
  if (wal_seq != 0) {
    if (min_seq_ == 0 || wal_seq < min_seq_) min_seq_ = wal_seq;
    max_seq_ = std::max(max_seq_, wal_seq);
  }
  const auto [index, inserted] =
      series_index_.FindOrInsert(series.id, static_cast<uint32_t>(series_.size()));
  if (inserted) {
    Series entry{series.id, 0, static_cast<uint32_t>(labels_.size()), 0};
    // Label i of a new series usually has the name label i of the previous new series had, and
    // often its value (series arrive grouped by target or pod): compare with those before hashing.
    if (recent_labels_.size() < series.labels.size()) recent_labels_.resize(series.labels.size());
    for (size_t i = 0; i < series.labels.size(); ++i) {
      const model::Label& label = series.labels[i];
      RecentLabel& recent = recent_labels_[i];
      const bool same_name =
          recent.name_id == kMetricNameId ? SameBytes(label.name, model::kMetricNameLabel)
          : recent.name_id == kNoString   ? false
                                        : SameBytes(name_strings_.Get(recent.name_id), label.name);
      if (!same_name) {
        recent.name_id =
            SameBytes(label.name, model::kMetricNameLabel) ? kMetricNameId : InternName(label.name);
        recent.value_id = kNoString;
      }
      if (recent.value_id == kNoString ||
          !SameBytes(value_strings_.Get(recent.value_id), label.value)) {
        recent.value_id = Intern(label.value);
      }
      if (recent.name_id == kMetricNameId) {
        entry.metric = recent.value_id;
      } else {
        labels_.push_back({recent.name_id, recent.value_id});
        ++entry.label_count;
      }
    }
    series_.push_back(entry);
    bytes_ += kBytesPerSeries + entry.label_count * sizeof(LabelRef);
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

void SeriesBuffer::PrefetchLabels(const ValidatedSeries& series,
                                  const ValidatedSeries* previous) const {
  if (series_index_.Find(series.id)) return;
  for (size_t i = 0; i < series.labels.size(); ++i) {
    const std::string_view value = series.labels[i].value;
    if (previous != nullptr && i < previous->labels.size() &&
        SameBytes(previous->labels[i].value, value)) {
      continue;  // Append finds it in recent_labels_
    }
    value_strings_.Prefetch(value);
  }
}

void SeriesBuffer::AppendAll(std::span<const ValidatedSeries> series, uint64_t wal_seq,
                             absl::Time now) {
  // Index slots are fetched two strides ahead, so that PrefetchLabels' index lookup one stride
  // ahead hits the cache; the label slots it fetches arrive by the time Append needs them.
  constexpr size_t kStride = 8;
  const size_t n = series.size();
  for (size_t i = 0; i < std::min(n, kStride); ++i) series_index_.Prefetch(series[i].id);
  for (size_t i = 0; i < n; ++i) {
    if (i + 2 * kStride < n) series_index_.Prefetch(series[i + 2 * kStride].id);
    if (i + kStride < n) PrefetchLabels(series[i + kStride], &series[i + kStride - 1]);
    Append(series[i], wal_seq, now);
  }
}

model::RecordBatch SeriesBuffer::ToRecordBatch(const RowFilter& filter) const {
  // 1. Series in chunk order, restricted to the filter's metric.
  std::optional<uint32_t> metric_id;
  if (filter.metric_name) {
    metric_id = value_strings_.Find(*filter.metric_name);
    if (!metric_id) return model::RecordBatch(model::MetricsSchema({}), {});
  }
  // 2. Rows grouped by series (counting sort keeps append order within a series).
  base::HugePageVector<uint32_t> row_begin(series_.size() + 1, 0);
  for (size_t r = 0; r < timestamps_.size(); ++r) {
    if (timestamps_[r] < filter.min_time_ns || timestamps_[r] > filter.max_time_ns) continue;
    if (metric_id && series_[row_series_[r]].metric != *metric_id) continue;
    ++row_begin[row_series_[r] + 1];
  }
  std::partial_sum(row_begin.begin(), row_begin.end(), row_begin.begin());
  base::HugePageVector<uint32_t> grouped(row_begin.back());
  {
    std::vector<uint32_t> cursor(row_begin.begin(), row_begin.end() - 1);
    for (size_t r = 0; r < timestamps_.size(); ++r) {
      if (timestamps_[r] < filter.min_time_ns || timestamps_[r] > filter.max_time_ns) continue;
      if (metric_id && series_[row_series_[r]].metric != *metric_id) continue;
      grouped[cursor[row_series_[r]]++] = static_cast<uint32_t>(r);
    }
  }
  // Series order: metric name, then series id. Metric names compare through their rank among
  // the distinct names so that the sort compares integers, not strings. Ranks are kept by value
  // id in a dense array: 4 bytes per interned string, and the few metric names' entries stay
  // cached, where hashing the metric of each of a million fresh series would not.
  constexpr uint32_t kNoRank = UINT32_MAX;
  base::HugePageVector<uint32_t> metric_rank(value_strings_.size(), kNoRank);
  std::vector<uint32_t> metrics;  // value ids of the selected series' metric names
  for (uint32_t s = 0; s < series_.size(); ++s) {
    if (row_begin[s + 1] == row_begin[s]) continue;
    uint32_t& rank = metric_rank[series_[s].metric];
    if (rank == kNoRank) {
      rank = 0;
      metrics.push_back(series_[s].metric);
    }
  }
  std::sort(metrics.begin(), metrics.end(), [this](uint32_t a, uint32_t b) {
    return value_strings_.Get(a) < value_strings_.Get(b);
  });
  for (uint32_t rank = 0; rank < metrics.size(); ++rank) metric_rank[metrics[rank]] = rank;
  std::vector<SeriesSortKey> keys;
  keys.reserve(series_.size());
  for (uint32_t s = 0; s < series_.size(); ++s) {
    if (row_begin[s + 1] > row_begin[s])
      keys.push_back({metric_rank[series_[s].metric], s, series_[s].id});
  }
  SortSeriesKeys(keys, static_cast<uint32_t>(metrics.size()));
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> order(keys.size());
  std::vector<model::SeriesId> id_of_position(keys.size());
  base::HugePageVector<uint32_t> position_of_series(series_.size(), kNone);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    order[i] = keys[i].series;
    id_of_position[i] = keys[i].id;
    position_of_series[keys[i].series] = i;
  }
  keys = {};

  // 3. Label columns: the names present in the selected series, sorted.
  //    Lookups by string id go through dense arrays over the interned strings: a buffer of a
  //    million fresh series makes hash maps here the flush's dominant cost.
  std::vector<uint32_t> column_of_name(name_strings_.size(), kNone);  // name id -> column
  //    Loops that only need each selected series once walk them in buffer order, not in `order`:
  //    that keeps series_, labels_ and (fresh series intern fresh strings) the string ids
  //    sequential in memory.
  std::vector<uint32_t> name_ids;
  for (uint32_t s = 0; s < series_.size(); ++s) {
    if (position_of_series[s] == kNone) continue;
    for (uint32_t l = 0; l < series_[s].label_count; ++l) {
      const uint32_t name = labels_[series_[s].label_begin + l].name;
      if (column_of_name[name] == kNone) {
        column_of_name[name] = 0;
        name_ids.push_back(name);
      }
    }
  }
  std::sort(name_ids.begin(), name_ids.end(),
            [this](uint32_t a, uint32_t b) { return name_strings_.Get(a) < name_strings_.Get(b); });
  std::vector<std::string> label_names;
  for (uint32_t i = 0; i < name_ids.size(); ++i) {
    column_of_name[name_ids[i]] = i;
    label_names.emplace_back(name_strings_.Get(name_ids[i]));
  }

  // 4. Rows: per series by timestamp, ties in append order (row index), keeping only the last of
  //    equal timestamps. Rows usually arrive in time order, so sorting is mostly skipped.
  //    Walking series in chunk order reads the buffer at random; when series hold few rows each
  //    that is a chain of cache misses per series (row_begin, grouped, the row), so the chain
  //    of the series kAhead, 2 * kAhead and 3 * kAhead positions on is started early.
  const size_t selected = grouped.size();
  std::vector<int64_t> ts;
  std::vector<double> values;
  std::vector<uint64_t> ids;
  std::vector<uint32_t> row_of_series;  // index into `order` per output row
  ts.reserve(selected);
  values.reserve(selected);
  ids.reserve(selected);
  row_of_series.reserve(selected);
  constexpr uint32_t kAhead = 8;
  const uint32_t num_positions = static_cast<uint32_t>(order.size());
  for (uint32_t position = 0; position < num_positions; ++position) {
    if (position + 3 * kAhead < num_positions) {
      __builtin_prefetch(&row_begin[order[position + 3 * kAhead]]);
    }
    if (position + 2 * kAhead < num_positions) {
      __builtin_prefetch(&grouped[row_begin[order[position + 2 * kAhead]]]);
    }
    if (position + kAhead < num_positions) {
      const uint32_t first_row = grouped[row_begin[order[position + kAhead]]];
      __builtin_prefetch(&timestamps_[first_row]);
      __builtin_prefetch(&values_[first_row]);
    }
    const uint32_t s = order[position];
    const auto begin = grouped.begin() + row_begin[s];
    const auto end = grouped.begin() + row_begin[s + 1];
    auto earlier = [this](uint32_t a, uint32_t b) {
      return timestamps_[a] != timestamps_[b] ? timestamps_[a] < timestamps_[b] : a < b;
    };
    if (!std::is_sorted(begin, end, earlier)) std::sort(begin, end, earlier);
    for (auto it = begin; it != end; ++it) {
      if (it + 1 != end && timestamps_[*(it + 1)] == timestamps_[*it]) continue;
      ts.push_back(timestamps_[*it]);
      values.push_back(values_[*it]);
      ids.push_back(id_of_position[position]);
      row_of_series.push_back(position);
    }
  }

  // 5. Dictionary columns: metric names and labels, codes assigned in first-use order (in buffer
  //    order). One pass over the series in buffer order writes each series' codes in every
  //    column side by side (`series_codes`, by the series' rank in buffer order); the columns
  //    are then filled row by row, reading one series' codes at a time. (Writing each column's
  //    code at the series' sorted position instead would scatter one write per label.)
  const size_t num_rows = ts.size();
  const size_t num_columns = label_names.size();
  const size_t stride = num_columns + 1;  // metric names are column num_columns
  struct DictionaryBuilder {
    model::StringVector dictionary;
    // Codes of values that another column claimed first in `claimed` (rare: shared values).
    absl::flat_hash_map<uint32_t, uint32_t> shared_codes;
  };
  // Per string id: the first column using it as a value, and its code there.
  struct Claim {
    uint32_t column = kNone;
    uint32_t code = 0;
  };
  base::HugePageVector<Claim> claimed(value_strings_.size());
  std::vector<DictionaryBuilder> builders(stride);
  auto add_value = [&](uint32_t column, uint32_t value) {
    DictionaryBuilder& builder = builders[column];
    Claim& claim = claimed[value];
    if (claim.column == column) return claim.code;
    if (claim.column == kNone) {
      const uint32_t code = static_cast<uint32_t>(builder.dictionary.size());
      claim = {column, code};
      builder.dictionary.Append(value_strings_.Get(value));
      return code;
    }
    auto [it, inserted] =
        builder.shared_codes.try_emplace(value, static_cast<uint32_t>(builder.dictionary.size()));
    if (inserted) builder.dictionary.Append(value_strings_.Get(value));
    return it->second;
  };
  base::HugePageVector<uint32_t> series_codes(order.size() * stride, kNone);  // kNone = absent
  base::HugePageVector<uint32_t> rank_of_position(order.size());
  {
    uint32_t rank = 0;
    for (uint32_t s = 0; s < series_.size(); ++s) {
      const uint32_t position = position_of_series[s];
      if (position == kNone) continue;
      rank_of_position[position] = rank;
      uint32_t* codes = &series_codes[size_t{rank} * stride];
      const Series& series = series_[s];
      codes[num_columns] = add_value(static_cast<uint32_t>(num_columns), series.metric);
      for (uint32_t l = 0; l < series.label_count; ++l) {
        const LabelRef& ref = labels_[series.label_begin + l];
        codes[column_of_name[ref.name]] = add_value(column_of_name[ref.name], ref.value);
      }
      ++rank;
    }
  }
  std::vector<std::vector<uint32_t>> codes(stride);
  std::vector<std::vector<uint8_t>> validity(stride);
  for (std::vector<uint32_t>& column_codes : codes) column_codes.assign(num_rows, 0);
  // A row takes a few nanoseconds here, so the series' codes are fetched further ahead.
  constexpr size_t kCodesAhead = 4 * kAhead;
  for (size_t r = 0; r < num_rows; ++r) {
    if (r + kCodesAhead < num_rows) {
      __builtin_prefetch(
          &series_codes[size_t{rank_of_position[row_of_series[r + kCodesAhead]]} * stride]);
    }
    const uint32_t* row_codes = &series_codes[size_t{rank_of_position[row_of_series[r]]} * stride];
    for (size_t c = 0; c < stride; ++c) {
      if (row_codes[c] != kNone) {
        codes[c][r] = row_codes[c];
      } else {
        if (validity[c].empty()) validity[c].assign(num_rows, 1);
        validity[c][r] = 0;
      }
    }
  }
  series_codes = {};
  auto finish = [&](size_t c) {
    model::Column column =
        model::Column::FromDictionary(std::move(builders[c].dictionary), std::move(codes[c]));
    if (!validity[c].empty()) column.SetValidity(std::move(validity[c]));
    return column;
  };

  std::vector<model::Column> columns;
  columns.push_back(model::Column::FromInt64(model::TypeId::kTimestampNs, std::move(ts)));
  columns.push_back(finish(num_columns));
  columns.push_back(model::Column::FromDouble(std::move(values)));
  columns.push_back(model::Column::FromUInt64(std::move(ids)));
  for (size_t c = 0; c < num_columns; ++c) columns.push_back(finish(c));
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
