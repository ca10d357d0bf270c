#include "loadgen/report.h"

#include <cstdlib>

#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace cardinalsin::loadgen {
namespace {

// `integer` then, if `fraction` (of `digits` decimal places) is non-zero, a point and its
// digits without trailing zeros.
std::string Decimal(int64_t integer, int64_t fraction, int digits) {
  std::string out = absl::StrCat(integer);
  if (fraction == 0) return out;
  std::string frac = absl::StrFormat("%0*d", digits, fraction);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return base::StrCat(out, ".", frac);
}

}  // namespace

std::string FormatRustDuration(absl::Duration d) {
  const int64_t total_ns = absl::ToInt64Nanoseconds(d);
  const int64_t ns = total_ns < 0 ? 0 : total_ns;
  if (ns >= 1'000'000'000) return Decimal(ns / 1'000'000'000, ns % 1'000'000'000, 9) + "s";
  if (ns >= 1'000'000) return Decimal(ns / 1'000'000, ns % 1'000'000, 6) + "ms";
  if (ns >= 1'000) return Decimal(ns / 1'000, ns % 1'000, 3) + "\u00b5s";
  return absl::StrCat(ns, "ns");
}

std::string FormatBanner(const GeneratorOptions& o) {
  std::string out;
  absl::StrAppend(&out, "CardinalSin Test Data Generator\n");
  absl::StrAppend(&out, "================================\n");
  absl::StrAppend(&out, "Endpoint:      ", o.endpoint, "\n");
  absl::StrAppend(&out, "Metrics:       ", o.metrics, "\n");
  absl::StrAppend(&out, "Hosts:         ", o.hosts, "\n");
  absl::StrAppend(&out, "Regions:       ", o.regions, "\n");
  if (o.samples_per_second == 0) {
    absl::StrAppend(&out, "Target rate:   unlimited\n");
  } else {
    absl::StrAppend(&out, "Target rate:   ", o.samples_per_second, " samples/sec\n");
  }
  absl::StrAppend(&out, "Duration:      ", FormatRustDuration(o.duration), "\n");
  absl::StrAppend(&out, "Batch size:    ", o.batch_size, "\n");
  absl::StrAppend(&out, "Mode:          ", o.burst ? "burst" : "steady", "\n");
  if (o.protocol != Protocol::kRemoteWrite) {
    base::StrAppend(&out, "Protocol:      ", ProtocolName(o.protocol), "\n");
  }
  if (o.series > 0) {
    absl::StrAppend(&out, "Series:        ", o.series, " (churn ", o.churn, "/s)\n");
  }
  if (o.threads != 1) absl::StrAppend(&out, "Threads:       ", o.threads, "\n");
  if (!o.tenant.empty()) absl::StrAppend(&out, "Tenant:        ", o.tenant, "\n");
  absl::StrAppend(&out, "\n");
  return out;
}

std::string FormatStart(const GeneratorOptions& options) {
  if (options.burst) {
    return absl::StrCat("Sending ", BurstTotal(options), " samples in burst mode...\n");
  }
  return "Starting steady-rate generation...\n";
}

std::string FormatStatsLine(const StatsSnapshot& s) {
  return absl::StrFormat("[Stats] Samples: %d, Batches: %d, Errors: %d, Bytes: %d\n", s.samples,
                         s.batches, s.errors, s.bytes);
}

std::string FormatSummary(const StatsSnapshot& s, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double rate = seconds > 0 ? static_cast<double>(s.samples) / seconds : 0.0;
  std::string out = "\nGeneration Complete\n===================\n";
  absl::StrAppend(&out, "Duration:       ", FormatRustDuration(elapsed), "\n");
  absl::StrAppend(&out, "Samples sent:   ", s.samples, "\n");
  absl::StrAppend(&out, "Batches sent:   ", s.batches, "\n");
  absl::StrAppend(&out, "Errors:         ", s.errors, "\n");
  absl::StrAppendFormat(&out, "Bytes sent:     %d (%.2f MB)\n", s.bytes,
                        static_cast<double>(s.bytes) / 1e6);
  absl::StrAppendFormat(&out, "Actual rate:    %.2f samples/sec\n", rate);
  return out;
}

std::string FormatErrorWarning(uint64_t errors) {
  return absl::StrCat("WARNING: ", errors, " errors occurred during generation\n");
}

}  // namespace cardinalsin::loadgen
