#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <tuple>

#include "absl/strings/str_format.h"
#include "base/testing/status_matchers.h"
#include "io/in_memory_object_store.h"
#include "parquet/reader.h"
#include "parquet/writer.h"

namespace cardinalsin::parquet {
namespace {

using model::Column;
using model::Field;
using model::RecordBatch;
using model::Schema;
using model::StringVector;
using model::TypeId;

double StaleNaN() {
  const uint64_t bits = 0x7ff0000000000002ULL;
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

// A metrics-like batch: sorted series, 15 s timestamps, repeating labels, special values.
RecordBatch MetricsBatch(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> ts;
  StringVector names;
  std::vector<double> values;
  std::vector<uint64_t> ids;
  StringVector jobs;
  std::vector<uint8_t> job_valid;
  const double specials[] = {NAN, INFINITY, -INFINITY, -0.0, StaleNaN()};
  for (size_t i = 0; i < rows; ++i) {
    const size_t series = i / 60;
    ts.push_back(1'700'000'000'000'000'000 + static_cast<int64_t>(i % 60) * 15'000'000'000);
    names.Append("node_cpu_seconds_total_" + std::to_string(series % 3));
    values.push_back(i % 101 == 0 ? specials[i % 5] : static_cast<double>(rng() % 1000) / 4);
    ids.push_back(series * 0x9E3779B97F4A7C15ULL);
    const bool valid = series % 4 != 0;
    jobs.Append(valid ? (series % 2 ? "node" : "é中") : "");
    job_valid.push_back(valid ? 1 : 0);
  }
  std::vector<Column> columns = {Column::FromInt64(TypeId::kTimestampNs, ts),
                                 Column::FromStrings(names), Column::FromDouble(values),
                                 Column::FromUInt64(ids), Column::FromStrings(jobs)};
  columns[4].SetValidity(job_valid);
  return RecordBatch(model::MetricsSchema({"job"}), std::move(columns));
}

absl::StatusOr<RecordBatch> RoundTrip(const RecordBatch& batch, const WriterOptions& options,
                                      std::string* file_out = nullptr) {
  CS_ASSIGN_OR_RETURN(std::string file, WriteParquet(batch, options));
  MemoryByteSource source(file, "test.parquet");
  CS_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(source));
  CS_ASSIGN_OR_RETURN(RecordBatch back, reader->ReadAll());
  if (file_out != nullptr) *file_out = std::move(file);
  return back;
}

struct Variant {
  const char* name;
  WriterOptions options;
};

std::vector<Variant> Variants() {
  std::vector<Variant> v;
  v.push_back({"default", {}});
  WriterOptions o;
  o.page_version = DataPageVersion::kV1;
  v.push_back({"v1", o});
  o = {};
  o.compression = codec::Compression::kSnappy;
  v.push_back({"snappy", o});
  o = {};
  o.compression = codec::Compression::kNone;
  o.page_rows = 7;
  o.row_group_rows = 100;
  v.push_back({"tiny_pages_and_groups", o});
  o = {};
  o.column_encodings = {{"value", ColumnEncoding::kPlain},
                        {"timestamp", ColumnEncoding::kPlain},
                        {"job", ColumnEncoding::kPlain},
                        {"series_id", ColumnEncoding::kDeltaBinaryPacked}};
  v.push_back({"plain", o});
  o = {};
  o.column_encodings = {{"value", ColumnEncoding::kDictionary}};
  o.dictionary_page_limit = 64;  // Forces the fallback on most columns.
  v.push_back({"dictionary_fallback", o});
  o = {};
  o.bloom_filter_columns = {"job", "metric_name"};
  o.write_statistics = false;
  o.write_page_index = false;
  v.push_back({"bloom_no_stats", o});
  return v;
}

class WriterReaderTest : public ::testing::TestWithParam<Variant> {};

TEST_P(WriterReaderTest, MetricsRoundTripIsExact) {
  for (size_t rows : {size_t{1}, size_t{2}, size_t{59}, size_t{1000}, size_t{4321}}) {
    RecordBatch batch = MetricsBatch(rows, rows);
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, RoundTrip(batch, GetParam().options));
    EXPECT_TRUE(back.Equals(batch)) << GetParam().name << " rows=" << rows;
  }
}

INSTANTIATE_TEST_SUITE_P(Options, WriterReaderTest, ::testing::ValuesIn(Variants()),
                         [](const auto& info) { return std::string(info.param.name); });

// Pages of a column the codec cannot shrink (random ids, bit-packed) are stored uncompressed, and
// so are the column's later pages; a compressible column keeps the codec. Both read back exactly.
TEST(WriterReaderTest, IncompressiblePagesAreStoredUncompressed) {
  constexpr size_t kRows = 50'000;
  std::mt19937_64 random(7);
  std::vector<uint64_t> ids(kRows);
  for (uint64_t& id : ids) id = random();
  std::vector<double> values(kRows);
  for (size_t i = 0; i < kRows; ++i) values[i] = static_cast<double>(i % 7);
  RecordBatch batch(
      Schema({Field{"id", TypeId::kUInt64, false}, Field{"v", TypeId::kDouble, false}}),
      {Column::FromUInt64(ids), Column::FromDouble(values)});
  WriterOptions options;
  options.page_rows = 10'000;
  options.column_encodings = {{"id", ColumnEncoding::kDeltaBinaryPacked},
                              {"v", ColumnEncoding::kByteStreamSplit}};
  std::string file;
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, RoundTrip(batch, options, &file));
  EXPECT_TRUE(back.Equals(batch));

