#include "codec/compression.h"

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::codec {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Compression kAllCodecs[] = {Compression::kNone, Compression::kSnappy, Compression::kGzip,
                                      Compression::kZstd};
constexpr Compression kRealCodecs[] = {Compression::kSnappy, Compression::kGzip,
                                       Compression::kZstd};

std::string FromBytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(rng());
  }
  return s;
}

// Compressible text: a few words repeated in random order.
std::string CompressibleText(size_t n, uint32_t seed) {
  static constexpr std::string_view kWords[] = {"cpu ",  "memory ",   "job=\"api\" ",
                                                "12.5 ", "instance ", "1700000000000 "};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += kWords[rng() % std::size(kWords)];
  }
  s.resize(n);
  return s;
}

std::string Name(Compression c) { return std::string(CompressionName(c)); }

TEST(CompressionTest, RoundTripsEveryCodecAndSize) {
  for (Compression codec : kAllCodecs) {
    for (size_t size : {0, 1, 2, 100, 4096, 65537, 1 << 20}) {
      for (const std::string& input : {RandomBytes(size, 7), CompressibleText(size, 9)}) {
        std::string compressed;
        CS_ASSERT_OK(Compress(codec, input, &compressed)) << Name(codec) << " " << size;
        std::string output;
        CS_ASSERT_OK(Decompress(codec, compressed, input.size(), &output))
            << Name(codec) << " " << size;
        EXPECT_EQ(output, input) << Name(codec) << " " << size;
      }
    }
  }
}

TEST(CompressionTest, CompressibleDataShrinks) {
  const std::string input = CompressibleText(1 << 16, 3);
  for (Compression codec : kRealCodecs) {
    std::string compressed;
    CS_ASSERT_OK(Compress(codec, input, &compressed));
    EXPECT_LT(compressed.size(), input.size() / 2) << Name(codec);
  }
}

TEST(CompressionTest, CompressAndDecompressAppend) {
  for (Compression codec : kAllCodecs) {
    std::string compressed = "prefix";
    CS_ASSERT_OK(Compress(codec, "payload payload payload", &compressed));
    ASSERT_THAT(compressed, StartsWith("prefix"));
    std::string output = "keep:";
    CS_ASSERT_OK(Decompress(codec, std::string_view(compressed).substr(6), 23, &output));
    EXPECT_EQ(output, "keep:payload payload payload") << Name(codec);
  }
}

