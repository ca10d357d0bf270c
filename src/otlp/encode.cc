// ExportMetricsServiceResponse and the gauge-only ExportMetricsServiceRequest encoder. Field
// numbers from opentelemetry-proto (see decode_proto.cc).
#include <string>
#include <string_view>

#include "base/json_string.h"
#include "base/strings.h"
#include "model/labels.h"
#include "otlp/internal/json_text.h"
#include "otlp/otlp.h"
#include "proto/wire.h"

namespace cardinalsin::otlp {
namespace {

// ExportMetricsServiceResponse.partial_success; ExportMetricsPartialSuccess fields.
constexpr uint32_t kResponsePartialSuccess = 1;
constexpr uint32_t kPartialRejectedDataPoints = 1;
constexpr uint32_t kPartialErrorMessage = 2;

// Request side (metrics.proto, common.proto, resource.proto).
constexpr uint32_t kRequestResourceMetrics = 1;
constexpr uint32_t kResourceMetricsResource = 1;
constexpr uint32_t kResourceMetricsScopeMetrics = 2;
constexpr uint32_t kResourceAttributes = 1;
constexpr uint32_t kScopeMetricsMetrics = 2;
constexpr uint32_t kMetricName = 1;
constexpr uint32_t kMetricGauge = 5;
constexpr uint32_t kGaugeDataPoints = 1;
constexpr uint32_t kNumberTimeUnixNano = 3;
constexpr uint32_t kNumberAsDouble = 4;
constexpr uint32_t kNumberAttributes = 7;
constexpr uint32_t kKeyValueKey = 1;
constexpr uint32_t kKeyValueValue = 2;
constexpr uint32_t kAnyString = 1;

void AddStringAttribute(proto::Writer& writer, uint32_t number, std::string_view key,
                        std::string_view value) {
  size_t key_value = writer.BeginLen(number);
  writer.Bytes(kKeyValueKey, key);
  size_t any = writer.BeginLen(kKeyValueValue);
  writer.Bytes(kAnyString, value);
  writer.EndLen(any);
  writer.EndLen(key_value);
}

}  // namespace

std::string EncodeExportResponse(uint64_t rejected, std::string_view message) {
  std::string out;
  if (rejected == 0) return out;
  std::string partial;
  proto::Writer partial_writer(&partial);
  partial_writer.Varint(kPartialRejectedDataPoints, rejected);
  if (!message.empty()) partial_writer.Bytes(kPartialErrorMessage, message);
  proto::Writer(&out).Bytes(kResponsePartialSuccess, partial);
  return out;
}

std::string EncodeExportResponseJson(uint64_t rejected, std::string_view message) {
  if (rejected == 0) return "{}";
  std::string out = base::StrCat(R"({"partialSuccess":{"rejectedDataPoints":")", rejected, "\"");
  if (!message.empty()) {
    out.append(R"(,"errorMessage":)");
    base::AppendJsonString(&out, message);
  }
  out.append("}}");
  return out;
}

std::string EncodeGaugeRequest(const model::SampleBatch& batch, std::string_view service_name) {
  std::string out;
  proto::Writer writer(&out);
  size_t resource_metrics = writer.BeginLen(kRequestResourceMetrics);
  if (!service_name.empty()) {
    size_t resource = writer.BeginLen(kResourceMetricsResource);
    AddStringAttribute(writer, kResourceAttributes, "service.name", service_name);
    writer.EndLen(resource);
  }
  size_t scope_metrics = writer.BeginLen(kResourceMetricsScopeMetrics);
  for (size_t series = 0; series < batch.num_series(); ++series) {
    std::string_view name;
    for (const model::Label& label : batch.labels(series)) {
      if (label.name == model::kMetricNameLabel) name = label.value;
    }
    size_t metric = writer.BeginLen(kScopeMetricsMetrics);
    writer.Bytes(kMetricName, name);
    size_t gauge = writer.BeginLen(kMetricGauge);
    auto timestamps = batch.timestamps_ns(series);
    auto values = batch.values(series);
    for (size_t i = 0; i < timestamps.size(); ++i) {
      size_t point = writer.BeginLen(kGaugeDataPoints);
      for (const model::Label& label : batch.labels(series)) {
        if (label.name != model::kMetricNameLabel) {
          AddStringAttribute(writer, kNumberAttributes, label.name, label.value);
        }
      }
      writer.Fixed64(kNumberTimeUnixNano, static_cast<uint64_t>(timestamps[i]));
      writer.Double(kNumberAsDouble, values[i]);
      writer.EndLen(point);
    }
    writer.EndLen(gauge);
    writer.EndLen(metric);
  }
  writer.EndLen(scope_metrics);
  writer.EndLen(resource_metrics);
  return out;
}

}  // namespace cardinalsin::otlp
