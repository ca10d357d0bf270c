// File: sink.h
//
// Where a sender thread's batches go. HttpSink (http_sink.h) encodes each batch for the chosen
// protocol and POSTs it; tests substitute a fake.
//
// Thread-safety: a sink is used by one sender thread at a time; create one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "model/sample_batch.h"

namespace cardinalsin::loadgen {

class BatchSink {
 public:
  virtual ~BatchSink() = default;

  // Delivers `batch` and returns the bytes put on the wire (the compressed body, as the
  // original counted). The error's message is what the generator prints after
  // "Error sending batch: ", e.g. "HTTP error: 500 - <first 200 bytes of the body>".
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Send(const model::SampleBatch& batch) = 0;
};

// Creates one sink per sender thread (called before the threads start).
using SinkFactory = std::function<absl::StatusOr<std::unique_ptr<BatchSink>>()>;

}  // namespace cardinalsin::loadgen
