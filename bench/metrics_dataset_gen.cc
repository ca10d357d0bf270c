// File: metrics_dataset_gen.cc
//
// Writes the query benchmarks' datasets straight into a local object store, and optionally the
// same samples as OpenMetrics text for Prometheus's `promtool tsdb create-blocks-from
// openmetrics`, so CardinalSin and Prometheus hold identical data (bench/sql_vs_duckdb.sh,
// bench/promql_vs_prometheus.sh).
//
//   metrics_dataset_gen --data-dir DIR (--rows N | --hours H) [--hosts 1000] [--interval-s 10]
//                   [--chunk-minutes 60] [--telemetry] [--openmetrics-dir OMDIR] [--tenant default]
//
// Series:
//   - TSBS-like host metrics: 10 metrics x --hosts hosts, 6 labels each (random walks for
//     percentages and gauges, monotonic counters);
//   - with --telemetry, CardinalSin's own telemetry as the dashboards and query packs read it
//     (original-cardinalsin.md sections 11-13): counters, gauges and second-scale histograms
//     (`_bucket`/`_sum`/`_count`) per service instance, tenant and run; one run per hour, so a
//     run's series exist for that hour only, as in a sequence of benchmark runs.
// One sample per --interval-s from 2026-11-01T00:00:00Z; one chunk per --chunk-minutes window,
// built by the ingester's own chunk builder (ingest::SeriesBuffer -> ingest::BuildChunk, so the
// files are byte-for-byte what an ingester writes) and committed to the tenant's catalog.
// With --openmetrics-dir, OMDIR/<block start seconds>.om holds the samples of each 2-hour
// Prometheus block range (promtool re-reads its whole input once per block, so one file per
// block keeps backfilling linear).
//
// Prints one JSON line: {"rows", "series", "chunks", "bytes", "start_ns", "end_ns"} where
// end_ns is the last sample's time. Deterministic: the same flags give the same samples.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
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

constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kPrometheusBlockNs = 2 * 3600 * kSecondNs;
// 2026-11-01T00:00:00Z: a fixed start keeps runs comparable (and is 2-hour aligned).
constexpr int64_t kStartNs = 1'793'491'200'000'000'000;
constexpr int64_t kRunNs = 3600 * kSecondNs;

// How a series' values move.
enum class Kind {
  kPercent,           // host: mean-reverting walk in [0, 100] with rare spikes above 90
  kGauge,             // host: bounded walk
  kCounter,           // host: monotonic walk
  kTelemetryCounter,  // closed form: `rate` per sample, jittered, from 0 at the run's start
  kTelemetryGauge,    // closed form: `level` times a uniform factor in [0.5, 1.5)
  kTelemetryBucket,   // closed form: floor(count x `fraction`); count as kTelemetryCounter
  kTelemetrySum,      // closed form: count x `fraction` (the mean observation)
};