  MemoryByteSource source(file, "test.parquet");
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  for (size_t c = 0; c < 2; ++c) {
    const ColumnMetaData& meta = *reader->metadata().row_groups[0].columns[c].meta_data;
    size_t offset = static_cast<size_t>(meta.data_page_offset);
    size_t pages = 0, compressed_pages = 0;
    for (int64_t seen = 0; seen < meta.num_values; ++pages) {
      size_t header_size = 0;
      CS_ASSERT_OK_AND_ASSIGN(
          PageHeader page, DecodePageHeader(std::string_view(file).substr(offset), &header_size));
      ASSERT_TRUE(page.data_page_header_v2.has_value());
      compressed_pages += page.data_page_header_v2->is_compressed ? 1 : 0;
      seen += page.data_page_header_v2->num_values;
      offset += header_size + static_cast<size_t>(page.compressed_page_size);
    }
    EXPECT_EQ(pages, 5u);
    EXPECT_EQ(compressed_pages, c == 0 ? 0u : 5u) << "column " << c;
  }
}

TEST(WriterReaderTest, EmptyBatchKeepsSchema) {
  RecordBatch empty = MetricsBatch(0, 1);
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, RoundTrip(empty, {}));
  EXPECT_EQ(back.num_rows(), 0u);
  EXPECT_EQ(back.schema(), empty.schema());
}

TEST(WriterReaderTest, LabelColumnsComeBackDictionaryEncoded) {
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, RoundTrip(MetricsBatch(5000, 3), {}));
  EXPECT_TRUE(back.column(1).is_dictionary());  // metric_name
  EXPECT_TRUE(back.column(4).is_dictionary());  // job
}

TEST(WriterReaderTest, ProjectionAndRowGroups) {
  WriterOptions options;
  options.row_group_rows = 1000;
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(MetricsBatch(3500, 4), options));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  EXPECT_EQ(reader->num_row_groups(), 4);
  EXPECT_EQ(reader->num_rows(), 3500);
  EXPECT_EQ(reader->KeyValue("cardinalsin.chunk_format"), "1");
  const uint64_t calls_before = source.read_calls();
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch part, reader->ReadRowGroup(3, {"value", "timestamp"}));
  EXPECT_EQ(part.num_rows(), 500u);
  EXPECT_EQ(part.schema().field(0).name, "value");
  EXPECT_EQ(source.read_calls() - calls_before, 1u) << "adjacent columns are one coalesced read";
  EXPECT_THAT(reader->ReadRowGroup(0, {"nope"}),
              base::testing::StatusIs(absl::StatusCode::kNotFound));
}

TEST(WriterReaderTest, StatisticsAreInTheFooter) {
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(MetricsBatch(600, 5), {}));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  const ColumnMetaData& ts = *reader->metadata().row_groups[0].columns[0].meta_data;
  ASSERT_TRUE(ts.statistics.has_value());
  int64_t min, max;
  std::memcpy(&min, ts.statistics->min_value->data(), 8);
  std::memcpy(&max, ts.statistics->max_value->data(), 8);
  EXPECT_EQ(min, 1'700'000'000'000'000'000);
  EXPECT_EQ(max, 1'700'000'000'000'000'000 + 59 * 15'000'000'000LL);
  const ColumnChunk& job = reader->metadata().row_groups[0].columns[4];
  EXPECT_EQ(job.meta_data->statistics->null_count, 180);  // series 0, 4, 8 of 10 are null
  EXPECT_TRUE(job.column_index_offset.has_value());
  EXPECT_TRUE(job.offset_index_offset.has_value());
}

