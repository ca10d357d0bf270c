#include "scan/scanner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <numeric>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/shared_lru_cache.h"
#include "base/status_macros.h"
#include "base/thread_pool.h"
#include "model/types.h"
#include "parquet/reader.h"
#include "scan/internal/cached_source.h"
#include "scan/internal/matcher.h"
#include "scan/internal/series_directory.h"

namespace cardinalsin::scan {
namespace internal {

// The rows one source (a chunk or an ingester's answer) contributes, already filtered and
// projected to the output schema.
struct Piece {
  std::vector<model::RecordBatch> batches;
  // (series_id, timestamp) of every row, across batches in order; only kept when the source's
  // component needs deduplication.
  std::vector<uint64_t> ids;
  std::vector<int64_t> timestamps;
  // Byte-order range of the metric names of the rows (when the input had metric_name).
  std::optional<std::pair<std::string, std::string>> metric_range;
  ScanStats stats;
};

struct Source {
  const catalog::ChunkSummary* chunk = nullptr;  // null for an ingester's rows
  size_t unflushed = 0;                          // index into ScanContext::unflushed
  int64_t min_time = 0, max_time = 0;
  std::string min_metric, max_metric;
  // Newer sources win duplicates: ingester buffers, then chunks by creation time.
  std::tuple<int, int64_t, std::string> recency;
};

struct Component {
  std::vector<size_t> sources;  // newest first
  bool dedup = false;
  size_t end_task = 0;  // one past the last chunk task of this component
};

struct Task {
  const catalog::ChunkSummary* chunk = nullptr;
  bool keep_keys = false;
  // This task decodes part `part` of `parts` of the chunk's selected row groups (contiguous, in
  // order); only a chunk that overlaps nothing is split, so parts never need deduplication.
  int part = 0, parts = 1;
  // Set by whichever thread runs the task: a pool thread, or the consumer (ScanStream::Await)
  // when it would otherwise wait.
  std::atomic<bool> claimed{false};
  std::promise<absl::StatusOr<Piece>> promise;
  std::future<absl::StatusOr<Piece>> future;
};

// The metric names of a chunk, each with the times of its first and last sample: the metric
// browser's answer for a chunk without walking the chunk's row groups. Immutable once built.
struct ChunkMetricTimes {
  struct Metric {
    std::string name;
    int64_t min_time = 0, max_time = 0;  // inclusive
  };
  std::vector<Metric> metrics;  // by name
  uint64_t bytes() const {
    uint64_t total = sizeof(*this);
    for (const Metric& m : metrics) total += sizeof(Metric) + m.name.size();
    return total;
  }
};

struct ScanContext {
  ScanRequest request;
  StringMatcher metric;
  std::vector<StringMatcher> labels;  // parallel to request.labels
  model::Schema output;
  std::shared_ptr<const catalog::Snapshot> snapshot;
  std::vector<Source> sources;
  std::vector<Piece> unflushed;
  std::vector<Component> components;
  std::vector<std::unique_ptr<Task>> tasks;  // chunk decodes in component order

