// File: fields.h
//
// Field numbers of the remote write messages, from the public specifications: Remote-Write 1.0
// (https://prometheus.io/docs/specs/remote_write_spec/, `prometheus.WriteRequest`, plus the
// metadata, exemplar and histogram fields Prometheus sends in it) and Remote-Write 2.0
// (https://prometheus.io/docs/specs/remote_write_spec_2_0/, `io.prometheus.write.v2.Request`).
// Private to the remote_write module: the encoder and the decoder must agree on them.
#pragma once

#include <cstdint>

namespace cardinalsin::remote_write::internal {

// Remote write 1.0.
namespace v1 {
inline constexpr uint32_t kRequestTimeseries = 1;  // repeated TimeSeries
inline constexpr uint32_t kRequestMetadata = 3;    // repeated MetricMetadata

inline constexpr uint32_t kSeriesLabels = 1;      // repeated Label
inline constexpr uint32_t kSeriesSamples = 2;     // repeated Sample
inline constexpr uint32_t kSeriesExemplars = 3;   // repeated Exemplar
inline constexpr uint32_t kSeriesHistograms = 4;  // repeated Histogram

inline constexpr uint32_t kLabelName = 1;   // string
inline constexpr uint32_t kLabelValue = 2;  // string

inline constexpr uint32_t kMetadataType = 1;        // enum MetricType
inline constexpr uint32_t kMetadataFamilyName = 2;  // string
inline constexpr uint32_t kMetadataHelp = 4;        // string
inline constexpr uint32_t kMetadataUnit = 5;        // string
}  // namespace v1

// Remote write 2.0. Fields 1 to 3 of Request are reserved so that a 1.0 body decodes as empty.
namespace v2 {
inline constexpr uint32_t kRequestSymbols = 4;     // repeated string
inline constexpr uint32_t kRequestTimeseries = 5;  // repeated TimeSeries

inline constexpr uint32_t kSeriesLabelsRefs = 1;        // repeated uint32, packed
inline constexpr uint32_t kSeriesSamples = 2;           // repeated Sample
inline constexpr uint32_t kSeriesHistograms = 3;        // repeated Histogram
inline constexpr uint32_t kSeriesExemplars = 4;         // repeated Exemplar
inline constexpr uint32_t kSeriesMetadata = 5;          // Metadata
inline constexpr uint32_t kSeriesCreatedTimestamp = 6;  // int64, ms

inline constexpr uint32_t kMetadataType = 1;     // enum MetricType
inline constexpr uint32_t kMetadataHelpRef = 3;  // uint32
inline constexpr uint32_t kMetadataUnitRef = 4;  // uint32
}  // namespace v2

// Sample is the same in both versions.
inline constexpr uint32_t kSampleValue = 1;      // double
inline constexpr uint32_t kSampleTimestamp = 2;  // int64, ms

}  // namespace cardinalsin::remote_write::internal
