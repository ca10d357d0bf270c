// ExportMetricsServiceRequest in the protobuf encoding, scanned zero-copy. Field numbers from
// opentelemetry-proto (collector/metrics/v1/metrics_service.proto, metrics/v1/metrics.proto,
// common/v1/common.proto, resource/v1/resource.proto).
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/json_string.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "otlp/internal/json_text.h"
#include "otlp/internal/translator.h"
#include "otlp/naming.h"
#include "otlp/otlp.h"
#include "proto/wire.h"

namespace cardinalsin::otlp {
namespace {

using internal::Attribute;
using internal::DataKind;
using proto::Field;
using proto::WireType;

// ExportMetricsServiceRequest
constexpr uint32_t kRequestResourceMetrics = 1;
// ResourceMetrics
constexpr uint32_t kResourceMetricsResource = 1;
constexpr uint32_t kResourceMetricsScopeMetrics = 2;
// Resource
constexpr uint32_t kResourceAttributes = 1;
// ScopeMetrics
constexpr uint32_t kScopeMetricsMetrics = 2;
// Metric
constexpr uint32_t kMetricName = 1;
constexpr uint32_t kMetricDescription = 2;
constexpr uint32_t kMetricUnit = 3;
constexpr uint32_t kMetricGauge = 5;
constexpr uint32_t kMetricSum = 7;
constexpr uint32_t kMetricHistogram = 9;
constexpr uint32_t kMetricExponentialHistogram = 10;
constexpr uint32_t kMetricSummary = 11;
// Gauge, Sum, Histogram, ExponentialHistogram, Summary
constexpr uint32_t kDataPoints = 1;
constexpr uint32_t kAggregationTemporality = 2;
constexpr uint32_t kSumIsMonotonic = 3;
// Fields every data point has with the same number.
constexpr uint32_t kPointTimeUnixNano = 3;
constexpr uint32_t kPointCount = 4;
constexpr uint32_t kPointSum = 5;
// NumberDataPoint
constexpr uint32_t kNumberAsDouble = 4;
constexpr uint32_t kNumberAsInt = 6;
constexpr uint32_t kNumberAttributes = 7;
constexpr uint32_t kNumberFlags = 8;
// HistogramDataPoint
constexpr uint32_t kHistogramBucketCounts = 6;
constexpr uint32_t kHistogramExplicitBounds = 7;
constexpr uint32_t kHistogramAttributes = 9;
constexpr uint32_t kHistogramFlags = 10;
// ExponentialHistogramDataPoint
constexpr uint32_t kExponentialAttributes = 1;
constexpr uint32_t kExponentialScale = 6;
constexpr uint32_t kExponentialZeroCount = 7;
constexpr uint32_t kExponentialPositive = 8;
constexpr uint32_t kExponentialNegative = 9;
constexpr uint32_t kExponentialFlags = 10;
constexpr uint32_t kExponentialZeroThreshold = 14;
// ExponentialHistogramDataPoint.Buckets
constexpr uint32_t kBucketsOffset = 1;
constexpr uint32_t kBucketsCounts = 2;
// SummaryDataPoint
constexpr uint32_t kSummaryQuantileValues = 6;
constexpr uint32_t kSummaryAttributes = 7;
constexpr uint32_t kSummaryFlags = 8;
// SummaryDataPoint.ValueAtQuantile
constexpr uint32_t kQuantileQuantile = 1;
constexpr uint32_t kQuantileValue = 2;
// KeyValue
constexpr uint32_t kKeyValueKey = 1;
constexpr uint32_t kKeyValueValue = 2;
// AnyValue
constexpr uint32_t kAnyString = 1;
constexpr uint32_t kAnyBool = 2;
constexpr uint32_t kAnyInt = 3;
constexpr uint32_t kAnyDouble = 4;
constexpr uint32_t kAnyArray = 5;
constexpr uint32_t kAnyKvlist = 6;
constexpr uint32_t kAnyBytes = 7;
// ArrayValue, KeyValueList
constexpr uint32_t kListValues = 1;

std::string_view WireTypeName(WireType type) {
  switch (type) {
    case WireType::kVarint:
      return "varint";
    case WireType::kI64:
      return "fixed64";
    case WireType::kLen:
      return "length-delimited";
    case WireType::kI32:
      return "fixed32";
    default:
      return "group";
  }
}

// protobuf truncates a varint to 32 bits before zigzag-decoding a sint32.
int64_t AsSint32(const Field& field) {
  uint32_t n = static_cast<uint32_t>(field.varint);
  return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1));
}

