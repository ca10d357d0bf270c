#include "parquet/metadata.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "parquet/testing/bytes.h"
#include "parquet/thrift_compact.h"

namespace cardinalsin::parquet {
namespace {

using ::cardinalsin::parquet::testing::Bytes;
using ::cardinalsin::parquet::testing::ExactCopy;

using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using thrift::CompactWriter;
using thrift::ValueType;

std::string LittleEndian64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>(v >> (8 * i)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fixtures with every optional field set, and with none.

Statistics FullStatistics() {
  Statistics s;
  s.max = LittleEndian64(100);
  s.min = LittleEndian64(static_cast<uint64_t>(-100));
  s.null_count = 3;
  s.distinct_count = 42;
  s.max_value = "zebra";
  s.min_value = std::string("\0a", 2);
  s.is_max_value_exact = true;
  s.is_min_value_exact = false;
  s.nan_count = 0;
  return s;
}

std::vector<LogicalType> EveryLogicalType() {
  using Kind = LogicalType::Kind;
  return {LogicalType::String(),
          LogicalType::Of(Kind::kMap),
          LogicalType::Of(Kind::kList),
          LogicalType::Of(Kind::kEnum),
          LogicalType::Decimal(2, 10),
          LogicalType::Of(Kind::kDate),
          LogicalType::Time(false, TimeUnit::kMillis),
          LogicalType::Time(true, TimeUnit::kMicros),
          LogicalType::Timestamp(true, TimeUnit::kNanos),
          LogicalType::Timestamp(false, TimeUnit::kMillis),
          LogicalType::Integer(8, true),
          LogicalType::Integer(64, false),
          LogicalType::Of(Kind::kUnknown),
          LogicalType::Of(Kind::kJson),
          LogicalType::Of(Kind::kBson),
          LogicalType::Of(Kind::kUuid),
          LogicalType::Of(Kind::kFloat16)};
}

ColumnMetaData FullColumnMetaData(const std::string& name) {
  ColumnMetaData m;
  m.type = Type::kInt64;
  m.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary,
                 Encoding::kDeltaBinaryPacked, Encoding::kByteStreamSplit};
  m.path_in_schema = {"group", name};
  m.codec = CompressionCodec::kZstd;
  m.num_values = 1'000'000;
  m.total_uncompressed_size = int64_t{5} << 33;
  m.total_compressed_size = 123'456;
  m.key_value_metadata = {{"k", "v"}, {"no value", std::nullopt}};
  m.data_page_offset = 4;
  m.index_page_offset = 5;
  m.dictionary_page_offset = 6;
  m.statistics = FullStatistics();
  m.encoding_stats = {{PageType::kDictionaryPage, Encoding::kPlain, 1},
                      {PageType::kDataPageV2, Encoding::kRleDictionary, 17}};
  m.bloom_filter_offset = 999;
  m.bloom_filter_length = 1024;
  m.size_statistics = SizeStatistics{.unencoded_byte_array_data_bytes = 77,
                                     .repetition_level_histogram = std::vector<int64_t>{},
                                     .definition_level_histogram = std::vector<int64_t>{1, 2}};
  return m;
}

ColumnMetaData MinimalColumnMetaData() {
  ColumnMetaData m;
  m.type = Type::kByteArray;
  m.encodings = {Encoding::kPlain};
  m.path_in_schema = {"s"};
  m.codec = CompressionCodec::kUncompressed;
  m.num_values = 0;
  m.data_page_offset = 4;
  return m;
}

FileMetaData FullFileMetaData() {
  FileMetaData f;
  f.version = 2;
  SchemaElement root;
  root.name = "schema";
  root.repetition_type = FieldRepetitionType::kRequired;
  f.schema.push_back(root);
  SchemaElement every;
  every.type = Type::kFixedLenByteArray;
  every.type_length = 16;
  every.repetition_type = FieldRepetitionType::kOptional;
  every.name = "every field";
  every.num_children = 0;
  every.converted_type = ConvertedType::kDecimal;
  every.scale = 2;
  every.precision = 10;
  every.field_id = -7;
  every.logical_type = LogicalType::Decimal(2, 10);
  f.schema.push_back(every);
  int i = 0;
  for (const LogicalType& type : EveryLogicalType()) {
    SchemaElement leaf;
    leaf.type = Type::kInt64;
    leaf.repetition_type = FieldRepetitionType::kRepeated;
    leaf.name = "leaf" + std::to_string(i++);
    leaf.logical_type = type;
    f.schema.push_back(leaf);
  }
  f.schema[0].num_children = static_cast<int32_t>(f.schema.size() - 1);
  f.num_rows = int64_t{1} << 40;

  for (int g = 0; g < 2; ++g) {
    RowGroup group;
    ColumnChunk full;
    full.file_path = "other.parquet";
    full.file_offset = 12345;
    full.meta_data = FullColumnMetaData("c" + std::to_string(g));
    full.offset_index_offset = 1000;
    full.offset_index_length = 20;
    full.column_index_offset = 2000;
    full.column_index_length = 30;
    group.columns.push_back(full);
    ColumnChunk minimal;
    minimal.meta_data = MinimalColumnMetaData();
    group.columns.push_back(minimal);
    group.columns.push_back(ColumnChunk{});  // meta_data is optional in the IDL
    group.total_byte_size = 1 << 20;
    group.num_rows = 500 + g;
    group.sorting_columns = {{0, false, true}, {1, true, false}};
    group.file_offset = 4;
    group.total_compressed_size = 1 << 19;
    group.ordinal = static_cast<int16_t>(g);
    f.row_groups.push_back(group);
  }
  RowGroup empty_group;
  f.row_groups.push_back(empty_group);
  f.key_value_metadata = {{"cardinalsin.chunk_format", "1"}, {"empty", ""}, {"absent", {}}};
  f.created_by = "cardinalsin version 0.1.0";
  f.column_orders = {ColumnOrder::kTypeOrder, ColumnOrder::kIeee754TotalOrder,
                     ColumnOrder::kInt96TimestampOrder};
  return f;
}

FileMetaData MinimalFileMetaData() {
  FileMetaData f;
  f.version = 1;
  SchemaElement root;
  root.name = "";
  f.schema.push_back(root);
  return f;
}

void ExpectRoundTrip(const FileMetaData& f) {
  const std::string bytes = EncodeFileMetaData(f);
  auto back = DecodeFileMetaData(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == f);
  EXPECT_EQ(EncodeFileMetaData(*back), bytes);
}

TEST(MetadataTest, FileMetaDataRoundTripsWithEveryOptionalFieldSet) {
  ExpectRoundTrip(FullFileMetaData());
}

TEST(MetadataTest, FileMetaDataRoundTripsWithNoOptionalFieldSet) {
  ExpectRoundTrip(MinimalFileMetaData());
}

TEST(MetadataTest, FileMetaDataRoundTripsWithEachOptionalFieldUnset) {
  const FileMetaData full = FullFileMetaData();
  std::vector<FileMetaData> variants;
  auto vary = [&](auto&& change) {
    FileMetaData f = full;
    change(f);
    variants.push_back(std::move(f));
  };
  vary([](FileMetaData& f) { f.key_value_metadata.clear(); });
  vary([](FileMetaData& f) { f.created_by.reset(); });
  vary([](FileMetaData& f) { f.column_orders.clear(); });
  vary([](FileMetaData& f) { f.schema[1] = SchemaElement{.name = "bare"}; });
  vary([](FileMetaData& f) { f.row_groups[0].sorting_columns.clear(); });
  vary([](FileMetaData& f) { f.row_groups[0].file_offset.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].total_compressed_size.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].ordinal.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].file_path.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].offset_index_offset.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].column_index_length.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].meta_data->statistics = Statistics{}; });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].meta_data->statistics.reset(); });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].meta_data->size_statistics.reset(); });
  vary([](FileMetaData& f) {
    f.row_groups[0].columns[0].meta_data->size_statistics = SizeStatistics{};
  });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].meta_data->encoding_stats.clear(); });
  vary([](FileMetaData& f) { f.row_groups[0].columns[0].meta_data->bloom_filter_offset.reset(); });
  vary([](FileMetaData& f) {
    f.row_groups[0].columns[0].meta_data->dictionary_page_offset.reset();
  });
  for (size_t i = 0; i < variants.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectRoundTrip(variants[i]);
  }
}

