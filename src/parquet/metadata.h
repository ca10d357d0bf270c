// File: metadata.h
//
// The Apache Parquet metadata structures (the file footer, page headers, the page index and
// bloom filter headers) as plain C++ structs, with their Thrift Compact Protocol encoders and
// decoders. Written from the public parquet-format specification
// (https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift); field
// names follow the spec in snake_case, and each struct member's comment gives its Thrift field
// id. The codec is thrift_compact.h; there is no generated code and no libthrift.
//
// Conventions:
// - Optional scalar fields are std::optional and are written only when set. Optional lists are
//   plain vectors, written only when non-empty (an empty list in a file decodes the same as an
//   absent one), except the lists of counts, where the spec gives "absent" its own meaning
//   (ColumnIndex::null_counts, the level histograms, nan_counts,
//   OffsetIndex::unencoded_byte_array_data_bytes): those are std::optional<std::vector>.
// - Enums keep the spec's integer values, and a decoder keeps values it does not know (for
//   example an encoding added after this file was written), so compare against known
//   enumerators instead of switching exhaustively.
// - Unions of empty structs (ColumnOrder, TimeUnit, the bloom filter unions) are enums whose
//   values are the union's field ids; LogicalType is a kind plus parameters. A union member this
//   file does not know decodes to its raw field id, its contents skipped, and re-encodes as an
//   empty struct.
// - Decoders skip unknown fields (files from newer writers decode), and return DataLossError
//   for malformed bytes, a missing required field ("ColumnMetaData.codec is required"), a known
//   field with the wrong wire type, or a union with no member or several. Messages name the path
//   of structs and fields and the byte offset within the decoder's input.
// - Decoders allocate at most about 64 bytes per input byte (thrift::CompactReader's allocation
//   budget); input that would decode into more is DataLoss. Real metadata needs 5 to 30.
//   Readers should still cap the footer length they accept before reading it.
// - Decoders check the encoding only: values are not validated (sizes may be negative, offsets
//   may point anywhere). Readers must check what they use.
// - Encoders do not fail. They write what the struct holds; producing a valid file is the
//   caller's job (for example ColumnChunk::meta_data must be set).
//
//   std::string footer = EncodeFileMetaData(metadata);
//   CS_ASSIGN_OR_RETURN(FileMetaData back, DecodeFileMetaData(footer));
//
//   size_t header_size = 0;
//   CS_ASSIGN_OR_RETURN(PageHeader page, DecodePageHeader(chunk_bytes, &header_size));
//   std::string_view body = chunk_bytes.substr(header_size, page.compressed_page_size);  // check!
//
// Thread-safety: all functions are stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cardinalsin::parquet {

// ---------------------------------------------------------------------------------------------
// Enums (Thrift i32 values).

enum class Type : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

// Deprecated by LogicalType, but still written by every writer next to it.
enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

enum class FieldRepetitionType : int32_t {
  kRequired = 0,
  kOptional = 1,
  kRepeated = 2,
};

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,  // deprecated: RLE_DICTIONARY for data pages, PLAIN for dictionaries
  kRle = 3,
  kBitPacked = 4,  // deprecated
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class CompressionCodec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,  // deprecated (Hadoop framing)
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

enum class BoundaryOrder : int32_t {
  kUnordered = 0,
  kAscending = 1,
  kDescending = 2,
};

// The spec's names ("INT64", "RLE_DICTIONARY", "ZSTD", ...), or e.g. "Encoding(12)" for values
// this file does not know. For error messages.
std::string ToString(Type type);
std::string ToString(ConvertedType type);
std::string ToString(FieldRepetitionType type);
std::string ToString(Encoding encoding);
std::string ToString(CompressionCodec codec);
std::string ToString(PageType type);
std::string ToString(BoundaryOrder order);

// ---------------------------------------------------------------------------------------------
// Schema.

// union TimeUnit; values are the union's field ids.
enum class TimeUnit : int16_t {
  kMillis = 1,
  kMicros = 2,
  kNanos = 3,
};

// union LogicalType. `kind` is the union's field id; the parameters below are meaningful only
// for the kinds named beside them and stay at their defaults otherwise (decoders and the
// factories below ensure it), so operator== compares logical types correctly.
struct LogicalType {
  enum class Kind : int16_t {
    kString = 1,
    kMap = 2,
    kList = 3,
    kEnum = 4,
    kDecimal = 5,
    kDate = 6,
    kTime = 7,
    kTimestamp = 8,
    // 9 is reserved for INTERVAL.
    kInteger = 10,
    kUnknown = 11,  // the NULL type: every value is null
    kJson = 12,
    kBson = 13,
    kUuid = 14,
    kFloat16 = 15,
  };

