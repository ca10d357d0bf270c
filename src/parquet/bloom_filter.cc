#include "parquet/bloom_filter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

// Header-only xxHash: every function becomes static to this file, so nothing needs linking.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cardinalsin::parquet {
namespace {

// The file format stores words little-endian; the bitset is exposed and adopted as raw memory.
static_assert(std::endian::native == std::endian::little, "bloom_filter.cc assumes little-endian");

constexpr size_t kWordsPerBlock = 8;

// BloomFilter.md, "Technical Approach": the eight salts.
constexpr uint32_t kSalt[kWordsPerBlock] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                            0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

size_t BlockIndex(uint64_t hash, size_t num_blocks) {
  // num_blocks <= 2^22, so the product stays below 2^54.
  return static_cast<size_t>(((hash >> 32) * num_blocks) >> 32);
}

uint32_t BitInWord(uint32_t key, size_t word) { return uint32_t{1} << ((key * kSalt[word]) >> 27); }

size_t RoundedSize(size_t num_bytes) {
  return std::bit_ceil(
      std::clamp(num_bytes, SplitBlockBloomFilter::kMinBytes, SplitBlockBloomFilter::kMaxBytes));
}

}  // namespace

size_t SplitBlockBloomFilter::OptimalNumBytes(size_t ndv, double fpp) {
  if (!(fpp > 0.0)) {
    return kMaxBytes;
  }
  if (fpp >= 1.0) {
    return kMinBytes;
  }
  const double bits = -8.0 * static_cast<double>(ndv) / std::log(1.0 - std::pow(fpp, 1.0 / 8));
  const double bytes = std::ceil(bits / 8);
  if (!(bytes < static_cast<double>(kMaxBytes))) {
    return kMaxBytes;
  }
  return RoundedSize(static_cast<size_t>(bytes));
}

SplitBlockBloomFilter::SplitBlockBloomFilter(size_t num_bytes)
    : words_(RoundedSize(num_bytes) / sizeof(uint32_t), 0) {}

void SplitBlockBloomFilter::Insert(uint64_t hash) {
  const size_t block = BlockIndex(hash, words_.size() / kWordsPerBlock);
  const uint32_t key = static_cast<uint32_t>(hash);
  uint32_t* words = words_.data() + block * kWordsPerBlock;
  for (size_t i = 0; i < kWordsPerBlock; ++i) {
    words[i] |= BitInWord(key, i);
  }
}

bool SplitBlockBloomFilter::MightContain(uint64_t hash) const {
  const size_t block = BlockIndex(hash, words_.size() / kWordsPerBlock);
  const uint32_t key = static_cast<uint32_t>(hash);
  const uint32_t* words = words_.data() + block * kWordsPerBlock;
  uint32_t missing = 0;
  for (size_t i = 0; i < kWordsPerBlock; ++i) {
    missing |= BitInWord(key, i) & ~words[i];
  }
  return missing == 0;
}

absl::StatusOr<SplitBlockBloomFilter> SplitBlockBloomFilter::FromBytes(std::string_view bitset) {
  if (bitset.size() < kMinBytes || bitset.size() > kMaxBytes ||
      bitset.size() % kBytesPerBlock != 0) {
    return absl::DataLossError(
        absl::StrFormat("bloom filter: bitset of %d bytes is not a multiple of %d bytes in %d..%d",
                        bitset.size(), kBytesPerBlock, kMinBytes, kMaxBytes));
  }
  std::vector<uint32_t> words(bitset.size() / sizeof(uint32_t));
  std::memcpy(words.data(), bitset.data(), bitset.size());
  return SplitBlockBloomFilter(FromWordsTag{}, std::move(words));
}

std::string_view SplitBlockBloomFilter::bitset() const {
  return std::string_view(reinterpret_cast<const char*>(words_.data()), num_bytes());
}

uint64_t HashBytes(std::string_view bytes) { return XXH64(bytes.data(), bytes.size(), 0); }

uint64_t HashInt32(int32_t value) { return XXH64(&value, sizeof(value), 0); }

uint64_t HashInt64(int64_t value) { return XXH64(&value, sizeof(value), 0); }

uint64_t HashFloat(float value) { return XXH64(&value, sizeof(value), 0); }

uint64_t HashDouble(double value) { return XXH64(&value, sizeof(value), 0); }

}  // namespace cardinalsin::parquet
