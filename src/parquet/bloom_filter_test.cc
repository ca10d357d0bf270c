#include "parquet/bloom_filter.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::parquet {
namespace {

using ::cardinalsin::base::testing::StatusIs;

// The spec's salts, restated here so a typo in the implementation cannot hide.
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

uint32_t Word(const SplitBlockBloomFilter& filter, size_t index) {
  uint32_t word;
  std::memcpy(&word, filter.bitset().data() + index * 4, 4);
  return word;
}

TEST(BloomFilterTest, XxHash64KnownAnswers) {
  // XXH64 of the empty input with seed 0 is a published test vector.
  EXPECT_EQ(HashBytes(""), 0xEF46DB3751D8E999ull);
  // Integers and floats hash their little-endian PLAIN bytes.
  EXPECT_EQ(HashInt64(0x0807060504030201), HashBytes("\x01\x02\x03\x04\x05\x06\x07\x08"));
  EXPECT_EQ(HashInt32(0x04030201), HashBytes("\x01\x02\x03\x04"));
  EXPECT_EQ(HashDouble(1.0), HashBytes(std::string("\0\0\0\0\0\0\xf0\x3f", 8)));
  EXPECT_EQ(HashFloat(1.0f), HashBytes(std::string("\0\0\x80\x3f", 4)));
  EXPECT_NE(HashDouble(0.0), HashDouble(-0.0));
}

TEST(BloomFilterTest, InsertSetsOneBitPerWordOfOneBlock) {
  SplitBlockBloomFilter filter(64);  // two blocks
  // Upper half 0 picks block 0; key 0 sets bit (0 * salt) >> 27 = 0 in every word.
  filter.Insert(0);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(Word(filter, i), 1u) << i;
  }
  for (size_t i = 8; i < 16; ++i) {
    EXPECT_EQ(Word(filter, i), 0u) << i;
  }
  // Upper half 0xffffffff picks block (0xffffffff * 2) >> 32 = 1; key 1 sets bit salt >> 27.
  filter.Insert(0xffffffff00000001ull);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(Word(filter, 8 + i), 1u << (kSalt[i] >> 27)) << i;
  }
  EXPECT_TRUE(filter.MightContain(0));
  EXPECT_TRUE(filter.MightContain(0xffffffff00000001ull));
  // Key 1 in block 0 needs bits that are not set there.
  EXPECT_FALSE(filter.MightContain(1));
}

TEST(BloomFilterTest, SizesArePowersOfTwoWithinBounds) {
  EXPECT_EQ(SplitBlockBloomFilter(0).num_bytes(), 32u);
  EXPECT_EQ(SplitBlockBloomFilter(33).num_bytes(), 64u);
  EXPECT_EQ(SplitBlockBloomFilter(4096).num_bytes(), 4096u);
  EXPECT_EQ(SplitBlockBloomFilter(size_t{1} << 40).num_bytes(), SplitBlockBloomFilter::kMaxBytes);

  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(0, 0.01), 32u);
  // -8 / ln(1 - 0.01^(1/8)) = 9.68 bits per value: 1000 values need 1211 bytes, rounded to 2048.
  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(1000, 0.01), 2048u);
  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(1'000'000, 0.01), size_t{2} << 20);
  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(100'000, 0.001), 256u << 10);
  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(1000, 1.0), 32u);
  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(1000, 0.0), SplitBlockBloomFilter::kMaxBytes);
  EXPECT_EQ(SplitBlockBloomFilter::OptimalNumBytes(size_t{1} << 40, 0.01),
            SplitBlockBloomFilter::kMaxBytes);
}

TEST(BloomFilterTest, NoFalseNegatives) {
  constexpr int kCount = 100'000;
  SplitBlockBloomFilter filter(SplitBlockBloomFilter::OptimalNumBytes(kCount, 0.01));
  for (int i = 0; i < kCount; ++i) {
    filter.Insert(HashInt64(int64_t{i} * 7919));
  }
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(filter.MightContain(HashInt64(int64_t{i} * 7919))) << i;
  }
  SplitBlockBloomFilter strings(SplitBlockBloomFilter::OptimalNumBytes(kCount, 0.05));
  for (int i = 0; i < kCount; ++i) {
    strings.Insert(HashBytes("series-" + std::to_string(i)));
  }
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(strings.MightContain(HashBytes("series-" + std::to_string(i)))) << i;
  }
}

TEST(BloomFilterTest, FalsePositiveRateIsNearTheTarget) {
  // Fill a 64 KiB filter to the spec's capacity for fpp 1% (about 9.68 bits per value).
  constexpr double kTarget = 0.01;
  const size_t bytes = 64 << 10;
  const size_t ndv = static_cast<size_t>(bytes * 8 / 9.7);
  ASSERT_EQ(SplitBlockBloomFilter::OptimalNumBytes(ndv, kTarget), bytes);
  SplitBlockBloomFilter filter(bytes);
  for (size_t i = 0; i < ndv; ++i) {
    filter.Insert(HashInt64(static_cast<int64_t>(i)));
  }
  constexpr int kProbes = 500'000;
  int false_positives = 0;
  for (int i = 0; i < kProbes; ++i) {
    false_positives += filter.MightContain(HashInt64(int64_t{1} << 40 | i));
  }
  const double rate = static_cast<double>(false_positives) / kProbes;
  RecordProperty("false_positives_per_million", false_positives * (1'000'000 / kProbes));
  // Exactly at capacity a split-block filter runs somewhat above the classic formula (blocks fill
  // unevenly); we measure 1.43%. OptimalNumBytes' rounding up usually leaves headroom.
  EXPECT_GT(rate, kTarget / 2);
  EXPECT_LT(rate, kTarget * 2);
}

