#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "arrow/internal/ipc_common.h"
#include "arrow/stream_reader.h"
#include "arrow/stream_writer.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::arrow {
namespace {

using base::testing::StatusIs;
using model::Column;
using model::Field;
using model::RecordBatch;
using model::Schema;
using model::StringVector;
using model::TypeId;
using ::testing::HasSubstr;

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

Column WithValidity(Column column, std::vector<uint8_t> validity) {
  column.SetValidity(std::move(validity));
  return column;
}

Schema AllTypesSchema() {
  return Schema({{"flag", TypeId::kBool, true},
                 {"count", TypeId::kInt64, true},
                 {"id", TypeId::kUInt64, false},
                 {"value", TypeId::kDouble, true},
                 {"name", TypeId::kString, true},
                 {"job", TypeId::kString, true},
                 {"ts", TypeId::kTimestampNs, false}});
}

// Seven rows of every type, with nulls, extreme values, NaN payloads and non-ASCII strings; `job`
// is dictionary-encoded, `name` plain.
RecordBatch AllTypesBatch() {
  std::vector<Column> columns;
  columns.push_back(WithValidity(Column::FromBool({1, 0, 0, 1, 1, 0, 1}), {1, 1, 0, 1, 1, 1, 1}));
  columns.push_back(
      WithValidity(Column::FromInt64(TypeId::kInt64, {std::numeric_limits<int64_t>::min(), -1, 0, 0,
                                                      1, std::numeric_limits<int64_t>::max(), 42}),
                   {1, 1, 1, 0, 1, 1, 1}));
  columns.push_back(
      Column::FromUInt64({0, 1, std::numeric_limits<uint64_t>::max(), 7, 8, 9, 1ULL << 63}));
  columns.push_back(WithValidity(Column::FromDouble({std::nan(""), FromBits(kStaleNaNBits), -0.0,
                                                     0.0, INFINITY, -INFINITY, 5e-324}),
                                 {1, 1, 1, 0, 1, 1, 1}));
  columns.push_back(
      WithValidity(Column::FromStrings(StringVector::Of(
                       {"", "db-é中", "", "x", std::string(300, 'y'), "a", "\xF0\x9F\x98\x80"})),
                   {1, 1, 0, 1, 1, 1, 1}));
  columns.push_back(WithValidity(
      Column::FromDictionary(StringVector::Of({"api", "db", ""}), {0, 1, 0, 2, 0, 1, 0}),
      {1, 1, 1, 1, 0, 1, 1}));
  columns.push_back(Column::FromInt64(
      TypeId::kTimestampNs,
      {1'700'000'000'000'000'000, 0, -1, 1, 2, 3, std::numeric_limits<int64_t>::max()}));
  return RecordBatch(AllTypesSchema(), std::move(columns));
}

std::vector<RecordBatch> ReadAll(std::string_view stream) {
  absl::StatusOr<StreamReader> reader = StreamReader::Open(stream);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return {};
  std::vector<RecordBatch> out;
  while (true) {
    absl::StatusOr<std::optional<RecordBatch>> batch = reader->Next();
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok() || !batch->has_value()) break;
    out.push_back(**batch);
  }
  return out;
}

// Reads the whole stream, returning the first error.
absl::Status ReadToEnd(std::string_view stream, size_t* batches = nullptr) {
  CS_ASSIGN_OR_RETURN(StreamReader reader, StreamReader::Open(stream));
  size_t count = 0;
  while (true) {
    CS_ASSIGN_OR_RETURN(std::optional<RecordBatch> batch, reader.Next());
    if (!batch) break;
    ++count;
  }
  if (batches != nullptr) *batches = count;
  return absl::OkStatus();
}

struct ModeCase {
  const char* name;
  WriterOptions options;
};

class RoundTripTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(RoundTripTest, AllTypesWithNulls) {
  const RecordBatch batch = AllTypesBatch();
  CS_ASSERT_OK(batch.Validate());
  CS_ASSERT_OK_AND_ASSIGN(std::string stream,
                          WriteStream(batch.schema(), {&batch, 1}, GetParam().options));
  EXPECT_EQ(stream.size() % 8, 0u);
  std::vector<RecordBatch> back = ReadAll(stream);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].schema(), batch.schema());
  EXPECT_TRUE(back[0].Equals(batch));
  // Dictionary mode keeps label columns dictionary-encoded end to end.
  const bool dictionary = GetParam().options.strings == WriterOptions::Strings::kDictionary;
  EXPECT_EQ(back[0].column(5).is_dictionary(), dictionary);
  EXPECT_EQ(back[0].column(4).is_dictionary(), dictionary);
  // NaN payloads survive bit for bit.
  uint64_t bits;
  std::memcpy(&bits, &back[0].column(3).doubles()[1], 8);
  EXPECT_EQ(bits, kStaleNaNBits);
}

TEST_P(RoundTripTest, ZeroRowsAndManyBatches) {
  const RecordBatch full = AllTypesBatch();
  std::vector<RecordBatch> batches;
  batches.push_back(full.Take(std::vector<uint32_t>{}));
  batches.push_back(full);
  batches.push_back(full.Take(std::vector<uint32_t>{6, 5}));
  batches.push_back(full.Take(std::vector<uint32_t>{}));
  batches.push_back(full.Take(std::vector<uint32_t>{0, 0, 0, 4}));
  CS_ASSERT_OK_AND_ASSIGN(std::string stream,
                          WriteStream(full.schema(), batches, GetParam().options));
  std::vector<RecordBatch> back = ReadAll(stream);
  ASSERT_EQ(back.size(), batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_TRUE(back[i].Equals(batches[i])) << "batch " << i;
  }
}

TEST_P(RoundTripTest, SchemaOnlyStream) {
  CS_ASSERT_OK_AND_ASSIGN(std::string stream,
                          WriteStream(AllTypesSchema(), {}, GetParam().options));
  CS_ASSERT_OK_AND_ASSIGN(StreamReader reader, StreamReader::Open(stream));
  EXPECT_EQ(reader.schema(), AllTypesSchema());
  CS_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> batch, reader.Next());
  EXPECT_FALSE(batch.has_value());
  CS_ASSERT_OK_AND_ASSIGN(batch, reader.Next());  // stays at the end
  EXPECT_FALSE(batch.has_value());
}

TEST_P(RoundTripTest, RandomBatches) {
  std::mt19937_64 rng(7);
  const Schema schema = AllTypesSchema();
  std::vector<RecordBatch> batches;
  for (int b = 0; b < 20; ++b) {
    const size_t rows = rng() % 70;
    std::vector<uint8_t> flags, validity;
    std::vector<int64_t> ints, ts;
    std::vector<uint64_t> ids, dict_codes_raw;
    std::vector<double> doubles;
    StringVector names;
    std::vector<uint32_t> codes;
    const size_t dict_size = 1 + rng() % 5;
    StringVector dict;
    for (size_t d = 0; d < dict_size; ++d)
      dict.Append("v" + std::to_string(rng() % 1000 + d * 1000));
    for (size_t r = 0; r < rows; ++r) {
      validity.push_back(rng() % 4 != 0);
      flags.push_back(validity.back() ? rng() % 2 : 0);
      ints.push_back(validity.back() ? static_cast<int64_t>(rng()) : 0);
      ts.push_back(static_cast<int64_t>(rng()));
      ids.push_back(rng());
      uint64_t bits = validity.back() ? rng() : 0;
      doubles.push_back(FromBits(bits));
      names.Append(validity.back() ? std::string(rng() % 20, static_cast<char>('a' + r % 26))
                                   : std::string());
      codes.push_back(static_cast<uint32_t>(rng() % dict_size));
    }
    std::vector<Column> columns;
    columns.push_back(WithValidity(Column::FromBool(flags), validity));
    columns.push_back(WithValidity(Column::FromInt64(TypeId::kInt64, ints), validity));
    columns.push_back(Column::FromUInt64(ids));
    columns.push_back(WithValidity(Column::FromDouble(doubles), validity));
    columns.push_back(WithValidity(Column::FromStrings(names), validity));
    columns.push_back(Column::FromDictionary(dict, codes));
    columns.push_back(Column::FromInt64(TypeId::kTimestampNs, ts));
    batches.emplace_back(schema, std::move(columns));
    CS_ASSERT_OK(batches.back().Validate());
  }
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(schema, batches, GetParam().options));
  std::vector<RecordBatch> back = ReadAll(stream);
  ASSERT_EQ(back.size(), batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_TRUE(back[i].Equals(batches[i])) << "batch " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, RoundTripTest,
    ::testing::Values(ModeCase{"dictionary", {.strings = WriterOptions::Strings::kDictionary}},
                      ModeCase{"plain", {.strings = WriterOptions::Strings::kPlain}}),
    [](const ::testing::TestParamInfo<ModeCase>& info) { return std::string(info.param.name); });

