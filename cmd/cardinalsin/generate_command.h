// File: generate_command.h
//
// `cardinalsin generate`: the load generator (the runbook's test-data-generator; flags, output
// and behaviour in reference/original-cardinalsin.md section 15 and src/loadgen/README.md).
// Exit codes: 0 when every batch was accepted, 1 when any batch failed (after the summary and
// the WARNING line), 2 for bad flags.
#pragma once

#include "CLI/CLI.hpp"

namespace cardinalsin::cmd {

// Registers `generate` on `app` and returns it; its callback runs the generator and sets
// *exit_code.
CLI::App* AddGenerateCommand(CLI::App& app, int* exit_code);

}  // namespace cardinalsin::cmd
