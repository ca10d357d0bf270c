#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
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
  EXPECT_THAT(decoded.timestamps_ns(0),
              ElementsAre(1'700'000'000'000'000'000, 1'700'000'000'100'000'000));
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

// Renders a label value the way the Prometheus text format escapes it.
std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string SampleValue(double value) {
  if (std::bit_cast<uint64_t>(value) == kStaleNaNBits) return "StaleNaN";
  return FormatFloat(value);
}

std::string_view TypeName(model::MetricType type) {
  switch (type) {
    case model::MetricType::kCounter:
      return "counter";
    case model::MetricType::kGauge:
      return "gauge";
    case model::MetricType::kHistogram:
      return "histogram";
    case model::MetricType::kSummary:
      return "summary";
    default:
      return "unknown";
  }
}

// What a fixture's .expected file describes, in comparable form.
struct Rendered {
  std::vector<std::string> samples;  // sorted
  std::vector<std::string> metadata;
  uint64_t rejected = 0;
  std::vector<std::string> reasons;  // expected: substrings; decoded: full reasons
};

Rendered Render(const model::SampleBatch& batch) {
  Rendered rendered;
  for (size_t series = 0; series < batch.num_series(); ++series) {
    std::string name;
    std::vector<std::string> labels;
    for (const model::Label& label : batch.labels(series)) {
      if (label.name == "__name__") {
        name = std::string(label.name == "__name__" ? label.value : "");
      } else {
        labels.push_back(std::string(label.name) + "=\"" + Escape(label.value) + "\"");
      }
    }
    std::sort(labels.begin(), labels.end());
    std::string head = name + "{" + absl::StrJoin(labels, ",") + "}";
    for (size_t i = 0; i < batch.values(series).size(); ++i) {
      rendered.samples.push_back(head + " " + SampleValue(batch.values(series)[i]) + " " +
                                 std::to_string(batch.timestamps_ns(series)[i]));
    }
  }
  std::sort(rendered.samples.begin(), rendered.samples.end());
  for (const model::MetricMetadata& m : batch.metadata) {
    std::string line = "metadata " + std::string(m.metric_family) + " " +
                       std::string(TypeName(m.type)) + " " +
                       (m.unit.empty() ? std::string("-") : std::string(m.unit));
    if (!m.help.empty()) line += " " + std::string(m.help);
    rendered.metadata.push_back(line);
  }
  rendered.rejected = batch.rejected_samples();
  rendered.reasons = batch.rejection_reasons();
  return rendered;
}

// Sorts the labels of one expected sample line: name{a="x",b="y"} value timestamp.
std::string NormalizeSampleLine(const std::string& line) {
  size_t open = line.find('{');
  std::vector<std::string> labels;
  size_t i = open + 1;
  while (line[i] != '}') {
    size_t start = i;
    i = line.find('"', i) + 1;  // after name="
    while (line[i] != '"') i += line[i] == '\\' ? 2 : 1;
    ++i;  // closing quote
    labels.push_back(line.substr(start, i - start));
    if (line[i] == ',') ++i;
  }
  std::sort(labels.begin(), labels.end());
  return line.substr(0, open) + "{" + absl::StrJoin(labels, ",") + "}" + line.substr(i + 1);
}

Rendered ReadExpected(const std::string& path) {
  Rendered expected;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("rejected ", 0) == 0) {
      expected.rejected = std::stoull(line.substr(9));
    } else if (line.rfind("reason ", 0) == 0) {
      expected.reasons.push_back(line.substr(7));
    } else if (line.rfind("metadata ", 0) == 0) {
      expected.metadata.push_back(line);
    } else {
      expected.samples.push_back(NormalizeSampleLine(line));
    }
  }
  std::sort(expected.samples.begin(), expected.samples.end());
  return expected;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct FixtureCase {
  std::string name;
  std::string file;  // the request, relative to testdata/
};

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.file; }

class FixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(FixtureTest, DecodesToTheHandWrittenSeries) {
  const FixtureCase& c = GetParam();
  std::string body = ReadFile(std::string(CS_OTLP_TESTDATA) + "/" + c.file);
  model::SampleBatch batch;
  if (c.file.ends_with(".pb")) {
    CS_ASSERT_OK(DecodeExportRequest(body, &batch));
  } else {
    CS_ASSERT_OK(DecodeExportRequestJson(body, &batch));
    body.assign(body.size(),
                'x');  // the JSON decoder owns everything: views into `body` would show
  }
  Rendered got = Render(batch);
  Rendered want = ReadExpected(std::string(CS_OTLP_TESTDATA) + "/" + c.name + ".expected");
  EXPECT_THAT(got.samples, ::testing::ContainerEq(want.samples));
  EXPECT_THAT(got.metadata, ::testing::ContainerEq(want.metadata));
  EXPECT_EQ(got.rejected, want.rejected);
  for (const std::string& substring : want.reasons) {
    EXPECT_THAT(got.reasons, ::testing::Contains(::testing::HasSubstr(substring)));
  }
  if (want.rejected == 0) {
    EXPECT_THAT(got.reasons, ::testing::IsEmpty());
  }
}

std::vector<FixtureCase> FixtureCases() {
  std::vector<FixtureCase> cases;
  for (const char* name : {"gauges_and_sums", "attributes", "histograms", "exponential_histograms",
                           "summaries", "rejections"}) {
    cases.push_back({name, std::string(name) + ".pb"});
    cases.push_back({name, std::string(name) + ".json"});
  }
  cases.push_back({"attributes", "attributes_snake.json"});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest, ::testing::ValuesIn(FixtureCases()),
                         [](const ::testing::TestParamInfo<FixtureCase>& info) {
                           std::string name = info.param.file;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

// Every prefix of every fixture decodes or fails cleanly (ASan/UBSan watch the rest).
TEST(FixtureTest, EveryTruncationFailsCleanly) {
  for (const FixtureCase& c : FixtureCases()) {
    std::string body = ReadFile(std::string(CS_OTLP_TESTDATA) + "/" + c.file);
    size_t errors = 0;
    for (size_t size = 0; size < body.size(); ++size) {
      std::string prefix = body.substr(0, size);  // its own allocation, so ASan sees over-reads
      model::SampleBatch batch;
      absl::Status status = c.file.ends_with(".pb") ? DecodeExportRequest(prefix, &batch)
                                                    : DecodeExportRequestJson(prefix, &batch);
      if (!status.ok()) {
        ++errors;
        EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.file << " at " << size;
      }
    }
    // Protobuf has valid prefixes (at field boundaries); JSON has none but the empty one.
    EXPECT_GT(errors, 0u) << c.file;
  }
}

}  // namespace
}  // namespace cardinalsin::otlp