  io::ObjectStore* store = nullptr;
  RangeCache* ram = nullptr;
  DiskCache* disk = nullptr;
  base::ThreadPool* pool = nullptr;
  base::SharedLruCache<SeriesDirectory>* directories = nullptr;  // null: select rows by row only
  base::SharedLruCache<parquet::ParquetReader::Footer>* footers = nullptr;
  parquet::PageCache* pages = nullptr;  // null: no page cache
  // With `directories`: per chunk, its metric names and their time ranges.
  base::SharedLruCache<ChunkMetricTimes>* metric_times = nullptr;
  size_t window = 0;
  int max_parts = 1;  // most tasks one chunk is split into (the decode threads)
  uint64_t rows_per_part = uint64_t{1} << 20;  // ScannerOptions::rows_per_decode_part
  std::atomic<bool> cancelled{false};
};

namespace {

// Parsed footers kept in RAM (each a few KiB to a few hundred KiB).
constexpr uint64_t kFooterCacheBytes = 64ull << 20;
// Chunks' metric names with their time ranges (a few KiB per chunk).
constexpr uint64_t kMetricTimesCacheBytes = 16ull << 20;

// Most values an equality / IN predicate hands to the Parquet reader as any_of (bloom probes).
constexpr size_t kMaxAnyOf = 64;

bool IsFixed(std::string_view name) { return model::IsReservedColumnName(name); }

model::TypeId FixedType(std::string_view name) {
  if (name == model::kTimestampColumn) return model::TypeId::kTimestampNs;
  if (name == model::kValueColumn) return model::TypeId::kDouble;
  if (name == model::kSeriesIdColumn) return model::TypeId::kUInt64;
  return model::TypeId::kString;  // metric_name
}

model::Column AllNull(size_t rows) {
  model::Column column =
      model::Column::FromDictionary(model::StringVector::Of({""}), std::vector<uint32_t>(rows, 0));
  column.SetValidity(std::vector<uint8_t>(rows, 0));
  return column;
}

// Keeps `status`'s code and makes sure its message names `object`.
absl::Status Annotate(const absl::Status& status, const std::string& object) {
  if (status.ok() || status.message().find(object) != std::string_view::npos) return status;
  return absl::Status(status.code(),
                      absl::StrFormat("reading chunk %s: %s", object, status.message()));
}

// The column `name` of `in` checked to have `type` (or INT64 for timestamps of foreign files,
// with `alt_int64`) and, for a fixed column, no nulls; nullptr when `in` has no such column.
// `what` names the input in errors.
absl::StatusOr<const model::Column*> ColumnOf(const model::RecordBatch& in, std::string_view name,
                                              model::TypeId type, bool alt_int64,
                                              const std::string& what) {
  std::optional<size_t> index = in.schema().IndexOf(name);
  if (!index) return static_cast<const model::Column*>(nullptr);
  const model::Column& column = in.column(*index);
  if (column.type() != type && !(alt_int64 && column.type() == model::TypeId::kInt64)) {
    return absl::DataLossError(absl::StrFormat("%s: column '%s' is %s, want %s", what, name,
                                               model::TypeName(column.type()),
                                               model::TypeName(type)));
  }
  if (IsFixed(name) && column.null_count() > 0) {
    return absl::DataLossError(
        absl::StrFormat("%s: column '%s' has nulls; it is required in metrics chunks", what, name));
  }
  return &column;
}

// The positions r < n with keep(r), ascending. Branch-free (kept rows are often scattered)
// through a small block buffer, so no n-sized array is zeroed for what is often a small result.
template <typename Keep>
std::vector<uint32_t> PositionsWhere(size_t n, Keep keep) {
  std::vector<uint32_t> positions;
  constexpr size_t kBlock = 1024;
  uint32_t block[kBlock];
  for (size_t start = 0; start < n; start += kBlock) {
    const size_t end = std::min(n, start + kBlock);
    size_t kept = 0;
    for (size_t r = start; r < end; ++r) {
      block[kept] = static_cast<uint32_t>(r);
      kept += keep(r) ? 1 : 0;
    }
    positions.insert(positions.end(), block, block + kept);
  }
  return positions;
}

// The positions of the rows of `in` that satisfy the request. `in` needs the timestamp column
// unless `time_covered` (the caller knows every row lies inside the request's time range), the
// metric_name column when there is a metric condition, and the label columns of the label
// predicates that it has (a missing one is absent from every row).
absl::StatusOr<std::vector<uint32_t>> SelectRows(const model::RecordBatch& in,
                                                 const ScanContext& ctx, bool time_covered,
                                                 const std::string& what) {
  const size_t n = in.num_rows();
  const int64_t* times = nullptr;
  if (!time_covered) {
    CS_ASSIGN_OR_RETURN(const model::Column* ts, ColumnOf(in, model::kTimestampColumn,
                                                          model::TypeId::kTimestampNs, true, what));
    if (!ts) {
      return absl::DataLossError(
          absl::StrFormat("%s: not a metrics chunk: needs columns timestamp and series_id", what));
    }
    times = ts->int64s().data();
  }
  const int64_t lo = ctx.request.min_time_ns, hi = ctx.request.max_time_ns;
  if (ctx.metric.matches_everything() && ctx.labels.empty()) {  // at most the time range
    if (times == nullptr) return PositionsWhere(n, [](size_t) { return true; });
    return PositionsWhere(n, [&](size_t r) { return times[r] >= lo && times[r] <= hi; });
  }
  std::vector<uint8_t> keep(n, 1);
  if (times != nullptr) {
    for (size_t r = 0; r < n; ++r) keep[r] = times[r] >= lo && times[r] <= hi;
  }
  if (!ctx.metric.matches_everything()) {
    CS_ASSIGN_OR_RETURN(const model::Column* metric, ColumnOf(in, model::kMetricNameColumn,
                                                              model::TypeId::kString, false, what));
    if (!metric) return absl::DataLossError(absl::StrFormat("%s: no metric_name column", what));
    ctx.metric.Evaluate(*metric, keep);
  }
  for (size_t p = 0; p < ctx.labels.size(); ++p) {
    const std::string& name = ctx.request.labels[p].name;
    CS_ASSIGN_OR_RETURN(const model::Column* column,
                        ColumnOf(in, name, model::TypeId::kString, false, what));
    if (column) {
      ctx.labels[p].Evaluate(*column, keep);
    } else if (!ctx.labels[p].matches_absent()) {
      return std::vector<uint32_t>();  // the label is absent from every row: nothing matches
    }
  }
  return PositionsWhere(n, [&](size_t r) { return keep[r] != 0; });
}

// True when the request has no condition that `time_covered` input could fail: every row
// passes (a full scan, or a chunk wholly inside the queried range).
bool NothingToFilter(const ScanContext& ctx, bool time_covered) {
  return time_covered && ctx.metric.matches_everything() && ctx.labels.empty();
}

// Applies the request exactly to `in` (unless `filtered`: the rows were already selected with
// SelectRows) and appends the surviving rows, projected to the output schema, to `piece`.
// `what` names the input in errors. `time_covered`: the caller knows every row of `in` lies
// inside the request's time range (its chunk summary says so).
absl::Status FilterAndProject(model::RecordBatch in, const ScanContext& ctx, bool keep_keys,
                              bool want_metric_range, bool time_covered, bool filtered,
                              const std::string& what, Piece& piece) {
  const model::Schema& schema = in.schema();
  const size_t n = in.num_rows();
  auto column_of = [&](std::string_view name, model::TypeId type, bool alt_int64) {
    return ColumnOf(in, name, type, alt_int64, what);
  };
  CS_ASSIGN_OR_RETURN(const model::Column* ts,
                      column_of(model::kTimestampColumn, model::TypeId::kTimestampNs, true));
  CS_ASSIGN_OR_RETURN(const model::Column* ids,
                      column_of(model::kSeriesIdColumn, model::TypeId::kUInt64, false));
  CS_ASSIGN_OR_RETURN(const model::Column* metric,
                      column_of(model::kMetricNameColumn, model::TypeId::kString, false));
  // Nothing to test per row: no keep or selection vectors.
  const bool all = filtered || NothingToFilter(ctx, time_covered);
  // Timestamps are needed to filter by time and, with series ids, to find duplicates.
  if ((!ts && (keep_keys || !all)) || (keep_keys && !ids)) {
    return absl::DataLossError(
        absl::StrFormat("%s: not a metrics chunk: needs columns timestamp and series_id", what));
  }
  std::vector<uint32_t> selection;
  if (all) {
    if (n == 0) return absl::OkStatus();
    if (keep_keys || want_metric_range) {
      selection.resize(n);
      std::iota(selection.begin(), selection.end(), 0);
    }
  } else {
    CS_ASSIGN_OR_RETURN(selection, SelectRows(in, ctx, time_covered, what));
    if (selection.empty()) return absl::OkStatus();
  }
  const size_t rows_out = all ? n : selection.size();
  if (keep_keys) {
    const std::vector<uint64_t>& id_values = ids->uint64s();
    const std::vector<int64_t>& times = ts->int64s();
    for (uint32_t r : selection) {
      piece.ids.push_back(id_values[r]);
      piece.timestamps.push_back(times[r]);
    }
  }
  if (want_metric_range && metric) {
    std::string_view min = metric->StringAt(selection[0]), max = min;
    for (uint32_t r : selection) {
      std::string_view v = metric->StringAt(r);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!piece.metric_range) {
      piece.metric_range.emplace(std::string(min), std::string(max));
    } else {
      if (min < piece.metric_range->first) piece.metric_range->first = std::string(min);
      if (max > piece.metric_range->second) piece.metric_range->second = std::string(max);
    }
  }

  std::vector<model::Column> out;
  out.reserve(ctx.output.size());
  for (const model::Field& field : ctx.output.fields()) {
    CS_ASSIGN_OR_RETURN(
        const model::Column* column,
        column_of(field.name, field.type, field.type == model::TypeId::kTimestampNs));
    if (!column) {
      if (IsFixed(field.name)) {
        return absl::DataLossError(
            absl::StrFormat("%s: not a metrics chunk: no column '%s'", what, field.name));
      }
      out.push_back(AllNull(rows_out));
      continue;
    }
    // Every row passed: hand the decoded column over instead of copying it. Safe because each
    // output column is distinct (ValidateScanRequest) and nothing reads `in` after this loop.
    model::Column projected = all || selection.size() == n
                                  ? std::move(in.mutable_column(*schema.IndexOf(field.name)))
                                  : column->Take(selection);
    if (projected.type() != field.type) {
      // A foreign file's INT64 timestamp column: same storage, timestamp semantics.
      projected = model::Column::FromInt64(field.type, projected.int64s());
    }
    out.push_back(std::move(projected));
  }
  piece.batches.emplace_back(ctx.output, std::move(out));
  return absl::OkStatus();
}

std::vector<parquet::ColumnPredicate> ParquetPredicates(const ScanContext& ctx,
                                                        const catalog::ChunkSummary& chunk,
                                                        const model::Schema& file) {
  std::vector<parquet::ColumnPredicate> predicates;
  const ScanRequest& request = ctx.request;
  // A chunk wholly inside the time range cannot lose a row group or page to the time bound;
  // leaving it out spares reading the timestamp page index.
  if (chunk.min_time_ns < request.min_time_ns || chunk.max_time_ns > request.max_time_ns) {
    predicates.push_back({.column = std::string(model::kTimestampColumn),
                          .min = request.min_time_ns,
                          .max = request.max_time_ns});
  }
  auto add = [&](const std::string& column, const StringMatcher& matcher) {
    // Row groups whose rows all lack the label are pruned by the reader as "only nulls", which
    // is wrong when an absent label matches.
    if (matcher.matches_everything() || matcher.matches_absent()) return;
    std::optional<size_t> index = file.IndexOf(column);
    if (!index || file.field(*index).type != model::TypeId::kString) return;
    parquet::ColumnPredicate predicate{.column = column};
    if (matcher.lower()) predicate.min = *matcher.lower();
    if (matcher.upper()) predicate.max = *matcher.upper();
    if (matcher.exact_set() && !matcher.exact_set()->empty() &&
        matcher.exact_set()->size() <= kMaxAnyOf) {
      for (const std::string& v : *matcher.exact_set()) predicate.any_of.push_back(v);
    }
    // Sorted chunks hold one metric (and often one label value) per page: such pages are
    // decided by the condition itself, also for patterns without bounds (LIKE '%error%').
    const StringMatcher* m = &matcher;  // lives in the scan context, beyond the reader
    predicate.single_value_matches = [m](std::string_view v) { return m->Matches(v); };
    predicates.push_back(std::move(predicate));
  };
  add(std::string(model::kMetricNameColumn), ctx.metric);
  for (size_t p = 0; p < ctx.labels.size(); ++p) add(request.labels[p].name, ctx.labels[p]);
  return predicates;
}

// Memory of a parsed footer, roughly: what dominates is the column chunk metadata.
uint64_t FooterBytes(const parquet::FileMetaData& metadata) {
  uint64_t columns = 0;
  for (const parquet::RowGroup& rg : metadata.row_groups) columns += rg.columns.size();
  return 4096 + columns * 512;
}

// The series directory of row group `rg` of `chunk`: from the cache, or built from the row
// group's series_id, metric_name, timestamp and label columns and then cached.
absl::StatusOr<std::shared_ptr<const SeriesDirectory>> DirectoryFor(
    const ScanContext& ctx, const parquet::ParquetReader& reader,
    const catalog::ChunkSummary& chunk, int rg, parquet::ScanStats& pstats) {
  const std::string key = absl::StrFormat("%s#%d", chunk.path, rg);
  // A lookup of metric names alone (the metric browser) needs no label column, which are most
  // of a directory's decoding: it gets a directory of the metric names only, under its own key
  // (or the full one, when that is cached and its own is not).
  const bool names_only = ctx.labels.empty() && ctx.request.one_row_per_series &&
                          ctx.output.size() == 1 &&
                          ctx.output.IndexOf(model::kMetricNameColumn).has_value();
  if (names_only) {
    if (std::shared_ptr<const SeriesDirectory> cached = ctx.directories->Get(key + "#names")) {
      return cached;
    }
  }
  if (std::shared_ptr<const SeriesDirectory> cached = ctx.directories->Get(key)) return cached;
  std::vector<std::string> columns = SeriesDirectory::Columns(reader.schema());
  if (names_only) columns.resize(3);  // timestamp, series_id, metric_name
  CS_ASSIGN_OR_RETURN(model::RecordBatch batch, reader.ReadRowGroup(rg, columns));
  pstats.rows_read += static_cast<int64_t>(batch.num_rows());
  CS_ASSIGN_OR_RETURN(SeriesDirectory built, SeriesDirectory::Build(batch, chunk.path));
  auto directory = std::make_shared<const SeriesDirectory>(std::move(built));
  ctx.directories->Put(names_only ? key + "#names" : key, directory, directory->bytes());
  return directory;
}

// True for a lookup of distinct metric names with no label condition (the metric browser,
// `label/__name__/values`): DecodeChunk may answer it from the chunk's ChunkMetricTimes.
bool IsMetricNamesLookup(const ScanContext& ctx, bool keep_keys) {
  return !keep_keys && ctx.directories != nullptr && ctx.metric_times != nullptr &&
         ctx.labels.empty() && ctx.request.one_row_per_series && ctx.request.distinct_labels &&
         ctx.output.size() == 1 && ctx.output.IndexOf(model::kMetricNameColumn).has_value();
}

// The chunk's ChunkMetricTimes: from the cache, or built from the metric-name directories of all
// its row groups and then cached. Null when a row group's directory is not useful (rows not
// grouped into series runs), which leaves the lookup to the row groups.
absl::StatusOr<std::shared_ptr<const ChunkMetricTimes>> MetricTimesFor(
    const ScanContext& ctx, const parquet::ParquetReader& reader,
    const catalog::ChunkSummary& chunk, parquet::ScanStats& pstats) {
  const std::string key = chunk.path + "#metrics";
  if (std::shared_ptr<const ChunkMetricTimes> cached = ctx.metric_times->Get(key)) return cached;
  absl::flat_hash_map<std::string, std::pair<int64_t, int64_t>> times;
  const int row_groups = static_cast<int>(reader.metadata().row_groups.size());
  for (int rg = 0; rg < row_groups; ++rg) {
    CS_ASSIGN_OR_RETURN(std::shared_ptr<const SeriesDirectory> directory,
                        DirectoryFor(ctx, reader, chunk, rg, pstats));
    if (!directory->useful()) return nullptr;
    const std::vector<uint32_t>& codes = directory->codes(0);  // metric_name
    const std::vector<SeriesDirectory::Run>& runs = directory->runs();
    for (size_t i = 0; i < runs.size();) {
      size_t end = i + 1;  // runs [i, end) share the metric (contiguous when sorted)
      int64_t lo = runs[i].min_time, hi = runs[i].max_time;
      while (end < runs.size() && codes[end] == codes[i]) {
        lo = std::min(lo, runs[end].min_time);
        hi = std::max(hi, runs[end].max_time);
        ++end;
      }
      auto [it, inserted] =
          times.try_emplace(std::string(directory->dictionary(0).Get(codes[i])), lo, hi);
      if (!inserted) {
        it->second.first = std::min(it->second.first, lo);
        it->second.second = std::max(it->second.second, hi);
      }
      i = end;
    }
  }
  auto built = std::make_shared<ChunkMetricTimes>();
  for (const auto& [name, range] : times)
    built->metrics.push_back({name, range.first, range.second});
  std::sort(built->metrics.begin(), built->metrics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  ctx.metric_times->Put(key, built, built->bytes());
  return std::shared_ptr<const ChunkMetricTimes>(std::move(built));
}

// Answers a metric-names lookup (IsMetricNamesLookup) for one chunk from its metric times: a
// metric is in the answer when its first or last sample lies in the time range. Returns false,
// adding nothing, when some matching metric's samples reach past both ends of the range: whether
// it has one inside is then for the row groups to tell.
absl::StatusOr<bool> AnswerFromMetricTimes(const ScanContext& ctx, const ChunkMetricTimes& times,
                                           const std::string& what, Piece& piece) {
  const int64_t lo = ctx.request.min_time_ns, hi = ctx.request.max_time_ns;
  model::StringVector names;
  for (const ChunkMetricTimes::Metric& metric : times.metrics) {
    if (metric.max_time < lo || metric.min_time > hi) continue;
    if (!ctx.metric.Matches(metric.name)) continue;
    const bool certain = (metric.min_time >= lo && metric.min_time <= hi) ||
                         (metric.max_time >= lo && metric.max_time <= hi);
    if (!certain) return false;
    names.Append(metric.name);
  }
  if (names.size() == 0) return true;
  const size_t n = names.size();
  std::vector<uint32_t> codes(n);
  std::iota(codes.begin(), codes.end(), 0u);
  // FilterAndProject takes the row count from series_id when nothing else was read.
  model::Schema schema({{std::string(model::kSeriesIdColumn), model::TypeId::kUInt64, false},
                        {std::string(model::kMetricNameColumn), model::TypeId::kString, false}});
  std::vector<model::Column> columns;
  columns.push_back(model::Column::FromUInt64(std::vector<uint64_t>(n, 0)));
  columns.push_back(model::Column::FromDictionary(std::move(names), std::move(codes)));
  CS_RETURN_IF_ERROR(FilterAndProject(model::RecordBatch(std::move(schema), std::move(columns)),
                                      ctx, /*keep_keys=*/false, false, true, true, what, piece));
  return true;
}

// ScanRequest::distinct_labels: keeps the first of the runs (and their rows) that have the same
// codes in every directory column of `output`. Only for lookups that read nothing but those
// columns, which is what the flag promises.
void KeepDistinctLabelRuns(const SeriesDirectory& directory, const model::Schema& output,
                           std::vector<uint32_t>& runs,
                           std::vector<std::pair<int64_t, int64_t>>& rows) {
  if (output.IndexOf(model::kTimestampColumn) || output.IndexOf(model::kValueColumn) ||
      output.IndexOf(model::kSeriesIdColumn)) {
    return;
  }
  std::vector<size_t> columns;
  for (size_t c = 0; c < directory.columns().size(); ++c) {
    if (output.IndexOf(directory.columns()[c])) columns.push_back(c);
  }
  // One column (label values) is decided by a bitmap over its codes, absent last.
  std::vector<uint8_t> seen_code;
  if (columns.size() == 1) seen_code.assign(directory.dictionary(columns[0]).size() + 1, 0);
  absl::flat_hash_set<std::vector<uint32_t>> seen;
  std::vector<uint32_t> key(columns.size());
  size_t kept = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (columns.size() == 1) {
      const uint32_t code = directory.codes(columns[0])[runs[i]];
      uint8_t& flag = seen_code[code == SeriesDirectory::kAbsent ? seen_code.size() - 1 : code];
      if (flag != 0) continue;
      flag = 1;
    } else {
      for (size_t c = 0; c < columns.size(); ++c) key[c] = directory.codes(columns[c])[runs[i]];
      if (!seen.insert(key).second) continue;
    }
    runs[kept] = runs[i];
    rows[kept] = rows[i];
    ++kept;
  }
  runs.resize(kept);
  rows.resize(kept);
}

// out[i] &= (codes[i] == a || codes[i] == b) for i < n. The hot loop of an equality on a label
// over a directory's runs (a hundred thousand of one metric at a million series), so it is
// compiled to compare several codes per instruction.
__attribute__((optimize("tree-vectorize"))) void AndWhereEqual(const uint32_t* codes, size_t n,
                                                               uint32_t a, uint32_t b,
                                                               uint8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    out[i] &= static_cast<uint8_t>((codes[i] == a) | (codes[i] == b));
  }
}

// Selects the rows of row group `rg` through its series directory: the metric condition and
// label predicates are decided per distinct value and per run, the time range per run (and per
// row only in runs that straddle it); timestamps and values are read only from the pages
// holding matching runs, series ids, metric names and labels come from the directory. Appends
// the rows, projected to the output schema, to `piece` like FilterAndProject.
absl::Status ReadThroughDirectory(const ScanContext& ctx, const parquet::ParquetReader& reader,
                                  const SeriesDirectory& directory, int rg, bool keep_keys,
                                  const std::string& what, parquet::ScanStats& pstats,
                                  Piece& piece) {
  const std::vector<SeriesDirectory::Run>& runs = directory.runs();
  // Which values of directory column `c` satisfy `matcher`, one byte per code. Dictionaries are
  // in byte order: a finite set is looked up, bounds limit the values tested.
  // The first code of directory column `c` whose value is >= v.
  auto position_in = [&](size_t c, std::string_view v) {
    const model::StringVector& values = directory.dictionary(c);
    uint32_t lo = 0, hi = static_cast<uint32_t>(values.size());
    while (lo < hi) {
      const uint32_t mid = lo + (hi - lo) / 2;
      if (values.Get(mid) < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  auto matching_values = [&](const StringMatcher& matcher, size_t c) {
    const model::StringVector& values = directory.dictionary(c);
    std::vector<uint8_t> match(values.size(), 0);
    if (matcher.exact_set()) {
      for (const std::string& v : *matcher.exact_set()) {
        const uint32_t at = position_in(c, v);
        if (at < values.size() && values.Get(at) == v) match[at] = 1;
      }
      return match;
    }
    uint32_t first = 0, last = static_cast<uint32_t>(values.size());
    if (matcher.lower()) first = position_in(c, *matcher.lower());
    if (matcher.upper()) {
      last = position_in(c, *matcher.upper());
      if (last < values.size() && values.Get(last) == *matcher.upper()) ++last;
    }
    for (uint32_t v = first; v < last; ++v) match[v] = matcher.Matches(values.Get(v));
    return match;
  };
  // Spans of runs still in question: with runs sorted by metric, those of the matching metrics.
  std::vector<std::pair<size_t, size_t>> spans;
  const std::vector<uint32_t>& metric_codes = directory.codes(0);
  if (ctx.metric.matches_everything()) {
    spans.push_back({0, runs.size()});
  } else {
    const std::vector<uint8_t> match = matching_values(ctx.metric, 0);
    if (directory.metric_sorted()) {
      for (uint32_t code = 0; code < match.size(); ++code) {
        if (!match[code]) continue;
        auto [b, e] = std::equal_range(metric_codes.begin(), metric_codes.end(), code);
        if (b == e) continue;
        const size_t begin = static_cast<size_t>(b - metric_codes.begin());
        const size_t end = static_cast<size_t>(e - metric_codes.begin());
        if (!spans.empty() && spans.back().second == begin) {
          spans.back().second = end;
        } else {
          spans.push_back({begin, end});
        }
      }
    } else {
      spans.push_back({0, runs.size()});
    }
  }
  // Whether each run of the spans (in span order) passes the conditions so far; empty while
  // there are none. Sized to the spans, not the row group: a metric's share of a row group of a
  // hundred thousand runs may be a few.
  std::vector<uint8_t> keep;
  auto conditions = [&]() -> std::vector<uint8_t>& {
    if (keep.empty()) {
      size_t span_runs = 0;
      for (const auto& [begin, end] : spans) span_runs += end - begin;
      keep.assign(span_runs, 1);
    }
    return keep;
  };
  if (!ctx.metric.matches_everything() && !directory.metric_sorted()) {  // one span: all runs
    const std::vector<uint8_t> match = matching_values(ctx.metric, 0);
    std::vector<uint8_t>& passed = conditions();
    for (size_t i = 0; i < runs.size(); ++i) passed[i] &= match[metric_codes[i]];
  }
  for (size_t p = 0; p < ctx.labels.size(); ++p) {
    const StringMatcher& matcher = ctx.labels[p];
    if (matcher.matches_everything() && matcher.matches_absent()) continue;
    const int c = directory.ColumnIndex(ctx.request.labels[p].name);
    if (c < 0) {  // no run has the label
      if (matcher.matches_absent()) continue;
      spans.clear();
      break;
    }
    const uint8_t absent = matcher.matches_absent();
    const std::vector<uint32_t>& codes = directory.codes(static_cast<size_t>(c));
    std::vector<uint8_t>& passed = conditions();
    size_t k = 0;
    if (matcher.exact_set() && matcher.exact_set()->size() == 1) {
      // An equality: compare every code with the one value's (which the compiler vectorizes)
      // rather than look each up.
      const model::StringVector& values = directory.dictionary(static_cast<size_t>(c));
      const std::string& value = matcher.exact_set()->front();
      uint32_t code = position_in(static_cast<size_t>(c), value);
      // A value the row group lacks gets a code no run has (codes index the dictionary).
      if (code < values.size() && values.Get(code) != value) {
        code = static_cast<uint32_t>(values.size());
      }
      const uint32_t absent_code = absent ? SeriesDirectory::kAbsent : code;
      for (const auto& [begin, end] : spans) {
        AndWhereEqual(codes.data() + begin, end - begin, code, absent_code, passed.data() + k);
        k += end - begin;
      }
      continue;
    }
    const std::vector<uint8_t> match = matching_values(matcher, static_cast<size_t>(c));
    for (const auto& [begin, end] : spans) {
      for (size_t i = begin; i < end; ++i, ++k) {
        passed[k] &= codes[i] == SeriesDirectory::kAbsent ? absent : match[codes[i]];
      }
    }
  }
  const int64_t lo = ctx.request.min_time_ns, hi = ctx.request.max_time_ns;
  // A run reaching past both ends of the time range may have no sample inside it; any other run
  // overlapping the range has its first or last sample there.
  auto covers_range = [&](const SeriesDirectory::Run& run) {
    return run.min_time < lo && run.max_time > hi;
  };
  // The metric names alone, distinct (the metric browser): one run of a metric in the range is
  // enough, so once one certainly has a sample there (its first or last sample is inside), the
  // rest of its metric's span is skipped.
  const bool one_run_per_metric = ctx.request.one_row_per_series && ctx.request.distinct_labels &&
                                  !keep_keys && directory.metric_sorted() &&
                                  ctx.output.size() == 1 &&
                                  ctx.output.IndexOf(model::kMetricNameColumn).has_value();
  std::vector<uint32_t> kept_runs;
  std::vector<std::pair<int64_t, int64_t>> rows;
  bool straddles = false;  // some kept run has rows outside the time range
  size_t span_start = 0;   // position in `keep` of the current span's first run
  for (const auto& [begin, end] : spans) {
    for (size_t i = begin; i < end; ++i) {
      if (!keep.empty() && !keep[span_start + (i - begin)]) {
        // Skip to the next run that passed (memchr compares many bytes at a time).
        const uint8_t* from = keep.data() + span_start + (i - begin);
        const void* next = std::memchr(from, 1, end - i);
        if (next == nullptr) break;
        i += static_cast<size_t>(static_cast<const uint8_t*>(next) - from);
      }
      const SeriesDirectory::Run& run = runs[i];
      if (run.max_time < lo || run.min_time > hi) continue;
      straddles |= run.min_time < lo || run.max_time > hi;
      kept_runs.push_back(static_cast<uint32_t>(i));
      const int64_t row_begin = run.first_row, row_end = row_begin + run.num_rows;
      if (!rows.empty() && rows.back().second == row_begin) {
        rows.back().second = row_end;
      } else {
        rows.push_back({row_begin, row_end});
      }
      if (one_run_per_metric && !covers_range(run)) {
        const auto block_end =
            std::upper_bound(metric_codes.begin() + static_cast<ptrdiff_t>(i),
                             metric_codes.begin() + static_cast<ptrdiff_t>(end), metric_codes[i]);
        i = static_cast<size_t>(block_end - metric_codes.begin()) - 1;
      }
    }
    span_start += end - begin;
  }
  ++pstats.row_groups_read;
  if (rows.empty()) return absl::OkStatus();
  // Reads `names` for `ranges`, counting pages and rows but not the row group again.
  auto read_rows = [&](const std::vector<std::string>& names,
                       const std::vector<std::pair<int64_t, int64_t>>& ranges) {
    parquet::ScanStats local;
    absl::StatusOr<model::RecordBatch> batch = reader.ReadRowGroupRows(rg, names, ranges, &local);
    pstats.pages_total += local.pages_total;
    pstats.pages_read += local.pages_read;
    pstats.pages_from_cache += local.pages_from_cache;
    pstats.rows_read += local.rows_read;
    return batch;
  };

  const bool one_row = ctx.request.one_row_per_series;
  if (one_row) {
    // One row of each kept run inside the time range. A run whose first or last sample lies in
    // the range has it; only a run reaching past both ends of the range needs its timestamps
    // read, and it may turn out to have no sample inside.
    std::vector<std::pair<int64_t, int64_t>> uncertain_rows;
    for (uint32_t i : kept_runs) {
      const SeriesDirectory::Run& run = runs[i];
      if (!covers_range(run)) continue;
      if (!uncertain_rows.empty() && uncertain_rows.back().second == run.first_row) {
        uncertain_rows.back().second = run.first_row + run.num_rows;
      } else {
        uncertain_rows.push_back({run.first_row, run.first_row + run.num_rows});
      }
    }
    std::optional<model::RecordBatch> times;
    if (!uncertain_rows.empty()) {
      CS_ASSIGN_OR_RETURN(times, read_rows({std::string(model::kTimestampColumn)}, uncertain_rows));
    }
    std::vector<uint32_t> picked_runs;
    std::vector<std::pair<int64_t, int64_t>> picked_rows;
    size_t position = 0;  // of the next uncertain run's first row in `times`
    for (uint32_t i : kept_runs) {
      const SeriesDirectory::Run& run = runs[i];
      int64_t row = run.min_time >= lo ? run.first_row : run.first_row + run.num_rows - 1;
      if (covers_range(run)) {
        const std::vector<int64_t>& ts = times->column(0).int64s();
        size_t k = 0;
        while (k < run.num_rows && (ts[position + k] < lo || ts[position + k] > hi)) ++k;
        row = k < run.num_rows ? run.first_row + static_cast<int64_t>(k) : -1;
        position += run.num_rows;
      }
      if (row < 0) continue;
      picked_runs.push_back(i);
      picked_rows.push_back({row, row + 1});
    }
    if (times && position != times->num_rows()) {
      return absl::DataLossError(absl::StrFormat("%s: row group %d: %d rows read for %d wanted",
                                                 what, rg, times->num_rows(), position));
    }
    if (picked_runs.empty()) return absl::OkStatus();
    if (ctx.request.distinct_labels && !keep_keys) {
      KeepDistinctLabelRuns(directory, ctx.output, picked_runs, picked_rows);
    }
    kept_runs = std::move(picked_runs);
    rows = std::move(picked_rows);
    straddles = false;
  }

  const bool want_value = ctx.output.IndexOf(model::kValueColumn).has_value();
  const bool want_time = ctx.output.IndexOf(model::kTimestampColumn).has_value();
  std::vector<std::string> columns;
  if (want_time || keep_keys || straddles) columns.push_back(std::string(model::kTimestampColumn));
  if (want_value) columns.push_back(std::string(model::kValueColumn));
  // Without columns to read (a lookup wanting labels only), everything comes from the directory.
  std::optional<model::RecordBatch> read;
  if (!columns.empty()) {
    CS_ASSIGN_OR_RETURN(read, read_rows(columns, rows));
  }

  // The run of every row read (its position in kept_runs), then of the rows kept by time.
  std::vector<uint32_t> run_of;
  for (size_t k = 0; k < kept_runs.size(); ++k) {
    run_of.insert(run_of.end(), one_row ? 1 : runs[kept_runs[k]].num_rows,
                  static_cast<uint32_t>(k));
  }
  if (read && run_of.size() != read->num_rows()) {
    return absl::DataLossError(absl::StrFormat("%s: row group %d: %d rows read for %d wanted", what,
                                               rg, read->num_rows(), run_of.size()));
  }
  std::vector<uint32_t> selection;
  if (straddles) {  // then `read` has the timestamps first
    const std::vector<int64_t>& times = read->column(0).int64s();
    selection = PositionsWhere(read->num_rows(), [&](size_t r) {
      const SeriesDirectory::Run& run = runs[kept_runs[run_of[r]]];
      return (run.min_time >= lo && run.max_time <= hi) || (times[r] >= lo && times[r] <= hi);
    });
    if (selection.empty()) return absl::OkStatus();
    if (selection.size() == read->num_rows()) {
      selection.clear();
      straddles = false;
    } else {
      std::vector<uint32_t> kept_run_of;
      kept_run_of.reserve(selection.size());
      for (uint32_t r : selection) kept_run_of.push_back(run_of[r]);
      run_of = std::move(kept_run_of);
    }
  }
  const size_t n = run_of.size();

  // The batch FilterAndProject expects: the columns read, then series_id and the directory's
  // columns the output names, one row per kept row.
  std::vector<model::Field> fields;
  std::vector<model::Column> data;
  for (size_t c = 0; read && c < read->num_columns(); ++c) {
    fields.push_back(read->schema().field(c));
    data.push_back(straddles ? read->column(c).Take(selection)
                             : std::move(read->mutable_column(c)));
  }
  // series_id also carries the row count when nothing was read.
  if (keep_keys || ctx.output.IndexOf(model::kSeriesIdColumn) || data.empty()) {
    std::vector<uint64_t> ids(n);
    for (size_t r = 0; r < n; ++r) ids[r] = runs[kept_runs[run_of[r]]].series_id;
    fields.push_back({std::string(model::kSeriesIdColumn), model::TypeId::kUInt64, false});
    data.push_back(model::Column::FromUInt64(std::move(ids)));
  }
  for (size_t c = 0; c < directory.columns().size(); ++c) {
    const std::string& name = directory.columns()[c];
    if (!ctx.output.IndexOf(name)) continue;
    // A dictionary of just the values of the kept runs.
    const std::vector<uint32_t>& codes = directory.codes(c);
    absl::flat_hash_map<uint32_t, uint32_t> remap;
    model::StringVector dictionary;
    std::vector<uint32_t> run_code(kept_runs.size(), 0);  // by position in kept_runs
    bool any_absent = false;
    for (size_t k = 0; k < kept_runs.size(); ++k) {
      const uint32_t code = codes[kept_runs[k]];
      if (code == SeriesDirectory::kAbsent) {
        any_absent = true;
        continue;
      }
      auto [it, inserted] = remap.try_emplace(code, static_cast<uint32_t>(dictionary.size()));
      if (inserted) dictionary.Append(directory.dictionary(c).Get(code));
      run_code[k] = it->second;
    }
    if (dictionary.size() == 0) dictionary.Append("");  // codes of NULL rows point somewhere
    std::vector<uint32_t> row_codes(n);
    for (size_t r = 0; r < n; ++r) row_codes[r] = run_code[run_of[r]];
    model::Column column =
        model::Column::FromDictionary(std::move(dictionary), std::move(row_codes));
    if (any_absent) {
      std::vector<uint8_t> valid(n);
      for (size_t r = 0; r < n; ++r) {
        valid[r] = codes[kept_runs[run_of[r]]] != SeriesDirectory::kAbsent;
      }
      column.SetValidity(std::move(valid));
    }
    fields.push_back({name, model::TypeId::kString, c != 0});
    data.push_back(std::move(column));
  }
  return FilterAndProject(model::RecordBatch(model::Schema(std::move(fields)), std::move(data)),
                          ctx, keep_keys, false, true, true, what, piece);
}

// Decodes part `part` of `parts` of the chunk's selected row groups. Part 0 alone counts the
// chunk, its footer and its row-group pruning, so the parts' stats add up to those of one
// whole decode.
absl::StatusOr<Piece> DecodeChunk(const ScanContext& ctx, const catalog::ChunkSummary& chunk,
                                  bool keep_keys, int part, int parts) {
  Piece piece;
  SourceCounters counters;
  uint64_t size = chunk.size_bytes;
  if (size == 0) {
    absl::StatusOr<io::ObjectMeta> meta = ctx.store->Head(chunk.path);
    if (!meta.ok()) return Annotate(meta.status(), chunk.path);
    size = meta->size;
  }
  CachedObjectSource source(*ctx.store, chunk.path, size, ctx.ram, ctx.disk, counters);
  auto decode = [&]() -> absl::Status {
    std::unique_ptr<parquet::ParquetReader> reader;
    if (std::shared_ptr<const parquet::ParquetReader::Footer> footer =
            ctx.footers->Get(chunk.path)) {
      reader = parquet::ParquetReader::Open(source, std::move(footer));
    } else {
      CS_ASSIGN_OR_RETURN(reader, parquet::ParquetReader::Open(source));
      ctx.footers->Put(chunk.path, reader->footer(), FooterBytes(reader->metadata()));
    }
    if (ctx.pages != nullptr) reader->UsePageCache(ctx.pages, chunk.path);
    if (part == 0) ++piece.stats.chunks_read;
    if (IsMetricNamesLookup(ctx, keep_keys)) {
      parquet::ScanStats pstats;
      CS_ASSIGN_OR_RETURN(std::shared_ptr<const ChunkMetricTimes> times,
                          MetricTimesFor(ctx, *reader, chunk, pstats));
      piece.stats.rows_read += pstats.rows_read;
      if (times != nullptr) {
        // Every part decides alike; part 0 answers for the whole chunk.
        Piece answer;
        CS_ASSIGN_OR_RETURN(const bool answered,
                            AnswerFromMetricTimes(ctx, *times, chunk.path, answer));
        if (answered) {
          if (part == 0) piece.batches = std::move(answer.batches);
          return absl::OkStatus();
        }
      }
    }
    const model::Schema& file = reader->schema();
    const bool time_covered = chunk.min_time_ns >= ctx.request.min_time_ns &&
                              chunk.max_time_ns <= ctx.request.max_time_ns;
    // Late materialization: the columns the conditions need are decoded first, and the others
    // only for the rows that pass (from the pages holding them).
    const bool filtered = !NothingToFilter(ctx, time_covered);
    // What comes out of the reader: the output columns, plus timestamp and series_id to find
    // duplicates; without late materialization also the columns the conditions need.
    std::vector<std::string> columns;
    auto want = [&](const std::string& name) {
      if (file.IndexOf(name) && std::find(columns.begin(), columns.end(), name) == columns.end()) {
        columns.push_back(name);
      }
    };
    if (keep_keys) {
      want(std::string(model::kTimestampColumn));
      want(std::string(model::kSeriesIdColumn));
    }
    if (!filtered) {
      if (!ctx.metric.matches_everything()) want(std::string(model::kMetricNameColumn));
      for (const LabelPredicate& p : ctx.request.labels) want(p.name);
    }
    for (const model::Field& f : ctx.output.fields()) want(f.name);
    // The batches must carry the row count even when every output column is a label this file
    // lacks (an empty list would mean every column to the reader).
    if (columns.empty()) columns.push_back(std::string(model::kTimestampColumn));
    std::vector<std::string> required = {std::string(model::kTimestampColumn)};
    if (!ctx.metric.matches_everything()) {
      required.push_back(std::string(model::kMetricNameColumn));
    }
    for (const model::Field& f : ctx.output.fields()) {
      if (IsFixed(f.name)) required.push_back(f.name);
    }
    if (keep_keys) required.push_back(std::string(model::kSeriesIdColumn));
    for (const std::string& name : required) {
      if (!file.IndexOf(name)) {
        return absl::DataLossError(
            absl::StrFormat("%s: not a metrics chunk: no column '%s'", chunk.path, name));
      }
    }
    std::vector<parquet::ColumnPredicate> predicates = ParquetPredicates(ctx, chunk, file);
    std::vector<std::string> filter_columns;
    if (!time_covered) filter_columns.push_back(std::string(model::kTimestampColumn));
    if (!ctx.metric.matches_everything()) {
      filter_columns.push_back(std::string(model::kMetricNameColumn));
    }
    for (const LabelPredicate& p : ctx.request.labels) {
      if (file.IndexOf(p.name) &&
          std::find(filter_columns.begin(), filter_columns.end(), p.name) == filter_columns.end()) {
        filter_columns.push_back(p.name);
      }
    }
    // Conditions only on labels the file lacks still need rows to decide on.
    if (filter_columns.empty()) filter_columns.push_back(std::string(model::kTimestampColumn));
    const parquet::ParquetReader::RowFilter row_filter =
        [&](const model::RecordBatch& batch) -> absl::StatusOr<std::vector<uint32_t>> {
      return SelectRows(batch, ctx, time_covered, chunk.path);
    };
    parquet::ScanStats pstats;
    CS_ASSIGN_OR_RETURN(std::vector<int> row_groups, reader->SelectRowGroups(predicates, &pstats));
    if (part > 0) {  // part 0 reports the footer, the selection and the chunk's pruning
      pstats = parquet::ScanStats();
      for (std::atomic<int64_t>* c :
           {&counters.bytes_read, &counters.bytes_fetched, &counters.requests, &counters.ram_hits,
            &counters.disk_hits, &counters.misses}) {
        c->store(0);
      }
    }
    // Metric or label conditions select whole series, and lookups want series: with series
    // directories, rows are chosen per series instead of per row (a time-only condition of a
    // sample scan gains nothing from them).
    const bool by_series =
        ctx.directories != nullptr &&
        (!ctx.metric.matches_everything() || !ctx.labels.empty() || ctx.request.one_row_per_series);
    const size_t n = row_groups.size();
    const size_t first = n * static_cast<size_t>(part) / static_cast<size_t>(parts);
    const size_t last = n * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
    for (size_t i = first; i < last; ++i) {
      const int rg = row_groups[i];
      if (ctx.cancelled) return absl::CancelledError("scan cancelled");
      if (by_series) {
        CS_ASSIGN_OR_RETURN(std::shared_ptr<const SeriesDirectory> directory,
                            DirectoryFor(ctx, *reader, chunk, rg, pstats));
        if (directory->useful()) {
          ++piece.stats.row_groups_read_by_series;
          CS_RETURN_IF_ERROR(ReadThroughDirectory(ctx, *reader, *directory, rg, keep_keys,
                                                  chunk.path, pstats, piece));
          continue;
        }
      }
      if (filtered) {
        CS_ASSIGN_OR_RETURN(model::RecordBatch batch,
                            reader->ReadRowGroupFiltered(rg, columns, predicates, filter_columns,
                                                         row_filter, &pstats));
        CS_RETURN_IF_ERROR(FilterAndProject(std::move(batch), ctx, keep_keys, false, time_covered,
                                            true, chunk.path, piece));
      } else {
        CS_ASSIGN_OR_RETURN(model::RecordBatch batch,
                            reader->ReadRowGroup(rg, columns, predicates, &pstats));
        CS_RETURN_IF_ERROR(FilterAndProject(std::move(batch), ctx, keep_keys, false, time_covered,
                                            false, chunk.path, piece));
      }
    }
    piece.stats.row_groups_total += pstats.row_groups_total;
    piece.stats.row_groups_pruned_by_statistics += pstats.row_groups_pruned_by_statistics;
    piece.stats.row_groups_pruned_by_bloom_filter += pstats.row_groups_pruned_by_bloom_filter;
    piece.stats.row_groups_read += pstats.row_groups_read;
    piece.stats.pages_total += pstats.pages_total;
    piece.stats.pages_read += pstats.pages_read;
    piece.stats.pages_from_cache += pstats.pages_from_cache;
    piece.stats.rows_read += pstats.rows_read;
    return absl::OkStatus();
  };
  absl::Status status = decode();
  piece.stats.bytes_read += counters.bytes_read;
  piece.stats.bytes_fetched += counters.bytes_fetched;
  piece.stats.requests += counters.requests;
  piece.stats.cache_hits += counters.ram_hits;
  piece.stats.disk_cache_hits += counters.disk_hits;
  piece.stats.cache_misses += counters.misses;
  if (!status.ok()) return Annotate(status, chunk.path);
  return piece;
}

bool PrunedByCatalog(const ScanContext& ctx, const catalog::ChunkSummary& chunk) {
  if (chunk.max_time_ns < ctx.request.min_time_ns || chunk.min_time_ns > ctx.request.max_time_ns) {
    return true;
  }
  if (!ctx.metric.MayMatchRange(chunk.min_metric, chunk.max_metric)) return true;
  for (size_t p = 0; p < ctx.labels.size(); ++p) {
    const StringMatcher& matcher = ctx.labels[p];
    if (matcher.matches_absent()) continue;  // rows without the label may match
    auto it = chunk.labels.find(ctx.request.labels[p].name);
    if (it == chunk.labels.end()) return true;  // no row has the label
    if (!matcher.MayMatchRange(it->second.min, it->second.max)) return true;
  }
  return false;
}

// Groups sources that overlap in time and metric range (so may share a (series, timestamp)).
void BuildComponents(ScanContext& ctx) {
  const size_t n = ctx.sources.size();
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<size_t> by_time(n);
  std::iota(by_time.begin(), by_time.end(), 0);
  std::sort(by_time.begin(), by_time.end(),
            [&](size_t a, size_t b) { return ctx.sources[a].min_time < ctx.sources[b].min_time; });
  std::vector<size_t> active;  // sources whose time range reaches the current start
  for (size_t i : by_time) {
    const Source& s = ctx.sources[i];
    std::erase_if(active, [&](size_t a) { return ctx.sources[a].max_time < s.min_time; });
    for (size_t a : active) {
      const Source& o = ctx.sources[a];
      if (o.max_metric >= s.min_metric && s.max_metric >= o.min_metric) {
        parent[find(a)] = find(i);
      }
    }
    active.push_back(i);
  }
  std::map<size_t, size_t> component_of_root;
  for (size_t i : by_time) {  // components in order of their earliest source
    size_t root = find(i);
    auto [it, inserted] = component_of_root.emplace(root, ctx.components.size());
    if (inserted) ctx.components.emplace_back();
    ctx.components[it->second].sources.push_back(i);
  }
  for (Component& c : ctx.components) {
    std::sort(c.sources.begin(), c.sources.end(),
              [&](size_t a, size_t b) { return ctx.sources[a].recency > ctx.sources[b].recency; });
    c.dedup = c.sources.size() > 1 || ctx.sources[c.sources[0]].chunk == nullptr;
    for (size_t s : c.sources) {
      if (const catalog::ChunkSummary* chunk = ctx.sources[s].chunk) {
        // A lone chunk is decoded by up to max_parts tasks of about rows_per_part rows, counting
        // only the share of its rows the time range covers (rows spread evenly over time, as a
        // guess): a short lookback into a long chunk is one task, which runs on the calling
        // thread (ScanStream::Await) instead of waking decode threads for a few pages.
        const long double span =
            static_cast<long double>(chunk->max_time_ns) - chunk->min_time_ns + 1;
        const long double covered =
            static_cast<long double>(std::min(chunk->max_time_ns, ctx.request.max_time_ns)) -
            std::max(chunk->min_time_ns, ctx.request.min_time_ns) + 1;
        const uint64_t rows = static_cast<uint64_t>(static_cast<long double>(chunk->row_count) *
                                                    std::clamp(covered / span, 0.0L, 1.0L));
        const uint64_t groups = (rows + ctx.rows_per_part - 1) / ctx.rows_per_part;
        const int parts = c.dedup
                              ? 1
                              : static_cast<int>(std::clamp<uint64_t>(
                                    groups, 1, static_cast<uint64_t>(std::max(ctx.max_parts, 1))));
        for (int part = 0; part < parts; ++part) {
          auto task = std::make_unique<Task>();
          task->chunk = chunk;
          task->keep_keys = c.dedup;
          task->part = part;
          task->parts = parts;
          task->future = task->promise.get_future();
          ctx.tasks.push_back(std::move(task));
        }
      }
    }
    c.end_task = ctx.tasks.size();
  }
}

}  // namespace
}  // namespace internal

void ScanStats::Add(const ScanStats& o) {
  catalog_seq = std::max(catalog_seq, o.catalog_seq);
  chunks_total += o.chunks_total;
  chunks_pruned_by_catalog += o.chunks_pruned_by_catalog;
  chunks_read += o.chunks_read;
  row_groups_total += o.row_groups_total;
  row_groups_pruned_by_statistics += o.row_groups_pruned_by_statistics;
  row_groups_pruned_by_bloom_filter += o.row_groups_pruned_by_bloom_filter;
  row_groups_read += o.row_groups_read;
  row_groups_read_by_series += o.row_groups_read_by_series;
  pages_total += o.pages_total;
  pages_read += o.pages_read;
  pages_from_cache += o.pages_from_cache;
  rows_read += o.rows_read;
  rows_unflushed += o.rows_unflushed;
  rows_deduplicated += o.rows_deduplicated;
  rows_output += o.rows_output;
  bytes_read += o.bytes_read;
  bytes_fetched += o.bytes_fetched;
  requests += o.requests;
  cache_hits += o.cache_hits;
  disk_cache_hits += o.disk_cache_hits;
  cache_misses += o.cache_misses;
  ingesters_asked += o.ingesters_asked;
  ingesters_failed += o.ingesters_failed;
  warnings.insert(warnings.end(), o.warnings.begin(), o.warnings.end());
}

Scanner::Scanner(io::ObjectStore* store, ScannerOptions options)
    : store_(store), options_(std::move(options)) {}

Scanner::~Scanner() { pool_.reset(); }

absl::StatusOr<std::unique_ptr<Scanner>> Scanner::Create(io::ObjectStore* store,
                                                         ScannerOptions options) {
  if (!store) return absl::InvalidArgumentError("scanner: no object store");
  if (options.decode_threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("scanner: decode_threads is %d, must be >= 1", options.decode_threads));
  }
  if (options.max_inflight_chunks < 0) {
    return absl::InvalidArgumentError("scanner: max_inflight_chunks must be >= 0");
  }
  if (options.rows_per_decode_part < 1) {
    return absl::InvalidArgumentError("scanner: rows_per_decode_part must be >= 1");
  }
  std::unique_ptr<Scanner> scanner(new Scanner(store, options));
  if (options.ram_cache_bytes > 0) {
    scanner->ram_cache_ = std::make_unique<RangeCache>(options.ram_cache_bytes);
  }
  if (options.series_directory_bytes > 0) {
    scanner->directories_ = std::make_unique<base::SharedLruCache<internal::SeriesDirectory>>(
        options.series_directory_bytes);
    scanner->metric_times_ = std::make_unique<base::SharedLruCache<internal::ChunkMetricTimes>>(
        internal::kMetricTimesCacheBytes);
  }
  if (options.page_cache_bytes > 0) {
    scanner->pages_ = std::make_unique<parquet::PageCache>(options.page_cache_bytes);
  }
  scanner->footers_ = std::make_unique<base::SharedLruCache<parquet::ParquetReader::Footer>>(
      internal::kFooterCacheBytes);
  if (!options.cache_dir.empty()) {
    CS_ASSIGN_OR_RETURN(scanner->disk_cache_,
                        DiskCache::Open(options.cache_dir, options.disk_cache_bytes));
  }
  scanner->pool_ = std::make_unique<base::ThreadPool>(options.decode_threads);
  return scanner;
}

absl::StatusOr<std::shared_ptr<catalog::Catalog>> Scanner::CatalogFor(const std::string& tenant) {
  {
    std::lock_guard lock(catalogs_mu_);
    auto it = catalogs_.find(tenant);
    if (it != catalogs_.end()) return it->second;
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> opened,
                      catalog::Catalog::Open(store_, tenant, {.writer_id = "query"}));
  std::shared_ptr<catalog::Catalog> catalog = std::move(opened);
  if (catalog->snapshot()->seq == 0) return catalog;  // no such tenant (yet): not kept
  std::lock_guard lock(catalogs_mu_);
  // A concurrent first query may have opened it too; keep one.
  return catalogs_.emplace(tenant, std::move(catalog)).first->second;
}

absl::StatusOr<std::shared_ptr<const catalog::Snapshot>> Scanner::RefreshCatalog(
    const std::string& tenant) {
  CS_RETURN_IF_ERROR(catalog::ValidateTenant(tenant));
  CS_ASSIGN_OR_RETURN(std::shared_ptr<catalog::Catalog> catalog, CatalogFor(tenant));
  CS_RETURN_IF_ERROR(catalog->Refresh());
  return catalog->snapshot();
}

absl::StatusOr<std::unique_ptr<ScanStream>> Scanner::Open(const ScanRequest& request) {
  CS_RETURN_IF_ERROR(ValidateScanRequest(request));
  CS_RETURN_IF_ERROR(catalog::ValidateTenant(request.tenant));
  auto ctx = std::make_shared<internal::ScanContext>();
  ctx->request = request;
  CS_ASSIGN_OR_RETURN(ctx->metric, internal::StringMatcher::ForMetric(request.metric));
  for (const LabelPredicate& p : request.labels) {
    CS_ASSIGN_OR_RETURN(internal::StringMatcher m, internal::StringMatcher::ForLabel(p));
    ctx->labels.push_back(std::move(m));
  }
  ctx->store = store_;
  ctx->ram = ram_cache_.get();
  ctx->disk = disk_cache_.get();
  ctx->pool = pool_.get();
  ctx->directories = directories_.get();
  ctx->metric_times = metric_times_.get();
  ctx->footers = footers_.get();
  ctx->pages = pages_.get();
  ctx->max_parts = options_.decode_threads;
  ctx->rows_per_part = options_.rows_per_decode_part;
  ctx->window = options_.max_inflight_chunks > 0 ? static_cast<size_t>(options_.max_inflight_chunks)
                                                 : static_cast<size_t>(2 * options_.decode_threads);
  ScanStats plan;

  // 1. Unflushed rows first: their catalog sequence says how new the catalog must be.
  UnflushedResult unflushed;
  if (request.include_unflushed && options_.unflushed) {
    UnflushedQuery query{.tenant = request.tenant,
                         .min_time_ns = request.min_time_ns,
                         .max_time_ns = request.max_time_ns};
    if (request.metric.kind == MetricCondition::Kind::kExact && request.metric.values.size() == 1) {
      query.metric = request.metric.values[0];
    }
    absl::StatusOr<UnflushedResult> fetched = options_.unflushed->Fetch(query);
    if (!fetched.ok()) {
      std::string what =
          absl::StrFormat("unflushed rows unavailable: %s", fetched.status().message());
      if (options_.require_unflushed) return absl::UnavailableError(what);
      plan.warnings.push_back(std::move(what));
    } else {
      unflushed = *std::move(fetched);
      plan.ingesters_asked =
          static_cast<int64_t>(unflushed.sources.size() + unflushed.failures.size());
      plan.ingesters_failed = static_cast<int64_t>(unflushed.failures.size());
      if (!unflushed.failures.empty() && options_.require_unflushed) {
        return absl::UnavailableError(absl::StrFormat("unflushed rows unavailable: %s",
                                                      absl::StrJoin(unflushed.failures, "; ")));
      }
      for (const std::string& failure : unflushed.failures) {
        plan.warnings.push_back("unflushed rows missing: " + failure);
      }
    }
  }
  uint64_t required_seq = 0;
  for (const UnflushedRows& rows : unflushed.sources) {
    required_seq = std::max(required_seq, rows.catalog_seq);
  }

  // 2. The catalog, at least as new as every ingester's answer.
  CS_ASSIGN_OR_RETURN(std::shared_ptr<catalog::Catalog> catalog, CatalogFor(request.tenant));
  CS_RETURN_IF_ERROR(catalog->Refresh());
  ctx->snapshot = catalog->snapshot();
  if (ctx->snapshot->seq < required_seq) {
    CS_RETURN_IF_ERROR(catalog->Refresh());
    ctx->snapshot = catalog->snapshot();
    if (ctx->snapshot->seq < required_seq) {
      return absl::UnavailableError(absl::StrFormat(
          "catalog of tenant %s is at sequence %d but an ingester's unflushed rows are relative "
          "to sequence %d; retry the query",
          request.tenant, ctx->snapshot->seq, required_seq));
    }
  }
  plan.catalog_seq = ctx->snapshot->seq;

  // 3. Chunks pruned by their summaries.
  std::vector<const catalog::ChunkSummary*> chunks;
  for (const auto& entry : ctx->snapshot->chunks) {
    ++plan.chunks_total;
    if (internal::PrunedByCatalog(*ctx, entry.second)) {
      ++plan.chunks_pruned_by_catalog;
    } else {
      chunks.push_back(&entry.second);
    }
  }

  // The output schema.
  if (request.columns.empty()) {
    std::set<std::string> labels;
    for (const catalog::ChunkSummary* chunk : chunks) {
      for (const auto& label : chunk->labels) labels.insert(label.first);
    }
    for (const UnflushedRows& rows : unflushed.sources) {
      for (const model::RecordBatch& batch : rows.batches) {
        for (const model::Field& field : batch.schema().fields()) {
          if (!internal::IsFixed(field.name)) labels.insert(field.name);
        }
      }
    }
    ctx->output = model::MetricsSchema(std::vector<std::string>(labels.begin(), labels.end()));
  } else {
    std::vector<model::Field> fields;
    for (const std::string& column : request.columns) {
      if (internal::IsFixed(column)) {
        fields.push_back({column, internal::FixedType(column), false});
      } else {
        fields.push_back({column, model::TypeId::kString, true});
      }
    }
    if (request.include_series_id && std::find(request.columns.begin(), request.columns.end(),
                                               model::kSeriesIdColumn) == request.columns.end()) {
      fields.push_back({std::string(model::kSeriesIdColumn), model::TypeId::kUInt64, false});
    }
    ctx->output = model::Schema(std::move(fields));
  }

  // Sources: ingester answers (filtered now, they are in memory) and the remaining chunks.
  for (UnflushedRows& rows : unflushed.sources) {
    internal::Piece piece;
    for (model::RecordBatch& batch : rows.batches) {
      piece.stats.rows_unflushed += static_cast<int64_t>(batch.num_rows());
      CS_RETURN_IF_ERROR(internal::FilterAndProject(std::move(batch), *ctx, true, true, false,
                                                    false, "ingester " + rows.ingester, piece));
    }
    plan.Add(piece.stats);
    piece.stats = ScanStats();
    if (piece.timestamps.empty()) continue;
    internal::Source source;
    source.unflushed = ctx->unflushed.size();
    auto [min_t, max_t] = std::minmax_element(piece.timestamps.begin(), piece.timestamps.end());
    source.min_time = *min_t;
    source.max_time = *max_t;
    if (!piece.metric_range) {
      return absl::DataLossError(absl::StrFormat(
          "ingester %s: unflushed rows without a metric_name column", rows.ingester));
    }
    source.min_metric = piece.metric_range->first;
    source.max_metric = piece.metric_range->second;
    source.recency = {1, 0, rows.ingester};
    ctx->sources.push_back(std::move(source));
    ctx->unflushed.push_back(std::move(piece));
  }
  for (const catalog::ChunkSummary* chunk : chunks) {
    internal::Source source;
    source.chunk = chunk;
    source.min_time = std::max(chunk->min_time_ns, request.min_time_ns);
    source.max_time = std::min(chunk->max_time_ns, request.max_time_ns);
    source.min_metric = chunk->min_metric;
    source.max_metric = chunk->max_metric;
    source.recency = {0, chunk->created_at_ns, chunk->path};
    ctx->sources.push_back(std::move(source));
  }
  internal::BuildComponents(*ctx);

  std::unique_ptr<ScanStream> stream(new ScanStream(std::move(ctx)));
  stream->stats_ = std::move(plan);
  return stream;
}

absl::Status Scanner::Scan(const ScanRequest& request,
                           const std::function<absl::Status(model::RecordBatch)>& sink,
                           ScanStats* stats) {
  absl::StatusOr<std::unique_ptr<ScanStream>> stream = Open(request);
  if (!stream.ok()) return stream.status();
  absl::Status status;
  while (true) {
    absl::StatusOr<std::optional<model::RecordBatch>> batch = (*stream)->Next();
    if (!batch.ok()) {
      status = batch.status();
      break;
    }
    if (!*batch) break;
    status = sink(**std::move(batch));
    if (!status.ok()) break;
  }
  if (stats) *stats = (*stream)->stats();
  return status;
}

size_t Scanner::Result::num_rows() const {
  size_t n = 0;
  for (const model::RecordBatch& b : batches) n += b.num_rows();
  return n;
}

absl::StatusOr<Scanner::Result> Scanner::ScanAll(const ScanRequest& request) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<ScanStream> stream, Open(request));
  Result result;
  result.schema = stream->schema();
  while (true) {
    CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
    if (!batch) break;
    result.batches.push_back(*std::move(batch));
  }
  result.stats = stream->stats();
  return result;
}

