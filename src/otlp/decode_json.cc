// ExportMetricsServiceRequest in the OTLP/JSON encoding: the protobuf JSON mapping (field names
// in lowerCamelCase, the original snake_case names accepted too; 64-bit integers as strings or
// numbers; enums as numbers or names; unknown fields ignored), parsed with nlohmann_json into a
// DOM and walked like the protobuf (decode_proto.cc).
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "base/json_string.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"
#include "otlp/internal/json_text.h"
#include "otlp/internal/translator.h"
#include "otlp/naming.h"
#include "otlp/otlp.h"

namespace cardinalsin::otlp {
namespace {

using internal::Attribute;
using internal::DataKind;
using Json = nlohmann::json;

// Deeper documents are rejected while parsing (nlohmann's DOM would otherwise hold any depth).
// The request itself needs about 13 levels, each array/kvlist attribute level 3 more.
constexpr int kMaxJsonDepth = 16 + 3 * (internal::kMaxValueDepth + 1);

struct TooDeep {};

std::string_view TypeName(const Json& value) { return value.type_name(); }

// A value for an error message: its JSON, cut short.
std::string Snippet(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 64) text = text.substr(0, 64) + "...";
  return text;
}

class JsonDecoder {
 public:
  JsonDecoder(model::SampleBatch* out, const DecodeOptions& options)
      : out_(out), translator_(out, options) {}

  absl::Status Decode(Json& request) {
    if (!request.is_object())
      return Malformed(base::StrCat("want an object, got ", TypeName(request)));
    Json* resource_metrics = Member(request, "resourceMetrics", "resource_metrics");
    if (resource_metrics == nullptr) return absl::OkStatus();
    return ForEach(*resource_metrics, "resourceMetrics",
                   [this](Json& item) { return DecodeResourceMetrics(item); });
  }

 private:
  class Frame {
   public:
    Frame(JsonDecoder* decoder, std::string_view name, size_t index) : decoder_(decoder) {
      decoder_->path_.push_back({name, index});
    }
    ~Frame() { decoder_->path_.pop_back(); }
    Frame(const Frame&) = delete;
    Frame& operator=(const Frame&) = delete;

   private:
    JsonDecoder* decoder_;
  };
  struct PathElement {
    std::string_view name;
    size_t index;
  };
  static constexpr size_t kSingular = SIZE_MAX;

  absl::Status Malformed(std::string_view what) const {
    std::string path;
    for (const PathElement& element : path_) {
      if (!path.empty()) path.push_back('.');
      base::StrAppend(&path, element.name);
      if (element.index != kSingular) base::StrAppend(&path, "[", element.index, "]");
    }
    return absl::InvalidArgumentError(
        base::StrCat("OTLP/JSON: ", path.empty() ? "request" : path, ": ", what));
  }

  // The member named `camel` or `snake` (protobuf JSON parsers accept both); null reads as
  // absent. A message given as a non-object is malformed.
  static Json* Member(Json& object, std::string_view camel, std::string_view snake) {
    auto it = object.find(std::string(camel));
    if (it == object.end() && snake != camel) it = object.find(std::string(snake));
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  template <typename Fn>
  absl::Status ForEach(Json& array, std::string_view name, Fn fn) {
    if (!array.is_array()) {
      Frame frame(this, name, kSingular);
      return Malformed(base::StrCat("want an array, got ", TypeName(array)));
    }
    for (size_t i = 0; i < array.size(); ++i) {
      Frame frame(this, name, i);
      if (!array[i].is_object())
        return Malformed(base::StrCat("want an object, got ", TypeName(array[i])));
      CS_RETURN_IF_ERROR(fn(array[i]));
    }
    return absl::OkStatus();
  }

  absl::Status String(Json& object, std::string_view camel, std::string_view snake,
                      std::string_view* out) {
    Json* value = Member(object, camel, snake);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_string()) {
      return Malformed(base::StrCat("\"", camel, "\" must be a string, got ", TypeName(*value)));
    }
    *out = out_->Own(std::move(value->get_ref<std::string&>()));
    return absl::OkStatus();
  }

