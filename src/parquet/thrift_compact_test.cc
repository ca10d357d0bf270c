#include "parquet/thrift_compact.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "parquet/testing/bytes.h"

namespace cardinalsin::parquet::thrift {
namespace {

using ::cardinalsin::parquet::testing::Bytes;
using ::cardinalsin::parquet::testing::ExactCopy;

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

std::string Varint(uint64_t v) {
  std::string out;
  AppendVarint(v, &out);
  return out;
}

TEST(ThriftCompactTest, VarintBoundaries) {
  EXPECT_EQ(Varint(0), Bytes({0x00}));
  EXPECT_EQ(Varint(1), Bytes({0x01}));
  EXPECT_EQ(Varint(127), Bytes({0x7F}));
  EXPECT_EQ(Varint(128), Bytes({0x80, 0x01}));
  EXPECT_EQ(Varint(16383), Bytes({0xFF, 0x7F}));
  EXPECT_EQ(Varint(16384), Bytes({0x80, 0x80, 0x01}));
  // The example from the compact protocol specification.
  EXPECT_EQ(Varint(50399), Bytes({0xDF, 0x89, 0x03}));
  EXPECT_EQ(Varint(0xFFFFFFFF), Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
  EXPECT_EQ(Varint(std::numeric_limits<uint64_t>::max()),
            Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));

  for (uint64_t v :
       {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35, (uint64_t{1} << 63) - 1,
        uint64_t{1} << 63, std::numeric_limits<uint64_t>::max()}) {
    const std::string bytes = Varint(v);
    CompactReader r(bytes);
    EXPECT_THAT(r.ReadVarint(), base::testing::IsOkAndHolds(v));
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(ThriftCompactTest, VarintRejectsOverlongAndOverflowingAndTruncated) {
  // 11 bytes: the 10th byte still has its continuation bit set.
  const std::string too_long(10, static_cast<char>(0x80));
  const std::string r1_bytes = too_long + Bytes({0x00});
  CompactReader r1(r1_bytes);
  EXPECT_THAT(r1.ReadVarint(), StatusIs(absl::StatusCode::kDataLoss));

  // 10 bytes whose last byte carries bits above bit 63.
  const std::string r2_bytes = std::string(9, static_cast<char>(0xFF)) + Bytes({0x02});
  CompactReader r2(r2_bytes);
  auto overflow = r2.ReadVarint();
  EXPECT_THAT(overflow, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(overflow.status().message(), HasSubstr("overflows 64 bits"));

  const std::string r3_bytes = Bytes({0x80, 0x80});
  CompactReader r3(r3_bytes);
  auto truncated = r3.ReadVarint();
  EXPECT_THAT(truncated, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(truncated.status().message(), HasSubstr("truncated varint"));
  EXPECT_THAT(truncated.status().message(), HasSubstr("byte offset 0"));

  CompactReader empty{std::string_view()};
  EXPECT_THAT(empty.ReadVarint(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, ZigZag) {
  EXPECT_EQ(ZigZagEncode32(0), 0u);
  EXPECT_EQ(ZigZagEncode32(-1), 1u);
  EXPECT_EQ(ZigZagEncode32(1), 2u);
  EXPECT_EQ(ZigZagEncode32(-2), 3u);
  EXPECT_EQ(ZigZagEncode32(std::numeric_limits<int32_t>::max()), 0xFFFFFFFEu);
  EXPECT_EQ(ZigZagEncode32(std::numeric_limits<int32_t>::min()), 0xFFFFFFFFu);
  EXPECT_EQ(ZigZagEncode64(std::numeric_limits<int64_t>::max()), 0xFFFFFFFFFFFFFFFEu);
  EXPECT_EQ(ZigZagEncode64(std::numeric_limits<int64_t>::min()), 0xFFFFFFFFFFFFFFFFu);
  for (int32_t v : {0, 1, -1, 63, -64, 64, std::numeric_limits<int32_t>::max(),
                    std::numeric_limits<int32_t>::min()}) {
    EXPECT_EQ(ZigZagDecode32(ZigZagEncode32(v)), v);
    EXPECT_EQ(ZigZagDecode64(ZigZagEncode64(v)), v);
  }
  for (int64_t v : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                    int64_t{1} << 40, -(int64_t{1} << 40)}) {
    EXPECT_EQ(ZigZagDecode64(ZigZagEncode64(v)), v);
  }
}

TEST(ThriftCompactTest, IntegersRoundTripAtTheirLimits) {
  std::string out;
  CompactWriter w(&out);
  w.WriteI8(-128);
  w.WriteI8(127);
  w.WriteI16(std::numeric_limits<int16_t>::min());
  w.WriteI16(std::numeric_limits<int16_t>::max());
  w.WriteI32(std::numeric_limits<int32_t>::min());
  w.WriteI32(std::numeric_limits<int32_t>::max());
  w.WriteI32(-1);
  w.WriteI64(std::numeric_limits<int64_t>::min());
  w.WriteI64(std::numeric_limits<int64_t>::max());
  w.WriteI64(0);

  CompactReader r(out);
  EXPECT_THAT(r.ReadI8(), base::testing::IsOkAndHolds(-128));
  EXPECT_THAT(r.ReadI8(), base::testing::IsOkAndHolds(127));
  EXPECT_THAT(r.ReadI16(), base::testing::IsOkAndHolds(std::numeric_limits<int16_t>::min()));
  EXPECT_THAT(r.ReadI16(), base::testing::IsOkAndHolds(std::numeric_limits<int16_t>::max()));
  EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(std::numeric_limits<int32_t>::min()));
  EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(std::numeric_limits<int32_t>::max()));
  EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(-1));
  EXPECT_THAT(r.ReadI64(), base::testing::IsOkAndHolds(std::numeric_limits<int64_t>::min()));
  EXPECT_THAT(r.ReadI64(), base::testing::IsOkAndHolds(std::numeric_limits<int64_t>::max()));
  EXPECT_THAT(r.ReadI64(), base::testing::IsOkAndHolds(0));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompactTest, IntegersOutOfRangeAreDataLoss) {
  // zigzag(2^31) needs 33 bits: too wide for an i32.
  const std::string wide = Varint(uint64_t{1} << 32);
  CompactReader r32(wide);
  EXPECT_THAT(r32.ReadI32(), StatusIs(absl::StatusCode::kDataLoss));
  const std::string wide16 = Varint(uint64_t{1} << 16);
  CompactReader r16(wide16);
  EXPECT_THAT(r16.ReadI16(), StatusIs(absl::StatusCode::kDataLoss));
  CompactReader r8{std::string_view()};
  EXPECT_THAT(r8.ReadI8(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, DoubleIsLittleEndian) {
  std::string out;
  CompactWriter w(&out);
  w.WriteDouble(1.0);
  w.WriteDouble(-0.0);
  EXPECT_EQ(out, Bytes({0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0x80}));
  CompactReader r(out);
  EXPECT_THAT(r.ReadDouble(), base::testing::IsOkAndHolds(1.0));
  auto negative_zero = r.ReadDouble();
  ASSERT_TRUE(negative_zero.ok());
  EXPECT_TRUE(std::signbit(*negative_zero));

  const std::string truncated_bytes = Bytes({0, 0, 0, 0, 0, 0, 0xF0});
  CompactReader truncated(truncated_bytes);
  EXPECT_THAT(truncated.ReadDouble(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, Binary) {
  std::string out;
  CompactWriter w(&out);
  w.WriteBinary("abc");
  w.WriteBinary("");
  w.WriteBinary(std::string(200, 'x'));
  EXPECT_EQ(out.substr(0, 5), Bytes({0x03, 'a', 'b', 'c', 0x00}));
  EXPECT_EQ(out.substr(5, 2), Bytes({0xC8, 0x01}));

  CompactReader r(out);
  EXPECT_THAT(r.ReadBinary(), base::testing::IsOkAndHolds("abc"));
  EXPECT_THAT(r.ReadBinary(), base::testing::IsOkAndHolds(""));
  EXPECT_THAT(r.ReadBinary(), base::testing::IsOkAndHolds(std::string(200, 'x')));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompactTest, BinaryLongerThanInputIsDataLossWithOffset) {
  const std::string bytes = Bytes({0x07, 0x05, 'a', 'b'});
  CompactReader r(bytes);
  ASSERT_THAT(r.ReadI8(), base::testing::IsOkAndHolds(7));
  auto value = r.ReadBinary();
  EXPECT_THAT(value, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(value.status().message(), HasSubstr("binary length 5 exceeds the 2 bytes left"));
  EXPECT_THAT(value.status().message(), HasSubstr("byte offset 1"));

  // A length near 2^64 must not overflow the bounds check.
  const std::string huge = Varint(std::numeric_limits<uint64_t>::max()) + "ab";
  CompactReader r2(huge);
  EXPECT_THAT(r2.ReadBinary(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, FieldHeadersUseShortFormForDeltasUpTo15) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.WriteI32Field(1, 0);    // delta 1: 0x15
  w.WriteI32Field(16, 0);   // delta 15: 0xF5
  w.WriteI32Field(32, 0);   // delta 16: long form 0x05 + zigzag(32) = 0x40
  w.WriteI32Field(5, 0);    // decreasing: long form 0x05 + zigzag(5) = 0x0A
  w.WriteI32Field(-3, 0);   // negative: long form 0x05 + zigzag(-3) = 0x05
  w.WriteI32Field(300, 0);  // long form 0x05 + zigzag(300) = 600 = 0xD8 0x04
  w.WriteI32Field(301, 0);  // delta 1 again: 0x15
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x15, 0x00, 0xF5, 0x00, 0x05, 0x40, 0x00, 0x05, 0x0A, 0x00,
                        0x05, 0x05, 0x00, 0x05, 0xD8, 0x04, 0x00, 0x15, 0x00, 0x00}));

  CompactReader r(out);
  ASSERT_TRUE(r.BeginStruct().ok());
  for (const int id : {1, 16, 32, 5, -3, 300, 301}) {
    auto field = r.ReadFieldHeader();
    ASSERT_TRUE(field.ok()) << field.status();
    EXPECT_EQ(field->id, id);
    EXPECT_EQ(field->type, ValueType::kI32);
    EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(0));
  }
  auto stop = r.ReadFieldHeader();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->type, ValueType::kStop);
  r.EndStruct();
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompactTest, BoolFieldsFoldTheValueIntoTheHeader) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.WriteBoolField(1, true);
  w.WriteBoolField(2, false);
  w.WriteBoolField(40, true);
  w.EndStruct();
  // 0x11: delta 1, true; 0x12: delta 1, false; 0x01 + zigzag(40) = 80: long form, true.
  EXPECT_EQ(out, Bytes({0x11, 0x12, 0x01, 0x50, 0x00}));

  CompactReader r(out);
  ASSERT_TRUE(r.BeginStruct().ok());
  auto f1 = r.ReadFieldHeader();
  auto f2 = r.ReadFieldHeader();
  auto f3 = r.ReadFieldHeader();
  ASSERT_TRUE(f1.ok() && f2.ok() && f3.ok());
  EXPECT_EQ(f1->type, ValueType::kBool);
  EXPECT_TRUE(f1->bool_value);
  EXPECT_EQ(f2->type, ValueType::kBool);
  EXPECT_FALSE(f2->bool_value);
  EXPECT_EQ(f3->id, 40);
  EXPECT_TRUE(f3->bool_value);
  auto stop = r.ReadFieldHeader();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->type, ValueType::kStop);
}

TEST(ThriftCompactTest, BoolElementsAreOneByteEach) {
  std::string out;
  CompactWriter w(&out);
  w.WriteListHeader(ValueType::kBool, 3);
  w.WriteBool(true);
  w.WriteBool(false);
  w.WriteBool(true);
  EXPECT_EQ(out, Bytes({0x31, 0x01, 0x02, 0x01}));

  // Readers accept element type 2 (the original spec) and false as 0 (an older spec text).
  const std::string other = Bytes({0x32, 0x00, 0x01, 0x02});
  CompactReader r(other);
  auto header = r.ReadListHeader();
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->element_type, ValueType::kBool);
  EXPECT_EQ(header->size, 3u);
  EXPECT_THAT(r.ReadBool(), base::testing::IsOkAndHolds(false));
  EXPECT_THAT(r.ReadBool(), base::testing::IsOkAndHolds(true));
  EXPECT_THAT(r.ReadBool(), base::testing::IsOkAndHolds(false));

  const std::string bad_bytes = Bytes({0x03});
  CompactReader bad(bad_bytes);
  EXPECT_THAT(bad.ReadBool(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, NestedStructsKeepTheirOwnFieldIds) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.WriteI32Field(1, 1);
  w.WriteFieldHeader(2, ValueType::kStruct);
  w.BeginStruct();
  w.WriteI32Field(1, 2);  // delta restarts at 0 in the inner struct: 0x15
  w.WriteI32Field(3, 3);  // 0x25
  w.EndStruct();
  w.WriteI32Field(3, 4);  // delta from the outer field 2: 0x15
  w.EndStruct();
  EXPECT_EQ(w.depth(), 0u);
  EXPECT_EQ(out, Bytes({0x15, 0x02, 0x1C, 0x15, 0x04, 0x25, 0x06, 0x00, 0x15, 0x08, 0x00}));

  CompactReader r(out);
  ASSERT_TRUE(r.BeginStruct().ok());
  auto f = r.ReadFieldHeader();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, 1);
  ASSERT_TRUE(r.ReadI32().ok());
  f = r.ReadFieldHeader();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, 2);
  EXPECT_EQ(f->type, ValueType::kStruct);
  ASSERT_TRUE(r.BeginStruct().ok());
  f = r.ReadFieldHeader();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, 1);
  ASSERT_TRUE(r.ReadI32().ok());
  f = r.ReadFieldHeader();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, 3);
  EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(3));
  f = r.ReadFieldHeader();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->type, ValueType::kStop);
  r.EndStruct();
  f = r.ReadFieldHeader();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, 3);
  EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(4));
}

