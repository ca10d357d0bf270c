#include "server_command.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>

#include "base/logging.h"
#include "base/status_macros.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"
#include "ingest_stack.h"
#include "io/object_store_config.h"
#include "query_stack.h"
#include "server/health.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::cmd {
namespace {

// HTTP handler threads for writes and probes, on top of the query concurrency limit.
constexpr int kWriteHandlerThreads = 8;

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

// Writes sent to a query-only node: refused with a pointer to the ingester (a query node has no
// WAL or buffer of its own; the original fed a private ingester that never flushed, defect 12).
void AddWriteRefusals(http::Router& router) {
  for (const char* path : {"/api/v1/write", "/api/v2/write", "/write", "/v1/metrics"}) {
    router.Add("POST", path, [](const http::Request&) {
      return http::Response::Json(503, R"json({"error":"this is a query node: send writes to )json"
                                       R"json(an ingester (cardinalsin ingester or server)"})json");
    });
  }
}

// What one service process runs: the ingester, the query engine, or both (`server`).
struct Roles {
  IngestFlags* ingest = nullptr;  // null: no ingester in this process
  QueryFlags* query = nullptr;    // null: no query engine
};

// Runs `role` until SIGINT/SIGTERM, then shuts down in order: stop accepting writes, flush and
// commit every buffer, deregister, stop HTTP (in-flight queries finish), drop the query engine.
absl::Status RunService(const char* role, CommonOptions& options, Roles roles) {
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
  std::unique_ptr<IngestStack> ingest;
  if (roles.ingest != nullptr) {
    CS_ASSIGN_OR_RETURN(ingest, IngestStack::Start(options, *roles.ingest, store.get(), router));
  } else {
    AddWriteRefusals(router);
  }
  std::unique_ptr<QueryStack> query;
  if (roles.query != nullptr) {
    CS_ASSIGN_OR_RETURN(query, QueryStack::Start(*roles.query, store.get(), router,
                                                 ingest ? &ingest->ingester() : nullptr));
  }

  http::ServerOptions http_options;
  http_options.bind_address = options.bind_address;
  http_options.port = options.http_port;
  if (roles.ingest != nullptr) http_options.max_body_bytes = roles.ingest->max_body_bytes;
  // Handlers block (queries scan, writes wait for the WAL's group commit), so they run on a pool
  // and the two io threads stay free. For queries the pool is large enough that the concurrency
  // limit, not the pool, decides when a query gets 429, with room left for writes and probes;
  // for writes, concurrent requests are what lets one fsync acknowledge many of them.
  http_options.handler_threads = kWriteHandlerThreads;
  if (roles.query != nullptr) {
    http_options.handler_threads += roles.query->max_concurrent_queries;
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<http::Server> http_server,
                      http::Server::Start(http_options, router));
  if (ingest) {
    CS_RETURN_IF_ERROR(ingest->Register(store.get(), http_server->port()));
    spdlog::info("cardinalsin {}: HTTP on {}:{}, gRPC {}, OTLP/HTTP {}, object store {}, tenant {}",
                 role, options.bind_address, http_server->port(), ingest->grpc_port(),
                 ingest->otlp_http_port(), store->Describe(), options.tenant_id);
  } else {
    spdlog::info("cardinalsin {}: HTTP on {}:{}, object store {}", role, options.bind_address,
                 http_server->port(), store->Describe());
  }

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("cardinalsin {}: received {}, shutting down", role, strsignal(signal));
  absl::Status flushed = ingest ? ingest->Shutdown() : absl::OkStatus();
  http_server->Stop();
  query.reset();  // after the HTTP server: its routes call into the engine
  return flushed;
}

void AddServiceCommand(CLI::App& app, const char* name, const char* description, unsigned ports,
                       CommonOptions& options, Roles roles, int* exit_code) {
  CLI::App* sub = app.add_subcommand(name, description);
  AddCommonOptions(*sub, ports, options);
  if (roles.ingest != nullptr) AddIngestFlags(*sub, *roles.ingest);
  if (roles.query != nullptr) AddQueryFlags(*sub, *roles.query);
  sub->callback([name, &options, roles, exit_code] {
    absl::Status status = RunService(name, options, roles);
    if (!status.ok()) {
      std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
      *exit_code = 1;
    }
  });
}

}  // namespace

void AddServerCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  static IngestFlags ingest_flags;
  static QueryFlags query_flags;
  AddServiceCommand(app, "server", "All roles in one process: the embedded default",
                    kHttpPort | kGrpcPort | kOtlpHttpPort | kFlightSqlPort, options,
                    {&ingest_flags, &query_flags}, exit_code);
}

void AddIngesterCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  static IngestFlags flags;
  AddServiceCommand(app, "ingester",
                    "Receive writes: WAL, buffer, flush to Parquet, catalog commits",
                    kHttpPort | kGrpcPort | kOtlpHttpPort, options, {&flags, nullptr}, exit_code);
}

void AddQueryCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  static QueryFlags flags;
  AddServiceCommand(app, "query", "SQL over HTTP (/api/v1/sql) on the bucket and the ingesters",
                    kHttpPort | kFlightSqlPort, options, {nullptr, &flags}, exit_code);
}

}  // namespace cardinalsin::cmd
