#include "proto/wire.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "base/testing/status_matchers.h"

namespace cardinalsin::proto {
namespace {

TEST(WireTest, RoundTripsEveryWireType) {
  std::string out;
  Writer writer(&out);
  writer.Varint(1, 150);
  writer.Sint64(2, -3);
  writer.Double(3, -0.5);
  writer.Fixed32(4, 0xdeadbeef);
  writer.Bytes(5, "hello");
  size_t at = writer.BeginLen(6);
  Writer(&out).Varint(1, std::numeric_limits<uint64_t>::max());
  writer.EndLen(at);

  Reader reader(out);
  CS_ASSERT_OK_AND_ASSIGN(Field f1, reader.Next());
  EXPECT_EQ(f1.number, 1u);
  EXPECT_EQ(f1.varint, 150u);
  CS_ASSERT_OK_AND_ASSIGN(Field f2, reader.Next());
  EXPECT_EQ(f2.AsSint64(), -3);
  CS_ASSERT_OK_AND_ASSIGN(Field f3, reader.Next());
  EXPECT_EQ(f3.AsDouble(), -0.5);
  CS_ASSERT_OK_AND_ASSIGN(Field f4, reader.Next());
  EXPECT_EQ(f4.varint, 0xdeadbeefu);
  CS_ASSERT_OK_AND_ASSIGN(Field f5, reader.Next());
  EXPECT_EQ(f5.bytes, "hello");
  CS_ASSERT_OK_AND_ASSIGN(Field f6, reader.Next());
  EXPECT_EQ(f6.type, WireType::kLen);
  Reader nested(f6.bytes);
  CS_ASSERT_OK_AND_ASSIGN(Field inner, nested.Next());
  EXPECT_EQ(inner.varint, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(nested.done());
  EXPECT_TRUE(reader.done());
}

TEST(WireTest, KnownEncoding) {
  std::string out;
  Writer(&out).Varint(1, 150);
  EXPECT_EQ(out, std::string("\x08\x96\x01", 3));  // the protobuf documentation's example
}

TEST(WireTest, RejectsTruncatedAndInvalidInput) {
  for (std::string bad :
       {std::string("\x08", 1), std::string("\x08\x96", 2),
        std::string("\x12\x05"
                    "abc",
                    5),
        std::string("\x09\x01\x02", 3), std::string("\x0b", 1), std::string("\x00\x01", 2),
        std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12)}) {
    Reader reader(bad);
    EXPECT_FALSE(reader.Next().ok()) << testing::PrintToString(bad);
  }
}

TEST(WireTest, PackedVarints) {
  std::string packed;
  Writer w(&packed);
  w.RawVarint(3);
  w.RawVarint(270);
  w.RawVarint(86942);
  PackedReader reader(packed);
  CS_ASSERT_OK_AND_ASSIGN(uint64_t a, reader.NextVarint());
  CS_ASSERT_OK_AND_ASSIGN(uint64_t b, reader.NextVarint());
  CS_ASSERT_OK_AND_ASSIGN(uint64_t c, reader.NextVarint());
  EXPECT_EQ(a, 3u);
  EXPECT_EQ(b, 270u);
  EXPECT_EQ(c, 86942u);
  EXPECT_TRUE(reader.done());
  EXPECT_FALSE(PackedReader(std::string("\x80", 1)).NextVarint().ok());
}

}  // namespace
}  // namespace cardinalsin::proto
