#include "server_command.h"

#include <csignal>
#include <cstdio>
#include <memory>

#include "base/logging.h"
#include "base/status_macros.h"
#include "http/router.h"
#include "http/server.h"
#include "io/object_store_config.h"
#include "server/health.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::cmd {
namespace {

// Blocks SIGINT and SIGTERM in every thread started afterwards, so that only WaitForSignal()
// receives them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

absl::Status RunServer(CommonOptions& options) {
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

  http::ServerOptions http_options;
  http_options.bind_address = options.bind_address;
  http_options.port = options.http_port;
  CS_ASSIGN_OR_RETURN(std::unique_ptr<http::Server> http_server,
                      http::Server::Start(http_options, router));
  spdlog::info("cardinalsin server: HTTP on {}:{}, object store {}, tenant {}",
               options.bind_address, http_server->port(), store->Describe(), options.tenant_id);

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("cardinalsin server: received {}, shutting down", strsignal(signal));
  http_server->Stop();
  return absl::OkStatus();
}

}  // namespace

void AddServerCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  CLI::App* sub = app.add_subcommand("server", "All roles in one process: the embedded default");
  AddCommonOptions(*sub, kHttpPort | kGrpcPort | kOtlpHttpPort | kFlightSqlPort, options);
  sub->callback([&options, exit_code] {
    absl::Status status = RunServer(options);
    if (!status.ok()) {
      std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
      *exit_code = 1;
    }
  });
}

}  // namespace cardinalsin::cmd