CacheStats Scanner::ram_cache_stats() const {
  return ram_cache_ ? ram_cache_->stats() : CacheStats{};
}

std::optional<CacheStats> Scanner::disk_cache_stats() const {
  if (!disk_cache_) return std::nullopt;
  return disk_cache_->stats();
}

ScanStream::ScanStream(std::shared_ptr<internal::ScanContext> context)
    : context_(std::move(context)) {
  // A chunk split into parts holds many rows in the range (ScanContext::rows_per_part). A scan
  // with no condition reads them all: decode threads from the start. With conditions the rows
  // wanted may be few (one series of a hundred thousand), as are those of a lookup (one row per
  // series or distinct value), which the first task finds out.
  const ScanRequest& request = context_->request;
  if (request.metric.kind == MetricCondition::Kind::kAny && request.labels.empty() &&
      !request.one_row_per_series) {
    for (const std::unique_ptr<internal::Task>& task : context_->tasks) {
      pooled_ = pooled_ || task->parts > 1;
    }
  }
}

ScanStream::~ScanStream() { context_->cancelled = true; }

const model::Schema& ScanStream::schema() const { return context_->output; }

namespace {

// A chunk task that took longer than this on the consumer's thread makes the rest of the scan
// use the decode threads. Below it, handing tasks over (waking a thread, and waiting for it)
// costs about as much as the task.
constexpr absl::Duration kInlineTaskLimit = absl::Microseconds(200);

// Runs `task` unless another thread has claimed it.
void RunUnlessClaimed(internal::ScanContext& ctx, internal::Task& task) {
  if (task.claimed.exchange(true)) return;
  if (ctx.cancelled) {
    task.promise.set_value(absl::CancelledError("scan cancelled"));
    return;
  }
  task.promise.set_value(
      internal::DecodeChunk(ctx, *task.chunk, task.keep_keys, task.part, task.parts));
}

}  // namespace

