// Parquet codec throughput and size on node_exporter-like data (issue 3). Generates one hour of
// 15 s scrapes for --hosts hosts x ~--series-per-host series, sorted by (metric_name, series_id,
// timestamp) like an ingester flush, then times ParquetWriter and ParquetReader on one core and
// writes the chunk to --out so bench/parquet_codec.sh can hand the same data to pyarrow.
// Prints one JSON object.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "parquet/reader.h"
#include "parquet/writer.h"

namespace cardinalsin {
namespace {

struct Series {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  int kind;  // 0 counter, 1 constant gauge, 2 wandering gauge, 3 noisy gauge
  double value;
  double rate;
};

// Label shapes of node_exporter: cpu x mode counters, per-device disk and network counters,
// filesystem gauges, memory gauges and many constant info-like gauges.
std::vector<Series> HostSeries(int host, int target, std::mt19937_64& rng) {
  std::vector<Series> out;
  const std::string instance = absl::StrFormat("host-%04d:9100", host);
  auto add = [&](std::string name, std::vector<std::pair<std::string, std::string>> extra, int kind,
                 double value, double rate) {
    extra.insert(extra.begin(), {{"instance", instance}, {"job", "node"}});
    out.push_back({std::move(name), std::move(extra), kind, value, rate});
  };
  const char* modes[] = {"user", "system", "idle", "iowait", "irq", "softirq", "steal", "nice"};
  for (int cpu = 0; cpu < 8; ++cpu) {
    for (const char* mode : modes) {
      add("node_cpu_seconds_total", {{"cpu", std::to_string(cpu)}, {"mode", mode}}, 0,
          1e5 * (rng() % 100), std::string(mode) == "idle" ? 14.0 : 0.3);
    }
  }
  const char* disk_metrics[] = {"node_disk_read_bytes_total", "node_disk_written_bytes_total",
                                "node_disk_reads_completed_total",
                                "node_disk_io_time_seconds_total"};
  for (const char* device : {"sda", "sdb", "nvme0n1"}) {
    for (const char* m : disk_metrics) add(m, {{"device", device}}, 0, 1e9, 4e4);
  }
  const char* net_metrics[] = {
      "node_network_receive_bytes_total", "node_network_transmit_bytes_total",
      "node_network_receive_packets_total", "node_network_transmit_packets_total"};
  for (const char* device : {"eth0", "lo", "docker0"}) {
    for (const char* m : net_metrics) add(m, {{"device", device}}, 0, 1e10, 2e5);
  }
  for (const char* mount : {"/", "/boot", "/var", "/home"}) {
    add("node_filesystem_size_bytes",
        {{"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", mount}}, 1, 1e11, 0);
    add("node_filesystem_avail_bytes",
        {{"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", mount}}, 2, 5e10, 1e5);
  }
  for (const char* m : {"node_memory_MemAvailable_bytes", "node_memory_Cached_bytes",
                        "node_memory_Buffers_bytes"}) {
    add(m, {}, 3, 8e9, 0);
  }
  add("node_load1", {}, 3, 1.5, 0);
  add("node_load5", {}, 3, 1.2, 0);
  for (int i = 0; static_cast<int>(out.size()) < target; ++i) {
    add(absl::StrFormat("node_info_metric_%03d", i / 4), {{"index", std::to_string(i % 4)}}, 1,
        static_cast<double>(rng() % 4096), 0);
  }
  return out;
}

model::RecordBatch Generate(int hosts, int series_per_host, int samples_per_series) {
  std::mt19937_64 rng(42);
  struct Row {
    size_t series;
    int64_t ts;
    double value;
  };
  std::vector<Series> all;
  std::vector<int64_t> scrape_offsets;  // per host: a stable phase plus per-scrape jitter
  std::vector<size_t> host_of;
  for (int h = 0; h < hosts; ++h) {
    for (Series& s : HostSeries(h, series_per_host, rng)) {
      all.push_back(std::move(s));
      host_of.push_back(h);
    }
  }
  std::vector<std::string> label_names;
  for (const Series& s : all) {
    for (const auto& [k, v] : s.labels) label_names.push_back(k);
  }
  std::sort(label_names.begin(), label_names.end());
  label_names.erase(std::unique(label_names.begin(), label_names.end()), label_names.end());
  // series_id: a hash of the label set; sorting uses (name, id) as the ingester does.
  std::vector<uint64_t> ids(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    uint64_t h = std::hash<std::string>{}(all[i].name);
    for (const auto& [k, v] : all[i].labels)
      h = h * 1000003 ^ std::hash<std::string>{}(k + "=" + v);
    ids[i] = h;
  }
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(all[a].name, ids[a]) < std::tie(all[b].name, ids[b]);
  });
  const int64_t start = 1'700'000'000'000'000'000;
  std::vector<std::vector<int64_t>> host_times(hosts);
  for (int h = 0; h < hosts; ++h) {
    const int64_t phase = static_cast<int64_t>(rng() % 15'000) * 1'000'000;
    for (int k = 0; k < samples_per_series; ++k) {
      host_times[h].push_back(start + phase + k * 15'000'000'000LL +
                              static_cast<int64_t>(rng() % 20) * 1'000'000);  // ms jitter
    }
  }
  const size_t rows = all.size() * samples_per_series;
  std::vector<int64_t> ts;
  std::vector<double> values;
  std::vector<uint64_t> series_ids;
  model::StringVector names;
  std::vector<model::StringVector> labels(label_names.size());
  std::vector<std::vector<uint8_t>> valid(label_names.size());
  ts.reserve(rows);
  for (size_t idx : order) {
    Series& s = all[idx];
    for (int k = 0; k < samples_per_series; ++k) {
      ts.push_back(host_times[host_of[idx]][k]);
      switch (s.kind) {
        case 0:
          s.value += std::floor(s.rate * 15 * (0.5 + (rng() % 1000) / 1000.0));
          break;
        case 2:
          if (rng() % 10 == 0) s.value -= 4096 * (rng() % 16);
          break;
        case 3:
          s.value = std::round(s.value * (0.99 + (rng() % 200) / 10000.0));
          break;
        default:
          break;
      }
      values.push_back(s.value);
      series_ids.push_back(ids[idx]);
      names.Append(s.name);
      for (size_t l = 0; l < label_names.size(); ++l) {
        auto it = std::find_if(s.labels.begin(), s.labels.end(),
                               [&](const auto& kv) { return kv.first == label_names[l]; });
        labels[l].Append(it == s.labels.end() ? "" : it->second);
        valid[l].push_back(it != s.labels.end());
      }
    }
  }
  std::vector<model::Column> columns = {
      model::Column::FromInt64(model::TypeId::kTimestampNs, ts), model::Column::FromStrings(names),
      model::Column::FromDouble(values), model::Column::FromUInt64(series_ids)};
  for (size_t l = 0; l < label_names.size(); ++l) {
    columns.push_back(model::Column::FromStrings(labels[l]));
    columns.back().SetValidity(valid[l]);
  }
  return model::RecordBatch(model::MetricsSchema(label_names), std::move(columns));
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Main(int argc, char** argv) {
  int hosts = 40, series_per_host = 500, samples = 240, iterations = 3;
  std::string out = "/tmp/cardinalsin_node_exporter.parquet";
  CLI::App app{"Parquet codec benchmark on node_exporter-like data"};
  app.add_option("--hosts", hosts)->capture_default_str();
  app.add_option("--series-per-host", series_per_host)->capture_default_str();
  app.add_option("--samples-per-series", samples)->capture_default_str();
  app.add_option("--iterations", iterations)->capture_default_str();
  app.add_option("--out", out)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  model::RecordBatch batch = Generate(hosts, series_per_host, samples);
  parquet::WriterOptions options;
  options.sorting_columns = {"metric_name", "series_id", "timestamp"};
  std::string file;
  double encode = 1e9, decode = 1e9;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    file = parquet::WriteParquet(batch, options).value();
    encode = std::min(encode, Seconds(t0));
    t0 = std::chrono::steady_clock::now();
    // Row group by row group, as the query engine consumes a chunk (and as pyarrow's table
    // keeps one array chunk per row group).
    parquet::MemoryByteSource source(file);
    auto reader = parquet::ParquetReader::Open(source).value();
    size_t rows_read = 0;
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      rows_read += reader->ReadRowGroup(g).value().num_rows();
    }
    decode = std::min(decode, Seconds(t0));
    if (rows_read != batch.num_rows()) return 1;
  }
  std::ofstream(out, std::ios::binary) << file;
  const double rows = static_cast<double>(batch.num_rows());
  std::printf(
      "{\"rows\":%.0f,\"series\":%zu,\"file_bytes\":%zu,\"bytes_per_sample\":%.3f,"
      "\"encode_rows_per_s\":%.0f,\"decode_rows_per_s\":%.0f,\"encode_s\":%.4f,\"decode_s\":%.4f}"
      "\n",
      rows, batch.num_rows() / samples, file.size(), file.size() / rows, rows / encode,
      rows / decode, encode, decode);
  return 0;
}

}  // namespace
}  // namespace cardinalsin

int main(int argc, char** argv) { return cardinalsin::Main(argc, argv); }
