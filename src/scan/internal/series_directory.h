// File: series_directory.h
//
// The series of one row group of a chunk, for selecting rows by series instead of by row
// (src/scan/README.md). Chunks are sorted by (metric_name, series_id, timestamp), so each series
// is one run of consecutive rows; the directory lists the runs with their series id, time range,
// metric name and labels. A scan with metric or label conditions then evaluates them once per
// distinct value and once per run, reads timestamps and values only from the pages holding the
// matching runs, and takes the labels of the rows from the directory: the label columns are
// decoded once per row group (to build the directory) instead of once per query.
//
//   CS_ASSIGN_OR_RETURN(model::RecordBatch batch, reader.ReadRowGroup(rg,
//   SeriesDirectory::Columns(schema))); CS_ASSIGN_OR_RETURN(SeriesDirectory directory,
//   SeriesDirectory::Build(batch, name)); if (directory.useful()) { ... directory.runs() ... }
//
// Directories are immutable once built; scans share them through a SharedCache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/column.h"
#include "model/record_batch.h"
#include "model/types.h"

namespace cardinalsin::scan::internal {

class SeriesDirectory {
 public:
  // Code of an absent value (a NULL label).
  static constexpr uint32_t kAbsent = UINT32_MAX;

  struct Run {
    uint32_t first_row = 0;  // in the row group
    uint32_t num_rows = 0;
    int64_t min_time = 0, max_time = 0;  // of the run's timestamps, inclusive
    uint64_t series_id = 0;
  };

  // The columns Build needs from a file with schema `file`: timestamp, series_id, metric_name
  // and every other column (the labels).
  static std::vector<std::string> Columns(const model::Schema& file);

  // Builds the directory of a row group from its Columns(). A run ends wherever the series id,
  // the metric name or any label changes, so every row of a run has the run's exact values
  // whatever the chunk's order. A row group whose rows are not mostly runs of one series (fewer
  // than kMinRowsPerRun rows per run on average), or that has a label column that is not a
  // string, gives a directory that is not useful() and holds no runs.
  // Errors: DataLoss naming `what` when a fixed column is missing or has the wrong type.
  [[nodiscard]] static absl::StatusOr<SeriesDirectory> Build(const model::RecordBatch& batch,
                                                             const std::string& what);

  static constexpr size_t kMinRowsPerRun = 4;

  bool useful() const { return useful_; }
  const std::vector<Run>& runs() const { return runs_; }
  // Column names: metric_name first, then the labels.
  const std::vector<std::string>& columns() const { return columns_; }
  // Distinct values of column `c`, indexed by code, in byte order (so code order is value order).
  const model::StringVector& dictionary(size_t c) const { return dictionaries_[c]; }
  // True when the runs' metric_name codes never decrease (chunks sorted by metric_name): the
  // runs of one metric are then one contiguous span.
  bool metric_sorted() const { return metric_sorted_; }
  // The code of column `c` in each run (kAbsent when the run lacks the label).
  const std::vector<uint32_t>& codes(size_t c) const { return codes_[c]; }
  // Index of column `name` in columns(), or -1.
  int ColumnIndex(std::string_view name) const;
  // Memory held, for the cache's budget.
  size_t bytes() const { return bytes_; }

 private:
  bool useful_ = false;
  bool metric_sorted_ = false;
  std::vector<Run> runs_;
  std::vector<std::string> columns_;
  std::vector<model::StringVector> dictionaries_;
  std::vector<std::vector<uint32_t>> codes_;
  size_t bytes_ = 0;
};

}  // namespace cardinalsin::scan::internal
