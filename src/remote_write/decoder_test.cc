#include "remote_write/decoder.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "codec/compression.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/sample_batch.h"
#include "proto/wire.h"
#include "remote_write/encoder.h"

namespace cardinalsin::remote_write {
namespace {

using base::testing::StatusIs;
using namespace std::string_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A comparable copy of a batch (views resolved to strings, values as bits so NaN compares).
struct Series {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<int64_t> timestamps_ns;
  std::vector<uint64_t> value_bits;
  bool operator==(const Series&) const = default;
};

std::vector<Series> Contents(const model::SampleBatch& batch) {
  std::vector<Series> result;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    Series series;
    for (const model::Label& label : batch.labels(s))
      series.labels.emplace_back(label.name, label.value);
    for (int64_t ts : batch.timestamps_ns(s)) series.timestamps_ns.push_back(ts);
    for (double v : batch.values(s)) series.value_bits.push_back(std::bit_cast<uint64_t>(v));
    result.push_back(std::move(series));
  }
  return result;
}

constexpr int64_t kLatestNs = std::numeric_limits<int64_t>::max() / 1'000'000 * 1'000'000;

model::SampleBatch RichBatch() {
  model::SampleBatch batch;
  batch.StartSeries();
  batch.AddLabel("__name__", "node_cpu_seconds_total");
  batch.AddLabel("cpu", "0");
  batch.AddLabel("instance", "host-1:9100");
  batch.AddLabel("mode", "idle");
  batch.AddSample(1'700'000'000'000'000'000, 12345.5);
  batch.AddSample(1'700'000'015'000'000'000, 12360.25);
  batch.AddSample(-86'400'000'000'000, -0.0);  // before 1970
  batch.StartSeries();
  batch.AddLabel("__name__", "up");
  batch.AddLabel("job", "node");
  batch.AddLabel("unicode", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93");
  batch.AddSample(0, std::numeric_limits<double>::quiet_NaN());
  batch.AddSample(1'000'000, std::numeric_limits<double>::infinity());
  batch.StartSeries();
  batch.AddLabel("__name__", "x");
  batch.AddSample(kLatestNs, 1);  // the last whole millisecond an int64 of ns holds
  batch.metadata.push_back({.metric_family = "node_cpu_seconds_total",
                            .type = model::MetricType::kCounter,
                            .help = "Seconds the CPUs spent in each mode.",
                            .unit = "seconds"});
  batch.metadata.push_back({.metric_family = "up", .type = model::MetricType::kGauge});
  return batch;
}

TEST(RoundTrip, V1) {
  model::SampleBatch in = RichBatch();
  std::string request = EncodeV1(in);
  model::SampleBatch out;
  DecodeStats stats;
  CS_ASSERT_OK(DecodeV1(request, &out, &stats));
  EXPECT_EQ(Contents(out), Contents(in));
  ASSERT_EQ(out.metadata.size(), 2u);
  EXPECT_EQ(out.metadata[0].metric_family, "node_cpu_seconds_total");
  EXPECT_EQ(out.metadata[0].type, model::MetricType::kCounter);
  EXPECT_EQ(out.metadata[0].help, "Seconds the CPUs spent in each mode.");
  EXPECT_EQ(out.metadata[0].unit, "seconds");
  EXPECT_EQ(out.metadata[1].type, model::MetricType::kGauge);
  EXPECT_EQ(stats.series, 3u);
  EXPECT_EQ(stats.samples, 6u);
  EXPECT_EQ(out.rejected_samples(), 0u);
}

TEST(RoundTrip, V2) {
  model::SampleBatch in = RichBatch();
  std::string request = EncodeV2(in);
  model::SampleBatch out;
  DecodeStats stats;
  CS_ASSERT_OK(DecodeV2(request, &out, &stats));
  EXPECT_EQ(Contents(out), Contents(in));
  // 2.0 carries metadata per series; the families without metadata ("x") get none.
  ASSERT_EQ(out.metadata.size(), 2u);
  EXPECT_EQ(out.metadata[0].metric_family, "node_cpu_seconds_total");
  EXPECT_EQ(out.metadata[0].type, model::MetricType::kCounter);
  EXPECT_EQ(out.metadata[0].help, "Seconds the CPUs spent in each mode.");
  EXPECT_EQ(out.metadata[0].unit, "seconds");
  EXPECT_EQ(out.metadata[1].metric_family, "up");
  EXPECT_EQ(out.metadata[1].type, model::MetricType::kGauge);
  EXPECT_EQ(out.metadata[1].help, "");
  EXPECT_EQ(stats.samples, 6u);
}

TEST(RoundTrip, ManySeriesAppendToExistingBatch) {
  model::SampleBatch in;
  for (int s = 0; s < 300; ++s) {
    in.StartSeries();
    in.AddLabel("__name__", in.Own("metric_" + std::to_string(s % 7)));
    in.AddLabel("series", in.Own(std::to_string(s)));
    for (int i = 0; i < s % 4 + 1; ++i) in.AddSample(int64_t{i} * 15'000'000'000, s * 0.5 + i);
  }
  for (auto encode : {EncodeV1, EncodeV2}) {
    std::string request = encode(in);
    model::SampleBatch out;
    out.StartSeries();
    out.AddLabel("pre", "existing");
    out.AddSample(1, 1);
    CS_ASSERT_OK(encode == EncodeV1 ? DecodeV1(request, &out) : DecodeV2(request, &out));
    std::vector<Series> got = Contents(out);
    std::vector<Series> want = Contents(in);
    ASSERT_EQ(got.size(), want.size() + 1);
    EXPECT_EQ(std::vector<Series>(got.begin() + 1, got.end()), want);
  }
}

// Bytes assembled by hand from the specifications: up{job="a"} 1 @ 1000 ms, plus an unknown
// field of every skippable wire type.
TEST(DecodeV1, HandAssembledFixture) {
  std::string request =
      "\x0a\x2f"s                                                 // timeseries, 47 bytes
      "\x0a\x0e\x0a\x08__name__\x12\x02up"                        // label
      "\x0a\x08\x0a\x03job\x12\x01"                               //
      "a"                                                         //
      "\x12\x0c\x09\x00\x00\x00\x00\x00\x00\xf0\x3f\x10\xe8\x07"  // sample
      "\x78\x05"                                                  // field 15, varint
      "\x7d\x01\x02\x03\x04"                                      // field 15, fixed32
      "\x1a\x04\x08\x01\x22\x00"                                  // metadata: counter, help ""
      "\x21\x01\x02\x03\x04\x05\x06\x07\x08"s;                    // field 4, fixed64
  model::SampleBatch out;
  CS_ASSERT_OK(DecodeV1(request, &out));
  ASSERT_EQ(out.num_series(), 1u);
  EXPECT_THAT(out.labels(0), ElementsAre(model::Label{"__name__", "up"}, model::Label{"job", "a"}));
  EXPECT_THAT(out.timestamps_ns(0), ElementsAre(1'000'000'000));
  EXPECT_THAT(out.values(0), ElementsAre(1.0));
  ASSERT_EQ(out.metadata.size(), 1u);
  EXPECT_EQ(out.metadata[0].type, model::MetricType::kCounter);
  EXPECT_EQ(out.metadata[0].metric_family, "");
}

TEST(DecodeV2, HandAssembledFixture) {
  // The series comes before the symbols it references, which the format allows.
  std::string request =
      "\x2a\x16"s                                                 // timeseries, 22 bytes
      "\x0a\x04\x01\x02\x03\x04"                                  // labels_refs, packed
      "\x12\x0c\x09\x00\x00\x00\x00\x00\x00\xf0\x3f\x10\xe8\x07"  // sample
      "\x30\x01"                                                  // created_timestamp (ignored)
      "\x22\x00\x22\x08__name__\x22\x02up\x22\x03job\x22\x01"
      "a"s;
  model::SampleBatch out;
  CS_ASSERT_OK(DecodeV2(request, &out));
  ASSERT_EQ(out.num_series(), 1u);
  EXPECT_THAT(out.labels(0), ElementsAre(model::Label{"__name__", "up"}, model::Label{"job", "a"}));
  EXPECT_THAT(out.timestamps_ns(0), ElementsAre(1'000'000'000));
  EXPECT_THAT(out.values(0), ElementsAre(1.0));
  EXPECT_TRUE(out.metadata.empty());
}

TEST(DecodeV2, AcceptsUnpackedLabelRefs) {
  std::string request =
      "\x22\x00\x22\x01n\x22\x01v"s
      "\x2a\x08\x08\x01\x08\x02\x12\x02\x10\x01"s;  // refs 1, 2 as two fields
  model::SampleBatch out;
  CS_ASSERT_OK(DecodeV2(request, &out));
  ASSERT_EQ(out.num_series(), 1u);
  EXPECT_THAT(out.labels(0), ElementsAre(model::Label{"n", "v"}));
  EXPECT_THAT(out.timestamps_ns(0), ElementsAre(1'000'000));
}

TEST(DecodeV2, OneBodyIsNotMistakenForTheOther) {
  // Request reserves fields 1 to 3, so a 1.0 body read as 2.0 is empty, and vice versa.
  model::SampleBatch batch = RichBatch();
  model::SampleBatch out;
  CS_ASSERT_OK(DecodeV2(EncodeV1(batch), &out));
  EXPECT_EQ(out.num_series(), 0u);
  CS_ASSERT_OK(DecodeV1(EncodeV2(batch), &out));
  EXPECT_EQ(out.num_series(), 0u);
}

// A series with a histogram, an exemplar and an unrepresentable timestamp: the float samples
// that can be stored are, the rest is rejected and counted.
TEST(Decode, RejectsHistogramsAndOutOfRangeTimestampsPerSeries) {
  const std::string sample_ok = "\x12\x02\x10\x01"s;  // 1 ms, value 0
  const std::string sample_late =
      "\x12\x0a\x10\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s;  // INT64_MAX ms
  const std::string sample_early =
      "\x12\x0b\x10\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"s;  // INT64_MIN
  {
    std::string series = "\x0a\x0d\x0a\x08__name__\x12\x01h"s + sample_ok + sample_late +
                         sample_early + "\x22\x02\x08\x01"s +  // histograms (field 4)
                         "\x1a\x00"s;                          // exemplars (field 3)
    std::string request = "\x0a"s + static_cast<char>(series.size()) + series;
    // Plus a series that has only a histogram: it adds nothing to the batch.
    request += "\x0a\x04\x22\x02\x08\x01"s;
    model::SampleBatch out;
    DecodeStats stats;
    CS_ASSERT_OK(DecodeV1(request, &out, &stats));
    ASSERT_EQ(out.num_series(), 1u);
    EXPECT_THAT(out.timestamps_ns(0), ElementsAre(1'000'000));
    EXPECT_EQ(out.rejected_samples(), 4u);
    EXPECT_EQ(stats.series, 2u);
    EXPECT_EQ(stats.samples, 1u);
    EXPECT_EQ(stats.histograms, 2u);
    EXPECT_EQ(stats.exemplars, 1u);
    EXPECT_THAT(
        out.rejection_reasons(),
        ElementsAre(
            HasSubstr("timeseries[0] (h): 1 native histogram samples: native histograms are not "
                      "supported"),
            HasSubstr("timeseries[0] (h): 2 samples with timestamps outside"),
            HasSubstr("timeseries[1] (): 1 native histogram")));
  }
  {
    std::string series = "\x0a\x02\x01\x02"s + sample_ok + sample_late + "\x1a\x02\x08\x01"s +
                         "\x22\x00"s;  // histograms are field 3 in 2.0, exemplars 4
    std::string request =
        "\x22\x00\x22\x08__name__\x22\x01h"s + "\x2a"s + static_cast<char>(series.size()) + series;
    model::SampleBatch out;
    DecodeStats stats;
    CS_ASSERT_OK(DecodeV2(request, &out, &stats));
    ASSERT_EQ(out.num_series(), 1u);
    EXPECT_EQ(out.rejected_samples(), 2u);
    EXPECT_EQ(stats.histograms, 1u);
    EXPECT_EQ(stats.exemplars, 1u);
    EXPECT_THAT(out.rejection_reasons(),
                ElementsAre(HasSubstr("timeseries[0] (h): 1 native histogram"),
                            HasSubstr("timeseries[0] (h): 1 samples with timestamps")));
  }
}

TEST(Decode, EmptyRequestsAndSeries) {
  model::SampleBatch out;
  DecodeStats stats;
  CS_ASSERT_OK(DecodeV1("", &out, &stats));
  CS_ASSERT_OK(DecodeV2("", &out, &stats));
  CS_ASSERT_OK(DecodeV1("\x0a\x00\x0a\x04\x0a\x02\x0a\x00"s, &out, &stats));  // no samples
  CS_ASSERT_OK(DecodeV2("\x22\x00\x2a\x00"s, &out, &stats));
  EXPECT_EQ(out.num_series(), 0u);
  EXPECT_EQ(stats.series, 3u);
  EXPECT_EQ(out.rejected_samples(), 0u);
}

TEST(DecodeV2, MetadataOfRepeatedFamiliesIsAddedOnce) {
  model::SampleBatch in;
  for (int i = 0; i < 3; ++i) {
    in.StartSeries();
    in.AddLabel("__name__", "requests_total");
    in.AddLabel("code", in.Own(std::to_string(200 + i)));
    in.AddSample(1'000'000, i);
  }
  in.metadata.push_back({.metric_family = "requests_total",
                         .type = model::MetricType::kCounter,
                         .help = "Requests."});
  std::string request = EncodeV2(in);  // outlives `out`, which points into it
  model::SampleBatch out;
  CS_ASSERT_OK(DecodeV2(request, &out));
  EXPECT_EQ(out.num_series(), 3u);
  ASSERT_EQ(out.metadata.size(), 1u);
  EXPECT_EQ(out.metadata[0].help, "Requests.");
}

struct MalformedCase {
  std::string name;
  Version version;
  std::string request;
  std::string message;  // a substring of the error
};

TEST(Decode, RejectsMalformedRequests) {
  const std::string symbols = "\x22\x00\x22\x01n\x22\x01v"s;
  const std::vector<MalformedCase> cases = {
      {"truncated tag", Version::kV1, "\x8a"s, "truncated or overlong tag at byte 1"},
      {"length beyond the end", Version::kV1, "\x0a\x05\x0a\x00"s,
       "truncated or overlong length-delimited field"},
      {"huge length", Version::kV1, "\x0a\xff\xff\xff\xff\x0f"s, "length-delimited field"},
      {"overlong varint", Version::kV1, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s,
       "overlong varint"},
      {"field number 0", Version::kV1, "\x02\x00"s, "invalid field number"},
      {"group", Version::kV1, "\x0b"s, "unsupported wire type 3"},
      {"timeseries as varint", Version::kV1, "\x08\x01"s,
       "WriteRequest (message at request byte 0): field 1 has "
       "wire type VARINT, want LEN"},
      {"label as fixed64", Version::kV1, "\x0a\x09\x09\x00\x00\x00\x00\x00\x00\x00\x00"s,
       "timeseries[0] (message at request byte 2): field 1 has wire type I64, want LEN"},
      {"label name as varint", Version::kV1, "\x0a\x06\x0a\x02\x08\x01\x12\x00"s,
       "timeseries[0].labels[0] (message at request byte 4): field 1 has wire type VARINT"},
      {"sample value as varint", Version::kV1, "\x0a\x04\x12\x02\x08\x01"s,
       "timeseries[0].samples[0] (message at request byte 4): field 1 has wire type VARINT, want "
       "I64"},
      {"sample timestamp as fixed64", Version::kV1,
       "\x0a\x0b\x12\x09\x11\x00\x00\x00\x00\x00\x00\x00\x00"s,
       "field 2 has wire type I64, want VARINT"},
      {"truncated sample value", Version::kV1, "\x0a\x05\x12\x03\x09\x00\x00"s,
       "timeseries[0].samples[0] (message at request byte 4): protobuf: truncated or overlong "
       "fixed64 at byte 1"},
      {"second series broken", Version::kV1, "\x0a\x00\x0a\x02\x12\x01\x00"s, "timeseries[1]"},
      {"metadata type as LEN", Version::kV1, "\x1a\x02\x0a\x00"s,
       "metadata[0] (message at request byte 2): field 1"},
      {"symbols not starting with empty", Version::kV2, "\x22\x01x"s,
       "symbols[0] must be the empty string, not \"x\""},
      {"symbol as varint", Version::kV2, "\x20\x00"s, "field 4 has wire type VARINT, want LEN"},
      {"ref out of range", Version::kV2, symbols + "\x2a\x04\x0a\x02\x01\x03"s,
       "timeseries[0] (message at request byte 10): labels_refs[1] = 3 is out of range: the "
       "request has 3 symbols"},
      {"ref beyond uint32", Version::kV2, symbols + "\x2a\x07\x0a\x05\xff\xff\xff\xff\x7f"s,
       "out of range"},
      {"odd labels_refs", Version::kV2, symbols + "\x2a\x05\x0a\x03\x01\x02\x01"s,
       "labels_refs has 3 elements; name/value pairs need an even number"},
      {"truncated packed ref", Version::kV2, symbols + "\x2a\x03\x0a\x01\x81"s,
       "truncated packed varint"},
      {"labels_refs as fixed32", Version::kV2, symbols + "\x2a\x05\x0d\x01\x00\x00\x00"s,
       "field 1 has wire type I32, want LEN"},
      {"refs without symbols", Version::kV2, "\x2a\x04\x0a\x02\x00\x00"s,
       "the request has 0 symbols"},
      {"help_ref out of range", Version::kV2, symbols + "\x2a\x04\x2a\x02\x18\x09"s,
       "timeseries[0].metadata (message at request byte 12): help_ref = 9 is out of range"},
      {"unit_ref out of range", Version::kV2, symbols + "\x2a\x04\x2a\x02\x20\x03"s,
       "unit_ref = 3"},
      {"metadata type as I64", Version::kV2,
       symbols + "\x2a\x0b\x2a\x09\x09\x00\x00\x00\x00\x00\x00\x00\x00"s,
       "field 1 has wire type I64"},
      {"created_timestamp as LEN", Version::kV2, symbols + "\x2a\x02\x32\x00"s,
       "field 6 has wire type LEN"},
      {"v2 sample broken", Version::kV2, symbols + "\x2a\x04\x12\x02\x09\x00"s,
       "timeseries[0].samples[0] (message at request byte 12): protobuf: truncated or overlong "
       "fixed64"},
  };
  for (const MalformedCase& c : cases) {
    model::SampleBatch out;
    absl::Status status =
        c.version == Version::kV1 ? DecodeV1(c.request, &out) : DecodeV2(c.request, &out);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(c.version == Version::kV1 ? "remote write 1.0: " : "remote write 2.0: "))
        << c.name;
  }
}

// Every prefix of a valid request either decodes (a prefix that ends on a field boundary is a
// valid, shorter request) or fails with InvalidArgument; none crashes (ASan/UBSan build).
TEST(Decode, EveryTruncationFailsCleanlyOrDecodesAPrefix) {
  model::SampleBatch in = RichBatch();
  for (Version version : {Version::kV1, Version::kV2}) {
    std::string request = version == Version::kV1 ? EncodeV1(in) : EncodeV2(in);
    size_t ok = 0;
    for (size_t n = 0; n < request.size(); ++n) {
      // A copy, so that ASan catches any read past the prefix.
      std::string prefix = request.substr(0, n);
      model::SampleBatch out;
      absl::Status status =
          version == Version::kV1 ? DecodeV1(prefix, &out) : DecodeV2(prefix, &out);
      if (status.ok()) {
        ++ok;
        EXPECT_LE(out.num_samples(), in.num_samples()) << n;
      } else {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << n;
      }
    }
    EXPECT_GT(ok, 1u);  // at least the empty prefix and one ending between top-level fields
  }
}

TEST(ParseContentType, Table) {
  struct Case {
    std::string_view content_type;
    absl::StatusOr<Version> want;
  };
  const absl::Status unsupported = absl::UnimplementedError("");
  const std::vector<Case> cases = {
      {"application/x-protobuf", Version::kV1},
      {"application/x-protobuf;proto=prometheus.WriteRequest", Version::kV1},
      {"Application/X-Protobuf ; Proto = \"prometheus.WriteRequest\"", Version::kV1},
      {"application/x-protobuf;proto=io.prometheus.write.v2.Request", Version::kV2},
      {"application/x-protobuf; charset=binary; proto=io.prometheus.write.v2.Request",
       Version::kV2},
      {"application/x-protobuf;", Version::kV1},
      {"", unsupported},
      {"application/json", unsupported},
      {"application/x-protobuf-extra", unsupported},
      {"application/x-protobuf;proto=io.prometheus.write.v3.Request", unsupported},
      {"application/x-protobuf;proto=Prometheus.WriteRequest", unsupported},
      {"application/x-protobuf;proto", unsupported},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Version> got = ParseContentType(c.content_type);
    if (c.want.ok()) {
      EXPECT_THAT(got, base::testing::IsOkAndHolds(*c.want)) << c.content_type;
    } else {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnimplemented)) << c.content_type;
      EXPECT_THAT(std::string(got.status().message()),
                  HasSubstr(base::StrCat("\"", c.content_type, "\"")));
    }
  }
}

TEST(ParseContentEncoding, OnlySnappy) {
  CS_EXPECT_OK(ParseContentEncoding("snappy"));
  CS_EXPECT_OK(ParseContentEncoding(" Snappy "));
  for (std::string_view encoding : {"", "gzip", "zstd", "snappy-framed", "identity"}) {
    absl::Status status = ParseContentEncoding(encoding);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnimplemented)) << encoding;
    EXPECT_THAT(std::string(status.message()), HasSubstr("only snappy")) << encoding;
  }
}

constexpr std::string_view kV1Type = "application/x-protobuf;proto=prometheus.WriteRequest";
constexpr std::string_view kV2Type = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

TEST(DecodeRequest, SnappyBothVersions) {
  model::SampleBatch in = RichBatch();
  for (Version version : {Version::kV1, Version::kV2}) {
    std::string raw = version == Version::kV1 ? EncodeV1(in) : EncodeV2(in);
    std::string body;
    CS_ASSERT_OK(codec::Compress(codec::Compression::kSnappy, raw, &body));
    std::string buffer = "stale";
    model::SampleBatch out;
    DecodeStats stats;
    CS_ASSERT_OK(DecodeRequest(body, version == Version::kV1 ? kV1Type : kV2Type, "snappy",
                               raw.size(), &buffer, &out, &stats));
    EXPECT_EQ(buffer, raw);
    EXPECT_EQ(Contents(out), Contents(in));
    EXPECT_EQ(stats.version, version);
    EXPECT_EQ(stats.uncompressed_bytes, raw.size());
  }
}

TEST(DecodeRequest, Errors) {
  std::string raw = EncodeV1(RichBatch());
  std::string body;
  CS_ASSERT_OK(codec::Compress(codec::Compression::kSnappy, raw, &body));
  std::string buffer;
  model::SampleBatch out;

  absl::Status status = DecodeRequest(body, kV1Type, "snappy", raw.size() - 1, &buffer, &out);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(base::StrCat("decompresses to ", raw.size(),
                                     " bytes, more than the limit of ", raw.size() - 1)));

  // A preamble claiming 4 GiB - 1 is refused before any allocation.
  EXPECT_THAT(DecodeRequest("\xff\xff\xff\xff\x0f"s, kV1Type, "snappy", 1 << 20, &buffer, &out),
              StatusIs(absl::StatusCode::kInvalidArgument));
  status = DecodeRequest("\xff\xff\xff\xff\xff\x01"s, kV1Type, "snappy", 1 << 20, &buffer, &out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("corrupt uncompressed-length preamble"));
  status = DecodeRequest("", kV1Type, "snappy", 1 << 20, &buffer, &out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("corrupt uncompressed-length preamble"));

  std::string corrupt = body.substr(0, body.size() - 3);
  status = DecodeRequest(corrupt, kV1Type, "snappy", 1 << 20, &buffer, &out);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("remote write: snappy"));

