// File: line_protocol_fuzzer.cc
//
// libFuzzer target for the InfluxDB line protocol parser (line_protocol/parser.h) over untrusted
// bytes, at nanosecond and hour precision. Checks beyond "no crash, no sanitizer report, no leak,
// no timeout, no OOM":
// - every series the parser adds has `__name__` first and exactly one sample;
// - the labels' footprint stays within the parser's documented budget of 32 bytes per input byte
//   (plus 1 KiB of slack);
// - what parsed encodes (line_protocol::Encode) to a body that parses without a single rejection
//   into as many series with the same timestamps and value bits (names may differ: see encoder.h).
// A violated check abort()s.
//
//   scripts/fuzz.sh                                 builds and runs every fuzzer
//   build/fuzz/line_protocol_fuzzer crash-<sha1>    replays one input

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "line_protocol/encoder.h"
#include "line_protocol/parser.h"
#include "model/sample_batch.h"

namespace cardinalsin::line_protocol {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000'000;

[[noreturn]] void Violation(const char* what, size_t series) {
  std::fprintf(stderr, "line_protocol_fuzzer: invariant violated: %s (series %zu)\n", what, series);
  std::abort();
}

void Check(std::string_view input, Precision precision) {
  model::SampleBatch batch;
  absl::Status status = Parse(input, precision, kNow, &batch);
  size_t label_bytes = 0;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    auto labels = batch.labels(s);
    if (labels.empty() || labels[0].name != "__name__")
      Violation("series without __name__ first", s);
    if (batch.values(s).size() != 1) Violation("series without exactly one sample", s);
    label_bytes += labels.size() * sizeof(model::Label) + labels[0].value.size();
  }
  if (label_bytes > 32 * (input.size() + 1024)) Violation("labels over the budget", 0);
  if (!status.ok()) return;

  const std::string encoded = Encode(batch);
  model::SampleBatch again;
  if (!Parse(encoded, Precision::kNanoseconds, kNow, &again).ok())
    Violation("an encoded body does not parse", 0);
  if (again.rejected_samples() != 0) Violation("an encoded body has rejected lines", 0);
  if (again.num_series() != batch.num_series())
    Violation("series count changed by a round trip", 0);
  for (size_t s = 0; s < batch.num_series(); ++s) {
    if (again.timestamps_ns(s)[0] != batch.timestamps_ns(s)[0])
      Violation("timestamp changed by a round trip", s);
    if (std::bit_cast<uint64_t>(again.values(s)[0]) !=
        std::bit_cast<uint64_t>(batch.values(s)[0])) {
      Violation("value changed by a round trip", s);
    }
  }
}

}  // namespace
}  // namespace cardinalsin::line_protocol

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  cardinalsin::line_protocol::Check(input, cardinalsin::line_protocol::Precision::kNanoseconds);
  cardinalsin::line_protocol::Check(input, cardinalsin::line_protocol::Precision::kHours);
  return 0;
}
