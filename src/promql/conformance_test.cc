// Runs every eval of the PromQL conformance corpus (Prometheus's promqltest files, read from
// CARDINALSIN_PROMQL_CORPUS or the default shared/conformance/promql; never copied into this
// repository) through the engine over a MemoryQuerier, as Prometheus's own test runner does:
// lookback 5m, max samples 10000, subquery default step 1m, float tolerance 1e-6 relative.
//
// An instant eval is also run
// - as a range query from t-1m to t+1m by 1m, whose middle step must give the same result
//   (unless the eval expects an order or a range vector), and
// - with `@ <t>` added to every selector and outermost subquery without one, at the eval time
//   and at -10t, 0, t/5 and 10t (t = 0: -1s, 0, 1s), unless the query uses a function whose
//   value depends on the evaluation time (Prometheus's AtModifierUnsafeFunctions);
// neither re-run applies to queries reading the query's own start(), end(), step() or range().
//
// Skips are listed in test/promql/eval_skip.txt: `<file>:<line> <reason>` for one eval or
// `<file> <reason>` for a whole file. The test fails when an eval not skipped fails and when a
// skipped eval passes, so the list can only shrink. Native histograms and start timestamps are
// out of scope and skipped without a list entry: evals whose expected output has them (the
// reader marks those unsupported), and failing evals whose query names a metric loaded with
// them. CARDINALSIN_PROMQL_VERBOSE=1 prints every failure and such skip.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "promql/engine.h"
#include "promql/functions.h"
#include "promql/parser.h"
#include "promql/promqltest.h"
#include "promql/testing/memory_querier.h"

