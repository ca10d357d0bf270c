// Malformed and hostile OTLP input: every case fails with InvalidArgument naming the problem,
// and nothing crashes or allocates without bound.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/sample_batch.h"
#include "nlohmann/json.hpp"
#include "otlp/internal/translator.h"
#include "otlp/otlp.h"
#include "proto/wire.h"

namespace cardinalsin::otlp {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

// Builders for requests, independent of the decoder: one resource, one scope, one metric.
std::string Message(const std::function<void(proto::Writer&)>& fill) {
  std::string out;
  proto::Writer writer(&out);
  fill(writer);
  return out;
}
std::string WrapMetric(const std::string& metric, const std::string& resource = {}) {
  std::string scope = Message([&](proto::Writer& w) { w.Bytes(2, metric); });
  std::string resource_metrics = Message([&](proto::Writer& w) {
    if (!resource.empty()) w.Bytes(1, resource);
    w.Bytes(2, scope);
  });
  return Message([&](proto::Writer& w) { w.Bytes(1, resource_metrics); });
}
// A gauge metric named "g" with one data point.
std::string GaugeWithPoint(const std::string& point) {
  std::string gauge = Message([&](proto::Writer& w) { w.Bytes(1, point); });
  return WrapMetric(Message([&](proto::Writer& w) {
    w.Bytes(1, "g");
    w.Bytes(5, gauge);
  }));
}
std::string StringValue(std::string_view s) {
  return Message([&](proto::Writer& w) { w.Bytes(1, s); });
}
std::string ArrayOf(const std::string& any_value) {
  std::string array = Message([&](proto::Writer& w) { w.Bytes(1, any_value); });
  return Message([&](proto::Writer& w) { w.Bytes(5, array); });
}

struct ProtoCase {
  std::string name;
  std::string body;
  std::string message;  // a substring of the error
};

TEST(MalformedProtobufTest, Table) {
  std::string deep = StringValue("leaf");
  for (int i = 0; i < 40; ++i) deep = ArrayOf(deep);
  std::string deep_attribute = Message([&](proto::Writer& w) {
    w.Bytes(1, "k");
    w.Bytes(2, deep);
  });
  const ProtoCase cases[] = {
      {"truncated tag", std::string("\x0a", 1), "truncated"},
      {"length past the end", std::string("\x0a\x10\x00", 3), "byte 0"},
      {"huge length", std::string("\x0a\xff\xff\xff\xff\x0f", 6), "truncated"},
      {"field number 0", std::string("\x02\x00", 2), "invalid field number"},
      {"group", std::string("\x0b", 1), "wire type 3"},
      {"resource_metrics as varint", std::string("\x08\x01", 2),
       "resource_metrics[0]: field 1 has wire type varint"},
      {"time as varint", GaugeWithPoint(Message([](proto::Writer& w) { w.Varint(3, 5); })),
       "resource_metrics[0].scope_metrics[0].metrics[0].gauge.data_points[0]: field 3 has wire "
       "type varint, want "
       "fixed64"},
      {"as_double as fixed32", GaugeWithPoint(Message([](proto::Writer& w) { w.Fixed32(4, 0); })),
       "field 4 has wire type fixed32"},
      {"attribute value too deep",
       GaugeWithPoint(Message([&](proto::Writer& w) { w.Bytes(7, deep_attribute); })),
       "nested deeper than 32 levels"},
      {"bounds not a multiple of 8", WrapMetric(Message([](proto::Writer& w) {
         w.Bytes(1, "h");
         std::string point = Message([](proto::Writer& p) { p.Bytes(7, std::string(7, '\0')); });
         w.Bytes(9, Message([&](proto::Writer& h) {
                   h.Bytes(1, point);
                   h.Varint(2, 2);
                 }));
       })),
       "packed explicit_bounds is 7 bytes"},
      {"truncated packed bucket count", WrapMetric(Message([](proto::Writer& w) {
         w.Bytes(1, "e");
         std::string buckets =
             Message([](proto::Writer& b) { b.Bytes(2, std::string("\x01\x80", 2)); });
         std::string point = Message([&](proto::Writer& p) { p.Bytes(8, buckets); });
         w.Bytes(10, Message([&](proto::Writer& h) {
                   h.Bytes(1, point);
                   h.Varint(2, 2);
                 }));
       })),
       "exponential_histogram.data_points[0].positive: truncated varint in packed bucket_counts"},
      {"metric name as varint", WrapMetric(Message([](proto::Writer& w) { w.Varint(1, 1); })),
       "metrics[0]: field 1 has wire type varint"},
  };
  for (const ProtoCase& c : cases) {
    model::SampleBatch batch;
    absl::Status status = DecodeExportRequest(c.body, &batch);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  }
}

TEST(MalformedProtobufTest, UnknownFieldsAreSkipped) {
  std::string point = Message([](proto::Writer& w) {
    w.Fixed64(3, 1'000);
    w.Double(4, 2.5);
    w.Varint(99, 7);
    w.Bytes(100, "ignored");
    w.Fixed32(101, 0);
  });
  std::string body = GaugeWithPoint(point);
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  ASSERT_EQ(batch.num_series(), 1u);
  EXPECT_EQ(batch.values(0)[0], 2.5);
}

// A histogram point with many buckets expands to one series per bucket; the label budget stops
// a small body from becoming a huge batch.
TEST(MalformedProtobufTest, LabelBudgetBoundsTheExpansion) {
  std::string counts, bounds;
  for (int i = 0; i < 10'000; ++i) {
    uint64_t one = 1;
    counts.append(reinterpret_cast<const char*>(&one), 8);
    double bound = i;
    bounds.append(reinterpret_cast<const char*>(&bound), 8);
  }
  counts.append(8, '\0');
  std::string point = Message([&](proto::Writer& w) {
    w.Fixed64(3, 1'000);
    w.Fixed64(4, 10'000);
    w.Bytes(6, counts);
    w.Bytes(7, bounds);
  });
  std::string body = WrapMetric(Message([&](proto::Writer& w) {
    w.Bytes(1, "h");
    w.Bytes(9, Message([&](proto::Writer& h) {
              h.Bytes(1, point);
              h.Varint(2, 2);
            }));
  }));
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  EXPECT_EQ(batch.num_series(), 10'002u);  // 10'000 bounds, +Inf, _count (no _sum)

  model::SampleBatch limited;
  absl::Status status = DecodeExportRequest(body, &limited, {.max_labels = 1'000});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("more than 1000 labels"));
}

TEST(TranslationTest, PointAttributeNamedLikeTheMetricNameLabelIsDropped) {
  std::string attribute = Message([](proto::Writer& w) {
    w.Bytes(1, "__name__");
    w.Bytes(2, StringValue("evil"));
  });
  std::string body = GaugeWithPoint(Message([&](proto::Writer& w) {
    w.Bytes(7, attribute);
    w.Fixed64(3, 1);
    w.Double(4, 1);
  }));
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  ASSERT_EQ(batch.num_series(), 1u);
  ASSERT_EQ(batch.labels(0).size(), 1u);
  EXPECT_EQ(batch.labels(0)[0], (model::Label{"__name__", "g"}));
}

TEST(TranslationTest, RepeatedKeyKeepsItsLastValueAndCollisionsJoin) {
  auto attribute = [](std::string_view key, std::string_view value) {
    return Message([&](proto::Writer& w) {
      w.Bytes(1, key);
      w.Bytes(2, StringValue(value));
    });
  };
  std::string body = GaugeWithPoint(Message([&](proto::Writer& w) {
    w.Bytes(7, attribute("k", "first"));
    w.Bytes(7, attribute("x_y", "2"));
    w.Bytes(7, attribute("k", "last"));
    w.Bytes(7, attribute("x.y", "1"));
    w.Fixed64(3, 1);
  }));
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  ASSERT_EQ(batch.num_series(), 1u);
  EXPECT_THAT(batch.labels(0),
              ::testing::ElementsAre(model::Label{"__name__", "g"}, model::Label{"k", "last"},
                                     model::Label{"x_y", "1;2"}));
}

TEST(TranslationTest, UntranslatableAttributeKeyRejectsThePoint) {
  std::string attribute = Message([](proto::Writer& w) {
    w.Bytes(1, "...");
    w.Bytes(2, StringValue("v"));
  });
  std::string body = GaugeWithPoint(Message([&](proto::Writer& w) {
    w.Bytes(7, attribute);
    w.Fixed64(3, 1);
  }));
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  EXPECT_EQ(batch.num_series(), 0u);
  EXPECT_EQ(batch.rejected_samples(), 1u);
  EXPECT_THAT(batch.rejection_reasons(),
              ::testing::ElementsAre(HasSubstr("attribute key \"...\"")));
}

TEST(TranslationTest, UnspecifiedTemporalityIsRejected) {
  std::string body = WrapMetric(Message([](proto::Writer& w) {
    w.Bytes(1, "s");
    std::string point = Message([](proto::Writer& p) { p.Fixed64(3, 1); });
    w.Bytes(7, Message([&](proto::Writer& s) { s.Bytes(1, point); }));
  }));
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  EXPECT_EQ(batch.rejected_samples(), 1u);
  EXPECT_THAT(batch.rejection_reasons(),
              ::testing::ElementsAre(HasSubstr("aggregation temporality 0")));
}

struct JsonCase {
  std::string name;
  std::string body;
  std::string message;
};

TEST(MalformedJsonTest, Table) {
  auto gauge_point = [](const std::string& point) {
    return R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[)" +
           point + "]}}]}]}]}";
  };
  const JsonCase cases[] = {
      {"not JSON", "{", "OTLP/JSON: [json.exception.parse_error"},
      {"array at the top", "[]", "request: want an object, got array"},
      {"resourceMetrics not an array", R"({"resourceMetrics":{}})",
       "resourceMetrics: want an array, got object"},
      {"resource not an object", R"({"resourceMetrics":[{"resource":1}]})",
       "resourceMetrics[0].resource: want an object"},
      {"time not a number", gauge_point(R"({"timeUnixNano":"abc"})"),
       "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]: \"timeUnixNano\" must "
       "be a non-negative "
       "64-bit integer"},
      {"negative time", gauge_point(R"({"timeUnixNano":-1})"),
       "\"timeUnixNano\" must be a non-negative"},
      {"fractional time", gauge_point(R"({"timeUnixNano":1.5})"), "\"timeUnixNano\""},
      {"time beyond uint64", gauge_point(R"({"timeUnixNano":"18446744073709551616"})"),
       "\"timeUnixNano\""},
      {"asDouble a bool", gauge_point(R"({"asDouble":true})"), "\"asDouble\" must be a number"},
      {"asDouble a word", gauge_point(R"({"asDouble":"many"})"), "\"asDouble\" must be a number"},
      {"flags too big", gauge_point(R"({"flags":4294967296})"),
       "\"flags\" must be a non-negative 32-bit integer"},
      {"attributes not an array", gauge_point(R"({"attributes":{}})"), "attributes: want an array"},
      {"attribute key a number", gauge_point(R"({"attributes":[{"key":1}]})"),
       "\"key\" must be a string"},
      {"bad base64", gauge_point(R"({"attributes":[{"key":"b","value":{"bytesValue":"!!"}}]})"),
       "\"bytesValue\" is not valid base64"},
      {"two kinds",
       R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{},"sum":{}}]}]}]})",
       "more than one of gauge"},
      {"unknown temporality",
       R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"WEEKLY"}}]}]}]})",
       "unknown aggregationTemporality \"WEEKLY\""},
      {"too deep", std::string(100'000, '[') + std::string(100'000, ']'), "nested deeper than"},
      {"deep attribute value",
       [&] {
         std::string value = R"({"stringValue":"x"})";
         for (int i = 0; i < 33; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
         return gauge_point(R"({"attributes":[{"key":"k","value":)" + value + "}]}");
       }(),
       "nested deeper than 32 levels"},
  };
  for (const JsonCase& c : cases) {
    model::SampleBatch batch;
    absl::Status status = DecodeExportRequestJson(c.body, &batch);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  }
}

