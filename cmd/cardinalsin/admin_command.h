// File: admin_command.h
//
// `cardinalsin admin ...`: operator tools. This build has `admin store` (ls, head, cat, put, rm)
// for inspecting and repairing the configured object store with the exact configuration the
// services use.
#pragma once

#include "CLI/CLI.hpp"
#include "common_options.h"

namespace cardinalsin::cmd {

// Registers the admin subcommand tree on `app`. The callbacks set `*exit_code`.
void AddAdminCommand(CLI::App& app, CommonOptions& options, int* exit_code);

}  // namespace cardinalsin::cmd
