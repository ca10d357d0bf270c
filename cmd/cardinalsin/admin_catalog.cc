// `cardinalsin admin catalog show|verify`: inspect and check a tenant's catalog (src/catalog,
// docs/format/catalog.md) on the object store the services are configured with.
//
//   cardinalsin admin catalog show [--tenant T] [--json]
//   cardinalsin admin catalog verify [--tenant T]   exit 0 when every catalog checked is ok

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "catalog/catalog.h"
#include "catalog/log_entry.h"
#include "common_options.h"
#include "io/object_store_config.h"

namespace cardinalsin::cmd {
namespace {

struct CatalogArgs {
  std::string tenant;  // empty = --tenant-id for show, every tenant for verify
  bool json = false;
};

std::string FormatNs(int64_t ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

std::string FormatBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrFormat("%d B", bytes)
                   : absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

void PrintHuman(const std::string& tenant, const catalog::Snapshot& snap) {
  uint64_t rows = 0, bytes = 0;
  int64_t min_time = std::numeric_limits<int64_t>::max();
  int64_t max_time = std::numeric_limits<int64_t>::min();
  std::map<int, size_t> per_level;
  for (const auto& entry : snap.chunks) {
    const catalog::ChunkSummary& chunk = entry.second;
    rows += chunk.row_count;
    bytes += chunk.size_bytes;
    min_time = std::min(min_time, chunk.min_time_ns);
    max_time = std::max(max_time, chunk.max_time_ns);
    ++per_level[chunk.level];
  }
  std::printf("tenant:     %s\n", tenant.c_str());
  std::printf("seq:        %llu\n", static_cast<unsigned long long>(snap.seq));
  std::string levels;
  for (const auto& [level, count] : per_level) {
    absl::StrAppendFormat(&levels, "%sL%d: %d", levels.empty() ? "" : ", ", level, count);
  }
  std::printf("chunks:     %zu%s\n", snap.chunks.size(),
              levels.empty() ? "" : (" (" + levels + ")").c_str());
  std::printf("rows:       %llu\n", static_cast<unsigned long long>(rows));
  std::printf("bytes:      %s\n", FormatBytes(bytes).c_str());
  if (!snap.chunks.empty()) {
    std::printf("time range: %s .. %s\n", FormatNs(min_time).c_str(), FormatNs(max_time).c_str());
  }
  std::printf("watermarks:%s\n", snap.watermarks.empty() ? " none" : "");
  for (const auto& [writer, wal_seq] : snap.watermarks) {
    std::printf("  %s = %llu\n", writer.c_str(), static_cast<unsigned long long>(wal_seq));
  }
  std::printf("removed:    %zu (kept for garbage collection)\n", snap.removed.size());
  if (snap.chunks.empty()) return;
  std::printf("\n%-5s %12s %8s %10s  %-24s  %-24s  %s\n", "LEVEL", "ROWS", "SERIES", "BYTES",
              "MIN_TIME", "MAX_TIME", "PATH");
  for (const auto& entry : snap.chunks) {
    const catalog::ChunkSummary& c = entry.second;
    std::printf("L%-4d %12llu %8llu %10s  %-24s  %-24s  %s\n", c.level,
                static_cast<unsigned long long>(c.row_count),
                static_cast<unsigned long long>(c.series_count), FormatBytes(c.size_bytes).c_str(),
                FormatNs(c.min_time_ns).c_str(), FormatNs(c.max_time_ns).c_str(), c.path.c_str());
  }
}

absl::Status RunShow(io::ObjectStore& store, const std::string& tenant, bool json) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> cat,
                      catalog::Catalog::Open(&store, tenant, {}));
  std::shared_ptr<const catalog::Snapshot> snap = cat->snapshot();
  if (json) {
    CS_ASSIGN_OR_RETURN(std::string text, catalog::EncodeSnapshot(*snap, 2));
    std::printf("%s\n", text.c_str());
  } else {
    PrintHuman(tenant, *snap);
  }
  return absl::OkStatus();
}

// Prints one tenant's report; returns whether it is ok.
bool PrintReport(const std::string& tenant, const catalog::VerifyReport& report) {
  std::printf("tenant %s: seq %llu, %zu live chunks, %zu awaiting gc: %s\n", tenant.c_str(),
              static_cast<unsigned long long>(report.seq), report.live_chunks,
              report.awaiting_gc.size(), report.ok() ? "OK" : "PROBLEMS");
  for (const std::string& path : report.missing) {
    std::printf("  missing (live, no object): %s\n", path.c_str());
  }
  for (const std::string& path : report.orphans) {
    std::printf("  orphan (object, not in catalog): %s\n", path.c_str());
  }
  for (const std::string& path : report.awaiting_gc) {
    std::printf("  awaiting gc (removed, object present): %s\n", path.c_str());
  }
  for (const std::string& problem : report.problems) {
    std::printf("  problem: %s\n", problem.c_str());
  }
  return report.ok();
}

// Returns OK with *all_ok telling whether every catalog checked is ok.
absl::Status RunVerify(io::ObjectStore& store, const std::string& only_tenant, bool* all_ok) {
  std::vector<std::string> tenants;
  if (!only_tenant.empty()) {
    tenants.push_back(only_tenant);
  } else {
    CS_ASSIGN_OR_RETURN(tenants, catalog::ListTenants(&store));
    if (tenants.empty()) std::printf("no catalogs in %s\n", store.Describe().c_str());
  }
  *all_ok = true;
  for (const std::string& tenant : tenants) {
    CS_ASSIGN_OR_RETURN(catalog::VerifyReport report, catalog::Verify(&store, tenant));
    *all_ok = PrintReport(tenant, report) && *all_ok;
  }
  return absl::OkStatus();
}

}  // namespace