namespace cardinalsin::promql {
namespace {

namespace fs = std::filesystem;
namespace pt = promqltest;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path CorpusDir() {
  const char* env = std::getenv("CARDINALSIN_PROMQL_CORPUS");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(CS_PROMQL_CORPUS_DIR);
}

struct SkipList {
  std::map<std::string, std::string> evals;  // "file:line" -> reason
  std::map<std::string, std::string> files;  // file -> reason
  std::set<std::string> used;
};

SkipList ReadSkipList() {
  SkipList list;
  std::istringstream in(ReadFile(CS_PROMQL_EVAL_SKIP_FILE));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find(' ');
    if (sp == std::string::npos) {
      ADD_FAILURE() << "malformed skip entry (want `<file>[:<line>] <reason>`): " << line;
      continue;
    }
    std::string key = line.substr(0, sp);
    std::string reason = line.substr(sp + 1);
    if (key.find(':') != std::string::npos) {
      list.evals[key] = reason;
    } else {
      list.files[key] = reason;
    }
  }
  return list;
}

bool AlmostEqual(double a, double b) {
  constexpr double kEpsilon = 1e-6;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < kEpsilon;
}

Labels ToLabels(const pt::Labels& in) {
  Labels out;
  for (const pt::SeriesLabel& l : in) {
    if (!l.value.empty()) out.push_back(Label{l.name, l.value});
  }
  SortLabels(out);
  return out;
}

std::string FormatSeries(const Labels& labels, const std::vector<FPoint>& points) {
  std::string out = LabelsToString(labels);
  for (const FPoint& p : points) out += absl::StrFormat(" %d:%g", p.t, p.v);
  return out;
}

// The expected result as a matrix: for an instant vector one point per series at `t`.
Matrix ExpectedMatrix(const pt::EvalCommand& cmd, int64_t start, int64_t step) {
  Matrix out;
  for (const pt::SeriesPoints& s : cmd.expected_series) {
    Series series{ToLabels(s.labels), {}, false};
    for (size_t i = 0; i < s.points.size(); ++i) {
      const pt::Point& p = s.points[i];
      if (p.kind == pt::Point::Kind::kMissing) continue;
      double v = p.kind == pt::Point::Kind::kStale ? StaleNaN() : p.value;
      series.points.push_back(FPoint{start + static_cast<int64_t>(i) * step, v});
    }
    out.push_back(std::move(series));
  }
  return out;
}

// Compares series (labels and points); `ordered` also compares the order.
std::string CompareMatrix(const Matrix& want, const Matrix& got, bool ordered) {
  if (want.size() != got.size()) {
    std::string msg = absl::StrFormat("expected %d series, got %d:", want.size(), got.size());
    for (const Series& s : got) msg += "\n  got " + FormatSeries(s.labels, s.points);
    for (const Series& s : want) msg += "\n  want " + FormatSeries(s.labels, s.points);
    return msg;
  }
  for (size_t i = 0; i < want.size(); ++i) {
    const Series& w = want[i];
    const Series* g = nullptr;
    if (ordered) {
      g = &got[i];
      if (g->labels != w.labels) {
        return "expected " + LabelsToString(w.labels) + " at position " + std::to_string(i) +
               ", got " + LabelsToString(g->labels);
      }
    } else {
      for (const Series& s : got) {
        if (s.labels == w.labels) g = &s;
      }
      if (g == nullptr) {
        std::string msg = "missing series " + FormatSeries(w.labels, w.points);
        for (const Series& s : got) msg += "\n  got " + FormatSeries(s.labels, s.points);
        return msg;
      }
    }
    bool same = g->points.size() == w.points.size();
    for (size_t j = 0; same && j < w.points.size(); ++j) {
      same = g->points[j].t == w.points[j].t && AlmostEqual(g->points[j].v, w.points[j].v);
    }
    if (!same) {
      return "series differs: want " + FormatSeries(w.labels, w.points) + ", got " +
             FormatSeries(g->labels, g->points);
    }
  }
  return "";
}

Matrix VectorAsMatrix(const Vector& v) {
  Matrix m;
  for (const Sample& s : v) m.push_back(Series{s.labels, {FPoint{0, s.v}}, false});
  return m;
}

bool MessageMatches(const pt::Expectation& e, std::string_view message) {
  if (e.message.has_value()) return message == *e.message;
  if (e.regex.has_value()) {
    return RE2::PartialMatch(re2::StringPiece(message.data(), message.size()), *e.regex);
  }
  return true;
}

// Strips Prometheus's annotation prefix and position for comparison with `msg:`.
std::string AnnotationBody(const std::string& a) {
  std::string s = a;
  for (std::string_view prefix : {"PromQL warning: ", "PromQL info: "}) {
    if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  }
  return s;
}

std::string CheckAnnotations(const pt::EvalCommand& cmd, const Annotations& annos) {
  for (const pt::Expectation& e : cmd.expectations) {
    const std::vector<std::string>* list = nullptr;
    bool want_none = false;
    switch (e.kind) {
      case pt::Expectation::Kind::kWarn:
        list = &annos.warnings();
        break;
      case pt::Expectation::Kind::kInfo:
        list = &annos.infos();
        break;
      case pt::Expectation::Kind::kNoWarn:
        list = &annos.warnings();
        want_none = true;
        break;
      case pt::Expectation::Kind::kNoInfo:
        list = &annos.infos();
        want_none = true;
        break;
      case pt::Expectation::Kind::kFail:
        continue;
    }
    std::string kind =
        e.kind == pt::Expectation::Kind::kWarn || e.kind == pt::Expectation::Kind::kNoWarn
            ? "warning"
            : "info";
    if (want_none) {
      if (!list->empty()) return "unexpected " + kind + ": " + list->front();
      continue;
    }
    bool found = false;
    for (const std::string& a : *list) {
      if (MessageMatches(e, a) || MessageMatches(e, AnnotationBody(a))) found = true;
    }
    if (!found) {
      std::string msg = "expected a " + kind;
      if (e.message.has_value()) msg += " with message \"" + *e.message + "\"";
      if (e.regex.has_value()) msg += " matching /" + *e.regex + "/";
      msg += ", got [";
      for (const std::string& a : *list) msg += a + "; ";
      return msg + "]";
    }
  }
  return "";
}

// Checks a query result against the eval's expectations; "" when it matches.
std::string CheckResult(const pt::EvalCommand& cmd, const absl::StatusOr<QueryResult>& result) {
  if (cmd.ExpectsFailure()) {
    if (result.ok()) return "expected the query to fail";
    for (const pt::Expectation& e : cmd.expectations) {
      if (e.kind == pt::Expectation::Kind::kFail &&
          !MessageMatches(e, std::string(result.status().message()))) {
        return base::StrCat("error message differs: got \"", result.status().message(), "\", want ",
                            e.message.value_or("/" + e.regex.value_or("") + "/"));
      }
    }
    return "";
  }
  if (!result.ok()) return base::StrCat("query failed: ", result.status().ToString());
  if (std::string a = CheckAnnotations(cmd, result->annotations); !a.empty()) return a;
  const Value& v = result->value;
  if (cmd.expected_string.has_value()) {
    const String* s = std::get_if<String>(&v);
    if (s == nullptr || s->v != *cmd.expected_string) return "expected string result";
    return "";
  }
  if (cmd.expected_scalar.has_value()) {
    const Scalar* s = std::get_if<Scalar>(&v);
    if (s == nullptr) return "expected a scalar result";
    if (!AlmostEqual(s->v, *cmd.expected_scalar)) {
      return absl::StrFormat("expected scalar %g, got %g", *cmd.expected_scalar, s->v);
    }
    return "";
  }
  if (cmd.range) {
    const Matrix* m = std::get_if<Matrix>(&v);
    if (m == nullptr) return "expected a matrix result";
    return CompareMatrix(ExpectedMatrix(cmd, cmd.start_ms, cmd.step_ms), *m, false);
  }
  if (cmd.range_vector.has_value()) {
    const Matrix* m = std::get_if<Matrix>(&v);
    if (m == nullptr) return "expected a range vector result";
    return CompareMatrix(ExpectedMatrix(cmd, cmd.range_vector->start_ms, cmd.range_vector->step_ms),
                         *m, false);
  }
  const Vector* vec = std::get_if<Vector>(&v);
  if (vec == nullptr) {
    if (std::holds_alternative<Scalar>(v)) return "got a scalar, expected an instant vector";
    if (std::holds_alternative<String>(v)) return "got a string, expected an instant vector";
    // A range vector can only match an eval that expects nothing.
    return cmd.expected_series.empty() && std::get<Matrix>(v).empty()
               ? ""
               : "got a range vector, expected an instant vector";
  }
  return CompareMatrix(ExpectedMatrix(cmd, 0, 0), VectorAsMatrix(*vec), cmd.ordered);
}

// Whether the query reads the query's own start, end, step or range (which differ between the
// instant query and its range-mode check).
bool DependsOnQueryRange(std::string_view query) {
  for (std::string_view f : {"step()", "range()", "start()", "end()"}) {
    if (query.find(f) != std::string_view::npos) return true;
  }
  return false;
}

// Prometheus's AtModifierUnsafeFunctions: their value depends on the evaluation time even when
// their arguments do not.
bool IsAtUnsafe(std::string_view name) {
  static constexpr std::string_view kUnsafe[] = {
      "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",     "minute",
      "month",         "year",         "predict_linear", "time",        "timestamp"};
  return std::find(std::begin(kUnsafe), std::end(kUnsafe), name) != std::end(kUnsafe);
}

// Adds `@ t` to every selector and outermost subquery without an @; false if the query uses a
// time-dependent function (then the re-run is skipped, as Prometheus does).
bool AddAtModifier(Expr& e, int64_t t) {
  bool safe = true;
  std::visit(
      [&](auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, VectorSelector>) {
          if (n.at.kind == AtModifier::Kind::kNone) n.at = {AtModifier::Kind::kTimestamp, t};
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          safe = AddAtModifier(*n.selector, t) && safe;
        } else if constexpr (std::is_same_v<T, SubqueryExpr>) {
          if (n.at.kind == AtModifier::Kind::kNone) {
            n.at = {AtModifier::Kind::kTimestamp, t};
          }
          // Nothing inside a subquery with @ changes; only look for unsafe functions.
          safe = AddAtModifier(*n.expr, std::numeric_limits<int64_t>::min()) && safe;
        } else if constexpr (std::is_same_v<T, ParenExpr> || std::is_same_v<T, UnaryExpr>) {
          safe = AddAtModifier(*n.expr, t) && safe;
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          safe = AddAtModifier(*n.lhs, t) && safe;
          safe = AddAtModifier(*n.rhs, t) && safe;
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          if (n.param != nullptr) safe = AddAtModifier(*n.param, t) && safe;
          safe = AddAtModifier(*n.expr, t) && safe;
        } else if constexpr (std::is_same_v<T, Call>) {
          if (IsAtUnsafe(n.func->name)) safe = false;
          for (ExprPtr& arg : n.args) safe = AddAtModifier(*arg, t) && safe;
        }
      },
      e.node);
  return safe;
}

