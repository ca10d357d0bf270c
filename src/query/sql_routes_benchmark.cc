// /api/v1/sql end to end over loopback: a 1M-row result fetched with libcurl (body discarded),
// streamed (the default) or encoded whole first (stream_threshold_bytes = max), with the process's
// peak RSS growth during the request.
//
//   query_http_benchmark
//
// Peak RSS: /proc/self/clear_refs "5" resets VmHWM before each request; the counter is VmHWM after
// it minus VmRSS before it, so it includes the engine's copy of the result (the fake engine copies
// it: 24 MB of column data), the encoder's and the server's buffers, and curl's.
#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "http/server.h"
#include "query/sql_routes.h"

namespace cardinalsin::query {
namespace {

using model::Column;
using model::Schema;
using model::StringVector;
using model::TypeId;

SqlResult MakeResult(int64_t rows) {
  Schema schema({{"timestamp", TypeId::kTimestampNs},
                 {"metric_name", TypeId::kString},
                 {"value", TypeId::kDouble},
                 {"instance", TypeId::kString}});
  StringVector instances;
  for (int i = 0; i < 100; ++i) {
    instances.Append("host-" + std::to_string(i) + ":9100");
  }
  SqlResult result;
  result.schema = schema;
  constexpr int64_t kBatchRows = 8192;
  for (int64_t start = 0; start < rows; start += kBatchRows) {
    int64_t n = std::min(kBatchRows, rows - start);
    std::vector<int64_t> ts;
    std::vector<uint32_t> names;
    std::vector<uint32_t> hosts;
    std::vector<double> values;
    for (int64_t i = start; i < start + n; ++i) {
      ts.push_back(1'700'000'000'000'000'000 + i * 15'000'000'000);
      names.push_back(static_cast<uint32_t>(i % 2));
      values.push_back(static_cast<double>(i % 1000) * 1.25 + 0.001);
      hosts.push_back(static_cast<uint32_t>(i % 100));
    }
    result.batches.emplace_back(
        schema, std::vector<Column>{
                    Column::FromInt64(TypeId::kTimestampNs, std::move(ts)),
                    Column::FromDictionary(StringVector::Of({"cpu", "mem"}), std::move(names)),
                    Column::FromDouble(std::move(values)),
                    Column::FromDictionary(instances, std::move(hosts))});
  }
  return result;
}

// A /proc/self/status field in kB, or -1.
int64_t StatusKb(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) {
      return std::stoll(line.substr(field.size()));
    }
  }
  return -1;
}

size_t Discard(char*, size_t size, size_t count, void* user) {
  *static_cast<size_t*>(user) += size * count;
  return size * count;
}

void BM_HttpSql(benchmark::State& state) {
  const auto format = static_cast<ResultFormat>(state.range(0));
  const bool streamed = state.range(1) != 0;
  auto result = std::make_shared<const SqlResult>(MakeResult(1'000'000));
  http::Router router;
  SqlRoutesOptions options;
  options.execute = [result](const SqlCall&) -> absl::StatusOr<SqlResult> { return *result; };
  if (!streamed) {
    options.stream_threshold_bytes = std::numeric_limits<size_t>::max();
  }
  AddSqlRoutes(router, std::move(options));
  auto server = http::Server::Start({.bind_address = "127.0.0.1", .port = 0}, router);
  if (!server.ok()) {
    state.SkipWithError("cannot start the server");
    return;
  }
  curl_global_init(CURL_GLOBAL_ALL);
  CURL* handle = curl_easy_init();
  std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) +
                    "/api/v1/sql?query=q&format=" + std::string(ResultFormatName(format));
  size_t bytes = 0;
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &bytes);
  int64_t peak_growth_kb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::ofstream("/proc/self/clear_refs") << "5";
    int64_t rss_before = StatusKb("VmRSS:");
    bytes = 0;
    state.ResumeTiming();
    curl_easy_perform(handle);
    state.PauseTiming();
    peak_growth_kb = std::max(peak_growth_kb, StatusKb("VmHWM:") - rss_before);
    state.ResumeTiming();
  }
  curl_easy_cleanup(handle);
  state.SetLabel(std::string(ResultFormatName(format)) + (streamed ? " streamed" : " whole"));
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(result->num_rows()) * state.iterations());
  state.counters["body_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["peak_rss_growth_MB"] = static_cast<double>(peak_growth_kb) / 1e3;
}

BENCHMARK(BM_HttpSql)
    ->ArgsProduct({{static_cast<int>(ResultFormat::kJson), static_cast<int>(ResultFormat::kCsv),
                    static_cast<int>(ResultFormat::kArrow)},
                   {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace cardinalsin::query

BENCHMARK_MAIN();
