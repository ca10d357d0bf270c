// File: bloom_filter.h
//
// The Parquet split-block Bloom filter, written from the Apache Parquet specification's
// BloomFilter.md (https://github.com/apache/parquet-format/blob/master/BloomFilter.md): a bitset of
// 256-bit blocks, each eight 32-bit little-endian words. A value's 64-bit hash picks one block by
// its upper 32 bits ((hash >> 32) * num_blocks >> 32) and sets one bit in each word, chosen by
// multiplying its lower 32 bits by eight fixed salts and keeping the top 5 bits.
//
// Values are hashed with XXH64, seed 0, over their PLAIN encoding without a length prefix: 4 or 8
// little-endian bytes for INT32 / INT64 / FLOAT / DOUBLE, the raw bytes for BYTE_ARRAY and
// FIXED_LEN_BYTE_ARRAY. Use the Hash* functions below, so writer and reader agree.
//
//   SplitBlockBloomFilter filter(SplitBlockBloomFilter::OptimalNumBytes(ndv, 0.01));
//   for (std::string_view v : values) filter.Insert(HashBytes(v));
//   // Write a BloomFilterHeader, then filter.bitset().
//   CS_ASSIGN_OR_RETURN(auto read, SplitBlockBloomFilter::FromBytes(bitset_from_file));
//   if (!read.MightContain(HashBytes("api"))) { /* skip the row group */ }
//
// Floating point: -0.0 and 0.0 (and NaNs with different payloads) hash differently; a reader
// probing for a float equal to zero must probe both zeros.
//
// Thread-safety: const methods may run concurrently; Insert needs external synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cardinalsin::parquet {

class SplitBlockBloomFilter {
 public:
  static constexpr size_t kBytesPerBlock = 32;
  static constexpr size_t kMinBytes = kBytesPerBlock;
  static constexpr size_t kMaxBytes = size_t{128} << 20;

  // The size for `ndv` distinct values at false-positive probability `fpp`, from the spec's
  // bits-per-value formula -8 / ln(1 - fpp^(1/8)), rounded up to a power of two in
  // [kMinBytes, kMaxBytes]. fpp <= 0 (or NaN) yields kMaxBytes, fpp >= 1 yields kMinBytes.
  static size_t OptimalNumBytes(size_t ndv, double fpp);

  // An empty filter of `num_bytes` rounded up to a power of two and clamped to
  // [kMinBytes, kMaxBytes].
  explicit SplitBlockBloomFilter(size_t num_bytes);

  void Insert(uint64_t hash);
  // False means the value was certainly never inserted.
  bool MightContain(uint64_t hash) const;

  // A filter over a bitset read from a file (the bytes after the BloomFilterHeader). Accepts any
  // multiple of 32 bytes in [kMinBytes, kMaxBytes] (the block formula does not need a power of
  // two); returns DataLossError otherwise.
  [[nodiscard]] static absl::StatusOr<SplitBlockBloomFilter> FromBytes(std::string_view bitset);

  // The bitset as stored in a file, valid until the next Insert or the filter's destruction, and
  // its size. (Cheap accessors, so snake_case as STYLE.md section 3 allows.)
  std::string_view bitset() const;                                       // NOLINT
  size_t num_bytes() const { return words_.size() * sizeof(uint32_t); }  // NOLINT

 private:
  struct FromWordsTag {};
  SplitBlockBloomFilter(FromWordsTag, std::vector<uint32_t> words) : words_(std::move(words)) {}

  std::vector<uint32_t> words_;  // 8 per block, in file (little-endian) order
};

// XXH64 (seed 0) of a value's PLAIN encoding, as the spec defines the filter's input.
uint64_t HashBytes(std::string_view bytes);  // BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY
uint64_t HashInt32(int32_t value);
uint64_t HashInt64(int64_t value);
uint64_t HashFloat(float value);
uint64_t HashDouble(double value);

}  // namespace cardinalsin::parquet