TEST(MetadataTest, EveryLogicalTypeRoundTrips) {
  for (const LogicalType& type : EveryLogicalType()) {
    FileMetaData f = MinimalFileMetaData();
    f.schema.push_back(SchemaElement{.type = Type::kInt32, .name = "x", .logical_type = type});
    const std::string bytes = EncodeFileMetaData(f);
    auto back = DecodeFileMetaData(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->schema.size(), 2u);
    EXPECT_TRUE(back->schema[1].logical_type == type) << static_cast<int>(type.kind);
  }
}

PageHeader DataPageV1(bool with_statistics) {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 60;
  h.crc = -123456789;
  DataPageHeader d;
  d.num_values = 20'000;
  d.encoding = Encoding::kDeltaBinaryPacked;
  d.definition_level_encoding = Encoding::kRle;
  d.repetition_level_encoding = Encoding::kBitPacked;
  if (with_statistics) {
    d.statistics = FullStatistics();
  }
  h.data_page_header = d;
  return h;
}

PageHeader DictionaryPage(std::optional<bool> is_sorted) {
  PageHeader h;
  h.type = PageType::kDictionaryPage;
  h.uncompressed_page_size = 4096;
  h.compressed_page_size = 1024;
  h.dictionary_page_header = DictionaryPageHeader{
      .num_values = 300, .encoding = Encoding::kPlainDictionary, .is_sorted = is_sorted};
  return h;
}

PageHeader DataPageV2(bool is_compressed, bool with_statistics) {
  PageHeader h;
  h.type = PageType::kDataPageV2;
  h.uncompressed_page_size = 5000;
  h.compressed_page_size = 700;
  DataPageHeaderV2 d;
  d.num_values = 1000;
  d.num_nulls = 10;
  d.num_rows = 1000;
  d.encoding = Encoding::kByteStreamSplit;
  d.definition_levels_byte_length = 12;
  d.repetition_levels_byte_length = 0;
  d.is_compressed = is_compressed;
  if (with_statistics) {
    d.statistics = FullStatistics();
  }
  h.data_page_header_v2 = d;
  return h;
}

std::vector<PageHeader> EveryPageHeader() {
  PageHeader bare;  // no page-specific header at all
  bare.type = PageType::kIndexPage;
  return {
      DataPageV1(true),   DataPageV1(false),      DictionaryPage(true),     DictionaryPage(false),
      DictionaryPage({}), DataPageV2(true, true), DataPageV2(false, false), bare};
}

TEST(MetadataTest, PageHeadersRoundTripAndReportTheirSize) {
  for (const PageHeader& header : EveryPageHeader()) {
    std::string bytes = "prefix";
    AppendPageHeader(header, &bytes);
    const size_t header_end = bytes.size();
    bytes += "page body bytes";
    size_t header_size = 0;
    auto back = DecodePageHeader(std::string_view(bytes).substr(6), &header_size);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == header);
    EXPECT_EQ(header_size, header_end - 6);
    // header_size may be null.
    EXPECT_TRUE(DecodePageHeader(std::string_view(bytes).substr(6), nullptr).ok());
  }
}

TEST(MetadataTest, DataPageHeaderV2IsCompressedDefaultsToTrue) {
  // PageHeader{1: DATA_PAGE_V2, 2: 10, 3: 10, 8: DataPageHeaderV2{1: 1, 2: 0, 3: 1, 4: PLAIN,
  // 5: 0, 6: 0}} without field 7.
  const std::string bytes = Bytes({0x15, 0x06, 0x15, 0x14, 0x15, 0x14, 0x5C, 0x15, 0x02, 0x15, 0x00,
                                   0x15, 0x02, 0x15, 0x00, 0x15, 0x00, 0x15, 0x00, 0x00, 0x00});
  size_t size = 0;
  auto header = DecodePageHeader(bytes, &size);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(size, bytes.size());
  ASSERT_TRUE(header->data_page_header_v2.has_value());
  EXPECT_TRUE(header->data_page_header_v2->is_compressed);
  EXPECT_EQ(header->data_page_header_v2->num_rows, 1);
}

ColumnIndex FullColumnIndex() {
  ColumnIndex index;
  // 20 pages: the lists use the long list header form.
  for (int i = 0; i < 20; ++i) {
    index.null_pages.push_back(i % 7 == 3);
    index.min_values.push_back(i % 7 == 3 ? "" : "min" + std::to_string(i));
    index.max_values.push_back(i % 7 == 3 ? "" : "max" + std::to_string(i));
  }
  index.boundary_order = BoundaryOrder::kAscending;
  index.null_counts = std::vector<int64_t>(20, 5);
  index.repetition_level_histograms = std::vector<int64_t>{1, 2, 3};
  index.definition_level_histograms = std::vector<int64_t>{};
  index.nan_counts = std::vector<int64_t>{0, 0};
  return index;
}

TEST(MetadataTest, ColumnIndexRoundTrips) {
  ColumnIndex minimal;
  minimal.null_pages = {true};
  minimal.min_values = {""};
  minimal.max_values = {""};
  minimal.boundary_order = BoundaryOrder::kDescending;
  for (const ColumnIndex& index : {FullColumnIndex(), minimal, ColumnIndex{}}) {
    const std::string bytes = EncodeColumnIndex(index);
    auto back = DecodeColumnIndex(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == index);
  }
}