TEST(WriterReaderTest, StringStatisticsAreExactByteOrderBounds) {
  // Values that share long prefixes, embed zero bytes, are prefixes of each other or empty: the
  // cases where comparing 8-byte prefixes alone would decide wrongly. Rounds alternate between
  // plain and dictionary-encoded input columns (whose dictionary order is not row order), and
  // between the writer's own dictionary and forced PLAIN pages: each path gathers the values for
  // the statistics differently.
  std::mt19937_64 rng(11);
  const std::string alphabet("\0ab\xff", 4);
  for (int round = 0; round < 40; ++round) {
    std::vector<std::string> rows_values;
    std::string min, max;
    const size_t rows = 1 + rng() % 3000;
    for (size_t r = 0; r < rows; ++r) {
      std::string v = round % 2 ? "shared-prefix/" : "";
      const size_t length = rng() % 12;
      for (size_t i = 0; i < length; ++i) v += alphabet[rng() % alphabet.size()];
      if (r == 0 || v < min) min = v;
      if (r == 0 || v > max) max = v;
      rows_values.push_back(v);
    }
    auto make_column = [&]() {
      if (round % 4 < 2) {
        StringVector values;
        for (const std::string& v : rows_values) values.Append(v);
        return Column::FromStrings(std::move(values));
      }
      // A dictionary in reverse first-use order, so that row order reads it backwards.
      std::vector<std::string> distinct;
      std::vector<uint32_t> first_use_codes;
      for (const std::string& v : rows_values) {
        auto it = std::find(distinct.begin(), distinct.end(), v);
        first_use_codes.push_back(static_cast<uint32_t>(it - distinct.begin()));
        if (it == distinct.end()) distinct.push_back(v);
      }
      StringVector dictionary;
      for (auto it = distinct.rbegin(); it != distinct.rend(); ++it) dictionary.Append(*it);
      std::vector<uint32_t> codes;
      for (uint32_t code : first_use_codes) {
        codes.push_back(static_cast<uint32_t>(distinct.size() - 1 - code));
      }
      return Column::FromDictionary(std::move(dictionary), std::move(codes));
    };
    RecordBatch batch(Schema({Field{"s", TypeId::kString, false}}), {make_column()});
    WriterOptions options;
    options.page_rows = 100;
    if (round % 8 >= 4) options.column_encodings = {{"s", ColumnEncoding::kPlain}};
    CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
    MemoryByteSource source(file);
    CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
    const ColumnMetaData& meta = *reader->metadata().row_groups[0].columns[0].meta_data;
    ASSERT_TRUE(meta.statistics.has_value());
    EXPECT_EQ(*meta.statistics->min_value, min) << "round " << round;
    EXPECT_EQ(*meta.statistics->max_value, max) << "round " << round;
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, reader->ReadAll());
    ASSERT_EQ(back.num_rows(), rows);
    for (size_t r = 0; r < rows; ++r) {
      ASSERT_EQ(back.column(0).StringAt(r), rows_values[r]) << "round " << round << " row " << r;
    }
  }
}

TEST(WriterReaderTest, RandomBatchesRoundTrip) {
  std::mt19937_64 rng(99);
  for (int iteration = 0; iteration < 40; ++iteration) {
    const size_t rows = rng() % 3000;
    std::vector<Field> fields = {{"b", TypeId::kBool, true},    {"i", TypeId::kInt64, true},
                                 {"u", TypeId::kUInt64, false}, {"d", TypeId::kDouble, true},
                                 {"s", TypeId::kString, true},  {"t", TypeId::kTimestampNs, false}};
    std::vector<uint8_t> bools;
    std::vector<int64_t> ints, times;
    std::vector<uint64_t> uints;
    std::vector<double> doubles;
    StringVector strings;
    for (size_t r = 0; r < rows; ++r) {
      bools.push_back(rng() % 2);
      ints.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
      uints.push_back(rng() >> (rng() % 64));
      uint64_t bits = rng();
      double d;
      std::memcpy(&d, &bits, 8);
      doubles.push_back(rng() % 3 == 0 ? d : static_cast<double>(rng() % 10));
      strings.Append(std::string(rng() % 40, static_cast<char>('a' + rng() % 26)));
      times.push_back(static_cast<int64_t>(rng() % 1'000'000'000'000));
    }
    std::vector<Column> columns = {
        Column::FromBool(bools),      Column::FromInt64(TypeId::kInt64, ints),
        Column::FromUInt64(uints),    Column::FromDouble(doubles),
        Column::FromStrings(strings), Column::FromInt64(TypeId::kTimestampNs, times)};
    for (size_t c : {size_t{0}, size_t{1}, size_t{3}, size_t{4}}) {
      if (rng() % 2) continue;
      std::vector<uint8_t> valid(rows);
      for (uint8_t& v : valid) v = rng() % 5 != 0;
      columns[c].SetValidity(valid);
    }
    RecordBatch batch(Schema(fields), columns);
    WriterOptions options = Variants()[rng() % Variants().size()].options;
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, RoundTrip(batch, options));
    ASSERT_TRUE(back.Equals(batch)) << "iteration " << iteration;
  }
}

