// File: internal/test_dataset.h
//
// Test support for the plan module's tests (not part of cs_plan): an in-memory object store with
// a tenant catalog, rows written as chunks through scan/testing/chunk_writer.h, the engine over
// them with a fixed clock, and a text rendering of results for golden files.
//
// Row text, one sample per line (Prometheus exposition style):
//   cpu{host="a",region="eu"} 2024-01-01T11:00:00Z 1.5
// timestamps as RFC 3339 or integer nanoseconds; values as numbers, NaN, +Inf, -Inf.
//
// Thread-safety: single-threaded test fixtures.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "base/clock.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "catalog/catalog.h"
#include "exec/value.h"
#include "io/in_memory_object_store.h"
#include "plan/sql_engine.h"
#include "scan/testing/chunk_writer.h"

namespace cardinalsin::plan::internal {

// `text` split at `sep`, empty pieces dropped.
inline std::vector<std::string> SplitNonEmpty(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

inline absl::StatusOr<scan::testing::TestRow> ParseRow(std::string_view line) {
  scan::testing::TestRow row;
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(base::StrCat("bad row '", line, "': ", why));
  };
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  row.metric = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    size_t end = line.find('}', i);
    if (end == std::string_view::npos) return bad("missing }");
    std::string_view labels = line.substr(i + 1, end - i - 1);
    if (!labels.empty()) {
      for (const std::string& pair : SplitNonEmpty(labels, ',')) {
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos || pair.size() < eq + 3) return bad("label needs k=\"v\"");
        row.labels[std::string(pair.substr(0, eq))] = pair.substr(eq + 2, pair.size() - eq - 3);
      }
    }
    i = end + 1;
  }
  std::vector<std::string> rest = SplitNonEmpty(line.substr(i), ' ');
  if (rest.size() != 2) return bad("expected metric{labels} timestamp value");
  if (!absl::SimpleAtoi(rest[0], &row.timestamp_ns)) {
    absl::StatusOr<int64_t> ns = exec::ParseTimestamp(rest[0]);
    if (!ns.ok()) return bad(std::string(ns.status().message()));
    row.timestamp_ns = *ns;
  }
  absl::StatusOr<exec::Scalar> value =
      exec::CastScalar(exec::Scalar::String(rest[1]), model::TypeId::kDouble);
  if (!value.ok()) return bad(std::string(value.status().message()));
  row.value = value->double_value();
  return row;
}

// One cell as golden files show it.
inline std::string CellText(const model::Column& column, size_t row) {
  exec::Scalar v = exec::ScalarAt(column, row);
  if (v.is_null()) return "NULL";
  switch (v.type) {
    case model::TypeId::kBool:
      return v.bool_value() ? "true" : "false";
    case model::TypeId::kInt64:
      return std::to_string(v.int64_value());
    case model::TypeId::kUInt64:
      return std::to_string(v.uint64_value());
    case model::TypeId::kDouble:
      return exec::FormatDouble(v.double_value());
    case model::TypeId::kString:
      return v.string_value().empty() ? "(empty)" : v.string_value();
    case model::TypeId::kTimestampNs:
      return exec::FormatTimestamp(v.int64_value());
  }
  return "?";
}

// The header line (column names joined by '|'), then one line per row.
inline std::vector<std::string> ResultLines(const QueryResult& result) {
  std::vector<std::string> lines;
  std::string header;
  for (size_t c = 0; c < result.schema.size(); ++c) {
    if (c > 0) header += "|";
    header += result.schema.field(c).name;
  }
  lines.push_back(header);
  for (const model::RecordBatch& batch : result.batches) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::string line;
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        if (c > 0) line += "|";
        line += CellText(batch.column(c), r);
      }
      lines.push_back(line);
    }
  }
  return lines;
}

// An in-memory tenant ("default") with chunks, and an engine over it.
class TestDatabase {
 public:
  static constexpr std::string_view kTenant = "default";

  TestDatabase() : clock_(absl::FromUnixSeconds(1704110400)) {}  // 2024-01-01T12:00:00Z

  absl::Status Init(int threads = 2) {
    CS_ASSIGN_OR_RETURN(catalog_, catalog::Catalog::Open(&store_, std::string(kTenant),
                                                         {.writer_id = "test", .clock = &clock_}));
    SqlEngineOptions options;
    options.threads = threads;
    options.clock = &clock_;
    options.scanner.ram_cache_bytes = 0;
    CS_ASSIGN_OR_RETURN(engine_, SqlEngine::Create(&store_, options));
    return absl::OkStatus();
  }

  // Writes `rows` as one chunk named `name` (several row groups of `row_group_rows`).
  absl::Status AddChunk(std::string_view name, std::vector<scan::testing::TestRow> rows,
                        size_t row_group_rows = 1 << 20) {
    if (rows.empty()) return absl::InvalidArgumentError("a chunk needs rows");
    CS_ASSIGN_OR_RETURN(catalog::ChunkSummary summary,
                        scan::testing::CommitChunk(store_, *catalog_, name,
                                                   scan::testing::MetricsRows(std::move(rows)),
                                                   scan::testing::ChunkOptions(row_group_rows)));
    (void)summary;
    return absl::OkStatus();
  }

  // The shared dataset `hourly`: 24 chunks, one per hour of 2024-01-01; in each, metrics
  // cpu_usage and mem_bytes for hosts h1, h2, h3 every 10 minutes (6 samples per series and
  // hour; 36 rows per chunk, two row groups of 18). h1 and h2 have a `region` label (eu, us);
  // h3 has none. cpu_usage = hour + host number / 10, mem_bytes = 1000 * host number + minute.
  absl::Status AddHourlyDataset() {
    for (int hour = 0; hour < 24; ++hour) {
      std::vector<scan::testing::TestRow> rows;
      for (int host = 1; host <= 3; ++host) {
        for (int minute = 0; minute < 60; minute += 10) {
          std::map<std::string, std::string> labels = {{"host", base::StrCat("h", host)}};
          if (host == 1) labels["region"] = "eu";
          if (host == 2) labels["region"] = "us";
          int64_t ts = absl::ToUnixNanos(absl::FromUnixSeconds(1704067200) + absl::Hours(hour) +
                                         absl::Minutes(minute));
          rows.push_back({"cpu_usage", labels, ts, hour + host / 10.0});
          rows.push_back({"mem_bytes", labels, ts, 1000.0 * host + minute});
        }
      }
      CS_RETURN_IF_ERROR(AddChunk(base::StrCat("hour", hour), std::move(rows), 18));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<QueryResult> Query(std::string_view sql, const QueryOptions& options = {}) {
    return engine_->Execute(kTenant, sql, options);
  }

  base::FakeClock& clock() { return clock_; }
  // Moves the fake clock (now()) to `now`.
  void SetNow(absl::Time now) { clock_.Advance(now - clock_.Now()); }

 private:
  base::FakeClock clock_;
  io::InMemoryObjectStore store_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<SqlEngine> engine_;
};

}  // namespace cardinalsin::plan::internal