TEST(CompressionTest, LevelsRoundTripAndBadLevelsAreRejected) {
  const std::string input = CompressibleText(10000, 5);
  for (int level : {1, 5, 9}) {
    std::string compressed;
    CS_ASSERT_OK(Compress(Compression::kGzip, input, &compressed, level));
    std::string output;
    CS_ASSERT_OK(Decompress(Compression::kGzip, compressed, input.size(), &output));
    EXPECT_EQ(output, input);
  }
  for (int level : {-5, 1, 3, 19}) {
    std::string compressed;
    CS_ASSERT_OK(Compress(Compression::kZstd, input, &compressed, level));
    std::string output;
    CS_ASSERT_OK(Decompress(Compression::kZstd, compressed, input.size(), &output));
    EXPECT_EQ(output, input);
  }
  std::string out = "unchanged";
  EXPECT_THAT(Compress(Compression::kGzip, input, &out, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Compress(Compression::kZstd, input, &out, 1000),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(out, "unchanged");
}

TEST(CompressionTest, GzipWritesAnRfc1952Stream) {
  std::string compressed;
  CS_ASSERT_OK(Compress(Compression::kGzip, "abc", &compressed));
  ASSERT_GE(compressed.size(), 18u);
  EXPECT_EQ(static_cast<uint8_t>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(compressed[1]), 0x8b);
  EXPECT_EQ(static_cast<uint8_t>(compressed[2]), 8);  // CM = deflate
}

// Produced by Python 3.11: gzip.compress(b"hello parquet hello parquet hello parquet", mtime=0)
// and zlib.compress(<same>); zstd frames by `printf ... | zstd -c --no-check` and
// `... | zstd -c --no-content-size` (zstd 1.5.4), so without a content size in the header.
constexpr std::string_view kHello = "hello parquet hello parquet hello parquet";

TEST(CompressionTest, DecodesKnownStreamsFromOtherTools) {
  const std::string gzip =
      FromBytes({0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd,
                 0xc9, 0xc9, 0x57, 0x28, 0x48, 0x2c, 0x2a, 0x2c, 0x4d, 0x2d, 0x51, 0xc8, 0xc0,
                 0xcd, 0x03, 0x00, 0x89, 0x2c, 0x9d, 0xd6, 0x29, 0x00, 0x00, 0x00});
  const std::string zlib =
      FromBytes({0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x28, 0x48, 0x2c, 0x2a, 0x2c,
                 0x4d, 0x2d, 0x51, 0xc8, 0xc0, 0xcd, 0x03, 0x00, 0x4b, 0x7c, 0x0f, 0xe3});
  const std::string zstd_no_check = FromBytes(
      {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0xa5, 0x00, 0x00, 0x70, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
       0x20, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x20, 0x01, 0x00, 0x11, 0x4e, 0x25});
  const std::string zstd_checksum =
      FromBytes({0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0xa5, 0x00, 0x00, 0x70, 0x68,
                 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65,
                 0x74, 0x20, 0x01, 0x00, 0x11, 0x4e, 0x25, 0xac, 0x21, 0x74, 0xe0});
  // Raw snappy written by hand from the format description: varint length 5, then one literal
  // element whose tag is (5 - 1) << 2.
  const std::string snappy = FromBytes({0x05, 0x10, 'h', 'e', 'l', 'l', 'o'});

  std::string out;
  CS_ASSERT_OK(Decompress(Compression::kGzip, gzip, kHello.size(), &out));
  EXPECT_EQ(out, kHello);
  out.clear();
  CS_ASSERT_OK(Decompress(Compression::kGzip, zlib, kHello.size(), &out));
  EXPECT_EQ(out, kHello);
  out.clear();
  CS_ASSERT_OK(Decompress(Compression::kZstd, zstd_no_check, kHello.size(), &out));
  EXPECT_EQ(out, kHello);
  out.clear();
  CS_ASSERT_OK(Decompress(Compression::kZstd, zstd_checksum, kHello.size(), &out));
  EXPECT_EQ(out, kHello);
  out.clear();
  CS_ASSERT_OK(Decompress(Compression::kSnappy, snappy, 5, &out));
  EXPECT_EQ(out, "hello");

  // The zstd frames have no content size, so a wrong expectation is found while decoding.
  out = "x";
  EXPECT_THAT(Decompress(Compression::kZstd, zstd_no_check, kHello.size() - 1, &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Decompress(Compression::kZstd, zstd_no_check, kHello.size() + 1, &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(out, "x");
}

TEST(CompressionTest, ConcatenatedStreamsDecode) {
  std::string gzip;
  CS_ASSERT_OK(Compress(Compression::kGzip, "first,", &gzip));
  CS_ASSERT_OK(Compress(Compression::kGzip, "second", &gzip));
  std::string out;
  CS_ASSERT_OK(Decompress(Compression::kGzip, gzip, 12, &out));
  EXPECT_EQ(out, "first,second");

  std::string zstd;
  CS_ASSERT_OK(Compress(Compression::kZstd, "first,", &zstd));
  CS_ASSERT_OK(Compress(Compression::kZstd, "second", &zstd));
  out.clear();
  CS_ASSERT_OK(Decompress(Compression::kZstd, zstd, 12, &out));
  EXPECT_EQ(out, "first,second");
}

TEST(CompressionTest, SizeMismatchIsDataLossNamingTheCodec) {
  const std::string input = CompressibleText(5000, 11);
  for (Compression codec : kAllCodecs) {
    std::string compressed;
    CS_ASSERT_OK(Compress(codec, input, &compressed));
    for (size_t wrong : {size_t{0}, input.size() - 1, input.size() + 1, input.size() * 2}) {
      std::string out = "keep";
      absl::Status status = Decompress(codec, compressed, wrong, &out);
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss)) << Name(codec) << " " << wrong;
      EXPECT_THAT(std::string(status.message()), StartsWith(Name(codec) + ":"));
      EXPECT_EQ(out, "keep") << Name(codec);
    }
  }
}

TEST(CompressionTest, SizeMismatchMessageNamesBothSizes) {
  std::string compressed;
  CS_ASSERT_OK(Compress(Compression::kZstd, "0123456789", &compressed));
  std::string out;
  absl::Status status = Decompress(Compression::kZstd, compressed, 12, &out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("expected 12 bytes, got 10"));
  status = Decompress(Compression::kSnappy, "\x0a", 12, &out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("expected 12 bytes, got 10"));
}

TEST(CompressionTest, TruncatedInputIsDataLoss) {
  const std::string input = RandomBytes(3000, 13) + CompressibleText(3000, 13);
  for (Compression codec : kRealCodecs) {
    std::string compressed;
    CS_ASSERT_OK(Compress(codec, input, &compressed));
    for (size_t keep = 0; keep < compressed.size(); ++keep) {
      std::string out;
      absl::Status status =
          Decompress(codec, std::string_view(compressed).substr(0, keep), input.size(), &out);
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss)) << Name(codec) << " " << keep;
      EXPECT_TRUE(out.empty());
    }
  }
}

// Byte flips must never crash or over-read (the debug build runs this under ASan). Gzip and zstd
// frames carry checksums, so there a flip must also be detected; raw snappy has no checksum and
// may decode a flip into different bytes of the right length.
TEST(CompressionTest, CorruptInputNeverCrashes) {
  const std::string input = CompressibleText(2000, 17);
  for (Compression codec : kRealCodecs) {
    std::string compressed;
    CS_ASSERT_OK(Compress(codec, input, &compressed));
    for (size_t pos = 0; pos < compressed.size(); ++pos) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        std::string corrupt = compressed;
        corrupt[pos] = static_cast<char>(corrupt[pos] ^ mask);
        std::string out;
        absl::Status status = Decompress(codec, corrupt, input.size(), &out);
        if (status.ok()) {
          EXPECT_EQ(out.size(), input.size()) << Name(codec) << " " << pos;
          if (codec == Compression::kGzip && pos >= 10) {
            // Every flip past the gzip header hits data, CRC-32 or ISIZE.
            EXPECT_EQ(out, input) << "undetected gzip corruption at " << pos;
          }
        } else {
          EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss)) << Name(codec) << " " << pos;
          EXPECT_TRUE(out.empty());
        }
      }
    }
  }
}

