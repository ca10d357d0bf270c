// File: sample_batch.h
//
// The one batch every ingest protocol decodes into (ARCHITECTURE.md section 3): samples grouped by
// series, each series a bag of labels (including `__name__`) in the order the protocol sent them.
// Decoders do not validate names or limits; the ingester does that per series
// (ingest::Validate*), so one bad series never costs the rest of its request.
//
//   SampleBatch batch;
//   batch.StartSeries();
//   batch.AddLabel("__name__", "up");
//   batch.AddLabel("job", batch.Own(std::move(job)));   // a string the body does not hold
//   batch.AddSample(1'700'000'000'000'000'000, 1.0);
//
// Strings are views: into the request body (zero-copy decoding) or into the batch's own storage
// (`Own`), so the body must outlive the batch. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardinalsin::model {

struct Label {
  std::string_view name;
  std::string_view value;

  bool operator==(const Label&) const = default;
};

// Prometheus metric types as remote write 1.0 metadata and OpenMetrics name them.
enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateset = 7,
};

// Type, help and unit of a metric family, from remote-write metadata or an OTLP descriptor.
struct MetricMetadata {
  std::string_view metric_family;
  MetricType type = MetricType::kUnknown;
  std::string_view help;
  std::string_view unit;
};

class SampleBatch {
 public:
  void StartSeries() {
    label_begin_.push_back(static_cast<uint32_t>(labels_.size()));
    sample_begin_.push_back(static_cast<uint32_t>(timestamps_ns_.size()));
  }
  // REQUIRES: StartSeries was called.
  void AddLabel(std::string_view name, std::string_view value) { labels_.push_back({name, value}); }
  void AddSample(int64_t timestamp_ns, double value) {
    timestamps_ns_.push_back(timestamp_ns);
    values_.push_back(value);
  }

  // Keeps `value` alive as long as the batch and returns a view of it.
  std::string_view Own(std::string value) { return owned_.emplace_back(std::move(value)); }

  // Records samples the decoder could not translate (e.g. OTLP delta sums). They count towards
  // the request's rejected samples and `reason` is reported to the client.
  void Reject(uint64_t samples, std::string reason) {
    rejected_samples_ += samples;
    if (rejection_reasons_.size() < kMaxReasons) rejection_reasons_.push_back(std::move(reason));
  }

  size_t num_series() const { return label_begin_.size(); }
  size_t num_samples() const { return timestamps_ns_.size(); }

  std::span<const Label> labels(size_t series) const {
    return std::span(labels_).subspan(label_begin_[series],
                                      LabelEnd(series) - label_begin_[series]);
  }
  std::span<const int64_t> timestamps_ns(size_t series) const {
    return std::span(timestamps_ns_)
        .subspan(sample_begin_[series], SampleEnd(series) - sample_begin_[series]);
  }
  std::span<const double> values(size_t series) const {
    return std::span(values_).subspan(sample_begin_[series],
                                      SampleEnd(series) - sample_begin_[series]);
  }

  uint64_t rejected_samples() const { return rejected_samples_; }
  const std::vector<std::string>& rejection_reasons() const { return rejection_reasons_; }

  std::vector<MetricMetadata> metadata;

  // Empties the batch, keeping its capacity.
  void Clear() {
    labels_.clear();
    label_begin_.clear();
    sample_begin_.clear();
    timestamps_ns_.clear();
    values_.clear();
    owned_.clear();
    metadata.clear();
    rejected_samples_ = 0;
    rejection_reasons_.clear();
  }

 private:
  static constexpr size_t kMaxReasons = 10;

  size_t LabelEnd(size_t series) const {
    return series + 1 < label_begin_.size() ? label_begin_[series + 1] : labels_.size();
  }
  size_t SampleEnd(size_t series) const {
    return series + 1 < sample_begin_.size() ? sample_begin_[series + 1] : timestamps_ns_.size();
  }

  std::vector<Label> labels_;
  std::vector<uint32_t> label_begin_;   // first label of each series
  std::vector<uint32_t> sample_begin_;  // first sample of each series
  std::vector<int64_t> timestamps_ns_;
  std::vector<double> values_;
  std::deque<std::string> owned_;  // deque: growing it never moves existing strings
  uint64_t rejected_samples_ = 0;
  std::vector<std::string> rejection_reasons_;
};

}  // namespace cardinalsin::model
