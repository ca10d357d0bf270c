// File: logging.h
//
// Process logging on top of spdlog. InitLogging() is called once by each subcommand's main before
// any other thread starts; afterwards code logs with spdlog::info(...), spdlog::warn(...), etc.
//
//   CS_RETURN_IF_ERROR(base::InitLogging({.level = "info", .format = "json"}));
//   spdlog::info("flushed chunk {} ({} rows)", key, rows);
//
// JSON lines look like {"ts":"2026-11-24T10:00:00.123456Z","level":"info","msg":"..."}; text lines
// like 2026-11-24T10:00:00.123456Z info ... . Both go to stderr so stdout stays free for command
// output (the load generator's progress lines, admin command results).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "spdlog/common.h"

namespace cardinalsin::base {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text, json
};

// Parses a --log-level value. The error text is fixed by the compatibility contract:
// "invalid log level '<x>', expected one of [trace, debug, info, warn, error]".
[[nodiscard]] absl::StatusOr<spdlog::level::level_enum> ParseLogLevel(std::string_view level);

// Installs the process logger. Returns InvalidArgument for an unknown level or format.
[[nodiscard]] absl::Status InitLogging(const LogOptions& options);

// Escapes `s` for inclusion inside a JSON string literal (no surrounding quotes).
std::string JsonEscape(std::string_view s);

}  // namespace cardinalsin::base