TEST(JsonTest, AcceptsEveryEncodingProtobufJsonAllows) {
  // Integers as numbers and strings, enums as numbers and names, doubles as special strings,
  // snake_case names, null for absent, unknown fields.
  std::string body = R"({
    "resource_metrics": [{
      "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "s"}}]},
      "scopeMetrics": [{"scope": null, "metrics": [
        {"name": "a", "gauge": {"dataPoints": [
          {"timeUnixNano": 1000, "asDouble": "NaN", "unknownField": {"x": [1, 2]}},
          {"time_unix_nano": "2000", "as_int": "-5"},
          {"timeUnixNano": 3000, "asDouble": "-Infinity", "flags": 1},
          {"timeUnixNano": 4000, "asInt": 7}
        ]}},
        {"name": "c", "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
          {"timeUnixNano": 1e3, "asDouble": 1.5}]}},
        {"name": "d", "sum": {"aggregation_temporality": "AGGREGATION_TEMPORALITY_DELTA", "dataPoints": [
          {"timeUnixNano": 1000, "asDouble": 1}]}}
      ]}]
    }]
  })";
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeExportRequestJson(body, &batch));
  // The four points of "a" share their labels, so they form one series.
  ASSERT_EQ(batch.num_series(), 2u);
  ASSERT_EQ(batch.values(0).size(), 4u);
  EXPECT_THAT(batch.timestamps_ns(0), ::testing::ElementsAre(1000, 2000, 3000, 4000));
  EXPECT_TRUE(std::isnan(batch.values(0)[0]));
  EXPECT_NE(std::bit_cast<uint64_t>(batch.values(0)[0]), kStaleNaNBits);
  EXPECT_EQ(batch.values(0)[1], -5);
  EXPECT_EQ(std::bit_cast<uint64_t>(batch.values(0)[2]),
            kStaleNaNBits);  // flags: NO_RECORDED_VALUE
  EXPECT_EQ(batch.values(0)[3], 7);
  EXPECT_EQ(batch.labels(1)[0].value, "c_total");
  EXPECT_EQ(batch.timestamps_ns(1)[0], 1000);
  EXPECT_EQ(batch.values(1)[0], 1.5);
  EXPECT_EQ(batch.rejected_samples(), 1u);
  EXPECT_THAT(batch.rejection_reasons(),
              ::testing::ElementsAre(HasSubstr("metric \"d\": delta temporality")));
}

