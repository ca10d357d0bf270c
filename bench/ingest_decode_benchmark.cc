// Ingest decode throughput (Google Benchmark): Prometheus remote write 1.0 and 2.0 requests shaped
// like node_exporter traffic, decoded into a model::SampleBatch, with and without the Snappy step.
// items_per_second is samples per second on one core; the counters give the request's sizes.
//
//   build/release/bench/ingest_decode_benchmark                  # every case
//   build/release/bench/ingest_decode_benchmark --benchmark_filter=V1
//
// Shapes: "2000x1" is 2,000 series with 10 labels and one sample each (one scrape of a few
// node_exporters); "500x10" is 500 such series with 10 samples each (a sender that batches).
// The target (shared/reference/anchors.md) is >= 5M samples/s/core for remote write 1.0 decode.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "codec/compression.h"
#include "model/sample_batch.h"
#include "remote_write/decoder.h"
#include "remote_write/encoder.h"

namespace cardinalsin {
namespace {

// Metric families a node_exporter exposes, with the label that varies within each.
struct Family {
  const char* name;
  const char* label;
  int values;
};
constexpr Family kFamilies[] = {
    {"node_cpu_seconds_total", "cpu", 8},
    {"node_network_receive_bytes_total", "device", 4},
    {"node_network_transmit_bytes_total", "device", 4},
    {"node_filesystem_avail_bytes", "mountpoint", 5},
    {"node_disk_read_bytes_total", "device", 3},
    {"node_memory_MemAvailable_bytes", "numa", 1},
    {"node_load1", "numa", 1},
};

// `series` series of `samples` samples each, labels sorted by name as senders send them:
// __name__, az, cluster, env, instance, job, <varying label>, mode, region, service.
model::SampleBatch NodeExporterBatch(int series, int samples) {
  model::SampleBatch batch;
  const int64_t start_ms = 1'700'000'000'000;
  int family = 0;
  int within = 0;
  for (int s = 0; s < series; ++s) {
    const Family& f = kFamilies[family];
    const int host = s / 60;
    batch.StartSeries();
    batch.AddLabel("__name__", f.name);
    batch.AddLabel("az", host % 2 == 0 ? "eu-west-1a" : "eu-west-1b");
    batch.AddLabel("cluster", "prod-cluster-01");
    batch.AddLabel("env", "production");
    batch.AddLabel("instance", batch.Own(absl::StrFormat("node-%04d.prod.example.com:9100", host)));
    batch.AddLabel("job", "node");
    batch.AddLabel(f.label, batch.Own(absl::StrFormat("%s%d", f.label, within)));
    batch.AddLabel("mode", (s % 3 == 0) ? "idle" : (s % 3 == 1) ? "user" : "system");
    batch.AddLabel("region", "eu-west-1");
    batch.AddLabel("service", "node-exporter");
    for (int i = 0; i < samples; ++i) {
      // Counters with fractional parts, so values are realistic 8-byte doubles.
      batch.AddSample((start_ms + int64_t{i} * 15'000) * 1'000'000, 1e6 + s * 1234.567 + i * 0.25);
    }
    if (++within == f.values) {
      within = 0;
      family = (family + 1) % static_cast<int>(std::size(kFamilies));
    }
  }
  return batch;
}

struct Request {
  std::string raw;
  std::string snappy;
  size_t samples;
};

Request MakeRequest(remote_write::Version version, int series, int samples) {
  model::SampleBatch batch = NodeExporterBatch(series, samples);
  Request request;
  request.raw = version == remote_write::Version::kV1 ? remote_write::EncodeV1(batch)
                                                      : remote_write::EncodeV2(batch);
  if (!codec::Compress(codec::Compression::kSnappy, request.raw, &request.snappy).ok())
    std::abort();
  request.samples = batch.num_samples();
  return request;
}

void SetCounters(benchmark::State& state, const Request& request) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * request.samples));
  state.counters["raw_bytes_per_sample"] =
      static_cast<double>(request.raw.size()) / request.samples;
  state.counters["snappy_bytes_per_sample"] =
      static_cast<double>(request.snappy.size()) / request.samples;
}

// Decodes the uncompressed protobuf only.
void BM_Decode(benchmark::State& state, remote_write::Version version) {
  const Request request =
      MakeRequest(version, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  model::SampleBatch batch;
  for (auto _ : state) {
    batch.Clear();
    absl::Status status = version == remote_write::Version::kV1
                              ? remote_write::DecodeV1(request.raw, &batch)
                              : remote_write::DecodeV2(request.raw, &batch);
    if (!status.ok() || batch.num_samples() != request.samples) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(batch);
  }
  SetCounters(state, request);
}

// The HTTP handler's whole path: headers, Snappy, decode.
void BM_DecodeRequest(benchmark::State& state, remote_write::Version version) {
  const Request request =
      MakeRequest(version, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const char* content_type = version == remote_write::Version::kV1
                                 ? "application/x-protobuf;proto=prometheus.WriteRequest"
                                 : "application/x-protobuf;proto=io.prometheus.write.v2.Request";
  model::SampleBatch batch;
  std::string buffer;
  for (auto _ : state) {
    batch.Clear();
    absl::Status status = remote_write::DecodeRequest(request.snappy, content_type, "snappy",
                                                      64 << 20, &buffer, &batch);
    if (!status.ok() || batch.num_samples() != request.samples) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(batch);
  }
  SetCounters(state, request);
}

BENCHMARK_CAPTURE(BM_Decode, V1, remote_write::Version::kV1)->Args({2000, 1})->Args({500, 10});
BENCHMARK_CAPTURE(BM_DecodeRequest, V1_snappy, remote_write::Version::kV1)
    ->Args({2000, 1})
    ->Args({500, 10});
BENCHMARK_CAPTURE(BM_Decode, V2, remote_write::Version::kV2)->Args({2000, 1})->Args({500, 10});
BENCHMARK_CAPTURE(BM_DecodeRequest, V2_snappy, remote_write::Version::kV2)
    ->Args({2000, 1})
    ->Args({500, 10});

}  // namespace
}  // namespace cardinalsin

BENCHMARK_MAIN();
