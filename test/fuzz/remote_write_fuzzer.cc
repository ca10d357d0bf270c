// File: remote_write_fuzzer.cc
//
// libFuzzer target for the Prometheus remote write decoders (remote_write/decoder.h) over
// untrusted bytes. The input is decoded as an uncompressed 1.0 WriteRequest, as an uncompressed
// 2.0 Request, and as a Snappy body through DecodeRequest (both content types, 1 MiB limit).
// Checks beyond "no crash, no sanitizer report, no leak, no timeout, no OOM":
// - what decodes is bounded by the input: at most one label and one sample per 2 input bytes;
// - what decodes re-encodes (EncodeV1 / EncodeV2) to a request that decodes to the same series,
//   labels, timestamps and value bits, and for 1.0 the same metadata.
// A violated check abort()s.
//
//   scripts/fuzz.sh                               builds and runs every fuzzer
//   build/fuzz/remote_write_fuzzer crash-<sha1>   replays one input

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/sample_batch.h"
#include "remote_write/decoder.h"
#include "remote_write/encoder.h"

namespace cardinalsin::remote_write {
namespace {

[[noreturn]] void Violation(const char* what, size_t series) {
  std::fprintf(stderr, "remote_write_fuzzer: invariant violated: %s (series %zu)\n", what, series);
  std::abort();
}

void CheckBounded(const model::SampleBatch& batch, size_t input_size) {
  size_t labels = 0;
  for (size_t s = 0; s < batch.num_series(); ++s) labels += batch.labels(s).size();
  if (labels > input_size / 2 || batch.num_samples() > input_size / 2)
    Violation("batch larger than input / 2", 0);
}

void CheckSame(const model::SampleBatch& a, const model::SampleBatch& b, bool metadata) {
  if (a.num_series() != b.num_series())
    Violation("series count changed by a round trip", a.num_series());
  for (size_t s = 0; s < a.num_series(); ++s) {
    auto la = a.labels(s), lb = b.labels(s);
    if (la.size() != lb.size()) Violation("label count changed by a round trip", s);
    for (size_t i = 0; i < la.size(); ++i) {
      if (la[i] != lb[i]) Violation("label changed by a round trip", s);
    }
    auto ta = a.timestamps_ns(s), tb = b.timestamps_ns(s);
    auto va = a.values(s), vb = b.values(s);
    if (ta.size() != tb.size()) Violation("sample count changed by a round trip", s);
    for (size_t i = 0; i < ta.size(); ++i) {
      if (ta[i] != tb[i]) Violation("timestamp changed by a round trip", s);
      if (std::bit_cast<uint64_t>(va[i]) != std::bit_cast<uint64_t>(vb[i])) {
        Violation("value changed by a round trip", s);
      }
    }
  }
  if (!metadata) return;
  if (a.metadata.size() != b.metadata.size())
    Violation("metadata count changed by a round trip", 0);
  for (size_t i = 0; i < a.metadata.size(); ++i) {
    const model::MetricMetadata &x = a.metadata[i], &y = b.metadata[i];
    if (x.metric_family != y.metric_family || x.type != y.type || x.help != y.help ||
        x.unit != y.unit) {
      Violation("metadata changed by a round trip", i);
    }
  }
}

void DecodeAndRoundTrip(std::string_view input, Version version) {
  model::SampleBatch batch;
  absl::Status status = version == Version::kV1 ? DecodeV1(input, &batch) : DecodeV2(input, &batch);
  if (!status.ok()) return;
  CheckBounded(batch, input.size());
  const std::string encoded = version == Version::kV1 ? EncodeV1(batch) : EncodeV2(batch);
  model::SampleBatch again;
  status = version == Version::kV1 ? DecodeV1(encoded, &again) : DecodeV2(encoded, &again);
  if (!status.ok()) Violation("a re-encoded request does not decode", 0);
  CheckSame(batch, again, version == Version::kV1);
}

}  // namespace
}  // namespace cardinalsin::remote_write

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cardinalsin;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  remote_write::DecodeAndRoundTrip(input, remote_write::Version::kV1);
  remote_write::DecodeAndRoundTrip(input, remote_write::Version::kV2);
  for (std::string_view content_type :
       {"application/x-protobuf", "application/x-protobuf;proto=io.prometheus.write.v2.Request"}) {
    std::string buffer;
    model::SampleBatch batch;
    absl::Status status =
        remote_write::DecodeRequest(input, content_type, "snappy", 1 << 20, &buffer, &batch);
    if (status.ok()) remote_write::CheckBounded(batch, buffer.size());
  }
  return 0;
}
