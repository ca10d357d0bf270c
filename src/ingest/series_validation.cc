#include "ingest/series_validation.h"

#include <string_view>

#include "absl/strings/str_format.h"
#include "model/labels.h"

namespace cardinalsin::ingest {
namespace {

// A short rendering of a series for error messages: {__name__="x", a="b"}, truncated.
std::string Describe(std::span<const model::Label> labels) {
  std::string text = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) text += ", ";
    text += labels[i].name;
    text += "=\"";
    text += labels[i].value;
    text += "\"";
    if (text.size() > 200) {
      text.resize(200);
      text += "...";
      break;
    }
  }
  text += "}";
  if (!model::IsValidUtf8(text)) return "{<series with invalid UTF-8>}";
  return text;
}

// Returns an empty string when the series' labels are acceptable, else why not. Fills `sorted`.
std::string CheckLabels(std::span<const model::Label> labels, const Limits& limits,
                        std::vector<model::Label>* sorted) {
  sorted->clear();
  for (const model::Label& label : labels) {
    if (!model::IsValidUtf8(label.name) || !model::IsValidUtf8(label.value)) {
      return "label name or value is not valid UTF-8";
    }
    if (label.name.empty()) return "empty label name";
    if (label.value.empty()) continue;
    sorted->push_back(label);
  }
  model::SortLabels(*sorted);
  bool has_name = false;
  for (size_t i = 0; i < sorted->size(); ++i) {
    const model::Label& label = (*sorted)[i];
    if (i > 0 && (*sorted)[i - 1].name == label.name) {
      return absl::StrFormat("duplicate label name \"%s\"", label.name);
    }
    if (label.name == model::kMetricNameLabel) {
      has_name = true;
    } else if (model::IsReservedColumnName(label.name)) {
      return absl::StrFormat("label name \"%s\" is reserved for a column of the metrics table",
                             label.name);
    }
    if (label.name.size() > limits.max_label_name_bytes) {
      return absl::StrFormat("label name of %d bytes exceeds the limit of %d", label.name.size(),
                             limits.max_label_name_bytes);
    }
    if (label.value.size() > limits.max_label_value_bytes) {
      return absl::StrFormat("value of label \"%s\" has %d bytes, over the limit of %d", label.name,
                             label.value.size(), limits.max_label_value_bytes);
    }
  }
  if (!has_name) return "missing metric name (__name__)";
  if (sorted->size() > limits.max_labels_per_series) {
    return absl::StrFormat("%d labels exceed the limit of %d per series", sorted->size(),
                           limits.max_labels_per_series);
  }
  return "";
}

}  // namespace

void ValidateBatch(const model::SampleBatch& batch, const Limits& limits, absl::Time now,
                   ValidatedBatch* out) {
  out->series.clear();
  out->accepted_samples = 0;
  out->rejected_samples = batch.rejected_samples();
  out->rejected_series = 0;
  out->reasons.clear();
  for (const std::string& reason : batch.rejection_reasons()) {
    if (out->reasons.size() < ValidatedBatch::kMaxReasons) out->reasons.push_back(reason);
  }
  auto reject = [&](std::span<const model::Label> labels, uint64_t samples, std::string_view why) {
    out->rejected_samples += samples;
    ++out->rejected_series;
    if (out->reasons.size() < ValidatedBatch::kMaxReasons) {
      out->reasons.push_back(absl::StrFormat("series %s: %s", Describe(labels), why));
    }
  };

  const int64_t now_ns = absl::ToUnixNanos(now);
  const int64_t oldest_ns = limits.max_sample_age > absl::ZeroDuration()
                                ? now_ns - absl::ToInt64Nanoseconds(limits.max_sample_age)
                                : INT64_MIN;
  const int64_t newest_ns = limits.max_sample_future > absl::ZeroDuration()
                                ? now_ns + absl::ToInt64Nanoseconds(limits.max_sample_future)
                                : INT64_MAX;
  std::vector<model::Label> sorted;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    std::span<const int64_t> timestamps = batch.timestamps_ns(s);
    if (timestamps.empty()) continue;
    std::span<const model::Label> labels = batch.labels(s);
    if (std::string why = CheckLabels(labels, limits, &sorted); !why.empty()) {
      reject(labels, timestamps.size(), why);
      continue;
    }
    std::span<const double> values = batch.values(s);
    ValidatedSeries series;
    series.timestamps_ns.reserve(timestamps.size());
    series.values.reserve(timestamps.size());
    uint64_t out_of_bounds = 0;
    int64_t example = 0;
    for (size_t i = 0; i < timestamps.size(); ++i) {
      if (timestamps[i] < oldest_ns || timestamps[i] > newest_ns) {
        ++out_of_bounds;
        example = timestamps[i];
        continue;
      }
      series.timestamps_ns.push_back(timestamps[i]);
      series.values.push_back(values[i]);
    }
    if (out_of_bounds > 0) {
      std::string why = absl::StrFormat(
          "%d sample(s) outside the accepted time range [now-%s, now+%s], e.g. timestamp %s",
          out_of_bounds, absl::FormatDuration(limits.max_sample_age),
          absl::FormatDuration(limits.max_sample_future),
          absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(example), absl::UTCTimeZone()));
      if (series.timestamps_ns.empty()) {
        reject(labels, out_of_bounds, why);
        continue;
      }
      out->rejected_samples += out_of_bounds;
      if (out->reasons.size() < ValidatedBatch::kMaxReasons) {
        out->reasons.push_back(absl::StrFormat("series %s: %s", Describe(labels), why));
      }
    }
    series.labels = sorted;
    series.id = model::ComputeSeriesId(series.labels);
    out->accepted_samples += series.timestamps_ns.size();
    out->series.push_back(std::move(series));
  }
}

}  // namespace cardinalsin::ingest
