// File: options.h
//
// The load generator's configuration: the contract's flags (reference/original-cardinalsin.md
// section 15) with their defaults, plus the rewrite's additions (protocol, high-cardinality mode,
// threads, tenant, timeout).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cardinalsin::loadgen {

enum class Protocol {
  kRemoteWrite,    // Prometheus remote write 1.0, POST /api/v1/write, snappy
  kRemoteWriteV2,  // Prometheus remote write 2.0, POST /api/v1/write, snappy
  kOtlp,           // OTLP/HTTP protobuf, POST /v1/metrics
  kInflux,         // InfluxDB line protocol, POST /api/v2/write?precision=ns
};

// The flag spelling: "remote-write", "remote-write-v2", "otlp", "influx".
std::string_view ProtocolName(Protocol protocol);
// Returns InvalidArgumentError listing the accepted names for anything else.
[[nodiscard]] absl::StatusOr<Protocol> ParseProtocol(std::string_view name);

struct GeneratorOptions {
  std::string endpoint = "http://localhost:8081";
  uint64_t metrics = 10;
  uint64_t hosts = 5;
  uint64_t regions = 3;
  uint64_t samples_per_second = 100;  // 0 = unlimited (steady mode only)
  absl::Duration duration = absl::Seconds(60);
  uint64_t batch_size = 100;
  bool burst = false;
  bool verbose = false;

  Protocol protocol = Protocol::kRemoteWrite;
  uint64_t series = 0;  // 0 = the contract's workload; N = high-cardinality mode
  double churn = 0;     // fraction of `series` replaced per second (needs series > 0)
  uint64_t threads = 1;
  std::string tenant;  // sent as X-Scope-OrgID when not empty
  absl::Duration timeout = absl::Seconds(30);
  absl::Duration report_interval = absl::Seconds(10);  // [Stats] lines in steady mode
  uint64_t seed = 0;  // value-model randomness; 0 = from std::random_device
};

// Returns InvalidArgumentError naming the offending flag when the options cannot run.
[[nodiscard]] absl::Status ValidateOptions(const GeneratorOptions& options);

// Burst mode's total: samples_per_second * whole seconds of duration.
uint64_t BurstTotal(const GeneratorOptions& options);

}  // namespace cardinalsin::loadgen