// The messages of a stream as (offset, size) pairs, found by walking its framing. REQUIRES: a
// well-formed stream with continuation markers.
std::vector<std::pair<size_t, size_t>> MessageBoundaries(std::string_view stream) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t pos = 0;
  while (pos + 8 <= stream.size()) {
    int32_t metadata;
    std::memcpy(&metadata, stream.data() + pos + 4, 4);
    if (metadata == 0) {
      out.emplace_back(pos, 8);
      break;
    }
    std::vector<uint64_t> aligned((static_cast<size_t>(metadata) + 7) / 8);
    std::memcpy(aligned.data(), stream.data() + pos + 8, static_cast<size_t>(metadata));
    const auto* message = flatbuffers::GetRoot<internal::fb::Message>(aligned.data());
    const size_t size =
        8 + static_cast<size_t>(metadata) + static_cast<size_t>(message->body_length());
    out.emplace_back(pos, size);
    pos += size;
  }
  return out;
}

TEST(StreamReaderTest, DictionaryDeltasAndReplacements) {
  const Schema schema({{"job", TypeId::kString, true}});
  std::vector<RecordBatch> batches;
  batches.emplace_back(
      schema, std::vector<Column>{Column::FromDictionary(StringVector::Of({"a", "b"}), {0, 1, 1})});
  // Same dictionary: not resent.
  batches.emplace_back(
      schema, std::vector<Column>{Column::FromDictionary(StringVector::Of({"a", "b"}), {1})});
  // Extends it: a delta.
  batches.emplace_back(schema, std::vector<Column>{Column::FromDictionary(
                                   StringVector::Of({"a", "b", "c"}), {2, 0})});
  // Unrelated: a replacement.
  batches.emplace_back(
      schema, std::vector<Column>{Column::FromDictionary(StringVector::Of({"z"}), {0, 0})});
  // A plain column: encoded on the fly.
  batches.emplace_back(schema,
                       std::vector<Column>{Column::FromStrings(StringVector::Of({"q", "z", "q"}))});
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(schema, batches));
  // schema, dict, batch, batch, delta, batch, replacement, batch, replacement, batch, EOS
  EXPECT_EQ(MessageBoundaries(stream).size(), 11u);
  std::vector<RecordBatch> back = ReadAll(stream);
  ASSERT_EQ(back.size(), batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_TRUE(back[i].Equals(batches[i])) << "batch " << i;
  }
}

TEST(StreamWriterTest, SplitsBatchesWhoseUtf8BytesExceedTheLimit) {
  const Schema schema({{"s", TypeId::kString, true}, {"n", TypeId::kInt64, false}});
  StringVector values;
  std::vector<int64_t> ns;
  for (int i = 0; i < 100; ++i) {
    values.Append(std::string(static_cast<size_t>(i % 10), 'x'));
    ns.push_back(i);
  }
  const RecordBatch batch(schema,
                          {Column::FromStrings(values), Column::FromInt64(TypeId::kInt64, ns)});
  WriterOptions options{.strings = WriterOptions::Strings::kPlain, .max_utf8_bytes_per_batch = 40};
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(schema, {&batch, 1}, options));
  std::vector<RecordBatch> back = ReadAll(stream);
  ASSERT_GT(back.size(), 10u);
  std::vector<Column> strings, ints;
  for (const RecordBatch& b : back) {
    EXPECT_LE(b.column(0).strings().bytes().size(), 40u);
    strings.push_back(b.column(0));
    ints.push_back(b.column(1));
  }
  EXPECT_TRUE(model::Concat(TypeId::kString, strings).Equals(batch.column(0)));
  EXPECT_TRUE(model::Concat(TypeId::kInt64, ints).Equals(batch.column(1)));

  // A value over the limit rejects the batch, writes nothing, and leaves the writer usable.
  options.max_utf8_bytes_per_batch = 8;  // one value holds 9 bytes
  std::string out;
  StreamWriter writer(&out, options);
  CS_ASSERT_OK(writer.Begin(schema));
  const size_t schema_bytes = out.size();
  EXPECT_THAT(writer.Write(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(out.size(), schema_bytes);
  const RecordBatch small = batch.Take(std::vector<uint32_t>{1, 2, 3});
  CS_ASSERT_OK(writer.Write(small));
  CS_ASSERT_OK(writer.Finish());
  back = ReadAll(out);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0].Equals(small));
}