  // A 64-bit integer: a JSON number without fraction, or a string of decimal digits.
  template <typename Int>
  absl::Status Integer(const Json& value, std::string_view name, Int* out) {
    if (value.is_number_unsigned()) {
      uint64_t v = value.get<uint64_t>();
      if (v <= static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
        *out = static_cast<Int>(v);
        return absl::OkStatus();
      }
    } else if (value.is_number_integer()) {
      int64_t v = value.get<int64_t>();
      if (v >= static_cast<int64_t>(std::numeric_limits<Int>::min()) &&
          (v < 0 ||
           static_cast<uint64_t>(v) <= static_cast<uint64_t>(std::numeric_limits<Int>::max()))) {
        *out = static_cast<Int>(v);
        return absl::OkStatus();
      }
    } else if (value.is_number_float()) {
      double v = value.get<double>();
      // 2^63 and 2^64 are exact doubles; anything below them converts without overflow.
      double limit = std::ldexp(1.0, std::numeric_limits<Int>::digits);
      if (std::trunc(v) == v && v < limit &&
          v >= static_cast<double>(std::numeric_limits<Int>::min())) {
        *out = static_cast<Int>(v);
        return absl::OkStatus();
      }
    } else if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      Int v;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (error == std::errc() && end == text.data() + text.size()) {
        *out = v;
        return absl::OkStatus();
      }
    }
    return Malformed(base::StrCat(
        "\"", name, "\" must be a ", std::numeric_limits<Int>::is_signed ? "" : "non-negative ",
        std::numeric_limits<Int>::digits > 32 ? "64" : "32",
        "-bit integer (a number or a decimal string), got ", Snippet(value)));
  }
  template <typename Int>
  absl::Status Integer(Json& object, std::string_view camel, std::string_view snake, Int* out) {
    Json* value = Member(object, camel, snake);
    if (value == nullptr) return absl::OkStatus();
    return Integer(*value, camel, out);
  }

