#include "wal/sync_policy.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace cardinalsin::wal {
namespace {

using base::testing::StatusIs;

struct ValidCase {
  std::string text;
  SyncMode mode;
  absl::Duration interval;
  std::string canonical;
};

TEST(ParseSyncPolicyTest, ValidValues) {
  const ValidCase cases[] = {
      {"every_write", SyncMode::kEveryWrite, absl::ZeroDuration(), "every_write"},
      {"EVERY_WRITE", SyncMode::kEveryWrite, absl::ZeroDuration(), "every_write"},
      {"on_rotation", SyncMode::kOnRotation, absl::ZeroDuration(), "on_rotation"},
      {"On_Rotation", SyncMode::kOnRotation, absl::ZeroDuration(), "on_rotation"},
      {"none", SyncMode::kNone, absl::ZeroDuration(), "none"},
      {"NONE", SyncMode::kNone, absl::ZeroDuration(), "none"},
      {"interval_100ms", SyncMode::kInterval, absl::Milliseconds(100), "interval_100ms"},
      {"INTERVAL_100MS", SyncMode::kInterval, absl::Milliseconds(100), "interval_100ms"},
      {"interval_1s", SyncMode::kInterval, absl::Seconds(1), "interval_1s"},
      {"interval_2000ms", SyncMode::kInterval, absl::Seconds(2), "interval_2s"},
      {"interval_1500ms", SyncMode::kInterval, absl::Milliseconds(1500), "interval_1500ms"},
      {"interval_+5ms", SyncMode::kInterval, absl::Milliseconds(5), "interval_5ms"},
      {"interval_007s", SyncMode::kInterval, absl::Seconds(7), "interval_7s"},
      // N = 0 means every write (contract section 6.4).
      {"interval_0ms", SyncMode::kEveryWrite, absl::ZeroDuration(), "every_write"},
      {"interval_0s", SyncMode::kEveryWrite, absl::ZeroDuration(), "every_write"},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.text);
    CS_ASSERT_OK_AND_ASSIGN(const SyncPolicy policy, ParseSyncPolicy(c.text));
    EXPECT_EQ(policy.mode, c.mode);
    EXPECT_EQ(policy.interval, c.interval);
    EXPECT_EQ(FormatSyncPolicy(policy), c.canonical);
    CS_ASSERT_OK_AND_ASSIGN(const SyncPolicy again, ParseSyncPolicy(FormatSyncPolicy(policy)));
    EXPECT_EQ(again.mode, policy.mode);
    EXPECT_EQ(again.interval, policy.interval);
  }
}

TEST(ParseSyncPolicyTest, InvalidValuesHaveTheContractMessages) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "unknown WAL sync mode: ''. Use: every_write, interval_100ms, on_rotation, none"},
      {"always",
       "unknown WAL sync mode: 'always'. Use: every_write, interval_100ms, on_rotation, none"},
      {"Every-Write",
       "unknown WAL sync mode: 'every-write'. Use: every_write, interval_100ms, on_rotation, "
       "none"},
      {" none",
       "unknown WAL sync mode: ' none'. Use: every_write, interval_100ms, on_rotation, "
       "none"},
      {"interval",
       "unknown WAL sync mode: 'interval'. Use: every_write, interval_100ms, "
       "on_rotation, none"},
      {"interval_", "invalid sync mode: interval_ (use e.g. interval_100ms)"},
      {"interval_100", "invalid sync mode: interval_100 (use e.g. interval_100ms)"},
      {"interval_5m", "invalid sync mode: interval_5m (use e.g. interval_100ms)"},
      {"INTERVAL_5US", "invalid interval: invalid digit found in string"},
      {"interval_ms", "invalid interval: cannot parse integer from empty string"},
      {"interval_s", "invalid interval: cannot parse integer from empty string"},
      {"interval_1.5s", "invalid interval: invalid digit found in string"},
      {"interval_-5ms", "invalid interval: invalid digit found in string"},
      {"interval_+ms", "invalid interval: invalid digit found in string"},
      {"interval_ 5ms", "invalid interval: invalid digit found in string"},
      {"interval_abcs", "invalid interval: invalid digit found in string"},
      {"interval_18446744073709551616ms",
       "invalid interval: number too large to fit in target type"},
      {"interval_99999999999999999999xms",
       "invalid interval: number too large to fit in target type"},
      {"interval_18446744073709552s", "invalid interval: number too large to fit in target type"},
      {"interval_9223372036854775808ms",
       "invalid interval: number too large to fit in target type"},
  };
  for (const auto& [text, message] : cases) {
    SCOPED_TRACE(text);
    const absl::StatusOr<SyncPolicy> policy = ParseSyncPolicy(text);
    EXPECT_THAT(policy, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(policy.status().message(), message);
  }
}

TEST(FormatSyncPolicyTest, SubMillisecondIntervalsAreTruncated) {
  EXPECT_EQ(FormatSyncPolicy({.mode = SyncMode::kInterval, .interval = absl::Microseconds(2500)}),
            "interval_2ms");
}

}  // namespace
}  // namespace cardinalsin::wal
