#include "query/result_format.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "arrow/stream_reader.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::query {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using model::Column;
using model::Field;
using model::RecordBatch;
using model::Schema;
using model::StringVector;
using model::TypeId;

Column WithNulls(Column column, std::vector<uint8_t> validity) {
  column.SetValidity(std::move(validity));
  return column;
}

// One column of every type, four rows; the last row is NULL in every nullable column.
SqlResult AllTypes() {
  Schema schema({{"flag", TypeId::kBool},
                 {"count", TypeId::kInt64},
                 {"series_id", TypeId::kUInt64},
                 {"value", TypeId::kDouble},
                 {"job", TypeId::kString},
                 {"instance", TypeId::kString},
                 {"ts", TypeId::kTimestampNs}});
  std::vector<Column> columns;
  columns.push_back(WithNulls(Column::FromBool({1, 0, 1, 0}), {1, 1, 1, 0}));
  columns.push_back(
      WithNulls(Column::FromInt64(TypeId::kInt64, {-7, std::numeric_limits<int64_t>::min(), 42, 0}),
                {1, 1, 1, 0}));
  columns.push_back(WithNulls(
      Column::FromUInt64({std::numeric_limits<uint64_t>::max(), (uint64_t{1} << 53) + 1, 3, 0}),
      {1, 1, 1, 0}));
  columns.push_back(WithNulls(Column::FromDouble({0.1, -0.0, 10.0, 0}), {1, 1, 1, 0}));
  columns.push_back(WithNulls(Column::FromStrings(StringVector::Of({"a,b", "say \"hi\"", "", ""})),
                              {1, 1, 1, 0}));
  columns.push_back(
      WithNulls(Column::FromDictionary(StringVector::Of({"host-1", "line\nbreak"}), {0, 1, 0, 0}),
                {1, 1, 1, 0}));
  columns.push_back(
      WithNulls(Column::FromInt64(TypeId::kTimestampNs, {1'704'067'200'123'456'789, -1, 0, 0}),
                {1, 1, 1, 0}));
  SqlResult result;
  result.schema = schema;
  result.batches.emplace_back(schema, std::move(columns));
  result.stats.rows_scanned = 1000;
  result.stats.bytes_scanned = 123456;
  result.stats.execution_time = absl::Milliseconds(5);
  result.stats.chunks_total = 4;
  result.stats.chunks_scanned = 2;
  result.stats.row_groups_total = 8;
  result.stats.row_groups_scanned = 3;
  return result;
}

SqlResult Doubles(std::vector<double> values) {
  Schema schema({{"v", TypeId::kDouble}});
  SqlResult result;
  result.schema = schema;
  result.batches.emplace_back(schema, std::vector<Column>{Column::FromDouble(std::move(values))});
  return result;
}

std::string Encode(ResultFormat format, const SqlResult& result) {
  EXPECT_TRUE(ValidateResult(result).ok());
  absl::StatusOr<std::string> body = EncodeResult(format, result);
  EXPECT_TRUE(body.ok()) << body.status();
  return body.ok() ? *body : "";
}

TEST(ResultFormatTest, JsonEveryType) {
  EXPECT_EQ(Encode(ResultFormat::kJson, AllTypes()),
            R"({"columns":["flag","count","series_id","value","job","instance","ts"],"data":[)"
            R"([true,-7,18446744073709551615,0.1,"a,b","host-1",1704067200123456789],)"
            R"([false,-9223372036854775808,9007199254740993,-0.0,"say \"hi\"","line\nbreak",-1],)"
            R"([true,42,3,10.0,"","host-1",0],)"
            R"([null,null,null,null,null,null,null]],)"
            R"("stats":{"rows_read":1000,"bytes_read":123456,"execution_time_ms":5,)"
            R"("rows_returned":4,"chunks_total":4,"chunks_scanned":2,"row_groups_total":8,)"
            R"("row_groups_scanned":3}})");
}

TEST(ResultFormatTest, CsvEveryType) {
  EXPECT_EQ(Encode(ResultFormat::kCsv, AllTypes()),
            "flag,count,series_id,value,job,instance,ts\r\n"
            "true,-7,18446744073709551615,0.1,\"a,b\",host-1,2024-01-01T00:00:00.123456789Z\r\n"
            "false,-9223372036854775808,9007199254740993,-0.0,\"say \"\"hi\"\"\","
            "\"line\nbreak\",1969-12-31T23:59:59.999999999Z\r\n"
            "true,42,3,10.0,\"\",host-1,1970-01-01T00:00:00.000000000Z\r\n"
            ",,,,,,\r\n");
}

