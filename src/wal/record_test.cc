#include "wal/record.h"

#include <string>

#include "base/crc32c.h"
#include "gtest/gtest.h"

namespace cardinalsin::wal {
namespace {

std::string Header(uint64_t seq, std::string_view payload) {
  std::string header(kHeaderSize, '\0');
  EncodeRecordHeader(seq, payload, header.data());
  return header;
}

// The worked example of docs/format/wal.md: record 1 with payload "hello".
TEST(RecordTest, GoldenBytes) {
  const std::string header = Header(1, "hello");
  const std::string expected_fixed(
      "CSWA\x02\x00"
      "\x01\x00\x00\x00\x00\x00\x00\x00"
      "\x05\x00\x00\x00",
      18);
  EXPECT_EQ(header.substr(0, 18), expected_fixed);
  const uint32_t crc = base::Crc32c(expected_fixed.substr(4) + "hello");
  EXPECT_EQ(crc, 0x681F853Fu) << std::hex << crc;
  EXPECT_EQ(header.substr(18), std::string("\x3F\x85\x1F\x68", 4));
}

TEST(RecordTest, ParseRoundTrip) {
  const std::string payload(300, 'x');
  const std::string header = Header(0x0102030405060708, payload);
  RecordHeader parsed;
  ASSERT_EQ(ParseRecordHeader(header.data(), &parsed), HeaderCheck::kOk);
  EXPECT_EQ(parsed.seq, 0x0102030405060708u);
  EXPECT_EQ(parsed.length, 300u);
  EXPECT_EQ(parsed.crc, RecordCrc(header.data(), payload));
}

TEST(RecordTest, CrcCoversLengthSeqAndPayload) {
  const std::string header = Header(7, "abc");
  const uint32_t crc = RecordCrc(header.data(), "abc");
  for (size_t i = kVersionOffset; i < kCrcOffset; ++i) {
    std::string damaged = header;
    damaged[i] ^= 0x10;
    EXPECT_NE(RecordCrc(damaged.data(), "abc"), crc) << "header byte " << i;
  }
  EXPECT_NE(RecordCrc(header.data(), "abd"), crc);
  // The magic and the stored CRC itself are not covered.
  std::string other_magic = header;
  other_magic[0] = 'X';
  EXPECT_EQ(RecordCrc(other_magic.data(), "abc"), crc);
}

TEST(RecordTest, ParseRejectsBadFields) {
  const std::string good = Header(1, "p");
  RecordHeader parsed;
  struct Case {
    size_t offset;
    char value;
    HeaderCheck expected;
  };
  const Case cases[] = {
      {0, 'X', HeaderCheck::kBadMagic},
      {3, 'a', HeaderCheck::kBadMagic},
      {kVersionOffset, 1, HeaderCheck::kOriginalVersion},
      {kVersionOffset, 3, HeaderCheck::kUnknownVersion},
      {kVersionOffset, 0, HeaderCheck::kUnknownVersion},
      {kFlagsOffset, 1, HeaderCheck::kNonzeroFlags},
      {kFlagsOffset, static_cast<char>(0x80), HeaderCheck::kNonzeroFlags},
      {kLengthOffset + 3, 0x40, HeaderCheck::kLengthTooLarge},
  };
  for (const Case& c : cases) {
    std::string bad = good;
    bad[c.offset] = c.value;
    EXPECT_EQ(ParseRecordHeader(bad.data(), &parsed), c.expected) << c.offset;
  }
}

TEST(RecordTest, MaximumLengthIsAccepted) {
  std::string header = Header(1, "");
  header[kLengthOffset + 3] = 0x40;  // exactly 1 GiB
  RecordHeader parsed;
  EXPECT_EQ(ParseRecordHeader(header.data(), &parsed), HeaderCheck::kOk);
  EXPECT_EQ(parsed.length, kMaxPayloadBytes);
}

}  // namespace
}  // namespace cardinalsin::wal