TEST(StreamWriterTest, RejectsMisuse) {
  std::string out;
  StreamWriter writer(&out);
  EXPECT_THAT(writer.Begin(Schema()), StatusIs(absl::StatusCode::kInvalidArgument));

  StreamWriter ok(&out);
  const RecordBatch batch = AllTypesBatch();
  EXPECT_THAT(ok.Write(batch), StatusIs(absl::StatusCode::kFailedPrecondition));
  CS_ASSERT_OK(ok.Begin(batch.schema()));
  const RecordBatch other(Schema({{"x", TypeId::kInt64, true}}),
                          {Column::FromInt64(TypeId::kInt64, {1})});
  EXPECT_THAT(ok.Write(other), StatusIs(absl::StatusCode::kInvalidArgument));
  RecordBatch invalid = batch;
  invalid.mutable_column(2).SetValidity({0, 1, 1, 1, 1, 1, 1});  // nulls in non-nullable "id"
  EXPECT_THAT(ok.Write(invalid), StatusIs(absl::StatusCode::kInvalidArgument));
  CS_ASSERT_OK(ok.Write(batch));
  CS_ASSERT_OK(ok.Finish());
  EXPECT_THAT(ok.Write(batch), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ok.Finish(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReadAll(out).size(), 1u);
}

TEST(StreamWriterTest, SinkSeesEveryByteAndItsErrorsStopTheWriter) {
  const RecordBatch batch = AllTypesBatch();
  std::string collected;
  int calls = 0;
  StreamWriter writer([&](std::string_view bytes) {
    collected.append(bytes);
    ++calls;
    return absl::OkStatus();
  });
  CS_ASSERT_OK(writer.Begin(batch.schema()));
  CS_ASSERT_OK(writer.Write(batch));
  CS_ASSERT_OK(writer.Finish());
  EXPECT_GT(calls, 3);
  EXPECT_EQ(static_cast<int64_t>(collected.size()), writer.bytes_written());
  CS_ASSERT_OK_AND_ASSIGN(std::string whole, WriteStream(batch.schema(), {&batch, 1}));
  EXPECT_EQ(collected, whole);

  int budget = 2;
  StreamWriter failing([&](std::string_view) {
    return budget-- > 0 ? absl::OkStatus() : absl::UnavailableError("client went away");
  });
  CS_ASSERT_OK(failing.Begin(batch.schema()));
  EXPECT_THAT(failing.Write(batch), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(failing.Write(batch), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(StreamReaderTest, TruncationAtEveryByte) {
  const RecordBatch full = AllTypesBatch();
  std::vector<RecordBatch> batches = {full, full.Take(std::vector<uint32_t>{3, 1})};
  for (auto strings : {WriterOptions::Strings::kDictionary, WriterOptions::Strings::kPlain}) {
    CS_ASSERT_OK_AND_ASSIGN(std::string stream,
                            WriteStream(full.schema(), batches, {.strings = strings}));
    std::set<size_t> boundaries;
    for (const auto& [offset, size] : MessageBoundaries(stream)) boundaries.insert(offset);
    boundaries.erase(0);  // no schema at all is an error
    for (size_t cut = 0; cut < stream.size(); ++cut) {
      const absl::Status status = ReadToEnd(std::string_view(stream).substr(0, cut));
      if (boundaries.count(cut) > 0) {
        EXPECT_TRUE(status.ok()) << "cut at message boundary " << cut << ": " << status;
      } else {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss)) << "cut " << cut;
      }
    }
  }
}

TEST(StreamReaderTest, FlippedBytesNeverCrash) {
  const RecordBatch full = AllTypesBatch();
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(full.schema(), {&full, 1}));
  int failures = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::string corrupt = stream;
      corrupt[i] = static_cast<char>(corrupt[i] ^ mask);
      failures += ReadToEnd(corrupt).ok() ? 0 : 1;
    }
  }
  EXPECT_GT(failures, 0);
}