TEST(ResultFormatTest, NdjsonEveryType) {
  EXPECT_EQ(Encode(ResultFormat::kNdjson, AllTypes()),
            R"({"flag":true,"count":-7,"series_id":18446744073709551615,"value":0.1,"job":"a,b",)"
            R"("instance":"host-1","ts":1704067200123456789})"
            "\n"
            R"({"flag":false,"count":-9223372036854775808,"series_id":9007199254740993,)"
            R"("value":-0.0,"job":"say \"hi\"","instance":"line\nbreak","ts":-1})"
            "\n"
            R"({"flag":true,"count":42,"series_id":3,"value":10.0,"job":"","instance":"host-1",)"
            R"("ts":0})"
            "\n"
            R"({"flag":null,"count":null,"series_id":null,"value":null,"job":null,)"
            R"("instance":null,"ts":null})"
            "\n");
}

TEST(ResultFormatTest, ArrowRoundTripsEveryType) {
  SqlResult result = AllTypes();
  for (bool dictionary : {false, true}) {
    SCOPED_TRACE(dictionary);
    CS_ASSERT_OK_AND_ASSIGN(
        std::string body,
        EncodeResult(ResultFormat::kArrow, result, {.arrow_dictionary_strings = dictionary}));
    CS_ASSERT_OK_AND_ASSIGN(arrow::StreamReader reader, arrow::StreamReader::Open(body));
    EXPECT_EQ(reader.schema(), result.schema);
    CS_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> batch, reader.Next());
    ASSERT_TRUE(batch.has_value());
    EXPECT_TRUE(batch->Equals(result.batches[0]));
    EXPECT_EQ(batch->column(4).is_dictionary(), dictionary);
    CS_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> end, reader.Next());
    EXPECT_FALSE(end.has_value());
  }
}

TEST(ResultFormatTest, NonFiniteDoubles) {
  const double inf = std::numeric_limits<double>::infinity();
  SqlResult result = Doubles({std::nan(""), inf, -inf, 1e300, -2.5e-8, 123456789.0});
  EXPECT_EQ(Encode(ResultFormat::kJson, result),
            R"({"columns":["v"],"data":[[null],[null],[null],[1e+300],[-2.5e-08],[123456789.0]],)"
            R"("stats":{"rows_read":0,"bytes_read":0,"execution_time_ms":0,"rows_returned":6,)"
            R"("chunks_total":0,"chunks_scanned":0,"row_groups_total":0,"row_groups_scanned":0}})");
  EXPECT_EQ(Encode(ResultFormat::kCsv, result),
            "v\r\nNaN\r\nInfinity\r\n-Infinity\r\n1e+300\r\n-2.5e-08\r\n123456789.0\r\n");
  EXPECT_EQ(Encode(ResultFormat::kNdjson, result),
            "{\"v\":null}\n{\"v\":null}\n{\"v\":null}\n{\"v\":1e+300}\n{\"v\":-2.5e-08}\n"
            "{\"v\":123456789.0}\n");
}

TEST(ResultFormatTest, DoublesRoundTripThroughJson) {
  std::vector<double> values = {
      0.1, 1.0 / 3, 5e-324, std::numeric_limits<double>::max(), -123.456, 9007199254740993.0};
  std::string body = Encode(ResultFormat::kJson, Doubles(values));
  nlohmann::json json = nlohmann::json::parse(body);
  ASSERT_EQ(json["data"].size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_TRUE(json["data"][i][0].is_number_float());
    EXPECT_EQ(json["data"][i][0].get<double>(), values[i]);
  }
}

TEST(ResultFormatTest, EmptyResultsKeepTheirColumns) {
  Schema schema({{"metric_name", TypeId::kString}, {"cnt", TypeId::kInt64}});
  SqlResult no_batches;
  no_batches.schema = schema;
  SqlResult empty_batch = no_batches;
  empty_batch.batches.emplace_back(
      schema, std::vector<Column>{Column::Empty(TypeId::kString), Column::Empty(TypeId::kInt64)});
  for (const SqlResult* result : {&no_batches, &empty_batch}) {
    EXPECT_THAT(Encode(ResultFormat::kJson, *result),
                ::testing::StartsWith(R"({"columns":["metric_name","cnt"],"data":[],"stats":{)"));
    EXPECT_EQ(Encode(ResultFormat::kCsv, *result), "metric_name,cnt\r\n");
    EXPECT_EQ(Encode(ResultFormat::kNdjson, *result), "");
    std::string arrow_body = Encode(ResultFormat::kArrow, *result);
    CS_ASSERT_OK_AND_ASSIGN(arrow::StreamReader reader, arrow::StreamReader::Open(arrow_body));
    EXPECT_EQ(reader.schema(), schema);
    int rows = 0;
    while (true) {
      CS_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> batch, reader.Next());
      if (!batch.has_value()) {
        break;
      }
      rows += static_cast<int>(batch->num_rows());
    }
    EXPECT_EQ(rows, 0);
  }
}

