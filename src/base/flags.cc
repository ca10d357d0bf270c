#include "base/flags.h"

namespace cardinalsin::base {

void AddLogOptions(CLI::App& app, LogOptions& options) {
  AddOption(app, "--log-level", options.level, "LOG_LEVEL",
            "Log level: trace, debug, info, warn, error")
      ->check([](const std::string& value) -> std::string {
        absl::StatusOr<spdlog::level::level_enum> level = ParseLogLevel(value);
        return level.ok() ? "" : std::string(level.status().message());
      });
  AddOption(app, "--log-format", options.format, "LOG_FORMAT", "Log line format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace cardinalsin::base
