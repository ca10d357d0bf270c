#include "ingest/heartbeat.h"

#include <gtest/gtest.h>

#include "base/testing/status_matchers.h"
#include "io/in_memory_object_store.h"

namespace cardinalsin::ingest {
namespace {

TEST(HeartbeatTest, RegistersRefreshesAndDeregisters) {
  io::InMemoryObjectStore store;
  Heartbeat heartbeat(
      &store,
      {.id = "ingester-a", .url = "http://127.0.0.1:1", .interval = absl::Milliseconds(10)});
  CS_ASSERT_OK(heartbeat.Start());
  CS_ASSERT_OK_AND_ASSIGN(auto live, ListIngesters(&store, absl::Now()));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].id, "ingester-a");
  EXPECT_EQ(live[0].url, "http://127.0.0.1:1");
  int64_t first = live[0].updated_at_ns;
  absl::SleepFor(absl::Milliseconds(50));
  CS_ASSERT_OK_AND_ASSIGN(live, ListIngesters(&store, absl::Now()));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_GT(live[0].updated_at_ns, first);
  // A stale heartbeat (crashed node) is ignored.
  CS_ASSERT_OK_AND_ASSIGN(live, ListIngesters(&store, absl::Now() + absl::Minutes(5)));
  EXPECT_TRUE(live.empty());
  heartbeat.Stop();
  CS_ASSERT_OK_AND_ASSIGN(live, ListIngesters(&store, absl::Now()));
  EXPECT_TRUE(live.empty());
}

}  // namespace
}  // namespace cardinalsin::ingest
