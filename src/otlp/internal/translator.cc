#include "otlp/internal/translator.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "base/status_macros.h"
#include "base/strings.h"
#include "model/labels.h"

namespace cardinalsin::otlp::internal {
namespace {

constexpr std::string_view kJobLabel = "job";
constexpr std::string_view kInstanceLabel = "instance";
constexpr size_t kMaxNameInMessage = 128;

const double kStaleNaN = std::bit_cast<double>(kStaleNaNBits);

// Untrusted names go into error messages shortened.
std::string_view Shorten(std::string_view s) { return s.substr(0, kMaxNameInMessage); }

}  // namespace

double ExponentialBoundary(int64_t index, int64_t scale) {
  // Exponents beyond these are certainly outside double's range either way.
  constexpr int64_t kMaxExponent = 2000;
  if (scale <= 0) {
    // base = 2^(2^-scale): an exact power of two. |index| < 2^32 and -scale <= 10, no overflow.
    int64_t exponent = index * (int64_t{1} << -scale);
    exponent = std::clamp(exponent, -kMaxExponent, kMaxExponent);
    return std::ldexp(1.0, static_cast<int>(exponent));
  }
  // index = q * 2^scale + r with 0 <= r < 2^scale: base^index = 2^q * 2^(r / 2^scale), so the
  // inexact part stays in [1, 2) and the power of two is exact.
  int64_t per_octave = int64_t{1} << scale;
  int64_t q = index >= 0 ? index / per_octave : -((-index + per_octave - 1) / per_octave);
  int64_t r = index - q * per_octave;
  double fraction = std::exp2(static_cast<double>(r) / static_cast<double>(per_octave));
  return std::ldexp(fraction, static_cast<int>(std::clamp(q, -kMaxExponent, kMaxExponent)));
}

std::string_view Translator::LabelName(std::string_view key) {
  auto it = label_names_.find(key);
  if (it != label_names_.end()) return it->second;
  std::string translated = TranslateLabelName(key);
  std::string_view name;
  if (translated == key) {
    name = key;
  } else if (!translated.empty()) {
    name = out_->Own(std::move(translated));
  }
  label_names_.emplace(key, name);
  return name;
}

bool Translator::TranslateAttributes(std::span<const Attribute> attributes,
                                     std::vector<model::Label>* labels, std::string* error) {
  keyed_scratch_.clear();
  for (const Attribute& attribute : attributes) {
    std::string_view name = LabelName(attribute.key);
    if (name.empty()) {
      *error = base::StrCat("attribute key \"", Shorten(attribute.key),
                            "\" does not translate to a label name");
      return false;
    }
    keyed_scratch_.push_back({name, attribute.value, attribute.key, keyed_scratch_.size()});
  }
  // (std::stable_sort would allocate a buffer on every call.)
  std::sort(keyed_scratch_.begin(), keyed_scratch_.end(),
            [](const KeyedLabel& a, const KeyedLabel& b) {
              if (a.name != b.name) return a.name < b.name;
              if (a.key != b.key) return a.key < b.key;
              return a.position < b.position;
            });
  // A key repeated verbatim keeps its last value, as a protobuf map would.
  auto same_key = [](const KeyedLabel& a, const KeyedLabel& b) { return a.key == b.key; };
  auto last = std::unique(keyed_scratch_.rbegin(), keyed_scratch_.rend(), same_key);
  keyed_scratch_.erase(keyed_scratch_.begin(), last.base());
  labels->clear();
  for (size_t i = 0; i < keyed_scratch_.size();) {
    size_t j = i + 1;
    while (j < keyed_scratch_.size() && keyed_scratch_[j].name == keyed_scratch_[i].name) ++j;
    if (j == i + 1) {
      labels->push_back({keyed_scratch_[i].name, keyed_scratch_[i].value});
    } else {
      // Keys that differ only in invalid characters ("a.b", "a_b") share a label: values joined
      // with ';' in the order of the original keys, as Prometheus does.
      std::string joined;
      for (size_t k = i; k < j; ++k) {
        if (k > i) joined.push_back(';');
        base::StrAppend(&joined, keyed_scratch_[k].value);
      }
      labels->push_back({keyed_scratch_[i].name, out_->Own(std::move(joined))});
    }
    i = j;
  }
  return true;
}

void Translator::SetResource(std::span<const Attribute> attributes) {
  resource_error_.clear();
  std::string_view service_name, service_namespace, instance;
  bool has_name = false, has_namespace = false, has_instance = false;
  for (const Attribute& attribute : attributes) {
    if (attribute.key == "service.name") {
      service_name = attribute.value;
      has_name = true;
    } else if (attribute.key == "service.namespace") {
      service_namespace = attribute.value;
      has_namespace = true;
    } else if (attribute.key == "service.instance.id") {
      instance = attribute.value;
      has_instance = true;
    }
  }
  // Sorted by name: "instance" < "job".
  resource_overrides_.clear();
  if (has_instance) resource_overrides_.push_back({kInstanceLabel, instance});
  if (has_name) {
    resource_overrides_.push_back(
        {kJobLabel, has_namespace ? out_->Own(base::StrCat(service_namespace, "/", service_name))
                                  : service_name});
  }
  std::string error;
  if (!TranslateAttributes(attributes, &resource_labels_, &error)) {
    resource_error_ = base::StrCat("resource ", error);
    resource_labels_.clear();
  }
}

void Translator::BeginMetric(const MetricDescriptor& metric) {
  metric_display_name_ = Shorten(metric.name);
  metric_error_.clear();
  rejections_.clear();
  previous_number_valid_ = false;
  family_ = bucket_name_ = sum_name_ = count_name_ = {};

  NameKind name_kind = NameKind::kGauge;
  model::MetricType type = model::MetricType::kUnknown;
  switch (metric.kind) {
    case DataKind::kNone:
      return;
    case DataKind::kGauge:
      name_kind = NameKind::kGauge;
      type = model::MetricType::kGauge;
      break;
    case DataKind::kSum:
      name_kind = metric.monotonic ? NameKind::kMonotonicCounter : NameKind::kNonMonotonicCounter;
      type = metric.monotonic ? model::MetricType::kCounter : model::MetricType::kGauge;
      break;
    case DataKind::kHistogram:
    case DataKind::kExponentialHistogram:
      name_kind = NameKind::kHistogram;
      type = model::MetricType::kHistogram;
      break;
    case DataKind::kSummary:
      name_kind = NameKind::kSummary;
      type = model::MetricType::kSummary;
      break;
  }
  if (metric.kind == DataKind::kSum || metric.kind == DataKind::kHistogram ||
      metric.kind == DataKind::kExponentialHistogram) {
    if (metric.temporality == kTemporalityDelta) {
      metric_error_ =
          "delta temporality is not supported; configure the exporter for cumulative temporality";
      return;
    }
    if (metric.temporality != kTemporalityCumulative) {
      metric_error_ =
          base::StrCat("aggregation temporality ", metric.temporality,
                       " is not supported; configure the exporter for cumulative temporality");
      return;
    }
  }
  std::string family = TranslateMetricName(metric.name, metric.unit, name_kind);
  if (family.empty()) {
    metric_error_ = "the name does not translate to a Prometheus metric name";
    return;
  }
  family_ = family == metric.name ? metric.name : out_->Own(std::move(family));
  if (name_kind == NameKind::kHistogram || name_kind == NameKind::kSummary) {
    if (name_kind == NameKind::kHistogram) bucket_name_ = SuffixedName("_bucket");
    sum_name_ = SuffixedName("_sum");
    count_name_ = SuffixedName("_count");
  }
  std::string unit = TranslateUnit(metric.unit);
  out_->metadata.push_back(
      {.metric_family = family_,
       .type = type,
       .help = metric.description,
       .unit = unit.empty() ? std::string_view() : out_->Own(std::move(unit))});
}

void Translator::EndMetric() {
  for (auto& [reason, count] : rejections_) {
    out_->Reject(count, base::StrCat("metric \"", metric_display_name_, "\": ", reason));
  }
  rejections_.clear();
}

std::string_view Translator::SuffixedName(std::string_view suffix) {
  return out_->Own(base::StrCat(family_, suffix));
}

void Translator::RejectPoint(std::string reason) {
  previous_number_valid_ = false;
  for (auto& [existing, count] : rejections_) {
    if (existing == reason) {
      ++count;
      return;
    }
  }
  rejections_.emplace_back(std::move(reason), 1);
}

bool Translator::PreparePoint(std::span<const Attribute> attributes, uint64_t time_unix_nano) {
  if (!metric_error_.empty()) {
    RejectPoint(metric_error_);
    return false;
  }
  if (!resource_error_.empty()) {
    RejectPoint(resource_error_);
    return false;
  }
  if (time_unix_nano == 0) {
    RejectPoint("data point without time_unix_nano");
    return false;
  }
  if (time_unix_nano > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    RejectPoint("time_unix_nano is after the year 2262");
    return false;
  }
  timestamp_ns_ = static_cast<int64_t>(time_unix_nano);

  std::string error;
  if (!TranslateAttributes(attributes, &point_labels_, &error)) {
    RejectPoint(error);
    return false;
  }
  // One pass over three sorted lists: `job` and `instance` derived from the resource override
  // point attributes of those names, which override resource attributes. The metric name always
  // comes from the metric, so an attribute that translates to `__name__` is dropped.
  labels_.clear();
  const std::vector<model::Label>* lists[3] = {&resource_overrides_, &point_labels_,
                                               &resource_labels_};
  size_t next[3] = {0, 0, 0};
  while (true) {
    const model::Label* smallest = nullptr;
    for (int i = 0; i < 3; ++i) {
      if (next[i] == lists[i]->size()) continue;
      const model::Label& candidate = (*lists[i])[next[i]];
      if (smallest == nullptr || candidate.name < smallest->name) smallest = &candidate;
    }
    if (smallest == nullptr) break;
    std::string_view name = smallest->name;
    const model::Label* winner = nullptr;
    for (int i = 0; i < 3; ++i) {
      if (next[i] < lists[i]->size() && (*lists[i])[next[i]].name == name) {
        if (winner == nullptr) winner = &(*lists[i])[next[i]];
        ++next[i];
      }
    }
    if (name != model::kMetricNameLabel) labels_.push_back(*winner);
  }
  return true;
}

std::string_view Translator::FloatLabel(double value) {
  uint64_t bits = std::bit_cast<uint64_t>(value);
  auto it = float_labels_.find(bits);
  if (it != float_labels_.end()) return it->second;
  std::string_view text = out_->Own(FormatFloat(value));
  float_labels_.emplace(bits, text);
  return text;
}

absl::Status Translator::Emit(std::string_view name, const model::Label* extra, double value) {
  labels_emitted_ += 1 + labels_.size() + (extra != nullptr ? 1 : 0);
  if (labels_emitted_ > options_.max_labels) {
    return absl::InvalidArgumentError(
        base::StrCat("OTLP request expands to more than ", options_.max_labels,
                     " labels (histogram buckets and resource attributes are "
                     "repeated on every series); split the request"));
  }
  out_->StartSeries();
  out_->AddLabel(model::kMetricNameLabel, name);
  for (const model::Label& label : labels_) out_->AddLabel(label.name, label.value);
  if (extra != nullptr) out_->AddLabel(extra->name, extra->value);
  out_->AddSample(timestamp_ns_, value);
  return absl::OkStatus();
}

absl::Status Translator::AddNumberPoint(std::span<const Attribute> attributes,
                                        const NumberPoint& point) {
  if (!PreparePoint(attributes, point.time_unix_nano)) return absl::OkStatus();
  double value = (point.flags & kFlagNoRecordedValue) != 0 ? kStaleNaN : point.value;
  if (previous_number_valid_ && labels_ == previous_number_labels_) {
    out_->AddSample(timestamp_ns_, value);
    return absl::OkStatus();
  }
  CS_RETURN_IF_ERROR(Emit(family_, nullptr, value));
  previous_number_labels_ = labels_;
  previous_number_valid_ = true;
  return absl::OkStatus();
}

absl::Status Translator::EmitBuckets(std::span<const std::pair<double, uint64_t>> buckets,
                                     uint64_t count, bool stale) {
  for (const auto& [bound, cumulative] : buckets) {
    model::Label le{"le", FloatLabel(bound)};
    CS_RETURN_IF_ERROR(
        Emit(bucket_name_, &le, stale ? kStaleNaN : static_cast<double>(cumulative)));
  }
  model::Label inf{"le", "+Inf"};
  return Emit(bucket_name_, &inf, stale ? kStaleNaN : static_cast<double>(count));
}

absl::Status Translator::AddHistogramPoint(std::span<const Attribute> attributes,
                                           const HistogramPoint& point) {
  if (!PreparePoint(attributes, point.time_unix_nano)) return absl::OkStatus();
  const auto& bounds = point.explicit_bounds;
  const auto& counts = point.bucket_counts;
  if (!counts.empty() && counts.size() != bounds.size() + 1) {
    RejectPoint(base::StrCat("histogram data point has ", counts.size(), " bucket_counts for ",
                             bounds.size(), " explicit_bounds (want explicit_bounds + 1)"));
    return absl::OkStatus();
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      RejectPoint("histogram explicit_bounds are not finite and strictly increasing");
      return absl::OkStatus();
    }
  }
  bool stale = (point.flags & kFlagNoRecordedValue) != 0;
  buckets_scratch_.clear();
  if (!counts.empty()) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
      cumulative += counts[i];
      buckets_scratch_.emplace_back(bounds[i], cumulative);
    }
  }
  CS_RETURN_IF_ERROR(EmitBuckets(buckets_scratch_, point.count, stale));
  if (point.has_sum) CS_RETURN_IF_ERROR(Emit(sum_name_, nullptr, stale ? kStaleNaN : point.sum));
  return Emit(count_name_, nullptr, stale ? kStaleNaN : static_cast<double>(point.count));
}