struct MalformedCase {
  const char* name;
  std::string bytes;
  absl::StatusCode code;
  const char* message;
};

std::string Le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

TEST(StreamReaderTest, MalformedInputs) {
  const RecordBatch full = AllTypesBatch();
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(full.schema(), {&full, 1}));
  const auto messages = MessageBoundaries(stream);
  const std::string schema_message = stream.substr(0, messages[1].first);
  std::string swapped = stream.substr(messages[1].first, messages[1].second) + stream;
  std::string dictionary_free = schema_message + stream.substr(messages[3].first);

  const MalformedCase cases[] = {
      {"empty", "", absl::StatusCode::kDataLoss, "no schema message"},
      {"eos_only", Le32(0xFFFFFFFF) + Le32(0), absl::StatusCode::kDataLoss, "no schema message"},
      {"short_prefix", "\xFF\xFF", absl::StatusCode::kDataLoss, "truncated message prefix"},
      {"negative_size", Le32(0xFFFFFFFF) + Le32(0x80000000), absl::StatusCode::kDataLoss,
       "bad metadata size"},
      {"huge_size", Le32(0xFFFFFFFF) + Le32(0x7FFFFFF0), absl::StatusCode::kDataLoss,
       "bad metadata size"},
      {"garbage_metadata", Le32(0xFFFFFFFF) + Le32(16) + std::string(16, '\x7f'),
       absl::StatusCode::kDataLoss, "not a valid Message flatbuffer"},
      {"dictionary_first", swapped, absl::StatusCode::kDataLoss, "not a schema"},
      {"second_schema", schema_message + schema_message, absl::StatusCode::kDataLoss,
       "second schema"},
      {"missing_dictionary", dictionary_free, absl::StatusCode::kDataLoss,
       "before any dictionary batch"},
  };
  for (const MalformedCase& c : cases) {
    const absl::Status status = ReadToEnd(c.bytes);
    EXPECT_THAT(status, StatusIs(c.code)) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  }
}

namespace fb = internal::fb;

// One framed message: continuation, size, the finished flatbuffer padded to 8, then `body`.
std::string Frame(const flatbuffers::FlatBufferBuilder& fbb, std::string_view body) {
  std::string metadata(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  metadata.resize((metadata.size() + 7) / 8 * 8, '\0');
  return Le32(0xFFFFFFFF) + Le32(static_cast<uint32_t>(metadata.size())) + metadata +
         std::string(body);
}

struct HandBatch {
  int64_t length = 0;
  std::vector<fb::FieldNode> nodes;
  std::vector<fb::Buffer> buffers;
  std::string body;
  bool compressed = false;
  std::optional<int64_t> dictionary_id;  // set: a DictionaryBatch with this id
  bool delta = false;
};

std::string Encode(const HandBatch& b) {
  flatbuffers::FlatBufferBuilder fbb;
  flatbuffers::Offset<fb::BodyCompression> compression;
  if (b.compressed) compression = fb::CreateBodyCompression(fbb, fb::CompressionType::ZSTD);
  auto batch = fb::CreateRecordBatch(fbb, b.length, fbb.CreateVectorOfStructs(b.nodes),
                                     fbb.CreateVectorOfStructs(b.buffers), compression);
  const auto body_length = static_cast<int64_t>(b.body.size());
  if (b.dictionary_id.has_value()) {
    auto dict = fb::CreateDictionaryBatch(fbb, *b.dictionary_id, batch, b.delta);
    fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::DictionaryBatch,
                                 dict.Union(), body_length));
  } else {
    fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::RecordBatch,
                                 batch.Union(), body_length));
  }
  return Frame(fbb, b.body);
}

template <typename T>
std::string Bytes(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return out;
}

// The schema message our writer produces for `schema`.
std::string SchemaMessage(const Schema& schema, WriterOptions options = {}) {
  std::string out;
  StreamWriter writer(&out, options);
  EXPECT_TRUE(writer.Begin(schema).ok());
  return out;
}

struct HandCase {
  const char* name;
  std::vector<HandBatch> messages;
  absl::StatusCode code;
  const char* message;
};