class ProtoDecoder {
 public:
  ProtoDecoder(std::string_view body, model::SampleBatch* out, const DecodeOptions& options)
      : body_(body), out_(out), translator_(out, options) {}

  absl::Status Decode() {
    proto::Reader reader(body_);
    size_t index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, body_));
      if (field.number != kRequestResourceMetrics) continue;
      Frame frame(this, "resource_metrics", index++);
      CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
      CS_RETURN_IF_ERROR(DecodeResourceMetrics(field.bytes));
    }
    return absl::OkStatus();
  }

 private:
  // Names the message being decoded in error messages: resource_metrics[0].scope_metrics[2]...
  class Frame {
   public:
    Frame(ProtoDecoder* decoder, std::string_view name, size_t index) : decoder_(decoder) {
      decoder_->path_.push_back({name, index});
    }
    ~Frame() { decoder_->path_.pop_back(); }
    Frame(const Frame&) = delete;
    Frame& operator=(const Frame&) = delete;

   private:
    ProtoDecoder* decoder_;
  };
  struct PathElement {
    std::string_view name;
    size_t index;  // SIZE_MAX for a singular field
  };
  static constexpr size_t kSingular = SIZE_MAX;

  std::string Path() const {
    std::string path;
    for (const PathElement& element : path_) {
      if (!path.empty()) path.push_back('.');
      base::StrAppend(&path, element.name);
      if (element.index != kSingular) base::StrAppend(&path, "[", element.index, "]");
    }
    return path.empty() ? "request" : path;
  }
  absl::Status Malformed(std::string_view what) const {
    return absl::InvalidArgumentError(base::StrCat("OTLP protobuf: ", Path(), ": ", what));
  }

  // The next field of `message` (a view into the body), with the error naming the path and the
  // byte offset in the whole body.
  absl::StatusOr<Field> Next(proto::Reader& reader, std::string_view message) const {
    size_t at = static_cast<size_t>(message.data() - body_.data()) + reader.offset();
    absl::StatusOr<Field> field = reader.Next();
    if (!field.ok()) {
      return Malformed(base::StrCat(
          "malformed field at byte ", at, " (",
          std::string_view(field.status().message().data(), field.status().message().size()),
          " of the enclosing message)"));
    }
    return field;
  }
  absl::Status Expect(const Field& field, WireType type) const {
    if (field.type == type) return absl::OkStatus();
    return Malformed(base::StrCat("field ", field.number, " has wire type ",
                                  WireTypeName(field.type), ", want ", WireTypeName(type)));
  }

  absl::Status DecodeResourceMetrics(std::string_view message) {
    // The resource may follow its scope metrics on the wire, so find it first.
    std::string_view resource;
    {
      proto::Reader reader(message);
      while (!reader.done()) {
        CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
        if (field.number == kResourceMetricsResource) {
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          resource = field.bytes;
        }
      }
    }
    {
      Frame frame(this, "resource", kSingular);
      resource_attributes_.clear();
      proto::Reader reader(resource);
      size_t index = 0;
      while (!reader.done()) {
        CS_ASSIGN_OR_RETURN(Field field, Next(reader, resource));
        if (field.number != kResourceAttributes) continue;
        Frame attribute_frame(this, "attributes", index++);
        CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
        CS_RETURN_IF_ERROR(DecodeKeyValue(field.bytes, &resource_attributes_));
      }
      translator_.SetResource(resource_attributes_);
    }
    proto::Reader reader(message);
    size_t index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      if (field.number != kResourceMetricsScopeMetrics) continue;
      Frame frame(this, "scope_metrics", index++);
      CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
      CS_RETURN_IF_ERROR(DecodeScopeMetrics(field.bytes));
    }
    return absl::OkStatus();
  }

  absl::Status DecodeScopeMetrics(std::string_view message) {
    proto::Reader reader(message);
    size_t index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      if (field.number != kScopeMetricsMetrics) continue;
      Frame frame(this, "metrics", index++);
      CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
      CS_RETURN_IF_ERROR(DecodeMetric(field.bytes));
    }
    return absl::OkStatus();
  }

  absl::Status DecodeMetric(std::string_view message) {
    internal::MetricDescriptor metric;
    std::string_view data;
    proto::Reader reader(message);
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      DataKind kind = DataKind::kNone;
      switch (field.number) {
        case kMetricName:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          metric.name = field.bytes;
          continue;
        case kMetricDescription:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          metric.description = field.bytes;
          continue;
        case kMetricUnit:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          metric.unit = field.bytes;
          continue;
        case kMetricGauge:
          kind = DataKind::kGauge;
          break;
        case kMetricSum:
          kind = DataKind::kSum;
          break;
        case kMetricHistogram:
          kind = DataKind::kHistogram;
          break;
        case kMetricExponentialHistogram:
          kind = DataKind::kExponentialHistogram;
          break;
        case kMetricSummary:
          kind = DataKind::kSummary;
          break;
        default:
          continue;
      }
      // A oneof: the last member on the wire wins.
      CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
      metric.kind = kind;
      data = field.bytes;
    }
    if (metric.kind == DataKind::kNone) return absl::OkStatus();

    // Temporality and monotonicity may follow the data points on the wire.
    std::string_view data_name = KindName(metric.kind);
    Frame data_frame(this, data_name, kSingular);
    if (metric.kind != DataKind::kGauge && metric.kind != DataKind::kSummary) {
      proto::Reader scan(data);
      while (!scan.done()) {
        CS_ASSIGN_OR_RETURN(Field field, Next(scan, data));
        if (field.number == kAggregationTemporality) {
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          metric.temporality = static_cast<int32_t>(field.varint);
        } else if (field.number == kSumIsMonotonic && metric.kind == DataKind::kSum) {
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          metric.monotonic = field.AsBool();
        }
      }
    }
    translator_.BeginMetric(metric);
    proto::Reader points(data);
    size_t index = 0;
    absl::Status status;
    while (!points.done() && status.ok()) {
      absl::StatusOr<Field> field = Next(points, data);
      if (!field.ok()) {
        status = field.status();
        break;
      }
      if (field->number != kDataPoints) continue;
      Frame frame(this, "data_points", index++);
      status = Expect(*field, WireType::kLen);
      if (!status.ok()) break;
      switch (metric.kind) {
        case DataKind::kGauge:
        case DataKind::kSum:
          status = DecodeNumberPoint(field->bytes);
          break;
        case DataKind::kHistogram:
          status = DecodeHistogramPoint(field->bytes);
          break;
        case DataKind::kExponentialHistogram:
          status = DecodeExponentialHistogramPoint(field->bytes);
          break;
        case DataKind::kSummary:
          status = DecodeSummaryPoint(field->bytes);
          break;
        case DataKind::kNone:
          break;
      }
    }
    translator_.EndMetric();
    return status;
  }

  static std::string_view KindName(DataKind kind) {
    switch (kind) {
      case DataKind::kGauge:
        return "gauge";
      case DataKind::kSum:
        return "sum";
      case DataKind::kHistogram:
        return "histogram";
      case DataKind::kExponentialHistogram:
        return "exponential_histogram";
      case DataKind::kSummary:
        return "summary";
      case DataKind::kNone:
        break;
    }
    return "data";
  }

  absl::Status DecodeNumberPoint(std::string_view message) {
    internal::NumberPoint point;
    // A point without a value reads as NaN (the OTLP default would be 0, which would be a lie).
    point.value = std::numeric_limits<double>::quiet_NaN();
    point_attributes_.clear();
    proto::Reader reader(message);
    size_t attribute_index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      switch (field.number) {
        case kPointTimeUnixNano:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.time_unix_nano = field.varint;
          break;
        case kNumberAsDouble:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.value = field.AsDouble();
          break;
        case kNumberAsInt:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.value = static_cast<double>(field.AsInt64());
          break;
        case kNumberAttributes: {
          Frame frame(this, "attributes", attribute_index++);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          CS_RETURN_IF_ERROR(DecodeKeyValue(field.bytes, &point_attributes_));
          break;
        }
        case kNumberFlags:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          point.flags = field.varint;
          break;
        default:
          break;
      }
    }
    return translator_.AddNumberPoint(point_attributes_, point);
  }

  absl::Status DecodeHistogramPoint(std::string_view message) {
    internal::HistogramPoint point;
    point_attributes_.clear();
    counts_.clear();
    bounds_.clear();
    proto::Reader reader(message);
    size_t attribute_index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      switch (field.number) {
        case kPointTimeUnixNano:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.time_unix_nano = field.varint;
          break;
        case kPointCount:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.count = field.varint;
          break;
        case kPointSum:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.has_sum = true;
          point.sum = field.AsDouble();
          break;
        case kHistogramBucketCounts:
          CS_RETURN_IF_ERROR(AppendFixed64(field, "bucket_counts", &counts_));
          break;
        case kHistogramExplicitBounds:
          CS_RETURN_IF_ERROR(AppendFixed64(field, "explicit_bounds", &bound_bits_));
          break;
        case kHistogramAttributes: {
          Frame frame(this, "attributes", attribute_index++);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          CS_RETURN_IF_ERROR(DecodeKeyValue(field.bytes, &point_attributes_));
          break;
        }
        case kHistogramFlags:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          point.flags = field.varint;
          break;
        default:
          break;
      }
    }
    bounds_.reserve(bound_bits_.size());
    for (uint64_t bits : bound_bits_) bounds_.push_back(std::bit_cast<double>(bits));
    bound_bits_.clear();
    point.bucket_counts = counts_;
    point.explicit_bounds = bounds_;
    return translator_.AddHistogramPoint(point_attributes_, point);
  }

  // A repeated fixed64/double field, packed (one LEN field) or not (one I64 field per value).
  absl::Status AppendFixed64(const Field& field, std::string_view name,
                             std::vector<uint64_t>* values) const {
    if (field.type == WireType::kI64) {
      values->push_back(field.varint);
      return absl::OkStatus();
    }
    CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
    if (field.bytes.size() % 8 != 0) {
      return Malformed(
          base::StrCat("packed ", name, " is ", field.bytes.size(), " bytes, not a multiple of 8"));
    }
    proto::PackedReader packed(field.bytes);
    values->reserve(values->size() + field.bytes.size() / 8);
    while (!packed.done()) {
      CS_ASSIGN_OR_RETURN(uint64_t bits, packed.NextFixed64());
      values->push_back(bits);
    }
    return absl::OkStatus();
  }

  // A repeated uint64 field, packed or not.
  absl::Status AppendVarints(const Field& field, std::string_view name,
                             std::vector<uint64_t>* values) const {
    if (field.type == WireType::kVarint) {
      values->push_back(field.varint);
      return absl::OkStatus();
    }
    CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
    proto::PackedReader packed(field.bytes);
    while (!packed.done()) {
      absl::StatusOr<uint64_t> value = packed.NextVarint();
      if (!value.ok()) return Malformed(base::StrCat("truncated varint in packed ", name));
      values->push_back(*value);
    }
    return absl::OkStatus();
  }

  absl::Status DecodeBuckets(std::string_view message, int64_t* offset,
                             std::vector<uint64_t>* counts) {
    proto::Reader reader(message);
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      if (field.number == kBucketsOffset) {
        CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
        *offset = AsSint32(field);
      } else if (field.number == kBucketsCounts) {
        CS_RETURN_IF_ERROR(AppendVarints(field, "bucket_counts", counts));
      }
    }
    return absl::OkStatus();
  }

  absl::Status DecodeExponentialHistogramPoint(std::string_view message) {
    internal::ExponentialHistogramPoint point;
    point_attributes_.clear();
    counts_.clear();
    negative_counts_.clear();
    proto::Reader reader(message);
    size_t attribute_index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      switch (field.number) {
        case kPointTimeUnixNano:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.time_unix_nano = field.varint;
          break;
        case kPointCount:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.count = field.varint;
          break;
        case kPointSum:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.has_sum = true;
          point.sum = field.AsDouble();
          break;
        case kExponentialScale:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          point.scale = AsSint32(field);
          break;
        case kExponentialZeroCount:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.zero_count = field.varint;
          break;
        case kExponentialZeroThreshold:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.zero_threshold = field.AsDouble();
          break;
        case kExponentialPositive: {
          // A repeated occurrence of a singular message merges into the first.
          Frame frame(this, "positive", kSingular);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          CS_RETURN_IF_ERROR(DecodeBuckets(field.bytes, &point.positive_offset, &counts_));
          break;
        }
        case kExponentialNegative: {
          Frame frame(this, "negative", kSingular);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          CS_RETURN_IF_ERROR(DecodeBuckets(field.bytes, &point.negative_offset, &negative_counts_));
          break;
        }
        case kExponentialAttributes: {
          Frame frame(this, "attributes", attribute_index++);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          CS_RETURN_IF_ERROR(DecodeKeyValue(field.bytes, &point_attributes_));
          break;
        }
        case kExponentialFlags:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          point.flags = field.varint;
          break;
        default:
          break;
      }
    }
    point.positive_counts = counts_;
    point.negative_counts = negative_counts_;
    return translator_.AddExponentialHistogramPoint(point_attributes_, point);
  }

  absl::Status DecodeSummaryPoint(std::string_view message) {
    internal::SummaryPoint point;
    point_attributes_.clear();
    quantiles_.clear();
    proto::Reader reader(message);
    size_t attribute_index = 0;
    size_t quantile_index = 0;
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      switch (field.number) {
        case kPointTimeUnixNano:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.time_unix_nano = field.varint;
          break;
        case kPointCount:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.count = field.varint;
          break;
        case kPointSum:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kI64));
          point.sum = field.AsDouble();
          break;
        case kSummaryQuantileValues: {
          Frame frame(this, "quantile_values", quantile_index++);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          internal::Quantile quantile;
          proto::Reader inner(field.bytes);
          while (!inner.done()) {
            CS_ASSIGN_OR_RETURN(Field value, Next(inner, field.bytes));
            if (value.number == kQuantileQuantile) {
              CS_RETURN_IF_ERROR(Expect(value, WireType::kI64));
              quantile.quantile = value.AsDouble();
            } else if (value.number == kQuantileValue) {
              CS_RETURN_IF_ERROR(Expect(value, WireType::kI64));
              quantile.value = value.AsDouble();
            }
          }
          quantiles_.push_back(quantile);
          break;
        }
        case kSummaryAttributes: {
          Frame frame(this, "attributes", attribute_index++);
          CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
          CS_RETURN_IF_ERROR(DecodeKeyValue(field.bytes, &point_attributes_));
          break;
        }
        case kSummaryFlags:
          CS_RETURN_IF_ERROR(Expect(field, WireType::kVarint));
          point.flags = field.varint;
          break;
        default:
          break;
      }
    }
    point.quantiles = quantiles_;
    return translator_.AddSummaryPoint(point_attributes_, point);
  }

  absl::Status DecodeKeyValue(std::string_view message, std::vector<Attribute>* attributes) {
    Attribute attribute;
    std::string_view value;
    proto::Reader reader(message);
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      if (field.number == kKeyValueKey) {
        CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
        attribute.key = field.bytes;
      } else if (field.number == kKeyValueValue) {
        CS_RETURN_IF_ERROR(Expect(field, WireType::kLen));
        value = field.bytes;
      }
    }
    CS_RETURN_IF_ERROR(ValueText(value, &attribute.value));
    attributes->push_back(attribute);
    return absl::OkStatus();
  }

  // The label text of an AnyValue (docs/format/otlp-translation.md, "Attribute values").
  absl::Status ValueText(std::string_view message, std::string_view* text) {
    Field last;
    bool has_value = false;
    proto::Reader reader(message);
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      if (field.number >= kAnyString && field.number <= kAnyBytes) {
        last = field;  // a oneof: the last member wins
        has_value = true;
      }
    }
    if (!has_value) {
      *text = {};
      return absl::OkStatus();
    }
    switch (last.number) {
      case kAnyString:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kLen));
        *text = last.bytes;
        return absl::OkStatus();
      case kAnyBool:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kVarint));
        *text = last.AsBool() ? "true" : "false";
        return absl::OkStatus();
      case kAnyInt:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kVarint));
        *text = out_->Own(std::to_string(last.AsInt64()));
        return absl::OkStatus();
      case kAnyDouble:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kI64));
        *text = out_->Own(FormatFloat(last.AsDouble()));
        return absl::OkStatus();
      case kAnyBytes:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kLen));
        *text = out_->Own(absl::Base64Escape(base::AsAbsl(last.bytes)));
        return absl::OkStatus();
      default: {
        std::string json;
        CS_RETURN_IF_ERROR(AppendValueJson(message, 0, &json));
        *text = out_->Own(std::move(json));
        return absl::OkStatus();
      }
    }
  }

  // An AnyValue as compact JSON, for array and kvlist values and their elements.
  absl::Status AppendValueJson(std::string_view message, int depth, std::string* json) {
    if (depth > internal::kMaxValueDepth) {
      return Malformed(
          base::StrCat("attribute value nested deeper than ", internal::kMaxValueDepth, " levels"));
    }
    Field last;
    bool has_value = false;
    proto::Reader reader(message);
    while (!reader.done()) {
      CS_ASSIGN_OR_RETURN(Field field, Next(reader, message));
      if (field.number >= kAnyString && field.number <= kAnyBytes) {
        last = field;
        has_value = true;
      }
    }
    if (!has_value) {
      json->append("null");
      return absl::OkStatus();
    }
    switch (last.number) {
      case kAnyString:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kLen));
        base::AppendJsonString(json, last.bytes);
        return absl::OkStatus();
      case kAnyBool:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kVarint));
        json->append(last.AsBool() ? "true" : "false");
        return absl::OkStatus();
      case kAnyInt:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kVarint));
        json->append(std::to_string(last.AsInt64()));
        return absl::OkStatus();
      case kAnyDouble:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kI64));
        internal::AppendJsonDouble(json, last.AsDouble());
        return absl::OkStatus();
      case kAnyBytes:
        CS_RETURN_IF_ERROR(Expect(last, WireType::kLen));
        base::AppendJsonString(json, absl::Base64Escape(base::AsAbsl(last.bytes)));
        return absl::OkStatus();
      case kAnyArray: {
        CS_RETURN_IF_ERROR(Expect(last, WireType::kLen));
        json->push_back('[');
        bool first = true;
        proto::Reader elements(last.bytes);
        while (!elements.done()) {
          CS_ASSIGN_OR_RETURN(Field element, Next(elements, last.bytes));
          if (element.number != kListValues) continue;
          CS_RETURN_IF_ERROR(Expect(element, WireType::kLen));
          if (!first) json->push_back(',');
          first = false;
          CS_RETURN_IF_ERROR(AppendValueJson(element.bytes, depth + 1, json));
        }
        json->push_back(']');
        return absl::OkStatus();
      }
      case kAnyKvlist: {
        CS_RETURN_IF_ERROR(Expect(last, WireType::kLen));
        json->push_back('{');
        bool first = true;
        proto::Reader entries(last.bytes);
        while (!entries.done()) {
          CS_ASSIGN_OR_RETURN(Field entry, Next(entries, last.bytes));
          if (entry.number != kListValues) continue;
          CS_RETURN_IF_ERROR(Expect(entry, WireType::kLen));
          std::string_view key, value;
          proto::Reader kv(entry.bytes);
          while (!kv.done()) {
            CS_ASSIGN_OR_RETURN(Field part, Next(kv, entry.bytes));
            if (part.number == kKeyValueKey) {
              CS_RETURN_IF_ERROR(Expect(part, WireType::kLen));
              key = part.bytes;
            } else if (part.number == kKeyValueValue) {
              CS_RETURN_IF_ERROR(Expect(part, WireType::kLen));
              value = part.bytes;
            }
          }
          if (!first) json->push_back(',');
          first = false;
          base::AppendJsonString(json, key);
          json->push_back(':');
          CS_RETURN_IF_ERROR(AppendValueJson(value, depth + 1, json));
        }
        json->push_back('}');
        return absl::OkStatus();
      }
      default:
        return absl::OkStatus();
    }
  }

  std::string_view body_;
  model::SampleBatch* out_;
  internal::Translator translator_;
  std::vector<PathElement> path_;
  std::vector<Attribute> resource_attributes_;
  std::vector<Attribute> point_attributes_;
  std::vector<uint64_t> counts_;
  std::vector<uint64_t> negative_counts_;
  std::vector<uint64_t> bound_bits_;
  std::vector<double> bounds_;
  std::vector<internal::Quantile> quantiles_;
};

}  // namespace

absl::Status DecodeExportRequest(std::string_view protobuf, model::SampleBatch* out,
                                 const DecodeOptions& options) {
  ProtoDecoder decoder(protobuf, out, options);
  return decoder.Decode();
}

}  // namespace cardinalsin::otlp