struct HostMetric {
  const char* name;
  Kind kind;
  double scale;
};
constexpr HostMetric kHostMetrics[] = {
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

// A cheap deterministic generator (SplitMix64).
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

// A uniform number in [0, 1) that depends only on (seed, k).
double UniformAt(uint64_t seed, int64_t k) {
  SplitMix mix{seed ^ (static_cast<uint64_t>(k) * 0xD6E8FEB86659FD93ull)};
  return mix.Uniform();
}

struct Series {
  std::vector<std::string> label_storage;  // name, value pairs (string_views point here)
  ingest::ValidatedSeries validated;
  std::string openmetrics_prefix;  // `name{label="value",...} `
  Kind kind = Kind::kGauge;
  double scale = 0;     // host: level or increment scale; telemetry: per-sample rate or level
  double fraction = 1;  // telemetry buckets and sums
  uint64_t seed = 0;    // telemetry: of the series, or of its histogram's count
  int64_t first_ns = 0, end_ns = INT64_MAX;  // samples in [first_ns, end_ns)
  SplitMix rng{0};
  double value = 0;
};

void FinishSeries(Series& s, uint64_t salt) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t l = 0; l < s.label_storage.size(); l += 2) {
    pairs.emplace_back(s.label_storage[l], s.label_storage[l + 1]);
  }
  std::sort(pairs.begin(), pairs.end());
  s.label_storage.clear();
  for (auto& [name, value] : pairs) {
    s.label_storage.push_back(std::move(name));
    s.label_storage.push_back(std::move(value));
  }
  s.openmetrics_prefix.clear();
  std::string name;
  for (size_t l = 0; l < s.label_storage.size(); l += 2) {
    s.validated.labels.push_back({s.label_storage[l], s.label_storage[l + 1]});
    if (s.label_storage[l] == model::kMetricNameLabel) {
      name = s.label_storage[l + 1];
      continue;
    }
    absl::StrAppendFormat(&s.openmetrics_prefix, "%s%s=\"%s\"",
                          s.openmetrics_prefix.empty() ? "" : ",", s.label_storage[l],
                          s.label_storage[l + 1]);
  }
  s.openmetrics_prefix = absl::StrFormat("%s{%s} ", name, s.openmetrics_prefix);
  s.validated.id = model::ComputeSeriesId(s.validated.labels);
  if (s.seed == 0) s.seed = s.validated.id ^ salt;
}

void AddHostSeries(int hosts, std::vector<Series>& all) {
  for (const HostMetric& metric : kHostMetrics) {
    for (int h = 0; h < hosts; ++h) {
      Series& s = all.emplace_back();
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
      s.kind = metric.kind;
      s.scale = metric.scale;
      FinishSeries(s, 0);
    }
  }
}

// The telemetry model: which service emits what, with which extra labels.
struct TelemetryMetric {
  const char* service;
  const char* name;  // histograms without the _bucket/_sum/_count suffix
  enum { kCounter, kGauge, kHistogram } type;
  double rate_per_second;  // counters and histogram counts; gauges: level
  std::vector<std::pair<const char*, std::vector<const char*>>> labels;  // cross product
  double median_seconds = 0;  // histograms: log-normal observations with this median
};

const std::vector<TelemetryMetric>& TelemetryMetrics() {
  static const auto* metrics = new std::vector<TelemetryMetric>{
      {"cardinalsin-ingester",
       "cardinalsin_ingester_write_rows_total",
       TelemetryMetric::kCounter,
       20000,
       {{"result", {"ok", "error"}}}},
      {"cardinalsin-ingester",
       "cardinalsin_ingester_write_latency_seconds",
       TelemetryMetric::kHistogram,
       40,
       {{"result", {"ok", "error"}}},
       0.004},
      {"cardinalsin-ingester",
       "cardinalsin_ingester_wal_operations_total",
       TelemetryMetric::kCounter,
       40,
       {{"operation", {"append", "truncate", "persist_flushed_seq"}}, {"result", {"ok", "error"}}}},
      {"cardinalsin-ingester",
       "cardinalsin_ingester_buffer_fullness_ratio",
       TelemetryMetric::kGauge,
       0.3,
       {}},
      {"cardinalsin-query",
       "cardinalsin_query_requests_total",
       TelemetryMetric::kCounter,
       15,
       {{"result", {"ok", "error"}}}},
      {"cardinalsin-query",
       "cardinalsin_query_latency_seconds",
       TelemetryMetric::kHistogram,
       15,
       {{"result", {"ok", "error"}}},
       0.05},
      {"cardinalsin-query",
       "cardinalsin_query_bytes_scanned_total",
       TelemetryMetric::kCounter,
       5e7,
       {}},
      {"cardinalsin-query",
       "cardinalsin_query_cache_hits_total",
       TelemetryMetric::kCounter,
       60,
       {}},
      {"cardinalsin-query",
       "cardinalsin_query_cache_misses_total",
       TelemetryMetric::kCounter,
       20,
       {}},
      {"cardinalsin-compactor",
       "cardinalsin_compaction_l0_pending_files",
       TelemetryMetric::kGauge,
       12,
       {}},
      {"cardinalsin-compactor",
       "cardinalsin_compaction_cycle_duration_seconds",
       TelemetryMetric::kHistogram,
       0.1,
       {{"result", {"ok", "error"}}},
       2.0},
      {"cardinalsin-compactor",
       "cardinalsin_compaction_jobs_total",
       TelemetryMetric::kCounter,
       0.2,
       {{"level", {"0", "1", "2"}}, {"result", {"ok", "error"}}}},
      {"cardinalsin-compactor",
       "cardinalsin_metadata_cas_attempts_total",
       TelemetryMetric::kCounter,
       2,
       {{"operation", {"commit", "checkpoint"}},
        {"result", {"ok", "conflict", "error", "unsafe_overwrite"}}}},
      {"cardinalsin-compactor",
       "cardinalsin_metadata_lease_operations_total",
       TelemetryMetric::kCounter,
       1,
       {{"operation", {"acquire", "complete", "fail", "renew", "scavenge"}},
        {"result", {"ok", "conflict", "skipped", "error"}}}},
      {"cardinalsin-compactor",
       "cardinalsin_split_actions_total",
       TelemetryMetric::kCounter,
       0.5,
       {{"action", {"evaluate", "split", "transfer_lease", "move_replica"}},
        {"result", {"none", "ok", "error"}}}},
  };
  return *metrics;
}

