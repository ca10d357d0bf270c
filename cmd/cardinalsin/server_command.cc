#include "server_command.h"

#include <csignal>
#include <cstdio>
#include <memory>

#include "base/logging.h"
#include "base/status_macros.h"
#include "http/router.h"
#include "http/server.h"
#include "ingest_stack.h"
#include "io/object_store_config.h"
#include "server/health.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::cmd {
namespace {

// Blocks SIGINT and SIGTERM in every thread started afterwards, so that only sigwait() in
// RunService receives them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Runs `role` ("server" or "ingester") until SIGINT/SIGTERM, then shuts down in order: stop
// accepting writes, flush and commit every buffer, deregister, stop HTTP.
absl::Status RunService(const char* role, CommonOptions& options, const IngestFlags& ingest_flags) {
  CS_RETURN_IF_ERROR(base::InitLogging(options.log));
  CS_RETURN_IF_ERROR(io::ResolveObjectStoreConfig(options.object_store));
  const sigset_t signals = BlockShutdownSignals();

  base::SeededRandom random;
  CS_ASSIGN_OR_RETURN(std::unique_ptr<io::ObjectStore> store,
                      io::OpenObjectStore(options.object_store, base::SystemClock(), random));

  server::Readiness readiness;
  const std::string tenant_prefix = options.tenant_id + "/";
  readiness.AddCheck("object store", [&store, &tenant_prefix] {
    io::ListOptions probe;
    probe.prefix = tenant_prefix;
    probe.max_keys = 1;
    return store->List(probe).status();
  });
  http::Router router;
  server::AddHealthRoutes(router, readiness);
  // The WAL is replayed inside Start(): the HTTP port (and so /ready) only opens afterwards.
  CS_ASSIGN_OR_RETURN(std::unique_ptr<IngestStack> ingest,
                      IngestStack::Start(options, ingest_flags, store.get(), router));

  http::ServerOptions http_options;
  http_options.bind_address = options.bind_address;
  http_options.port = options.http_port;
  http_options.max_body_bytes = ingest_flags.max_body_bytes;
  CS_ASSIGN_OR_RETURN(std::unique_ptr<http::Server> http_server,
                      http::Server::Start(http_options, router));
  CS_RETURN_IF_ERROR(ingest->Register(store.get(), http_server->port()));
  spdlog::info("cardinalsin {}: HTTP on {}:{}, gRPC {}, OTLP/HTTP {}, object store {}, tenant {}",
               role, options.bind_address, http_server->port(), ingest->grpc_port(),
               ingest->otlp_http_port(), store->Describe(), options.tenant_id);

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("cardinalsin {}: received {}, flushing and shutting down", role, strsignal(signal));
  absl::Status flushed = ingest->Shutdown();
  http_server->Stop();
  return flushed;
}

void AddServiceCommand(CLI::App& app, const char* name, const char* description, unsigned ports,
                       CommonOptions& options, IngestFlags& ingest_flags, int* exit_code) {
  CLI::App* sub = app.add_subcommand(name, description);
  AddCommonOptions(*sub, ports, options);
  AddIngestFlags(*sub, ingest_flags);
  sub->callback([name, &options, &ingest_flags, exit_code] {
    absl::Status status = RunService(name, options, ingest_flags);
    if (!status.ok()) {
      std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
      *exit_code = 1;
    }
  });
}

}  // namespace

void AddServerCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  static IngestFlags flags;
  AddServiceCommand(app, "server", "All roles in one process: the embedded default",
                    kHttpPort | kGrpcPort | kOtlpHttpPort | kFlightSqlPort, options, flags,
                    exit_code);
}

void AddIngesterCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  static IngestFlags flags;
  AddServiceCommand(app, "ingester",
                    "Receive writes: WAL, buffer, flush to Parquet, catalog commits",
                    kHttpPort | kGrpcPort | kOtlpHttpPort, options, flags, exit_code);
}

}  // namespace cardinalsin::cmd