TEST(ResultFormatTest, IsoTimestamps) {
  struct Case {
    int64_t ns;
    std::string want;
  };
  const std::vector<Case> cases = {
      {0, "1970-01-01T00:00:00.000000000Z"},
      {1'704'067'200'123'456'789, "2024-01-01T00:00:00.123456789Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {951'782'400'000'000'000, "2000-02-29T00:00:00.000000000Z"},
      {std::numeric_limits<int64_t>::min(), "1677-09-21T00:12:43.145224192Z"},
      {std::numeric_limits<int64_t>::max(), "2262-04-11T23:47:16.854775807Z"},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendIsoTimestamp(&out, c.ns);
    EXPECT_EQ(out, c.want) << c.ns;
  }
}

TEST(ResultFormatTest, IsoTimestampsAgreeWithAbseil) {
  // A pseudo-random walk over the whole int64 range, checked against absl::FormatTime.
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t ns = static_cast<int64_t>(state);
    std::string out;
    AppendIsoTimestamp(&out, ns);
    std::string want =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", absl::FromUnixNanos(ns), absl::UTCTimeZone());
    ASSERT_EQ(out, want) << ns;
  }
}

TEST(ResultFormatTest, PiecewiseEncodingMatchesWholeAndRespectsTheTarget) {
  Schema schema({{"i", TypeId::kInt64}, {"s", TypeId::kString}});
  SqlResult result;
  result.schema = schema;
  for (int b = 0; b < 5; ++b) {
    std::vector<int64_t> ints;
    StringVector strings;
    for (int r = 0; r < 100 * b; ++r) {  // includes an empty batch
      ints.push_back(b * 1000 + r);
      strings.Append(std::string(static_cast<size_t>(r % 7), 'x'));
    }
    result.batches.emplace_back(schema, std::vector<Column>{Column::FromInt64(TypeId::kInt64, ints),
                                                            Column::FromStrings(strings)});
  }
  for (ResultFormat format :
       {ResultFormat::kJson, ResultFormat::kCsv, ResultFormat::kNdjson, ResultFormat::kArrow}) {
    SCOPED_TRACE(ResultFormatName(format));
    std::string whole = Encode(format, result);
    std::string pieces;
    int calls = 0;
    ResultEncoder encoder(format, result);
    while (!encoder.done()) {
      std::string chunk;
      CS_ASSERT_OK(encoder.EncodeSome(&chunk, 256));
      if (format != ResultFormat::kArrow && !encoder.done()) {
        // One row past the target at most (rows here are under 64 bytes); the last piece also
        // carries the JSON footer.
        EXPECT_LT(chunk.size(), 256u + 64u);
      }
      pieces += chunk;
      ++calls;
    }
    EXPECT_EQ(pieces, whole);
    EXPECT_GE(calls, format == ResultFormat::kArrow ? 5 : 20);  // Arrow: a call per batch
  }
}

TEST(ResultFormatTest, ValidateResultRejectsInconsistentBatches) {
  SqlResult result = AllTypes();
  CS_EXPECT_OK(ValidateResult(result));
  SqlResult other_schema = result;
  other_schema.schema = Schema({{"x", TypeId::kInt64}});
  EXPECT_THAT(ValidateResult(other_schema),
              StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("batch 0")));
  SqlResult ragged;
  Schema schema({{"a", TypeId::kInt64}, {"b", TypeId::kInt64}});
  ragged.schema = schema;
  ragged.batches.emplace_back(schema, std::vector<Column>{Column::FromInt64(TypeId::kInt64, {1, 2}),
                                                          Column::FromInt64(TypeId::kInt64, {1})});
  EXPECT_THAT(ValidateResult(ragged), StatusIs(absl::StatusCode::kInternal));
}

TEST(ResultFormatTest, JsonWarningsFollowTheStats) {
  SqlResult result = Doubles({1.5});
  EXPECT_THAT(Encode(ResultFormat::kJson, result),
              ::testing::EndsWith(R"("row_groups_scanned":0}})"));
  result.warnings = {"partial result: ingester \"a\" unreachable", "second"};
  EXPECT_THAT(Encode(ResultFormat::kJson, result),
              ::testing::EndsWith(R"("row_groups_scanned":0},"warnings":[)"
                                  R"("partial result: ingester \"a\" unreachable","second"]})"));
}

TEST(ResultFormatTest, FormatNames) {
  EXPECT_EQ(ParseResultFormat("json"), ResultFormat::kJson);
  EXPECT_EQ(ParseResultFormat("CSV"), ResultFormat::kCsv);
  EXPECT_EQ(ParseResultFormat("Arrow"), ResultFormat::kArrow);
  EXPECT_EQ(ParseResultFormat("ndjson"), ResultFormat::kNdjson);
  EXPECT_EQ(ParseResultFormat("xml"), std::nullopt);
  EXPECT_EQ(ParseResultFormat(""), std::nullopt);
  EXPECT_EQ(ResultContentType(ResultFormat::kArrow), "application/vnd.apache.arrow.stream");
}

}  // namespace
}  // namespace cardinalsin::query
