// File: decoder.h
//
// Prometheus remote write decoding (POST /api/v1/write): content negotiation, Snappy, and
// zero-copy scanners for the 1.0 `prometheus.WriteRequest` and the 2.0
// `io.prometheus.write.v2.Request` (field numbers in internal/fields.h, from
// https://prometheus.io/docs/specs/remote_write_spec/ and .../remote_write_spec_2_0/) that decode
// straight into a model::SampleBatch.
//
//   std::string buffer;  // must outlive `batch`: its labels are views into it
//   model::SampleBatch batch;
//   DecodeStats stats;
//   absl::Status status = DecodeRequest(body, content_type, content_encoding, 64 << 20, &buffer,
//                                       &batch, &stats);
//   ... ingest; then for 2.0 answer with WrittenHeaders(accepted_samples, 0, 0).
//
// What the decoders do:
// - Timestamps are converted from milliseconds to nanoseconds. A sample whose timestamp does not
//   fit (outside 1677-09-21 .. 2262-04-11) is left out and counted with SampleBatch::Reject.
// - Native histograms are not supported: a series' histogram samples are counted with Reject
//   ("native histograms are not supported") and its float samples are kept. Exemplars are
//   ignored and only counted in DecodeStats. 2.0's created_timestamp is ignored.
// - Series with no float samples are not added to the batch (an empty series is not an error).
// - Labels are views into the request, in wire order; names, values, duplicates, ordering and
//   limits are NOT validated here: the ingester does that per series.
// - Metadata: 1.0 WriteRequest.metadata entries and 2.0 per-series Metadata (with the series'
//   `__name__` as its family; repeated identical entries for one family are added once) go to
//   `batch.metadata`.
// - Unknown fields are skipped. Structurally malformed input (truncation, a known field with the
//   wrong wire type, groups, 2.0 symbol references out of range or an odd number of label
//   references, symbols[0] not "") fails the whole request with InvalidArgumentError naming the
//   version, the message path (e.g. `timeseries[3].samples[0]`) and the byte offset.
//
// Memory: decoding never copies strings. The batch grows by at most ~16 bytes per request byte
// for labels and 8 for samples (an empty Label message is 2 bytes and becomes a 32-byte
// model::Label), plus vector growth slack, so callers bound memory by bounding the uncompressed
// size (`max_uncompressed_bytes`).
//
// Thread-safety: all functions are thread-safe; concurrent calls must use distinct batches.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/sample_batch.h"

namespace cardinalsin::remote_write {

enum class Version {
  kV1,  // prometheus.WriteRequest
  kV2,  // io.prometheus.write.v2.Request
};

// What one request held. Counters add up over calls, so one DecodeStats can sum several requests.
struct DecodeStats {
  Version version = Version::kV1;   // set by DecodeRequest
  uint64_t uncompressed_bytes = 0;  // set by DecodeRequest
  uint64_t series = 0;              // TimeSeries messages, empty ones included
  uint64_t samples = 0;             // float samples added to the batch
  uint64_t histograms = 0;          // native histogram samples (all rejected)
  uint64_t exemplars = 0;           // exemplars (all ignored)
};

// Maps a Content-Type header to the protobuf message it announces:
//   application/x-protobuf                                       -> kV1
//   application/x-protobuf;proto=prometheus.WriteRequest         -> kV1
//   application/x-protobuf;proto=io.prometheus.write.v2.Request  -> kV2
// The media type and parameter names are case-insensitive, whitespace around ';' and '=' and a
// quoted parameter value are accepted, other parameters are ignored. Anything else, the empty
// string included, is UnimplementedError naming the type (the HTTP layer answers 415).
[[nodiscard]] absl::StatusOr<Version> ParseContentType(std::string_view content_type);

// Accepts only "snappy" (case-insensitive, surrounding whitespace ignored), the one encoding both
// specifications allow. Anything else, the empty string included, is UnimplementedError (415).
[[nodiscard]] absl::Status ParseContentEncoding(std::string_view content_encoding);

// Decodes an uncompressed remote write 1.0 WriteRequest, appending to `*out`.
// `request` must outlive `*out` (labels are views into it). `stats` may be null.
// On error `*out` may hold part of the request; discard it.
[[nodiscard]] absl::Status DecodeV1(std::string_view request, model::SampleBatch* out,
                                    DecodeStats* stats = nullptr);

// Decodes an uncompressed remote write 2.0 Request, appending to `*out`. Same contract as DecodeV1.
[[nodiscard]] absl::Status DecodeV2(std::string_view request, model::SampleBatch* out,
                                    DecodeStats* stats = nullptr);

// The one entry point of the HTTP handler: negotiates the version from the headers, decompresses
// the raw (block) Snappy `body` into `*buffer` (replacing its contents) and decodes it into `*out`.
// `*buffer` must outlive `*out`. `stats` may be null.
//
// Errors: UnimplementedError for an unsupported Content-Type or Content-Encoding (415);
// InvalidArgumentError for corrupt Snappy, an uncompressed size above `max_uncompressed_bytes`
// (checked before anything is allocated), or a malformed message (400).
[[nodiscard]] absl::Status DecodeRequest(std::string_view body, std::string_view content_type,
                                         std::string_view content_encoding,
                                         size_t max_uncompressed_bytes, std::string* buffer,
                                         model::SampleBatch* out, DecodeStats* stats = nullptr);

// The response headers a 2.0 receiver must send (spec: "X-Prometheus-Remote-Write-*-Written"),
// with what was actually stored. Also harmless, and useful, on 1.0 responses.
struct Header {
  std::string_view name;
  std::string value;
};
inline constexpr std::string_view kSamplesWrittenHeader =
    "X-Prometheus-Remote-Write-Samples-Written";
inline constexpr std::string_view kHistogramsWrittenHeader =
    "X-Prometheus-Remote-Write-Histograms-Written";
inline constexpr std::string_view kExemplarsWrittenHeader =
    "X-Prometheus-Remote-Write-Exemplars-Written";
std::array<Header, 3> WrittenHeaders(uint64_t samples, uint64_t histograms, uint64_t exemplars);

}  // namespace cardinalsin::remote_write
