#include "base/crc32c.h"

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace cardinalsin::base {
namespace {

TEST(Crc32cTest, StandardCheckValue) { EXPECT_EQ(Crc32c("123456789"), 0xE3069283u); }

TEST(Crc32cTest, EmptyInputIsZero) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32cExtend(0x12345678, nullptr, 0), 0x12345678u);
}

// The iSCSI test vectors of RFC 3720, appendix B.4.
TEST(Crc32cTest, Rfc3720Vectors) {
  std::string zeros(32, '\0');
  std::string ones(32, '\xFF');
  std::string ascending;
  std::string descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, ExtendEqualsWholeForEverySplit) {
  const std::string data = "The quick brown fox jumps over the lazy dog, twice over.";
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    const std::string_view view(data);
    EXPECT_EQ(Crc32cExtend(Crc32c(view.substr(0, split)), view.substr(split)), whole) << split;
  }
}

TEST(Crc32cTest, PortableAndHardwareAgreeOnRandomInputs) {
  std::mt19937_64 rng(42);
  std::string buffer(4096 + 16, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  for (int iteration = 0; iteration < 2000; ++iteration) {
    // Random offset (alignment) and length, including the tails shorter than one word.
    const size_t offset = rng() % 16;
    const size_t length = iteration < 100 ? static_cast<size_t>(iteration) : rng() % 4096;
    const uint32_t seed = static_cast<uint32_t>(rng());
    const char* p = buffer.data() + offset;
    const uint32_t portable = internal::Crc32cExtendPortable(seed, p, length);
    EXPECT_EQ(Crc32cExtend(seed, p, length), portable) << offset << " " << length;
    if (internal::Crc32cHardwareAvailable()) {
      EXPECT_EQ(internal::Crc32cExtendHardware(seed, p, length), portable)
          << offset << " " << length;
    }
  }
}

TEST(Crc32cTest, PortableCheckValue) {
  EXPECT_EQ(internal::Crc32cExtendPortable(0, "123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace cardinalsin::base