// The marker AddAtModifier uses inside subqueries with @: leave selectors alone.
void ClearMarkerAts(Expr& e) {
  std::visit(
      [&](auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, VectorSelector>) {
          if (n.at.kind == AtModifier::Kind::kTimestamp &&
              n.at.timestamp_ms == std::numeric_limits<int64_t>::min()) {
            n.at = {};
          }
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          ClearMarkerAts(*n.selector);
        } else if constexpr (std::is_same_v<T, SubqueryExpr>) {
          if (n.at.kind == AtModifier::Kind::kTimestamp &&
              n.at.timestamp_ms == std::numeric_limits<int64_t>::min()) {
            n.at = {};
          }
          ClearMarkerAts(*n.expr);
        } else if constexpr (std::is_same_v<T, ParenExpr> || std::is_same_v<T, UnaryExpr>) {
          ClearMarkerAts(*n.expr);
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          ClearMarkerAts(*n.lhs);
          ClearMarkerAts(*n.rhs);
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          if (n.param != nullptr) ClearMarkerAts(*n.param);
          ClearMarkerAts(*n.expr);
        } else if constexpr (std::is_same_v<T, Call>) {
          for (ExprPtr& arg : n.args) ClearMarkerAts(*arg);
        }
      },
      e.node);
}

class Runner {
 public:
  explicit Runner(const Engine& engine) : engine_(engine) {}

