#include "remote_write/encoder.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "model/sample_batch.h"

namespace cardinalsin::remote_write {
namespace {

using namespace std::string_literals;

// up{job="a"} 1 @ 1000 ms, with gauge metadata for `up`.
model::SampleBatch FixtureBatch() {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "up");
  batch.AddLabel("job", "a");
  batch.AddSample(1'000'000'000, 1.0);
  batch.metadata.push_back(
      {.metric_family = "up", .type = model::MetricType::kGauge, .help = "h", .unit = ""});
  return batch;
}

// Assembled by hand from the field numbers in the specifications.
const std::string kSampleBytes =
    "\x12\x0c"                              // samples, 12 bytes
    "\x09\x00\x00\x00\x00\x00\x00\xf0\x3f"  // value 1.0
    "\x10\xe8\x07"s;                        // timestamp 1000

TEST(EncodeV1, MatchesHandAssembledBytes) {
  std::string expected =
      "\x0a\x28"s                   // timeseries, 40 bytes
      "\x0a\x0e"                    // label, 14 bytes
      "\x0a\x08__name__\x12\x02up"  //
      "\x0a\x08"                    // label, 8 bytes
      "\x0a\x03job\x12\x01"         //
      "a" +
      kSampleBytes +                   //
      "\x1a\x09"                       // metadata, 9 bytes
      "\x08\x02\x12\x02up\x22\x01h"s;  // type gauge, family, help; no unit
  EXPECT_EQ(EncodeV1(FixtureBatch()), expected);
}

TEST(EncodeV2, MatchesHandAssembledBytes) {
  std::string expected =
      "\x22\x00"s                              // symbols[0] = ""
      "\x22\x08__name__\x22\x02up\x22\x03job"  //
      "\x22\x01"                               //
      "a\x22\x01h"                             // symbols 4, 5
      "\x2a\x1a"                               // timeseries, 26 bytes
      "\x0a\x04\x01\x02\x03\x04" +             // labels_refs, packed
      kSampleBytes +                           //
      "\x2a\x04\x08\x02\x18\x05"s;             // metadata: gauge, help_ref 5
  EXPECT_EQ(EncodeV2(FixtureBatch()), expected);
}

TEST(EncodeV1, OmitsDefaultsButKeepsNegativeZero) {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("", "");
  batch.AddSample(0, 0.0);
  batch.AddSample(-1, -0.0);  // -1 ns floors to -1 ms
  // -1 ms is a ten-byte varint, so the second sample is 9 + 11 = 20 bytes.
  std::string expected =
      "\x0a\x1a"s                                       // timeseries, 26 bytes
      "\x0a\x00"                                        // empty label
      "\x12\x00"                                        // sample with defaults only
      "\x12\x14\x09\x00\x00\x00\x00\x00\x00\x00\x80"    // value -0.0
      "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s;  // timestamp -1
  EXPECT_EQ(EncodeV1(batch), expected);
}

TEST(EncodeV2, SharesSymbolsAndSkipsMetadataOfOtherFamilies) {
  model::SampleBatch batch;
  for (int i = 0; i < 2; ++i) {
    batch.StartSeries();
    batch.AddLabel("__name__", "x");
    batch.AddLabel("x", "x");
  }
  batch.metadata.push_back({.metric_family = "other", .type = model::MetricType::kCounter});
  std::string expected =
      "\x22\x00\x22\x08__name__\x22\x01x"s  // symbols "", __name__, x
      "\x2a\x06\x0a\x04\x01\x02\x02\x02"    // series 1, no samples
      "\x2a\x06\x0a\x04\x01\x02\x02\x02"s;  // series 2
  EXPECT_EQ(EncodeV2(batch), expected);
}

}  // namespace
}  // namespace cardinalsin::remote_write
