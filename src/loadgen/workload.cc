#include "loadgen/workload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "base/check.h"

namespace cardinalsin::loadgen {
namespace {

constexpr int64_t kMillisecondNs = 1'000'000;

std::vector<std::string> MetricNames(size_t n) {
  std::vector<std::string> names;
  names.reserve(n);
  for (size_t i = 0; i < n; ++i) names.push_back(MetricName(i));
  return names;
}

std::vector<std::string> HostNames(size_t n) {
  std::vector<std::string> names;
  names.reserve(n);
  for (size_t i = 0; i < n; ++i) names.push_back(HostName(i));
  return names;
}

// Writes `text` at `*out` and returns a view of it, advancing `*out`.
std::string_view Put(std::string_view text, char** out) {
  char* begin = *out;
  std::copy(text.begin(), text.end(), begin);
  *out += text.size();
  return {begin, text.size()};
}

std::string_view PutDecimal(std::string_view prefix, uint64_t value, char** out) {
  char* begin = *out;
  Put(prefix, out);
  // 20 digits always fit: the arena reserves kMaxDynamicBytes per series.
  *out = std::to_chars(*out, *out + 20, value).ptr;
  return {begin, static_cast<size_t>(*out - begin)};
}

std::string_view PutHex16(uint64_t value, char** out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char* begin = *out;
  for (int shift = 60; shift >= 0; shift -= 4) *(*out)++ = kDigits[(value >> shift) & 0xf];
  return {begin, 16};
}

}  // namespace

std::string HostName(size_t index) { return absl::StrFormat("host-%03d", index + 1); }

ContractWorkload::ContractWorkload(const SeriesShape& shape, size_t max_batch_size, uint64_t seed)
    : total_series_(static_cast<uint64_t>(shape.metrics) * shape.hosts * shape.regions *
                    std::size(kEnvironments)),
      metric_names_(MetricNames(shape.metrics)),
      host_names_(HostNames(shape.hosts)),
      random_(seed) {
  CS_CHECK(shape.metrics >= 1 && shape.hosts >= 1 && shape.regions >= 1 &&
           shape.regions <= kMaxRegions && max_batch_size >= 1);
  const size_t built = static_cast<size_t>(std::min<uint64_t>(total_series_, max_batch_size));
  const size_t per_host = shape.regions * std::size(kEnvironments);
  const size_t per_metric = shape.hosts * per_host;
  series_.reserve(built);
  for (size_t j = 0; j < built; ++j) {
    const size_t metric = j / per_metric;
    Series series;
    series.labels[0] = {"__name__", metric_names_[metric]};
    series.labels[1] = {"env", kEnvironments[j % std::size(kEnvironments)]};
    series.labels[2] = {"host", host_names_[(j / per_host) % shape.hosts]};
    series.labels[3] = {"region", kRegions[(j / std::size(kEnvironments)) % shape.regions]};
    series.model = &TemplateForMetric(metric).model;
    series_.push_back(series);
    state_.push_back(InitialState(*series.model));
  }
}

void ContractWorkload::Fill(size_t samples, int64_t now_ns, double elapsed_seconds,
                            model::SampleBatch* batch) {
  std::lock_guard lock(mu_);
  batch->Clear();
  // Series j sits at position j of every batch, so a base one millisecond past the last keeps
  // its timestamps increasing even when batches start within the same millisecond.
  const int64_t base =
      last_base_ns_ == INT64_MIN ? now_ns : std::max(now_ns, last_base_ns_ + kMillisecondNs);
  last_base_ns_ = base;
  const size_t stride = static_cast<size_t>(std::min<uint64_t>(total_series_, samples));
  CS_DCHECK(samples >= 1 && stride <= series_.size());
  for (size_t j = 0; j < stride; ++j) {
    const Series& series = series_[j];
    batch->StartSeries();
    for (const model::Label& label : series.labels) batch->AddLabel(label.name, label.value);
    // With fewer series than samples the walk wraps: series j also fills j + stride, ...
    for (size_t position = j; position < samples; position += stride) {
      batch->AddSample(base + static_cast<int64_t>(position) * kMillisecondNs,
                       NextValue(*series.model, elapsed_seconds, state_[j], random_));
    }
  }
}

ChurnWorkload::ChurnWorkload(const ChurnOptions& options, uint64_t slot_begin, uint64_t slot_end,
                             uint64_t seed)
    : options_(options),
      slot_begin_(slot_begin),
      range_(slot_end - slot_begin),
      metric_names_(MetricNames(options.shape.metrics)),
      host_names_(HostNames(options.shape.hosts)),
      state_(range_, 0.0),
      generation_(range_, std::numeric_limits<uint64_t>::max()),
      random_(seed) {
  CS_CHECK(options.series >= 1 && slot_begin < slot_end && slot_end <= options.series);
  CS_CHECK(options.shape.metrics >= 1 && options.shape.hosts >= 1 && options.shape.regions >= 1 &&
           options.shape.regions <= kMaxRegions);
}

uint64_t ChurnWorkload::Replaced(const ChurnOptions& options, double elapsed_seconds) {
  const double seconds = std::floor(std::max(elapsed_seconds, 0.0));
  return static_cast<uint64_t>(
      std::floor(seconds * options.churn * static_cast<double>(options.series)));
}

void ChurnWorkload::Fill(size_t samples, int64_t now_ns, double elapsed_seconds,
                         model::SampleBatch* batch) {
  batch->Clear();
  const uint64_t n = options_.series;
  const size_t metrics = options_.shape.metrics;
  const uint64_t replaced = Replaced(options_, elapsed_seconds);
  const size_t distinct = static_cast<size_t>(std::min<uint64_t>(range_, samples));
  if (arena_.size() < distinct * kMaxDynamicBytes) arena_.resize(distinct * kMaxDynamicBytes);
  char* out = arena_.data();

  // A slot repeated within the batch gets one more millisecond per round; the next batch starts
  // after the last round so each series' timestamps keep increasing.
  const int64_t rounds = static_cast<int64_t>((samples - 1) / range_ + 1);
  const int64_t base = next_base_ns_ == INT64_MIN ? now_ns : std::max(now_ns, next_base_ns_);
  next_base_ns_ = base + rounds * kMillisecondNs;

  for (size_t j = 0; j < distinct; ++j) {
    const uint64_t relative = (cursor_ + j) % range_;
    const uint64_t slot = slot_begin_ + relative;
    // Replacement k hits slot k mod N, so a slot's generation is how often it has been hit.
    const uint64_t generation = replaced / n + (slot < replaced % n ? 1 : 0);
    const ValueModel& model = TemplateForMetric(slot % metrics).model;
    if (generation_[relative] != generation) {
      generation_[relative] = generation;
      state_[relative] = InitialState(model);
    }
    const uint64_t id = generation * n + slot;
    const uint64_t group = slot / metrics;
    batch->StartSeries();
    batch->AddLabel("__name__", metric_names_[slot % metrics]);
    batch->AddLabel("env", kEnvironments[group % std::size(kEnvironments)]);
    batch->AddLabel("host", host_names_[group % host_names_.size()]);
    batch->AddLabel("pod", PutDecimal("pod-", id / metrics, &out));
    batch->AddLabel("region", kRegions[group % options_.shape.regions]);
    batch->AddLabel("request_id", PutHex16(SplitMix64::Mix(id), &out));
    for (size_t position = j; position < samples; position += range_) {
      batch->AddSample(base + static_cast<int64_t>(position / range_) * kMillisecondNs,
                       NextValue(model, elapsed_seconds, state_[relative], random_));
    }
  }
  cursor_ = (cursor_ + samples) % range_;
}

}  // namespace cardinalsin::loadgen
