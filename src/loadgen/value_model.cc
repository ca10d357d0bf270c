#include "loadgen/value_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "base/strings.h"

namespace cardinalsin::loadgen {
namespace {

constexpr ValueModel Sine(double min, double max, double period_seconds) {
  return {.kind = ValueKind::kSine, .min = min, .max = max, .period_seconds = period_seconds};
}
constexpr ValueModel RandomWalk(double min, double max, double step) {
  return {.kind = ValueKind::kRandomWalk, .min = min, .max = max, .step = step};
}
constexpr ValueModel Counter(double rate) { return {.kind = ValueKind::kCounter, .rate = rate}; }
constexpr ValueModel Jitter(double base, double jitter) {
  return {.kind = ValueKind::kJitter, .base = base, .jitter = jitter};
}

constexpr std::array<MetricTemplate, 10> kTemplates = {{
    {"cpu_usage", Sine(10, 95, 300)},
    {"memory_used_bytes", RandomWalk(1e9, 8e9, 1e7)},
    {"disk_read_bytes_total", Counter(1e6)},
    {"disk_write_bytes_total", Counter(5e5)},
    {"network_rx_bytes_total", Counter(2e6)},
    {"network_tx_bytes_total", Counter(1.5e6)},
    {"http_requests_total", Counter(1000)},
    {"http_request_duration_seconds", Sine(0.01, 0.5, 120)},
    {"gc_pause_seconds", Jitter(0.05, 0.02)},
    {"active_connections", Sine(10, 500, 600)},
}};

}  // namespace

std::span<const MetricTemplate> MetricTemplates() { return kTemplates; }

const MetricTemplate& TemplateForMetric(size_t index) {
  return kTemplates[index % kTemplates.size()];
}

std::string MetricName(size_t index) {
  const std::string_view name = TemplateForMetric(index).name;
  if (index < kTemplates.size()) return std::string(name);
  return base::StrCat(name, "_", index / kTemplates.size());
}

double InitialState(const ValueModel& model) {
  return model.kind == ValueKind::kRandomWalk ? (model.min + model.max) / 2 : 0.0;
}

double NextValue(const ValueModel& model, double elapsed_seconds, double& state,
                 SplitMix64& random) {
  switch (model.kind) {
    case ValueKind::kSine: {
      const double phase = elapsed_seconds / model.period_seconds * 2 * std::numbers::pi;
      return model.min + (model.max - model.min) / 2 * (1 + std::sin(phase));
    }
    case ValueKind::kRandomWalk:
      state =
          std::clamp(state + (random.NextDouble() - 0.5) * 2 * model.step, model.min, model.max);
      return state;
    case ValueKind::kCounter:
      state += model.rate / 10 + random.NextDouble() * model.rate / 20;
      return state;
    case ValueKind::kJitter:
      return model.base + (random.NextDouble() - 0.5) * 2 * model.jitter;
  }
  return 0;  // Unreachable: the switch covers every kind.
}

}  // namespace cardinalsin::loadgen
