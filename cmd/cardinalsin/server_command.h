// File: server_command.h
//
// `cardinalsin server`: the embedded default, all roles in one process. In this build it opens
// the configured object store, serves /health and /ready on --http-port, and stops cleanly on
// SIGINT/SIGTERM; the write path, query engines and compactor join it as they land.
#pragma once

#include "CLI/CLI.hpp"
#include "common_options.h"

namespace cardinalsin::cmd {

// Registers `server` on `app`; its callback runs the server until a signal and sets *exit_code.
// `cardinalsin server` (every role in one process) and `cardinalsin ingester`.
void AddServerCommand(CLI::App& app, CommonOptions& options, int* exit_code);
void AddIngesterCommand(CLI::App& app, CommonOptions& options, int* exit_code);

}  // namespace cardinalsin::cmd