TEST(ExportResponseTest, Protobuf) {
  EXPECT_EQ(EncodeExportResponse(0, "ignored"), "");
  EXPECT_EQ(EncodeExportResponse(3, "bad"), std::string("\x0a\x07\x08\x03\x12\x03"
                                                        "bad",
                                                        9));
  EXPECT_EQ(EncodeExportResponse(300, ""), std::string("\x0a\x03\x08\xac\x02", 5));
}

TEST(ExportResponseTest, Json) {
  EXPECT_EQ(EncodeExportResponseJson(0, "x"), "{}");
  std::string json = EncodeExportResponseJson(2, "metric \"a\":\nno");
  EXPECT_EQ(json,
            R"({"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"metric \"a\":\nno"}})");
  nlohmann::json parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["partialSuccess"]["errorMessage"], "metric \"a\":\nno");
}

TEST(ExponentialBoundaryTest, Table) {
  struct Case {
    int64_t index;
    int64_t scale;
    double want;
  };
  const Case cases[] = {
      {0, 0, 1},
      {1, 0, 2},
      {-1, 0, 0.5},
      {3, -1, 64},
      {-2, -2, 1.0 / 256},
      {1, 1, 1.4142135623730951},
      {-1, 1, 0.7071067811865476},
      {3, 1, 2.8284271247461903},
      {-3, 2, 0.5946035575013605},
      {int64_t{1} << 20, 20, 2},
      {-(int64_t{1} << 20), 20, 0.5},
      {1024, 0, std::numeric_limits<double>::infinity()},
      {int64_t{1} << 31, -10, std::numeric_limits<double>::infinity()},
      {-(int64_t{1} << 31), -10, 0},
      {-1074, 0, std::numeric_limits<double>::denorm_min()},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(internal::ExponentialBoundary(c.index, c.scale), c.want)
        << c.index << " @ scale " << c.scale;
  }
}

}  // namespace
}  // namespace cardinalsin::otlp
