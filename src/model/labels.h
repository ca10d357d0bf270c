// File: labels.h
//
// Rules for metric and label names and the series identity (ARCHITECTURE.md section 2,
// docs/format/series-id.md).
//
//   std::vector<Label> labels = ...;           // including {"__name__", "up"}
//   SortLabels(labels);
//   SeriesId id = ComputeSeriesId(labels);
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "model/sample_batch.h"
#include "model/types.h"

namespace cardinalsin::model {

inline constexpr std::string_view kMetricNameLabel = "__name__";

bool IsValidUtf8(std::string_view s);

// Prometheus 3 name rules: any non-empty valid UTF-8 string. Names that are not also legacy
// names ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels) need quoting
// in PromQL, exactly as in Prometheus.
bool IsLegacyMetricName(std::string_view name);
bool IsLegacyLabelName(std::string_view name);

// Sorts by name (bytewise). Stable, so duplicates stay adjacent in input order.
void SortLabels(std::vector<Label>& labels);

// xxHash64 (seed 0) of name 0xff value 0xff for each label in sorted order, `__name__` included.
// REQUIRES: `sorted` is sorted by name and has no duplicate names.
SeriesId ComputeSeriesId(std::span<const Label> sorted);

}  // namespace cardinalsin::model
