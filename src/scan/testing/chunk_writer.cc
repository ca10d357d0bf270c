#include "scan/testing/chunk_writer.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "model/labels.h"

namespace cardinalsin::scan::testing {

uint64_t SeriesIdOf(const std::string& metric, const std::map<std::string, std::string>& labels) {
  std::vector<model::Label> sorted;
  sorted.push_back({model::kMetricNameLabel, metric});
  for (const auto& label : labels) sorted.push_back({label.first, label.second});
  model::SortLabels(sorted);
  return model::ComputeSeriesId(sorted);
}

model::RecordBatch MetricsRows(std::vector<TestRow> rows) {
  std::vector<uint64_t> ids(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) ids[i] = SeriesIdOf(rows[i].metric, rows[i].labels);
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(rows[a].metric, ids[a], rows[a].timestamp_ns) <
           std::tie(rows[b].metric, ids[b], rows[b].timestamp_ns);
  });
  std::set<std::string> keys;
  for (const TestRow& row : rows) {
    for (const auto& label : row.labels) keys.insert(label.first);
  }
  model::Schema schema = model::MetricsSchema(std::vector<std::string>(keys.begin(), keys.end()));
  std::vector<int64_t> ts;
  model::StringVector names;
  std::vector<double> values;
  std::vector<uint64_t> sorted_ids;
  std::vector<model::StringVector> label_values(keys.size());
  std::vector<std::vector<uint8_t>> validity(keys.size());
  for (size_t i : order) {
    ts.push_back(rows[i].timestamp_ns);
    names.Append(rows[i].metric);
    values.push_back(rows[i].value);
    sorted_ids.push_back(ids[i]);
    size_t k = 0;
    for (const std::string& key : keys) {
      auto it = rows[i].labels.find(key);
      label_values[k].Append(it == rows[i].labels.end() ? "" : it->second);
      validity[k].push_back(it == rows[i].labels.end() ? 0 : 1);
      ++k;
    }
  }
  std::vector<model::Column> columns;
  columns.push_back(model::Column::FromInt64(model::TypeId::kTimestampNs, std::move(ts)));
  columns.push_back(model::Column::FromStrings(std::move(names)));
  columns.push_back(model::Column::FromDouble(std::move(values)));
  columns.push_back(model::Column::FromUInt64(std::move(sorted_ids)));
  for (size_t k = 0; k < keys.size(); ++k) {
    model::Column column = model::Column::FromStrings(std::move(label_values[k]));
    column.SetValidity(std::move(validity[k]));
    columns.push_back(std::move(column));
  }
  return model::RecordBatch(std::move(schema), std::move(columns));
}

parquet::WriterOptions ChunkOptions(size_t row_group_rows, size_t page_rows) {
  parquet::WriterOptions options;
  options.row_group_rows = row_group_rows;
  options.page_rows = page_rows;
  options.sorting_columns = {std::string(model::kMetricNameColumn),
                             std::string(model::kSeriesIdColumn),
                             std::string(model::kTimestampColumn)};
  return options;
}

absl::StatusOr<catalog::ChunkSummary> PutChunk(io::ObjectStore& store, std::string_view tenant,
                                               std::string_view name,
                                               const model::RecordBatch& rows,
                                               const parquet::WriterOptions& options,
                                               int64_t created_at_ns) {
  if (rows.num_rows() == 0) return absl::InvalidArgumentError("PutChunk: no rows");
  const model::Schema& schema = rows.schema();
  const std::vector<int64_t>& ts = rows.column(*schema.IndexOf(model::kTimestampColumn)).int64s();
  const model::Column& metric = rows.column(*schema.IndexOf(model::kMetricNameColumn));
  const std::vector<uint64_t>& ids = rows.column(*schema.IndexOf(model::kSeriesIdColumn)).uint64s();
  catalog::ChunkSummary summary;
  summary.path = absl::StrFormat("%s/data/test/%s.parquet", std::string(tenant), std::string(name));
  auto [min_ts, max_ts] = std::minmax_element(ts.begin(), ts.end());
  summary.min_time_ns = *min_ts;
  summary.max_time_ns = *max_ts;
  summary.row_count = rows.num_rows();
  summary.min_metric = std::string(metric.StringAt(0));
  summary.max_metric = std::string(metric.StringAt(rows.num_rows() - 1));
  summary.series_count = std::set<uint64_t>(ids.begin(), ids.end()).size();
  for (size_t c = 0; c < schema.size(); ++c) {
    const model::Field& field = schema.field(c);
    if (model::IsReservedColumnName(field.name)) continue;
    const model::Column& column = rows.column(c);
    std::optional<std::string> min, max;
    for (size_t r = 0; r < column.size(); ++r) {
      if (!column.IsValid(r)) continue;
      std::string v(column.StringAt(r));
      if (!min || v < *min) min = v;
      if (!max || v > *max) max = v;
    }
    if (min) summary.labels[field.name] = catalog::LabelRange{*min, *max};
  }
  CS_ASSIGN_OR_RETURN(std::string bytes, parquet::WriteParquet(rows, options));
  summary.size_bytes = bytes.size();
  summary.created_at_ns = created_at_ns;
  CS_RETURN_IF_ERROR(store.Put(summary.path, bytes).status());
  return summary;
}

absl::StatusOr<catalog::ChunkSummary> CommitChunk(io::ObjectStore& store, catalog::Catalog& catalog,
                                                  std::string_view name,
                                                  const model::RecordBatch& rows,
                                                  const parquet::WriterOptions& options,
                                                  int64_t created_at_ns) {
  CS_ASSIGN_OR_RETURN(catalog::ChunkSummary summary,
                      PutChunk(store, catalog.tenant(), name, rows, options, created_at_ns));
  CS_RETURN_IF_ERROR(catalog.Commit({.add = {summary}}).status());
  return summary;
}

}  // namespace cardinalsin::scan::testing
