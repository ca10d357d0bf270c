// The `cardinalsin` binary: one executable, one subcommand per role (ARCHITECTURE.md section 1).
// This file only parses flags and dispatches; each role's wiring lives with its command.

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "admin_command.h"
#include "common_options.h"
#include "generate_command.h"
#include "server_command.h"

namespace cardinalsin::cmd {
namespace {

constexpr int kExitUnavailable = 2;
constexpr int kExitUsage = 2;

// Registers a role this build does not contain yet: its --help works and lists the flags it
// will take; running it fails with a clear message instead of pretending to work.
CLI::App* AddUnavailable(CLI::App& app, const std::string& name, const std::string& description,
                         unsigned ports, CommonOptions& options, int* exit_code) {
  CLI::App* sub = app.add_subcommand(name, description + " [not available in this build]");
  if (ports != 0) AddCommonOptions(*sub, ports, options);
  sub->callback([name, exit_code] {
    std::fprintf(stderr,
                 "Error: `cardinalsin %s` is not available in this build of CardinalSin %s.\n",
                 name.c_str(), CS_VERSION);
    *exit_code = kExitUnavailable;
  });
  return sub;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "CardinalSin: a high-cardinality time-series database on object storage.\n"
      "Every option can also be set with the environment variable shown next to it.",
      "cardinalsin"};
  app.set_version_flag("--version", std::string("cardinalsin ") + CS_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(40);

  int exit_code = 0;
  CommonOptions server, ingester, query, compactor, ui, admin;
  ingester.http_port = 8081;
  compactor.http_port = 8082;
  ui.http_port = 3000;

  AddServerCommand(app, server, &exit_code);
  AddIngesterCommand(app, ingester, &exit_code);
  AddQueryCommand(app, query, &exit_code);
  AddUnavailable(app, "compactor", "Compaction, retention, downsampling and garbage collection",
                 kHttpPort, compactor, &exit_code);
  const CLI::App* generate = AddGenerateCommand(app, &exit_code);
  AddUnavailable(app, "ui", "Built-in dashboards", kHttpPort, ui, &exit_code);
  AddAdminCommand(app, admin, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // `generate` is run by scripts that treat exit 2 as "bad flags"; CLI11's codes are 100+.
    return code != 0 && generate->parsed() ? kExitUsage : code;
  }
  return exit_code;
}

}  // namespace
}  // namespace cardinalsin::cmd

int main(int argc, char** argv) {
  // glibc returns freed blocks over its (dynamic) mmap threshold to the kernel at once and trims
  // the heap top above twice that, so every query re-faults the decode buffers of each row group
  // it reads (page faults and zeroing were a third of a full scan's CPU). Keep blocks up to
  // 64 MiB on the heap and up to 256 MiB of free heap top for reuse: a 100M-row scan runs about
  // 1.4x faster, peak RSS grows by about 10% (docs/benchmarks.md, SQL engine).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // glibc gives threads up to 8 arenas per core, and each arena keeps what its threads freed.
  // Queries run on a pool of a hundred handler threads, so each arena ended up holding the peak
  // of whichever query last ran in it: at 1M series the server's RSS reached 11 GB on the query
  // benchmark, against 2.5 GB with one arena per core (and the queries ran faster).
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  return cardinalsin::cmd::Main(argc, argv);
}
