// File: generator.h
//
// `cardinalsin generate`: the load generator (the runbook's test-data-generator,
// reference/original-cardinalsin.md section 15).
//
//   GeneratorOptions options;  // the contract's defaults
//   absl::StatusOr<GeneratorResult> result =
//       RunGenerator(options, MakeHttpSinkFactory(options), base::SystemClock(), std::cout,
//                    std::cerr);
//
// Steady mode: `threads` senders share one Pacer at `samples-per-second` (0 = as fast as
// possible); each reserves a batch, waits for its slot, builds and sends it, and stops at the
// first slot at or past the deadline; the run then ends at the deadline (the last batch stands
// for the interval up to it), so "Actual rate" is the rate held over the duration. The calling
// thread prints `[Stats]` lines every `report_interval` (the first at t=0) until the senders
// finish.
// Burst mode: the senders share a pool of rate x whole-seconds samples and send it as fast as
// they can, in batches of `batch-size` (the last may be smaller).
//
// Errors: a failed batch counts as an error and is not retried. Burst mode prints every error
// to `err` as "Error sending batch: <message>"; steady mode prints the first one, and every one
// with --verbose. After the summary, a run with errors prints the WARNING line to `err`.
//
// Thread-safety: RunGenerator may be called from any thread; it blocks until the run ends.
// Ownership: `clock`, `out` and `err` must outlive the call.
#pragma once

#include <ostream>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "loadgen/options.h"
#include "loadgen/report.h"
#include "loadgen/sink.h"

namespace cardinalsin::loadgen {

struct GeneratorResult {
  StatsSnapshot stats;
  absl::Duration elapsed;
};

// Runs the generator and prints the contract's output. Returns InvalidArgumentError for bad
// options (before printing anything) and the factory's error if a sink cannot be created;
// failed batches are not an error of the call (see result.stats.errors).
[[nodiscard]] absl::StatusOr<GeneratorResult> RunGenerator(const GeneratorOptions& options,
                                                           const SinkFactory& make_sink,
                                                           base::Clock& clock, std::ostream& out,
                                                           std::ostream& err);

}  // namespace cardinalsin::loadgen
