#include "parquet/metadata.h"

#include <bit>
#include <span>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "parquet/thrift_compact.h"

namespace cardinalsin::parquet {
namespace {

using thrift::CompactReader;
using thrift::CompactWriter;
using thrift::FieldHeader;
using thrift::ListHeader;
using thrift::ValueType;

// ---------------------------------------------------------------------------------------------
// Enum names.

template <typename E>
std::string EnumName(std::span<const std::string_view> names, std::string_view enum_name, E e) {
  const auto v = static_cast<int64_t>(e);
  if (v >= 0 && static_cast<size_t>(v) < names.size() && !names[v].empty()) {
    return std::string(names[v]);
  }
  return base::StrCat(enum_name, "(", v, ")");
}

constexpr std::string_view kTypeNames[] = {
    "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
constexpr std::string_view kConvertedTypeNames[] = {"UTF8",
                                                    "MAP",
                                                    "MAP_KEY_VALUE",
                                                    "LIST",
                                                    "ENUM",
                                                    "DECIMAL",
                                                    "DATE",
                                                    "TIME_MILLIS",
                                                    "TIME_MICROS",
                                                    "TIMESTAMP_MILLIS",
                                                    "TIMESTAMP_MICROS",
                                                    "UINT_8",
                                                    "UINT_16",
                                                    "UINT_32",
                                                    "UINT_64",
                                                    "INT_8",
                                                    "INT_16",
                                                    "INT_32",
                                                    "INT_64",
                                                    "JSON",
                                                    "BSON",
                                                    "INTERVAL"};
constexpr std::string_view kRepetitionNames[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
constexpr std::string_view kEncodingNames[] = {"PLAIN",
                                               "",  // GROUP_VAR_INT, never used
                                               "PLAIN_DICTIONARY",
                                               "RLE",
                                               "BIT_PACKED",
                                               "DELTA_BINARY_PACKED",
                                               "DELTA_LENGTH_BYTE_ARRAY",
                                               "DELTA_BYTE_ARRAY",
                                               "RLE_DICTIONARY",
                                               "BYTE_STREAM_SPLIT"};
constexpr std::string_view kCodecNames[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                            "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
constexpr std::string_view kPageTypeNames[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
                                               "DATA_PAGE_V2"};
constexpr std::string_view kBoundaryOrderNames[] = {"UNORDERED", "ASCENDING", "DESCENDING"};

// ---------------------------------------------------------------------------------------------
// Struct descriptions for error messages and required-field checks. fields[id] is the spec's
// name of field `id`; every Parquet struct's ids are below 32, so masks fit in a uint32_t.

struct StructSpec {
  std::string_view name;
  std::span<const std::string_view> fields;
  uint32_t required = 0;  // bit i: field i is required
};

constexpr uint32_t Bits(std::initializer_list<int> ids) {
  uint32_t mask = 0;
  for (int id : ids) {
    mask |= uint32_t{1} << id;
  }
  return mask;
}

constexpr std::string_view kStatisticsFields[] = {"",
                                                  "max",
                                                  "min",
                                                  "null_count",
                                                  "distinct_count",
                                                  "max_value",
                                                  "min_value",
                                                  "is_max_value_exact",
                                                  "is_min_value_exact",
                                                  "nan_count"};
constexpr StructSpec kStatisticsSpec{"Statistics", kStatisticsFields};

constexpr std::string_view kSizeStatisticsFields[] = {"", "unencoded_byte_array_data_bytes",
                                                      "repetition_level_histogram",
                                                      "definition_level_histogram"};
constexpr StructSpec kSizeStatisticsSpec{"SizeStatistics", kSizeStatisticsFields};

constexpr std::string_view kTimeUnitFields[] = {"", "MILLIS", "MICROS", "NANOS"};
constexpr StructSpec kTimeUnitSpec{"TimeUnit", kTimeUnitFields};

constexpr std::string_view kDecimalTypeFields[] = {"", "scale", "precision"};
constexpr StructSpec kDecimalTypeSpec{"DecimalType", kDecimalTypeFields, Bits({1, 2})};

constexpr std::string_view kTimeTypeFields[] = {"", "isAdjustedToUTC", "unit"};
constexpr StructSpec kTimeTypeSpec{"TimeType", kTimeTypeFields, Bits({1, 2})};
constexpr StructSpec kTimestampTypeSpec{"TimestampType", kTimeTypeFields, Bits({1, 2})};

constexpr std::string_view kIntTypeFields[] = {"", "bitWidth", "isSigned"};
constexpr StructSpec kIntTypeSpec{"IntType", kIntTypeFields, Bits({1, 2})};

constexpr std::string_view kLogicalTypeFields[] = {
    "",          "STRING", "MAP",     "LIST",    "ENUM", "DECIMAL", "DATE", "TIME",
    "TIMESTAMP", "",       "INTEGER", "UNKNOWN", "JSON", "BSON",    "UUID", "FLOAT16"};
constexpr StructSpec kLogicalTypeSpec{"LogicalType", kLogicalTypeFields};

constexpr std::string_view kSchemaElementFields[] = {
    "",          "type",         "type_length",    "repetition_type",
    "name",      "num_children", "converted_type", "scale",
    "precision", "field_id",     "logicalType"};
constexpr StructSpec kSchemaElementSpec{"SchemaElement", kSchemaElementFields, Bits({4})};

constexpr std::string_view kKeyValueFields[] = {"", "key", "value"};
constexpr StructSpec kKeyValueSpec{"KeyValue", kKeyValueFields, Bits({1})};

constexpr std::string_view kPageEncodingStatsFields[] = {"", "page_type", "encoding", "count"};
constexpr StructSpec kPageEncodingStatsSpec{"PageEncodingStats", kPageEncodingStatsFields,
                                            Bits({1, 2, 3})};

constexpr std::string_view kColumnMetaDataFields[] = {"",
                                                      "type",
                                                      "encodings",
                                                      "path_in_schema",
                                                      "codec",
                                                      "num_values",
                                                      "total_uncompressed_size",
                                                      "total_compressed_size",
                                                      "key_value_metadata",
                                                      "data_page_offset",
                                                      "index_page_offset",
                                                      "dictionary_page_offset",
                                                      "statistics",
                                                      "encoding_stats",
                                                      "bloom_filter_offset",
                                                      "bloom_filter_length",
                                                      "size_statistics",
                                                      "geospatial_statistics"};
constexpr StructSpec kColumnMetaDataSpec{"ColumnMetaData", kColumnMetaDataFields,
                                         Bits({1, 2, 3, 4, 5, 6, 7, 9})};

constexpr std::string_view kColumnChunkFields[] = {"",
                                                   "file_path",
                                                   "file_offset",
                                                   "meta_data",
                                                   "offset_index_offset",
                                                   "offset_index_length",
                                                   "column_index_offset",
                                                   "column_index_length",
                                                   "crypto_metadata",
                                                   "encrypted_column_metadata"};
// file_offset is required by the IDL, but with a default of 0 some writers leave it out;
// treating it as optional costs nothing.
constexpr StructSpec kColumnChunkSpec{"ColumnChunk", kColumnChunkFields};

constexpr std::string_view kSortingColumnFields[] = {"", "column_idx", "descending", "nulls_first"};
constexpr StructSpec kSortingColumnSpec{"SortingColumn", kSortingColumnFields, Bits({1, 2, 3})};

constexpr std::string_view kRowGroupFields[] = {"",
                                                "columns",
                                                "total_byte_size",
                                                "num_rows",
                                                "sorting_columns",
                                                "file_offset",
                                                "total_compressed_size",
                                                "ordinal"};
constexpr StructSpec kRowGroupSpec{"RowGroup", kRowGroupFields, Bits({1, 2, 3})};

constexpr std::string_view kColumnOrderFields[] = {"", "TYPE_ORDER", "IEEE_754_TOTAL_ORDER",
                                                   "INT96_TIMESTAMP_ORDER"};
constexpr StructSpec kColumnOrderSpec{"ColumnOrder", kColumnOrderFields};

constexpr std::string_view kFileMetaDataFields[] = {"",
                                                    "version",
                                                    "schema",
                                                    "num_rows",
                                                    "row_groups",
                                                    "key_value_metadata",
                                                    "created_by",
                                                    "column_orders",
                                                    "encryption_algorithm",
                                                    "footer_signing_key_metadata"};
constexpr StructSpec kFileMetaDataSpec{"FileMetaData", kFileMetaDataFields, Bits({1, 2, 3, 4})};

constexpr std::string_view kDataPageHeaderFields[] = {
    "",          "num_values", "encoding", "definition_level_encoding", "repetition_level_encoding",
    "statistics"};
constexpr StructSpec kDataPageHeaderSpec{"DataPageHeader", kDataPageHeaderFields,
                                         Bits({1, 2, 3, 4})};

constexpr std::string_view kDictionaryPageHeaderFields[] = {"", "num_values", "encoding",
                                                            "is_sorted"};
constexpr StructSpec kDictionaryPageHeaderSpec{"DictionaryPageHeader", kDictionaryPageHeaderFields,
                                               Bits({1, 2})};

constexpr std::string_view kDataPageHeaderV2Fields[] = {"",
                                                        "num_values",
                                                        "num_nulls",
                                                        "num_rows",
                                                        "encoding",
                                                        "definition_levels_byte_length",
                                                        "repetition_levels_byte_length",
                                                        "is_compressed",
                                                        "statistics"};
constexpr StructSpec kDataPageHeaderV2Spec{"DataPageHeaderV2", kDataPageHeaderV2Fields,
                                           Bits({1, 2, 3, 4, 5, 6})};

constexpr std::string_view kPageHeaderFields[] = {"",
                                                  "type",
                                                  "uncompressed_page_size",
                                                  "compressed_page_size",
                                                  "crc",
                                                  "data_page_header",
                                                  "index_page_header",
                                                  "dictionary_page_header",
                                                  "data_page_header_v2"};
constexpr StructSpec kPageHeaderSpec{"PageHeader", kPageHeaderFields, Bits({1, 2, 3})};

constexpr std::string_view kPageLocationFields[] = {"", "offset", "compressed_page_size",
                                                    "first_row_index"};
constexpr StructSpec kPageLocationSpec{"PageLocation", kPageLocationFields, Bits({1, 2, 3})};

constexpr std::string_view kOffsetIndexFields[] = {"", "page_locations",
                                                   "unencoded_byte_array_data_bytes"};
constexpr StructSpec kOffsetIndexSpec{"OffsetIndex", kOffsetIndexFields, Bits({1})};

constexpr std::string_view kColumnIndexFields[] = {"",
                                                   "null_pages",
                                                   "min_values",
                                                   "max_values",
                                                   "boundary_order",
                                                   "null_counts",
                                                   "repetition_level_histograms",
                                                   "definition_level_histograms",
                                                   "nan_counts"};
constexpr StructSpec kColumnIndexSpec{"ColumnIndex", kColumnIndexFields, Bits({1, 2, 3, 4})};

constexpr std::string_view kBloomFilterAlgorithmFields[] = {"", "BLOCK"};
constexpr StructSpec kBloomFilterAlgorithmSpec{"BloomFilterAlgorithm", kBloomFilterAlgorithmFields};
constexpr std::string_view kBloomFilterHashFields[] = {"", "XXHASH"};
constexpr StructSpec kBloomFilterHashSpec{"BloomFilterHash", kBloomFilterHashFields};
constexpr std::string_view kBloomFilterCompressionFields[] = {"", "UNCOMPRESSED"};
constexpr StructSpec kBloomFilterCompressionSpec{"BloomFilterCompression",
                                                 kBloomFilterCompressionFields};

constexpr std::string_view kBloomFilterHeaderFields[] = {"", "numBytes", "algorithm", "hash",
                                                         "compression"};
constexpr StructSpec kBloomFilterHeaderSpec{"BloomFilterHeader", kBloomFilterHeaderFields,
                                            Bits({1, 2, 3, 4})};

// ---------------------------------------------------------------------------------------------
// Errors. Messages read "<path>: <what> at byte offset N", the path built innermost first as
// the error travels out ("FileMetaData.row_groups[0].columns[2].meta_data.codec: ...").

absl::Status Annotate(const absl::Status& status, std::string_view piece) {
  const absl::string_view message = status.message();
  const bool path_continues = !message.empty() && (message[0] == '.' || message[0] == '[');
  return absl::Status(status.code(), base::StrCat(piece, path_continues ? "" : ": ", message));
}

std::string FieldPiece(const StructSpec& spec, int16_t id) {
  if (id > 0 && static_cast<size_t>(id) < spec.fields.size() && !spec.fields[id].empty()) {
    return base::StrCat(".", spec.fields[id]);
  }
  return base::StrCat(".<field ", id, ">");
}

absl::Status WrongType(const CompactReader& r, ValueType actual, ValueType expected) {
  return absl::DataLossError(base::StrCat("wire type ", thrift::ValueTypeName(actual),
                                          ", expected ", thrift::ValueTypeName(expected),
                                          ", at byte offset ", r.offset()));
}

// ---------------------------------------------------------------------------------------------
// Type mapping: which compact-protocol type each C++ member type is written as.

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

// Enums with an int32 underlying type are Thrift enums (i32 on the wire); int16 ones are
// unions of empty structs (ColumnOrder, TimeUnit, the bloom filter unions).
template <typename T>
concept ThriftEnum = std::is_enum_v<T> && std::is_same_v<std::underlying_type_t<T>, int32_t>;
template <typename T>
concept EmptyStructUnion = std::is_enum_v<T> && std::is_same_v<std::underlying_type_t<T>, int16_t>;

template <typename T>
constexpr ValueType WireTypeOf() {
  if constexpr (std::is_same_v<T, bool>) {
    return ValueType::kBool;
  } else if constexpr (std::is_same_v<T, int8_t>) {
    return ValueType::kI8;
  } else if constexpr (std::is_same_v<T, int16_t>) {
    return ValueType::kI16;
  } else if constexpr (std::is_same_v<T, int32_t> || ThriftEnum<T>) {
    return ValueType::kI32;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return ValueType::kI64;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return ValueType::kBinary;
  } else if constexpr (IsVector<T>::value) {
    return ValueType::kList;
  } else {
    return ValueType::kStruct;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding. ReadValue reads one value in element context; ReadField reads a field's value after
// its header, checking the wire type. Declarations first so the templates see every overload.

absl::Status ReadValue(CompactReader& r, bool* out);
absl::Status ReadValue(CompactReader& r, int8_t* out);
absl::Status ReadValue(CompactReader& r, int16_t* out);
absl::Status ReadValue(CompactReader& r, int32_t* out);
absl::Status ReadValue(CompactReader& r, int64_t* out);
absl::Status ReadValue(CompactReader& r, std::string* out);
template <ThriftEnum E>
absl::Status ReadValue(CompactReader& r, E* out);
template <typename T>
absl::Status ReadValue(CompactReader& r, std::vector<T>* out);
absl::Status ReadValue(CompactReader& r, TimeUnit* out);
absl::Status ReadValue(CompactReader& r, ColumnOrder* out);
absl::Status ReadValue(CompactReader& r, BloomFilterAlgorithm* out);
absl::Status ReadValue(CompactReader& r, BloomFilterHash* out);
absl::Status ReadValue(CompactReader& r, BloomFilterCompression* out);
absl::Status ReadValue(CompactReader& r, Statistics* out);
absl::Status ReadValue(CompactReader& r, SizeStatistics* out);
absl::Status ReadValue(CompactReader& r, LogicalType* out);
absl::Status ReadValue(CompactReader& r, SchemaElement* out);
absl::Status ReadValue(CompactReader& r, KeyValue* out);
absl::Status ReadValue(CompactReader& r, PageEncodingStats* out);
absl::Status ReadValue(CompactReader& r, ColumnMetaData* out);
absl::Status ReadValue(CompactReader& r, ColumnChunk* out);
absl::Status ReadValue(CompactReader& r, SortingColumn* out);
absl::Status ReadValue(CompactReader& r, RowGroup* out);
absl::Status ReadValue(CompactReader& r, FileMetaData* out);
absl::Status ReadValue(CompactReader& r, DataPageHeader* out);
absl::Status ReadValue(CompactReader& r, DictionaryPageHeader* out);
absl::Status ReadValue(CompactReader& r, DataPageHeaderV2* out);
absl::Status ReadValue(CompactReader& r, PageHeader* out);
absl::Status ReadValue(CompactReader& r, PageLocation* out);
absl::Status ReadValue(CompactReader& r, OffsetIndex* out);
absl::Status ReadValue(CompactReader& r, ColumnIndex* out);
absl::Status ReadValue(CompactReader& r, BloomFilterHeader* out);

absl::Status ReadValue(CompactReader& r, bool* out) {
  CS_ASSIGN_OR_RETURN(*out, r.ReadBool());
  return absl::OkStatus();
}
absl::Status ReadValue(CompactReader& r, int8_t* out) {
  CS_ASSIGN_OR_RETURN(*out, r.ReadI8());
  return absl::OkStatus();
}
absl::Status ReadValue(CompactReader& r, int16_t* out) {
  CS_ASSIGN_OR_RETURN(*out, r.ReadI16());
  return absl::OkStatus();
}
absl::Status ReadValue(CompactReader& r, int32_t* out) {
  CS_ASSIGN_OR_RETURN(*out, r.ReadI32());
  return absl::OkStatus();
}
absl::Status ReadValue(CompactReader& r, int64_t* out) {
  CS_ASSIGN_OR_RETURN(*out, r.ReadI64());
  return absl::OkStatus();
}
absl::Status ReadValue(CompactReader& r, std::string* out) {
  CS_ASSIGN_OR_RETURN(const std::string_view value, r.ReadBinary());
  CS_RETURN_IF_ERROR(r.ChargeAllocation(value.size()));
  out->assign(value);
  return absl::OkStatus();
}

template <ThriftEnum E>
absl::Status ReadValue(CompactReader& r, E* out) {
  // Values this file does not know are kept (static_cast to an enum with a fixed underlying
  // type is defined for every value of that type).
  CS_ASSIGN_OR_RETURN(const int32_t value, r.ReadI32());
  *out = static_cast<E>(value);
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadValue(CompactReader& r, std::vector<T>* out) {
  CS_ASSIGN_OR_RETURN(const ListHeader header, r.ReadListHeader());
  constexpr ValueType kExpected = WireTypeOf<T>();
  if (header.size > 0 && header.element_type != kExpected) {
    return absl::DataLossError(base::StrCat("list of ", thrift::ValueTypeName(header.element_type),
                                            ", expected list of ", thrift::ValueTypeName(kExpected),
                                            ", at byte offset ", r.offset()));
  }
  out->clear();
  // header.size is at most the bytes left, so scalars (at most 8 bytes each) are reserved up
  // front. Strings and structs are charged one by one as they are read: a corrupt size then
  // fails at the end of the input, having allocated no more than the input justifies.
  if constexpr (std::is_scalar_v<T>) {
    CS_RETURN_IF_ERROR(r.ChargeAllocation(size_t{header.size} * sizeof(T)));
    out->reserve(header.size);
  }
  for (uint32_t i = 0; i < header.size; ++i) {
    if constexpr (!std::is_scalar_v<T>) {
      CS_RETURN_IF_ERROR(r.ChargeAllocation(sizeof(T)));
    }
    T value{};
    if (absl::Status status = ReadValue(r, &value); !status.ok()) {
      return Annotate(status, base::StrCat("[", i, "]"));
    }
    out->push_back(std::move(value));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadField(CompactReader& r, const FieldHeader& field, T* out) {
  constexpr ValueType kExpected = WireTypeOf<T>();
  if (field.type != kExpected) {
    return WrongType(r, field.type, kExpected);
  }
  if constexpr (std::is_same_v<T, bool>) {
    *out = field.bool_value;
    return absl::OkStatus();
  } else {
    return ReadValue(r, out);
  }
}

template <typename T>
absl::Status ReadField(CompactReader& r, const FieldHeader& field, std::optional<T>* out) {
  out->emplace();
  return ReadField(r, field, &**out);
}

// Reads one struct, handing each field to `on_field` (which must read or skip its value), then
// checks that spec.required fields were present.
template <typename OnField>
absl::Status ReadStruct(CompactReader& r, const StructSpec& spec, OnField&& on_field) {
  const size_t start = r.offset();
  CS_RETURN_IF_ERROR(r.BeginStruct());
  uint32_t seen = 0;
  while (true) {
    CS_ASSIGN_OR_RETURN(const FieldHeader field, r.ReadFieldHeader());
    if (field.type == ValueType::kStop) {
      break;
    }
    if (field.id > 0 && field.id < 32) {
      seen |= uint32_t{1} << field.id;
    }
    if (absl::Status status = on_field(field); !status.ok()) {
      return Annotate(status, FieldPiece(spec, field.id));
    }
  }
  r.EndStruct();
  if (const uint32_t missing = spec.required & ~seen; missing != 0) {
    const int id = std::countr_zero(missing);
    return absl::DataLossError(base::StrCat(spec.name, ".", spec.fields[id], " (field ", id,
                                            ") is required but missing in the struct at byte "
                                            "offset ",
                                            start));
  }
  return absl::OkStatus();
}

absl::Status UnionMemberCount(const StructSpec& spec, int members, size_t start) {
  if (members == 1) {
    return absl::OkStatus();
  }
  return absl::DataLossError(base::StrCat("union ", spec.name, " has ", members,
                                          " members set, expected 1, at byte offset ", start));
}

// A union of empty structs: the member's field id is the value. Members this file does not know
// are kept as their raw id, whatever their contents.
template <EmptyStructUnion E>
absl::Status ReadEmptyStructUnion(CompactReader& r, const StructSpec& spec, E* out) {
  const size_t start = r.offset();
  int members = 0;
  CS_RETURN_IF_ERROR(ReadStruct(r, spec, [&](const FieldHeader& field) -> absl::Status {
    ++members;
    *out = static_cast<E>(field.id);
    const bool known = field.id > 0 && static_cast<size_t>(field.id) < spec.fields.size();
    if (known && field.type != ValueType::kStruct) {
      return WrongType(r, field.type, ValueType::kStruct);
    }
    return r.SkipField(field);
  }));
  return UnionMemberCount(spec, members, start);
}

absl::Status ReadValue(CompactReader& r, TimeUnit* out) {
  return ReadEmptyStructUnion(r, kTimeUnitSpec, out);
}
absl::Status ReadValue(CompactReader& r, ColumnOrder* out) {
  return ReadEmptyStructUnion(r, kColumnOrderSpec, out);
}
absl::Status ReadValue(CompactReader& r, BloomFilterAlgorithm* out) {
  return ReadEmptyStructUnion(r, kBloomFilterAlgorithmSpec, out);
}
absl::Status ReadValue(CompactReader& r, BloomFilterHash* out) {
  return ReadEmptyStructUnion(r, kBloomFilterHashSpec, out);
}
absl::Status ReadValue(CompactReader& r, BloomFilterCompression* out) {
  return ReadEmptyStructUnion(r, kBloomFilterCompressionSpec, out);
}

absl::Status ReadValue(CompactReader& r, Statistics* out) {
  return ReadStruct(r, kStatisticsSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->max);
      case 2:
        return ReadField(r, f, &out->min);
      case 3:
        return ReadField(r, f, &out->null_count);
      case 4:
        return ReadField(r, f, &out->distinct_count);
      case 5:
        return ReadField(r, f, &out->max_value);
      case 6:
        return ReadField(r, f, &out->min_value);
      case 7:
        return ReadField(r, f, &out->is_max_value_exact);
      case 8:
        return ReadField(r, f, &out->is_min_value_exact);
      case 9:
        return ReadField(r, f, &out->nan_count);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, SizeStatistics* out) {
  return ReadStruct(r, kSizeStatisticsSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->unencoded_byte_array_data_bytes);
      case 2:
        return ReadField(r, f, &out->repetition_level_histogram);
      case 3:
        return ReadField(r, f, &out->definition_level_histogram);
      default:
        return r.SkipField(f);
    }
  });
}

// TimeType and TimestampType have the same fields.
absl::Status ReadTimeParameters(CompactReader& r, const StructSpec& spec, LogicalType* out) {
  return ReadStruct(r, spec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->is_adjusted_to_utc);
      case 2:
        return ReadField(r, f, &out->unit);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, LogicalType* out) {
  const size_t start = r.offset();
  int members = 0;
  CS_RETURN_IF_ERROR(ReadStruct(r, kLogicalTypeSpec, [&](const FieldHeader& f) -> absl::Status {
    ++members;
    *out = LogicalType::Of(static_cast<LogicalType::Kind>(f.id));
    const bool known = f.id > 0 && static_cast<size_t>(f.id) < std::size(kLogicalTypeFields) &&
                       !kLogicalTypeFields[f.id].empty();
    if (!known) return r.SkipField(f);  // a newer type: kept as its raw id
    if (f.type != ValueType::kStruct) return WrongType(r, f.type, ValueType::kStruct);
    switch (static_cast<LogicalType::Kind>(f.id)) {
      case LogicalType::Kind::kDecimal:
        return ReadStruct(r, kDecimalTypeSpec, [&](const FieldHeader& g) -> absl::Status {
          switch (g.id) {
            case 1:
              return ReadField(r, g, &out->scale);
            case 2:
              return ReadField(r, g, &out->precision);
            default:
              return r.SkipField(g);
          }
        });
      case LogicalType::Kind::kTime:
        return ReadTimeParameters(r, kTimeTypeSpec, out);
      case LogicalType::Kind::kTimestamp:
        return ReadTimeParameters(r, kTimestampTypeSpec, out);
      case LogicalType::Kind::kInteger:
        return ReadStruct(r, kIntTypeSpec, [&](const FieldHeader& g) -> absl::Status {
          switch (g.id) {
            case 1:
              return ReadField(r, g, &out->bit_width);
            case 2:
              return ReadField(r, g, &out->is_signed);
            default:
              return r.SkipField(g);
          }
        });
      default:
        // Empty structs today; skipping keeps us reading if they gain fields.
        return r.SkipField(f);
    }
  }));
  return UnionMemberCount(kLogicalTypeSpec, members, start);
}

absl::Status ReadValue(CompactReader& r, SchemaElement* out) {
  return ReadStruct(r, kSchemaElementSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->type);
      case 2:
        return ReadField(r, f, &out->type_length);
      case 3:
        return ReadField(r, f, &out->repetition_type);
      case 4:
        return ReadField(r, f, &out->name);
      case 5:
        return ReadField(r, f, &out->num_children);
      case 6:
        return ReadField(r, f, &out->converted_type);
      case 7:
        return ReadField(r, f, &out->scale);
      case 8:
        return ReadField(r, f, &out->precision);
      case 9:
        return ReadField(r, f, &out->field_id);
      case 10:
        return ReadField(r, f, &out->logical_type);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, KeyValue* out) {
  return ReadStruct(r, kKeyValueSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->key);
      case 2:
        return ReadField(r, f, &out->value);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, PageEncodingStats* out) {
  return ReadStruct(r, kPageEncodingStatsSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->page_type);
      case 2:
        return ReadField(r, f, &out->encoding);
      case 3:
        return ReadField(r, f, &out->count);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, ColumnMetaData* out) {
  return ReadStruct(r, kColumnMetaDataSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->type);
      case 2:
        return ReadField(r, f, &out->encodings);
      case 3:
        return ReadField(r, f, &out->path_in_schema);
      case 4:
        return ReadField(r, f, &out->codec);
      case 5:
        return ReadField(r, f, &out->num_values);
      case 6:
        return ReadField(r, f, &out->total_uncompressed_size);
      case 7:
        return ReadField(r, f, &out->total_compressed_size);
      case 8:
        return ReadField(r, f, &out->key_value_metadata);
      case 9:
        return ReadField(r, f, &out->data_page_offset);
      case 10:
        return ReadField(r, f, &out->index_page_offset);
      case 11:
        return ReadField(r, f, &out->dictionary_page_offset);
      case 12:
        return ReadField(r, f, &out->statistics);
      case 13:
        return ReadField(r, f, &out->encoding_stats);
      case 14:
        return ReadField(r, f, &out->bloom_filter_offset);
      case 15:
        return ReadField(r, f, &out->bloom_filter_length);
      case 16:
        return ReadField(r, f, &out->size_statistics);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, ColumnChunk* out) {
  return ReadStruct(r, kColumnChunkSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->file_path);
      case 2:
        return ReadField(r, f, &out->file_offset);
      case 3:
        return ReadField(r, f, &out->meta_data);
      case 4:
        return ReadField(r, f, &out->offset_index_offset);
      case 5:
        return ReadField(r, f, &out->offset_index_length);
      case 6:
        return ReadField(r, f, &out->column_index_offset);
      case 7:
        return ReadField(r, f, &out->column_index_length);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, SortingColumn* out) {
  return ReadStruct(r, kSortingColumnSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->column_idx);
      case 2:
        return ReadField(r, f, &out->descending);
      case 3:
        return ReadField(r, f, &out->nulls_first);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, RowGroup* out) {
  return ReadStruct(r, kRowGroupSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->columns);
      case 2:
        return ReadField(r, f, &out->total_byte_size);
      case 3:
        return ReadField(r, f, &out->num_rows);
      case 4:
        return ReadField(r, f, &out->sorting_columns);
      case 5:
        return ReadField(r, f, &out->file_offset);
      case 6:
        return ReadField(r, f, &out->total_compressed_size);
      case 7:
        return ReadField(r, f, &out->ordinal);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, FileMetaData* out) {
  return ReadStruct(r, kFileMetaDataSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->version);
      case 2:
        return ReadField(r, f, &out->schema);
      case 3:
        return ReadField(r, f, &out->num_rows);
      case 4:
        return ReadField(r, f, &out->row_groups);
      case 5:
        return ReadField(r, f, &out->key_value_metadata);
      case 6:
        return ReadField(r, f, &out->created_by);
      case 7:
        return ReadField(r, f, &out->column_orders);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, DataPageHeader* out) {
  return ReadStruct(r, kDataPageHeaderSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->num_values);
      case 2:
        return ReadField(r, f, &out->encoding);
      case 3:
        return ReadField(r, f, &out->definition_level_encoding);
      case 4:
        return ReadField(r, f, &out->repetition_level_encoding);
      case 5:
        return ReadField(r, f, &out->statistics);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, DictionaryPageHeader* out) {
  return ReadStruct(r, kDictionaryPageHeaderSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->num_values);
      case 2:
        return ReadField(r, f, &out->encoding);
      case 3:
        return ReadField(r, f, &out->is_sorted);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, DataPageHeaderV2* out) {
  return ReadStruct(r, kDataPageHeaderV2Spec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->num_values);
      case 2:
        return ReadField(r, f, &out->num_nulls);
      case 3:
        return ReadField(r, f, &out->num_rows);
      case 4:
        return ReadField(r, f, &out->encoding);
      case 5:
        return ReadField(r, f, &out->definition_levels_byte_length);
      case 6:
        return ReadField(r, f, &out->repetition_levels_byte_length);
      case 7:
        return ReadField(r, f, &out->is_compressed);
      case 8:
        return ReadField(r, f, &out->statistics);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, PageHeader* out) {
  return ReadStruct(r, kPageHeaderSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->type);
      case 2:
        return ReadField(r, f, &out->uncompressed_page_size);
      case 3:
        return ReadField(r, f, &out->compressed_page_size);
      case 4:
        return ReadField(r, f, &out->crc);
      case 5:
        return ReadField(r, f, &out->data_page_header);
      case 7:
        return ReadField(r, f, &out->dictionary_page_header);
      case 8:
        return ReadField(r, f, &out->data_page_header_v2);
      default:  // including 6, index_page_header
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, PageLocation* out) {
  return ReadStruct(r, kPageLocationSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->offset);
      case 2:
        return ReadField(r, f, &out->compressed_page_size);
      case 3:
        return ReadField(r, f, &out->first_row_index);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, OffsetIndex* out) {
  return ReadStruct(r, kOffsetIndexSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->page_locations);
      case 2:
        return ReadField(r, f, &out->unencoded_byte_array_data_bytes);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, ColumnIndex* out) {
  return ReadStruct(r, kColumnIndexSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->null_pages);
      case 2:
        return ReadField(r, f, &out->min_values);
      case 3:
        return ReadField(r, f, &out->max_values);
      case 4:
        return ReadField(r, f, &out->boundary_order);
      case 5:
        return ReadField(r, f, &out->null_counts);
      case 6:
        return ReadField(r, f, &out->repetition_level_histograms);
      case 7:
        return ReadField(r, f, &out->definition_level_histograms);
      case 8:
        return ReadField(r, f, &out->nan_counts);
      default:
        return r.SkipField(f);
    }
  });
}

absl::Status ReadValue(CompactReader& r, BloomFilterHeader* out) {
  return ReadStruct(r, kBloomFilterHeaderSpec, [&](const FieldHeader& f) -> absl::Status {
    switch (f.id) {
      case 1:
        return ReadField(r, f, &out->num_bytes);
      case 2:
        return ReadField(r, f, &out->algorithm);
      case 3:
        return ReadField(r, f, &out->hash);
      case 4:
        return ReadField(r, f, &out->compression);
      default:
        return r.SkipField(f);
    }
  });
}

// Decodes a T from the start of `bytes`; `*size` gets its encoded length. With `whole`, bytes
// after the struct are an error.
template <typename T>
absl::StatusOr<T> Decode(std::string_view bytes, const StructSpec& spec, bool whole, size_t* size) {
  CompactReader r(bytes);
  T value;
  if (absl::Status status = ReadValue(r, &value); !status.ok()) {
    return Annotate(status, base::StrCat("parquet ", spec.name));
  }
  if (whole && r.remaining() != 0) {
    return absl::DataLossError(base::StrCat("parquet ", spec.name, ": ", r.remaining(),
                                            " unexpected bytes after the struct at byte offset ",
                                            r.offset()));
  }
  if (size != nullptr) {
    *size = r.offset();
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Encoding, mirroring the decoders: WriteValue in element context, WriteField with a header.

void WriteValue(CompactWriter& w, bool value) { w.WriteBool(value); }
void WriteValue(CompactWriter& w, int8_t value) { w.WriteI8(value); }
void WriteValue(CompactWriter& w, int16_t value) { w.WriteI16(value); }
void WriteValue(CompactWriter& w, int32_t value) { w.WriteI32(value); }
void WriteValue(CompactWriter& w, int64_t value) { w.WriteI64(value); }
void WriteValue(CompactWriter& w, const std::string& value) { w.WriteBinary(value); }
template <ThriftEnum E>
void WriteValue(CompactWriter& w, E value) {
  w.WriteI32(static_cast<int32_t>(value));
}
template <EmptyStructUnion E>
void WriteValue(CompactWriter& w, E value) {
  w.BeginStruct();
  w.WriteFieldHeader(static_cast<int16_t>(value), ValueType::kStruct);
  w.BeginStruct();
  w.EndStruct();
  w.EndStruct();
}
template <typename T>
void WriteValue(CompactWriter& w, const std::vector<T>& values);
void WriteValue(CompactWriter& w, const Statistics& value);
void WriteValue(CompactWriter& w, const SizeStatistics& value);
void WriteValue(CompactWriter& w, const LogicalType& value);
void WriteValue(CompactWriter& w, const SchemaElement& value);
void WriteValue(CompactWriter& w, const KeyValue& value);
void WriteValue(CompactWriter& w, const PageEncodingStats& value);
void WriteValue(CompactWriter& w, const ColumnMetaData& value);
void WriteValue(CompactWriter& w, const ColumnChunk& value);
void WriteValue(CompactWriter& w, const SortingColumn& value);
void WriteValue(CompactWriter& w, const RowGroup& value);
void WriteValue(CompactWriter& w, const FileMetaData& value);
void WriteValue(CompactWriter& w, const DataPageHeader& value);
void WriteValue(CompactWriter& w, const DictionaryPageHeader& value);
void WriteValue(CompactWriter& w, const DataPageHeaderV2& value);
void WriteValue(CompactWriter& w, const PageHeader& value);
void WriteValue(CompactWriter& w, const PageLocation& value);
void WriteValue(CompactWriter& w, const OffsetIndex& value);
void WriteValue(CompactWriter& w, const ColumnIndex& value);
void WriteValue(CompactWriter& w, const BloomFilterHeader& value);

template <typename T>
void WriteField(CompactWriter& w, int16_t id, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    w.WriteBoolField(id, value);
  } else {
    w.WriteFieldHeader(id, WireTypeOf<T>());
    WriteValue(w, value);
  }
}

template <typename T>
void WriteField(CompactWriter& w, int16_t id, const std::optional<T>& value) {
  if (value.has_value()) {
    WriteField(w, id, *value);
  }
}

// Optional lists represented as plain vectors: written only when non-empty.
template <typename T>
void WriteListIfAny(CompactWriter& w, int16_t id, const std::vector<T>& values) {
  if (!values.empty()) {
    WriteField(w, id, values);
  }
}

template <typename T>
void WriteValue(CompactWriter& w, const std::vector<T>& values) {
  w.WriteListHeader(WireTypeOf<T>(), values.size());
  for (const auto& value : values) {
    WriteValue(w, static_cast<const T&>(value));
  }
}

void WriteValue(CompactWriter& w, const Statistics& value) {
  w.BeginStruct();
  WriteField(w, 1, value.max);
  WriteField(w, 2, value.min);
  WriteField(w, 3, value.null_count);
  WriteField(w, 4, value.distinct_count);
  WriteField(w, 5, value.max_value);
  WriteField(w, 6, value.min_value);
  WriteField(w, 7, value.is_max_value_exact);
  WriteField(w, 8, value.is_min_value_exact);
  WriteField(w, 9, value.nan_count);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const SizeStatistics& value) {
  w.BeginStruct();
  WriteField(w, 1, value.unencoded_byte_array_data_bytes);
  WriteField(w, 2, value.repetition_level_histogram);
  WriteField(w, 3, value.definition_level_histogram);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const LogicalType& value) {
  w.BeginStruct();
  w.WriteFieldHeader(static_cast<int16_t>(value.kind), ValueType::kStruct);
  w.BeginStruct();
  switch (value.kind) {
    case LogicalType::Kind::kDecimal:
      WriteField(w, 1, value.scale);
      WriteField(w, 2, value.precision);
      break;
    case LogicalType::Kind::kTime:
    case LogicalType::Kind::kTimestamp:
      WriteField(w, 1, value.is_adjusted_to_utc);
      WriteField(w, 2, value.unit);
      break;
    case LogicalType::Kind::kInteger:
      WriteField(w, 1, value.bit_width);
      WriteField(w, 2, value.is_signed);
      break;
    default:
      break;  // an empty struct
  }
  w.EndStruct();
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const SchemaElement& value) {
  w.BeginStruct();
  WriteField(w, 1, value.type);
  WriteField(w, 2, value.type_length);
  WriteField(w, 3, value.repetition_type);
  WriteField(w, 4, value.name);
  WriteField(w, 5, value.num_children);
  WriteField(w, 6, value.converted_type);
  WriteField(w, 7, value.scale);
  WriteField(w, 8, value.precision);
  WriteField(w, 9, value.field_id);
  WriteField(w, 10, value.logical_type);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const KeyValue& value) {
  w.BeginStruct();
  WriteField(w, 1, value.key);
  WriteField(w, 2, value.value);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const PageEncodingStats& value) {
  w.BeginStruct();
  WriteField(w, 1, value.page_type);
  WriteField(w, 2, value.encoding);
  WriteField(w, 3, value.count);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const ColumnMetaData& value) {
  w.BeginStruct();
  WriteField(w, 1, value.type);
  WriteField(w, 2, value.encodings);
  WriteField(w, 3, value.path_in_schema);
  WriteField(w, 4, value.codec);
  WriteField(w, 5, value.num_values);
  WriteField(w, 6, value.total_uncompressed_size);
  WriteField(w, 7, value.total_compressed_size);
  WriteListIfAny(w, 8, value.key_value_metadata);
  WriteField(w, 9, value.data_page_offset);
  WriteField(w, 10, value.index_page_offset);
  WriteField(w, 11, value.dictionary_page_offset);
  WriteField(w, 12, value.statistics);
  WriteListIfAny(w, 13, value.encoding_stats);
  WriteField(w, 14, value.bloom_filter_offset);
  WriteField(w, 15, value.bloom_filter_length);
  WriteField(w, 16, value.size_statistics);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const ColumnChunk& value) {
  w.BeginStruct();
  WriteField(w, 1, value.file_path);
  WriteField(w, 2, value.file_offset);
  WriteField(w, 3, value.meta_data);
  WriteField(w, 4, value.offset_index_offset);
  WriteField(w, 5, value.offset_index_length);
  WriteField(w, 6, value.column_index_offset);
  WriteField(w, 7, value.column_index_length);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const SortingColumn& value) {
  w.BeginStruct();
  WriteField(w, 1, value.column_idx);
  WriteField(w, 2, value.descending);
  WriteField(w, 3, value.nulls_first);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const RowGroup& value) {
  w.BeginStruct();
  WriteField(w, 1, value.columns);
  WriteField(w, 2, value.total_byte_size);
  WriteField(w, 3, value.num_rows);
  WriteListIfAny(w, 4, value.sorting_columns);
  WriteField(w, 5, value.file_offset);
  WriteField(w, 6, value.total_compressed_size);
  WriteField(w, 7, value.ordinal);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const FileMetaData& value) {
  w.BeginStruct();
  WriteField(w, 1, value.version);
  WriteField(w, 2, value.schema);
  WriteField(w, 3, value.num_rows);
  WriteField(w, 4, value.row_groups);
  WriteListIfAny(w, 5, value.key_value_metadata);
  WriteField(w, 6, value.created_by);
  WriteListIfAny(w, 7, value.column_orders);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const DataPageHeader& value) {
  w.BeginStruct();
  WriteField(w, 1, value.num_values);
  WriteField(w, 2, value.encoding);
  WriteField(w, 3, value.definition_level_encoding);
  WriteField(w, 4, value.repetition_level_encoding);
  WriteField(w, 5, value.statistics);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const DictionaryPageHeader& value) {
  w.BeginStruct();
  WriteField(w, 1, value.num_values);
  WriteField(w, 2, value.encoding);
  WriteField(w, 3, value.is_sorted);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const DataPageHeaderV2& value) {
  w.BeginStruct();
  WriteField(w, 1, value.num_values);
  WriteField(w, 2, value.num_nulls);
  WriteField(w, 3, value.num_rows);
  WriteField(w, 4, value.encoding);
  WriteField(w, 5, value.definition_levels_byte_length);
  WriteField(w, 6, value.repetition_levels_byte_length);
  WriteField(w, 7, value.is_compressed);
  WriteField(w, 8, value.statistics);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const PageHeader& value) {
  w.BeginStruct();
  WriteField(w, 1, value.type);
  WriteField(w, 2, value.uncompressed_page_size);
  WriteField(w, 3, value.compressed_page_size);
  WriteField(w, 4, value.crc);
  WriteField(w, 5, value.data_page_header);
  WriteField(w, 7, value.dictionary_page_header);
  WriteField(w, 8, value.data_page_header_v2);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const PageLocation& value) {
  w.BeginStruct();
  WriteField(w, 1, value.offset);
  WriteField(w, 2, value.compressed_page_size);
  WriteField(w, 3, value.first_row_index);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const OffsetIndex& value) {
  w.BeginStruct();
  WriteField(w, 1, value.page_locations);
  WriteField(w, 2, value.unencoded_byte_array_data_bytes);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const ColumnIndex& value) {
  w.BeginStruct();
  WriteField(w, 1, value.null_pages);
  WriteField(w, 2, value.min_values);
  WriteField(w, 3, value.max_values);
  WriteField(w, 4, value.boundary_order);
  WriteField(w, 5, value.null_counts);
  WriteField(w, 6, value.repetition_level_histograms);
  WriteField(w, 7, value.definition_level_histograms);
  WriteField(w, 8, value.nan_counts);
  w.EndStruct();
}

void WriteValue(CompactWriter& w, const BloomFilterHeader& value) {
  w.BeginStruct();
  WriteField(w, 1, value.num_bytes);
  WriteField(w, 2, value.algorithm);
  WriteField(w, 3, value.hash);
  WriteField(w, 4, value.compression);
  w.EndStruct();
}

template <typename T>
void Append(const T& value, std::string* out) {
  CompactWriter w(out);
  WriteValue(w, value);
}

template <typename T>
std::string Encode(const T& value) {
  std::string out;
  Append(value, &out);
  return out;
}

}  // namespace

std::string ToString(Type type) { return EnumName(kTypeNames, "Type", type); }
std::string ToString(ConvertedType type) {
  return EnumName(kConvertedTypeNames, "ConvertedType", type);
}
std::string ToString(FieldRepetitionType type) {
  return EnumName(kRepetitionNames, "FieldRepetitionType", type);
}
std::string ToString(Encoding encoding) { return EnumName(kEncodingNames, "Encoding", encoding); }
std::string ToString(CompressionCodec codec) {
  return EnumName(kCodecNames, "CompressionCodec", codec);
}
std::string ToString(PageType type) { return EnumName(kPageTypeNames, "PageType", type); }
std::string ToString(BoundaryOrder order) {
  return EnumName(kBoundaryOrderNames, "BoundaryOrder", order);
}

std::string EncodeFileMetaData(const FileMetaData& metadata) { return Encode(metadata); }

absl::StatusOr<FileMetaData> DecodeFileMetaData(std::string_view bytes) {
  return Decode<FileMetaData>(bytes, kFileMetaDataSpec, /*whole=*/true, nullptr);
}

void AppendPageHeader(const PageHeader& header, std::string* out) { Append(header, out); }

absl::StatusOr<PageHeader> DecodePageHeader(std::string_view bytes, size_t* header_size) {
  return Decode<PageHeader>(bytes, kPageHeaderSpec, /*whole=*/false, header_size);
}

std::string EncodeColumnIndex(const ColumnIndex& index) { return Encode(index); }

absl::StatusOr<ColumnIndex> DecodeColumnIndex(std::string_view bytes) {
  return Decode<ColumnIndex>(bytes, kColumnIndexSpec, /*whole=*/true, nullptr);
}

std::string EncodeOffsetIndex(const OffsetIndex& index) { return Encode(index); }

absl::StatusOr<OffsetIndex> DecodeOffsetIndex(std::string_view bytes) {
  return Decode<OffsetIndex>(bytes, kOffsetIndexSpec, /*whole=*/true, nullptr);
}

void AppendBloomFilterHeader(const BloomFilterHeader& header, std::string* out) {
  Append(header, out);
}

std::string EncodeBloomFilterHeader(const BloomFilterHeader& header) { return Encode(header); }

absl::StatusOr<BloomFilterHeader> DecodeBloomFilterHeader(std::string_view bytes,
                                                          size_t* header_size) {
  return Decode<BloomFilterHeader>(bytes, kBloomFilterHeaderSpec, /*whole=*/false, header_size);
}

}  // namespace cardinalsin::parquet
