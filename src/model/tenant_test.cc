#include "model/tenant.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"

namespace cardinalsin::model {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TenantIdTest, Rules) {
  CS_EXPECT_OK(ValidateTenantId("default"));
  CS_EXPECT_OK(ValidateTenantId("team-a.prod_1"));
  CS_EXPECT_OK(ValidateTenantId(std::string(128, 'a')));
  for (const std::string& bad : std::vector<std::string>{"", "_cluster", ".hidden", "a/b", "a b",
                                                         std::string(129, 'a'), "\xc3\xbc"}) {
    EXPECT_THAT(ValidateTenantId(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid tenant id")))
        << bad;
  }
}

}  // namespace
}  // namespace cardinalsin::model