void ScanStream::TopUp(size_t at_least) {
  internal::ScanContext& ctx = *context_;
  const size_t consumed = next_component_ == 0 ? 0 : ctx.components[next_component_ - 1].end_task;
  const size_t target = std::min(ctx.tasks.size(), std::max(at_least, consumed + ctx.window));
  for (; submitted_ < target; ++submitted_) {
    std::shared_ptr<internal::ScanContext> shared = context_;
    const size_t t = submitted_;
    ctx.pool->Schedule([shared, t] { RunUnlessClaimed(*shared, *shared->tasks[t]); });
  }
}

absl::StatusOr<internal::Piece> ScanStream::Await(size_t t, size_t component_end) {
  internal::ScanContext& ctx = *context_;
  if (!pooled_ && t == submitted_) {
    const absl::Time start = absl::Now();
    ++submitted_;
    RunUnlessClaimed(ctx, *ctx.tasks[t]);
    pooled_ = absl::Now() - start > kInlineTaskLimit;
  }
  if (pooled_) TopUp(component_end);
  std::future<absl::StatusOr<internal::Piece>>& future = ctx.tasks[t]->future;
  // Rather than block while a pool thread decodes task t (or has not woken up to start it),
  // decode t itself or the submitted tasks after it that no pool thread has started.
  for (size_t next = t;
       next < submitted_ && future.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
       ++next) {
    RunUnlessClaimed(ctx, *ctx.tasks[next]);
  }
  return future.get();
}

