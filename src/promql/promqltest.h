// File: promqltest.h
//
// A reader for Prometheus's promqltest DSL (the `.test` files of the PromQL conformance corpus,
// shared/conformance/promql/README.md) into commands an evaluation runner replays. It reads; it
// evaluates nothing.
//
//   load 5m
//     http_requests{job="api"} 0+10x10 _ stale
//   eval instant at 50m sum(http_requests)
//     {} 100
//   eval range from 0 to 10m step 5m http_requests
//     expect no_warn
//     http_requests{job="api"} 0 10 20
//   clear
//
//   absl::StatusOr<TestFile> file = ParseTestFile("functions.test", text);
//
// Commands: `load <interval>` and `load_with_nhcb <interval>` with indented series lines;
// `clear`; `eval instant at <time> <query>`, `eval range from <t> to <t> step <d> <query>` and
// the older `eval_fail` / `eval_warn` / `eval_info` / `eval_ordered` forms. Times are durations
// (`50m`, `1h30m`) or seconds (`100`, `1.5`) since the epoch.
//
// Points: a number (`1`, `-2.5e3`, `Inf`, `NaN`), `_` (no sample), `stale` (a staleness marker),
// and the expanding forms `a+bxn` / `a-bxn` (n+1 points a, a±b, ...), `axn` (n+1 copies of a),
// `_xn` (n missing). Native histograms (`{{schema:0 sum:1 ...}}`, `{{...}}xn`,
// `{{...}}+{{...}}xn`) are not decoded: they become kHistogram points holding their text, and
// the command lists "native histogram points" in `unsupported` so a runner can skip it with that
// reason.
//
// Start timestamps (`<selector>@st <durations>` lines) are likewise recorded as unsupported.
//
// Expectations under an eval: `expect fail|warn|info [msg: <exact>|regex: <re>]`,
// `expect no_warn`, `expect no_info`, `expect ordered`, `expect range vector from <t> to <t>
// step <d>`, `expect string "<s>"`, a bare number (a scalar result), or a series line
// `<selector> <points>`.
//
// Lines are trimmed; lines starting with `#` are comments, which like blank lines end a block
// (as in Prometheus's reader). Errors are
// InvalidArgument "<file>:<line>: <problem>".
//
// Thread-safety: ParseTestFile is a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace cardinalsin::promql::promqltest {

struct SeriesLabel {
  std::string name;
  std::string value;
  friend bool operator==(const SeriesLabel&, const SeriesLabel&) = default;
};

// A series' labels, sorted by name, `__name__` included when the series has a metric name.
using Labels = std::vector<SeriesLabel>;

struct Point {
  enum class Kind { kValue, kMissing, kStale, kHistogram };
  Kind kind = Kind::kValue;
  double value = 0;       // kValue
  std::string histogram;  // kHistogram: the `{{...}}` text of the first histogram of its term
  friend bool operator==(const Point&, const Point&) = default;
};

struct SeriesPoints {
  Labels labels;
  // A `<selector>@st <durations>` load line: the start timestamps of the series' samples (the
  // newer start_timestamps tier). Not decoded: `points` stays empty and the command lists
  // "start timestamp (@st) series" in `unsupported`.
  bool start_timestamps = false;
  // For a load: point i is at i * interval. For a range eval: one per step (kMissing = absent).
  std::vector<Point> points;
};

struct LoadCommand {
  int line = 0;
  int64_t interval_ms = 0;
  bool with_nhcb = false;  // load_with_nhcb: also convert classic histograms to custom buckets
  std::vector<SeriesPoints> series;
  std::vector<std::string> unsupported;
};

struct ClearCommand {
  int line = 0;
};

struct Expectation {
  enum class Kind { kFail, kWarn, kInfo, kNoWarn, kNoInfo };
  Kind kind = Kind::kFail;
  std::optional<std::string> message;  // msg: exact text
  std::optional<std::string> regex;    // regex: pattern
};

struct EvalCommand {
  int line = 0;
  bool range = false;
  int64_t at_ms = 0;     // instant
  int64_t start_ms = 0;  // range
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  std::string query;
  std::vector<Expectation> expectations;
  bool ordered = false;
  // `expect range vector from .. to .. step ..`: the instant query returns a range vector whose
  // series have one point per step of this grid.
  struct RangeVectorGrid {
    int64_t start_ms = 0;
    int64_t end_ms = 0;
    int64_t step_ms = 0;
  };
  std::optional<RangeVectorGrid> range_vector;
  std::optional<std::string> expected_string;
  std::optional<double> expected_scalar;
  std::vector<SeriesPoints> expected_series;
  std::vector<std::string> unsupported;

  bool ExpectsFailure() const {
    for (const Expectation& e : expectations) {
      if (e.kind == Expectation::Kind::kFail) return true;
    }
    return false;
  }
};

using Command = std::variant<LoadCommand, ClearCommand, EvalCommand>;

struct TestFile {
  std::string name;
  std::vector<Command> commands;
};

// Parses one test file. `name` is used in error messages.
[[nodiscard]] absl::StatusOr<TestFile> ParseTestFile(std::string_view name,
                                                     std::string_view content);

// Expands one point token of a load or expected-series line (`1`, `_x3`, `0+10x5`, `stale`,
// `{{...}}x2`) and appends the points. InvalidArgument naming the token if it is not one.
[[nodiscard]] absl::Status ExpandPoints(std::string_view token, std::vector<Point>& out);

}  // namespace cardinalsin::promql::promqltest
