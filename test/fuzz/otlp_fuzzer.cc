// File: otlp_fuzzer.cc
//
// libFuzzer target for the OTLP metrics decoders (otlp/otlp.h) over untrusted bytes. Every input
// goes to both DecodeExportRequest (protobuf) and DecodeExportRequestJson. Whatever decodes must
// be a well-formed batch (each series starts with a non-empty `__name__`, has a sample, positive
// timestamps, label names that are legal Prometheus names, no more labels than the budget), and
// a protobuf-decoded batch re-encoded with EncodeGaugeRequest must decode again to the same
// number of samples with nothing rejected: anything else abort()s.
//
// Errors from the decoders are expected and fine. Bugs are crashes, ASan / UBSan reports, leaks,
// timeouts, out-of-memory and a violated check.
//
//   FUZZ_TARGETS=otlp_fuzzer scripts/fuzz.sh 60
//   build/fuzz/otlp_fuzzer crash-<sha1>          replays one input

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/labels.h"
#include "model/sample_batch.h"
#include "otlp/otlp.h"

namespace cardinalsin::otlp {
namespace {

// Small enough that hostile expansions hit the budget quickly, large enough for every seed.
constexpr size_t kMaxLabels = size_t{1} << 20;

[[noreturn]] void Violation(const char* decoder, const std::string& what) {
  std::fprintf(stderr, "otlp_fuzzer: %s: %s\n", decoder, what.c_str());
  std::abort();
}

bool IsLabelName(std::string_view name) {
  return name == model::kMetricNameLabel || model::IsLegacyLabelName(name);
}

void CheckBatch(const char* decoder, const model::SampleBatch& batch) {
  size_t labels = 0;
  for (size_t series = 0; series < batch.num_series(); ++series) {
    auto series_labels = batch.labels(series);
    labels += series_labels.size();
    if (series_labels.empty() || series_labels[0].name != model::kMetricNameLabel ||
        series_labels[0].value.empty()) {
      Violation(decoder,
                "series " + std::to_string(series) + " does not start with a non-empty __name__");
    }
    for (size_t i = 1; i < series_labels.size(); ++i) {
      if (!IsLabelName(series_labels[i].name) || series_labels[i].name == model::kMetricNameLabel) {
        Violation(decoder, "series " + std::to_string(series) + " has label name '" +
                               std::string(series_labels[i].name) + "'");
      }
    }
    if (!model::IsLegacyMetricName(series_labels[0].value)) {
      Violation(decoder,
                "metric name '" + std::string(series_labels[0].value) + "' is not a legacy name");
    }
    if (batch.timestamps_ns(series).empty()) Violation(decoder, "series without samples");
    for (int64_t timestamp : batch.timestamps_ns(series)) {
      if (timestamp <= 0) Violation(decoder, "timestamp " + std::to_string(timestamp));
    }
  }
  if (labels > kMaxLabels) Violation(decoder, "label budget exceeded: " + std::to_string(labels));
}

void CheckGaugeRoundTrip(const model::SampleBatch& batch) {
  std::string request = EncodeGaugeRequest(batch, "fuzz");
  model::SampleBatch again;
  absl::Status status = DecodeExportRequest(request, &again);
  if (!status.ok()) Violation("gauge round trip", std::string(status.message()));
  if (again.num_samples() != batch.num_samples() || again.rejected_samples() != 0) {
    Violation("gauge round trip", std::to_string(batch.num_samples()) + " samples became " +
                                      std::to_string(again.num_samples()) + ", " +
                                      std::to_string(again.rejected_samples()) + " rejected");
  }
}

}  // namespace
}  // namespace cardinalsin::otlp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cardinalsin;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const otlp::DecodeOptions options{.max_labels = otlp::kMaxLabels};
  {
    model::SampleBatch batch;
    if (otlp::DecodeExportRequest(input, &batch, options).ok()) {
      otlp::CheckBatch("protobuf", batch);
      otlp::CheckGaugeRoundTrip(batch);
    }
  }
  {
    model::SampleBatch batch;
    if (otlp::DecodeExportRequestJson(input, &batch, options).ok()) otlp::CheckBatch("json", batch);
  }
  return 0;
}