  void Load(const pt::LoadCommand& load) {
    for (const pt::SeriesPoints& s : load.series) {
      bool unsupported = s.start_timestamps;
      for (const pt::Point& p : s.points) {
        if (p.kind == pt::Point::Kind::kHistogram) unsupported = true;
      }
      for (const pt::SeriesLabel& l : s.labels) {
        if (l.name != kMetricName) continue;
        if (unsupported) unsupported_metrics_.insert(l.value);
        // load_with_nhcb also loads each classic histogram as a native histogram named
        // without the _bucket suffix.
        std::string_view name = l.value;
        if (load.with_nhcb && name.ends_with("_bucket")) {
          unsupported_metrics_.insert(std::string(name.substr(0, name.size() - 7)));
        }
      }
      std::vector<FPoint> points;
      for (size_t i = 0; i < s.points.size(); ++i) {
        const pt::Point& p = s.points[i];
        int64_t t = static_cast<int64_t>(i) * load.interval_ms;
        if (p.kind == pt::Point::Kind::kValue) points.push_back(FPoint{t, p.value});
        if (p.kind == pt::Point::Kind::kStale) points.push_back(FPoint{t, StaleNaN()});
      }
      querier_.Add(ToLabels(s.labels), points);
    }
  }
  void Clear() {
    querier_.Clear();
    unsupported_metrics_.clear();
  }
  // Whether `query` names a metric loaded with native histogram points or start timestamps.
  bool ReadsUnsupportedData(std::string_view query) const {
    auto is_name_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    };
    for (const std::string& name : unsupported_metrics_) {
      for (size_t pos = query.find(name); pos != std::string_view::npos;
           pos = query.find(name, pos + 1)) {
        bool starts = pos == 0 || !is_name_char(query[pos - 1]);
        size_t end = pos + name.size();
        if (starts && (end == query.size() || !is_name_char(query[end]))) return true;
      }
    }
    return false;
  }

  // "" when the eval passes, else what went wrong.
  std::string Run(const pt::EvalCommand& cmd) {
    absl::StatusOr<ExprPtr> expr = ParseExpr(cmd.query);
    if (!expr.ok()) {
      // Prometheus's `msg:` is the parser's message without our "<line>:<col>: parse error: ".
      std::string message(expr.status().message());
      static constexpr std::string_view kParseError = "parse error: ";
      size_t at = message.find(kParseError);
      if (at != std::string::npos) message = message.substr(at + kParseError.size());
      absl::StatusOr<QueryResult> failed = absl::InvalidArgumentError(message);
      return CheckResult(cmd, failed);
    }
    QueryOptions options;
    if (cmd.range) {
      return CheckResult(cmd, engine_.RangeQuery(querier_, **expr, cmd.start_ms, cmd.end_ms,
                                                 cmd.step_ms, options));
    }
    absl::StatusOr<QueryResult> result = engine_.InstantQuery(querier_, **expr, cmd.at_ms, options);
    if (std::string err = CheckResult(cmd, result); !err.empty()) return err;
    if (cmd.ExpectsFailure()) return "";
    // The same query in range mode: the middle step must agree.
    ValueType type = TypeOf(**expr);
    if (!cmd.ordered && (type == ValueType::kVector || type == ValueType::kScalar) &&
        !DependsOnQueryRange(cmd.query)) {
      absl::StatusOr<QueryResult> range = engine_.RangeQuery(querier_, **expr, cmd.at_ms - 60'000,
                                                             cmd.at_ms + 60'000, 60'000, options);
      if (!range.ok()) return "range mode: " + range.status().ToString();
      Vector mid;
      for (const Series& s : std::get<Matrix>(range->value)) {
        for (const FPoint& p : s.points) {
          if (p.t == cmd.at_ms) mid.push_back(Sample{s.labels, p.t, p.v, false});
        }
      }
      QueryResult as_instant;
      as_instant.annotations = result->annotations;
      if (type == ValueType::kScalar) {
        as_instant.value = Scalar{cmd.at_ms, mid.empty() ? NAN : mid[0].v};
      } else {
        as_instant.value = std::move(mid);
      }
      if (std::string err = CheckResult(cmd, as_instant); !err.empty()) {
        return "range mode: " + err;
      }
    }
    // The @ re-runs.
    absl::StatusOr<ExprPtr> at_expr = ParseExpr(cmd.query);
    if (!at_expr.ok()) return "re-parse failed";
    if (!AddAtModifier(**at_expr, cmd.at_ms) || DependsOnQueryRange(cmd.query)) return "";
    ClearMarkerAts(**at_expr);
    int64_t t = cmd.at_ms;
    std::vector<int64_t> times = {-10 * t, 0, t / 5, t, 10 * t};
    if (t == 0) times = {-1000, 0, 1000};
    for (int64_t et : times) {
      absl::StatusOr<QueryResult> r = engine_.InstantQuery(querier_, **at_expr, et, options);
      if (std::string err = CheckResult(cmd, r); !err.empty()) {
        return absl::StrFormat("with @ %d evaluated at %d: %s", t, et, err);
      }
    }
    return "";
  }

 private:
  const Engine& engine_;
  testing::MemoryQuerier querier_;
  std::set<std::string> unsupported_metrics_;
};