TEST(StreamReaderTest, MalformedMessagesTable) {
  const Schema ints({{"x", TypeId::kInt64, true}});
  const Schema strings({{"s", TypeId::kString, true}});
  const std::string eight = Bytes<int64_t>({1});
  const std::string four = Bytes<int64_t>({1, 2, 3, 4});
  using B = fb::Buffer;
  using N = fb::FieldNode;
  const HandCase int_cases[] = {
      {"buffer_past_body",
       {{1, {N(1, 0)}, {B(0, 0), B(0, 16)}, eight}},
       absl::StatusCode::kDataLoss,
       "outside the 8-byte body"},
      {"negative_buffer_offset",
       {{1, {N(1, 0)}, {B(-8, 0), B(0, 8)}, eight}},
       absl::StatusCode::kDataLoss,
       "outside the"},
      {"node_length_differs",
       {{4, {N(3, 0)}, {B(0, 0), B(0, 32)}, four}},
       absl::StatusCode::kDataLoss,
       "has 3 rows, the batch 4"},
      {"null_count_above_length",
       {{1, {N(1, 2)}, {B(0, 0), B(0, 8)}, eight}},
       absl::StatusCode::kDataLoss,
       "null count 2 outside"},
      {"null_count_disagrees_with_bitmap",
       {{4, {N(4, 1)}, {B(0, 8), B(8, 32)}, Bytes<int64_t>({0x0F}) + four}},
       absl::StatusCode::kDataLoss,
       "its bitmap has 0 nulls"},
      {"missing_bitmap",
       {{4, {N(4, 1)}, {B(0, 0), B(0, 32)}, four}},
       absl::StatusCode::kDataLoss,
       "validity bitmap has 0 bytes"},
      {"short_values",
       {{4, {N(4, 0)}, {B(0, 0), B(0, 24)}, four}},
       absl::StatusCode::kDataLoss,
       "values buffer has 24 bytes for 4"},
      {"no_nodes",
       {{1, {}, {B(0, 0), B(0, 8)}, eight}},
       absl::StatusCode::kDataLoss,
       "no field node"},
      {"too_few_buffers",
       {{1, {N(1, 0)}, {B(0, 0)}, eight}},
       absl::StatusCode::kDataLoss,
       "too few buffers"},
      {"extra_buffers",
       {{1, {N(1, 0)}, {B(0, 0), B(0, 8), B(0, 8)}, eight}},
       absl::StatusCode::kDataLoss,
       "3 buffers"},
      {"negative_length",
       {{-1, {N(-1, 0)}, {B(0, 0), B(0, 8)}, eight}},
       absl::StatusCode::kDataLoss,
       "negative record batch length"},
      {"compressed",
       {{1, {N(1, 0)}, {B(0, 0), B(0, 8)}, eight, true}},
       absl::StatusCode::kInvalidArgument,
       "compressed with ZSTD"},
      {"dictionary_for_no_field",
       {{1, {N(1, 0)}, {B(0, 0), B(0, 8)}, eight, false, 7}},
       absl::StatusCode::kDataLoss,
       "dictionary id 7 belongs to no field"},
  };
  // Dictionary-mode string field (dictionary id 0): values "ab", "c".
  const std::string dict_body = Bytes<int32_t>({0, 2, 3, 0}) + "abc" + std::string(5, '\0');
  const HandBatch dictionary{2, {N(2, 0)}, {B(0, 0), B(0, 12), B(16, 3)}, dict_body, false, 0};
  const HandCase dictionary_cases[] = {
      {"index_out_of_range",
       {dictionary, {2, {N(2, 0)}, {B(0, 0), B(0, 8)}, Bytes<int32_t>({1, 2})}},
       absl::StatusCode::kDataLoss,
       "dictionary index 2 outside the 2-entry dictionary"},
      {"negative_index",
       {dictionary, {1, {N(1, 0)}, {B(0, 0), B(0, 4)}, Bytes<int32_t>({-1, 0})}},
       absl::StatusCode::kDataLoss,
       "outside the 2-entry dictionary"},
      {"delta_before_dictionary",
       {{2, {N(2, 0)}, {B(0, 0), B(0, 12), B(16, 3)}, dict_body, false, 0, true}},
       absl::StatusCode::kDataLoss,
       "never sent"},
      {"dictionary_offsets_past_data",
       {{2, {N(2, 0)}, {B(0, 0), B(0, 12), B(16, 2)}, dict_body, false, 0}},
       absl::StatusCode::kDataLoss,
       "offsets [0, 3] outside the 2-byte data buffer"},
  };
  // Plain string field.
  const HandCase plain_cases[] = {
      {"offsets_decrease",
       {{2, {N(2, 0)}, {B(0, 0), B(0, 12), B(16, 3)}, Bytes<int32_t>({0, 3, 2, 0}) + "abc"}},
       absl::StatusCode::kDataLoss,
       "offsets decrease"},
      {"short_offsets",
       {{2, {N(2, 0)}, {B(0, 0), B(0, 8), B(16, 3)}, Bytes<int32_t>({0, 1, 3, 0}) + "abc"}},
       absl::StatusCode::kDataLoss,
       "offsets buffer has 8 bytes for 2 rows"},
  };
  auto run = [](const std::string& schema_message, const HandCase& c) {
    std::string stream = schema_message;
    for (const HandBatch& m : c.messages) stream += Encode(m);
    stream += Le32(0xFFFFFFFF) + Le32(0);
    const absl::Status status = ReadToEnd(stream);
    EXPECT_THAT(status, StatusIs(c.code)) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  };
  for (const HandCase& c : int_cases) run(SchemaMessage(ints), c);
  for (const HandCase& c : dictionary_cases) run(SchemaMessage(strings), c);
  for (const HandCase& c : plain_cases) {
    run(SchemaMessage(strings, {.strings = WriterOptions::Strings::kPlain}), c);
  }

  // The hand-built frames are right: a well-formed batch of each kind reads.
  std::string good =
      SchemaMessage(strings) + Encode(dictionary) +
      Encode({2, {N(2, 1)}, {B(0, 1), B(8, 8)}, Bytes<int64_t>({0x01, 0x0000000100000001})});
  CS_ASSERT_OK(ReadToEnd(good));
  CS_ASSERT_OK_AND_ASSIGN(StreamReader reader, StreamReader::Open(good));
  CS_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> batch, reader.Next());
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->column(0).StringAt(0), "c");
  EXPECT_FALSE(batch->column(0).IsValid(1));
}

