#include "loadgen/generator.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "loadgen/pacer.h"
#include "loadgen/workload.h"

namespace cardinalsin::loadgen {
namespace {

// Serialises lines from the sender threads and the reporter; flushes each so a log file being
// tailed (the workload runner's ingest.log) is current. The synchronisation in this file uses
// std::mutex, not absl::Mutex: Debian's Abseil is not built for ThreadSanitizer.
class Console {
 public:
  Console(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}
  void Out(std::string_view text) { Write(out_, text); }
  void Err(std::string_view text) { Write(err_, text); }

 private:
  void Write(std::ostream& stream, std::string_view text) {
    std::lock_guard lock(mu_);
    stream << text;
    stream.flush();
  }

  std::mutex mu_;  // serialises writes to out_ and err_
  std::ostream& out_;
  std::ostream& err_;
};

// State every sender thread shares.
struct Run {
  Run(const GeneratorOptions& o, base::Clock& c, std::ostream& out, std::ostream& err)
      : options(o),
        clock(c),
        console(out, err),
        pacer(static_cast<double>(o.samples_per_second), c),
        burst_remaining(BurstTotal(o)) {}

  const GeneratorOptions& options;
  base::Clock& clock;
  Console console;
  Stats stats;
  Pacer pacer;
  std::atomic<uint64_t> burst_remaining;
  absl::Time start;
  absl::Time deadline;
  std::atomic<uint64_t> running_senders{0};

  // Set (under done_mu) by the last sender to finish.
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool senders_done = false;

  void SenderFinished() {
    if (running_senders.fetch_sub(1) != 1) return;
    std::lock_guard lock(done_mu);
    senders_done = true;
    done_cv.notify_all();
  }
  // Waits up to `timeout` for every sender to finish; returns whether they have.
  bool WaitForSenders(absl::Duration timeout) {
    std::unique_lock lock(done_mu);
    return done_cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                            [this] { return senders_done; });
  }
};

void SendOne(Run& run, Workload& workload, BatchSink& sink, size_t samples,
             model::SampleBatch& batch) {
  const double elapsed = absl::ToDoubleSeconds(run.clock.MonotonicNow() - run.start);
  workload.Fill(samples, absl::ToUnixNanos(run.clock.Now()), elapsed, &batch);
  absl::StatusOr<uint64_t> bytes = sink.Send(batch);
  if (bytes.ok()) {
    run.stats.RecordBatch(batch.num_samples(), *bytes);
    if (run.options.verbose) {
      run.console.Out(absl::StrCat("Sent batch of ", batch.num_samples(), " samples\n"));
    }
    return;
  }
  const uint64_t errors = run.stats.RecordError();
  const bool print_all = run.options.burst || run.options.verbose;
  if (print_all || errors == 1) {
    run.console.Err(base::StrCat("Error sending batch: ", bytes.status().message(), "\n"));
  }
  if (!print_all && errors == 1) {
    run.console.Err("(steady mode prints only the first error; --verbose prints each)\n");
  }
}

void RunSender(Run& run, Workload& workload, BatchSink& sink) {
  model::SampleBatch batch;
  const uint64_t batch_size = run.options.batch_size;
  if (run.options.burst) {
    uint64_t remaining = run.burst_remaining.load(std::memory_order_relaxed);
    while (remaining > 0) {
      const uint64_t take = std::min(remaining, batch_size);
      if (run.burst_remaining.compare_exchange_weak(remaining, remaining - take,
                                                    std::memory_order_relaxed)) {
        SendOne(run, workload, sink, static_cast<size_t>(take), batch);
        remaining = run.burst_remaining.load(std::memory_order_relaxed);
      }
    }
  } else {
    while (true) {
      const absl::Time at = run.pacer.Reserve(batch_size);
      if (at >= run.deadline) break;
      const absl::Duration wait = at - run.clock.MonotonicNow();
      if (wait > absl::ZeroDuration()) run.clock.SleepFor(wait);
      SendOne(run, workload, sink, static_cast<size_t>(batch_size), batch);
    }
  }
  run.SenderFinished();
}

uint64_t Seed(const GeneratorOptions& options, uint64_t thread) {
  static_assert(sizeof(std::random_device::result_type) >= 4);
  const uint64_t base = options.seed != 0
                            ? options.seed
                            : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  return SplitMix64::Mix(base + thread);
}

}  // namespace

absl::StatusOr<GeneratorResult> RunGenerator(const GeneratorOptions& options,
                                             const SinkFactory& make_sink, base::Clock& clock,
                                             std::ostream& out, std::ostream& err) {
  CS_RETURN_IF_ERROR(ValidateOptions(options));
  const size_t threads = static_cast<size_t>(options.threads);
  std::vector<std::unique_ptr<BatchSink>> sinks;
  for (size_t i = 0; i < threads; ++i) {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<BatchSink> sink, make_sink());
    sinks.push_back(std::move(sink));
  }

  const SeriesShape shape{.metrics = static_cast<size_t>(options.metrics),
                          .hosts = static_cast<size_t>(options.hosts),
                          .regions = static_cast<size_t>(options.regions)};
  // The contract's workload is shared (every batch walks the same series); the
  // high-cardinality workload is split into one slot range per thread.
  std::vector<std::unique_ptr<Workload>> workloads;
  if (options.series == 0) {
    workloads.push_back(std::make_unique<ContractWorkload>(
        shape, static_cast<size_t>(options.batch_size), Seed(options, 0)));
  } else {
    const ChurnOptions churn{.shape = shape, .series = options.series, .churn = options.churn};
    for (uint64_t i = 0; i < threads; ++i) {
      workloads.push_back(std::make_unique<ChurnWorkload>(churn, options.series * i / threads,
                                                          options.series * (i + 1) / threads,
                                                          Seed(options, i)));
    }
  }

  Run run(options, clock, out, err);
  run.console.Out(FormatBanner(options));
  run.start = clock.MonotonicNow();
  run.deadline = run.start + options.duration;
  run.console.Out(FormatStart(options));
  run.running_senders.store(threads);
  std::vector<std::thread> senders;
  senders.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    Workload& workload = *workloads[std::min(i, workloads.size() - 1)];
    senders.emplace_back(
        [&run, &workload, sink = sinks[i].get()] { RunSender(run, workload, *sink); });
  }
  if (!options.burst) {
    do {
      run.console.Out(FormatStatsLine(run.stats.Snapshot()));
    } while (!run.WaitForSenders(options.report_interval));
  }
  for (std::thread& sender : senders) sender.join();
  // The last paced batch stands for the interval up to the deadline; ending the run there makes
  // "Actual rate" the rate that was held over the whole duration.
  if (!options.burst && options.samples_per_second > 0) {
    const absl::Duration rest = run.deadline - clock.MonotonicNow();
    if (rest > absl::ZeroDuration()) clock.SleepFor(rest);
  }

  GeneratorResult result{.stats = run.stats.Snapshot(),
                         .elapsed = clock.MonotonicNow() - run.start};
  run.console.Out(FormatSummary(result.stats, result.elapsed));
  if (result.stats.errors > 0) run.console.Err(FormatErrorWarning(result.stats.errors));
  return result;
}

}  // namespace cardinalsin::loadgen