absl::StatusOr<std::optional<model::RecordBatch>> ScanStream::Next() {
  if (!failed_.ok()) return failed_;
  internal::ScanContext& ctx = *context_;
  while (ready_.empty()) {
    if (next_component_ == ctx.components.size()) return std::nullopt;
    const internal::Component& component = ctx.components[next_component_];
    const size_t first_task =
        next_component_ == 0 ? 0 : ctx.components[next_component_ - 1].end_task;
    size_t task = first_task;
    std::vector<internal::Piece> pieces;
    pieces.reserve(component.end_task - first_task + component.sources.size());
    for (size_t s : component.sources) {
      if (!ctx.sources[s].chunk) {
        pieces.push_back(std::move(ctx.unflushed[ctx.sources[s].unflushed]));
        continue;
      }
      // One task per chunk, except a chunk split into parts (only in a component of its own):
      // the parts' tasks run to the component's end.
      const size_t until = component.dedup ? task + 1 : component.end_task;
      for (; task < until; ++task) {
        absl::StatusOr<internal::Piece> piece = Await(task, component.end_task);
        if (!piece.ok()) {
          failed_ = piece.status();
          ctx.cancelled = true;
          return failed_;
        }
        stats_.Add(piece->stats);
        pieces.push_back(*std::move(piece));
      }
    }
    ++next_component_;
    if (!component.dedup) {
      for (internal::Piece& piece : pieces) {
        for (model::RecordBatch& batch : piece.batches) ready_.push_back(std::move(batch));
      }
    } else {
      // Newest source first, so the most recently written copy of a sample is the one kept.
      size_t total = 0;
      for (const internal::Piece& piece : pieces) total += piece.ids.size();
      absl::flat_hash_set<std::pair<uint64_t, int64_t>> seen;
      seen.reserve(total);
      for (internal::Piece& piece : pieces) {
        size_t row = 0;
        for (model::RecordBatch& batch : piece.batches) {
          std::vector<uint32_t> selection;
          selection.reserve(batch.num_rows());
          for (size_t r = 0; r < batch.num_rows(); ++r, ++row) {
            if (seen.insert({piece.ids[row], piece.timestamps[row]}).second) {
              selection.push_back(static_cast<uint32_t>(r));
            }
          }
          stats_.rows_deduplicated += static_cast<int64_t>(batch.num_rows() - selection.size());
          if (selection.size() == batch.num_rows()) {
            ready_.push_back(std::move(batch));
          } else if (!selection.empty()) {
            ready_.push_back(batch.Take(selection));
          }
        }
      }
    }
    std::reverse(ready_.begin(), ready_.end());  // Next() pops from the back
  }
  model::RecordBatch batch = std::move(ready_.back());
  ready_.pop_back();
  stats_.rows_output += static_cast<int64_t>(batch.num_rows());
  return std::optional<model::RecordBatch>(std::move(batch));
}

}  // namespace cardinalsin::scan
