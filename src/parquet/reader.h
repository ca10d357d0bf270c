// File: reader.h
//
// Reads Parquet files: CardinalSin chunks (docs/format/chunk.md) and flat files written by
// pyarrow, DuckDB, Spark and others. Opens with the footer only (one or two ranged reads), then
// reads just the byte ranges of the projected columns of the row groups asked for.
//
//   MemoryByteSource source(file_bytes);
//   CS_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(source));
//   CS_ASSIGN_OR_RETURN(model::RecordBatch batch, reader->ReadRowGroup(0, {"timestamp", "value"}));
//
// Every length and offset in the file is validated; corrupt or truncated files give
// DataLossError naming the file (the ByteSource's name) and what is wrong, never a crash.
//
// Thread-safety: after Open(), const methods and ReadRowGroup() may run concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "base/shared_lru_cache.h"
#include "model/record_batch.h"
#include "parquet/byte_source.h"
#include "parquet/metadata.h"

namespace cardinalsin::parquet {

// A condition on one column that lets the reader skip row groups and pages. Pruning is
// conservative: every row that satisfies all predicates is returned, but rows that do not may be
// returned too (the caller filters exactly). A predicate whose value type does not fit the
// column (for example a string bound on a double column) prunes nothing.
struct ColumnPredicate {
  // int64 for int64 and timestamp (nanoseconds) columns, uint64, double, or string.
  using Value = std::variant<int64_t, uint64_t, double, std::string>;
  std::string column;
  std::optional<Value> min;   // inclusive lower bound
  std::optional<Value> max;   // inclusive upper bound
  std::vector<Value> any_of;  // equal to one of these (probes bloom filters); empty = any value
  // String columns: where a row group's or page's statistics show a single value (min == max),
  // whether that value satisfies the predicate (a regular expression, say). Null: not used.
  // Called from the decoding thread; must be thread-safe.
  std::function<bool(std::string_view)> single_value_matches;
};

// What a scan touched, for EXPLAIN and the pruning tests.
struct ScanStats {
  int64_t row_groups_total = 0;
  int64_t row_groups_pruned_by_statistics = 0;
  int64_t row_groups_pruned_by_bloom_filter = 0;
  int64_t row_groups_read = 0;
  int64_t pages_total = 0;  // data pages of the projected columns in the row groups read
  int64_t pages_read = 0;
  int64_t pages_from_cache = 0;  // ... of which the decoded values came from the PageCache
  int64_t rows_read = 0;
};

// Decoded pages of immutable files, shared between readers (ParquetReader::UsePageCache), keyed
// by the file's key and the page's offset in the file. Thread-safe.
struct PageCache {
  // Pages get `capacity_bytes`, offset indexes a sixteenth of that besides.
  explicit PageCache(uint64_t capacity_bytes)
      : data_pages(capacity_bytes), offset_indexes(capacity_bytes / 16) {}
  // All the values of one data page of a column of fixed-width values without nulls
  // (timestamps, sample values).
  base::SharedLruCache<model::Column> data_pages;
  // Validated offset indexes (the page locations of a column chunk).
  base::SharedLruCache<OffsetIndex> offset_indexes;
};

class ParquetReader {
 public:
  // Reads and validates the footer. `source` must outlive the reader.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ParquetReader>> Open(ByteSource& source);

  // A file's parsed and validated footer. Immutable: readers of the same file on any thread
  // may share one.
  struct Footer {
    FileMetaData metadata;
    model::Schema schema;
    std::vector<int> leaf_of_field;  // schema field i -> column chunk index
  };
  // A reader of `source` that uses `footer` (from footer() of an earlier reader of the same
  // bytes) instead of reading and decoding the footer again. `source` must outlive the reader.
  [[nodiscard]] static std::unique_ptr<ParquetReader> Open(ByteSource& source,
                                                           std::shared_ptr<const Footer> footer);
  const std::shared_ptr<const Footer>& footer() const { return footer_; }

  // Sparse reads (ReadRowGroupRows, and the late-materialized columns of ReadRowGroupFiltered,
  // keeping under a quarter of the rows of the pages they touch) of required int64, uint64,
  // double and timestamp columns with an offset index then take whole decoded pages from
  // `cache` and put the pages they decode there: a query wanting a few rows of a page again
  // skips its decompression and decoding. Denser reads decode as before and use no cache.
  // Offset indexes, which every read by rows or with predicates needs, are kept there too.
  // REQUIRES: the file is immutable and `file_key` names these bytes and no others (an object
  // key of a chunk, never rewritten); `cache` outlives the reader. Not thread-safe: call
  // before reading.
  void UsePageCache(PageCache* cache, std::string file_key) {
    page_cache_ = cache;
    page_cache_key_ = std::move(file_key);
  }

  const FileMetaData& metadata() const { return metadata_; }
  // The file's columns as model types (chunk.md "Reading foreign files" for the mapping).
  const model::Schema& schema() const { return schema_; }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  int64_t num_rows() const { return metadata_.num_rows; }
  // Value of a key in the footer's key-value metadata, or "" when absent.
  std::string KeyValue(const std::string& key) const;

