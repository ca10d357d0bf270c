// File: encoder.h
//
// Prometheus remote write encoders, for the load generator and tests: a model::SampleBatch as an
// uncompressed remote write 1.0 `prometheus.WriteRequest` or 2.0 `io.prometheus.write.v2.Request`
// (field numbers in decoder.h). Snappy-compress the result (codec::Compress) to send it.
//
//   std::string body;
//   CS_RETURN_IF_ERROR(codec::Compress(codec::Compression::kSnappy, EncodeV1(batch), &body));
//
// Both encoders emit every series with its labels in batch order (the remote write specs want them
// sorted by name; the caller sorts) and its samples, timestamps converted from nanoseconds to
// milliseconds rounding towards negative infinity. Fields at their proto3 default (empty strings,
// zero timestamps, +0.0 values) are omitted, as protobuf encoders do; -0.0 is kept.
//
// Metadata: 1.0 writes `batch.metadata` as WriteRequest.metadata entries; 2.0 has no request-level
// metadata and attaches to each series the batch.metadata entry whose metric_family equals the
// series' `__name__` (the first such entry, if several).
//
// Thread-safety: pure functions, safe to call concurrently on distinct or shared const batches.
#pragma once

#include <string>

#include "model/sample_batch.h"

namespace cardinalsin::remote_write {

// Encodes `batch` as an uncompressed remote write 1.0 WriteRequest.
std::string EncodeV1(const model::SampleBatch& batch);

// Encodes `batch` as an uncompressed remote write 2.0 Request. Every distinct string (label names
// and values, help and unit texts) appears once in the symbol table, which starts with "".
std::string EncodeV2(const model::SampleBatch& batch);

}  // namespace cardinalsin::remote_write