constexpr std::pair<const char*, int> kTelemetryServices[] = {
    {"cardinalsin-ingester", 4}, {"cardinalsin-query", 2}, {"cardinalsin-compactor", 1}};
constexpr const char* kTenants[] = {"default", "team-a", "team-b"};
constexpr const char* kBuckets[] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                    "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "+Inf"};

// Results other than ok are rare; conflicts less so.
double ResultShare(const std::vector<std::string>& labels) {
  for (size_t l = 0; l + 1 < labels.size(); l += 2) {
    if (labels[l] != "result") continue;
    const std::string& r = labels[l + 1];
    if (r == "ok" || r == "none") return 1;
    if (r == "conflict" || r == "skipped") return 0.05;
    return 0.01;
  }
  return 1;
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Appends every telemetry series of the runs overlapping [kStartNs, end_ns].
void AddTelemetrySeries(int64_t end_ns, double interval_s, std::vector<Series>& all) {
  int run = 0;
  for (int64_t run_start = kStartNs; run_start <= end_ns; run_start += kRunNs, ++run) {
    const std::string run_id = absl::StrFormat("run-%04d", run + 1);
    for (const TelemetryMetric& metric : TelemetryMetrics()) {
      int instances = 0;
      for (const auto& [service, count] : kTelemetryServices) {
        if (std::string_view(service) == metric.service) instances = count;
      }
      for (int instance = 0; instance < instances; ++instance) {
        for (const char* tenant : kTenants) {
          // The cross product of the metric's own labels.
          std::vector<std::vector<std::string>> combos = {{}};
          for (const auto& [label, values] : metric.labels) {
            std::vector<std::vector<std::string>> next;
            for (const auto& combo : combos) {
              for (const char* value : values) {
                next.push_back(combo);
                next.back().push_back(label);
                next.back().push_back(value);
              }
            }
            combos = std::move(next);
          }
          for (const auto& combo : combos) {
            std::vector<std::string> base = {
                "instance", absl::StrFormat("%s-%d:8080", metric.service, instance),
                "job",      metric.service,
                "run_id",   run_id,
                "service",  metric.service,
                "tenant",   tenant};
            base.insert(base.end(), combo.begin(), combo.end());
            const double share = ResultShare(base);
            auto add = [&](std::string name, Kind kind, double scale, double fraction,
                           uint64_t seed, std::vector<std::string> extra) {
              Series& s = all.emplace_back();
              s.label_storage = base;
              s.label_storage.push_back("__name__");
              s.label_storage.push_back(std::move(name));
              s.label_storage.insert(s.label_storage.end(), extra.begin(), extra.end());
              s.kind = kind;
              s.scale = scale;
              s.fraction = fraction;
              s.seed = seed;
              s.first_ns = run_start;
              s.end_ns = run_start + kRunNs;
              FinishSeries(s, 0x7E1E);
            };
            const double per_sample = metric.rate_per_second * interval_s * share;
            switch (metric.type) {
              case TelemetryMetric::kCounter:
                add(metric.name, Kind::kTelemetryCounter, per_sample, 1, 0, {});
                break;
              case TelemetryMetric::kGauge:
                add(metric.name, Kind::kTelemetryGauge, metric.rate_per_second, 1, 0, {});
                break;
              case TelemetryMetric::kHistogram: {
                // One seed for the histogram's count, shared by its buckets, sum and count.
                SplitMix mix{0x5EED0000ull + static_cast<uint64_t>(all.size())};
                const uint64_t count_seed = mix.Next() | 1;
                // The median drifts from run to run.
                const double median =
                    metric.median_seconds * (0.7 + 0.6 * UniformAt(count_seed, run));
                constexpr double kSigma = 1.0;
                for (const char* le : kBuckets) {
                  const double fraction =
                      std::string_view(le) == "+Inf"
                          ? 1.0
                          : NormalCdf((std::log(std::stod(le)) - std::log(median)) / kSigma);
                  add(std::string(metric.name) + "_bucket", Kind::kTelemetryBucket, per_sample,
                      fraction, count_seed, {"le", le});
                }
                add(std::string(metric.name) + "_count", Kind::kTelemetryBucket, per_sample, 1,
                    count_seed, {});
                add(std::string(metric.name) + "_sum", Kind::kTelemetrySum, per_sample,
                    median * std::exp(kSigma * kSigma / 2), count_seed, {});
                break;
              }
            }
          }
        }
      }
    }
  }
}

void ResetSeries(Series& s) {
  s.rng.state = s.validated.id;
  switch (s.kind) {
    case Kind::kCounter:
      s.value = std::floor(s.rng.Uniform() * 1e6);
      break;
    case Kind::kPercent:
    case Kind::kGauge:
      s.value = s.scale * (0.5 + s.rng.Uniform());
      break;
    default:
      break;
  }
}

// A telemetry counter `k` samples after its start: about rate x k, never decreasing.
double CounterAt(uint64_t seed, double rate, int64_t k) {
  return std::floor(rate * static_cast<double>(k) + 0.9 * rate * UniformAt(seed, k));
}

// The value of `s` at `t_ns`, the k-th sample of the series; host series advance their walk,
// so they must be called for consecutive samples.
double ValueAt(Series& s, int64_t t_ns, double interval_s) {
  const int64_t k = static_cast<int64_t>(
      std::llround(static_cast<double>(t_ns - s.first_ns) / (interval_s * kSecondNs)));
  const bool host = s.kind == Kind::kPercent || s.kind == Kind::kGauge || s.kind == Kind::kCounter;
  const double u = host ? s.rng.Uniform() : 0;
  switch (s.kind) {
    case Kind::kPercent: {
      // Mean-reverting walk around the metric's level, clamped to [0, 100]; rare spikes.
      s.value += 0.05 * (s.scale - s.value) + (u - 0.5) * 8;
      if (s.rng.Uniform() < 0.002) s.value = 90 + 10 * s.rng.Uniform();
      s.value = std::clamp(s.value, 0.0, 100.0);
      return std::round(s.value * 100) / 100;
    }
    case Kind::kGauge:
      s.value = std::clamp(s.value + (u - 0.5) * 2, 5.0, 99.0);
      return std::round(s.value * 100) / 100;
    case Kind::kCounter:
      s.value += std::floor(u * 2 * s.scale * 10);
      return s.value;
    case Kind::kTelemetryCounter:
      return CounterAt(s.seed, s.scale, k);
    case Kind::kTelemetryGauge:
      return std::round(s.scale * (0.5 + UniformAt(s.seed, k)) * 100) / 100;
    case Kind::kTelemetryBucket:
      return std::floor(CounterAt(s.seed, s.scale, k) * s.fraction);
    case Kind::kTelemetrySum:
      return CounterAt(s.seed, s.scale, k) * s.fraction;
  }
  return 0;
}

// OMDIR/<block start seconds>.om, one per 2-hour Prometheus block range, each ending in `# EOF`.
class OpenMetricsFiles {
 public:
  explicit OpenMetricsFiles(std::string dir) : dir_(std::move(dir)) {}
  ~OpenMetricsFiles() { (void)Close(); }

  bool enabled() const { return !dir_.empty(); }

  absl::Status Open(int64_t window_start_ns) {
    const int64_t block = window_start_ns / kPrometheusBlockNs * kPrometheusBlockNs;
    if (file_ != nullptr && block == block_) return absl::OkStatus();
    CS_RETURN_IF_ERROR(Close());
    const std::string path = absl::StrFormat("%s/%d.om", dir_, block / kSecondNs);
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) return absl::InternalError("cannot create " + path);
    block_ = block;
    return absl::OkStatus();
  }

  void Write(const std::string& prefix, double value, int64_t t_ns) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    line_.assign(prefix);
    line_.append(buffer, end);
    absl::StrAppendFormat(&line_, " %d\n", t_ns / kSecondNs);
    std::fwrite(line_.data(), 1, line_.size(), file_);
  }

  absl::Status Close() {
    if (file_ == nullptr) return absl::OkStatus();
    std::fputs("# EOF\n", file_);
    const bool failed = std::ferror(file_) != 0;
    const bool close_failed = std::fclose(file_) != 0;
    file_ = nullptr;
    if (failed || close_failed) return absl::InternalError("writing OpenMetrics files failed");
    return absl::OkStatus();
  }

 private:
  std::string dir_;
  std::FILE* file_ = nullptr;
  int64_t block_ = 0;
  std::string line_;
};

