#include "common_options.h"

#include "base/flags.h"

namespace cardinalsin::cmd {

void AddCommonOptions(CLI::App& app, unsigned ports, CommonOptions& options) {
  if (ports & kHttpPort) {
    base::AddOption(app, "--http-port", options.http_port, "HTTP_PORT", "HTTP listen port")
        ->check(CLI::Range(0, 65535));
  }
  if (ports & kGrpcPort) {
    base::AddOption(app, "--grpc-port", options.grpc_port, "GRPC_PORT",
                    "gRPC listen port (OTLP metrics export + Arrow Flight ingest)")
        ->check(CLI::Range(0, 65535));
  }
  if (ports & kOtlpHttpPort) {
    base::AddOption(app, "--otlp-http-port", options.otlp_http_port, "OTLP_HTTP_PORT",
                    "OTLP/HTTP listen port (POST /v1/metrics)")
        ->check(CLI::Range(0, 65535));
  }
  if (ports & kFlightSqlPort) {
    base::AddOption(app, "--flight-sql-port", options.flight_sql_port, "FLIGHT_SQL_PORT",
                    "Arrow Flight SQL listen port")
        ->check(CLI::Range(0, 65535));
  }
  if (ports != 0) {
    base::AddOption(app, "--bind-address", options.bind_address, "BIND_ADDRESS",
                    "Address every listener binds (127.0.0.1 for loopback only)");
  }
  base::AddOption(app, "--tenant-id", options.tenant_id, "TENANT_ID",
                  "Default tenant (object key prefix and telemetry label)");
  base::AddLogOptions(app, options.log);
  io::AddObjectStoreOptions(app, options.object_store);
}

}  // namespace cardinalsin::cmd