TEST(ThriftCompactTest, ListHeadersShortAndLongForm) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{14}, size_t{15}, size_t{20}, size_t{200}}) {
    std::string out;
    CompactWriter w(&out);
    w.WriteListHeader(ValueType::kI32, size);
    if (size < 15) {
      EXPECT_EQ(out, Bytes({static_cast<int>(size << 4) | 0x05})) << size;
    } else {
      EXPECT_EQ(out, Bytes({0xF5}) + Varint(size)) << size;
    }
    for (size_t i = 0; i < size; ++i) {
      w.WriteI32(static_cast<int32_t>(i) - 7);
    }

    CompactReader r(out);
    auto header = r.ReadListHeader();
    ASSERT_TRUE(header.ok()) << header.status();
    EXPECT_EQ(header->element_type, ValueType::kI32);
    ASSERT_EQ(header->size, size);
    for (size_t i = 0; i < size; ++i) {
      EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(static_cast<int32_t>(i) - 7));
    }
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(ThriftCompactTest, ListSizeIsLimitedByTheBytesLeft) {
  // 2^31 elements: more than INT32_MAX.
  const std::string huge = Bytes({0xFC}) + Varint(uint64_t{1} << 31);
  CompactReader r1(huge);
  auto h1 = r1.ReadListHeader();
  EXPECT_THAT(h1, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(h1.status().message(), HasSubstr("exceeds INT32_MAX"));

  // INT32_MAX elements with 3 bytes left: fails before anything could be allocated.
  const std::string big = Bytes({0xFC}) + Varint(0x7FFFFFFF) + "abc";
  CompactReader r2(big);
  auto h2 = r2.ReadListHeader();
  EXPECT_THAT(h2, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(h2.status().message(), HasSubstr("exceeds the 3 bytes left"));

  // Short form too: 4 elements, 3 bytes.
  const std::string r3_bytes = Bytes({0x45, 0x00, 0x00, 0x00});
  CompactReader r3(r3_bytes);
  EXPECT_THAT(r3.ReadListHeader(), StatusIs(absl::StatusCode::kDataLoss));
  const std::string r4_bytes = Bytes({0x35, 0x00, 0x00, 0x00});
  CompactReader r4(r4_bytes);
  EXPECT_TRUE(r4.ReadListHeader().ok());
}

TEST(ThriftCompactTest, ListElementTypes) {
  const std::string stop_type_empty_bytes = Bytes({0x00});
  CompactReader stop_type_empty(stop_type_empty_bytes);
  auto empty = stop_type_empty.ReadListHeader();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size, 0u);
  const std::string stop_type_nonempty_bytes = Bytes({0x10, 0x00});
  CompactReader stop_type_nonempty(stop_type_nonempty_bytes);
  EXPECT_THAT(stop_type_nonempty.ReadListHeader(), StatusIs(absl::StatusCode::kDataLoss));
  const std::string bad_type_bytes = Bytes({0x1E, 0x00});
  CompactReader bad_type(bad_type_bytes);
  EXPECT_THAT(bad_type.ReadListHeader(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, MapHeaders) {
  std::string out;
  CompactWriter w(&out);
  w.WriteMapHeader(ValueType::kBinary, ValueType::kI64, 0);
  w.WriteMapHeader(ValueType::kBinary, ValueType::kI64, 2);
  w.WriteBinary("a");
  w.WriteI64(1);
  w.WriteBinary("b");
  w.WriteI64(-1);
  EXPECT_EQ(out, Bytes({0x00, 0x02, 0x86, 0x01, 'a', 0x02, 0x01, 'b', 0x01}));

  CompactReader r(out);
  auto m0 = r.ReadMapHeader();
  ASSERT_TRUE(m0.ok());
  EXPECT_EQ(m0->size, 0u);
  auto m1 = r.ReadMapHeader();
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->size, 2u);
  EXPECT_EQ(m1->key_type, ValueType::kBinary);
  EXPECT_EQ(m1->value_type, ValueType::kI64);

  // 3 entries need at least 6 bytes.
  const std::string short_map_bytes = Bytes({0x03, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00});
  CompactReader short_map(short_map_bytes);
  EXPECT_THAT(short_map.ReadMapHeader(), StatusIs(absl::StatusCode::kDataLoss));
  const std::string bad_types_bytes = Bytes({0x01, 0x0F, 0x00, 0x00});
  CompactReader bad_types(bad_types_bytes);
  EXPECT_THAT(bad_types.ReadMapHeader(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, InvalidFieldHeaders) {
  // Type nibble 0 with a nonzero delta.
  const std::string r1_bytes = Bytes({0x10});
  CompactReader r1(r1_bytes);
  ASSERT_TRUE(r1.BeginStruct().ok());
  EXPECT_THAT(r1.ReadFieldHeader(), StatusIs(absl::StatusCode::kDataLoss));
  // Type codes 14 and 15 do not exist.
  for (int code : {0x1E, 0x1F}) {
    const std::string r_bytes = Bytes({code, 0x00});
    CompactReader r(r_bytes);
    ASSERT_TRUE(r.BeginStruct().ok());
    EXPECT_THAT(r.ReadFieldHeader(), StatusIs(absl::StatusCode::kDataLoss)) << code;
  }
  // A delta that carries the id past INT16_MAX.
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.WriteI8Field(std::numeric_limits<int16_t>::max(), 0);
  out.push_back(0x13);
  out.push_back(0x00);
  CompactReader r2(out);
  ASSERT_TRUE(r2.BeginStruct().ok());
  ASSERT_TRUE(r2.ReadFieldHeader().ok());
  ASSERT_TRUE(r2.ReadI8().ok());
  auto overflow = r2.ReadFieldHeader();
  EXPECT_THAT(overflow, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(overflow.status().message(), HasSubstr("overflows i16"));
  // A long-form id outside int16.
  const std::string r3_bytes = Bytes({0x05}) + Varint(ZigZagEncode32(40000)) + Bytes({0x00});
  CompactReader r3(r3_bytes);
  ASSERT_TRUE(r3.BeginStruct().ok());
  EXPECT_THAT(r3.ReadFieldHeader(), StatusIs(absl::StatusCode::kDataLoss));
  // The input ends where a field header should be.
  CompactReader r4{std::string_view()};
  ASSERT_TRUE(r4.BeginStruct().ok());
  EXPECT_THAT(r4.ReadFieldHeader(), StatusIs(absl::StatusCode::kDataLoss));
}

// A struct holding one field of every type, then i32 field 99 = 12345. Skipping every field but
// the last must land exactly on it.
std::string EveryTypeStruct() {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.WriteBoolField(1, true);
  w.WriteBoolField(2, false);
  w.WriteI8Field(3, -5);
  w.WriteI16Field(4, -300);
  w.WriteI32Field(5, 1 << 30);
  w.WriteI64Field(6, int64_t{1} << 60);
  w.WriteDoubleField(7, 3.25);
  w.WriteBinaryField(8, "binary");
  w.WriteFieldHeader(9, ValueType::kList);  // list<struct> with 20 elements (long form)
  w.WriteListHeader(ValueType::kStruct, 20);
  for (int i = 0; i < 20; ++i) {
    w.BeginStruct();
    w.WriteI32Field(1, i);
    w.WriteBoolField(2, i % 2 == 0);
    w.EndStruct();
  }
  w.WriteFieldHeader(10, ValueType::kSet);
  w.WriteSetHeader(ValueType::kBinary, 2);
  w.WriteBinary("x");
  w.WriteBinary("y");
  w.WriteFieldHeader(11, ValueType::kMap);  // map<binary, list<bool>>
  w.WriteMapHeader(ValueType::kBinary, ValueType::kList, 2);
  w.WriteBinary("k1");
  w.WriteListHeader(ValueType::kBool, 2);
  w.WriteBool(true);
  w.WriteBool(false);
  w.WriteBinary("k2");
  w.WriteListHeader(ValueType::kBool, 0);
  w.WriteFieldHeader(12, ValueType::kMap);  // empty map
  w.WriteMapHeader(ValueType::kI32, ValueType::kI32, 0);
  w.WriteFieldHeader(13, ValueType::kStruct);  // nested struct with a nested struct
  w.BeginStruct();
  w.WriteFieldHeader(1, ValueType::kStruct);
  w.BeginStruct();
  w.WriteDoubleField(20, -1.0);
  w.EndStruct();
  w.WriteI64Field(2, -1);
  w.EndStruct();
  w.WriteFieldHeader(14, ValueType::kUuid);
  out.append(16, '\x42');
  w.WriteFieldHeader(15, ValueType::kList);  // list<list<i64>>
  w.WriteListHeader(ValueType::kList, 2);
  w.WriteListHeader(ValueType::kI64, 1);
  w.WriteI64(7);
  w.WriteListHeader(ValueType::kI64, 0);
  w.WriteI32Field(99, 12345);
  w.EndStruct();
  return out;
}

TEST(ThriftCompactTest, SkipEveryType) {
  const std::string bytes = EveryTypeStruct();
  CompactReader r(bytes);
  ASSERT_TRUE(r.BeginStruct().ok());
  int skipped = 0;
  while (true) {
    auto field = r.ReadFieldHeader();
    ASSERT_TRUE(field.ok()) << field.status();
    ASSERT_NE(field->type, ValueType::kStop);
    if (field->id == 99) {
      EXPECT_THAT(r.ReadI32(), base::testing::IsOkAndHolds(12345));
      break;
    }
    ASSERT_TRUE(r.SkipField(*field).ok()) << "field " << field->id;
    ++skipped;
  }
  EXPECT_EQ(skipped, 15);
  auto stop = r.ReadFieldHeader();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->type, ValueType::kStop);
  r.EndStruct();
  EXPECT_EQ(r.remaining(), 0u);

  // The same with one Skip(kStruct) of the whole value.
  CompactReader whole(bytes);
  ASSERT_TRUE(whole.Skip(ValueType::kStruct).ok());
  EXPECT_EQ(whole.remaining(), 0u);
}

TEST(ThriftCompactTest, SkipOfEveryTruncationFails) {
  const std::string bytes = EveryTypeStruct();
  for (size_t n = 0; n < bytes.size(); ++n) {
    const ExactCopy prefix(std::string_view(bytes).substr(0, n));
    CompactReader r(prefix.view());
    EXPECT_THAT(r.Skip(ValueType::kStruct), StatusIs(absl::StatusCode::kDataLoss)) << n;
  }
  CompactReader stop(bytes);
  EXPECT_THAT(stop.Skip(ValueType::kStop), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ThriftCompactTest, NestingDepthIsLimited) {
  // Structs: field 1 of each is the next struct.
  std::string structs;
  for (int i = 0; i < 100; ++i) {
    structs.push_back(0x1C);
  }
  structs.append(101, '\0');
  CompactReader r1(structs);
  auto s1 = r1.Skip(ValueType::kStruct);
  EXPECT_THAT(s1, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(s1.message(), HasSubstr("nested"));

  // Lists of lists, each with one element.
  std::string lists(100000, static_cast<char>(0x19));
  lists.push_back(0x00);
  CompactReader r2(lists);
  EXPECT_THAT(r2.Skip(ValueType::kList), StatusIs(absl::StatusCode::kDataLoss));

  // Maps of maps: key i8, value map.
  std::string maps;
  for (int i = 0; i < 100; ++i) {
    maps += Bytes({0x01, 0x3B, 0x00});
  }
  maps.push_back(0x00);
  CompactReader r3(maps);
  EXPECT_THAT(r3.Skip(ValueType::kMap), StatusIs(absl::StatusCode::kDataLoss));

  // BeginStruct itself stops at kMaxDepth.
  CompactReader r4{std::string_view()};
  for (int i = 0; i < CompactReader::kMaxDepth; ++i) {
    ASSERT_TRUE(r4.BeginStruct().ok());
  }
  EXPECT_THAT(r4.BeginStruct(), StatusIs(absl::StatusCode::kDataLoss));

  // Nesting just under the limit is fine.
  std::string ok_structs;
  for (int i = 0; i < CompactReader::kMaxDepth - 1; ++i) {
    ok_structs.push_back(0x1C);
  }
  ok_structs.append(CompactReader::kMaxDepth, '\0');
  CompactReader r5(ok_structs);
  EXPECT_TRUE(r5.Skip(ValueType::kStruct).ok());
  EXPECT_EQ(r5.remaining(), 0u);
}

TEST(ThriftCompactTest, ValueTypeNames) {
  EXPECT_EQ(ValueTypeName(ValueType::kI32), "i32");
  EXPECT_EQ(ValueTypeName(ValueType::kStruct), "struct");
  EXPECT_EQ(ValueTypeName(static_cast<ValueType>(14)), "type(14)");
}

}  // namespace
}  // namespace cardinalsin::parquet::thrift