struct Options {
  std::string data_dir;
  std::string tenant = "default";
  uint64_t rows = 100'000'000;
  double hours = 0;
  int hosts = 1000;
  int interval_s = 10;
  int chunk_minutes = 60;
  bool telemetry = false;
  std::string openmetrics_dir;
};

absl::Status Run(const Options& opt) {
  if ((3600 % opt.interval_s) != 0)
    return absl::InvalidArgumentError("--interval-s must divide 3600");
  if ((120 % opt.chunk_minutes) != 0) {
    return absl::InvalidArgumentError("--chunk-minutes must divide 120");
  }
  base::SeededRandom random(42);
  io::ObjectStoreConfig config;
  config.data_dir = opt.data_dir;
  CS_RETURN_IF_ERROR(io::ResolveObjectStoreConfig(config));
  CS_ASSIGN_OR_RETURN(auto store, io::OpenObjectStore(config, base::SystemClock(), random));
  CS_ASSIGN_OR_RETURN(auto catalog, catalog::Catalog::Open(store.get(), opt.tenant,
                                                           {.writer_id = "sql-dataset-gen"}));
  const int64_t interval_ns = opt.interval_s * kSecondNs;
  const uint64_t host_series = static_cast<uint64_t>(opt.hosts) * std::size(kHostMetrics);
  const uint64_t samples_per_series = opt.hours > 0
                                          ? static_cast<uint64_t>(opt.hours * 3600 / opt.interval_s)
                                          : std::max<uint64_t>(1, opt.rows / host_series);
  const int64_t end_ns = kStartNs + static_cast<int64_t>(samples_per_series - 1) * interval_ns;

  std::vector<Series> series;
  AddHostSeries(opt.hosts, series);
  if (opt.telemetry) AddTelemetrySeries(end_ns, opt.interval_s, series);
  for (Series& s : series) {
    if (s.first_ns == 0) s.first_ns = kStartNs;
    ResetSeries(s);
  }

  OpenMetricsFiles openmetrics(opt.openmetrics_dir);
  const parquet::WriterOptions options = ingest::DefaultChunkOptions();
  const int64_t window_ns = opt.chunk_minutes * 60 * kSecondNs;
  uint64_t total_rows = 0, total_bytes = 0, chunks = 0;
  for (int64_t window = kStartNs; window <= end_ns; window += window_ns) {
    const int64_t window_last = std::min(window + window_ns - interval_ns, end_ns);
    if (openmetrics.enabled()) CS_RETURN_IF_ERROR(openmetrics.Open(window));
    ingest::SeriesBuffer buffer;
    for (Series& s : series) {
      s.validated.timestamps_ns.clear();
      s.validated.values.clear();
      for (int64_t t = std::max(window, s.first_ns); t <= window_last && t < s.end_ns;
           t += interval_ns) {
        const double value = ValueAt(s, t, opt.interval_s);
        s.validated.timestamps_ns.push_back(t);
        s.validated.values.push_back(value);
        if (openmetrics.enabled()) openmetrics.Write(s.openmetrics_prefix, value, t);
      }
      if (!s.validated.timestamps_ns.empty()) buffer.Append(s.validated, 0, absl::Now());
    }
    CS_ASSIGN_OR_RETURN(
        ingest::BuiltChunk chunk,
        ingest::BuildChunk(opt.tenant, buffer.ToRecordBatch(), options, absl::Now(), random));
    CS_RETURN_IF_ERROR(store->Put(chunk.summary.path, chunk.bytes).status());
    CS_RETURN_IF_ERROR(catalog->Commit({.add = {chunk.summary}}).status());
    total_rows += chunk.summary.row_count;
    total_bytes += chunk.bytes.size();
    ++chunks;
    std::fprintf(stderr, "chunk %llu: %llu rows, %zu bytes\n",
                 static_cast<unsigned long long>(chunks),
                 static_cast<unsigned long long>(chunk.summary.row_count), chunk.bytes.size());
  }
  CS_RETURN_IF_ERROR(openmetrics.Close());
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
  CLI::App app{"Writes a benchmark dataset as committed chunks (and optionally OpenMetrics)"};
  cardinalsin::Options opt;
  app.add_option("--data-dir", opt.data_dir, "Local object store directory (as --data-dir)")
      ->required();
  auto* rows = app.add_option("--rows", opt.rows, "Approximate host-metric row count")
                   ->check(CLI::PositiveNumber);
  app.add_option("--hours", opt.hours, "Hours of samples (instead of --rows)")
      ->check(CLI::PositiveNumber)
      ->excludes(rows);
  app.add_option("--hosts", opt.hosts, "Hosts (host series = 10 x hosts)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--interval-s", opt.interval_s, "Seconds between samples")
      ->check(CLI::Range(1, 3600));
  app.add_option("--chunk-minutes", opt.chunk_minutes, "Minutes per chunk (divides 120)")
      ->check(CLI::Range(1, 120));
  app.add_flag("--telemetry", opt.telemetry, "Add CardinalSin's telemetry series");
  app.add_option("--openmetrics-dir", opt.openmetrics_dir,
                 "Also write the samples as OpenMetrics text, one file per 2-hour block");
  app.add_option("--tenant", opt.tenant, "Tenant");
  CLI11_PARSE(app, argc, argv);
  absl::Status status = cardinalsin::Run(opt);
  if (!status.ok()) {
    std::fprintf(stderr, "metrics_dataset_gen: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