  Kind kind = Kind::kString;
  int32_t scale = 0;                  // kDecimal, field 1
  int32_t precision = 0;              // kDecimal, field 2
  bool is_adjusted_to_utc = false;    // kTime, kTimestamp: isAdjustedToUTC, field 1
  TimeUnit unit = TimeUnit::kMillis;  // kTime, kTimestamp, field 2
  int8_t bit_width = 0;               // kInteger: bitWidth, field 1 (8, 16, 32 or 64)
  bool is_signed = false;             // kInteger: isSigned, field 2

  static LogicalType Of(Kind kind) {
    LogicalType t;
    t.kind = kind;
    return t;
  }
  static LogicalType String() { return Of(Kind::kString); }
  static LogicalType Decimal(int32_t scale, int32_t precision) {
    LogicalType t = Of(Kind::kDecimal);
    t.scale = scale;
    t.precision = precision;
    return t;
  }
  static LogicalType Time(bool is_adjusted_to_utc, TimeUnit unit) {
    LogicalType t = Of(Kind::kTime);
    t.is_adjusted_to_utc = is_adjusted_to_utc;
    t.unit = unit;
    return t;
  }
  static LogicalType Timestamp(bool is_adjusted_to_utc, TimeUnit unit) {
    LogicalType t = Of(Kind::kTimestamp);
    t.is_adjusted_to_utc = is_adjusted_to_utc;
    t.unit = unit;
    return t;
  }
  static LogicalType Integer(int8_t bit_width, bool is_signed) {
    LogicalType t = Of(Kind::kInteger);
    t.bit_width = bit_width;
    t.is_signed = is_signed;
    return t;
  }

  bool operator==(const LogicalType&) const = default;
};

struct SchemaElement {
  std::optional<Type> type;                            // 1; unset for groups
  std::optional<int32_t> type_length;                  // 2; FIXED_LEN_BYTE_ARRAY width
  std::optional<FieldRepetitionType> repetition_type;  // 3; unset for the root
  std::string name;                                    // 4, required
  std::optional<int32_t> num_children;                 // 5; set for groups
  std::optional<ConvertedType> converted_type;         // 6
  std::optional<int32_t> scale;                        // 7
  std::optional<int32_t> precision;                    // 8
  std::optional<int32_t> field_id;                     // 9
  std::optional<LogicalType> logical_type;             // 10: logicalType

