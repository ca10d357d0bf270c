// Generator-side cost per sample without the network: building batches (both workloads) and
// building plus encoding them for each protocol. End-to-end throughput against a discarding
// HTTP sink: see discard_sink.cc.

#include <string>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "loadgen/http_sink.h"
#include "loadgen/workload.h"

namespace cardinalsin::loadgen {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000'000;

void BM_ContractFill(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  ContractWorkload workload({.metrics = 24, .hosts = 24, .regions = 3}, batch_size, 1);
  model::SampleBatch batch;
  for (auto _ : state) {
    workload.Fill(batch_size, kNow, 1.0, &batch);
    benchmark::DoNotOptimize(batch.num_samples());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch_size));
}
BENCHMARK(BM_ContractFill)->Arg(400)->Arg(5000);

void BM_ChurnFill(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  const ChurnOptions options{.series = 1'000'000, .churn = 0.01};
  ChurnWorkload workload(options, 0, options.series, 1);
  model::SampleBatch batch;
  double elapsed = 0;
  for (auto _ : state) {
    workload.Fill(batch_size, kNow, elapsed, &batch);
    elapsed += 0.001;
    benchmark::DoNotOptimize(batch.num_samples());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch_size));
}
BENCHMARK(BM_ChurnFill)->Arg(1000)->Arg(10000);

void BM_FillAndEncode(benchmark::State& state) {
  const Protocol protocol = static_cast<Protocol>(state.range(0));
  const size_t batch_size = 2000;
  const ChurnOptions options{.series = 1'000'000, .churn = 0.01};
  ChurnWorkload workload(options, 0, options.series, 1);
  model::SampleBatch batch;
  std::string body;
  for (auto _ : state) {
    workload.Fill(batch_size, kNow, 1.0, &batch);
    if (!EncodeBody(protocol, batch, &body).ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(body.data());
  }
  state.SetLabel(std::string(ProtocolName(protocol)));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch_size));
  state.counters["bytes_per_sample"] = static_cast<double>(body.size()) / batch_size;
}
BENCHMARK(BM_FillAndEncode)
    ->Arg(static_cast<int>(Protocol::kRemoteWrite))
    ->Arg(static_cast<int>(Protocol::kRemoteWriteV2))
    ->Arg(static_cast<int>(Protocol::kOtlp))
    ->Arg(static_cast<int>(Protocol::kInflux));

}  // namespace
}  // namespace cardinalsin::loadgen

BENCHMARK_MAIN();
