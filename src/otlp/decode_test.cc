#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/sample_batch.h"
#include "otlp/naming.h"
#include "otlp/otlp.h"

namespace cardinalsin::otlp {
namespace {

using ::testing::ElementsAre;

std::string SeriesText(const model::SampleBatch& batch, size_t series) {
  std::string text;
  for (const model::Label& label : batch.labels(series)) {
    text += std::string(label.name) + "=" + std::string(label.value) + " ";
  }
  return text;
}

TEST(EncodeGaugeRequestTest, RoundTripsThroughTheDecoder) {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "up");
  batch.AddLabel("job", "api");
  batch.AddLabel("zone", "a");
  batch.AddSample(1'700'000'000'000'000'000, 1.0);
  batch.AddSample(1'700'000'000'100'000'000, 0.5);
  batch.StartSeries();
  batch.AddLabel("__name__", "temperature");
  batch.AddSample(1'700'000'000'000'000'001, -3.25);

  std::string request = EncodeGaugeRequest(batch, "loadgen");
  model::SampleBatch decoded;
  CS_ASSERT_OK(DecodeExportRequest(request, &decoded));
  ASSERT_EQ(decoded.num_series(), 2u);
  // `job` is set from service.name and overrides the point's attribute.
  EXPECT_EQ(SeriesText(decoded, 0), "__name__=up job=loadgen service_name=loadgen zone=a ");
  EXPECT_THAT(decoded.timestamps_ns(0), ElementsAre(1'700'000'000'000'000'000, 1'700'000'000'100'000'000));
  EXPECT_THAT(decoded.values(0), ElementsAre(1.0, 0.5));
  EXPECT_EQ(SeriesText(decoded, 1), "__name__=temperature job=loadgen service_name=loadgen ");
  EXPECT_THAT(decoded.values(1), ElementsAre(-3.25));
  EXPECT_EQ(decoded.rejected_samples(), 0u);
  ASSERT_EQ(decoded.metadata.size(), 2u);
  EXPECT_EQ(decoded.metadata[0].metric_family, "up");
  EXPECT_EQ(decoded.metadata[0].type, model::MetricType::kGauge);
}

TEST(EncodeGaugeRequestTest, WithoutServiceNameHasNoResourceLabels) {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "x");
  batch.AddSample(5, 2);
  std::string request = EncodeGaugeRequest(batch);  // outlives `decoded`, which views into it
  model::SampleBatch decoded;
  CS_ASSERT_OK(DecodeExportRequest(request, &decoded));
  ASSERT_EQ(decoded.num_series(), 1u);
  EXPECT_EQ(SeriesText(decoded, 0), "__name__=x ");
}

}  // namespace
}  // namespace cardinalsin::otlp
