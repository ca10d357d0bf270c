// File: encoding.h
//
// The Parquet value encodings, written from the Apache Parquet specification's Encodings.md
// (https://github.com/apache/parquet-format/blob/master/Encodings.md; section anchors below):
// PLAIN, the RLE / bit-packing hybrid (levels, dictionary indices, booleans), DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.
//
// Encoders append to a std::string and cannot fail on valid arguments. Decoders read untrusted
// bytes: they decode into caller-provided storage (spans sized to the expected value count, or a
// model::StringVector they append to), never read outside `in`, and return DataLossError naming
// the encoding, the byte offset within `in` and what is wrong. On error the output holds
// unspecified values (spans) or an unspecified number of appended values (StringVector).
//
// Value counts come from page headers, which are untrusted too: callers must cap them (for
// example by the page's byte size times the maximum values per byte) before sizing outputs.
//
//   std::string page;
//   EncodeDeltaBinaryPackedInt64(timestamps, &page);
//   std::vector<int64_t> back(timestamps.size());
//   size_t consumed = 0;
//   CS_RETURN_IF_ERROR(DecodeDeltaBinaryPackedInt64(page, back, &consumed));
//
// `consumed` out-parameters receive the number of bytes of `in` the values occupy (for encodings
// followed by other data); they may be null. Decoders accept and ignore trailing bytes after
// the values unless documented otherwise.
//
// Thread-safety: all functions are stateless and thread-safe.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/column.h"