OffsetIndex FullOffsetIndex() {
  OffsetIndex index;
  for (int i = 0; i < 16; ++i) {
    index.page_locations.push_back({int64_t{4} + int64_t{i} * 1000, 1000, int64_t{i} * 20'000});
  }
  index.unencoded_byte_array_data_bytes = std::vector<int64_t>(16, 12345);
  return index;
}

TEST(MetadataTest, OffsetIndexRoundTrips) {
  OffsetIndex minimal;
  minimal.page_locations = {{4, 100, 0}};
  for (const OffsetIndex& index : {FullOffsetIndex(), minimal, OffsetIndex{}}) {
    const std::string bytes = EncodeOffsetIndex(index);
    auto back = DecodeOffsetIndex(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == index);
  }
}

TEST(MetadataTest, BloomFilterHeaderHasAKnownEncoding) {
  BloomFilterHeader header;
  header.num_bytes = 1024;
  const std::string bytes = EncodeBloomFilterHeader(header);
  // 1: i32 1024 (zigzag 2048 = 0x80 0x10); 2, 3, 4: a union whose member 1 is an empty struct.
  EXPECT_EQ(bytes, Bytes({0x15, 0x80, 0x10, 0x1C, 0x1C, 0x00, 0x00, 0x1C, 0x1C, 0x00, 0x00, 0x1C,
                          0x1C, 0x00, 0x00, 0x00}));
  std::string with_bitset = bytes + std::string(1024, '\xAA');
  size_t size = 0;
  auto back = DecodeBloomFilterHeader(with_bitset, &size);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == header);
  EXPECT_EQ(size, bytes.size());
  std::string appended = "x";
  AppendBloomFilterHeader(header, &appended);
  EXPECT_EQ(appended, "x" + bytes);
}

// ---------------------------------------------------------------------------------------------
// Known bytes.

// A one-column file, encoded by hand from parquet.thrift and the compact protocol spec:
//   FileMetaData{version: 1,
//                schema: [{name: "s", num_children: 1},
//                         {type: INT64, repetition_type: REQUIRED, name: "x"}],
//                num_rows: 3,
//                row_groups: [{columns: [{file_offset: 4,
//                                         meta_data: {type: INT64, encodings: [PLAIN],
//                                                     path_in_schema: ["x"], codec: UNCOMPRESSED,
//                                                     num_values: 3,
//                                                     total_uncompressed_size: 40,
//                                                     total_compressed_size: 40,
//                                                     data_page_offset: 4}}],
//                              total_byte_size: 40, num_rows: 3}],
//                created_by: "cs"}
// Field headers are (id delta << 4) | type with types i32 5, i64 6, binary 8, list 9,
// struct 12; integers are zigzag varints (1 -> 02, 2 -> 04, 3 -> 06, 4 -> 08, 40 -> 50).
const std::string& HandEncodedFileMetaData() {
  // clang-format off
  static const std::string* const bytes = new std::string(Bytes({
      0x15, 0x02,                    // 1: version = 1
      0x19, 0x2C,                    // 2: schema, list of 2 structs
      0x48, 0x01, 's',               //   4: name = "s" (delta 4)
      0x15, 0x02,                    //   5: num_children = 1
      0x00,                          //   stop
      0x15, 0x04,                    //   1: type = INT64 (2)
      0x25, 0x00,                    //   3: repetition_type = REQUIRED (delta 2)
      0x18, 0x01, 'x',               //   4: name = "x"
      0x00,                          //   stop
      0x16, 0x06,                    // 3: num_rows = 3
      0x19, 0x1C,                    // 4: row_groups, list of 1 struct
      0x19, 0x1C,                    //   1: columns, list of 1 struct
      0x26, 0x08,                    //     2: file_offset = 4 (delta 2)
      0x1C,                          //     3: meta_data
      0x15, 0x04,                    //       1: type = INT64
      0x19, 0x15, 0x00,              //       2: encodings = [PLAIN], list of 1 i32
      0x19, 0x18, 0x01, 'x',         //       3: path_in_schema = ["x"], list of 1 binary
      0x15, 0x00,                    //       4: codec = UNCOMPRESSED
      0x16, 0x06,                    //       5: num_values = 3
      0x16, 0x50,                    //       6: total_uncompressed_size = 40
      0x16, 0x50,                    //       7: total_compressed_size = 40
      0x26, 0x08,                    //       9: data_page_offset = 4 (delta 2)
      0x00,                          //       stop (ColumnMetaData)
      0x00,                          //     stop (ColumnChunk)
      0x16, 0x50,                    //   2: total_byte_size = 40 (delta from field 1)
      0x16, 0x06,                    //   3: num_rows = 3
      0x00,                          //   stop (RowGroup)
      0x28, 0x02, 'c', 's',          // 6: created_by = "cs" (delta 2)
      0x00,                          // stop (FileMetaData)
  }));
  // clang-format on
  return *bytes;
}

FileMetaData HandEncodedFileMetaDataValue() {
  FileMetaData f;
  f.version = 1;
  f.schema = {
      SchemaElement{.name = "s", .num_children = 1},
      SchemaElement{
          .type = Type::kInt64, .repetition_type = FieldRepetitionType::kRequired, .name = "x"}};
  f.num_rows = 3;
  ColumnMetaData m;
  m.type = Type::kInt64;
  m.encodings = {Encoding::kPlain};
  m.path_in_schema = {"x"};
  m.codec = CompressionCodec::kUncompressed;
  m.num_values = 3;
  m.total_uncompressed_size = 40;
  m.total_compressed_size = 40;
  m.data_page_offset = 4;
  ColumnChunk chunk;
  chunk.file_offset = 4;
  chunk.meta_data = m;
  RowGroup group;
  group.columns = {chunk};
  group.total_byte_size = 40;
  group.num_rows = 3;
  f.row_groups = {group};
  f.created_by = "cs";
  return f;
}

TEST(MetadataTest, DecodesHandEncodedFileMetaData) {
  auto decoded = DecodeFileMetaData(HandEncodedFileMetaData());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == HandEncodedFileMetaDataValue());
  EXPECT_THAT(decoded->row_groups[0].columns[0].meta_data->path_in_schema, ElementsAre("x"));
}

TEST(MetadataTest, EncodesHandEncodedFileMetaData) {
  EXPECT_EQ(EncodeFileMetaData(HandEncodedFileMetaDataValue()), HandEncodedFileMetaData());
}

