#include "loadgen/http_sink.h"

#include <map>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "line_protocol/parser.h"
#include "loadgen/workload.h"
#include "otlp/otlp.h"
#include "remote_write/decoder.h"

namespace cardinalsin::loadgen {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

TEST(RouteForTest, PathsAndHeadersPerProtocol) {
  HttpRoute rw = RouteFor(Protocol::kRemoteWrite, "");
  EXPECT_EQ(rw.path, "/api/v1/write");
  EXPECT_THAT(rw.headers,
              ElementsAre("Content-Type: application/x-protobuf", "Content-Encoding: snappy",
                          "X-Prometheus-Remote-Write-Version: 0.1.0"));
  HttpRoute v2 = RouteFor(Protocol::kRemoteWriteV2, "team-a");
  EXPECT_EQ(v2.path, "/api/v1/write");
  EXPECT_THAT(
      v2.headers,
      ElementsAre("Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request",
                  "Content-Encoding: snappy", "X-Prometheus-Remote-Write-Version: 2.0.0",
                  "X-Scope-OrgID: team-a"));
  HttpRoute otlp = RouteFor(Protocol::kOtlp, "");
  EXPECT_EQ(otlp.path, "/v1/metrics");
  EXPECT_THAT(otlp.headers, ElementsAre("Content-Type: application/x-protobuf"));
  HttpRoute influx = RouteFor(Protocol::kInflux, "t");
  EXPECT_EQ(influx.path, "/api/v2/write?precision=ns");
  EXPECT_THAT(influx.headers,
              ElementsAre("Content-Type: text/plain; charset=utf-8", "X-Scope-OrgID: t"));
}

TEST(BodyExcerptTest, FirstBytesOnOneLine) {
  EXPECT_EQ(BodyExcerpt("bad\nrequest\r\n\x01"), "bad request   ");
  EXPECT_EQ(BodyExcerpt(std::string(500, 'x')).size(), 200u);
  EXPECT_EQ(BodyExcerpt("abcdef", 3), "abc");
}

// Labels and values of every sample, keyed by "name=value,..." and timestamp in ms, so the
// protocols (which differ in timestamp precision and label naming) compare on what they keep.
std::map<std::string, double> Samples(const model::SampleBatch& batch) {
  std::map<std::string, double> samples;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    std::string key;
    for (const model::Label& l : batch.labels(s)) {
      key += std::string(l.name) + "=" + std::string(l.value) + ",";
    }
    for (size_t i = 0; i < batch.timestamps_ns(s).size(); ++i) {
      samples[key + "@" + std::to_string(batch.timestamps_ns(s)[i] / 1'000'000)] =
          batch.values(s)[i];
    }
  }
  return samples;
}

// A batch with its workload, which owns the label strings the batch views.
struct Example {
  Example() { workload.Fill(50, kNow, 12.5, &batch); }
  ContractWorkload workload{{.metrics = 10, .hosts = 2, .regions = 2}, 50, 1};
  model::SampleBatch batch;
};

TEST(EncodeBodyTest, RemoteWriteBodiesDecodeWithTheRouteHeaders) {
  const Example example;
  const model::SampleBatch& batch = example.batch;
  for (Protocol protocol : {Protocol::kRemoteWrite, Protocol::kRemoteWriteV2}) {
    std::string body;
    CS_ASSERT_OK(EncodeBody(protocol, batch, &body));
    const HttpRoute route = RouteFor(protocol, "");
    const std::string content_type = route.headers[0].substr(std::string("Content-Type: ").size());
    std::string buffer;
    model::SampleBatch decoded;
    CS_ASSERT_OK(
        remote_write::DecodeRequest(body, content_type, "snappy", 64 << 20, &buffer, &decoded));
    EXPECT_EQ(Samples(decoded), Samples(batch)) << ProtocolName(protocol);
  }
}

TEST(EncodeBodyTest, InfluxBodyParsesBackToTheSameSamples) {
  const Example example;
  const model::SampleBatch& batch = example.batch;
  std::string body;
  CS_ASSERT_OK(EncodeBody(Protocol::kInflux, batch, &body));
  model::SampleBatch decoded;
  CS_ASSERT_OK(line_protocol::Parse(body, line_protocol::Precision::kNanoseconds, kNow, &decoded));
  EXPECT_EQ(decoded.num_samples(), batch.num_samples());
  EXPECT_EQ(decoded.rejected_samples(), 0u);
  double sum = 0, decoded_sum = 0;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    for (double v : batch.values(s)) sum += v;
  }
  for (size_t s = 0; s < decoded.num_series(); ++s) {
    for (double v : decoded.values(s)) decoded_sum += v;
  }
  EXPECT_DOUBLE_EQ(decoded_sum, sum);
}

TEST(EncodeBodyTest, OtlpBodyDecodesToTheSameSampleCount) {
  const Example example;
  const model::SampleBatch& batch = example.batch;
  std::string body;
  CS_ASSERT_OK(EncodeBody(Protocol::kOtlp, batch, &body));
  model::SampleBatch decoded;
  CS_ASSERT_OK(otlp::DecodeExportRequest(body, &decoded));
  EXPECT_EQ(decoded.num_samples(), batch.num_samples());
  EXPECT_EQ(decoded.rejected_samples(), 0u);
}

TEST(HttpSinkTest, ConnectionRefusedIsATransportError) {
  GeneratorOptions options;
  options.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options.timeout = absl::Seconds(5);
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchSink> sink, MakeHttpSinkFactory(options)());
  absl::StatusOr<uint64_t> sent = sink->Send(Example().batch);
  EXPECT_EQ(sent.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(sent.status().message()), ::testing::StartsWith("HTTP request failed: "));
}

}  // namespace
}  // namespace cardinalsin::loadgen
