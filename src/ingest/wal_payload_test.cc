#include "ingest/wal_payload.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "base/testing/status_matchers.h"

namespace cardinalsin::ingest {
namespace {

TEST(WalPayloadTest, RoundTripsExactly) {
  std::vector<ValidatedSeries> series(2);
  series[0].id = 42;
  series[0].labels = {{"__name__", "up"}, {"job", "api"}};
  series[0].timestamps_ns = {std::numeric_limits<int64_t>::min(), -1, 0, 5,
                             std::numeric_limits<int64_t>::max()};
  series[0].values = {1.5, -0.0, std::numeric_limits<double>::infinity(),
                      std::bit_cast<double>(uint64_t{0x7ff0000000000002}), 0};
  series[1].id = 7;
  series[1].labels = {{"__name__", "x"}};
  series[1].timestamps_ns = {1};
  series[1].values = {2};
  std::string payload;
  EncodeWalPayload("tenant-a", series, &payload);
  std::string_view tenant;
  std::vector<ValidatedSeries> decoded;
  CS_ASSERT_OK(DecodeWalPayload(payload, &tenant, &decoded));
  EXPECT_EQ(tenant, "tenant-a");
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].id, 42u);
  EXPECT_EQ(decoded[0].labels, series[0].labels);
  EXPECT_EQ(decoded[0].timestamps_ns, series[0].timestamps_ns);
  for (size_t i = 0; i < series[0].values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(decoded[0].values[i]),
              std::bit_cast<uint64_t>(series[0].values[i]));
  }
  EXPECT_EQ(decoded[1].labels, series[1].labels);
}

// Records are CRC-protected, so a truncated payload never reaches the decoder in practice; if one
// did, it must fail or yield strictly less than the original, never crash or invent data.
TEST(WalPayloadTest, TruncationNeverCrashesOrInventsData) {
  std::vector<ValidatedSeries> series(1);
  series[0].labels = {{"__name__", "up"}};
  series[0].timestamps_ns = {1, 2, 3};
  series[0].values = {1, 2, 3};
  std::string payload;
  EncodeWalPayload("t", series, &payload);
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    std::string_view tenant;
    std::vector<ValidatedSeries> decoded;
    absl::Status status =
        DecodeWalPayload(std::string_view(payload).substr(0, cut), &tenant, &decoded);
    if (status.ok()) {
      EXPECT_TRUE(decoded.empty()) << cut;
    }
  }
}

}  // namespace
}  // namespace cardinalsin::ingest
