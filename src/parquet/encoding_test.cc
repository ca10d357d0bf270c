#include "parquet/encoding.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::parquet {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::vector<std::string> ToStrings(const model::StringVector& v) {
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(v.Get(i));
  }
  return out;
}

model::StringVector FromStrings(const std::vector<std::string>& values) {
  model::StringVector out;
  for (const std::string& v : values) {
    out.Append(v);
  }
  return out;
}

// Levels / indices with a mix of long runs and noise, all < 2^bit_width.
std::vector<uint32_t> RunsAndNoise(size_t n, int bit_width, std::mt19937_64& rng) {
  const uint64_t limit = bit_width == 0 ? 1 : (uint64_t{1} << bit_width);
  std::vector<uint32_t> values;
  while (values.size() < n) {
    const uint32_t value = static_cast<uint32_t>(rng() % limit);
    const size_t length = rng() % 3 == 0 ? 1 + rng() % 40 : 1;
    for (size_t i = 0; i < length && values.size() < n; ++i) {
      values.push_back(value);
    }
  }
  return values;
}

// Decoding must never crash or read out of bounds (ASan checks); it either fails with
// DataLossError or returns something.
void ExpectOkOrDataLoss(const absl::Status& status, std::string_view context) {
  if (!status.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << context << ": " << status;
  }
}

// ---------------------------------------------------------------------------------------------
// BitWidth.

TEST(BitWidthTest, CountsSignificantBits) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(2), 2);
  EXPECT_EQ(BitWidth(3), 2);
  EXPECT_EQ(BitWidth(4), 3);
  EXPECT_EQ(BitWidth(255), 8);
  EXPECT_EQ(BitWidth(256), 9);
  EXPECT_EQ(BitWidth(std::numeric_limits<uint32_t>::max()), 32);
  EXPECT_EQ(BitWidth(std::numeric_limits<uint64_t>::max()), 64);
}

// ---------------------------------------------------------------------------------------------
// RLE / bit-packing hybrid.

// Encodings.md#RLE, note 1: "The numbers 1 through 7 using bit width 3" (0..7) pack into
// 10001000 11000110 11111010. One bit-packed run of one group has header (1 << 1) | 1 = 3.
TEST(RleBitPackedTest, SpecBitPackingExample) {
  const std::vector<uint32_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string encoded;
  EncodeRleBitPacked(values, 3, &encoded);
  EXPECT_EQ(encoded, Bytes({0x03, 0b10001000, 0b11000110, 0b11111010}));
  std::vector<uint32_t> decoded(8);
  CS_ASSERT_OK(DecodeRleBitPacked(encoded, 3, decoded));
  EXPECT_EQ(decoded, values);
}

TEST(RleBitPackedTest, KnownRleRuns) {
  // 100 x 5 at width 3: RLE header 100 << 1 = 200 = ULEB 0xc8 0x01, then one value byte.
  std::string encoded;
  EncodeRleBitPacked(std::vector<uint32_t>(100, 5), 3, &encoded);
  EXPECT_EQ(encoded, Bytes({0xc8, 0x01, 0x05}));
  // Width 9 and 17 store the repeated value in 2 and 3 little-endian bytes.
  encoded.clear();
  EncodeRleBitPacked(std::vector<uint32_t>(8, 0x1ff), 9, &encoded);
  EXPECT_EQ(encoded, Bytes({0x10, 0xff, 0x01}));
  encoded.clear();
  EncodeRleBitPacked(std::vector<uint32_t>(8, 0x10203), 17, &encoded);
  EXPECT_EQ(encoded, Bytes({0x10, 0x03, 0x02, 0x01}));
  // Width 0: a run header and no value bytes.
  encoded.clear();
  EncodeRleBitPacked(std::vector<uint32_t>(10, 0), 0, &encoded);
  EXPECT_EQ(encoded, Bytes({0x14}));
}

TEST(RleBitPackedTest, LiteralsBeforeARunArePaddedFromTheRun) {
  // 3 literals then 20 x 1: the first group takes 5 of the run, leaving an RLE run of 15.
  std::vector<uint32_t> values = {2, 3, 0};
  values.insert(values.end(), 20, 1);
  std::string encoded;
  EncodeRleBitPacked(values, 2, &encoded);
  // 2,3,0,1,1,1,1,1 at width 2 = bytes 0b01001110 0b01010101; then RLE 15 << 1 = 30, value 1.
  EXPECT_EQ(encoded, Bytes({0x03, 0b01001110, 0b01010101, 30, 0x01}));
  std::vector<uint32_t> decoded(values.size());
  CS_ASSERT_OK(DecodeRleBitPacked(encoded, 2, decoded));
  EXPECT_EQ(decoded, values);
}

TEST(RleBitPackedTest, RoundTripsEveryBitWidthAndLength) {
  std::mt19937_64 rng(42);
  for (int bit_width = 0; bit_width <= 32; ++bit_width) {
    for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099}) {
      const std::vector<uint32_t> values = RunsAndNoise(n, bit_width, rng);
      std::string encoded;
      EncodeRleBitPacked(values, bit_width, &encoded);
      std::vector<uint32_t> decoded(n, 0xdeadbeef);
      CS_ASSERT_OK(DecodeRleBitPacked(encoded, bit_width, decoded)) << bit_width << " " << n;
      ASSERT_EQ(decoded, values) << bit_width << " " << n;
      // Pure noise (no runs) exercises the bit-packed path over many groups.
      std::vector<uint32_t> noise(n);
      for (uint32_t& v : noise) {
        v = static_cast<uint32_t>(rng() & ((uint64_t{1} << bit_width) - 1));
      }
      encoded.clear();
      EncodeRleBitPacked(noise, bit_width, &encoded);
      CS_ASSERT_OK(DecodeRleBitPacked(encoded, bit_width, decoded)) << bit_width << " " << n;
      ASSERT_EQ(decoded, noise) << bit_width << " " << n;
    }
  }
}

