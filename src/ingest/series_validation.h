// File: series_validation.h
//
// Per-series checks every protocol's batch goes through before the WAL (ARCHITECTURE.md section 3,
// "Bad input"): one invalid series is rejected and counted, the rest of its request is accepted.
//
//   ValidatedBatch validated;
//   ValidateBatch(batch, limits, clock.Now(), &validated);
//   // validated.series: sorted labels without empty values, series ids, accepted samples
//   // validated.rejected_*: what was dropped, validated.reasons: why (first few)
//
// Rules, in order (the first failing rule names the series' rejection):
//   - the series has no samples: skipped silently (not an error; remote write allows it);
//   - every name and value is valid UTF-8; labels with empty values are dropped (Prometheus
//     semantics: an empty value means the label is absent);
//   - `__name__` present and non-empty; no label name empty, repeated, or one of the fixed
//     column names (`timestamp`, `metric_name`, `value`, `series_id`);
//   - at most `max_labels_per_series` labels (including `__name__`), names at most
//     `max_label_name_bytes`, values (and the metric name) at most `max_label_value_bytes`;
//   - samples older than `max_sample_age` or further ahead than `max_sample_future` of `now` are
//     rejected one by one (0 disables the bound); a series whose samples are all rejected is
//     rejected.
//
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "model/sample_batch.h"
#include "model/types.h"

namespace cardinalsin::ingest {

struct Limits {
  size_t max_labels_per_series = 64;
  size_t max_label_name_bytes = 1024;
  size_t max_label_value_bytes = 4096;
  absl::Duration max_sample_age = absl::Hours(24 * 7);
  absl::Duration max_sample_future = absl::Hours(1);
};

// One accepted series. Label and sample views point into the source SampleBatch.
struct ValidatedSeries {
  model::SeriesId id = 0;
  std::vector<model::Label> labels;  // sorted by name, `__name__` included, no empty values
  std::vector<int64_t> timestamps_ns;
  std::vector<double> values;
};

struct ValidatedBatch {
  std::vector<ValidatedSeries> series;
  uint64_t accepted_samples = 0;
  uint64_t rejected_samples = 0;  // including those the decoder rejected
  uint64_t rejected_series = 0;
  std::vector<std::string> reasons;  // at most kMaxReasons, each naming the series

  static constexpr size_t kMaxReasons = 10;
};

void ValidateBatch(const model::SampleBatch& batch, const Limits& limits, absl::Time now,
                   ValidatedBatch* out);

}  // namespace cardinalsin::ingest