  // A double: a JSON number, or "NaN", "Infinity", "-Infinity" or a numeric string.
  absl::Status Double(const Json& value, std::string_view name, double* out) {
    if (value.is_number()) {
      *out = value.get<double>();
      return absl::OkStatus();
    }
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (text == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
        return absl::OkStatus();
      }
      if (text == "Infinity" || text == "-Infinity") {
        *out = text[0] == '-' ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity();
        return absl::OkStatus();
      }
      double v;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (error == std::errc() && end == text.data() + text.size() && std::isfinite(v)) {
        *out = v;
        return absl::OkStatus();
      }
    }
    return Malformed(base::StrCat(
        "\"", name, "\" must be a number, \"NaN\", \"Infinity\" or \"-Infinity\", got ",
        Snippet(value)));
  }
  // Returns whether the member was present.
  absl::StatusOr<bool> Double(Json& object, std::string_view camel, std::string_view snake,
                              double* out) {
    Json* value = Member(object, camel, snake);
    if (value == nullptr) return false;
    CS_RETURN_IF_ERROR(Double(*value, camel, out));
    return true;
  }

  absl::Status Bool(Json& object, std::string_view camel, std::string_view snake, bool* out) {
    Json* value = Member(object, camel, snake);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_boolean())
      return Malformed(base::StrCat("\"", camel, "\" must be true or false"));
    *out = value->get<bool>();
    return absl::OkStatus();
  }

  absl::Status Temporality(Json& object, int64_t* out) {
    Json* value = Member(object, "aggregationTemporality", "aggregation_temporality");
    if (value == nullptr) return absl::OkStatus();
    if (value->is_string()) {
      const std::string& name = value->get_ref<const std::string&>();
      if (name == "AGGREGATION_TEMPORALITY_UNSPECIFIED") {
        *out = internal::kTemporalityUnspecified;
      } else if (name == "AGGREGATION_TEMPORALITY_DELTA") {
        *out = internal::kTemporalityDelta;
      } else if (name == "AGGREGATION_TEMPORALITY_CUMULATIVE") {
        *out = internal::kTemporalityCumulative;
      } else {
        return Malformed(base::StrCat("unknown aggregationTemporality ", Snippet(*value)));
      }
      return absl::OkStatus();
    }
    int32_t number = 0;
    CS_RETURN_IF_ERROR(Integer(*value, "aggregationTemporality", &number));
    *out = number;
    return absl::OkStatus();
  }

  absl::Status DecodeResourceMetrics(Json& resource_metrics) {
    resource_attributes_.clear();
    if (Json* resource = Member(resource_metrics, "resource", "resource")) {
      Frame frame(this, "resource", kSingular);
      if (!resource->is_object())
        return Malformed(base::StrCat("want an object, got ", TypeName(*resource)));
      CS_RETURN_IF_ERROR(Attributes(*resource, "attributes", &resource_attributes_));
    }
    translator_.SetResource(resource_attributes_);
    Json* scope_metrics = Member(resource_metrics, "scopeMetrics", "scope_metrics");
    if (scope_metrics == nullptr) return absl::OkStatus();
    return ForEach(*scope_metrics, "scopeMetrics", [this](Json& scope) {
      Json* metrics = Member(scope, "metrics", "metrics");
      if (metrics == nullptr) return absl::OkStatus();
      return ForEach(*metrics, "metrics", [this](Json& metric) { return DecodeMetric(metric); });
    });
  }

  absl::Status DecodeMetric(Json& object) {
    internal::MetricDescriptor metric;
    CS_RETURN_IF_ERROR(String(object, "name", "name", &metric.name));
    CS_RETURN_IF_ERROR(String(object, "description", "description", &metric.description));
    CS_RETURN_IF_ERROR(String(object, "unit", "unit", &metric.unit));
    struct Kind {
      std::string_view camel;
      std::string_view snake;
      DataKind kind;
    };
    static constexpr Kind kKinds[] = {
        {"gauge", "gauge", DataKind::kGauge},
        {"sum", "sum", DataKind::kSum},
        {"histogram", "histogram", DataKind::kHistogram},
        {"exponentialHistogram", "exponential_histogram", DataKind::kExponentialHistogram},
        {"summary", "summary", DataKind::kSummary},
    };
    Json* data = nullptr;
    std::string_view data_name;
    for (const Kind& kind : kKinds) {
      if (Json* member = Member(object, kind.camel, kind.snake)) {
        if (data != nullptr)
          return Malformed("more than one of gauge, sum, histogram, exponentialHistogram, summary");
        data = member;
        data_name = kind.camel;
        metric.kind = kind.kind;
      }
    }
    if (data == nullptr) return absl::OkStatus();
    Frame frame(this, data_name, kSingular);
    if (!data->is_object()) return Malformed(base::StrCat("want an object, got ", TypeName(*data)));
    if (metric.kind == DataKind::kSum || metric.kind == DataKind::kHistogram ||
        metric.kind == DataKind::kExponentialHistogram) {
      CS_RETURN_IF_ERROR(Temporality(*data, &metric.temporality));
    }
    if (metric.kind == DataKind::kSum)
      CS_RETURN_IF_ERROR(Bool(*data, "isMonotonic", "is_monotonic", &metric.monotonic));

    translator_.BeginMetric(metric);
    absl::Status status;
    if (Json* points = Member(*data, "dataPoints", "data_points")) {
      status = ForEach(*points, "dataPoints", [this, &metric](Json& point) {
        switch (metric.kind) {
          case DataKind::kGauge:
          case DataKind::kSum:
            return DecodeNumberPoint(point);
          case DataKind::kHistogram:
            return DecodeHistogramPoint(point);
          case DataKind::kExponentialHistogram:
            return DecodeExponentialHistogramPoint(point);
          case DataKind::kSummary:
            return DecodeSummaryPoint(point);
          case DataKind::kNone:
            break;
        }
        return absl::OkStatus();
      });
    }
    translator_.EndMetric();
    return status;
  }

  // Fields every data point has.
  absl::Status Common(Json& point, uint64_t* time_unix_nano, uint64_t* flags) {
    CS_RETURN_IF_ERROR(Integer(point, "timeUnixNano", "time_unix_nano", time_unix_nano));
    uint32_t flag_bits = 0;
    CS_RETURN_IF_ERROR(Integer(point, "flags", "flags", &flag_bits));
    *flags = flag_bits;
    return Attributes(point, "attributes", &point_attributes_);
  }

  absl::Status DecodeNumberPoint(Json& object) {
    internal::NumberPoint point;
    point.value = std::numeric_limits<double>::quiet_NaN();
    CS_RETURN_IF_ERROR(Common(object, &point.time_unix_nano, &point.flags));
    CS_RETURN_IF_ERROR(Double(object, "asDouble", "as_double", &point.value).status());
    if (Json* as_int = Member(object, "asInt", "as_int")) {
      int64_t value = 0;
      CS_RETURN_IF_ERROR(Integer(*as_int, "asInt", &value));
      point.value = static_cast<double>(value);
    }
    return translator_.AddNumberPoint(point_attributes_, point);
  }

  absl::Status Uint64Array(Json& object, std::string_view camel, std::string_view snake,
                           std::vector<uint64_t>* values) {
    values->clear();
    Json* array = Member(object, camel, snake);
    if (array == nullptr) return absl::OkStatus();
    if (!array->is_array()) return Malformed(base::StrCat("\"", camel, "\" must be an array"));
    values->reserve(array->size());
    for (const Json& element : *array) {
      uint64_t value = 0;
      CS_RETURN_IF_ERROR(Integer(element, camel, &value));
      values->push_back(value);
    }
    return absl::OkStatus();
  }

  absl::Status DecodeHistogramPoint(Json& object) {
    internal::HistogramPoint point;
    CS_RETURN_IF_ERROR(Common(object, &point.time_unix_nano, &point.flags));
    CS_RETURN_IF_ERROR(Integer(object, "count", "count", &point.count));
    CS_ASSIGN_OR_RETURN(point.has_sum, Double(object, "sum", "sum", &point.sum));
    CS_RETURN_IF_ERROR(Uint64Array(object, "bucketCounts", "bucket_counts", &counts_));
    bounds_.clear();
    if (Json* bounds = Member(object, "explicitBounds", "explicit_bounds")) {
      if (!bounds->is_array()) return Malformed("\"explicitBounds\" must be an array");
      bounds_.reserve(bounds->size());
      for (const Json& element : *bounds) {
        double value = 0;
        CS_RETURN_IF_ERROR(Double(element, "explicitBounds", &value));
        bounds_.push_back(value);
      }
    }
    point.bucket_counts = counts_;
    point.explicit_bounds = bounds_;
    return translator_.AddHistogramPoint(point_attributes_, point);
  }

  absl::Status Buckets(Json& object, std::string_view name, int64_t* offset,
                       std::vector<uint64_t>* counts) {
    counts->clear();
    Json* buckets = Member(object, name, name);
    if (buckets == nullptr) return absl::OkStatus();
    Frame frame(this, name, kSingular);
    if (!buckets->is_object())
      return Malformed(base::StrCat("want an object, got ", TypeName(*buckets)));
    int32_t bucket_offset = 0;
    CS_RETURN_IF_ERROR(Integer(*buckets, "offset", "offset", &bucket_offset));
    *offset = bucket_offset;
    return Uint64Array(*buckets, "bucketCounts", "bucket_counts", counts);
  }

  absl::Status DecodeExponentialHistogramPoint(Json& object) {
    internal::ExponentialHistogramPoint point;
    CS_RETURN_IF_ERROR(Common(object, &point.time_unix_nano, &point.flags));
    CS_RETURN_IF_ERROR(Integer(object, "count", "count", &point.count));
    CS_ASSIGN_OR_RETURN(point.has_sum, Double(object, "sum", "sum", &point.sum));
    int32_t scale = 0;
    CS_RETURN_IF_ERROR(Integer(object, "scale", "scale", &scale));
    point.scale = scale;
    CS_RETURN_IF_ERROR(Integer(object, "zeroCount", "zero_count", &point.zero_count));
    CS_RETURN_IF_ERROR(
        Double(object, "zeroThreshold", "zero_threshold", &point.zero_threshold).status());
    CS_RETURN_IF_ERROR(Buckets(object, "positive", &point.positive_offset, &counts_));
    CS_RETURN_IF_ERROR(Buckets(object, "negative", &point.negative_offset, &negative_counts_));
    point.positive_counts = counts_;
    point.negative_counts = negative_counts_;
    return translator_.AddExponentialHistogramPoint(point_attributes_, point);
  }

  absl::Status DecodeSummaryPoint(Json& object) {
    internal::SummaryPoint point;
    CS_RETURN_IF_ERROR(Common(object, &point.time_unix_nano, &point.flags));
    CS_RETURN_IF_ERROR(Integer(object, "count", "count", &point.count));
    CS_RETURN_IF_ERROR(Double(object, "sum", "sum", &point.sum).status());
    quantiles_.clear();
    if (Json* values = Member(object, "quantileValues", "quantile_values")) {
      CS_RETURN_IF_ERROR(ForEach(*values, "quantileValues", [this](Json& value) {
        internal::Quantile quantile;
        CS_RETURN_IF_ERROR(Double(value, "quantile", "quantile", &quantile.quantile).status());
        CS_RETURN_IF_ERROR(Double(value, "value", "value", &quantile.value).status());
        quantiles_.push_back(quantile);
        return absl::OkStatus();
      }));
    }
    point.quantiles = quantiles_;
    return translator_.AddSummaryPoint(point_attributes_, point);
  }

  absl::Status Attributes(Json& object, std::string_view name, std::vector<Attribute>* attributes) {
    attributes->clear();
    Json* list = Member(object, name, name);
    if (list == nullptr) return absl::OkStatus();
    return ForEach(*list, name, [this, attributes](Json& key_value) {
      Attribute attribute;
      CS_RETURN_IF_ERROR(String(key_value, "key", "key", &attribute.key));
      std::string text;
      bool is_string = false;
      if (Json* value = Member(key_value, "value", "value")) {
        Frame frame(this, "value", kSingular);
        CS_RETURN_IF_ERROR(ValueText(*value, 0, &text, &is_string));
      }
      attribute.value = text.empty() ? std::string_view() : out_->Own(std::move(text));
      attributes->push_back(attribute);
      return absl::OkStatus();
    });
  }

  // Renders an AnyValue: as label text at depth 0 (strings bare), as compact JSON below
  // (docs/format/otlp-translation.md, "Attribute values").
  absl::Status ValueText(Json& value, int depth, std::string* out, bool* is_string) {
    if (depth > internal::kMaxValueDepth) {
      return Malformed(
          base::StrCat("attribute value nested deeper than ", internal::kMaxValueDepth, " levels"));
    }
    if (!value.is_object())
      return Malformed(base::StrCat("an AnyValue must be an object, got ", TypeName(value)));
    const bool json = depth > 0;
    if (Json* v = Member(value, "stringValue", "string_value")) {
      if (!v->is_string()) return Malformed("\"stringValue\" must be a string");
      if (json) {
        base::AppendJsonString(out, v->get_ref<const std::string&>());
      } else {
        *out = std::move(v->get_ref<std::string&>());
        *is_string = true;
      }
    } else if (Json* v = Member(value, "boolValue", "bool_value")) {
      if (!v->is_boolean()) return Malformed("\"boolValue\" must be true or false");
      out->append(v->get<bool>() ? "true" : "false");
    } else if (Json* v = Member(value, "intValue", "int_value")) {
      int64_t number = 0;
      CS_RETURN_IF_ERROR(Integer(*v, "intValue", &number));
      out->append(std::to_string(number));
    } else if (Json* v = Member(value, "doubleValue", "double_value")) {
      double number = 0;
      CS_RETURN_IF_ERROR(Double(*v, "doubleValue", &number));
      if (json) {
        internal::AppendJsonDouble(out, number);
      } else {
        out->append(FormatFloat(number));
      }
    } else if (Json* v = Member(value, "bytesValue", "bytes_value")) {
      if (!v->is_string()) return Malformed("\"bytesValue\" must be a base64 string");
      std::string raw;
      const std::string& encoded = v->get_ref<const std::string&>();
      if (!absl::Base64Unescape(encoded, &raw) && !absl::WebSafeBase64Unescape(encoded, &raw)) {
        return Malformed("\"bytesValue\" is not valid base64");
      }
      std::string canonical = absl::Base64Escape(raw);
      if (json) {
        base::AppendJsonString(out, canonical);
      } else {
        out->append(canonical);
      }
    } else if (Json* v = Member(value, "arrayValue", "array_value")) {
      if (!v->is_object()) return Malformed("\"arrayValue\" must be an object");
      out->push_back('[');
      if (Json* values = Member(*v, "values", "values")) {
        if (!values->is_array()) return Malformed("\"arrayValue.values\" must be an array");
        for (size_t i = 0; i < values->size(); ++i) {
          if (i > 0) out->push_back(',');
          bool unused;
          CS_RETURN_IF_ERROR(ValueText((*values)[i], depth + 1, out, &unused));
        }
      }
      out->push_back(']');
    } else if (Json* v = Member(value, "kvlistValue", "kvlist_value")) {
      if (!v->is_object()) return Malformed("\"kvlistValue\" must be an object");
      out->push_back('{');
      if (Json* values = Member(*v, "values", "values")) {
        if (!values->is_array()) return Malformed("\"kvlistValue.values\" must be an array");
        for (size_t i = 0; i < values->size(); ++i) {
          Json& entry = (*values)[i];
          if (!entry.is_object()) return Malformed("a kvlistValue entry must be an object");
          std::string_view key;
          if (Json* k = Member(entry, "key", "key")) {
            if (!k->is_string()) return Malformed("\"key\" must be a string");
            key = k->get_ref<const std::string&>();
          }
          if (i > 0) out->push_back(',');
          base::AppendJsonString(out, key);
          out->push_back(':');
          Json* entry_value = Member(entry, "value", "value");
          if (entry_value == nullptr) {
            out->append("null");
          } else {
            bool unused;
            CS_RETURN_IF_ERROR(ValueText(*entry_value, depth + 1, out, &unused));
          }
        }
      }
      out->push_back('}');
    } else if (json) {
      out->append("null");
    }
    return absl::OkStatus();
  }

  model::SampleBatch* out_;
  internal::Translator translator_;
  std::vector<PathElement> path_;
  std::vector<Attribute> resource_attributes_;
  std::vector<Attribute> point_attributes_;
  std::vector<uint64_t> counts_;
  std::vector<uint64_t> negative_counts_;
  std::vector<double> bounds_;
  std::vector<internal::Quantile> quantiles_;
};

}  // namespace

absl::Status DecodeExportRequestJson(std::string_view json, model::SampleBatch* out,
                                     const DecodeOptions& options) {
  Json request;
  // nlohmann_json throws; this is the adapter that turns its errors into a Status (STYLE.md 4).
  try {
    request = Json::parse(json.begin(), json.end(), [](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    return absl::InvalidArgumentError(
        base::StrCat("OTLP/JSON: document nested deeper than ", kMaxJsonDepth, " levels"));
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(base::StrCat("OTLP/JSON: ", e.what()));
  }
  JsonDecoder decoder(out, options);
  return decoder.Decode(request);
}

}  // namespace cardinalsin::otlp
