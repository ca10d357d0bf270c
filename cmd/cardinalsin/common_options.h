// File: common_options.h
//
// Flags shared by the service subcommands (ARCHITECTURE.md section 1): ports, tenant, logging and
// the object store. Each service registers the subset it uses, with its own port defaults.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "base/logging.h"
#include "io/object_store_config.h"

namespace cardinalsin::cmd {

struct CommonOptions {
  int http_port = 8080;
  int grpc_port = 4317;
  int otlp_http_port = 4318;
  int flight_sql_port = 8815;
  std::string bind_address = "0.0.0.0";
  std::string tenant_id = "default";
  base::LogOptions log;
  io::ObjectStoreConfig object_store;
};

enum PortSet : unsigned {
  kHttpPort = 1 << 0,
  kGrpcPort = 1 << 1,
  kOtlpHttpPort = 1 << 2,
  kFlightSqlPort = 1 << 3,
};

// Registers the common flags on `app`; only the ports in `ports` are added. `options` holds the
// defaults printed by --help and must outlive parsing.
void AddCommonOptions(CLI::App& app, unsigned ports, CommonOptions& options);

}  // namespace cardinalsin::cmd