TEST(PromqlConformanceTest, Corpus) {
  fs::path dir = CorpusDir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no PromQL corpus at " << dir;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  SkipList skips = ReadSkipList();
  EngineOptions engine_options;
  engine_options.lookback_delta_ms = 5 * 60 * 1000;
  engine_options.max_samples = 10000;
  engine_options.default_subquery_step_ms = 60'000;
  Engine engine(engine_options);
  const char* verbose_env = std::getenv("CARDINALSIN_PROMQL_VERBOSE");
  bool verbose = verbose_env != nullptr && *verbose_env != '\0';
  std::string table;
  int total_failed = 0;
  for (const fs::path& path : files) {
    std::string name = path.filename().string();
    absl::StatusOr<pt::TestFile> file = pt::ParseTestFile(name, ReadFile(path));
    ASSERT_TRUE(file.ok()) << file.status();
    auto file_skip = skips.files.find(name);
    bool whole_file_skipped = file_skip != skips.files.end();
    if (whole_file_skipped) skips.used.insert(name);
    Runner runner(engine);
    int passed = 0;
    int total = 0;
    int skipped = 0;
    int failed = 0;
    for (const pt::Command& command : file->commands) {
      if (const auto* load = std::get_if<pt::LoadCommand>(&command)) {
        runner.Load(*load);
        continue;
      }
      if (std::holds_alternative<pt::ClearCommand>(command)) {
        runner.Clear();
        continue;
      }
      const auto& cmd = std::get<pt::EvalCommand>(command);
      ++total;
      std::string key = base::StrCat(name, ":", cmd.line);
      if (!cmd.unsupported.empty()) {
        ++skipped;  // expects native histograms or start timestamps: out of scope
        continue;
      }
      std::string err = runner.Run(cmd);
      if (!err.empty() && runner.ReadsUnsupportedData(cmd.query)) {
        ++skipped;  // reads series loaded with native histograms or start timestamps
        if (verbose)
          std::fprintf(stderr, "%s (native histogram or start timestamp data) %s\n", key.c_str(),
                       err.c_str());
        continue;
      }
      auto skip = skips.evals.find(key);
      if (skip != skips.evals.end()) {
        skips.used.insert(key);
        ++skipped;
        if (err.empty()) {
          ADD_FAILURE() << key << " is in eval_skip.txt (" << skip->second
                        << ") but passes now: remove the entry";
        }
        continue;
      }
      if (whole_file_skipped) {
        ++skipped;
        if (err.empty()) ++passed;
        continue;
      }
      if (err.empty()) {
        ++passed;
      } else {
        ++failed;
        ++total_failed;
        ADD_FAILURE() << key << ": " << cmd.query << "\n  " << err;
      }
      if (verbose && !err.empty()) std::fprintf(stderr, "%s %s\n", key.c_str(), err.c_str());
    }
    if (whole_file_skipped && passed == total && total > 0) {
      ADD_FAILURE() << name << " is skipped as a whole (" << file_skip->second
                    << ") but every eval passes: remove the entry";
    }
    table += absl::StrFormat("%-28s %4d/%-4d (skipped %d%s)\n", name + ":", passed, total, skipped,
                             whole_file_skipped ? ", whole file: " + file_skip->second : "");
  }
  for (const auto& [key, reason] : skips.evals) {
    if (!skips.used.contains(key)) ADD_FAILURE() << "skip entry matches no eval: " << key;
  }
  std::printf("PromQL conformance (passed/total per file):\n%s", table.c_str());
  std::printf("evals failing and not skipped: %d\n", total_failed);
}

}  // namespace
}  // namespace cardinalsin::promql
