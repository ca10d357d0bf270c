// File: server_command.h
//
// The long-running roles: `cardinalsin server` (the embedded default: ingester and query engine in
// one process), `cardinalsin ingester` and `cardinalsin query`. Each opens the configured object
// store, serves /health and /ready and its routes on --http-port, and stops cleanly on
// SIGINT/SIGTERM (an ingester flushes and commits first). The PromQL API and the compactor join
// as they land.
#pragma once

#include "CLI/CLI.hpp"
#include "common_options.h"

namespace cardinalsin::cmd {

// Register the service subcommands on `app`; each callback runs its role until a signal and sets
// *exit_code: `cardinalsin server` (every role in one process), `cardinalsin ingester` and
// `cardinalsin query`.
void AddServerCommand(CLI::App& app, CommonOptions& options, int* exit_code);
void AddIngesterCommand(CLI::App& app, CommonOptions& options, int* exit_code);
void AddQueryCommand(CLI::App& app, CommonOptions& options, int* exit_code);

}  // namespace cardinalsin::cmd