absl::Status Translator::AddExponentialHistogramPoint(std::span<const Attribute> attributes,
                                                      const ExponentialHistogramPoint& point) {
  if (!PreparePoint(attributes, point.time_unix_nano)) return absl::OkStatus();
  if (point.scale < kMinScale || point.scale > kMaxScale) {
    RejectPoint(base::StrCat("exponential histogram scale ", point.scale, " is outside [",
                             kMinScale, ", ", kMaxScale, "]"));
    return absl::OkStatus();
  }
  if (!(point.zero_threshold >= 0) || std::isinf(point.zero_threshold)) {
    RejectPoint("exponential histogram zero_threshold is not a finite non-negative number");
    return absl::OkStatus();
  }
  bool stale = (point.flags & kFlagNoRecordedValue) != 0;
  buckets_scratch_.clear();
  uint64_t cumulative = 0;
  // Appends one populated bucket in ascending order of `bound`. A bound that does not rise above
  // the previous one (the bucket lies inside the zero bucket, or the boundaries collapsed at
  // the ends of double's range) merges into the previous bucket; a bound of +Inf merges into
  // the +Inf bucket that EmitBuckets always writes.
  auto add = [&](double bound, uint64_t bucket_count) {
    if (bucket_count == 0) return;
    cumulative += bucket_count;
    if (std::isinf(bound) && bound > 0) return;
    if (!buckets_scratch_.empty() && !(bound > buckets_scratch_.back().first)) {
      buckets_scratch_.back().second = cumulative;
      return;
    }
    buckets_scratch_.emplace_back(bound, cumulative);
  };
  // Negative bucket i holds values in [-base^(i+1), -base^i): its upper bound is -base^i, and
  // ascending order is descending index.
  for (size_t k = point.negative_counts.size(); k-- > 0;) {
    int64_t index = point.negative_offset + static_cast<int64_t>(k);
    add(-ExponentialBoundary(index, point.scale), point.negative_counts[k]);
  }
  add(point.zero_threshold, point.zero_count);
  // Positive bucket i holds values in (base^i, base^(i+1)].
  for (size_t k = 0; k < point.positive_counts.size(); ++k) {
    int64_t index = point.positive_offset + static_cast<int64_t>(k);
    add(ExponentialBoundary(index + 1, point.scale), point.positive_counts[k]);
  }
  CS_RETURN_IF_ERROR(EmitBuckets(buckets_scratch_, point.count, stale));
  if (point.has_sum) CS_RETURN_IF_ERROR(Emit(sum_name_, nullptr, stale ? kStaleNaN : point.sum));
  return Emit(count_name_, nullptr, stale ? kStaleNaN : static_cast<double>(point.count));
}

absl::Status Translator::AddSummaryPoint(std::span<const Attribute> attributes,
                                         const SummaryPoint& point) {
  if (!PreparePoint(attributes, point.time_unix_nano)) return absl::OkStatus();
  bool stale = (point.flags & kFlagNoRecordedValue) != 0;
  for (const Quantile& quantile : point.quantiles) {
    model::Label label{"quantile", FloatLabel(quantile.quantile)};
    CS_RETURN_IF_ERROR(Emit(family_, &label, stale ? kStaleNaN : quantile.value));
  }
  CS_RETURN_IF_ERROR(Emit(sum_name_, nullptr, stale ? kStaleNaN : point.sum));
  return Emit(count_name_, nullptr, stale ? kStaleNaN : static_cast<double>(point.count));
}

}  // namespace cardinalsin::otlp::internal
