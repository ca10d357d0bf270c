// File: workload.h
//
// What the load generator sends: a Workload fills one request's model::SampleBatch.
//
// ContractWorkload is the original generator's workload (reference/original-cardinalsin.md
// section 15): series metric x host x region x env, every batch walking them from the start
// (metric outermost, env innermost) until it holds `batch-size` samples, so a batch smaller than
// the series count repeats the same first series. Sample i of a batch is stamped `now + i ms`.
//
// ChurnWorkload is the high-cardinality mode (`--series N --churn R`): N live series slots; each
// whole second of the run, floor(R * N) more slots (round-robin over the slots) are replaced by a
// series never seen before, so after T seconds N + floor(T) * R * N distinct series (rounded
// down) exist. Slot s of generation g is series id u = g * N + s, with labels
//
//   __name__    = MetricName(s mod metrics)
//   env         = prod|staging, host = host-NNN, region = the region list (by s / metrics)
//   pod         = pod-<u / metrics>
//   request_id  = 16 hex digits of a bijective mix of u (distinct for distinct u)
//
// Each sender thread owns a disjoint slot range and walks it cyclically. All samples of a batch
// share one timestamp; a slot that appears k times in one batch (range smaller than the batch)
// gets +k ms. Per series timestamps strictly increase at millisecond resolution across batches.
//
// Labels are `__name__` first, then alphabetical. Label strings are views into the workload's
// own storage: a filled batch is valid until the next Fill() on the same workload.
//
// Building a batch allocates nothing per sample once the batch and the workload have warmed up
// (SampleBatch::Clear keeps capacity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/value_model.h"
#include "model/sample_batch.h"

namespace cardinalsin::loadgen {

// The region list; --regions takes its first N.
inline constexpr std::string_view kRegions[] = {"us-east-1", "us-west-2", "eu-west-1",
                                                "ap-northeast-1", "ap-southeast-1"};
inline constexpr size_t kMaxRegions = std::size(kRegions);
inline constexpr std::string_view kEnvironments[] = {"prod", "staging"};

// "host-001" for index 0.
std::string HostName(size_t index);

class Workload {
 public:
  virtual ~Workload() = default;

  // Clears `*batch` and fills it with exactly `samples` samples. `now_ns` is the wall-clock time
  // (ns since the epoch) and `elapsed_seconds` the time since the run started.
  // `*batch` must not be used after the next Fill() on this workload.
  // REQUIRES: samples > 0.
  virtual void Fill(size_t samples, int64_t now_ns, double elapsed_seconds,
                    model::SampleBatch* batch) = 0;
};

struct SeriesShape {
  size_t metrics = 10;
  size_t hosts = 5;
  size_t regions = 3;  // REQUIRES: 1..kMaxRegions
};

// Thread-safe: one instance is shared by every sender thread; Fill() is serialised so counters
// stay monotonic and timestamps increase.
class ContractWorkload final : public Workload {
 public:
  // Only the first min(series, max_batch_size) series are ever sent, so only they are built.
  // REQUIRES: every shape field >= 1, max_batch_size >= 1.
  ContractWorkload(const SeriesShape& shape, size_t max_batch_size, uint64_t seed);

  // REQUIRES: samples <= max_batch_size.
  void Fill(size_t samples, int64_t now_ns, double elapsed_seconds,
            model::SampleBatch* batch) override;

  // metrics * hosts * regions * 2.
  uint64_t total_series() const { return total_series_; }

 private:
  struct Series {
    model::Label labels[4];
    const ValueModel* model;
  };

  const uint64_t total_series_;
  std::vector<std::string> metric_names_;
  std::vector<std::string> host_names_;
  std::vector<Series> series_;  // the walk order's first min(total, max_batch_size) series

  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for ThreadSanitizer, which
  // then cannot see absl::Mutex's synchronisation.
  std::mutex mu_;
  // Guarded by mu_:
  std::vector<double> state_;
  SplitMix64 random_;
  int64_t last_base_ns_ = INT64_MIN;
};

struct ChurnOptions {
  SeriesShape shape;
  uint64_t series = 0;  // N, REQUIRES >= 1
  double churn = 0;     // R, the fraction of N replaced per second, REQUIRES 0..1
};

// Not thread-safe: one instance per sender thread, each with its own slot range.
class ChurnWorkload final : public Workload {
 public:
  // Serves slots [slot_begin, slot_end) of options.series.
  // REQUIRES: slot_begin < slot_end <= options.series.
  ChurnWorkload(const ChurnOptions& options, uint64_t slot_begin, uint64_t slot_end, uint64_t seed);

  void Fill(size_t samples, int64_t now_ns, double elapsed_seconds,
            model::SampleBatch* batch) override;

  // How many slots have been replaced after `elapsed_seconds` (whole seconds count).
  static uint64_t Replaced(const ChurnOptions& options, double elapsed_seconds);

 private:
  // pod-<20 digits> and 16 hex digits, with slack.
  static constexpr size_t kMaxDynamicBytes = 48;

  const ChurnOptions options_;
  const uint64_t slot_begin_;
  const uint64_t range_;
  std::vector<std::string> metric_names_;
  std::vector<std::string> host_names_;
  std::vector<double> state_;         // per slot in the range
  std::vector<uint64_t> generation_;  // per slot: the generation `state_` belongs to
  uint64_t cursor_ = 0;               // next slot to visit, relative to slot_begin_
  std::string arena_;                 // pod and request_id values of the current batch
  SplitMix64 random_;
  int64_t next_base_ns_ = INT64_MIN;
};

}  // namespace cardinalsin::loadgen
