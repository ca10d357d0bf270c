#include "ingest/series_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/labels.h"

namespace cardinalsin::ingest {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

struct Case {
  std::string name;
  std::vector<model::Label> labels;
  std::string error;  // empty = accepted
};

TEST(SeriesValidationTest, RejectsBadSeriesOneByOne) {
  std::string long_value(5000, 'x');
  std::vector<Case> cases = {
      {"ok", {{"__name__", "up"}, {"job", "a"}}, ""},
      {"empty value dropped", {{"__name__", "up"}, {"job", ""}}, ""},
      {"no name", {{"job", "a"}}, "missing metric name"},
      {"empty name", {{"__name__", ""}}, "missing metric name"},
      {"duplicate", {{"__name__", "up"}, {"a", "1"}, {"a", "2"}}, "duplicate label name \"a\""},
      {"reserved", {{"__name__", "up"}, {"timestamp", "1"}}, "reserved"},
      {"reserved value", {{"__name__", "up"}, {"value", "1"}}, "reserved"},
      {"empty label name", {{"__name__", "up"}, {"", "1"}}, "empty label name"},
      {"bad utf8", {{"__name__", "up"}, {"a", "\xff"}}, "UTF-8"},
      {"long value", {{"__name__", "up"}, {"a", long_value}}, "over the limit of 4096"},
  };
  model::SampleBatch batch;
  for (const Case& c : cases) {
    batch.StartSeries();
    for (const model::Label& l : c.labels) batch.AddLabel(l.name, l.value);
    batch.AddSample(kNow, 1.0);
  }
  ValidatedBatch out;
  Limits limits;
  ValidateBatch(batch, limits, absl::FromUnixNanos(kNow), &out);
  size_t accepted = 0, rejected = 0;
  for (const Case& c : cases) (c.error.empty() ? accepted : rejected)++;
  EXPECT_EQ(out.series.size(), accepted);
  EXPECT_EQ(out.rejected_series, rejected);
  EXPECT_EQ(out.rejected_samples, rejected);
  EXPECT_EQ(out.accepted_samples, accepted);
  ASSERT_EQ(out.reasons.size(), rejected);
  size_t r = 0;
  for (const Case& c : cases) {
    if (!c.error.empty()) {
      EXPECT_THAT(out.reasons[r++], HasSubstr(c.error)) << c.name;
    }
  }
  // The accepted series are sorted, without empty values, with their id.
  ASSERT_EQ(out.series[1].labels.size(), 1u);
  EXPECT_EQ(out.series[1].id, model::ComputeSeriesId(out.series[1].labels));
  EXPECT_EQ(out.series[0].labels[0].name, "__name__");
}

TEST(SeriesValidationTest, TooManyLabels) {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "m");
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) names.push_back("l" + std::to_string(i));
  for (const std::string& n : names) batch.AddLabel(n, "v");
  batch.AddSample(kNow, 1);
  Limits limits;
  limits.max_labels_per_series = 3;
  ValidatedBatch out;
  ValidateBatch(batch, limits, absl::FromUnixNanos(kNow), &out);
  EXPECT_EQ(out.rejected_series, 1u);
  EXPECT_THAT(out.reasons.at(0), HasSubstr("4 labels exceed the limit of 3"));
}

TEST(SeriesValidationTest, SampleAgeBoundsDropSamplesNotSeries) {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "m");
  batch.AddSample(kNow - absl::ToInt64Nanoseconds(absl::Hours(24 * 8)), 1);  // too old
  batch.AddSample(kNow, 2);
  batch.AddSample(kNow + absl::ToInt64Nanoseconds(absl::Hours(2)), 3);  // too far ahead
  batch.StartSeries();
  batch.AddLabel("__name__", "old");
  batch.AddSample(0, 1);
  batch.StartSeries();  // no samples: skipped, not an error
  batch.AddLabel("__name__", "empty");
  ValidatedBatch out;
  ValidateBatch(batch, Limits(), absl::FromUnixNanos(kNow), &out);
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].values, std::vector<double>{2});
  EXPECT_EQ(out.accepted_samples, 1u);
  EXPECT_EQ(out.rejected_samples, 3u);
  EXPECT_EQ(out.rejected_series, 1u);
  EXPECT_THAT(out.reasons.at(0), HasSubstr("outside the accepted time range"));
  EXPECT_THAT(out.reasons.at(1), HasSubstr("1970-01-01T00:00:00"));
}

TEST(SeriesValidationTest, DecoderRejectionsAreCounted) {
  model::SampleBatch batch;
  batch.Reject(5, "delta temporality is not supported");
  ValidatedBatch out;
  ValidateBatch(batch, Limits(), absl::FromUnixNanos(kNow), &out);
  EXPECT_EQ(out.rejected_samples, 5u);
  EXPECT_THAT(out.reasons, ::testing::ElementsAre(HasSubstr("delta")));
}

}  // namespace
}  // namespace cardinalsin::ingest
