// File: encoder.h
//
// Writes a model::SampleBatch as InfluxDB line protocol (nanosecond timestamps), for the load
// generator and tests. The inverse of parser.h's naming: a series' `__name__` is split at its last
// '_' into measurement and field (`cpu_usage_idle` -> measurement `cpu_usage`, field `idle`), and
// the other labels become tags in batch order (only the first `__name__` counts):
//
//   cpu_usage_idle{host="a"} 92.5 @ 1700000000000000000
//     -> "cpu_usage,host=a idle=92.5 1700000000000000000\n"
//
// This does not always round-trip: a name without an inner '_' (`up`, `_x`, `x_`) becomes
// measurement `up` with field `value`, which parses back as `up_value`. Other losses, documented
// so that callers can avoid them: samples whose value is NaN or +-Inf are left out (line protocol
// has no literal for them); labels with an empty value are left out (line protocol has no empty
// tags; Prometheus treats them as absent); series without a `__name__`, and series whose name or
// labels contain "\n" (line protocol cannot carry newlines), are left out; a name starting with
// '#' would read back as a comment.
// Floats are written in the shortest form that reads back to the same double.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "model/sample_batch.h"

namespace cardinalsin::line_protocol {

// One line per sample, each ending in "\n".
std::string Encode(const model::SampleBatch& batch);

}  // namespace cardinalsin::line_protocol