TEST(WriterReaderTest, CorruptAndTruncatedFilesGiveErrorsNotCrashes) {
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(MetricsBatch(300, 6), {}));
  auto read_all = [](const std::string& bytes) -> absl::Status {
    MemoryByteSource source(bytes, "bad.parquet");
    CS_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(source));
    return reader->ReadAll().status();
  };
  for (size_t cut = 0; cut < file.size(); cut += std::max<size_t>(1, file.size() / 400)) {
    absl::Status status = read_all(file.substr(0, cut));
    EXPECT_FALSE(status.ok()) << "truncated at " << cut;
    EXPECT_NE(status.message().find("bad.parquet"), std::string::npos) << status;
  }
  std::mt19937_64 rng(7);
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = file;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      mutated[rng() % mutated.size()] ^= static_cast<char>(1 + rng() % 255);
    if (!read_all(mutated).ok()) ++errors;  // Must not crash; some flips land in unused bytes.
  }
  EXPECT_GT(errors, 100);
}

TEST(WriterReaderTest, AllNullStringChunkInOneRowGroup) {
  // Row group 0 of "job" is entirely null, so its dictionary page is empty.
  StringVector jobs;
  std::vector<uint8_t> valid;
  for (int i = 0; i < 20; ++i) {
    jobs.Append(i < 10 ? "" : "api");
    valid.push_back(i < 10 ? 0 : 1);
  }
  Column job = Column::FromStrings(jobs);
  job.SetValidity(valid);
  RecordBatch batch(Schema({{"job", TypeId::kString, true}}), {job});
  WriterOptions options;
  options.row_group_rows = 10;
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch back, RoundTrip(batch, options));
  CS_EXPECT_OK(back.Validate());
  EXPECT_TRUE(back.Equals(batch));
}

// Inputs the fuzzers (test/fuzz) found crashing the reader: each must now give an error naming the
// file (a 16 GB allocation from a page header, signed overflow scaling out-of-range timestamps).
TEST(FuzzRegressionTest, SavedCrashInputsGiveErrors) {
  const std::filesystem::path dir =
      std::filesystem::path(__FILE__).parent_path() / "../../test/fuzz/crashes/parquet_reader";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    MemoryByteSource source(bytes, entry.path().filename().string());
    absl::Status status = [&]() -> absl::Status {
      CS_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(source));
      return reader->ReadAll().status();
    }();
    EXPECT_FALSE(status.ok()) << entry.path();
    EXPECT_NE(status.message().find(entry.path().filename().string()), std::string::npos) << status;
    ++files;
  }
  EXPECT_GE(files, 5);
}

TEST(WriterReaderTest, RejectsMismatchedBatch) {
  ParquetWriter writer(model::MetricsSchema({}), {});
  EXPECT_THAT(writer.Write(MetricsBatch(3, 1)),
              base::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cardinalsin::parquet

namespace cardinalsin::parquet {
namespace {

// Rows of `batch` satisfying every predicate exactly (the reference the pruned scans must match).
std::vector<uint32_t> Matching(const RecordBatch& batch,
                               const std::vector<ColumnPredicate>& preds) {
  std::vector<uint32_t> rows;
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    bool ok = true;
    for (const ColumnPredicate& p : preds) {
      const size_t c = *batch.schema().IndexOf(p.column);
      const Column& col = batch.column(c);
      if (!col.IsValid(r)) {
        ok = false;
        break;
      }
      ColumnPredicate::Value v;
      switch (col.type()) {
        case TypeId::kString:
          v = std::string(col.StringAt(r));
          break;
        case TypeId::kUInt64:
          v = col.uint64s()[r];
          break;
        case TypeId::kDouble:
          v = col.doubles()[r];
          break;
        default:
          v = col.int64s()[r];
          break;
      }
      if (p.min && v < *p.min) ok = false;
      if (p.max && *p.max < v) ok = false;
      if (!p.any_of.empty() && std::find(p.any_of.begin(), p.any_of.end(), v) == p.any_of.end()) {
        ok = false;
      }
    }
    if (ok) rows.push_back(static_cast<uint32_t>(r));
  }
  return rows;
}

TEST(PruningTest, MetricAndTimePredicatesSkipRowGroupsAndPages) {
  // Sorted by (metric_name, series_id, timestamp) as a flush writes it: 3 names, 10k rows each.
  RecordBatch unsorted = MetricsBatch(30'000, 11);
  std::vector<uint32_t> order(unsorted.num_rows());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return std::tuple(unsorted.column(1).StringAt(a), unsorted.column(3).uint64s()[a]) <
           std::tuple(unsorted.column(1).StringAt(b), unsorted.column(3).uint64s()[b]);
  });
  RecordBatch batch = unsorted.Take(order);
  WriterOptions options;
  options.row_group_rows = 5'000;
  options.page_rows = 500;
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));

  const std::vector<ColumnPredicate> preds = {
      {.column = "metric_name", .any_of = {std::string("node_cpu_seconds_total_1")}},
      {.column = "series_id", .min = uint64_t{0}, .max = uint64_t{175} * 0x9E3779B97F4A7C15ULL}};
  ScanStats stats;
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch got, reader->Scan({}, preds, &stats));
  EXPECT_EQ(stats.row_groups_total, 6);
  EXPECT_GE(stats.row_groups_pruned_by_statistics, 4);
  EXPECT_LT(stats.pages_read, stats.pages_total);
  // Exactly the matching rows survive an exact filter of what the pruned scan returned.
  RecordBatch expected = batch.Take(Matching(batch, preds));
  RecordBatch filtered = got.Take(Matching(got, preds));
  EXPECT_GT(expected.num_rows(), 0u);
  EXPECT_TRUE(filtered.Equals(expected));
  EXPECT_LT(got.num_rows(), batch.num_rows() / 5);
}