TEST(StreamReaderTest, ErrorsAreSticky) {
  const RecordBatch full = AllTypesBatch();
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(full.schema(), {&full, 1}));
  const auto messages = MessageBoundaries(stream);
  // Cut inside the record batch's body: the error stays, however often Next() is called.
  const auto [offset, size] = messages[messages.size() - 2];
  std::string broken = stream.substr(0, offset + size - 8);
  CS_ASSERT_OK_AND_ASSIGN(StreamReader reader, StreamReader::Open(broken));
  const absl::StatusOr<std::optional<RecordBatch>> first = reader.Next();
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(reader.Next(), StatusIs(absl::StatusCode::kDataLoss));
}

// Inputs of bugs the fuzzer found (test/fuzz/crashes/arrow_ipc/, each named after its cause):
// every one is malformed and must give an error, with no sanitizer report on the way.
TEST(FuzzRegressionTest, SavedCrashInputsGiveErrors) {
  const std::filesystem::path dir = CS_ARROW_CRASHES_DIR;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(ReadToEnd(bytes).ok()) << entry.path().filename();
    ++files;
  }
  EXPECT_GT(files, 0u);
}

TEST(StreamReaderTest, PreContinuationFramingIsRead) {
  const RecordBatch full = AllTypesBatch();
  CS_ASSERT_OK_AND_ASSIGN(std::string stream, WriteStream(full.schema(), {&full, 1}));
  // Rewrite every message as <int32 size><metadata><body> and the EOS as a zero word (pre-0.15).
  std::string legacy;
  for (const auto& [offset, size] : MessageBoundaries(stream)) {
    if (size == 8) {
      legacy += Le32(0);
      continue;
    }
    int32_t metadata;
    std::memcpy(&metadata, stream.data() + offset + 4, 4);
    legacy += Le32(static_cast<uint32_t>(metadata));
    legacy += stream.substr(offset + 8, size - 8);
  }
  std::vector<RecordBatch> back = ReadAll(legacy);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0].Equals(full));
}

}  // namespace
}  // namespace cardinalsin::arrow