TEST(RleBitPackedTest, DecodesAPrefixOfTheValues) {
  std::mt19937_64 rng(1);
  const std::vector<uint32_t> values = RunsAndNoise(500, 5, rng);
  std::string encoded;
  EncodeRleBitPacked(values, 5, &encoded);
  for (size_t n : {0, 1, 13, 250, 499}) {
    std::vector<uint32_t> decoded(n);
    CS_ASSERT_OK(DecodeRleBitPacked(encoded, 5, decoded));
    EXPECT_TRUE(std::equal(decoded.begin(), decoded.end(), values.begin())) << n;
  }
}

TEST(RleBitPackedTest, LongRunsStayCompact) {
  std::vector<uint32_t> values(1 << 20, 7);
  values.resize(values.size() + (1 << 20), 3);
  std::string encoded;
  EncodeRleBitPacked(values, 3, &encoded);
  EXPECT_LE(encoded.size(), 10u);
}

TEST(RleBitPackedTest, FinalBitPackedRunMayBeCutAfterTheWantedValues) {
  // A header announcing 2 groups (16 values) of width 8 but only the bytes of 3 values: decoding
  // 3 values is fine, decoding 4 is not.
  const std::string encoded = Bytes({0x05, 10, 20, 30});
  std::vector<uint32_t> three(3);
  CS_ASSERT_OK(DecodeRleBitPacked(encoded, 8, three));
  EXPECT_THAT(three, ElementsAre(10, 20, 30));
  std::vector<uint32_t> four(4);
  EXPECT_THAT(DecodeRleBitPacked(encoded, 8, four), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RleBitPackedTest, RejectsBadInput) {
  std::vector<uint32_t> out(4);
  // Empty input for nonzero values.
  EXPECT_THAT(DecodeRleBitPacked("", 3, out), StatusIs(absl::StatusCode::kDataLoss));
  // RLE value 9 does not fit in 3 bits.
  EXPECT_THAT(DecodeRleBitPacked(Bytes({0x08, 0x09}), 3, out),
              StatusIs(absl::StatusCode::kDataLoss));
  // Missing the value byte of an RLE run.
  EXPECT_THAT(DecodeRleBitPacked(Bytes({0x08}), 3, out), StatusIs(absl::StatusCode::kDataLoss));
  // Unterminated varint header.
  EXPECT_THAT(DecodeRleBitPacked(Bytes({0x88, 0x80}), 3, out),
              StatusIs(absl::StatusCode::kDataLoss));
  // An 11-byte varint overflows 64 bits.
  EXPECT_THAT(DecodeRleBitPacked(std::string(10, '\xff') + "\x01", 3, out),
              StatusIs(absl::StatusCode::kDataLoss));
  // Runs that end before enough values were produced.
  EXPECT_THAT(DecodeRleBitPacked(Bytes({0x04, 0x01}), 3, out),
              StatusIs(absl::StatusCode::kDataLoss));
  // A bit width outside 0..32 is the caller's mistake.
  EXPECT_THAT(DecodeRleBitPacked(Bytes({0x08, 0x01}), 33, out),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::Status status = DecodeRleBitPacked(Bytes({0x08, 0x09}), 3, out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("RLE/bit-packed hybrid"));
}

TEST(RleBitPackedTest, WithLengthPrefix) {
  std::mt19937_64 rng(3);
  const std::vector<uint32_t> levels = RunsAndNoise(300, 1, rng);
  std::string encoded;
  EncodeRleBitPackedWithLength(levels, 1, &encoded);
  const uint32_t length = static_cast<uint8_t>(encoded[0]) | static_cast<uint8_t>(encoded[1]) << 8;
  EXPECT_EQ(length + 4, encoded.size());
  encoded += "values follow";
  std::vector<uint32_t> decoded(levels.size());
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeRleBitPackedWithLength(encoded, 1, decoded, &consumed));
  EXPECT_EQ(decoded, levels);
  EXPECT_EQ(encoded.substr(consumed), "values follow");

  // The values must lie inside the prefixed length.
  std::string lying = Bytes({0x01, 0x00, 0x00, 0x00, 0x08, 0x01});
  std::vector<uint32_t> four(4);
  EXPECT_THAT(DecodeRleBitPackedWithLength(lying, 1, four, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  lying = Bytes({0x09, 0x00, 0x00, 0x00, 0x08, 0x01});
  EXPECT_THAT(DecodeRleBitPackedWithLength(lying, 1, four, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeRleBitPackedWithLength(Bytes({0x02, 0x00}), 1, four, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RleBitPackedTest, TruncationsAndByteFlipsNeverCrash) {
  std::mt19937_64 rng(5);
  for (int bit_width : {1, 3, 8, 13, 32}) {
    const std::vector<uint32_t> values = RunsAndNoise(200, bit_width, rng);
    std::string encoded;
    EncodeRleBitPacked(values, bit_width, &encoded);
    std::vector<uint32_t> decoded(values.size());
    for (size_t keep = 0; keep < encoded.size(); ++keep) {
      // Encoded input holds exactly the bytes the values need (the last group is padded at most
      // to its own end), so any truncation that removes wanted bytes must fail.
      const absl::Status status =
          DecodeRleBitPacked(std::string_view(encoded).substr(0, keep), bit_width, decoded);
      ExpectOkOrDataLoss(status, "truncation");
    }
    for (size_t pos = 0; pos < encoded.size(); ++pos) {
      for (uint8_t mask : {0x01, 0x40, 0x80, 0xff}) {
        std::string corrupt = encoded;
        corrupt[pos] = static_cast<char>(corrupt[pos] ^ mask);
        ExpectOkOrDataLoss(DecodeRleBitPacked(corrupt, bit_width, decoded), "flip");
      }
    }
  }
}

TEST(RleBooleanTest, RoundTripsWithLengthPrefix) {
  std::vector<uint8_t> values = {1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1};
  std::string encoded;
  EncodeRleBoolean(values, &encoded);
  std::vector<uint8_t> decoded(values.size(), 9);
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeRleBoolean(encoded, decoded, &consumed));
  EXPECT_EQ(decoded, values);
  EXPECT_EQ(consumed, encoded.size());
  // Nonzero bytes encode as true.
  encoded.clear();
  EncodeRleBoolean(std::vector<uint8_t>{0, 7, 255}, &encoded);
  decoded.resize(3);
  CS_ASSERT_OK(DecodeRleBoolean(encoded, decoded, &consumed));
  EXPECT_THAT(decoded, ElementsAre(0, 1, 1));
}

// ---------------------------------------------------------------------------------------------
// Dictionary indices.

TEST(DictionaryIndicesTest, RoundTripAndBitWidthByte) {
  std::mt19937_64 rng(8);
  const std::vector<uint32_t> indices = RunsAndNoise(1000, 10, rng);
  std::string encoded;
  EncodeDictionaryIndices(indices, 10, &encoded);
  EXPECT_EQ(encoded[0], 10);
  std::vector<uint32_t> decoded(indices.size());
  CS_ASSERT_OK(DecodeDictionaryIndices(encoded, 1024, decoded));
  EXPECT_EQ(decoded, indices);
}

TEST(DictionaryIndicesTest, ChecksIndicesAgainstTheDictionary) {
  std::string encoded;
  EncodeDictionaryIndices(std::vector<uint32_t>{0, 1, 2, 5, 1}, 3, &encoded);
  std::vector<uint32_t> decoded(5);
  CS_EXPECT_OK(DecodeDictionaryIndices(encoded, 6, decoded));
  const absl::Status status = DecodeDictionaryIndices(encoded, 5, decoded);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(status.message()), HasSubstr("value 3 has index 5"));
  EXPECT_THAT(DecodeDictionaryIndices(encoded, 0, decoded), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DictionaryIndicesTest, EdgeCases) {
  // A single-entry dictionary: bit width 0.
  std::string encoded;
  EncodeDictionaryIndices(std::vector<uint32_t>(50, 0), 0, &encoded);
  EXPECT_EQ(encoded, Bytes({0x00, 100}));
  std::vector<uint32_t> decoded(50, 1);
  CS_ASSERT_OK(DecodeDictionaryIndices(encoded, 1, decoded));
  EXPECT_EQ(decoded, std::vector<uint32_t>(50, 0));
  // No values (an all-null page) needs no bytes at all.
  CS_EXPECT_OK(DecodeDictionaryIndices("", 0, {}));
  // Bit width byte above 32, or missing.
  EXPECT_THAT(DecodeDictionaryIndices(Bytes({33, 0x02, 0x00}), 10, decoded),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeDictionaryIndices("", 10, decoded), StatusIs(absl::StatusCode::kDataLoss));
}

// ---------------------------------------------------------------------------------------------
// PLAIN.

template <typename T>
void ExpectPlainRoundTrip(std::vector<T> values) {
  std::string encoded;
  EncodePlain<T>(values, &encoded);
  ASSERT_EQ(encoded.size(), values.size() * sizeof(T));
  encoded += "tail";
  std::vector<T> decoded(values.size());
  size_t consumed = 0;
  CS_ASSERT_OK(DecodePlain<T>(encoded, decoded, &consumed));
  EXPECT_EQ(consumed, values.size() * sizeof(T));
  // Bitwise, so NaN and -0.0 count.
  if (!values.empty()) {
    EXPECT_EQ(std::memcmp(decoded.data(), values.data(), values.size() * sizeof(T)), 0);
  }
  if (!values.empty()) {
    EXPECT_THAT(
        DecodePlain<T>(std::string_view(encoded).substr(0, consumed - 1), decoded, &consumed),
        StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST(PlainTest, FixedWidthRoundTrips) {
  ExpectPlainRoundTrip<int32_t>(
      {0, 1, -1, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()});
  ExpectPlainRoundTrip<uint32_t>({0, 1, std::numeric_limits<uint32_t>::max()});
  ExpectPlainRoundTrip<int64_t>(
      {0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()});
  ExpectPlainRoundTrip<uint64_t>({0, std::numeric_limits<uint64_t>::max()});
  ExpectPlainRoundTrip<float>({0.0f, -0.0f, 1.5f, std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::quiet_NaN()});
  ExpectPlainRoundTrip<double>({0.0, -0.0, 3.25, -std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN(),
                                std::numeric_limits<double>::denorm_min()});
  ExpectPlainRoundTrip<int64_t>({});
}

TEST(PlainTest, KnownLittleEndianBytes) {
  std::string encoded;
  EncodePlain<int32_t>(std::vector<int32_t>{1, -2}, &encoded);
  EXPECT_EQ(encoded, Bytes({0x01, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}));
  encoded.clear();
  EncodePlain<double>(std::vector<double>{1.0}, &encoded);
  EXPECT_EQ(encoded, Bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
}

TEST(PlainTest, Booleans) {
  // LSB first: 1,0,1,1,0,0,0,0, 1 -> 0b00001101, 0b00000001.
  std::string encoded;
  EncodePlainBoolean(std::vector<uint8_t>{1, 0, 1, 1, 0, 0, 0, 0, 1}, &encoded);
  EXPECT_EQ(encoded, Bytes({0x0d, 0x01}));
  std::vector<uint8_t> decoded(9);
  size_t consumed = 0;
  CS_ASSERT_OK(DecodePlainBoolean(encoded, decoded, &consumed));
  EXPECT_THAT(decoded, ElementsAre(1, 0, 1, 1, 0, 0, 0, 0, 1));
  EXPECT_EQ(consumed, 2u);
  EXPECT_THAT(DecodePlainBoolean(encoded.substr(0, 1), decoded, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PlainTest, ByteArrays) {
  const model::StringVector values =
      model::StringVector::Of({"", "a", "hello", std::string(300, 'x')});
  std::string encoded;
  EncodePlainByteArray(values, &encoded);
  EXPECT_EQ(encoded.substr(0, 10), Bytes({0, 0, 0, 0, 1, 0, 0, 0, 'a', 5}));
  std::string from_views;
  const std::vector<std::string_view> views = {"", "a", "hello", std::string_view(values.Get(3))};
  EncodePlainByteArray(views, &from_views);
  EXPECT_EQ(from_views, encoded);

  model::StringVector decoded = model::StringVector::Of({"kept"});
  size_t consumed = 0;
  CS_ASSERT_OK(DecodePlainByteArray(encoded + "tail", 4, &decoded, &consumed));
  EXPECT_EQ(consumed, encoded.size());
  EXPECT_THAT(ToStrings(decoded), ElementsAre("kept", "", "a", "hello", std::string(300, 'x')));

  for (size_t keep = 0; keep < encoded.size(); ++keep) {
    model::StringVector out;
    EXPECT_THAT(DecodePlainByteArray(encoded.substr(0, keep), 4, &out, &consumed),
                StatusIs(absl::StatusCode::kDataLoss))
        << keep;
  }
  // A length of 2^32 - 1 must not overflow the bounds check.
  model::StringVector out;
  EXPECT_THAT(DecodePlainByteArray(Bytes({0xff, 0xff, 0xff, 0xff, 'a'}), 1, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  // A count the input cannot hold is rejected before reserving memory for it.
  EXPECT_THAT(DecodePlainByteArray(encoded, size_t{1} << 40, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PlainTest, FixedLenByteArrays) {
  const model::StringVector values = model::StringVector::Of({"abc", "def", "ghi"});
  std::string encoded;
  CS_ASSERT_OK(EncodePlainFixedLenByteArray(values, 3, &encoded));
  EXPECT_EQ(encoded, "abcdefghi");
  model::StringVector decoded;
  size_t consumed = 0;
  CS_ASSERT_OK(DecodePlainFixedLenByteArray(encoded, 3, 3, &decoded, &consumed));
  EXPECT_EQ(decoded, values);
  EXPECT_EQ(consumed, 9u);
  EXPECT_THAT(DecodePlainFixedLenByteArray("abcdefgh", 3, 3, &decoded, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodePlainFixedLenByteArray(encoded, 3, 0, &decoded, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(EncodePlainFixedLenByteArray(values, 2, &encoded),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------------------------------------
// DELTA_BINARY_PACKED.

// Encodings.md#DELTAENC "Example 1" and "Example 2", with the block size 128 / 4 miniblocks that
// real files use instead of the examples' 8 (which the spec notes is invalid in real files).
TEST(DeltaBinaryPackedTest, SpecExamples) {
  std::string encoded;
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{1, 2, 3, 4, 5}, &encoded);
  // Header: 128 (ULEB 0x80 0x01), 4 miniblocks, 5 values, first value zigzag(1) = 2.
  // Block: min delta zigzag(1) = 2, widths 0 0 0 0, no miniblock data.
  EXPECT_EQ(encoded, Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00}));

  encoded.clear();
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{7, 5, 3, 1, 2, 3, 4, 5}, &encoded);
  // Header: first value zigzag(7) = 14. Block: min delta zigzag(-2) = 3, widths 2 0 0 0; the
  // miniblock is 32 values x 2 bits = 8 bytes holding 0,0,0,3,3,3,3 and padding.
  EXPECT_EQ(encoded, Bytes({0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00, 0xc0, 0x3f,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
  std::vector<int32_t> decoded(8);
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaBinaryPackedInt32(encoded, decoded, &consumed));
  EXPECT_THAT(decoded, ElementsAre(7, 5, 3, 1, 2, 3, 4, 5));
  EXPECT_EQ(consumed, encoded.size());
}

TEST(DeltaBinaryPackedTest, DecodesOtherBlockLayouts) {
  // Block size 256 in 2 miniblocks of 128 values, 3 values: 10, 11, 13. Deltas 1, 2; min 1;
  // relative 0, 1 at width 1: one miniblock of 128 bits = 16 bytes, the second not needed (its
  // width byte holds garbage, which readers must ignore).
  std::string encoded = Bytes({0x80, 0x02, 0x02, 0x03, 0x14, 0x02, 0x01, 0xee, 0x02});
  encoded += std::string(15, '\0');
  encoded += "next";
  std::vector<int64_t> decoded(3);
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaBinaryPackedInt64(encoded, decoded, &consumed));
  EXPECT_THAT(decoded, ElementsAre(10, 11, 13));
  EXPECT_EQ(encoded.substr(consumed), "next");
}

template <typename T>
void ExpectDeltaRoundTrip(const std::vector<T>& values, std::string_view context) {
  std::string encoded;
  std::vector<T> decoded(values.size());
  size_t consumed = 0;
  if constexpr (sizeof(T) == 4) {
    EncodeDeltaBinaryPackedInt32(values, &encoded);
    encoded += "after";
    CS_ASSERT_OK(DecodeDeltaBinaryPackedInt32(encoded, decoded, &consumed)) << context;
  } else {
    EncodeDeltaBinaryPackedInt64(values, &encoded);
    encoded += "after";
    CS_ASSERT_OK(DecodeDeltaBinaryPackedInt64(encoded, decoded, &consumed)) << context;
  }
  ASSERT_EQ(decoded, values) << context;
  EXPECT_EQ(encoded.substr(consumed), "after") << context;
  EXPECT_THAT(DeltaBinaryPackedValueCount(encoded),
              ::cardinalsin::base::testing::IsOkAndHolds(values.size()));
}

TEST(DeltaBinaryPackedTest, BoundaryCounts) {
  // Empty, one value, exactly one block (1 + 128 values), block + 1, several blocks.
  for (size_t n : {0, 1, 2, 32, 33, 128, 129, 130, 257, 1000}) {
    std::vector<int64_t> values(n);
    for (size_t i = 0; i < n; ++i) {
      values[i] = 1'700'000'000'000 + 15'000 * static_cast<int64_t>(i);
    }
    ExpectDeltaRoundTrip(values, "timestamps " + std::to_string(n));
    std::vector<int32_t> small(n);
    for (size_t i = 0; i < n; ++i) {
      small[i] = static_cast<int32_t>(i * i) - 500;
    }
    ExpectDeltaRoundTrip(small, "squares " + std::to_string(n));
  }
}

TEST(DeltaBinaryPackedTest, ExtremeValuesWrapAround) {
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  ExpectDeltaRoundTrip<int64_t>({kMin64, kMax64, kMin64, 0, kMax64, -1, kMin64}, "int64 extremes");
  ExpectDeltaRoundTrip<int64_t>({kMax64, kMin64}, "int64 max-min");
  ExpectDeltaRoundTrip<int32_t>({kMin32, kMax32, kMin32, 0, kMax32, -1, kMin32}, "int32 extremes");
  // INT32 deltas wrap in 32 bits, so no miniblock is wider than 32.
  std::string encoded;
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{kMin32, kMax32, kMin32, kMax32}, &encoded);
  // Header 80 01 04 04, first value zigzag(INT32_MIN) = 2^32 - 1 in 5 bytes; the deltas wrap to
  // -1, 1, -1, so min delta -1 (1 byte) and relative deltas 0, 2, 0 of width 2 (8 bytes).
  EXPECT_EQ(encoded.size(), 9u + 1 + 4 + 8);
  EXPECT_EQ(encoded.substr(9, 5), Bytes({0x01, 0x02, 0x00, 0x00, 0x00}));
  // Alternating extremes need the full 64 bits in INT64.
  std::vector<int64_t> alternating(300);
  for (size_t i = 0; i < alternating.size(); ++i) {
    alternating[i] = i % 2 ? kMax64 : kMin64 + 1;
  }
  ExpectDeltaRoundTrip(alternating, "alternating");
}

TEST(DeltaBinaryPackedTest, RandomRoundTrips) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = rng() % 700;
    const int bits = static_cast<int>(rng() % 65);
    std::vector<int64_t> values64(n);
    std::vector<int32_t> values32(n);
    int64_t walk = static_cast<int64_t>(rng());
    for (size_t i = 0; i < n; ++i) {
      const uint64_t noise = bits == 64 ? rng() : rng() & ((uint64_t{1} << bits) - 1);
      walk = static_cast<int64_t>(static_cast<uint64_t>(walk) + noise);
      values64[i] = trial % 3 == 0 ? static_cast<int64_t>(rng()) : walk;
      values32[i] = static_cast<int32_t>(values64[i]);
    }
    ExpectDeltaRoundTrip(values64, "trial " + std::to_string(trial));
    ExpectDeltaRoundTrip(values32, "trial " + std::to_string(trial));
  }
}

TEST(DeltaBinaryPackedTest, RejectsMalformedHeaders) {
  std::vector<int64_t> out(3);
  size_t consumed = 0;
  auto decode = [&](const std::string& in) {
    return DecodeDeltaBinaryPackedInt64(in, out, &consumed);
  };
  // Block size 100 is not a multiple of 128; 0 miniblocks; 3 miniblocks do not divide 128.
  EXPECT_THAT(decode(Bytes({100, 4, 3, 0})), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(decode(Bytes({0x80, 0x01, 0, 3, 0})), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(decode(Bytes({0x80, 0x01, 3, 3, 0})), StatusIs(absl::StatusCode::kDataLoss));
  // Count mismatch with the caller's expectation.
  EXPECT_THAT(decode(Bytes({0x80, 0x01, 4, 2, 0, 0, 0, 0, 0, 0})),
              StatusIs(absl::StatusCode::kDataLoss));
  // Truncated header.
  EXPECT_THAT(decode(Bytes({0x80, 0x01, 4})), StatusIs(absl::StatusCode::kDataLoss));
  // Miniblock bit width 65.
  EXPECT_THAT(decode(Bytes({0x80, 0x01, 4, 3, 0, 0, 65, 0, 0, 0})),
              StatusIs(absl::StatusCode::kDataLoss));
  // A header count far beyond what the bytes can hold is rejected up front.
  std::string huge = Bytes({0x80, 0x01, 4, 0xff, 0xff, 0xff, 0xff, 0x0f, 0});
  EXPECT_THAT(DeltaBinaryPackedValueCount(huge), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DeltaBinaryPackedTest, TruncationsAndByteFlipsNeverCrash) {
  std::mt19937_64 rng(9);
  std::vector<int64_t> values(300);
  for (int64_t& v : values) {
    v = static_cast<int64_t>(rng() % 100000) - 50000;
  }
  std::string encoded;
  EncodeDeltaBinaryPackedInt64(values, &encoded);
  std::vector<int64_t> decoded(values.size());
  std::vector<int32_t> decoded32(values.size());
  size_t consumed = 0;
  for (size_t keep = 0; keep < encoded.size(); ++keep) {
    EXPECT_THAT(DecodeDeltaBinaryPackedInt64(encoded.substr(0, keep), decoded, &consumed),
                StatusIs(absl::StatusCode::kDataLoss))
        << keep;
  }
  for (size_t pos = 0; pos < encoded.size(); ++pos) {
    for (uint8_t mask : {0x01, 0x20, 0x80, 0xff}) {
      std::string corrupt = encoded;
      corrupt[pos] = static_cast<char>(corrupt[pos] ^ mask);
      ExpectOkOrDataLoss(DecodeDeltaBinaryPackedInt64(corrupt, decoded, &consumed), "flip64");
      ExpectOkOrDataLoss(DecodeDeltaBinaryPackedInt32(corrupt, decoded32, &consumed), "flip32");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY.

// Encodings.md#DELTALENGTH: "Hello", "World", "Foobar", "ABCDEF" is DeltaEncoding(5, 5, 6, 6)
// followed by "HelloWorldFoobarABCDEF".
TEST(DeltaLengthByteArrayTest, SpecExample) {
  const model::StringVector values =
      model::StringVector::Of({"Hello", "World", "Foobar", "ABCDEF"});
  std::string encoded;
  EncodeDeltaLengthByteArray(values, &encoded);
  std::string expected;
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{5, 5, 6, 6}, &expected);
  // Header 128/4/4/zigzag(5)=10; block: min delta 0, widths 1 0 0 0, then 32 bits holding the
  // relative deltas 0, 1, 0.
  EXPECT_EQ(expected, Bytes({0x80, 0x01, 0x04, 0x04, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
                             0x00, 0x00}));
  expected += "HelloWorldFoobarABCDEF";
  EXPECT_EQ(encoded, expected);

  model::StringVector decoded;
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaLengthByteArray(encoded + "zz", 4, &decoded, &consumed));
  EXPECT_EQ(decoded, values);
  EXPECT_EQ(consumed, encoded.size());
}

// Encodings.md#DELTASTRING: "axis", "axle", "babble", "babyhood" is DeltaEncoding(0, 2, 0, 3),
// DeltaEncoding(4, 2, 6, 5) and "axislebabbleyhood".
TEST(DeltaByteArrayTest, SpecExample) {
  const model::StringVector values =
      model::StringVector::Of({"axis", "axle", "babble", "babyhood"});
  std::string encoded;
  EncodeDeltaByteArray(values, &encoded);
  std::string expected;
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{0, 2, 0, 3}, &expected);
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{4, 2, 6, 5}, &expected);
  expected += "axislebabbleyhood";
  EXPECT_EQ(encoded, expected);

  model::StringVector decoded;
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaByteArray(encoded, 4, &decoded, &consumed));
  EXPECT_EQ(decoded, values);
  EXPECT_EQ(consumed, encoded.size());
}

TEST(DeltaByteArrayTest, RandomRoundTrips) {
  std::mt19937_64 rng(12);
  for (size_t n : {0, 1, 2, 128, 129, 1000}) {
    std::vector<std::string> strings;
    std::string previous;
    for (size_t i = 0; i < n; ++i) {
      std::string s = previous.substr(0, rng() % (previous.size() + 1));
      const size_t extra = rng() % 12;
      for (size_t k = 0; k < extra; ++k) {
        s.push_back(static_cast<char>('a' + rng() % 26));
      }
      strings.push_back(s);
      previous = s;
    }
    const model::StringVector values = FromStrings(strings);
    for (bool delta_strings : {false, true}) {
      std::string encoded;
      model::StringVector decoded;
      size_t consumed = 0;
      if (delta_strings) {
        EncodeDeltaByteArray(values, &encoded);
        CS_ASSERT_OK(DecodeDeltaByteArray(encoded, n, &decoded, &consumed));
      } else {
        EncodeDeltaLengthByteArray(values, &encoded);
        CS_ASSERT_OK(DecodeDeltaLengthByteArray(encoded, n, &decoded, &consumed));
      }
      EXPECT_EQ(decoded, values) << n << " " << delta_strings;
      EXPECT_EQ(consumed, encoded.size());
    }
  }
}

TEST(DeltaByteArrayTest, RejectsBadStreams) {
  model::StringVector out;
  size_t consumed = 0;
  // Prefix 3 for the first value (there is no previous value).
  std::string encoded;
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{3}, &encoded);
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{1}, &encoded);
  encoded += "x";
  EXPECT_THAT(DecodeDeltaByteArray(encoded, 1, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  // Negative length.
  encoded.clear();
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{-1}, &encoded);
  EXPECT_THAT(DecodeDeltaLengthByteArray(encoded, 1, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  // Lengths beyond the data.
  encoded.clear();
  EncodeDeltaBinaryPackedInt32(std::vector<int32_t>{4, 4}, &encoded);
  encoded += "abcdefg";
  EXPECT_THAT(DecodeDeltaLengthByteArray(encoded, 2, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
  // Count mismatch.
  EXPECT_THAT(DecodeDeltaLengthByteArray(encoded, 3, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));

  const model::StringVector values = model::StringVector::Of({"alpha", "alphabet", "beta", "b"});
  std::string valid;
  EncodeDeltaByteArray(values, &valid);
  for (size_t keep = 0; keep < valid.size(); ++keep) {
    model::StringVector partial;
    EXPECT_THAT(DecodeDeltaByteArray(valid.substr(0, keep), 4, &partial, &consumed),
                StatusIs(absl::StatusCode::kDataLoss))
        << keep;
  }
  for (size_t pos = 0; pos < valid.size(); ++pos) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string corrupt = valid;
      corrupt[pos] = static_cast<char>(corrupt[pos] ^ mask);
      model::StringVector partial;
      ExpectOkOrDataLoss(DecodeDeltaByteArray(corrupt, 4, &partial, &consumed), "flip");
      ExpectOkOrDataLoss(DecodeDeltaLengthByteArray(corrupt, 4, &partial, &consumed), "flip");
    }
  }
}

TEST(DeltaByteArrayTest, RefusesExplosiveOutput) {
  // One 1 MiB value repeated as a prefix by 8192 more values would decode to 8 GiB.
  constexpr size_t kCount = 8193;
  std::vector<int32_t> prefixes(kCount, 1 << 20);
  prefixes[0] = 0;
  std::vector<int32_t> suffixes(kCount, 0);
  suffixes[0] = 1 << 20;
  std::string encoded;
  EncodeDeltaBinaryPackedInt32(prefixes, &encoded);
  EncodeDeltaBinaryPackedInt32(suffixes, &encoded);
  encoded += std::string(1 << 20, 'x');
  model::StringVector out;
  size_t consumed = 0;
  EXPECT_THAT(DecodeDeltaByteArray(encoded, kCount, &out, &consumed),
              StatusIs(absl::StatusCode::kDataLoss));
}

// ---------------------------------------------------------------------------------------------
// BYTE_STREAM_SPLIT.

// Encodings.md#BYTESTREAMSPLIT: elements AA BB CC DD, 00 11 22 33, A3 B4 C5 D6 become
// AA 00 A3 BB 11 B4 CC 22 C5 DD 33 D6.
TEST(ByteStreamSplitTest, SpecExample) {
  const std::string raw =
      Bytes({0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6});
  std::vector<float> floats(3);
  std::memcpy(floats.data(), raw.data(), raw.size());
  std::string encoded;
  EncodeByteStreamSplit<float>(floats, &encoded);
  const std::string expected =
      Bytes({0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6});
  EXPECT_EQ(encoded, expected);
  std::vector<float> decoded(3);
  CS_ASSERT_OK(DecodeByteStreamSplit<float>(encoded, decoded));
  EXPECT_EQ(std::memcmp(decoded.data(), raw.data(), raw.size()), 0);

  model::StringVector fixed;
  CS_ASSERT_OK(DecodeByteStreamSplitFixedLen(expected, 3, 4, &fixed));
  EXPECT_EQ(fixed.bytes(), raw);
  std::string reencoded;
  CS_ASSERT_OK(EncodeByteStreamSplitFixedLen(fixed, 4, &reencoded));
  EXPECT_EQ(reencoded, expected);
}

template <typename T>
void ExpectByteStreamSplitRoundTrip(size_t n, std::mt19937_64& rng) {
  std::vector<T> values(n);
  for (T& v : values) {
    const uint64_t bits = rng();
    std::memcpy(&v, &bits, sizeof(T));
  }
  std::string encoded;
  EncodeByteStreamSplit<T>(values, &encoded);
  ASSERT_EQ(encoded.size(), n * sizeof(T));
  std::vector<T> decoded(n);
  CS_ASSERT_OK(DecodeByteStreamSplit<T>(encoded, decoded));
  if (n > 0) {
    EXPECT_EQ(std::memcmp(decoded.data(), values.data(), n * sizeof(T)), 0);
  }
  EXPECT_THAT(DecodeByteStreamSplit<T>(encoded + "x", decoded),
              StatusIs(absl::StatusCode::kDataLoss));
  if (n > 0) {
    EXPECT_THAT(DecodeByteStreamSplit<T>(encoded.substr(1), decoded),
                StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST(ByteStreamSplitTest, RandomRoundTrips) {
  std::mt19937_64 rng(21);
  for (size_t n : {0, 1, 2, 7, 100, 1001}) {
    ExpectByteStreamSplitRoundTrip<float>(n, rng);
    ExpectByteStreamSplitRoundTrip<double>(n, rng);
    ExpectByteStreamSplitRoundTrip<int32_t>(n, rng);
    ExpectByteStreamSplitRoundTrip<int64_t>(n, rng);
  }
}

// ---------------------------------------------------------------------------------------------
// Random bytes into every decoder (a poor man's fuzzer; the debug build runs it under ASan and
// UBSan). Inputs start with a valid-looking header half of the time so decoding gets deeper.

TEST(EncodingFuzzTest, RandomInputNeverCrashes) {
  std::mt19937_64 rng(2024);
  std::string valid_header;
  EncodeDeltaBinaryPackedInt64(std::vector<int64_t>(40, 3), &valid_header);
  valid_header.resize(4);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string in(rng() % 64, '\0');
    for (char& c : in) {
      c = static_cast<char>(rng());
    }
    if (trial % 2 == 0) {
      in.insert(0, valid_header);
    }
    const size_t count = rng() % 70;
    std::vector<uint32_t> u32(count);
    std::vector<uint8_t> u8(count);
    std::vector<int32_t> i32(count);
    std::vector<int64_t> i64(count);
    std::vector<double> f64(count);
    model::StringVector strings;
    size_t consumed = 0;
    const int bit_width = static_cast<int>(rng() % 33);
    ExpectOkOrDataLoss(DecodeRleBitPacked(in, bit_width, u32), "rle");
    ExpectOkOrDataLoss(DecodeRleBitPackedWithLength(in, bit_width, u32, &consumed), "rle+len");
    ExpectOkOrDataLoss(DecodeRleBoolean(in, u8, &consumed), "rle bool");
    ExpectOkOrDataLoss(DecodeDictionaryIndices(in, 1 + rng() % 100, u32), "dict");
    ExpectOkOrDataLoss(DecodePlainBoolean(in, u8, &consumed), "plain bool");
    ExpectOkOrDataLoss(DecodePlain<double>(in, f64, &consumed), "plain double");
    ExpectOkOrDataLoss(DecodePlainByteArray(in, count, &strings, &consumed), "plain bytes");
    ExpectOkOrDataLoss(DecodePlainFixedLenByteArray(in, count, static_cast<int>(1 + rng() % 9),
                                                    &strings, &consumed),
                       "plain flba");
    ExpectOkOrDataLoss(DecodeDeltaBinaryPackedInt32(in, i32, &consumed), "dbp32");
    ExpectOkOrDataLoss(DecodeDeltaBinaryPackedInt64(in, i64, &consumed), "dbp64");
    ExpectOkOrDataLoss(DeltaBinaryPackedValueCount(in).status(), "dbp count");
    ExpectOkOrDataLoss(DecodeDeltaLengthByteArray(in, count, &strings, &consumed), "dlba");
    ExpectOkOrDataLoss(DecodeDeltaByteArray(in, count, &strings, &consumed), "dba");
    ExpectOkOrDataLoss(DecodeByteStreamSplit<double>(in, f64), "bss");
    ExpectOkOrDataLoss(
        DecodeByteStreamSplitFixedLen(in, count, static_cast<int>(1 + rng() % 9), &strings),
        "bss flba");
  }
}

// ---------------------------------------------------------------------------------------------
// Pages written by pyarrow 26.0.1. Each testdata file is the value payload of one data page
// (v1, required column, no compression, so the page holds only values), cut out of a Parquet
// file by src/parquet/testdata/encoding_golden_gen.py, which also describes the values.

// CMake compiles with absolute source paths, so the fixtures are found beside this file.
std::string ReadTestdata(std::string_view name) {
  const std::string path =
      (std::filesystem::path(__FILE__).parent_path() / "testdata" / name).string();
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot open " << path;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// The generator's values: int64 timestamps at 15 s with jitter and extremes at the end.
std::vector<int64_t> GoldenInt64s() {
  std::vector<int64_t> values;
  values.reserve(1003);
  for (int64_t i = 0; i < 1000; ++i) {
    values.push_back(1'700'000'000'000'000'000 + i * 15'000'000'000 + (i * 7919) % 1000);
  }
  values.push_back(std::numeric_limits<int64_t>::min());
  values.push_back(std::numeric_limits<int64_t>::max());
  values.push_back(0);
  return values;
}

std::vector<int32_t> GoldenInt32s() {
  std::vector<int32_t> values;
  values.reserve(502);
  for (int32_t i = 0; i < 500; ++i) {
    values.push_back((i * 104729) % 20011 - 10000);
  }
  values.push_back(std::numeric_limits<int32_t>::min());
  values.push_back(std::numeric_limits<int32_t>::max());
  return values;
}

std::vector<double> GoldenDoubles() {
  std::vector<double> values;
  values.reserve(700);
  for (int i = 0; i < 700; ++i) {
    values.push_back(20.0 + 5.0 * std::sin(i / 10.0) + i * 0.001);
  }
  return values;
}

std::vector<std::string> GoldenStrings() {
  std::vector<std::string> values;
  values.reserve(300);
  for (int i = 0; i < 300; ++i) {
    values.push_back("job=\"api\",instance=\"host-" + std::to_string(i % 13) + "\",code=\"" +
                     std::to_string(200 + (i % 5) * 100) + "\"");
  }
  return values;
}

TEST(PyarrowGoldenTest, DeltaBinaryPackedInt64) {
  const std::string page = ReadTestdata("encoding_dbp_int64.bin");
  const std::vector<int64_t> expected = GoldenInt64s();
  std::vector<int64_t> decoded(expected.size());
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaBinaryPackedInt64(page, decoded, &consumed));
  EXPECT_EQ(decoded, expected);
  EXPECT_EQ(consumed, page.size());
  // pyarrow 26 writes INT64 in blocks of 256 values (4 miniblocks of 64), we in blocks of 128,
  // so only the decoded values can be compared.
  EXPECT_EQ(page.substr(0, 3), Bytes({0x80, 0x02, 0x04}));
}

TEST(PyarrowGoldenTest, DeltaBinaryPackedInt32) {
  const std::string page = ReadTestdata("encoding_dbp_int32.bin");
  const std::vector<int32_t> expected = GoldenInt32s();
  std::vector<int32_t> decoded(expected.size());
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaBinaryPackedInt32(page, decoded, &consumed));
  EXPECT_EQ(decoded, expected);
  EXPECT_EQ(consumed, page.size());
  std::string ours;
  EncodeDeltaBinaryPackedInt32(expected, &ours);
  EXPECT_TRUE(ours == page) << "our encoder should match pyarrow byte for byte";
}

TEST(PyarrowGoldenTest, PlainInt64) {
  const std::string page = ReadTestdata("encoding_plain_int64.bin");
  const std::vector<int64_t> expected = GoldenInt64s();
  std::vector<int64_t> decoded(expected.size());
  size_t consumed = 0;
  CS_ASSERT_OK(DecodePlain<int64_t>(page, decoded, &consumed));
  EXPECT_EQ(decoded, expected);
  EXPECT_EQ(consumed, page.size());
}

TEST(PyarrowGoldenTest, ByteStreamSplitDouble) {
  const std::string page = ReadTestdata("encoding_bss_double.bin");
  const std::vector<double> expected = GoldenDoubles();
  std::vector<double> decoded(expected.size());
  CS_ASSERT_OK(DecodeByteStreamSplit<double>(page, decoded));
  EXPECT_EQ(decoded, expected);
  std::string ours;
  EncodeByteStreamSplit<double>(expected, &ours);
  EXPECT_TRUE(ours == page) << "our encoder should match pyarrow byte for byte";
}

TEST(PyarrowGoldenTest, DeltaLengthByteArray) {
  const std::string page = ReadTestdata("encoding_dlba_strings.bin");
  const model::StringVector expected = FromStrings(GoldenStrings());
  model::StringVector decoded;
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaLengthByteArray(page, expected.size(), &decoded, &consumed));
  EXPECT_EQ(decoded, expected);
  EXPECT_EQ(consumed, page.size());
  std::string ours;
  EncodeDeltaLengthByteArray(expected, &ours);
  EXPECT_TRUE(ours == page) << "our encoder should match pyarrow byte for byte";
}

TEST(PyarrowGoldenTest, DeltaByteArray) {
  const std::string page = ReadTestdata("encoding_dba_strings.bin");
  const model::StringVector expected = FromStrings(GoldenStrings());
  model::StringVector decoded;
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeDeltaByteArray(page, expected.size(), &decoded, &consumed));
  EXPECT_EQ(decoded, expected);
  EXPECT_EQ(consumed, page.size());
  std::string ours;
  EncodeDeltaByteArray(expected, &ours);
  EXPECT_TRUE(ours == page) << "our encoder should match pyarrow byte for byte";
}

TEST(PyarrowGoldenTest, DictionaryPageAndIndices) {
  // The dictionary page (PLAIN BYTE_ARRAY, distinct values in first-seen order) and the
  // RLE_DICTIONARY data page of the same column.
  const std::string dictionary_page = ReadTestdata("encoding_dict_strings_dictionary.bin");
  const std::string indices_page = ReadTestdata("encoding_dict_strings_indices.bin");
  const std::vector<std::string> strings = GoldenStrings();
  std::vector<std::string> distinct;
  for (const std::string& s : strings) {
    if (std::find(distinct.begin(), distinct.end(), s) == distinct.end()) {
      distinct.push_back(s);
    }
  }
  model::StringVector dictionary;
  size_t consumed = 0;
  CS_ASSERT_OK(DecodePlainByteArray(dictionary_page, distinct.size(), &dictionary, &consumed));
  EXPECT_EQ(ToStrings(dictionary), distinct);
  EXPECT_EQ(consumed, dictionary_page.size());
  std::vector<uint32_t> indices(strings.size());
  CS_ASSERT_OK(DecodeDictionaryIndices(indices_page, dictionary.size(), indices));
  for (size_t i = 0; i < strings.size(); ++i) {
    ASSERT_EQ(dictionary.Get(indices[i]), strings[i]) << i;
  }
}

TEST(PyarrowGoldenTest, DefinitionLevelsAndBooleans) {
  // An optional BOOLEAN column, data page v1: 4-byte-prefixed RLE definition levels (every
  // third row null), then PLAIN booleans for the non-null rows (i % 5 == 0).
  const std::string page = ReadTestdata("encoding_levels_bool.bin");
  constexpr size_t kRows = 300;
  std::vector<uint32_t> levels(kRows);
  size_t consumed = 0;
  CS_ASSERT_OK(DecodeRleBitPackedWithLength(page, 1, levels, &consumed));
  std::vector<uint8_t> expected_values;
  for (size_t i = 0; i < kRows; ++i) {
    ASSERT_EQ(levels[i], i % 3 == 0 ? 0u : 1u) << i;
    if (i % 3 != 0) {
      expected_values.push_back(i % 5 == 0);
    }
  }
  std::vector<uint8_t> values(expected_values.size());
  size_t value_bytes = 0;
  CS_ASSERT_OK(DecodePlainBoolean(std::string_view(page).substr(consumed), values, &value_bytes));
  EXPECT_EQ(values, expected_values);
  EXPECT_EQ(consumed + value_bytes, page.size());
}

}  // namespace
}  // namespace cardinalsin::parquet
