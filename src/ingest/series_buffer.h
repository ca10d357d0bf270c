// File: series_buffer.h
//
// One tenant's unflushed samples: what the ingester holds between the WAL append and the chunk
// commit, serves to query nodes, and turns into a chunk (ARCHITECTURE.md sections 3 and 4).
//
//   SeriesBuffer buffer;
//   buffer.Append(validated_series, wal_seq);
//   model::RecordBatch rows = buffer.ToRecordBatch();   // sorted, deduplicated, chunk schema
//
// Memory: label strings are interned once per buffer (a pod name shared by a thousand series is
// stored once), each series costs its label references, and each sample 20 bytes.
//
// Thread-safety: none; the ingester serialises access.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "base/huge_page_allocator.h"
#include "ingest/intern_table.h"
#include "ingest/series_validation.h"
#include "model/record_batch.h"

namespace cardinalsin::ingest {

// Which rows ToRecordBatch returns: all by default.
struct RowFilter {
  std::optional<std::string> metric_name;  // exact match
  int64_t min_time_ns = INT64_MIN;         // inclusive
  int64_t max_time_ns = INT64_MAX;         // inclusive
};

class SeriesBuffer {
 public:
  // Expected contents, reserved up front so that a busy buffer does not spend its time rehashing
  // and regrowing (the ingester passes the size of the buffer this one replaces).
  struct Capacity {
    size_t series = 0;
    size_t strings = 0;
    size_t label_refs = 0;
    size_t rows = 0;
  };
  SeriesBuffer() = default;
  explicit SeriesBuffer(const Capacity& capacity);
  SeriesBuffer(const SeriesBuffer&) = delete;
  SeriesBuffer& operator=(const SeriesBuffer&) = delete;

  // REQUIRES: `series` passed ValidateBatch (sorted labels, `__name__` present, id computed).
  void Append(const ValidatedSeries& series, uint64_t wal_seq, absl::Time now);
  // Append of each series in order, overlapping the cache misses of consecutive series: in a
  // buffer of many series its tables outgrow the caches, and when most series are new to the
  // buffer, waiting on those misses one at a time is most of the cost.
  // REQUIRES: as Append, for each series.
  void AppendAll(std::span<const ValidatedSeries> series, uint64_t wal_seq, absl::Time now);

  size_t rows() const { return timestamps_.size(); }
  size_t num_series() const { return series_.size(); }
  // What this buffer holds, as a reservation for its successor.
  Capacity capacity_used() const {
    return {series_.size(), value_strings_.size(), labels_.size(), timestamps_.size()};
  }
  // Approximate heap bytes held, for the flush and back-pressure limits.
  size_t bytes() const { return bytes_; }
  bool empty() const { return timestamps_.empty(); }
  // WAL sequence range of the appended writes (0 when none carried one).
  uint64_t min_seq() const { return min_seq_; }
  uint64_t max_seq() const { return max_seq_; }
  // When the first row arrived; the flush age counts from here.
  absl::Time first_append() const { return first_append_; }
  int64_t min_time_ns() const { return min_time_ns_; }
  int64_t max_time_ns() const { return max_time_ns_; }

  // The rows matching `filter` in chunk order: sorted by (metric_name, series_id, timestamp), with
  // duplicate (series, timestamp) samples reduced to the last one appended. The schema is
  // model::MetricsSchema of the label names present in the selected rows; label columns are
  // dictionary-encoded and null where a series lacks the label.
  model::RecordBatch ToRecordBatch(const RowFilter& filter = {}) const;

 private:
  // Interns a label value or metric name (value_strings_) or a label name (name_strings_). Names
  // live in their own small, cache-resident table: the value table of a high-cardinality buffer
  // holds millions of strings, and looking names up there would cost a cache miss each.
  uint32_t Intern(std::string_view s) { return InternIn(value_strings_, s); }
  uint32_t InternName(std::string_view s) { return InternIn(name_strings_, s); }
  uint32_t InternIn(StringInterner& table, std::string_view s);
  // Prefetches what Append(series) will look up: the series' index slot, and when the series is
  // new, the value slots of labels that differ from those of `previous` (if any).
  void PrefetchLabels(const ValidatedSeries& series, const ValidatedSeries* previous) const;

  struct Series {
    model::SeriesId id;
    uint32_t metric;       // value id of the metric name
    uint32_t label_begin;  // into labels_, `__name__` excluded
    uint32_t label_count;
  };
  struct LabelRef {
    uint32_t name;   // name id
    uint32_t value;  // value id
  };

  StringInterner name_strings_;
  StringInterner value_strings_;

  // The labels of the last new series, by position, for the lookups in Append.
  static constexpr uint32_t kNoString = UINT32_MAX;
  static constexpr uint32_t kMetricNameId = UINT32_MAX - 1;  // `__name__`, never interned
  struct RecentLabel {
    uint32_t name_id = kNoString;
    uint32_t value_id = kNoString;
  };
  std::vector<RecentLabel> recent_labels_;

  // Arrays of a high-cardinality buffer are tens of megabytes read at random when the buffer is
  // turned into a chunk: they sit on huge pages (base/huge_page_allocator.h).
  base::HugePageVector<Series> series_;
  base::HugePageVector<LabelRef> labels_;
  SeriesIndex series_index_;

  base::HugePageVector<uint32_t> row_series_;
  base::HugePageVector<int64_t> timestamps_;
  base::HugePageVector<double> values_;

  size_t bytes_ = 0;
  uint64_t min_seq_ = 0;
  uint64_t max_seq_ = 0;
  absl::Time first_append_;
  int64_t min_time_ns_ = INT64_MAX;
  int64_t max_time_ns_ = INT64_MIN;
};

// Concatenates metrics batches with possibly different label columns into one batch over the
// union of their label columns (absent labels become nulls). Row order is kept: piece by piece.
model::RecordBatch ConcatMetricsBatches(std::span<const model::RecordBatch> pieces);

}  // namespace cardinalsin::ingest