  // Reads the named columns (all when empty) of one row group, in the order asked.
  // NotFound for an unknown column name.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadRowGroup(
      int row_group, const std::vector<std::string>& columns = {}) const;
  // Every row group, concatenated.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadAll(
      const std::vector<std::string>& columns = {}) const;

  // The row groups that may hold rows matching every predicate: column chunk statistics first,
  // then bloom filters for `any_of` predicates. Adds to `stats` when non-null.
  [[nodiscard]] absl::StatusOr<std::vector<int>> SelectRowGroups(
      const std::vector<ColumnPredicate>& predicates, ScanStats* stats = nullptr) const;

  // Like ReadRowGroup, but uses the page index of the predicate columns to read only the pages
  // (of every projected column) that may hold matching rows. Returns the rows of those pages.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadRowGroup(
      int row_group, const std::vector<std::string>& columns,
      const std::vector<ColumnPredicate>& predicates, ScanStats* stats = nullptr) const;

  // Chooses the rows to keep from the filter columns of the rows ReadRowGroupFiltered's page
  // pruning left (`batch` holds them in the order of `filter_columns`): returns their positions
  // in `batch`, strictly ascending. Runs on the calling thread; an error fails the read.
  using RowFilter =
      std::function<absl::StatusOr<std::vector<uint32_t>>(const model::RecordBatch& batch)>;

  // Late materialization: like the pruned ReadRowGroup, but decodes `filter_columns` first,
  // asks `filter` which of those rows to keep, and then reads the other `columns` only from
  // the pages holding kept rows, materializing only the kept rows. Returns the kept rows of
  // `columns` (in that order; `filter_columns` need not be among them). rows_read counts the
  // rows handed to the filter. A row group with no kept rows reads no other column.
  // REQUIRES: filter_columns is not empty (InvalidArgument otherwise).
  // Errors: NotFound for unknown column names; InvalidArgument when the filter's positions do
  // not ascend or are out of range; the filter's own errors.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadRowGroupFiltered(
      int row_group, const std::vector<std::string>& columns,
      const std::vector<ColumnPredicate>& predicates,
      const std::vector<std::string>& filter_columns, const RowFilter& filter,
      ScanStats* stats = nullptr) const;

  // The rows `rows` of `columns` of a row group: `rows` are sorted, disjoint, non-empty
  // [begin, end) ranges of row numbers within the row group. Reads only the pages overlapping
  // them (through the offset index, where the column has one) and materializes only those rows,
  // in order. For callers that know which rows they want without a filter column (a series
  // directory). rows_read counts the rows returned.
  // Errors: NotFound for unknown column names; InvalidArgument for ranges that are not sorted,
  // disjoint, non-empty and inside the row group.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadRowGroupRows(
      int row_group, const std::vector<std::string>& columns,
      const std::vector<std::pair<int64_t, int64_t>>& rows, ScanStats* stats = nullptr) const;

  // SelectRowGroups + the pruned ReadRowGroup over every selected row group, concatenated.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> Scan(
      const std::vector<std::string>& columns, const std::vector<ColumnPredicate>& predicates,
      ScanStats* stats = nullptr) const;

 private:
  ParquetReader(ByteSource& source, std::shared_ptr<const Footer> footer)
      : source_(source), footer_(std::move(footer)) {}

  // Indices of the fields named in `columns` (all when empty); NotFound for unknown names.
  absl::StatusOr<std::vector<size_t>> ResolveColumns(const std::vector<std::string>& columns) const;
  // Decodes one column chunk (or the given subset of its bytes holding `rows` rows). With
  // `keep` (sorted, disjoint [begin, end) ranges of positions < rows; non-nullable columns
  // only) just those rows.
  absl::StatusOr<model::Column> DecodeChunk(
      size_t field, const ColumnMetaData& meta, std::string_view bytes, int64_t rows,
      const std::vector<std::pair<int64_t, int64_t>>* keep = nullptr) const;
  // Which rows of a row group the page index leaves, and the offset indexes to read pages by.
  struct RowGroupPlan;  // defined in reader.cc
  // Reads the column and offset indexes of the predicate columns and prunes pages with them;
  // with `offset_indexes` also reads the offset indexes of `fields` (else those are read whole).
  absl::StatusOr<RowGroupPlan> PlanRowGroup(int row_group, const std::vector<size_t>& fields,
                                            const std::vector<ColumnPredicate>& predicates,
                                            bool offset_indexes) const;
  // The rows `rows` (sorted, disjoint [begin, end) ranges of the row group) of `fields`, read
  // from the pages overlapping them where the plan has the column's offset index.
  absl::StatusOr<std::vector<model::Column>> ReadRows(
      const RowGroupPlan& plan, const std::vector<size_t>& fields,
      const std::vector<std::pair<int64_t, int64_t>>& rows, ScanStats* stats) const;
  // ReadRows of one column through the page cache: `decoded` holds the cached values of each of
  // `pages` (those overlapping `rows`, `out_rows` in all) or null for the pages in `bytes`
  // (which starts with the dictionary page when `dictionary`). Decodes and caches those.
  absl::StatusOr<model::Column> ReadThroughPageCache(
      const RowGroupPlan& plan, size_t field, const ColumnMetaData& meta,
      const std::vector<std::pair<int64_t, int64_t>>& rows, int64_t out_rows,
      const std::vector<size_t>& pages, bool dictionary,
      std::vector<std::shared_ptr<const model::Column>>& decoded,
      std::span<const std::string> bytes) const;
  // The cache key of the page (or index) at `page_offset` of this file.
  std::string PageCacheKey(int64_t page_offset) const;
  // Whether the page locations ascend from row 0 within `num_rows` rows and lie in the file.
  bool ValidOffsetIndex(const OffsetIndex& oi, int64_t num_rows) const;

  ByteSource& source_;
  const std::shared_ptr<const Footer> footer_;
  const FileMetaData& metadata_ = footer_->metadata;
  const model::Schema& schema_ = footer_->schema;
  const std::vector<int>& leaf_of_field_ = footer_->leaf_of_field;
  PageCache* page_cache_ = nullptr;
  std::string page_cache_key_;
};

}  // namespace cardinalsin::parquet