// ---------------------------------------------------------------------------------------------
// Forward compatibility: a footer from a hypothetical newer writer, with unknown fields of every
// shape, unknown enum values and unknown union members.
std::string FutureFileMetaData(bool omit_codec) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.WriteI32Field(1, 2);
  w.WriteFieldHeader(2, ValueType::kList);
  w.WriteListHeader(ValueType::kStruct, 2);
  {
    w.BeginStruct();
    w.WriteBinaryField(4, "root");
    w.WriteI32Field(5, 1);
    w.WriteFieldHeader(30, ValueType::kMap);  // unknown
    w.WriteMapHeader(ValueType::kBinary, ValueType::kI32, 1);
    w.WriteBinary("k");
    w.WriteI32(1);
    w.EndStruct();

    w.BeginStruct();
    w.WriteI32Field(1, 8);  // a physical type that does not exist yet
    w.WriteI32Field(3, 1);
    w.WriteBinaryField(4, "v");
    w.WriteFieldHeader(10, ValueType::kStruct);  // logicalType: VARIANT(1: i8 1), unknown here
    w.BeginStruct();
    w.WriteFieldHeader(16, ValueType::kStruct);
    w.BeginStruct();
    w.WriteI8Field(1, 1);
    w.EndStruct();
    w.EndStruct();
    w.WriteI32Field(11, 5);  // vector_length: unknown
    w.EndStruct();
  }
  w.WriteI64Field(3, 7);
  w.WriteFieldHeader(4, ValueType::kList);
  w.WriteListHeader(ValueType::kStruct, 1);
  {
    w.BeginStruct();  // RowGroup
    w.WriteFieldHeader(1, ValueType::kList);
    w.WriteListHeader(ValueType::kStruct, 1);
    {
      w.BeginStruct();  // ColumnChunk
      w.WriteI64Field(2, 0);
      w.WriteFieldHeader(3, ValueType::kStruct);
      {
        w.BeginStruct();  // ColumnMetaData
        w.WriteI32Field(1, 8);
        w.WriteFieldHeader(2, ValueType::kList);
        w.WriteListHeader(ValueType::kI32, 2);
        w.WriteI32(42);  // an encoding that does not exist yet
        w.WriteI32(0);
        w.WriteFieldHeader(3, ValueType::kList);
        w.WriteListHeader(ValueType::kBinary, 1);
        w.WriteBinary("v");
        if (!omit_codec) {
          w.WriteI32Field(4, 99);  // a codec that does not exist yet
        }
        w.WriteI64Field(5, 7);
        w.WriteI64Field(6, 100);
        w.WriteI64Field(7, 90);
        w.WriteI64Field(9, 4);
        w.WriteFieldHeader(17, ValueType::kStruct);  // geospatial_statistics: skipped
        w.BeginStruct();
        w.WriteFieldHeader(1, ValueType::kStruct);
        w.BeginStruct();
        w.WriteDoubleField(1, -180.0);
        w.WriteDoubleField(2, 180.0);
        w.EndStruct();
        w.WriteFieldHeader(2, ValueType::kList);
        w.WriteListHeader(ValueType::kI32, 1);
        w.WriteI32(1);
        w.EndStruct();
        w.WriteFieldHeader(40, ValueType::kSet);
        w.WriteSetHeader(ValueType::kBinary, 1);
        w.WriteBinary("future");
        w.EndStruct();
      }
      w.WriteFieldHeader(8, ValueType::kStruct);  // crypto_metadata: skipped
      w.BeginStruct();
      w.WriteFieldHeader(1, ValueType::kStruct);
      w.BeginStruct();
      w.EndStruct();
      w.EndStruct();
      w.WriteBinaryField(9, "encrypted");  // encrypted_column_metadata: skipped
      w.EndStruct();
    }
    w.WriteI64Field(2, 100);
    w.WriteI64Field(3, 7);
    w.WriteI16Field(7, 0);
    w.WriteFieldHeader(12, ValueType::kUuid);
    out.append(16, '\x11');
    w.WriteBoolField(13, true);
    w.EndStruct();
  }
  w.WriteFieldHeader(7, ValueType::kList);
  w.WriteListHeader(ValueType::kStruct, 2);
  for (const int16_t member :
       {int16_t{2}, int16_t{9}}) {  // IEEE_754_TOTAL_ORDER, then a member that does not exist yet
    w.BeginStruct();
    w.WriteFieldHeader(member, ValueType::kStruct);
    w.BeginStruct();
    w.EndStruct();
    w.EndStruct();
  }
  w.WriteFieldHeader(8, ValueType::kStruct);  // encryption_algorithm: skipped
  w.BeginStruct();
  w.WriteFieldHeader(1, ValueType::kStruct);
  w.BeginStruct();
  w.WriteBinaryField(1, "aad");
  w.WriteBoolField(3, false);
  w.EndStruct();
  w.EndStruct();
  w.WriteFieldHeader(100, ValueType::kList);  // list<map<binary, list<double>>>
  w.WriteListHeader(ValueType::kMap, 1);
  w.WriteMapHeader(ValueType::kBinary, ValueType::kList, 1);
  w.WriteBinary("x");
  w.WriteListHeader(ValueType::kDouble, 2);
  w.WriteDouble(1.5);
  w.WriteDouble(2.5);
  w.EndStruct();
  return out;
}

TEST(MetadataTest, SkipsUnknownFieldsAndKeepsUnknownValues) {
  auto f = DecodeFileMetaData(FutureFileMetaData(/*omit_codec=*/false));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->version, 2);
  ASSERT_EQ(f->schema.size(), 2u);
  EXPECT_EQ(f->schema[0].name, "root");
  EXPECT_EQ(f->schema[1].type, static_cast<Type>(8));
  EXPECT_EQ(ToString(*f->schema[1].type), "Type(8)");
  ASSERT_TRUE(f->schema[1].logical_type.has_value());
  EXPECT_EQ(f->schema[1].logical_type->kind, static_cast<LogicalType::Kind>(16));
  EXPECT_EQ(f->num_rows, 7);
  ASSERT_EQ(f->row_groups.size(), 1u);
  const RowGroup& group = f->row_groups[0];
  EXPECT_EQ(group.num_rows, 7);
  EXPECT_EQ(group.ordinal, 0);
  ASSERT_EQ(group.columns.size(), 1u);
  const ColumnMetaData& m = *group.columns[0].meta_data;
  EXPECT_THAT(m.encodings, ElementsAre(static_cast<Encoding>(42), Encoding::kPlain));
  EXPECT_EQ(ToString(m.encodings[0]), "Encoding(42)");
  EXPECT_EQ(m.codec, static_cast<CompressionCodec>(99));
  EXPECT_EQ(m.data_page_offset, 4);
  EXPECT_THAT(f->column_orders,
              ElementsAre(ColumnOrder::kIeee754TotalOrder, static_cast<ColumnOrder>(9)));

  // Unknown union members re-encode as empty structs with their ids.
  auto again = DecodeFileMetaData(EncodeFileMetaData(*f));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == *f);
}

