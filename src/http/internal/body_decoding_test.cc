#include "http/internal/body_decoding.h"

#include <zlib.h>

#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::http::internal {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

// window_bits: 16 + 15 for gzip, 15 for zlib, -15 for raw deflate.
std::string Compress(const std::string& data, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Pattern(size_t n) {
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>('a' + (i * 7 + i / 13) % 26));
  }
  return s;
}

TEST(DecodeBodyTest, GzipRoundTrip) {
  std::string data = Pattern(300'000);
  EXPECT_THAT(DecodeBody(Compress(data, 16 + MAX_WBITS), BodyEncoding::kGzip, 1 << 20),
              IsOkAndHolds(data));
}

TEST(DecodeBodyTest, GzipConcatenatedMembers) {
  std::string body = Compress("hello ", 16 + MAX_WBITS) + Compress("world", 16 + MAX_WBITS);
  EXPECT_THAT(DecodeBody(body, BodyEncoding::kGzip, 100), IsOkAndHolds("hello world"));
}

TEST(DecodeBodyTest, DeflateZlibAndRaw) {
  std::string data = Pattern(5000);
  EXPECT_THAT(DecodeBody(Compress(data, MAX_WBITS), BodyEncoding::kDeflate, 1 << 20),
              IsOkAndHolds(data));
  EXPECT_THAT(DecodeBody(Compress(data, -MAX_WBITS), BodyEncoding::kDeflate, 1 << 20),
              IsOkAndHolds(data));
}

TEST(DecodeBodyTest, LimitIsInclusive) {
  std::string data(1000, 'z');
  std::string body = Compress(data, 16 + MAX_WBITS);
  EXPECT_THAT(DecodeBody(body, BodyEncoding::kGzip, 1000), IsOkAndHolds(data));
  absl::StatusOr<std::string> over = DecodeBody(body, BodyEncoding::kGzip, 999);
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(over.status().message(), HasSubstr("exceeds the 999-byte limit"));
}

TEST(DecodeBodyTest, BombStopsAtTheLimit) {
  std::string body = Compress(std::string(64 << 20, '\0'), 16 + MAX_WBITS);  // ~64 KiB
  EXPECT_THAT(DecodeBody(body, BodyEncoding::kGzip, 1 << 20),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(DecodeBodyTest, CorruptTruncatedAndTrailingData) {
  std::string good = Compress(Pattern(10'000), 16 + MAX_WBITS);
  std::string corrupt = good;
  corrupt[corrupt.size() / 2] ^= 0x55;
  corrupt[corrupt.size() / 2 + 1] ^= 0x55;
  EXPECT_THAT(DecodeBody(corrupt, BodyEncoding::kGzip, 1 << 20),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<std::string> truncated =
      DecodeBody(good.substr(0, good.size() - 10), BodyEncoding::kGzip, 1 << 20);
  EXPECT_THAT(truncated, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(truncated.status().message(), HasSubstr("truncated"));
  EXPECT_THAT(DecodeBody("not gzip at all", BodyEncoding::kGzip, 1 << 20),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeBody(Compress("x", MAX_WBITS) + "junk", BodyEncoding::kDeflate, 1 << 20),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeBody("\x01\x02\x03", BodyEncoding::kDeflate, 1 << 20),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cardinalsin::http::internal
