// File: report.h
//
// The generator's counters and its stdout text, exactly as the compatibility contract fixes it
// (reference/original-cardinalsin.md section 15; the workload runner parses the
// `[Stats] Samples:` and `Samples sent:` lines).
//
// Thread-safety: Stats is thread-safe (relaxed atomics; a snapshot is not a consistent cut, as
// in the original). The Format* functions are pure.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "loadgen/options.h"

namespace cardinalsin::loadgen {

struct StatsSnapshot {
  uint64_t samples = 0;
  uint64_t batches = 0;
  uint64_t errors = 0;
  uint64_t bytes = 0;
};

class Stats {
 public:
  void RecordBatch(uint64_t samples, uint64_t bytes) {
    samples_.fetch_add(samples, std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  // Returns the error count including this one.
  uint64_t RecordError() { return errors_.fetch_add(1, std::memory_order_relaxed) + 1; }
  StatsSnapshot Snapshot() const {
    return {samples_.load(std::memory_order_relaxed), batches_.load(std::memory_order_relaxed),
            errors_.load(std::memory_order_relaxed), bytes_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<uint64_t> samples_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> bytes_{0};
};

// A duration the way the original printed it (Rust's Debug for Duration): "60s", "1800s",
// "60.001234s", "1.5s", "250ms", "12.5µs", "7ns", "0ns".
std::string FormatRustDuration(absl::Duration d);

// The banner, from "CardinalSin Test Data Generator" to the blank line after "Mode:". Options
// added by the rewrite (protocol, series, threads, tenant) add lines after "Mode:" only when they
// differ from their defaults, so a contract invocation prints the contract's banner exactly.
std::string FormatBanner(const GeneratorOptions& options);

// "Starting steady-rate generation...\n" or "Sending <N> samples in burst mode...\n".
std::string FormatStart(const GeneratorOptions& options);

// "[Stats] Samples: <s>, Batches: <b>, Errors: <e>, Bytes: <bytes>\n".
std::string FormatStatsLine(const StatsSnapshot& stats);

// From the blank line before "Generation Complete" to "Actual rate:".
std::string FormatSummary(const StatsSnapshot& stats, absl::Duration elapsed);

// "WARNING: <n> errors occurred during generation\n" (stderr).
std::string FormatErrorWarning(uint64_t errors);

}  // namespace cardinalsin::loadgen
