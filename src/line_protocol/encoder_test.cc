#include "line_protocol/encoder.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "line_protocol/parser.h"
#include "model/sample_batch.h"

namespace cardinalsin::line_protocol {
namespace {

using ::testing::ElementsAre;

TEST(Encode, SplitsNamesAndEscapes) {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "cpu_usage_idle");
  batch.AddLabel("host", "a b,c=d\\");
  batch.AddLabel("empty", "");
  batch.AddSample(1'700'000'000'000'000'000, 92.5);
  batch.AddSample(-5, 0.1);
  batch.StartSeries();
  batch.AddLabel("__name__", "up");
  batch.AddSample(1, std::numeric_limits<double>::quiet_NaN());  // left out
  batch.AddSample(2, 1e300);
  batch.StartSeries();
  batch.AddLabel("__name__", "bad");
  batch.AddLabel("v", "line\nbreak");  // series left out
  batch.AddSample(1, 1);
  EXPECT_EQ(Encode(batch),
            "cpu_usage,host=a\\ b\\,c\\=d\\\\ idle=92.5 1700000000000000000\n"
            "cpu_usage,host=a\\ b\\,c\\=d\\\\ idle=0.1 -5\n"
            "up value=1e+300 2\n");
}

TEST(Encode, RoundTripsThroughParse) {
  model::SampleBatch in;
  const double values[] = {0,
                           -0.0,
                           1.5,
                           -2.25e-7,
                           123456789012345.0,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::denorm_min()};
  int64_t ts = std::numeric_limits<int64_t>::min();
  for (int s = 0; s < 3; ++s) {
    in.StartSeries();
    in.AddLabel("__name__", s == 0 ? "node_load1" : s == 1 ? "http requests,total_count" : "x_y_z");
    in.AddLabel("job", "node");
    in.AddLabel("path", "/a=b c,d");
    for (double v : values) in.AddSample(ts++, v);
  }
  std::string body = Encode(in);
  model::SampleBatch out;
  CS_ASSERT_OK(Parse(body, Precision::kNanoseconds, 0, &out));
  ASSERT_EQ(out.num_series(), in.num_samples());  // one series per line
  size_t line = 0;
  for (size_t s = 0; s < in.num_series(); ++s) {
    for (size_t i = 0; i < in.values(s).size(); ++i, ++line) {
      EXPECT_THAT(out.labels(line), ::testing::ElementsAreArray(in.labels(s))) << line;
      EXPECT_EQ(std::bit_cast<uint64_t>(out.values(line)[0]),
                std::bit_cast<uint64_t>(in.values(s)[i]))
          << line;
      EXPECT_EQ(out.timestamps_ns(line)[0], in.timestamps_ns(s)[i]) << line;
    }
  }
}

}  // namespace
}  // namespace cardinalsin::line_protocol