namespace cardinalsin::parquet {

// The number of bits needed to store `max_value`: 0 for 0, 1 for 1, 2 for 2..3, ..., 64.
int BitWidth(uint64_t max_value);

// ---------------------------------------------------------------------------------------------
// RLE / bit-packing hybrid (Encodings.md#RLE). Used for repetition and definition levels,
// dictionary indices and (v2 pages) booleans. Values must fit in `bit_width` bits, 0..32.

// Appends the hybrid encoding of `values` (no length prefix). Runs of 8 or more equal values
// become RLE runs; the rest is bit-packed in groups of 8, the last group padded with zeros.
// REQUIRES: 0 <= bit_width <= 32 and every value < 2^bit_width.
void EncodeRleBitPacked(std::span<const uint32_t> values, int bit_width, std::string* out);

// Decodes exactly out.size() values. Bytes after the run that completes `out` are ignored (the
// padding of a final bit-packed group, or of a page).
// Returns DataLossError if `in` ends early, a run header is malformed, or an RLE value does not
// fit in `bit_width`; InvalidArgumentError if bit_width is not in 0..32.
[[nodiscard]] absl::Status DecodeRleBitPacked(std::string_view in, int bit_width,
                                              std::span<uint32_t> out);

// The same with the 4-byte little-endian length prefix that data page v1 uses for repetition
// and definition levels (and RLE booleans use in every page version).
void EncodeRleBitPackedWithLength(std::span<const uint32_t> values, int bit_width,
                                  std::string* out);
// `*consumed` = 4 + the prefixed length, i.e. where the data after the levels starts. The
// values must lie within the prefixed length.
[[nodiscard]] absl::Status DecodeRleBitPackedWithLength(std::string_view in, int bit_width,
                                                        std::span<uint32_t> out, size_t* consumed);

// BOOLEAN values with the RLE encoding (Encodings.md#RLE, "Boolean values": bit width 1, with
// the length prefix). Values are 0 or 1 (model::Column's bool storage); encoding treats any
// nonzero byte as 1.
void EncodeRleBoolean(std::span<const uint8_t> values, std::string* out);
[[nodiscard]] absl::Status DecodeRleBoolean(std::string_view in, std::span<uint8_t> out,
                                            size_t* consumed);

// Dictionary indices of an RLE_DICTIONARY / PLAIN_DICTIONARY data page
// (Encodings.md#DICTIONARY): one byte holding the bit width, then the hybrid encoding without
// a length prefix. REQUIRES: 0 <= bit_width <= 32 and every index < 2^bit_width; use
// BitWidth(dictionary_size - 1).
void EncodeDictionaryIndices(std::span<const uint32_t> indices, int bit_width, std::string* out);
// Decodes exactly out.size() indices and checks each is < dictionary_size, so they can index the
// dictionary directly (model::DictionaryStrings::codes). An empty `out` accepts an empty `in`.
// Returns DataLossError for a bit width above 32, truncated data or an index out of range.
[[nodiscard]] absl::Status DecodeDictionaryIndices(std::string_view in, size_t dictionary_size,
                                                   std::span<uint32_t> out);

// ---------------------------------------------------------------------------------------------
// PLAIN (Encodings.md#PLAIN).

// The fixed-width physical types: INT32 (int32_t, or uint32_t for UINT_32), INT64 (int64_t, or
// uint64_t for UINT_64), FLOAT and DOUBLE, all little-endian.
template <typename T>
concept PlainFixedWidth =
    std::same_as<T, int32_t> || std::same_as<T, uint32_t> || std::same_as<T, int64_t> ||
    std::same_as<T, uint64_t> || std::same_as<T, float> || std::same_as<T, double>;

template <PlainFixedWidth T>
void EncodePlain(std::span<const T> values, std::string* out);
// Decodes out.size() values. Returns DataLossError if `in` holds fewer than
// out.size() * sizeof(T) bytes.
template <PlainFixedWidth T>
[[nodiscard]] absl::Status DecodePlain(std::string_view in, std::span<T> out, size_t* consumed);

// BOOLEAN: bit-packed, LSB first, ceil(n / 8) bytes. Values are 0 or 1 in a byte each; encoding
// treats any nonzero byte as 1.
void EncodePlainBoolean(std::span<const uint8_t> values, std::string* out);
[[nodiscard]] absl::Status DecodePlainBoolean(std::string_view in, std::span<uint8_t> out,
                                              size_t* consumed);

// BYTE_ARRAY: each value as a 4-byte little-endian length and its bytes. This is also the
// layout of a BYTE_ARRAY dictionary page.
// REQUIRES: every value is shorter than 4 GiB.
void EncodePlainByteArray(const model::StringVector& values, std::string* out);
void EncodePlainByteArray(std::span<const std::string_view> values, std::string* out);
// Appends `count` values to `*out`. Returns DataLossError if a length runs past the end of `in`.
[[nodiscard]] absl::Status DecodePlainByteArray(std::string_view in, size_t count,
                                                model::StringVector* out, size_t* consumed);

// FIXED_LEN_BYTE_ARRAY: the values' bytes back to back.
// Returns InvalidArgumentError if type_length < 1 or a value's size is not type_length.
[[nodiscard]] absl::Status EncodePlainFixedLenByteArray(const model::StringVector& values,
                                                        int type_length, std::string* out);
[[nodiscard]] absl::Status DecodePlainFixedLenByteArray(std::string_view in, size_t count,
                                                        int type_length, model::StringVector* out,
                                                        size_t* consumed);

// ---------------------------------------------------------------------------------------------
// DELTA_BINARY_PACKED (Encodings.md#DELTAENC) for INT32 and INT64.
//
// The encoder writes blocks of 128 values in 4 miniblocks of 32. Deltas are computed with
// two's-complement wraparound in the physical type's width, so every input (including
// INT64_MIN next to INT64_MAX) round-trips and INT32 data never needs more than 32 bits.
// The decoder accepts any block size that is a positive multiple of 128 (up to 2^20) and any
// miniblock count that leaves a multiple of 8 values per miniblock (the spec requires 32;
// accepting 8 costs nothing), and ignores the bit widths of unused miniblocks.

void EncodeDeltaBinaryPackedInt32(std::span<const int32_t> values, std::string* out);
void EncodeDeltaBinaryPackedInt64(std::span<const int64_t> values, std::string* out);

// Decodes exactly out.size() values; the header's total value count must equal out.size().
// `*consumed` is the end of the last miniblock holding values (the start of whatever follows,
// e.g. the bytes of DELTA_LENGTH_BYTE_ARRAY).
// Returns DataLossError for a malformed header, a count mismatch, a header count that the input
// is too short to hold, a miniblock bit width above 64, or truncated data. (INT32 writers must
// not use widths above 32; wider miniblocks are still decoded, modulo 2^32.)
[[nodiscard]] absl::Status DecodeDeltaBinaryPackedInt32(std::string_view in, std::span<int32_t> out,
                                                        size_t* consumed);
[[nodiscard]] absl::Status DecodeDeltaBinaryPackedInt64(std::string_view in, std::span<int64_t> out,
                                                        size_t* consumed);

// The total value count from a DELTA_BINARY_PACKED header, for sizing the output.
[[nodiscard]] absl::StatusOr<uint64_t> DeltaBinaryPackedValueCount(std::string_view in);

// ---------------------------------------------------------------------------------------------
// DELTA_LENGTH_BYTE_ARRAY (Encodings.md#DELTALENGTH): the lengths as DELTA_BINARY_PACKED
// INT32, then all bytes back to back.
// REQUIRES (encoders): every value is shorter than 2 GiB.

void EncodeDeltaLengthByteArray(const model::StringVector& values, std::string* out);
// Appends `count` values to `*out`. Returns DataLossError for a bad length stream (count
// mismatch, negative length) or lengths that run past the end of `in`.
[[nodiscard]] absl::Status DecodeDeltaLengthByteArray(std::string_view in, size_t count,
                                                      model::StringVector* out, size_t* consumed);

// DELTA_BYTE_ARRAY (Encodings.md#DELTASTRING): prefix lengths shared with the previous value
// (DELTA_BINARY_PACKED), then the suffixes as DELTA_LENGTH_BYTE_ARRAY. Also valid for
// FIXED_LEN_BYTE_ARRAY.

void EncodeDeltaByteArray(const model::StringVector& values, std::string* out);
// Appends `count` values to `*out`. Returns DataLossError for bad length streams or a prefix
// longer than the previous value.
[[nodiscard]] absl::Status DecodeDeltaByteArray(std::string_view in, size_t count,
                                                model::StringVector* out, size_t* consumed);

// ---------------------------------------------------------------------------------------------
// BYTE_STREAM_SPLIT (Encodings.md#BYTESTREAMSPLIT): byte k of every value goes to stream k; the
// sizeof(T) streams are concatenated. FLOAT and DOUBLE, and INT32 / INT64 (format 2.11+).

template <PlainFixedWidth T>
void EncodeByteStreamSplit(std::span<const T> values, std::string* out);
// The encoding has no framing: `in` must be exactly the page's value bytes, so
// in.size() == out.size() * sizeof(T) or DataLossError.
template <PlainFixedWidth T>
[[nodiscard]] absl::Status DecodeByteStreamSplit(std::string_view in, std::span<T> out);

// FIXED_LEN_BYTE_ARRAY with BYTE_STREAM_SPLIT: type_length streams of `count` bytes each.
// Returns InvalidArgumentError if type_length < 1 or a value's size is not type_length.
[[nodiscard]] absl::Status EncodeByteStreamSplitFixedLen(const model::StringVector& values,
                                                         int type_length, std::string* out);
// Appends `count` values; returns DataLossError unless in.size() == count * type_length.
[[nodiscard]] absl::Status DecodeByteStreamSplitFixedLen(std::string_view in, size_t count,
                                                         int type_length, model::StringVector* out);

}  // namespace cardinalsin::parquet