TEST(PruningTest, BloomFilterPrunesWhatStatisticsCannot) {
  WriterOptions options;
  options.row_group_rows = 1'000;
  options.bloom_filter_columns = {"job"};
  RecordBatch batch = MetricsBatch(4'000, 12);
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  // "nonexistent" sorts between "node" and "é中", so min/max statistics cannot exclude it.
  ScanStats stats;
  CS_ASSERT_OK_AND_ASSIGN(
      RecordBatch got,
      reader->Scan({"job"}, {{.column = "job", .any_of = {std::string("nonexistent")}}}, &stats));
  EXPECT_EQ(got.num_rows(), 0u);
  EXPECT_EQ(stats.row_groups_pruned_by_bloom_filter, 4);
  ScanStats hit;
  CS_ASSERT_OK_AND_ASSIGN(
      got, reader->Scan({"job"}, {{.column = "job", .any_of = {std::string("node")}}}, &hit));
  EXPECT_EQ(hit.row_groups_pruned_by_bloom_filter, 0);
  EXPECT_GT(got.num_rows(), 0u);
}

TEST(PruningTest, RandomPredicatesNeverLoseRows) {
  std::mt19937_64 rng(5);
  RecordBatch batch = MetricsBatch(12'000, 13);
  WriterOptions options;
  options.row_group_rows = 2'500;
  options.page_rows = 300;
  options.bloom_filter_columns = {"job", "metric_name"};
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  const int64_t t0 = 1'700'000'000'000'000'000;
  for (int i = 0; i < 200; ++i) {
    std::vector<ColumnPredicate> preds;
    if (rng() % 2) {
      const int64_t a = t0 + static_cast<int64_t>(rng() % 60) * 15'000'000'000;
      preds.push_back({.column = "timestamp",
                       .min = a,
                       .max = a + static_cast<int64_t>(rng() % 20) * 15'000'000'000});
    }
    if (rng() % 2) {
      preds.push_back(
          {.column = "metric_name",
           .any_of = {std::string("node_cpu_seconds_total_") + std::to_string(rng() % 4)}});
    }
    if (rng() % 3 == 0) {
      preds.push_back({.column = "job", .any_of = {std::string(rng() % 2 ? "node" : "absent")}});
    }
    if (rng() % 3 == 0) preds.push_back({.column = "value", .min = 100.0, .max = 150.0});
    ScanStats stats;
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch got, reader->Scan({}, preds, &stats));
    RecordBatch expected = batch.Take(Matching(batch, preds));
    ASSERT_TRUE(got.Take(Matching(got, preds)).Equals(expected)) << "iteration " << i;
  }
}

using base::testing::StatusIs;
using ::testing::HasSubstr;

// The rows of row group `g` of `batch` (written with `row_group_rows`).
RecordBatch RowGroupRows(const RecordBatch& batch, size_t row_group_rows, int g) {
  std::vector<uint32_t> rows;
  for (size_t r = g * row_group_rows; r < std::min(batch.num_rows(), (g + 1) * row_group_rows);
       ++r) {
    rows.push_back(static_cast<uint32_t>(r));
  }
  return batch.Take(rows);
}

RecordBatch Project(const RecordBatch& batch, const std::vector<std::string>& columns) {
  std::vector<Field> fields;
  std::vector<Column> out;
  for (const std::string& name : columns) {
    const size_t c = *batch.schema().IndexOf(name);
    fields.push_back(batch.schema().field(c));
    out.push_back(batch.column(c));
  }
  return RecordBatch(Schema(std::move(fields)), std::move(out));
}

// Late materialization returns exactly the filter's rows, whatever the encodings, page sizes,
// page pruning and selection shape (single rows, runs across page boundaries, nothing, all).
TEST_P(WriterReaderTest, FilteredReadsReturnExactlyTheKeptRows) {
  WriterOptions options = GetParam().options;
  options.row_group_rows = std::min<size_t>(options.row_group_rows, 1'000);
  options.page_rows = std::min<size_t>(options.page_rows, 97);
  RecordBatch batch = MetricsBatch(2'500, 21);
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  const std::vector<std::string> columns = {"value", "job", "timestamp", "series_id",
                                            "metric_name"};
  const int64_t t0 = 1'700'000'000'000'000'000;
  struct Case {
    const char* name;
    std::vector<ColumnPredicate> predicates;  // pruning hints and, exactly, the filter
    std::vector<std::string> filter_columns;
    int every;  // with no predicates: keep every `every`-th row in runs of `every` / 3 (0: none)
  };
  const std::vector<Case> cases = {
      {"time window", {{.column = "timestamp", .min = t0 + 40 * 15'000'000'000LL}}, {"timestamp"}},
      {"metric",
       {{.column = "metric_name", .any_of = {std::string("node_cpu_seconds_total_2")}}},
       {"metric_name"}},
      {"job and time",
       {{.column = "job", .any_of = {std::string("node")}},
        {.column = "timestamp", .max = t0 + 20 * 15'000'000'000LL}},
       {"job", "timestamp"}},
      {"nothing matches",
       {{.column = "metric_name", .any_of = {std::string("nope")}}},
       {"metric_name"}},
      {"sparse runs", {}, {"series_id"}, 10},
      {"short runs", {}, {"job"}, 3},
      {"none kept", {}, {"timestamp"}, 0},
      {"all kept", {}, {"timestamp", "job"}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      const RecordBatch rows = RowGroupRows(batch, options.row_group_rows, g);
      std::vector<uint32_t> want;
      if (!c.predicates.empty()) {
        want = Matching(rows, c.predicates);
      } else if (c.every > 0) {
        for (uint32_t r = 0; r < rows.num_rows(); ++r) {
          if (r % c.every <= static_cast<uint32_t>(c.every / 3)) want.push_back(r);
        }
      }
      const auto filter = [&](const RecordBatch& f) -> absl::StatusOr<std::vector<uint32_t>> {
        EXPECT_EQ(f.num_columns(), c.filter_columns.size());
        if (!c.predicates.empty()) return Matching(f, c.predicates);
        EXPECT_EQ(f.num_rows(), rows.num_rows());  // nothing to prune pages with
        return want;
      };
      ScanStats stats;
      CS_ASSERT_OK_AND_ASSIGN(
          RecordBatch got,
          reader->ReadRowGroupFiltered(g, columns, c.predicates, c.filter_columns, filter, &stats));
      EXPECT_TRUE(got.Equals(Project(rows.Take(want), columns))) << "row group " << g;
      EXPECT_EQ(stats.row_groups_read, 1);
      EXPECT_LE(stats.pages_read, stats.pages_total);
    }
  }
}

TEST(FilteredReadTest, OtherColumnsAreReadOnlyFromPagesWithKeptRows) {
  WriterOptions options;
  options.page_rows = 100;
  RecordBatch batch = MetricsBatch(2'000, 22);
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
  MemoryByteSource source(file);
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  // Rows 150..249 straddle the second and third page of every column.
  const auto filter = [](const RecordBatch& f) -> absl::StatusOr<std::vector<uint32_t>> {
    std::vector<uint32_t> rows;
    for (uint32_t r = 150; r < 250 && r < f.num_rows(); ++r) rows.push_back(r);
    return rows;
  };
  ScanStats stats;
  CS_ASSERT_OK_AND_ASSIGN(
      RecordBatch got,
      reader->ReadRowGroupFiltered(0, {"value", "timestamp"}, {}, {"series_id"}, filter, &stats));
  EXPECT_EQ(got.num_rows(), 100u);
  EXPECT_EQ(stats.rows_read, 2'000);  // the filter saw every row
  EXPECT_EQ(stats.pages_total, 60);   // 3 columns x 20 pages
  EXPECT_EQ(stats.pages_read, 20 + 2 + 2);
  EXPECT_EQ(got.column(0).doubles()[0], batch.column(2).doubles()[150]);
}

// Encodings of the value column and of timestamp and series_id that the row-selecting reads are
// tested with: each decoder path that can keep only some rows of a page.
const std::pair<ColumnEncoding, ColumnEncoding> kRequiredColumnEncodings[] = {
    {ColumnEncoding::kPlain, ColumnEncoding::kPlain},
    {ColumnEncoding::kByteStreamSplit, ColumnEncoding::kDeltaBinaryPacked},
    {ColumnEncoding::kDictionary, ColumnEncoding::kDictionary},
    {ColumnEncoding::kAuto, ColumnEncoding::kAuto},
};

// Kept rows are assembled inside the decoder for each value encoding of a required column.
TEST(FilteredReadTest, EveryEncodingKeepsTheRightRows) {
  RecordBatch batch = MetricsBatch(3'000, 24);
  for (const auto& [value, other] : kRequiredColumnEncodings) {
    WriterOptions options;
    options.page_rows = 128;
    options.column_encodings = {{"value", value}, {"timestamp", other}, {"series_id", other}};
    CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
    MemoryByteSource source(file);
    CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
    // Runs of 5 every 37 rows, some crossing page boundaries, plus the last row.
    std::vector<uint32_t> want;
    for (uint32_t r = 0; r < batch.num_rows(); ++r) {
      if (r % 37 < 5 || r + 1 == batch.num_rows()) want.push_back(r);
    }
    const auto filter = [&](const RecordBatch&) -> absl::StatusOr<std::vector<uint32_t>> {
      return want;
    };
    const std::vector<std::string> columns = {"value", "timestamp", "series_id", "metric_name"};
    CS_ASSERT_OK_AND_ASSIGN(RecordBatch got,
                            reader->ReadRowGroupFiltered(0, columns, {}, {"job"}, filter));
    EXPECT_TRUE(got.Equals(Project(batch.Take(want), columns)))
        << static_cast<int>(value) << " " << static_cast<int>(other);
  }
}

// Sparse row reads keep whole decoded pages in a PageCache and take them from there next time,
// for every value encoding; dense reads neither use nor fill it.
TEST(PageCacheTest, SparseReadsDecodeEachPageOnce) {
  RecordBatch batch = MetricsBatch(3'000, 25);
  for (const auto& [value, other] : kRequiredColumnEncodings) {
    SCOPED_TRACE(
        absl::StrFormat("encodings %d %d", static_cast<int>(value), static_cast<int>(other)));
    WriterOptions options;
    options.page_rows = 128;
    options.column_encodings = {{"value", value}, {"timestamp", other}, {"series_id", other}};
    CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, options));
    MemoryByteSource source(file);
    PageCache cache(64 << 20);
    // Runs of 5 every 37 rows (some crossing page boundaries) and the last row: under a
    // quarter of the rows of the pages they touch.
    std::vector<std::pair<int64_t, int64_t>> ranges;
    std::vector<uint32_t> want;
    for (int64_t r = 0; r < 3'000; r += 37) ranges.push_back({r, std::min<int64_t>(r + 5, 2'999)});
    ranges.push_back({2'999, 3'000});
    for (const auto& [lo, hi] : ranges) {
      for (int64_t r = lo; r < hi; ++r) want.push_back(static_cast<uint32_t>(r));
    }
    const std::vector<std::string> columns = {"value", "timestamp", "series_id", "metric_name"};
    const RecordBatch expected = Project(batch.Take(want), columns);
    // Pages of the three fixed-width columns; metric_name (strings) never uses the cache.
    const int64_t cacheable_pages = 3 * ((3'000 + 127) / 128);
    for (int round = 0; round < 3; ++round) {
      // A new reader each round, as each scan opens its own: the cache is what they share.
      CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
      reader->UsePageCache(&cache, "file-a");
      ScanStats stats;
      CS_ASSERT_OK_AND_ASSIGN(RecordBatch got,
                              reader->ReadRowGroupRows(0, columns, ranges, &stats));
      EXPECT_TRUE(got.Equals(expected)) << "round " << round;
      EXPECT_EQ(stats.pages_from_cache, round == 0 ? 0 : cacheable_pages) << "round " << round;
    }
    // Pages and offset indexes cached: reading the fixed-width columns again reads no bytes.
    {
      CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
      reader->UsePageCache(&cache, "file-a");
      const uint64_t calls = source.read_calls();
      CS_ASSERT_OK_AND_ASSIGN(RecordBatch got,
                              reader->ReadRowGroupRows(0, {"timestamp", "value"}, ranges));
      EXPECT_TRUE(got.Equals(Project(expected, {"timestamp", "value"})));
      EXPECT_EQ(source.read_calls(), calls);
    }
    // The same reads through a cache that cannot hold a page decode every time.
    PageCache tiny(100);
    CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
    reader->UsePageCache(&tiny, "file-a");
    for (int round = 0; round < 2; ++round) {
      ScanStats stats;
      CS_ASSERT_OK_AND_ASSIGN(RecordBatch got,
                              reader->ReadRowGroupRows(0, columns, ranges, &stats));
      EXPECT_TRUE(got.Equals(expected));
      EXPECT_EQ(stats.pages_from_cache, 0);
    }
    // Dense: every other row of the first 1,000. Decoded as before, the cache left alone.
    PageCache untouched(64 << 20);
    reader->UsePageCache(&untouched, "file-a");
    std::vector<std::pair<int64_t, int64_t>> dense;
    std::vector<uint32_t> dense_rows;
    for (int64_t r = 0; r < 1'000; r += 2) {
      dense.push_back({r, r + 1});
      dense_rows.push_back(static_cast<uint32_t>(r));
    }
    for (int round = 0; round < 2; ++round) {
      ScanStats stats;
      CS_ASSERT_OK_AND_ASSIGN(RecordBatch got, reader->ReadRowGroupRows(0, columns, dense, &stats));
      EXPECT_TRUE(got.Equals(Project(batch.Take(dense_rows), columns)));
      EXPECT_EQ(stats.pages_from_cache, 0);
    }
  }
}

TEST(FilteredReadTest, BadFiltersAreErrors) {
  RecordBatch batch = MetricsBatch(300, 23);
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(batch, {}));
  MemoryByteSource source(file, "f.parquet");
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  const auto positions = [](std::vector<uint32_t> rows) {
    return [rows](const RecordBatch&) -> absl::StatusOr<std::vector<uint32_t>> { return rows; };
  };
  EXPECT_THAT(reader->ReadRowGroupFiltered(0, {"value"}, {}, {"timestamp"}, positions({2, 1})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ascend")));
  EXPECT_THAT(reader->ReadRowGroupFiltered(0, {"value"}, {}, {"timestamp"}, positions({1, 1})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->ReadRowGroupFiltered(0, {"value"}, {}, {"timestamp"}, positions({300})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f.parquet")));
  EXPECT_THAT(reader->ReadRowGroupFiltered(0, {"value"}, {}, {}, positions({})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter column")));
  EXPECT_THAT(reader->ReadRowGroupFiltered(0, {"value"}, {}, {"nope"}, positions({})),
              StatusIs(absl::StatusCode::kNotFound));
  const auto failing = [](const RecordBatch&) -> absl::StatusOr<std::vector<uint32_t>> {
    return absl::DataLossError("bad column");
  };
  EXPECT_THAT(reader->ReadRowGroupFiltered(0, {"value"}, {}, {"timestamp"}, failing),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("bad column")));
}

}  // namespace
}  // namespace cardinalsin::parquet

namespace cardinalsin::parquet {
namespace {

// Reads a chunk straight from an object store: one ranged GET for the footer, then one coalesced
// ranged GET for the projected columns of a row group (never the whole object).
TEST(ObjectByteSourceTest, ReadsChunksWithFewRangedGets) {
  io::InMemoryObjectStore store;
  WriterOptions options;
  options.row_group_rows = 2'000;
  CS_ASSERT_OK_AND_ASSIGN(std::string file, WriteParquet(MetricsBatch(6'000, 21), options));
  CS_ASSERT_OK(store.Put("t/data/chunk.parquet", file).status());
  ObjectByteSource source(store, "t/data/chunk.parquet", file.size());
  CS_ASSERT_OK_AND_ASSIGN(auto reader, ParquetReader::Open(source));
  EXPECT_EQ(source.read_calls(), 1u);
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch part, reader->ReadRowGroup(1, {"timestamp", "value"}));
  EXPECT_EQ(part.num_rows(), 2'000u);
  EXPECT_EQ(source.read_calls(), 2u);
  CS_ASSERT_OK_AND_ASSIGN(RecordBatch all, reader->ReadAll());
  EXPECT_TRUE(all.Equals(MetricsBatch(6'000, 21)));

  // A source that claims more bytes than the object holds reports data loss, naming the key.
  ObjectByteSource wrong(store, "t/data/chunk.parquet", file.size() + 100);
  absl::Status status = ParquetReader::Open(wrong).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("t/data/chunk.parquet"), std::string::npos) << status;
}

}  // namespace
}  // namespace cardinalsin::parquet
