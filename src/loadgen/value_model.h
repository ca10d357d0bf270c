// File: value_model.h
//
// The load generator's metric templates and value models (reference/original-cardinalsin.md
// section 15). Metric i uses template `i mod 10` and is named after it for i < 10, else
// `<template>_<i/10>`:
//
//   MetricName(3)  == "disk_write_bytes_total"
//   MetricName(13) == "disk_write_bytes_total_1"
//
// A value model turns a per-series state (a counter's total, a random walk's position) and the
// seconds since the run started into the next sample value:
//
//   SplitMix64 random(42);
//   const ValueModel& model = TemplateForMetric(2).model;  // disk_read_bytes_total, a counter
//   double state = InitialState(model);
//   double v = NextValue(model, elapsed_seconds, state, random);
//
// Thread-safety: the functions are pure; a SplitMix64 instance is not thread-safe (use one per
// thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cardinalsin::loadgen {

// A small, fast, deterministic pseudo-random generator (Steele, Lea and Flood's SplitMix64).
// Used in the per-sample hot loop instead of a mutex-protected base::Random.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix(state_);
  }
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // SplitMix64's output function: a bijection on 64-bit integers that scrambles its input.
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

enum class ValueKind {
  kSine,        // min + (max - min) / 2 * (1 + sin(2 pi t / period)), t = seconds since start
  kRandomWalk,  // starts at (min + max) / 2, moves by U(-step, step) per sample, clamped
  kCounter,     // starts at 0, grows by rate / 10 + U[0, 1) * rate / 20 per sample
  kJitter,      // base + U(-jitter, jitter)
};

// Parameters of one model; only the fields its kind names are used.
struct ValueModel {
  ValueKind kind = ValueKind::kJitter;
  double min = 0;
  double max = 0;
  double period_seconds = 0;
  double step = 0;
  double rate = 0;
  double base = 0;
  double jitter = 0;
};

struct MetricTemplate {
  std::string_view name;
  ValueModel model;
};

// The contract's ten templates, in order (cpu_usage first, active_connections last).
std::span<const MetricTemplate> MetricTemplates();

// The template metric `index` uses: MetricTemplates()[index % 10].
const MetricTemplate& TemplateForMetric(size_t index);

// The name of metric `index` (see the file comment).
std::string MetricName(size_t index);

// The state a new series starts with: 0 for counters, the midpoint for random walks, unused
// (0) for the stateless models.
double InitialState(const ValueModel& model);

// Returns the next value of a series and advances its `state`. `elapsed_seconds` is the time
// since the run started (drives the sine models).
double NextValue(const ValueModel& model, double elapsed_seconds, double& state,
                 SplitMix64& random);

}  // namespace cardinalsin::loadgen