TEST(MetadataTest, MissingRequiredFieldNamesStructFieldAndPath) {
  auto f = DecodeFileMetaData(FutureFileMetaData(/*omit_codec=*/true));
  EXPECT_THAT(f, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(f.status().message(),
              HasSubstr("parquet FileMetaData.row_groups[0].columns[0].meta_data: "
                        "ColumnMetaData.codec (field 4) is required but missing"));
}

TEST(MetadataTest, MissingRequiredTopLevelField) {
  // FileMetaData{1: version 1, 2: schema [], 4: row_groups []} without 3: num_rows.
  const std::string bytes = Bytes({0x15, 0x02, 0x19, 0x0C, 0x29, 0x0C, 0x00});
  auto f = DecodeFileMetaData(bytes);
  EXPECT_THAT(f, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(f.status().message(), HasSubstr("FileMetaData.num_rows (field 3) is required"));

  // PageHeader without compressed_page_size, and with a DataPageHeaderV2 missing num_rows.
  const std::string page = Bytes({0x15, 0x06, 0x15, 0x14, 0x00});
  EXPECT_THAT(DecodePageHeader(page, nullptr).status().message(),
              HasSubstr("PageHeader.compressed_page_size (field 3) is required"));
  const std::string v2 = Bytes({0x15, 0x06, 0x15, 0x14, 0x15, 0x14, 0x5C, 0x15, 0x02, 0x15, 0x00,
                                0x25, 0x00, 0x15, 0x00, 0x15, 0x00, 0x00, 0x00});
  EXPECT_THAT(DecodePageHeader(v2, nullptr).status().message(),
              HasSubstr("parquet PageHeader.data_page_header_v2: DataPageHeaderV2.num_rows "
                        "(field 3) is required"));
}

TEST(MetadataTest, WrongWireTypeIsDataLossWithPath) {
  FileMetaData f = FullFileMetaData();
  f.row_groups[0].columns[1].meta_data->path_in_schema = {"MARKER"};
  std::string bytes = EncodeFileMetaData(f);
  const size_t marker = bytes.find("MARKER");
  ASSERT_NE(marker, std::string::npos);
  // Before the marker: the field header, the list header (1 binary: 0x18) and the length.
  ASSERT_EQ(bytes[marker - 2], '\x18');
  bytes[marker - 2] = '\x15';  // now a list of one i32
  auto decoded = DecodeFileMetaData(bytes);
  EXPECT_THAT(decoded, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(decoded.status().message(),
              HasSubstr("parquet FileMetaData.row_groups[0].columns[1].meta_data.path_in_schema: "
                        "list of i32, expected list of binary"));

  // A field whose header has the wrong type: version (i32) sent as binary.
  const std::string wrong = Bytes({0x18, 0x01, 'x', 0x00});
  EXPECT_THAT(DecodeFileMetaData(wrong).status().message(),
              HasSubstr("FileMetaData.version: wire type binary, expected i32"));
}

TEST(MetadataTest, UnionsNeedExactlyOneMember) {
  // BloomFilterHeader{1: 64, 2: {} (no member), 3: {1: {}}, 4: {1: {}}}.
  const std::string none =
      Bytes({0x15, 0x80, 0x01, 0x1C, 0x00, 0x1C, 0x1C, 0x00, 0x00, 0x1C, 0x1C, 0x00, 0x00, 0x00});
  auto r1 = DecodeBloomFilterHeader(none, nullptr);
  EXPECT_THAT(r1, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(r1.status().message(),
              HasSubstr("BloomFilterHeader.algorithm: union BloomFilterAlgorithm has 0 members"));
  // Algorithm with members 1 and 3.
  const std::string two = Bytes({0x15, 0x80, 0x01, 0x1C, 0x1C, 0x00, 0x2C, 0x00, 0x00, 0x1C, 0x1C,
                                 0x00, 0x00, 0x1C, 0x1C, 0x00, 0x00, 0x00});
  auto r2 = DecodeBloomFilterHeader(two, nullptr);
  EXPECT_THAT(r2, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(r2.status().message(), HasSubstr("has 2 members"));
  // A known member that is not a struct.
  const std::string not_struct = Bytes({0x15, 0x80, 0x01, 0x1C, 0x15, 0x00, 0x00, 0x1C, 0x1C, 0x00,
                                        0x00, 0x1C, 0x1C, 0x00, 0x00, 0x00});
  EXPECT_THAT(DecodeBloomFilterHeader(not_struct, nullptr), StatusIs(absl::StatusCode::kDataLoss));
  // An empty LogicalType union.
  FileMetaData f = MinimalFileMetaData();
  f.schema[0].logical_type = LogicalType::String();
  std::string bytes = EncodeFileMetaData(f);
  // The STRING member is the bytes 0x1C 0x00 right before the LogicalType's stop: drop them.
  const std::string member = Bytes({0x6C, 0x1C, 0x00, 0x00});  // 10: logicalType {1: {}}
  const size_t at = bytes.find(member);
  ASSERT_NE(at, std::string::npos);
  bytes.erase(at + 1, 2);
  EXPECT_THAT(DecodeFileMetaData(bytes).status().message(),
              HasSubstr("union LogicalType has 0 members"));
}

TEST(MetadataTest, TrailingBytesAreRejectedWhereTheLengthIsKnown) {
  const std::string footer = EncodeFileMetaData(MinimalFileMetaData()) + "x";
  auto f = DecodeFileMetaData(footer);
  EXPECT_THAT(f, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(f.status().message(), HasSubstr("1 unexpected bytes after the struct"));
  EXPECT_THAT(DecodeColumnIndex(EncodeColumnIndex(FullColumnIndex()) + "x"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeOffsetIndex(EncodeOffsetIndex(FullOffsetIndex()) + "x"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeFileMetaData(""), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MetadataTest, HugeListSizesFailFast) {
  // FileMetaData{1: version 1, 2: schema with a list header claiming 2^31 structs}.
  const std::string too_many = Bytes({0x15, 0x02, 0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x08});
  auto r1 = DecodeFileMetaData(too_many);
  EXPECT_THAT(r1, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(r1.status().message(), HasSubstr("parquet FileMetaData.schema: "));
  EXPECT_THAT(r1.status().message(), HasSubstr("exceeds INT32_MAX"));
  // INT32_MAX structs claimed with a few bytes left: rejected before any element is read.
  const std::string int32_max =
      Bytes({0x15, 0x02, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x00});
  auto r2 = DecodeFileMetaData(int32_max);
  EXPECT_THAT(r2, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(r2.status().message(), HasSubstr("exceeds the 2 bytes left"));
  // The same for the i64 lists of a ColumnIndex (which reserve their size up front).
  const std::string counts = Bytes({0x19, 0x01, 0x02, 0x19, 0x08, 0x00, 0x19, 0x08, 0x00, 0x15,
                                    0x00, 0x19, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00});
  EXPECT_THAT(DecodeColumnIndex(counts), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MetadataTest, SmallInputCannotDecodeIntoHugeObjects) {
  // A row group with 200,000 empty column chunks: one byte each on the wire, hundreds of bytes
  // each in memory.
  std::string bytes = Bytes({0x15, 0x02, 0x19, 0x0C, 0x16, 0x00, 0x19, 0x1C, 0x19, 0xFC});
  thrift::AppendVarint(200'000, &bytes);
  bytes.append(200'000, '\0');
  bytes += Bytes({0x16, 0x00, 0x16, 0x00, 0x00, 0x00});
  auto f = DecodeFileMetaData(bytes);
  EXPECT_THAT(f, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(f.status().message(), HasSubstr("allocation budget"));

  // 1,000 of them fit the budget's fixed allowance.
  std::string small = Bytes({0x15, 0x02, 0x19, 0x0C, 0x16, 0x00, 0x19, 0x1C, 0x19, 0xFC});
  thrift::AppendVarint(1'000, &small);
  small.append(1'000, '\0');
  small += Bytes({0x16, 0x00, 0x16, 0x00, 0x00, 0x00});
  auto ok = DecodeFileMetaData(small);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->row_groups[0].columns.size(), 1'000u);
}

// ---------------------------------------------------------------------------------------------
// Robustness: corrupt input never crashes (run under ASan and UBSan) and never passes silently
// when truncated.

TEST(MetadataTest, EveryTruncationIsAnError) {
  const std::string bytes = EncodeFileMetaData(FullFileMetaData());
  for (size_t n = 0; n < bytes.size(); ++n) {
    const ExactCopy prefix(std::string_view(bytes).substr(0, n));
    auto f = DecodeFileMetaData(prefix.view());
    EXPECT_THAT(f, StatusIs(absl::StatusCode::kDataLoss)) << n;
  }
  for (const PageHeader& header : EveryPageHeader()) {
    std::string page;
    AppendPageHeader(header, &page);
    for (size_t n = 0; n < page.size(); ++n) {
      const ExactCopy prefix(std::string_view(page).substr(0, n));
      EXPECT_THAT(DecodePageHeader(prefix.view(), nullptr), StatusIs(absl::StatusCode::kDataLoss))
          << n;
    }
  }
  const std::string column_index = EncodeColumnIndex(FullColumnIndex());
  for (size_t n = 0; n < column_index.size(); ++n) {
    const ExactCopy prefix(std::string_view(column_index).substr(0, n));
    EXPECT_FALSE(DecodeColumnIndex(prefix.view()).ok()) << n;
  }
  const std::string offset_index = EncodeOffsetIndex(FullOffsetIndex());
  for (size_t n = 0; n < offset_index.size(); ++n) {
    const ExactCopy prefix(std::string_view(offset_index).substr(0, n));
    EXPECT_FALSE(DecodeOffsetIndex(prefix.view()).ok()) << n;
  }
  const std::string bloom = EncodeBloomFilterHeader(BloomFilterHeader{.num_bytes = 32});
  for (size_t n = 0; n < bloom.size(); ++n) {
    const ExactCopy prefix(std::string_view(bloom).substr(0, n));
    EXPECT_FALSE(DecodeBloomFilterHeader(prefix.view(), nullptr).ok()) << n;
  }
}

// Flips 1 to 4 random bytes per iteration; a fixed seed keeps the test hermetic.
template <typename DecodeFn>
void FuzzMutations(const std::string& original, int iterations, uint32_t seed, DecodeFn decode) {
  std::mt19937 rng(seed);
  int ok = 0;
  for (int i = 0; i < iterations; ++i) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < flips; ++j) {
      const size_t at = rng() % bytes.size();
      if (rng() % 2 == 0) {
        bytes[at] = static_cast<char>(rng());
      } else {
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
      }
    }
    if (rng() % 8 == 0) {
      bytes.resize(rng() % bytes.size());
    }
    const ExactCopy exact(bytes);
    if (decode(exact.view())) {
      ++ok;
    }
  }
  // Some mutations only change values; most must be caught. Either way nothing crashed.
  EXPECT_LT(ok, iterations);
}

TEST(MetadataTest, RandomMutationsNeverCrash) {
  FuzzMutations(EncodeFileMetaData(FullFileMetaData()), 3000, 1,
                [](std::string_view b) { return DecodeFileMetaData(b).ok(); });
  FuzzMutations(EncodeFileMetaData(HandEncodedFileMetaDataValue()), 1000, 2,
                [](std::string_view b) { return DecodeFileMetaData(b).ok(); });
  FuzzMutations(FutureFileMetaData(false), 1000, 3,
                [](std::string_view b) { return DecodeFileMetaData(b).ok(); });
  std::string page;
  AppendPageHeader(DataPageV2(true, true), &page);
  FuzzMutations(page, 1000, 4, [](std::string_view b) {
    size_t size = 0;
    auto header = DecodePageHeader(b, &size);
    if (header.ok()) {
      EXPECT_LE(size, b.size());
    }
    return header.ok();
  });
  FuzzMutations(EncodeColumnIndex(FullColumnIndex()), 1000, 5,
                [](std::string_view b) { return DecodeColumnIndex(b).ok(); });
  FuzzMutations(EncodeOffsetIndex(FullOffsetIndex()), 1000, 6,
                [](std::string_view b) { return DecodeOffsetIndex(b).ok(); });
}

TEST(MetadataTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string random(rng() % 64, '\0');
    for (char& c : random) {
      c = static_cast<char>(rng());
    }
    const ExactCopy exact(random);
    const std::string_view bytes = exact.view();
    (void)DecodeFileMetaData(bytes);
    (void)DecodePageHeader(bytes, nullptr);
    (void)DecodeColumnIndex(bytes);
    (void)DecodeOffsetIndex(bytes);
    (void)DecodeBloomFilterHeader(bytes, nullptr);
  }
}

TEST(MetadataTest, EnumNames) {
  EXPECT_EQ(ToString(Type::kFixedLenByteArray), "FIXED_LEN_BYTE_ARRAY");
  EXPECT_EQ(ToString(ConvertedType::kTimestampMicros), "TIMESTAMP_MICROS");
  EXPECT_EQ(ToString(ConvertedType::kInterval), "INTERVAL");
  EXPECT_EQ(ToString(FieldRepetitionType::kRepeated), "REPEATED");
  EXPECT_EQ(ToString(Encoding::kRleDictionary), "RLE_DICTIONARY");
  EXPECT_EQ(ToString(static_cast<Encoding>(1)), "Encoding(1)");
  EXPECT_EQ(ToString(static_cast<Encoding>(-5)), "Encoding(-5)");
  EXPECT_EQ(ToString(CompressionCodec::kLz4Raw), "LZ4_RAW");
  EXPECT_EQ(ToString(PageType::kDataPageV2), "DATA_PAGE_V2");
  EXPECT_EQ(ToString(BoundaryOrder::kDescending), "DESCENDING");
}

// ---------------------------------------------------------------------------------------------
// A real footer written by pyarrow 26.0.1 (testdata/pyarrow_footer.bin, 2015 bytes), produced
// with /work/main/.venv/bin/python (pyarrow==26.0.1):
//
//   import struct, pyarrow as pa, pyarrow.parquet as pq
//   table = pa.table({
//       "ts": pa.array([1_700_000_000_000_000_000 + i * 1_000_000_000 for i in range(10)],
//                      pa.timestamp("ns", tz="UTC")),
//       "metric": pa.array(["cpu", "cpu", "mem", "cpu", "mem", "disk", "cpu", "mem", "cpu",
//                           "disk"]),
//       "value": pa.array([0.5 * i for i in range(10)], pa.float64()),
//       "count": pa.array(list(range(-5, 5)), pa.int32()),
//       "flag": pa.array([i % 3 == 0 for i in range(10)]),
//       "note": pa.array(["a", None, "b", None, None, "c", "d", None, "e", "f"]),
//       "u": pa.array([2**64 - 1 - i for i in range(10)], pa.uint64())})
//   pq.write_table(table, "f.parquet", row_group_size=6, use_dictionary=["metric"],
//                  compression={"ts": "zstd", "metric": "snappy", "value": "none",
//                               "count": "gzip", "flag": "none", "note": "zstd",
//                               "u": "snappy"},
//                  write_statistics=True, write_page_index=True)
//   data = open("f.parquet", "rb").read()            # 3353 bytes
//   (n,) = struct.unpack("<I", data[-8:-4])          # data ends with n and b"PAR1"
//   open("pyarrow_footer.bin", "wb").write(data[-8 - n:-8])
//
// The expected values below were cross-checked with pq.ParquetFile(...).metadata.

std::string ReadTestData(const std::string& name) {
  const std::string path =
      (std::filesystem::path(__FILE__).parent_path() / "testdata" / name).string();
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

TEST(MetadataTest, DecodesPyarrowFooter) {
  const std::string footer = ReadTestData("pyarrow_footer.bin");
  ASSERT_EQ(footer.size(), 2015u) << "missing or changed testdata/pyarrow_footer.bin";
  auto decoded = DecodeFileMetaData(footer);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const FileMetaData& f = *decoded;

  EXPECT_EQ(f.version, 2);
  EXPECT_EQ(f.num_rows, 10);
  EXPECT_EQ(f.created_by, "parquet-cpp-arrow version 26.0.1");
  ASSERT_EQ(f.key_value_metadata.size(), 1u);
  EXPECT_EQ(f.key_value_metadata[0].key, "ARROW:schema");
  EXPECT_TRUE(f.key_value_metadata[0].value.has_value());

  // Schema: the root, then the 7 leaves.
  ASSERT_EQ(f.schema.size(), 8u);
  EXPECT_EQ(f.schema[0].name, "schema");
  EXPECT_EQ(f.schema[0].num_children, 7);
  EXPECT_FALSE(f.schema[0].type.has_value());
  const SchemaElement& ts = f.schema[1];
  EXPECT_EQ(ts.name, "ts");
  EXPECT_EQ(ts.type, Type::kInt64);
  EXPECT_EQ(ts.repetition_type, FieldRepetitionType::kOptional);
  EXPECT_FALSE(ts.converted_type.has_value());  // no ConvertedType for nanoseconds
  EXPECT_EQ(ts.logical_type, LogicalType::Timestamp(true, TimeUnit::kNanos));
  const SchemaElement& metric = f.schema[2];
  EXPECT_EQ(metric.type, Type::kByteArray);
  EXPECT_EQ(metric.converted_type, ConvertedType::kUtf8);
  EXPECT_EQ(metric.logical_type, LogicalType::String());
  EXPECT_EQ(f.schema[3].type, Type::kDouble);
  EXPECT_FALSE(f.schema[3].logical_type.has_value());
  EXPECT_EQ(f.schema[4].type, Type::kInt32);
  EXPECT_EQ(f.schema[5].type, Type::kBoolean);
  EXPECT_EQ(f.schema[6].name, "note");
  EXPECT_EQ(f.schema[6].logical_type, LogicalType::String());
  const SchemaElement& u = f.schema[7];
  EXPECT_EQ(u.type, Type::kInt64);
  EXPECT_EQ(u.converted_type, ConvertedType::kUint64);
  EXPECT_EQ(u.logical_type, LogicalType::Integer(64, false));
  EXPECT_EQ(f.column_orders, std::vector<ColumnOrder>(7, ColumnOrder::kTypeOrder));

  // Row groups of 6 and 4 rows.
  ASSERT_EQ(f.row_groups.size(), 2u);
  EXPECT_EQ(f.row_groups[0].num_rows, 6);
  EXPECT_EQ(f.row_groups[0].total_byte_size, 385);
  EXPECT_EQ(f.row_groups[0].file_offset, 4);
  EXPECT_EQ(f.row_groups[0].total_compressed_size, 399);
  EXPECT_EQ(f.row_groups[1].num_rows, 4);
  EXPECT_EQ(f.row_groups[1].file_offset, 403);
  const std::vector<CompressionCodec> codecs = {
      CompressionCodec::kZstd,  CompressionCodec::kSnappy,       CompressionCodec::kUncompressed,
      CompressionCodec::kGzip,  CompressionCodec::kUncompressed, CompressionCodec::kZstd,
      CompressionCodec::kSnappy};
  const std::vector<std::string> names = {"ts", "metric", "value", "count", "flag", "note", "u"};

  // The page indexes follow the last column chunk (ends at 713 + 51 = 764): all column indexes,
  // then all offset indexes, back to back, up to the footer at 3353 - 8 - 2015 = 1330.
  int64_t next_index_offset = 764;
  for (int pass = 0; pass < 2; ++pass) {
    for (const RowGroup& group : f.row_groups) {
      ASSERT_EQ(group.columns.size(), 7u);
      for (size_t c = 0; c < 7; ++c) {
        const ColumnChunk& chunk = group.columns[c];
        const std::optional<int64_t>& offset =
            pass == 0 ? chunk.column_index_offset : chunk.offset_index_offset;
        const std::optional<int32_t>& length =
            pass == 0 ? chunk.column_index_length : chunk.offset_index_length;
        ASSERT_TRUE(offset.has_value() && length.has_value());
        EXPECT_EQ(*offset, next_index_offset);
        next_index_offset += *length;
      }
    }
  }
  EXPECT_EQ(next_index_offset, 1330);

  for (const RowGroup& group : f.row_groups) {
    for (size_t c = 0; c < 7; ++c) {
      SCOPED_TRACE(names[c]);
      const ColumnChunk& chunk = group.columns[c];
      EXPECT_FALSE(chunk.file_path.has_value());
      EXPECT_EQ(chunk.file_offset, 0);
      ASSERT_TRUE(chunk.meta_data.has_value());
      const ColumnMetaData& m = *chunk.meta_data;
      EXPECT_THAT(m.path_in_schema, ElementsAre(names[c]));
      EXPECT_EQ(m.codec, codecs[c]);
      EXPECT_EQ(m.num_values, group.num_rows);
      ASSERT_TRUE(m.statistics.has_value());
      EXPECT_EQ(m.statistics->is_min_value_exact, true);
      EXPECT_EQ(m.statistics->is_max_value_exact, true);
      EXPECT_FALSE(m.statistics->distinct_count.has_value());
      EXPECT_FALSE(m.bloom_filter_offset.has_value());
      EXPECT_TRUE(m.size_statistics.has_value());
      if (c == 1) {
        EXPECT_THAT(m.encodings,
                    ElementsAre(Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary));
        ASSERT_TRUE(m.dictionary_page_offset.has_value());
        EXPECT_LT(*m.dictionary_page_offset, m.data_page_offset);
        EXPECT_EQ(m.encoding_stats, (std::vector<PageEncodingStats>{
                                        {PageType::kDictionaryPage, Encoding::kPlain, 1},
                                        {PageType::kDataPage, Encoding::kRleDictionary, 1}}));
      } else {
        EXPECT_THAT(m.encodings, ElementsAre(Encoding::kRle, Encoding::kPlain));
        EXPECT_FALSE(m.dictionary_page_offset.has_value());
        EXPECT_EQ(m.encoding_stats,
                  (std::vector<PageEncodingStats>{{PageType::kDataPage, Encoding::kPlain, 1}}));
      }
    }
  }

  const ColumnMetaData& ts0 = *f.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(ts0.type, Type::kInt64);
  EXPECT_EQ(ts0.data_page_offset, 4);
  EXPECT_EQ(ts0.total_compressed_size, 74);
  EXPECT_EQ(ts0.total_uncompressed_size, 71);
  EXPECT_EQ(ts0.statistics->min_value, LittleEndian64(1'700'000'000'000'000'000));
  EXPECT_EQ(ts0.statistics->max_value, LittleEndian64(1'700'000'005'000'000'000));
  EXPECT_EQ(ts0.statistics->min, ts0.statistics->min_value);  // signed order: both written
  EXPECT_EQ(ts0.statistics->null_count, 0);

  const ColumnMetaData& metric0 = *f.row_groups[0].columns[1].meta_data;
  EXPECT_EQ(metric0.dictionary_page_offset, 78);
  EXPECT_EQ(metric0.data_page_offset, 116);
  EXPECT_EQ(metric0.statistics->min_value, "cpu");
  EXPECT_EQ(metric0.statistics->max_value, "mem");
  EXPECT_FALSE(metric0.statistics->min.has_value());  // unsigned order: not in the old fields
  EXPECT_EQ(metric0.size_statistics->unencoded_byte_array_data_bytes, 19);  // 5 x 3 + 4
  EXPECT_EQ(metric0.size_statistics->definition_level_histogram, (std::vector<int64_t>{0, 6}));

  // pyarrow writes the min of [0, 0.5, ..., 2.5] as -0.0, as the spec asks for zero minimums.
  const ColumnMetaData& value0 = *f.row_groups[0].columns[2].meta_data;
  EXPECT_EQ(value0.statistics->min_value, LittleEndian64(0x8000000000000000));
  EXPECT_FALSE(value0.statistics->nan_count.has_value());

  EXPECT_EQ(f.row_groups[0].columns[3].meta_data->statistics->min_value,
            Bytes({0xFB, 0xFF, 0xFF, 0xFF}));  // INT32 -5

  const Statistics& note0 = *f.row_groups[0].columns[5].meta_data->statistics;
  EXPECT_EQ(note0.null_count, 3);
  EXPECT_EQ(note0.min_value, "a");
  EXPECT_EQ(note0.max_value, "c");
  EXPECT_EQ(f.row_groups[1].columns[5].meta_data->statistics->null_count, 1);

  const Statistics& u0 = *f.row_groups[0].columns[6].meta_data->statistics;
  EXPECT_EQ(u0.max_value, LittleEndian64(std::numeric_limits<uint64_t>::max()));
  EXPECT_EQ(u0.min_value, LittleEndian64(std::numeric_limits<uint64_t>::max() - 5));
  EXPECT_FALSE(u0.max.has_value());

  // Every field pyarrow writes is represented, so re-encoding reproduces the footer exactly.
  EXPECT_EQ(EncodeFileMetaData(f), footer);
}

TEST(MetadataTest, PyarrowFooterSurvivesMutationsAndTruncations) {
  const std::string footer = ReadTestData("pyarrow_footer.bin");
  ASSERT_FALSE(footer.empty());
  for (size_t n = 0; n < footer.size(); ++n) {
    const ExactCopy prefix(std::string_view(footer).substr(0, n));
    EXPECT_FALSE(DecodeFileMetaData(prefix.view()).ok()) << n;
  }
  FuzzMutations(footer, 2000, 8, [](std::string_view b) { return DecodeFileMetaData(b).ok(); });
}

// Page index entries and page headers of the "metric" column chunk of row group 0 of the same
// file, copied from f.parquet at the offsets its footer gives.
TEST(MetadataTest, DecodesPyarrowPageIndexAndPageHeaders) {
  const std::string column_index =
      Bytes({0x19, 0x11, 0x02, 0x19, 0x18, 0x03, 'c',  'p',  'u',  0x19, 0x18, 0x03, 'm',
             'e',  'm',  0x15, 0x02, 0x19, 0x16, 0x00, 0x29, 0x26, 0x00, 0x0C, 0x00});
  auto ci = DecodeColumnIndex(column_index);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_THAT(ci->null_pages, ElementsAre(false));  // pyarrow writes false as 2
  EXPECT_THAT(ci->min_values, ElementsAre("cpu"));
  EXPECT_THAT(ci->max_values, ElementsAre("mem"));
  EXPECT_EQ(ci->boundary_order, BoundaryOrder::kAscending);
  EXPECT_EQ(ci->null_counts, std::vector<int64_t>{0});
  EXPECT_FALSE(ci->repetition_level_histograms.has_value());
  EXPECT_EQ(ci->definition_level_histograms, (std::vector<int64_t>{0, 6}));
  EXPECT_EQ(EncodeColumnIndex(*ci), column_index);

  const std::string offset_index =
      Bytes({0x19, 0x1C, 0x16, 0xE8, 0x01, 0x15, 0x3A, 0x16, 0x00, 0x00, 0x19, 0x16, 0x26, 0x00});
  auto oi = DecodeOffsetIndex(offset_index);
  ASSERT_TRUE(oi.ok()) << oi.status();
  ASSERT_EQ(oi->page_locations.size(), 1u);
  EXPECT_EQ(oi->page_locations[0], (PageLocation{116, 29, 0}));
  EXPECT_EQ(oi->unencoded_byte_array_data_bytes, std::vector<int64_t>{19});
  EXPECT_EQ(EncodeOffsetIndex(*oi), offset_index);

  // The dictionary page header at 78, followed by the first bytes of its body.
  const std::string dictionary_page = Bytes({0x15, 0x04, 0x15, 0x2C, 0x15, 0x30, 0x4C, 0x15, 0x06,
                                             0x15, 0x00, 0x12, 0x00, 0x00, 0x16, 0x03});
  size_t size = 0;
  auto dictionary = DecodePageHeader(dictionary_page, &size);
  ASSERT_TRUE(dictionary.ok()) << dictionary.status();
  EXPECT_EQ(size, 14u);
  EXPECT_EQ(dictionary->type, PageType::kDictionaryPage);
  EXPECT_EQ(dictionary->uncompressed_page_size, 22);
  EXPECT_EQ(dictionary->compressed_page_size, 24);
  EXPECT_FALSE(dictionary->crc.has_value());
  ASSERT_TRUE(dictionary->dictionary_page_header.has_value());
  EXPECT_EQ(*dictionary->dictionary_page_header,
            (DictionaryPageHeader{3, Encoding::kPlain, false}));

  // The data page header at 116 (data page v1, 6 values, dictionary indices).
  const std::string data_page = Bytes({0x15, 0x00, 0x15, 0x14, 0x15, 0x18, 0x2C, 0x15, 0x0C, 0x15,
                                       0x10, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00});
  auto data = DecodePageHeader(data_page, &size);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(size, 17u);
  EXPECT_EQ(data->type, PageType::kDataPage);
  EXPECT_EQ(data->compressed_page_size, 12);
  ASSERT_TRUE(data->data_page_header.has_value());
  EXPECT_EQ(*data->data_page_header,
            (DataPageHeader{6, Encoding::kRleDictionary, Encoding::kRle, Encoding::kRle, {}}));
  std::string again;
  AppendPageHeader(*data, &again);
  EXPECT_EQ(again, data_page);
}

}  // namespace
}  // namespace cardinalsin::parquet