TEST(CompressionTest, TrailingGarbageAfterZstdIsDataLoss) {
  const std::string input = CompressibleText(2000, 19);
  std::string compressed;
  CS_ASSERT_OK(Compress(Compression::kZstd, input, &compressed));
  std::string out;
  EXPECT_THAT(Decompress(Compression::kZstd, compressed + "junk", input.size(), &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(out.empty());
}

TEST(CompressionTest, TrailingGarbageAfterGzipIsDataLoss) {
  std::string compressed;
  CS_ASSERT_OK(Compress(Compression::kGzip, "abc", &compressed));
  compressed += "zz";
  std::string out;
  EXPECT_THAT(Decompress(Compression::kGzip, compressed, 3, &out),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(CompressionTest, DecompressionBombIsBoundedByExpectedSize) {
  // 64 MiB of zeros compresses to a few KiB; asking for 1 KiB must fail without producing more.
  const std::string zeros(64 << 20, '\0');
  for (Compression codec : kRealCodecs) {
    std::string compressed;
    CS_ASSERT_OK(Compress(codec, zeros, &compressed));
    ASSERT_LT(compressed.size(), 4u << 20) << Name(codec);
    std::string out;
    EXPECT_THAT(Decompress(codec, compressed, 1024, &out), StatusIs(absl::StatusCode::kDataLoss))
        << Name(codec);
    EXPECT_TRUE(out.empty());
  }
}

TEST(CompressionTest, ImplausibleSizesAreRejectedBeforeAllocating) {
  // A corrupt page header claiming 1 TiB must not make us allocate 1 TiB.
  constexpr size_t kHuge = size_t{1} << 40;
  std::string gzip;
  CS_ASSERT_OK(Compress(Compression::kGzip, "abc", &gzip));
  std::string out;
  EXPECT_THAT(Decompress(Compression::kGzip, gzip, kHuge, &out),
              StatusIs(absl::StatusCode::kDataLoss));
  const std::string zstd_unknown_size = FromBytes(
      {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0xa5, 0x00, 0x00, 0x70, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
       0x20, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x20, 0x01, 0x00, 0x11, 0x4e, 0x25});
  EXPECT_THAT(Decompress(Compression::kZstd, zstd_unknown_size, kHuge, &out),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string snappy;
  CS_ASSERT_OK(Compress(Compression::kSnappy, "abc", &snappy));
  EXPECT_THAT(Decompress(Compression::kSnappy, snappy, kHuge, &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(out.empty());
}

TEST(CompressionTest, ThreadsReuseTheirOwnContexts) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 50; ++i) {
        const std::string input = CompressibleText(1000 + i * 37, t * 100 + i);
        std::string compressed;
        std::string out;
        if (!Compress(Compression::kZstd, input, &compressed).ok() ||
            !Decompress(Compression::kZstd, compressed, input.size(), &out).ok() || out != input) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_THAT(failures, ::testing::Each(0));
}

}  // namespace
}  // namespace cardinalsin::codec
