// OTLP metrics decode throughput on one core (otlp/otlp.h): protobuf and OTLP/JSON requests
// shaped like an SDK's export, decoded and translated into a reused model::SampleBatch.
//
//   BM_DecodeGauges            1000 gauge points (100 metrics x 10), 8 resource attributes,
//                              4 point attributes each: the common case
//   BM_DecodeGaugesJson        the same request in OTLP/JSON
//   BM_DecodeHistograms        200 explicit histogram points with 20 bounds (23 series each)
//   BM_DecodeExpHistograms     100 exponential histogram points, scale 3, 160 positive buckets
//
// items_per_second counts samples written to the batch (one per series for histograms).
//
//   cmake --preset release -B build/release && ninja -C build/release otlp_decode_benchmark
//   build/release/bench/otlp_decode_benchmark

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "model/sample_batch.h"
#include "otlp/otlp.h"
#include "proto/wire.h"

namespace cardinalsin {
namespace {

constexpr uint64_t kTime = 1'700'000'000'000'000'000;

void Attribute(proto::Writer& writer, uint32_t field, const std::string& key,
               const std::string& value) {
  std::string any, kv;
  proto::Writer(&any).Bytes(1, value);
  proto::Writer kv_writer(&kv);
  kv_writer.Bytes(1, key);
  kv_writer.Bytes(2, any);
  writer.Bytes(field, kv);
}

const char* const kResourceKeys[] = {"service.name", "service.namespace", "service.instance.id",
                                     "host.name",    "host.arch",         "os.type",
                                     "cloud.region", "k8s.pod.name"};

std::string Resource() {
  std::string resource;
  proto::Writer writer(&resource);
  for (const char* key : kResourceKeys) Attribute(writer, 1, key, std::string(key) + "-value-1234");
  return resource;
}

// ExportMetricsServiceRequest { resource_metrics { resource, scope_metrics { metrics... } } }.
std::string Request(const std::vector<std::string>& metrics) {
  std::string scope;
  proto::Writer scope_writer(&scope);
  for (const std::string& metric : metrics) scope_writer.Bytes(2, metric);
  std::string resource_metrics;
  proto::Writer rm(&resource_metrics);
  rm.Bytes(1, Resource());
  rm.Bytes(2, scope);
  std::string request;
  proto::Writer(&request).Bytes(1, resource_metrics);
  return request;
}

void PointAttributes(proto::Writer& writer, uint32_t field, int i) {
  Attribute(writer, field, "http.request.method", i % 2 ? "GET" : "POST");
  Attribute(writer, field, "http.route", absl::StrFormat("/api/v1/items/%d", i % 7));
  Attribute(writer, field, "http.response.status_code", i % 5 ? "200" : "500");
  Attribute(writer, field, "server.address", absl::StrFormat("backend-%d.internal", i));
}

std::string GaugeRequest() {
  std::vector<std::string> metrics;
  for (int m = 0; m < 100; ++m) {
    std::string gauge;
    proto::Writer gauge_writer(&gauge);
    for (int p = 0; p < 10; ++p) {
      std::string point;
      proto::Writer w(&point);
      PointAttributes(w, 7, p);
      w.Fixed64(3, kTime + static_cast<uint64_t>(p));
      w.Double(4, 0.5 * p + m);
      gauge_writer.Bytes(1, point);
    }
    std::string metric;
    proto::Writer w(&metric);
    w.Bytes(1, absl::StrFormat("app.queue.depth.%d", m));
    w.Bytes(3, "{item}");
    w.Bytes(5, gauge);
    metrics.push_back(metric);
  }
  return Request(metrics);
}

std::string GaugeRequestJson() {
  std::string resource;
  for (const char* key : kResourceKeys) {
    if (!resource.empty()) resource += ",";
    resource +=
        absl::StrFormat(R"({"key":"%s","value":{"stringValue":"%s-value-1234"}})", key, key);
  }
  std::string metrics;
  for (int m = 0; m < 100; ++m) {
    std::string points;
    for (int p = 0; p < 10; ++p) {
      if (!points.empty()) points += ",";
      points += absl::StrFormat(
          R"({"attributes":[{"key":"http.request.method","value":{"stringValue":"%s"}},)"
          R"({"key":"http.route","value":{"stringValue":"/api/v1/items/%d"}},)"
          R"({"key":"http.response.status_code","value":{"stringValue":"%s"}},)"
          R"({"key":"server.address","value":{"stringValue":"backend-%d.internal"}}],)"
          R"("timeUnixNano":"%d","asDouble":%g})",
          p % 2 ? "GET" : "POST", p % 7, p % 5 ? "200" : "500", p, kTime + static_cast<uint64_t>(p),
          0.5 * p + m);
    }
    if (!metrics.empty()) metrics += ",";
    metrics += absl::StrFormat(
        R"({"name":"app.queue.depth.%d","unit":"{item}","gauge":{"dataPoints":[%s]}})", m, points);
  }
  return absl::StrFormat(
      R"({"resourceMetrics":[{"resource":{"attributes":[%s]},"scopeMetrics":[{"metrics":[%s]}]}]})",
      resource, metrics);
}

std::string HistogramRequest() {
  std::vector<std::string> metrics;
  for (int m = 0; m < 10; ++m) {
    std::string histogram;
    proto::Writer histogram_writer(&histogram);
    for (int p = 0; p < 20; ++p) {
      std::string bounds, counts;
      for (int b = 0; b < 21; ++b) {
        uint64_t count = static_cast<uint64_t>(b * 3 + p);
        counts.append(reinterpret_cast<const char*>(&count), 8);
        if (b < 20) {
          double bound = 0.001 * static_cast<double>(1 << b);
          bounds.append(reinterpret_cast<const char*>(&bound), 8);
        }
      }
      std::string point;
      proto::Writer w(&point);
      PointAttributes(w, 9, p);
      w.Fixed64(3, kTime);
      w.Fixed64(4, 1000);
      w.Double(5, 123.5);
      w.Bytes(6, counts);
      w.Bytes(7, bounds);
      histogram_writer.Bytes(1, point);
    }
    histogram_writer.Varint(2, 2);
    std::string metric;
    proto::Writer w(&metric);
    w.Bytes(1, absl::StrFormat("http.server.request.duration.%d", m));
    w.Bytes(3, "s");
    w.Bytes(9, histogram);
    metrics.push_back(metric);
  }
  return Request(metrics);
}

std::string ExponentialHistogramRequest() {
  std::vector<std::string> metrics;
  for (int m = 0; m < 10; ++m) {
    std::string histogram;
    proto::Writer histogram_writer(&histogram);
    for (int p = 0; p < 10; ++p) {
      std::string counts, buckets;
      proto::Writer counts_writer(&counts);
      for (int b = 0; b < 160; ++b) counts_writer.RawVarint(static_cast<uint64_t>(1 + (b + p) % 9));
      proto::Writer buckets_writer(&buckets);
      buckets_writer.Sint64(1, -40);
      buckets_writer.Bytes(2, counts);
      std::string point;
      proto::Writer w(&point);
      PointAttributes(w, 1, p);
      w.Fixed64(3, kTime);
      w.Fixed64(4, 800);
      w.Double(5, 99.5);
      w.Sint64(6, 3);
      w.Bytes(8, buckets);
      histogram_writer.Bytes(1, point);
    }
    histogram_writer.Varint(2, 2);
    std::string metric;
    proto::Writer w(&metric);
    w.Bytes(1, absl::StrFormat("rpc.latency.%d", m));
    w.Bytes(3, "ms");
    w.Bytes(10, histogram);
    metrics.push_back(metric);
  }
  return Request(metrics);
}

template <bool kJson>
void Decode(benchmark::State& state, const std::string& request) {
  model::SampleBatch batch;
  for (auto _ : state) {
    batch.Clear();
    absl::Status status = kJson ? otlp::DecodeExportRequestJson(request, &batch)
                                : otlp::DecodeExportRequest(request, &batch);
    if (!status.ok() || batch.rejected_samples() != 0) {
      state.SkipWithError("decode failed");
      return;
    }
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch.num_samples()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
  state.counters["samples"] = static_cast<double>(batch.num_samples());
  state.counters["request_bytes"] = static_cast<double>(request.size());
}

void BM_DecodeGauges(benchmark::State& state) {
  static const std::string request = GaugeRequest();
  Decode<false>(state, request);
}
void BM_DecodeGaugesJson(benchmark::State& state) {
  static const std::string request = GaugeRequestJson();
  Decode<true>(state, request);
}
void BM_DecodeHistograms(benchmark::State& state) {
  static const std::string request = HistogramRequest();
  Decode<false>(state, request);
}
void BM_DecodeExpHistograms(benchmark::State& state) {
  static const std::string request = ExponentialHistogramRequest();
  Decode<false>(state, request);
}

BENCHMARK(BM_DecodeGauges);
BENCHMARK(BM_DecodeGaugesJson);
BENCHMARK(BM_DecodeHistograms);
BENCHMARK(BM_DecodeExpHistograms);

}  // namespace
}  // namespace cardinalsin

BENCHMARK_MAIN();
