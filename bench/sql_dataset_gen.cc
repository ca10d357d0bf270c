// File: sql_dataset_gen.cc
//
// Writes the SQL benchmark's dataset (bench/sql_vs_duckdb.sh) straight into a local object
// store: TSBS-like host metrics (10 metrics x --hosts hosts, 6 labels per series, one sample per
// 10 s) over as many hours as --rows needs, one chunk per hour built by the ingester's own chunk
// builder (ingest::SeriesBuffer -> ingest::BuildChunk, so the files are byte-for-byte what an
// ingester writes) and committed to the tenant's catalog one chunk per commit.
//
//   sql_dataset_gen --data-dir DIR --rows 100000000 [--hosts 1000] [--tenant default]
//
// Prints one JSON line: {"rows", "series", "chunks", "bytes", "start_ns", "end_ns"} where
// end_ns is the last sample's time. Deterministic: the same flags give the same samples.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/status_macros.h"
#include "catalog/catalog.h"
#include "ingest/chunk_builder.h"
#include "ingest/series_buffer.h"
#include "ingest/series_validation.h"
#include "io/object_store_config.h"
#include "model/labels.h"

namespace cardinalsin {
namespace {

constexpr int64_t kIntervalNs = 10'000'000'000;  // 10 s
constexpr int64_t kHourNs = 3600'000'000'000;
// 2026-11-01T00:00:00Z: a fixed start keeps runs comparable.
constexpr int64_t kStartNs = 1'793'491'200'000'000'000;

// How a metric's values move: cpu-like percentages, a memory gauge, or monotonic counters.
enum class Kind { kPercent, kGauge, kCounter };
struct MetricDef {
  const char* name;
  Kind kind;
  double scale;
};
constexpr MetricDef kMetrics[] = {
    {"cpu_usage_user", Kind::kPercent, 35},
    {"cpu_usage_system", Kind::kPercent, 12},
    {"cpu_usage_idle", Kind::kPercent, 50},
    {"cpu_usage_iowait", Kind::kPercent, 3},
    {"mem_used_percent", Kind::kGauge, 60},
    {"disk_io_time_seconds_total", Kind::kCounter, 0.02},
    {"net_bytes_recv_total", Kind::kCounter, 40000},
    {"net_bytes_sent_total", Kind::kCounter, 25000},
    {"http_requests_total", Kind::kCounter, 120},
    {"http_errors_total", Kind::kCounter, 0.4},
};
constexpr const char* kRegions[] = {"us-east-1", "us-west-2", "eu-west-1"};
constexpr const char* kOs[] = {"Ubuntu22.04LTS", "Ubuntu20.04LTS", "Debian12"};
constexpr const char* kServices[] = {"api",  "web",    "db",      "cache", "queue",
                                     "auth", "search", "billing", "mail",  "batch"};

// A cheap deterministic generator per series (SplitMix64), independent of sample order.
struct SplitMix {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

struct Series {
  std::vector<std::string> label_storage;  // name, value pairs (string_views point here)
  ingest::ValidatedSeries validated;
  const MetricDef* metric = nullptr;
  SplitMix rng{0};
  double value = 0;
};

std::vector<Series> MakeSeries(int hosts) {
  std::vector<Series> all(static_cast<size_t>(hosts) * std::size(kMetrics));
  size_t i = 0;
  for (const MetricDef& metric : kMetrics) {
    for (int h = 0; h < hosts; ++h, ++i) {
      Series& s = all[i];
      const int region = h % 3;
      s.label_storage = {
          "__name__",   metric.name,
          "datacenter", absl::StrFormat("%s%c", kRegions[region], 'a' + (h / 3) % 3),
          "hostname",   absl::StrFormat("host_%d", h),
          "os",         kOs[h % 3],
          "rack",       absl::StrFormat("%d", h % 100),
          "region",     kRegions[region],
          "service",    kServices[h % 10],
      };
      for (size_t l = 0; l < s.label_storage.size(); l += 2) {
        s.validated.labels.push_back({s.label_storage[l], s.label_storage[l + 1]});
      }
      s.validated.id = model::ComputeSeriesId(s.validated.labels);
      s.metric = &metric;
      s.rng.state = s.validated.id;
      s.value = metric.kind == Kind::kCounter ? std::floor(s.rng.Uniform() * 1e6)
                                              : metric.scale * (0.5 + s.rng.Uniform());
    }
  }
  return all;
}

// Advances `s` by one interval and returns the new value.
double Step(Series& s) {
  const double u = s.rng.Uniform();
  switch (s.metric->kind) {
    case Kind::kPercent: {
      // Mean-reverting walk around the metric's level, clamped to [0, 100]; rare spikes.
      const double target = s.metric->scale;
      s.value += 0.05 * (target - s.value) + (u - 0.5) * 8;
      if (s.rng.Uniform() < 0.002) s.value = 90 + 10 * s.rng.Uniform();
      s.value = std::clamp(s.value, 0.0, 100.0);
      return std::round(s.value * 100) / 100;
    }
    case Kind::kGauge:
      s.value = std::clamp(s.value + (u - 0.5) * 2, 5.0, 99.0);
      return std::round(s.value * 100) / 100;
    case Kind::kCounter:
      s.value += std::floor(u * 2 * s.metric->scale * 10);
      return s.value;
  }
  return 0;
}

absl::Status Run(const std::string& data_dir, const std::string& tenant, uint64_t rows, int hosts) {
  base::SeededRandom random(42);
  io::ObjectStoreConfig config;
  config.data_dir = data_dir;
  CS_RETURN_IF_ERROR(io::ResolveObjectStoreConfig(config));
  CS_ASSIGN_OR_RETURN(auto store, io::OpenObjectStore(config, base::SystemClock(), random));
  CS_ASSIGN_OR_RETURN(
      auto catalog, catalog::Catalog::Open(store.get(), tenant, {.writer_id = "sql-dataset-gen"}));
  std::vector<Series> series = MakeSeries(hosts);
  const uint64_t samples_per_series = std::max<uint64_t>(1, rows / series.size());
  const int64_t end_ns = kStartNs + static_cast<int64_t>(samples_per_series - 1) * kIntervalNs;
  const parquet::WriterOptions options = ingest::DefaultChunkOptions();
  uint64_t total_rows = 0, total_bytes = 0, chunks = 0;
  for (int64_t hour = kStartNs; hour <= end_ns; hour += kHourNs) {
    const int64_t hour_end = std::min(hour + kHourNs - kIntervalNs, end_ns);
    ingest::SeriesBuffer buffer;
    for (Series& s : series) {
      s.validated.timestamps_ns.clear();
      s.validated.values.clear();
      for (int64_t t = hour; t <= hour_end; t += kIntervalNs) {
        s.validated.timestamps_ns.push_back(t);
        s.validated.values.push_back(Step(s));
      }
      buffer.Append(s.validated, 0, absl::Now());
    }
    CS_ASSIGN_OR_RETURN(ingest::BuiltChunk chunk, ingest::BuildChunk(tenant, buffer.ToRecordBatch(),
                                                                     options, absl::Now(), random));
    CS_RETURN_IF_ERROR(store->Put(chunk.summary.path, chunk.bytes).status());
    CS_RETURN_IF_ERROR(catalog->Commit({.add = {chunk.summary}}).status());
    total_rows += chunk.summary.row_count;
    total_bytes += chunk.bytes.size();
    ++chunks;
    std::fprintf(stderr, "chunk %llu: %llu rows, %zu bytes\n",
                 static_cast<unsigned long long>(chunks),
                 static_cast<unsigned long long>(chunk.summary.row_count), chunk.bytes.size());
  }
  std::printf(
      "{\"rows\": %llu, \"series\": %zu, \"chunks\": %llu, \"bytes\": %llu, \"start_ns\": %lld, "
      "\"end_ns\": %lld}\n",
      static_cast<unsigned long long>(total_rows), series.size(),
      static_cast<unsigned long long>(chunks), static_cast<unsigned long long>(total_bytes),
      static_cast<long long>(kStartNs), static_cast<long long>(end_ns));
  return absl::OkStatus();
}

}  // namespace
}  // namespace cardinalsin

int main(int argc, char** argv) {
  CLI::App app{"Writes the SQL benchmark dataset as committed chunks"};
  std::string data_dir, tenant = "default";
  uint64_t rows = 100'000'000;
  int hosts = 1000;
  app.add_option("--data-dir", data_dir, "Local object store directory (as --data-dir)")
      ->required();
  app.add_option("--rows", rows, "Approximate row count")->check(CLI::PositiveNumber);
  app.add_option("--hosts", hosts, "Hosts (series = 10 x hosts)")->check(CLI::Range(1, 1000000));
  app.add_option("--tenant", tenant, "Tenant");
  CLI11_PARSE(app, argc, argv);
  absl::Status status = cardinalsin::Run(data_dir, tenant, rows, hosts);
  if (!status.ok()) {
    std::fprintf(stderr, "sql_dataset_gen: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
