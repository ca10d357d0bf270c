#include "ingest/chunk_builder.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "base/testing/status_matchers.h"
#include "ingest/series_buffer.h"
#include "model/labels.h"
#include "model/types.h"

namespace cardinalsin::ingest {
namespace {

// A buffer of `num_series` series with `rows_per_series` samples each; every series has a unique
// request_id and a pod shared by 10 series.
model::RecordBatch Rows(int num_series, int rows_per_series, std::deque<std::string>& storage) {
  SeriesBuffer buffer;
  for (int i = 0; i < num_series; ++i) {
    ValidatedSeries s;
    s.labels = {{"__name__", "m"},
                {"pod", storage.emplace_back("pod-" + std::to_string(i / 10))},
                {"request_id", storage.emplace_back("request-" + std::to_string(i))}};
    model::SortLabels(s.labels);
    s.id = model::ComputeSeriesId(s.labels);
    for (int k = 0; k < rows_per_series; ++k) {
      s.timestamps_ns.push_back(1'000 + k);
      s.values.push_back(k);
    }
    buffer.Append(s, 1, absl::FromUnixSeconds(1));
  }
  return buffer.ToRecordBatch();
}

// BuildChunk names the encodings of high-cardinality columns up front so that the writer skips
// its dictionary attempts; the file must be byte for byte what the writer picks by itself.
TEST(BuildChunkTest, EncodingChoicesMatchTheWriters) {
  struct Case {
    int series;
    int rows_per_series;
    size_t dictionary_page_limit;
    size_t row_group_rows;
  };
  const Case cases[] = {
      {100, 50, 1 << 20, 1 << 20},  // few series: dictionaries everywhere
      {5000, 1, 1 << 20, 1 << 20},  // a series per row: series ids delta-encoded
      {5000, 1, 4096, 1 << 20},     // request_id and pod dictionaries over the limit
      {5000, 1, 4096, 1000},        // several row groups: left to the writer
      {2000, 3, 30'000, 1 << 20},   // request_id over the limit, pod under it
  };
  for (const Case& c : cases) {
    std::deque<std::string> storage;
    const model::RecordBatch rows = Rows(c.series, c.rows_per_series, storage);
    parquet::WriterOptions options = DefaultChunkOptions();
    options.dictionary_page_limit = c.dictionary_page_limit;
    options.row_group_rows = c.row_group_rows;
    base::SeededRandom random(1);
    CS_ASSERT_OK_AND_ASSIGN(BuiltChunk chunk,
                            BuildChunk("t", rows, options, absl::FromUnixSeconds(10), random));
    CS_ASSERT_OK_AND_ASSIGN(std::string expected, parquet::WriteParquet(rows, options));
    EXPECT_EQ(chunk.bytes, expected) << c.series << " series, limit " << c.dictionary_page_limit;
    EXPECT_EQ(chunk.summary.series_count, static_cast<uint64_t>(c.series));
    EXPECT_EQ(chunk.summary.row_count, static_cast<uint64_t>(c.series * c.rows_per_series));
    EXPECT_EQ(chunk.summary.labels.at("request_id").min, "request-0");
  }
}

}  // namespace
}  // namespace cardinalsin::ingest
