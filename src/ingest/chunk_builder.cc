#include "ingest/chunk_builder.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "model/types.h"

namespace cardinalsin::ingest {

std::string NewUlid(absl::Time now, base::Random& random) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint64_t millis =
      static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(now))) & ((1ull << 48) - 1);
  uint64_t random_high = random.Next() & ((1ull << 16) - 1);  // 16 of the 80 random bits
  uint64_t random_low = random.Next();                        // the other 64
  // 128 bits = time(48) | random(80), written as 26 base32 digits (the first carries 3 bits).
  unsigned __int128 value = (static_cast<unsigned __int128>(millis) << 80) |
                            (static_cast<unsigned __int128>(random_high) << 64) | random_low;
  std::string text(26, '0');
  for (int i = 25; i >= 0; --i) {
    text[i] = kAlphabet[static_cast<int>(value & 31)];
    value >>= 5;
  }
  return text;
}

parquet::WriterOptions DefaultChunkOptions() {
  parquet::WriterOptions options;
  options.sorting_columns = {std::string(model::kMetricNameColumn),
                             std::string(model::kSeriesIdColumn),
                             std::string(model::kTimestampColumn)};
  // L0 chunks live until compaction rewrites them; the flush is on the ingest critical path, and
  // zstd level 1 compresses about twice as fast as the default 3 for a few percent more bytes.
  options.compression_level = 1;
  return options;
}

absl::StatusOr<BuiltChunk> BuildChunk(std::string_view tenant, const model::RecordBatch& rows,
                                      const parquet::WriterOptions& options, absl::Time now,
                                      base::Random& random) {
  if (rows.num_rows() == 0) return absl::InvalidArgumentError("BuildChunk: no rows");
  const model::Schema& schema = rows.schema();
  const std::vector<int64_t>& ts = rows.column(*schema.IndexOf(model::kTimestampColumn)).int64s();
  const model::Column& metric = rows.column(*schema.IndexOf(model::kMetricNameColumn));
  const std::vector<uint64_t>& ids = rows.column(*schema.IndexOf(model::kSeriesIdColumn)).uint64s();

  BuiltChunk chunk;
  catalog::ChunkSummary& summary = chunk.summary;
  auto [min_ts, max_ts] = std::minmax_element(ts.begin(), ts.end());
  summary.min_time_ns = *min_ts;
  summary.max_time_ns = *max_ts;
  summary.row_count = rows.num_rows();
  summary.min_metric = std::string(metric.StringAt(0));  // rows are sorted by metric name first
  summary.max_metric = std::string(metric.StringAt(rows.num_rows() - 1));
  summary.series_count = 1;
  for (size_t r = 1; r < ids.size(); ++r) {
    if (ids[r] != ids[r - 1] || metric.StringAt(r) != metric.StringAt(r - 1))
      ++summary.series_count;
  }
  // Encodings the writer would only find out by trying a dictionary first: with one row group,
  // the writer's dictionary of a column holds exactly the values its rows use, so a column whose
  // used values exceed the dictionary page limit, or series ids too many to repeat often enough
  // (the writer keeps a numeric dictionary only below one entry per 4 rows), go straight to the
  // writer's fallback encoding. High-cardinality chunks (a request id per series) then skip
  // building dictionaries that are thrown away.
  parquet::WriterOptions chunk_options = options;
  const bool one_row_group = rows.num_rows() <= options.row_group_rows;
  auto use_encoding = [&](const std::string& column, parquet::ColumnEncoding encoding) {
    if (one_row_group) chunk_options.column_encodings.try_emplace(column, encoding);
  };
  if (summary.series_count * 4 > summary.row_count ||
      summary.series_count * sizeof(uint64_t) > options.dictionary_page_limit) {
    use_encoding(std::string(model::kSeriesIdColumn), parquet::ColumnEncoding::kDeltaBinaryPacked);
  }
  for (size_t c = 0; c < schema.size(); ++c) {
    const model::Field& field = schema.field(c);
    if (!field.nullable || field.type != model::TypeId::kString) continue;  // label columns only
    const model::Column& column = rows.column(c);
    std::optional<std::string_view> min, max;
    if (column.is_dictionary()) {
      // Every dictionary entry is used by some row (SeriesBuffer builds them that way), but only
      // non-null rows count; checking codes of valid rows keeps this exact for any producer.
      const model::DictionaryStrings& dict = column.dictionary();
      std::vector<uint8_t> used(dict.dictionary.size(), 0);
      for (size_t r = 0; r < dict.codes.size(); ++r) {
        if (column.IsValid(r)) used[dict.codes[r]] = 1;
      }
      size_t dictionary_bytes = 0;  // as the writer counts them
      for (size_t d = 0; d < used.size(); ++d) {
        if (!used[d]) continue;
        std::string_view v = dict.dictionary.Get(d);
        dictionary_bytes += v.size() + 4;
        if (!min || v < *min) min = v;
        if (!max || v > *max) max = v;
      }
      if (dictionary_bytes > options.dictionary_page_limit) {
        use_encoding(field.name, parquet::ColumnEncoding::kPlain);
      }
    } else {
      for (size_t r = 0; r < column.size(); ++r) {
        if (!column.IsValid(r)) continue;
        std::string_view v = column.StringAt(r);
        if (!min || v < *min) min = v;
        if (!max || v > *max) max = v;
      }
    }
    if (min) summary.labels[field.name] = catalog::LabelRange{std::string(*min), std::string(*max)};
  }

  CS_ASSIGN_OR_RETURN(chunk.bytes, parquet::WriteParquet(rows, chunk_options));
  summary.size_bytes = chunk.bytes.size();
  summary.level = 0;
  summary.created_at_ns = absl::ToUnixNanos(now);
  absl::CivilHour hour =
      absl::ToCivilHour(absl::FromUnixNanos(summary.min_time_ns), absl::UTCTimeZone());
  summary.path = absl::StrFormat("%s/data/%04d/%02d/%02d/%02d/L0-%s.parquet", tenant, hour.year(),
                                 hour.month(), hour.day(), hour.hour(), NewUlid(now, random));
  return chunk;
}

}  // namespace cardinalsin::ingest