TEST(BloomFilterTest, FromBytesRoundTripsAndValidatesSize) {
  SplitBlockBloomFilter filter(1024);
  for (int i = 0; i < 100; ++i) {
    filter.Insert(HashInt32(i));
  }
  CS_ASSERT_OK_AND_ASSIGN(SplitBlockBloomFilter copy,
                          SplitBlockBloomFilter::FromBytes(filter.bitset()));
  EXPECT_EQ(copy.bitset(), filter.bitset());
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(copy.MightContain(HashInt32(i)));
  }

  // A multiple of 32 that is not a power of two is still a valid file bitset.
  CS_ASSERT_OK_AND_ASSIGN(SplitBlockBloomFilter odd,
                          SplitBlockBloomFilter::FromBytes(std::string(96, '\0')));
  odd.Insert(HashInt32(5));
  EXPECT_TRUE(odd.MightContain(HashInt32(5)));

  for (size_t size : {0, 1, 31, 33, 48}) {
    EXPECT_THAT(SplitBlockBloomFilter::FromBytes(std::string(size, '\0')),
                StatusIs(absl::StatusCode::kDataLoss))
        << size;
  }
}

// Bitsets written by other implementations (src/parquet/testdata/bloom_golden_gen.py):
//   bloom_pyarrow_{name,ts}.bin: pyarrow 26.0.1, bloom_filter_options ndv=1000 fpp=0.01 over
//     name = "series-<i>" and ts = 1700000000000 + 15000 * i (INT64), i in [0, 1000).
//   bloom_duckdb_{label,code}.bin: DuckDB 2.0.0 `COPY ... TO` defaults over 5000 rows,
//     label = 'label-' || (i % 500) and code = (i % 300)::BIGINT.
// Building our own filter of the same size from the same values must give identical bytes.
std::string ReadTestdata(std::string_view name) {
  const std::string path =
      (std::filesystem::path(__FILE__).parent_path() / "testdata" / name).string();
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot open " << path;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

void ExpectSameAsGolden(std::string_view file, const SplitBlockBloomFilter& ours) {
  const std::string golden = ReadTestdata(file);
  ASSERT_EQ(golden.size(), ours.num_bytes()) << file;
  EXPECT_TRUE(golden == ours.bitset()) << file << " differs from our filter";
}

TEST(BloomFilterGoldenTest, PyarrowStrings) {
  const std::string golden = ReadTestdata("bloom_pyarrow_name.bin");
  // pyarrow sizes the filter as we do.
  EXPECT_EQ(golden.size(), SplitBlockBloomFilter::OptimalNumBytes(1000, 0.01));
  CS_ASSERT_OK_AND_ASSIGN(SplitBlockBloomFilter read, SplitBlockBloomFilter::FromBytes(golden));
  SplitBlockBloomFilter ours(golden.size());
  for (int i = 0; i < 1000; ++i) {
    const std::string value = "series-" + std::to_string(i);
    EXPECT_TRUE(read.MightContain(HashBytes(value))) << value;
    ours.Insert(HashBytes(value));
  }
  ExpectSameAsGolden("bloom_pyarrow_name.bin", ours);
}

TEST(BloomFilterGoldenTest, PyarrowInt64) {
  const std::string golden = ReadTestdata("bloom_pyarrow_ts.bin");
  SplitBlockBloomFilter ours(golden.size());
  for (int64_t i = 0; i < 1000; ++i) {
    ours.Insert(HashInt64(1'700'000'000'000 + 15'000 * i));
  }
  ExpectSameAsGolden("bloom_pyarrow_ts.bin", ours);
  CS_ASSERT_OK_AND_ASSIGN(SplitBlockBloomFilter read, SplitBlockBloomFilter::FromBytes(golden));
  EXPECT_TRUE(read.MightContain(HashInt64(1'700'000'000'000)));
}

TEST(BloomFilterGoldenTest, DuckDbStringsAndInt64) {
  const std::string labels = ReadTestdata("bloom_duckdb_label.bin");
  SplitBlockBloomFilter ours_labels(labels.size());
  for (int i = 0; i < 500; ++i) {
    ours_labels.Insert(HashBytes("label-" + std::to_string(i)));
  }
  ExpectSameAsGolden("bloom_duckdb_label.bin", ours_labels);

  const std::string codes = ReadTestdata("bloom_duckdb_code.bin");
  SplitBlockBloomFilter ours_codes(codes.size());
  for (int64_t i = 0; i < 300; ++i) {
    ours_codes.Insert(HashInt64(i));
  }
  ExpectSameAsGolden("bloom_duckdb_code.bin", ours_codes);

  CS_ASSERT_OK_AND_ASSIGN(SplitBlockBloomFilter read, SplitBlockBloomFilter::FromBytes(labels));
  int absent_hits = 0;
  for (int i = 500; i < 1500; ++i) {
    absent_hits += read.MightContain(HashBytes("label-" + std::to_string(i)));
  }
  EXPECT_LT(absent_hits, 200);
}

}  // namespace
}  // namespace cardinalsin::parquet
