#include "loadgen/options.h"

#include <cmath>

#include "absl/strings/match.h"
#include "base/strings.h"

namespace cardinalsin::loadgen {
namespace {

// A batch of 1M high-cardinality samples holds ~200 MB of label views per thread.
constexpr uint64_t kMaxBatchSize = 1'000'000;
// Metric and host names are built up front; this also keeps metrics x hosts x regions x 2 far
// from overflowing.
constexpr uint64_t kMaxNames = 1'000'000;
constexpr uint64_t kMaxThreads = 1024;
// Each live series costs 16 bytes of state; 100M keeps that under 2 GiB.
constexpr uint64_t kMaxSeries = 100'000'000;

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

}  // namespace

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kRemoteWrite:
      return "remote-write";
    case Protocol::kRemoteWriteV2:
      return "remote-write-v2";
    case Protocol::kOtlp:
      return "otlp";
    case Protocol::kInflux:
      return "influx";
  }
  return "unknown";  // Unreachable: the switch covers every protocol.
}

absl::StatusOr<Protocol> ParseProtocol(std::string_view name) {
  for (Protocol p :
       {Protocol::kRemoteWrite, Protocol::kRemoteWriteV2, Protocol::kOtlp, Protocol::kInflux}) {
    if (name == ProtocolName(p)) return p;
  }
  return absl::InvalidArgumentError(
      base::StrCat("--protocol: unknown protocol '", name,
                   "' (use remote-write, remote-write-v2, otlp or influx)"));
}

absl::Status ValidateOptions(const GeneratorOptions& o) {
  const absl::string_view endpoint = base::AsAbsl(o.endpoint);
  if (!absl::StartsWith(endpoint, "http://") && !absl::StartsWith(endpoint, "https://")) {
    return Invalid(
        base::StrCat("--endpoint: '", o.endpoint, "' is not an http:// or https:// URL"));
  }
  if (o.metrics < 1 || o.metrics > kMaxNames) {
    return Invalid(base::StrCat("--metrics must be between 1 and ", kMaxNames));
  }
  if (o.hosts < 1 || o.hosts > kMaxNames) {
    return Invalid(base::StrCat("--hosts must be between 1 and ", kMaxNames));
  }
  if (o.regions < 1 || o.regions > 5) return Invalid("--regions must be between 1 and 5");
  if (o.batch_size < 1 || o.batch_size > kMaxBatchSize) {
    return Invalid(base::StrCat("--batch-size must be between 1 and ", kMaxBatchSize));
  }
  if (o.duration <= absl::ZeroDuration()) return Invalid("--duration must be positive");
  if (o.burst && o.samples_per_second == 0) {
    return Invalid("--burst needs --samples-per-second > 0 (it sends rate x duration samples)");
  }
  if (!(o.churn >= 0 && o.churn <= 1)) return Invalid("--churn must be between 0 and 1");
  if (o.churn > 0 && o.series == 0) return Invalid("--churn needs --series");
  if (o.series > kMaxSeries) {
    return Invalid(base::StrCat("--series must be at most ", kMaxSeries));
  }
  if (o.threads < 1 || o.threads > kMaxThreads) {
    return Invalid(base::StrCat("--threads must be between 1 and ", kMaxThreads));
  }
  if (o.series > 0 && o.threads > o.series) {
    return Invalid("--threads must not exceed --series (each thread owns a share of the series)");
  }
  // libcurl takes whole milliseconds, and 0 would mean "no timeout".
  if (o.timeout < absl::Milliseconds(1)) return Invalid("--timeout must be at least 1ms");
  if (o.tenant.find_first_of("\r\n") != std::string::npos) {
    return Invalid("--tenant must not contain line breaks");
  }
  return absl::OkStatus();
}

uint64_t BurstTotal(const GeneratorOptions& options) {
  return options.samples_per_second * static_cast<uint64_t>(absl::ToInt64Seconds(options.duration));
}

}  // namespace cardinalsin::loadgen
