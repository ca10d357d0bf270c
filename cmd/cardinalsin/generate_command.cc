#include "generate_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/duration.h"
#include "base/flags.h"
#include "base/status_macros.h"
#include "loadgen/generator.h"
#include "loadgen/http_sink.h"

namespace cardinalsin::cmd {
namespace {

constexpr int kExitUsage = 2;

// The flag values as typed; durations and the protocol are parsed after CLI11 so their errors
// read like the rest of the generator's.
struct GenerateArgs {
  loadgen::GeneratorOptions options;
  std::string duration = "60s";
  std::string protocol = "remote-write";
  std::string timeout = "30s";
};

absl::StatusOr<loadgen::GeneratorOptions> Resolve(const GenerateArgs& args) {
  loadgen::GeneratorOptions options = args.options;
  absl::StatusOr<absl::Duration> duration = base::ParseHumanDuration(args.duration);
  if (!duration.ok()) {
    return absl::InvalidArgumentError("--duration: " + std::string(duration.status().message()));
  }
  options.duration = *duration;
  absl::StatusOr<absl::Duration> timeout = base::ParseHumanDuration(args.timeout);
  if (!timeout.ok()) {
    return absl::InvalidArgumentError("--timeout: " + std::string(timeout.status().message()));
  }
  options.timeout = *timeout;
  CS_ASSIGN_OR_RETURN(options.protocol, loadgen::ParseProtocol(args.protocol));
  CS_RETURN_IF_ERROR(loadgen::ValidateOptions(options));
  return options;
}

}  // namespace

CLI::App* AddGenerateCommand(CLI::App& app, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "generate", "Load generator: Prometheus remote write (1.0/2.0), OTLP/HTTP or line protocol");
  auto args = std::make_shared<GenerateArgs>();
  loadgen::GeneratorOptions& o = args->options;
  base::AddOption(*sub, "--endpoint", o.endpoint, "",
                  "Base URL of the ingester; the protocol's path is appended");
  base::AddOption(*sub, "--metrics", o.metrics, "", "Metric names (templates i mod 10)");
  base::AddOption(*sub, "--hosts", o.hosts, "", "Hosts (host-001, host-002, ...)");
  base::AddOption(*sub, "--regions", o.regions, "",
                  "First N of us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-1");
  base::AddOption(*sub, "--samples-per-second", o.samples_per_second, "",
                  "Target rate over all threads; 0 = as fast as possible (steady mode only)");
  base::AddOption(*sub, "--duration", args->duration, "", "How long to run (30s, 5m, 1h)");
  base::AddOption(*sub, "--batch-size", o.batch_size, "", "Samples per request");
  sub->add_flag("--burst", o.burst,
                "Send rate x whole seconds of samples as fast as possible, then stop");
  sub->add_flag("-v,--verbose", o.verbose, "Print every batch and every error");
  base::AddOption(*sub, "--protocol", args->protocol, "",
                  "remote-write (1.0), remote-write-v2, otlp (OTLP/HTTP protobuf) or influx");
  base::AddOption(*sub, "--series", o.series, "",
                  "High-cardinality mode: N live series with pod and request_id labels "
                  "(0 = the contract's metric x host x region x env workload)");
  base::AddOption(*sub, "--churn", o.churn, "",
                  "With --series: fraction of the series replaced by new ones every second");
  base::AddOption(*sub, "--threads", o.threads, "",
                  "Concurrent senders, each with its own keep-alive connection");
  base::AddOption(*sub, "--tenant", o.tenant, "", "Sent as X-Scope-OrgID when set");
  base::AddOption(*sub, "--timeout", args->timeout, "", "Per-request timeout");

  sub->callback([args, exit_code] {
    absl::StatusOr<loadgen::GeneratorOptions> options = Resolve(*args);
    if (!options.ok()) {
      std::fprintf(stderr, "Error: %s\n", std::string(options.status().message()).c_str());
      *exit_code = kExitUsage;
      return;
    }
    absl::StatusOr<loadgen::GeneratorResult> result =
        loadgen::RunGenerator(*options, loadgen::MakeHttpSinkFactory(*options), base::SystemClock(),
                              std::cout, std::cerr);
    if (!result.ok()) {
      std::fprintf(stderr, "Error: %s\n", std::string(result.status().message()).c_str());
      *exit_code = 1;
      return;
    }
    *exit_code = result->stats.errors > 0 ? 1 : 0;
  });
  return sub;
}

}  // namespace cardinalsin::cmd