  bool operator==(const SchemaElement&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Statistics and column chunks.

// All fields optional. Values are PLAIN-encoded, byte arrays without the length prefix.
struct Statistics {
  std::optional<std::string> max;          // 1, deprecated (signed order)
  std::optional<std::string> min;          // 2, deprecated (signed order)
  std::optional<int64_t> null_count;       // 3; absent is not 0
  std::optional<int64_t> distinct_count;   // 4
  std::optional<std::string> max_value;    // 5, in the column's ColumnOrder
  std::optional<std::string> min_value;    // 6
  std::optional<bool> is_max_value_exact;  // 7
  std::optional<bool> is_min_value_exact;  // 8
  std::optional<int64_t> nan_count;        // 9 (format 2.12); absent means NaNs may exist

  bool operator==(const Statistics&) const = default;
};

struct SizeStatistics {
  std::optional<int64_t> unencoded_byte_array_data_bytes;          // 1
  std::optional<std::vector<int64_t>> repetition_level_histogram;  // 2
  std::optional<std::vector<int64_t>> definition_level_histogram;  // 3

  bool operator==(const SizeStatistics&) const = default;
};

struct KeyValue {
  std::string key;                   // 1, required
  std::optional<std::string> value;  // 2

  bool operator==(const KeyValue&) const = default;
};

struct PageEncodingStats {
  PageType page_type = PageType::kDataPage;  // 1, required
  Encoding encoding = Encoding::kPlain;      // 2, required
  int32_t count = 0;                         // 3, required

  bool operator==(const PageEncodingStats&) const = default;
};

struct ColumnMetaData {
  Type type = Type::kBoolean;                                // 1, required
  std::vector<Encoding> encodings;                           // 2, required
  std::vector<std::string> path_in_schema;                   // 3, required
  CompressionCodec codec = CompressionCodec::kUncompressed;  // 4, required
  int64_t num_values = 0;                                    // 5, required (nulls included)
  int64_t total_uncompressed_size = 0;                       // 6, required (page headers included)
  int64_t total_compressed_size = 0;                         // 7, required (page headers included)
  std::vector<KeyValue> key_value_metadata;                  // 8
  int64_t data_page_offset = 0;                              // 9, required
  std::optional<int64_t> index_page_offset;                  // 10
  std::optional<int64_t> dictionary_page_offset;             // 11
  std::optional<Statistics> statistics;                      // 12
  std::vector<PageEncodingStats> encoding_stats;             // 13
  std::optional<int64_t> bloom_filter_offset;                // 14
  std::optional<int32_t> bloom_filter_length;                // 15 (header included)
  std::optional<SizeStatistics> size_statistics;             // 16
  // Not represented (skipped on decode): 17 geospatial_statistics.

  bool operator==(const ColumnMetaData&) const = default;
};

struct ColumnChunk {
  std::optional<std::string> file_path;        // 1; set only in summary files
  int64_t file_offset = 0;                     // 2, required, deprecated: write 0
  std::optional<ColumnMetaData> meta_data;     // 3; optional in the IDL, but always written
  std::optional<int64_t> offset_index_offset;  // 4
  std::optional<int32_t> offset_index_length;  // 5
  std::optional<int64_t> column_index_offset;  // 6
  std::optional<int32_t> column_index_length;  // 7
  // Not represented (skipped on decode): 8 crypto_metadata, 9 encrypted_column_metadata.

  bool operator==(const ColumnChunk&) const = default;
};

struct SortingColumn {
  int32_t column_idx = 0;    // 1, required: the leaf column's index
  bool descending = false;   // 2, required
  bool nulls_first = false;  // 3, required

  bool operator==(const SortingColumn&) const = default;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;              // 1, required, in schema leaf order
  int64_t total_byte_size = 0;                   // 2, required (uncompressed)
  int64_t num_rows = 0;                          // 3, required
  std::vector<SortingColumn> sorting_columns;    // 4
  std::optional<int64_t> file_offset;            // 5: first page of the row group
  std::optional<int64_t> total_compressed_size;  // 6
  std::optional<int16_t> ordinal;                // 7

  bool operator==(const RowGroup&) const = default;
};

// union ColumnOrder; values are the union's field ids.
enum class ColumnOrder : int16_t {
  kTypeOrder = 1,            // TypeDefinedOrder: the order of the logical / physical type
  kIeee754TotalOrder = 2,    // format 2.12, floating-point columns
  kInt96TimestampOrder = 3,  // INT96 columns
};

struct FileMetaData {
  int32_t version = 0;                       // 1, required (write 1 or 2; read both)
  std::vector<SchemaElement> schema;         // 2, required: depth-first, root first
  int64_t num_rows = 0;                      // 3, required
  std::vector<RowGroup> row_groups;          // 4, required
  std::vector<KeyValue> key_value_metadata;  // 5
  std::optional<std::string> created_by;     // 6
  std::vector<ColumnOrder> column_orders;    // 7: one per leaf column
  // Not represented (skipped on decode): 8 encryption_algorithm, 9 footer_signing_key_metadata.

  bool operator==(const FileMetaData&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Page headers.

struct DataPageHeader {
  int32_t num_values = 0;                               // 1, required (nulls included)
  Encoding encoding = Encoding::kPlain;                 // 2, required
  Encoding definition_level_encoding = Encoding::kRle;  // 3, required
  Encoding repetition_level_encoding = Encoding::kRle;  // 4, required
  std::optional<Statistics> statistics;                 // 5

  bool operator==(const DataPageHeader&) const = default;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;                // 1, required
  Encoding encoding = Encoding::kPlain;  // 2, required
  std::optional<bool> is_sorted;         // 3

  bool operator==(const DictionaryPageHeader&) const = default;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;                     // 1, required (nulls included)
  int32_t num_nulls = 0;                      // 2, required
  int32_t num_rows = 0;                       // 3, required
  Encoding encoding = Encoding::kPlain;       // 4, required
  int32_t definition_levels_byte_length = 0;  // 5, required
  int32_t repetition_levels_byte_length = 0;  // 6, required
  bool is_compressed = true;                  // 7; absent means true. Always written.
  std::optional<Statistics> statistics;       // 8

  bool operator==(const DataPageHeaderV2&) const = default;
};

struct PageHeader {
  PageType type = PageType::kDataPage;             // 1, required
  int32_t uncompressed_page_size = 0;              // 2, required (header excluded)
  int32_t compressed_page_size = 0;                // 3, required (header excluded)
  std::optional<int32_t> crc;                      // 4: CRC-32 of the page body
  std::optional<DataPageHeader> data_page_header;  // 5
  // 6 index_page_header (an empty struct) is skipped on decode and never written.
  std::optional<DictionaryPageHeader> dictionary_page_header;  // 7
  std::optional<DataPageHeaderV2> data_page_header_v2;         // 8

  bool operator==(const PageHeader&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Page index and bloom filters.

struct PageLocation {
  int64_t offset = 0;                // 1, required: the page header's file offset
  int32_t compressed_page_size = 0;  // 2, required: header included
  int64_t first_row_index = 0;       // 3, required: within the row group

  bool operator==(const PageLocation&) const = default;
};

struct OffsetIndex {
  std::vector<PageLocation> page_locations;                             // 1, required
  std::optional<std::vector<int64_t>> unencoded_byte_array_data_bytes;  // 2

  bool operator==(const OffsetIndex&) const = default;
};

struct ColumnIndex {
  std::vector<bool> null_pages;                                     // 1, required
  std::vector<std::string> min_values;                              // 2, required
  std::vector<std::string> max_values;                              // 3, required
  BoundaryOrder boundary_order = BoundaryOrder::kUnordered;         // 4, required
  std::optional<std::vector<int64_t>> null_counts;                  // 5; absent is not all 0
  std::optional<std::vector<int64_t>> repetition_level_histograms;  // 6
  std::optional<std::vector<int64_t>> definition_level_histograms;  // 7
  std::optional<std::vector<int64_t>> nan_counts;                   // 8 (format 2.12)

  bool operator==(const ColumnIndex&) const = default;
};

// The bloom filter unions; values are the union's field ids.
enum class BloomFilterAlgorithm : int16_t { kBlock = 1 };
enum class BloomFilterHash : int16_t { kXxHash = 1 };
enum class BloomFilterCompression : int16_t { kUncompressed = 1 };

struct BloomFilterHeader {
  int32_t num_bytes = 0;                                                       // 1: numBytes
  BloomFilterAlgorithm algorithm = BloomFilterAlgorithm::kBlock;               // 2
  BloomFilterHash hash = BloomFilterHash::kXxHash;                             // 3
  BloomFilterCompression compression = BloomFilterCompression::kUncompressed;  // 4
  // All four are required.

  bool operator==(const BloomFilterHeader&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Encoding and decoding.
//
// Decode* functions that take a whole buffer return DataLossError if bytes are left after the
// struct. The ones with a `*_size` out-parameter read one struct from the start of `bytes` (a
// page or bloom filter header followed by its data) and store the struct's encoded length in
// `*header_size` when it is not null. Returned structs own their data (no views into `bytes`).

// The footer's FileMetaData (the bytes before the 4-byte length and "PAR1").
std::string EncodeFileMetaData(const FileMetaData& metadata);
[[nodiscard]] absl::StatusOr<FileMetaData> DecodeFileMetaData(std::string_view bytes);

void AppendPageHeader(const PageHeader& header, std::string* out);
[[nodiscard]] absl::StatusOr<PageHeader> DecodePageHeader(std::string_view bytes,
                                                          size_t* header_size);

std::string EncodeColumnIndex(const ColumnIndex& index);
[[nodiscard]] absl::StatusOr<ColumnIndex> DecodeColumnIndex(std::string_view bytes);

std::string EncodeOffsetIndex(const OffsetIndex& index);
[[nodiscard]] absl::StatusOr<OffsetIndex> DecodeOffsetIndex(std::string_view bytes);

void AppendBloomFilterHeader(const BloomFilterHeader& header, std::string* out);
std::string EncodeBloomFilterHeader(const BloomFilterHeader& header);
[[nodiscard]] absl::StatusOr<BloomFilterHeader> DecodeBloomFilterHeader(std::string_view bytes,
                                                                        size_t* header_size);

}  // namespace cardinalsin::parquet
