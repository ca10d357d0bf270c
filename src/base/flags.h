// File: flags.h
//
// One source of truth for configuration: every option is a CLI11 flag with an environment
// variable and a default, so `cardinalsin <cmd> --help` lists all three. Precedence: the flag,
// then the environment variable, then the default.
//
//   CLI::App* cmd = app.add_subcommand("query", "...");
//   base::AddOption(*cmd, "--http-port", config.http_port, "HTTP_PORT", "HTTP listen port");
//   base::AddLogOptions(*cmd, config.log);
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "base/logging.h"

namespace cardinalsin::base {

// Adds `--name` bound to `value`, read from `env` when the flag is absent, with the current value
// of `value` printed as the default. `value` must outlive the parse.
template <typename T>
CLI::Option* AddOption(CLI::App& app, const std::string& name, T& value, const std::string& env,
                       const std::string& help) {
  CLI::Option* option = app.add_option(name, value, help)->capture_default_str();
  if (option->get_default_str().empty()) option->default_str("\"\"");  // Show "empty" explicitly.
  if (!env.empty()) option->envname(env);
  return option;
}

// --log-level (LOG_LEVEL) and --log-format (LOG_FORMAT), validated at parse time with the
// contract's message for bad levels.
void AddLogOptions(CLI::App& app, LogOptions& options);

}  // namespace cardinalsin::base
