#include "base/logging.h"

#include "base/testing/status_matchers.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::base {
namespace {

using testing::IsOkAndHolds;

TEST(ParseLogLevelTest, KnownLevelsCaseInsensitive) {
  EXPECT_THAT(ParseLogLevel("INFO"), IsOkAndHolds(spdlog::level::info));
  EXPECT_THAT(ParseLogLevel("warn"), IsOkAndHolds(spdlog::level::warn));
  EXPECT_THAT(ParseLogLevel("error"), IsOkAndHolds(spdlog::level::err));
}

TEST(ParseLogLevelTest, ContractErrorText) {
  EXPECT_EQ(ParseLogLevel("verbose").status().message(),
            "invalid log level 'verbose', expected one of [trace, debug, info, warn, error]");
}

TEST(InitLoggingTest, RejectsUnknownFormat) {
  EXPECT_FALSE(InitLogging({.level = "info", .format = "xml"}).ok());
  CS_EXPECT_OK(InitLogging({.level = "info", .format = "json"}));
}

TEST(JsonEscapeTest, ProducesValidJsonForAnyBytes) {
  std::string nasty = "quote\" backslash\\ newline\n tab\t bell\x07 unicode é";
  std::string doc = "{\"m\":\"" + JsonEscape(nasty) + "\"}";
  nlohmann::json parsed = nlohmann::json::parse(doc);
  EXPECT_EQ(parsed["m"].get<std::string>(), nasty);
}

}  // namespace
}  // namespace cardinalsin::base