  EXPECT_THAT(DecodeRequest(body, "text/plain", "snappy", 1 << 20, &buffer, &out),
              StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(DecodeRequest(body, kV1Type, "gzip", 1 << 20, &buffer, &out),
              StatusIs(absl::StatusCode::kUnimplemented));

  // A 1.0 body announced as... 1.0 but corrupt inside the snappy block's payload.
  std::string bad_raw = "\x0a\x05\x0a"s;
  std::string bad_body;
  CS_ASSERT_OK(codec::Compress(codec::Compression::kSnappy, bad_raw, &bad_body));
  status = DecodeRequest(bad_body, kV1Type, "snappy", 1 << 20, &buffer, &out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("remote write 1.0: WriteRequest"));
}

TEST(WrittenHeaders, NamesAndValues) {
  auto headers = WrittenHeaders(1234, 0, 7);
  EXPECT_EQ(headers[0].name, "X-Prometheus-Remote-Write-Samples-Written");
  EXPECT_EQ(headers[0].value, "1234");
  EXPECT_EQ(headers[1].name, "X-Prometheus-Remote-Write-Histograms-Written");
  EXPECT_EQ(headers[1].value, "0");
  EXPECT_EQ(headers[2].name, "X-Prometheus-Remote-Write-Exemplars-Written");
  EXPECT_EQ(headers[2].value, "7");
}

std::string ReadTestdata(std::string_view name) {
  std::ifstream file(std::filesystem::path(__FILE__).parent_path() / "testdata" / std::string(name),
                     std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Bodies sent by a real Prometheus (testdata/README.md). Re-encoding what we decoded must give
// Prometheus's own bytes: the field numbers, the order and the omitted defaults all agree.
TEST(PrometheusGolden, Samples) {
  std::string body = ReadTestdata("prometheus-2.42-samples.snappy");
  ASSERT_EQ(body.size(), 6877u);
  std::string buffer;
  model::SampleBatch batch;
  DecodeStats stats;
  CS_ASSERT_OK(
      DecodeRequest(body, "application/x-protobuf", "snappy", 1 << 20, &buffer, &batch, &stats));
  EXPECT_EQ(stats.uncompressed_bytes, 45716u);
  EXPECT_EQ(batch.num_series(), 353u);
  EXPECT_EQ(batch.num_samples(), 353u);
  EXPECT_THAT(batch.labels(0),
              ElementsAre(model::Label{"__name__", "go_gc_duration_seconds"},
                          model::Label{"instance", "127.0.0.1:19290"}, model::Label{"job", "self"},
                          model::Label{"quantile", "0"}));
  EXPECT_THAT(batch.timestamps_ns(0), ElementsAre(1'795'503'537'203'000'000));
  EXPECT_THAT(batch.values(0), ElementsAre(5.5763e-05));
  bool found_up = false;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    if (batch.labels(s)[0] == model::Label{"__name__", "up"}) {
      found_up = true;
      EXPECT_THAT(batch.values(s), ElementsAre(1.0));
    }
  }
  EXPECT_TRUE(found_up);
  EXPECT_EQ(EncodeV1(batch), buffer);
}

TEST(PrometheusGolden, Metadata) {
  std::string body = ReadTestdata("prometheus-2.42-metadata.snappy");
  std::string buffer;
  model::SampleBatch batch;
  CS_ASSERT_OK(DecodeRequest(body, "application/x-protobuf", "snappy", 1 << 20, &buffer, &batch));
  EXPECT_EQ(batch.num_series(), 0u);
  ASSERT_EQ(batch.metadata.size(), 191u);
  EXPECT_EQ(batch.metadata[0].metric_family, "prometheus_engine_query_log_failures_total");
  EXPECT_EQ(batch.metadata[0].type, model::MetricType::kCounter);
  EXPECT_EQ(batch.metadata[0].help, "The number of query log failures.");
  EXPECT_EQ(batch.metadata[1].type, model::MetricType::kGauge);
  EXPECT_EQ(EncodeV1(batch), buffer);
}

// Wraps one Label and one Sample message into a 1.0 request.
std::string V1Request(std::string_view label, std::string_view sample) {
  std::string series;
  proto::Writer(&series).Bytes(1, label);
  proto::Writer(&series).Bytes(2, sample);
  std::string request;
  proto::Writer(&request).Bytes(1, series);
  return request;
}

// The decoder has fast paths for the usual field order and short lengths; every other encoding
// must decode the same way protobuf defines it (fields in any order, the last one wins).
TEST(DecodeV1, LabelAndSampleEncodings) {
  const std::string one = "\x09\x00\x00\x00\x00\x00\x00\xf0\x3f"s;  // value 1.0
  const std::string long_name(200, 'n');
  struct Case {
    std::string name;
    std::string label;
    std::string sample;
    model::Label want_label;
    int64_t want_ms;
  };
  const std::vector<Case> cases = {
      {"usual order",
       "\x0a\x01"
       "a\x12\x01"
       "b"s,
       one + "\x10\x05"s,
       {"a", "b"},
       5},
      {"reversed",
       "\x12\x01"
       "b\x0a\x01"
       "a"s,
       "\x10\x05"s + one,
       {"a", "b"},
       5},
      {"repeated",
       "\x0a\x01"
       "a\x12\x01"
       "b\x12\x01"
       "c"s,
       one + "\x10\x05\x10\x06"s,
       {"a", "c"},
       6},
      {"missing parts",
       "\x0a\x01"
       "a"s,
       one,
       {"a", ""},
       0},
      {"trailing unknown field",
       "\x0a\x01"
       "a\x12\x01"
       "b\x18\x01"s,
       one + "\x10\x05\x18\x01"s,
       {"a", "b"},
       5},
      {"long name",
       "\x0a\xc8\x01"s + long_name + "\x12\x00"s,
       one + "\x10\x05"s,
       {long_name, ""},
       5},
      {"padded varint length",
       "\x0a\x81\x00"
       "a\x12\x01"
       "b"s,
       one + "\x10\x85\x80\x00"s,
       {"a", "b"},
       5},
      {"negative timestamp",
       "\x0a\x01"
       "a\x12\x00"s,
       one + "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s,
       {"a", ""},
       -1},
  };
  for (const Case& c : cases) {
    std::string request = V1Request(c.label, c.sample);
    model::SampleBatch out;
    CS_ASSERT_OK(DecodeV1(request, &out)) << c.name;
    ASSERT_EQ(out.num_series(), 1u) << c.name;
    EXPECT_THAT(out.labels(0), ElementsAre(c.want_label)) << c.name;
    EXPECT_THAT(out.timestamps_ns(0), ElementsAre(c.want_ms * 1'000'000)) << c.name;
    EXPECT_THAT(out.values(0), ElementsAre(1.0)) << c.name;
  }
  // Near misses of the fast path that are malformed.
  for (const std::string& sample : {one + "\x10\x81"s, one + "\x10"s, one.substr(0, 8),
                                    one + "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s}) {
    model::SampleBatch out;
    EXPECT_THAT(DecodeV1(V1Request("\x0a\x01"
                                   "a\x12\x01"
                                   "b"s,
                                   sample),
                         &out),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  for (const std::string& label : {"\x0a\x01"
                                   "a\x12\x05"
                                   "b"s,
                                   "\x0a\x09"
                                   "a\x12\x01"
                                   "b"s,
                                   "\x0a\x01"
                                   "a\x12"s}) {
    model::SampleBatch out;
    EXPECT_THAT(DecodeV1(V1Request(label, one), &out),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace cardinalsin::remote_write