// Declared in admin_command.cc, which registers it under `admin`.
void AddAdminCatalogCommand(CLI::App& admin, CommonOptions& options, int* exit_code) {
  CLI::App* cmd = admin.add_subcommand("catalog", "Inspect and verify the catalog");
  cmd->require_subcommand(1);
  cmd->fallthrough();  // the common flags registered on `admin` may follow these words

  auto args = std::make_shared<CatalogArgs>();
  auto random = std::make_shared<base::SeededRandom>();
  // Opens the store, runs `body` and maps an error to a message and exit code 1.
  auto run = [&options, exit_code, random](auto body) {
    return [&options, exit_code, random, body] {
      absl::Status status = [&]() -> absl::Status {
        CS_RETURN_IF_ERROR(base::InitLogging(options.log));
        CS_RETURN_IF_ERROR(io::ResolveObjectStoreConfig(options.object_store));
        CS_ASSIGN_OR_RETURN(
            std::unique_ptr<io::ObjectStore> store,
            io::OpenObjectStore(options.object_store, base::SystemClock(), *random));
        return body(*store);
      }();
      if (!status.ok()) {
        std::fprintf(stderr, "Error: %s\n", status.ToString().c_str());
        *exit_code = 1;
      }
    };
  };

  CLI::App* show = cmd->add_subcommand("show", "Print a tenant's catalog state");
  show->add_option("--tenant", args->tenant, "Tenant (default: --tenant-id)");
  show->add_flag("--json", args->json, "Print the state as JSON: seq, chunks, watermarks, removed");
  show->callback(run([args, &options](io::ObjectStore& store) {
    return RunShow(store, args->tenant.empty() ? options.tenant_id : args->tenant, args->json);
  }));

  CLI::App* verify = cmd->add_subcommand(
      "verify", "Check that live chunks exist and stored chunks are live or awaiting gc");
  verify->add_option("--tenant", args->tenant, "Tenant (default: every tenant with a catalog)");
  verify->callback(run([args, exit_code](io::ObjectStore& store) -> absl::Status {
    bool all_ok = false;
    CS_RETURN_IF_ERROR(RunVerify(store, args->tenant, &all_ok));
    if (!all_ok) *exit_code = 1;
    return absl::OkStatus();
  }));

  for (CLI::App* sub : {show, verify}) sub->fallthrough();
}

}  // namespace cardinalsin::cmd
