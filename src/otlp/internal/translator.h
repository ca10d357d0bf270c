// File: internal/translator.h
//
// The OTLP -> Prometheus translation shared by the protobuf and the JSON decoder
// (docs/format/otlp-translation.md). A decoder walks the request and feeds the translator one
// resource, one metric descriptor and one data point at a time, with attribute values already
// rendered as label text; the translator names, labels and emits the series into a
// model::SampleBatch and collects per-point rejections.
//
//   Translator translator(out, options);
//   translator.SetResource(resource_attributes);
//   translator.BeginMetric(descriptor);
//   CS_RETURN_IF_ERROR(translator.AddNumberPoint(point_attributes, point));
//   translator.EndMetric();
//
// Lifetime: every string_view handed in (attribute keys and values, metric names, units,
// descriptions) must outlive the batch; the translator keeps views to them. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "model/sample_batch.h"
#include "otlp/naming.h"
#include "otlp/otlp.h"

namespace cardinalsin::otlp::internal {

// One attribute with its value already rendered as label text (docs/format/otlp-translation.md,
// "Attribute values").
struct Attribute {
  std::string_view key;
  std::string_view value;
};

enum class DataKind : uint8_t { kNone, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };

// AggregationTemporality values of metrics.proto.
inline constexpr int64_t kTemporalityUnspecified = 0;
inline constexpr int64_t kTemporalityDelta = 1;
inline constexpr int64_t kTemporalityCumulative = 2;
// DataPointFlags.FLAG_NO_RECORDED_VALUE.
inline constexpr uint64_t kFlagNoRecordedValue = 1;

struct MetricDescriptor {
  std::string_view name;
  std::string_view description;
  std::string_view unit;
  DataKind kind = DataKind::kNone;
  int64_t temporality = kTemporalityUnspecified;  // Sum, Histogram, ExponentialHistogram
  bool monotonic = false;                         // Sum
};

struct NumberPoint {
  uint64_t time_unix_nano = 0;
  double value = 0;
  uint64_t flags = 0;
};

struct HistogramPoint {
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  bool has_sum = false;
  double sum = 0;
  uint64_t flags = 0;
  std::span<const uint64_t> bucket_counts;
  std::span<const double> explicit_bounds;
};

struct ExponentialHistogramPoint {
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  bool has_sum = false;
  double sum = 0;
  uint64_t flags = 0;
  int64_t scale = 0;
  uint64_t zero_count = 0;
  double zero_threshold = 0;
  int64_t positive_offset = 0;
  std::span<const uint64_t> positive_counts;
  int64_t negative_offset = 0;
  std::span<const uint64_t> negative_counts;
};

struct Quantile {
  double quantile = 0;
  double value = 0;
};

struct SummaryPoint {
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  double sum = 0;
  uint64_t flags = 0;
  std::span<const Quantile> quantiles;
};

// The scales OTLP allows for exponential histograms.
inline constexpr int64_t kMinScale = -10;
inline constexpr int64_t kMaxScale = 20;

// base^index with base = 2^(2^-scale): the lower boundary of exponential bucket `index`.
// Overflows to +Inf and underflows to 0 like the real number would.
// REQUIRES: kMinScale <= scale <= kMaxScale.
double ExponentialBoundary(int64_t index, int64_t scale);

class Translator {
 public:
  // Does not own `out`, which must outlive the translator.
  Translator(model::SampleBatch* out, const DecodeOptions& options)
      : out_(out), options_(options) {}

  // The resource of the metrics that follow.
  void SetResource(std::span<const Attribute> attributes);

  // Starts a metric: translates its name and records its metadata. A metric the translation
  // refuses as a whole (delta temporality, a name that translates to nothing) rejects each of
  // its points as it arrives.
  void BeginMetric(const MetricDescriptor& metric);
  // Reports the current metric's rejected points to the batch, one reason per distinct cause.
  void EndMetric();

  // Each Add*Point either emits the point's series, or rejects the point. The only error is the
  // label budget (DecodeOptions::max_labels) running out, which fails the request.
  // REQUIRES: inside BeginMetric/EndMetric, for a metric of the matching kind.
  [[nodiscard]] absl::Status AddNumberPoint(std::span<const Attribute> attributes,
                                            const NumberPoint& point);
  [[nodiscard]] absl::Status AddHistogramPoint(std::span<const Attribute> attributes,
                                               const HistogramPoint& point);
  [[nodiscard]] absl::Status AddExponentialHistogramPoint(std::span<const Attribute> attributes,
                                                          const ExponentialHistogramPoint& point);
  [[nodiscard]] absl::Status AddSummaryPoint(std::span<const Attribute> attributes,
                                             const SummaryPoint& point);

 private:
  struct KeyedLabel {
    std::string_view name;  // translated
    std::string_view value;
    std::string_view key;  // original attribute key, orders values joined on a name collision
    size_t position;       // in the request, so that the last of a repeated key wins
  };

  // The translated label name of an attribute key, owned by the batch when it differs from the
  // key; "" for a key that cannot become a label name.
  std::string_view LabelName(std::string_view key);
  // Translates, sorts and de-duplicates (joining colliding values with ';') into `labels`.
  // Returns false, with `error` naming the key, when a key does not translate.
  bool TranslateAttributes(std::span<const Attribute> attributes, std::vector<model::Label>* labels,
                           std::string* error);
  // Checks that apply to every point and builds `labels_` for it. Returns false (after
  // rejecting the point) when the point cannot be translated.
  bool PreparePoint(std::span<const Attribute> attributes, uint64_t time_unix_nano);
  void RejectPoint(std::string reason);
  std::string_view FloatLabel(double value);
  std::string_view SuffixedName(std::string_view suffix);
  [[nodiscard]] absl::Status Emit(std::string_view name, const model::Label* extra, double value);
  [[nodiscard]] absl::Status EmitBuckets(std::span<const std::pair<double, uint64_t>> buckets,
                                         uint64_t count, bool stale);

  model::SampleBatch* out_;
  DecodeOptions options_;
  size_t labels_emitted_ = 0;

  // Resource.
  std::vector<model::Label> resource_labels_;     // sorted by name, unique
  std::vector<model::Label> resource_overrides_;  // `instance` and `job` when the resource has them
  std::string resource_error_;  // non-empty: every point under this resource is rejected

  // Metric.
  std::string_view metric_display_name_;  // the OTLP name, for messages
  std::string metric_error_;              // non-empty: every point of this metric is rejected
  std::string_view family_;               // translated name
  std::string_view bucket_name_;
  std::string_view sum_name_;
  std::string_view count_name_;
  std::vector<std::pair<std::string, uint64_t>> rejections_;

  // Per point.
  int64_t timestamp_ns_ = 0;
  std::vector<model::Label> labels_;        // the point's labels, sorted, without __name__
  std::vector<model::Label> point_labels_;  // its attributes alone
  std::vector<KeyedLabel> keyed_scratch_;
  std::vector<std::pair<double, uint64_t>> buckets_scratch_;  // (upper bound, cumulative count)
  // Number points with the labels of the previous one extend its series.
  std::vector<model::Label> previous_number_labels_;
  bool previous_number_valid_ = false;

  absl::flat_hash_map<std::string_view, std::string_view> label_names_;
  absl::flat_hash_map<uint64_t, std::string_view> float_labels_;
};

}  // namespace cardinalsin::otlp::internal
