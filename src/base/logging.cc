#include "base/logging.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/json_string.h"
#include "spdlog/formatter.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::base {
namespace {

std::string FormatTime(spdlog::log_clock::time_point tp) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromChrono(tp), absl::UTCTimeZone());
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

// One JSON object per line; the message is escaped so that any text is valid JSON.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line =
        absl::StrFormat(R"({"ts":"%s","level":"%s","msg":"%s"})"
                        "\n",
                        FormatTime(msg.time), LevelName(msg.level),
                        JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = absl::StrFormat("%s %-5s %s\n", FormatTime(msg.time), LevelName(msg.level),
                                       std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
};

}  // namespace

absl::StatusOr<spdlog::level::level_enum> ParseLogLevel(std::string_view level) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(level.data(), level.size()));
  if (lower == "trace") return spdlog::level::trace;
  if (lower == "debug") return spdlog::level::debug;
  if (lower == "info") return spdlog::level::info;
  if (lower == "warn") return spdlog::level::warn;
  if (lower == "error") return spdlog::level::err;
  return absl::InvalidArgumentError(absl::StrFormat(
      "invalid log level '%s', expected one of [trace, debug, info, warn, error]", level));
}

absl::Status InitLogging(const LogOptions& options) {
  absl::StatusOr<spdlog::level::level_enum> level = ParseLogLevel(options.level);
  if (!level.ok()) return level.status();
  std::unique_ptr<spdlog::formatter> formatter;
  if (options.format == "json") {
    formatter = std::make_unique<JsonFormatter>();
  } else if (options.format == "text") {
    formatter = std::make_unique<TextFormatter>();
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid log format '%s', expected one of [text, json]", options.format));
  }
  auto logger = std::make_shared<spdlog::logger>("cardinalsin",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::move(formatter));
  logger->set_level(*level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendJsonEscaped(&out, s);
  return out;
}

}  // namespace cardinalsin::base
