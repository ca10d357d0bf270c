#include "promql/promqltest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "promql/ast.h"
#include "promql/lexer.h"
#include "promql/parser.h"

namespace cardinalsin::promql::promqltest {
namespace {

// Most points one series line may expand to, so `0+1x999999999` cannot exhaust memory.
constexpr int64_t kMaxPointsPerLine = 1 << 20;

constexpr std::string_view kHistogramReason = "native histogram points";
constexpr std::string_view kStartTimestampReason = "start timestamp (@st) series";

void AddReason(std::vector<std::string>& reasons, std::string_view reason) {
  if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
    reasons.emplace_back(reason);
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// Removes and returns the first whitespace-separated word of `s`.
std::string_view NextWord(std::string_view& s) {
  s = Trim(s);
  size_t end = 0;
  while (end < s.size() && !absl::ascii_isspace(static_cast<unsigned char>(s[end]))) ++end;
  std::string_view word = s.substr(0, end);
  s = Trim(s.substr(end));
  return word;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Reads a plain float at the start of `s` (sign, digits, fraction, exponent, or Inf/NaN; no hex,
// so "0x5" reads as 0 followed by "x5"). Returns the number of bytes used, 0 if none.
size_t ReadNumber(std::string_view s, double& value) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t body = i;
  std::string_view rest = s.substr(i);
  auto ci_prefix = [&](std::string_view word) {
    return rest.size() >= word.size() &&
           absl::AsciiStrToLower(base::AsAbsl(rest.substr(0, word.size()))) == word;
  };
  if (ci_prefix("inf")) {
    i += 3;
  } else if (ci_prefix("nan")) {
    i += 3;
  } else {
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i == body || (i == body + 1 && s[body] == '.')) return 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      size_t e = i + 1;
      if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
      size_t digits = e;
      while (e < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[e]))) ++e;
      if (e > digits) i = e;
    }
  }
  std::string text(s.substr(0, i));
  value = std::strtod(text.c_str(), nullptr);
  return i;
}

bool ParseWholeNumber(std::string_view s, double& value) {
  return !s.empty() && ReadNumber(s, value) == s.size();
}

// The end of a `{{...}}` group starting at s[0..1], or npos.
size_t HistogramEnd(std::string_view s) {
  size_t end = s.find("}}");
  return end == std::string_view::npos ? end : end + 2;
}

// Splits point tokens on whitespace, keeping `{{ ... }}` groups whole.
std::vector<std::string_view> SplitPoints(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && absl::ascii_isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && !absl::ascii_isspace(static_cast<unsigned char>(s[i]))) {
      if (s.substr(i, 2) == "{{") {
        size_t end = HistogramEnd(s.substr(i));
        i = end == std::string_view::npos ? s.size() : i + end;
      } else {
        ++i;
      }
    }
    tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

// Splits "<selector> <points>" at the end of the selector (quote-aware).
absl::Status SplitSeriesLine(std::string_view line, std::string_view& selector,
                             std::string_view& points) {
  size_t i = 0;
  while (i < line.size() && (absl::ascii_isalnum(static_cast<unsigned char>(line[i])) ||
                             line[i] == '_' || line[i] == ':')) {
    ++i;
  }
  if (i < line.size() && line[i] == '{') {
    char quote = 0;
    for (++i; i < line.size(); ++i) {
      char c = line[i];
      if (quote != 0) {
        if (c == '\\' && quote != '`') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'' || c == '`') {
        quote = c;
      } else if (c == '}') {
        break;
      }
    }
    if (i >= line.size()) return absl::InvalidArgumentError("unterminated '{' in series");
    ++i;
  }
  if (i == 0) return absl::InvalidArgumentError("expected a series selector");
  selector = line.substr(0, i);
  points = Trim(line.substr(i));
  return absl::OkStatus();
}

absl::StatusOr<Labels> ParseLabels(std::string_view selector) {
  Labels labels;
  if (Trim(selector) == "{}") return labels;
  absl::StatusOr<ExprPtr> parsed = ParseMetricSelector(selector);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(base::StrCat("invalid series selector ", selector, ": ",
                                                   std::string(parsed.status().message())));
  }
  const auto& vs = *(*parsed)->As<VectorSelector>();
  if (!vs.name.empty()) labels.push_back({"__name__", vs.name});
  for (const LabelMatcher& m : vs.matchers) {
    if (m.type != MatchType::kEqual) {
      return absl::InvalidArgumentError(
          base::StrCat("series selector ", selector, " may only use '=' matchers"));
    }
    labels.push_back({m.name, m.value});
  }
  std::sort(labels.begin(), labels.end(),
            [](const SeriesLabel& a, const SeriesLabel& b) { return a.name < b.name; });
  for (size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].name == labels[i - 1].name) {
      return absl::InvalidArgumentError(
          base::StrCat("label ", labels[i].name, " appears twice in ", selector));
    }
  }
  return labels;
}

absl::StatusOr<int64_t> ParseTime(std::string_view text) {
  double seconds = 0;
  if (ParseWholeNumber(text, seconds)) {
    double ms = std::round(seconds * 1000);
    if (!std::isfinite(ms) || std::fabs(ms) > 9e18) {
      return absl::InvalidArgumentError(base::StrCat("time out of range: ", text));
    }
    return static_cast<int64_t>(ms);
  }
  absl::StatusOr<int64_t> ms = ParseDurationMs(text);
  if (!ms.ok()) return absl::InvalidArgumentError(base::StrCat("invalid time or duration: ", text));
  return *ms;
}

class Reader {
 public:
  Reader(std::string_view name, std::string_view content) : name_(name) {
    size_t start = 0;
    while (start <= content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string_view::npos) end = content.size();
      lines_.push_back(content.substr(start, end - start));
      start = end + 1;
    }
  }

  absl::StatusOr<TestFile> Run() {
    TestFile file;
    file.name = std::string(name_);
    while (i_ < lines_.size()) {
      std::string_view line = Trim(lines_[i_]);
      const int number = static_cast<int>(i_) + 1;
      ++i_;
      if (line.empty() || line.front() == '#') continue;
      std::string_view rest = line;
      std::string_view word = NextWord(rest);
      if (word == "load" || word == "load_with_nhcb") {
        absl::StatusOr<LoadCommand> load = ParseLoad(word == "load_with_nhcb", rest, number);
        if (!load.ok()) return load.status();
        file.commands.emplace_back(std::move(*load));
      } else if (word == "clear") {
        file.commands.emplace_back(ClearCommand{number});
      } else if (StartsWith(word, "eval")) {
        absl::StatusOr<EvalCommand> eval = ParseEval(word, rest, number);
        if (!eval.ok()) return eval.status();
        file.commands.emplace_back(std::move(*eval));
      } else {
        return Error(number, base::StrCat("unknown command \"", word, "\""));
      }
    }
    return file;
  }

 private:
  absl::Status Error(int line, std::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d: %s", base::AsAbsl(name_), line, base::AsAbsl(message)));
  }

  // Calls `fn(line, number)` for each line of the block after a command: up to a blank or
  // comment line.
  template <typename Fn>
  absl::Status ForEachBlockLine(Fn fn) {
    while (i_ < lines_.size()) {
      std::string_view line = Trim(lines_[i_]);
      // As in Prometheus's reader, a comment line counts as a blank line and ends the block.
      if (line.empty() || line.front() == '#') break;
      const int number = static_cast<int>(i_) + 1;
      ++i_;
      CS_RETURN_IF_ERROR(fn(line, number));
    }
    return absl::OkStatus();
  }

  absl::Status ParseSeries(std::string_view line, int number, SeriesPoints& series,
                           std::vector<std::string>& unsupported) {
    std::string_view selector;
    std::string_view points;
    absl::Status split = SplitSeriesLine(line, selector, points);
    if (!split.ok()) return Error(number, std::string(split.message()));
    absl::StatusOr<Labels> labels = ParseLabels(selector);
    if (!labels.ok()) return Error(number, std::string(labels.status().message()));
    series.labels = std::move(*labels);
    if (StartsWith(points, "@st") &&
        (points.size() == 3 || absl::ascii_isspace(static_cast<unsigned char>(points[3])))) {
      series.start_timestamps = true;
      AddReason(unsupported, kStartTimestampReason);
      return absl::OkStatus();
    }
    for (std::string_view token : SplitPoints(points)) {
      absl::Status expanded = ExpandPoints(token, series.points);
      if (!expanded.ok()) return Error(number, std::string(expanded.message()));
      if (static_cast<int64_t>(series.points.size()) > kMaxPointsPerLine) {
        return Error(number, absl::StrFormat("more than %d points on one line", kMaxPointsPerLine));
      }
    }
    for (const Point& p : series.points) {
      if (p.kind == Point::Kind::kHistogram) {
        AddReason(unsupported, kHistogramReason);
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<LoadCommand> ParseLoad(bool with_nhcb, std::string_view rest, int number) {
    LoadCommand load;
    load.line = number;
    load.with_nhcb = with_nhcb;
    std::string_view interval = NextWord(rest);
    absl::StatusOr<int64_t> ms = ParseDurationMs(interval);
    if (!ms.ok() || *ms <= 0 || !rest.empty()) {
      return Error(number, "expected `load <interval>` with a positive duration");
    }
    load.interval_ms = *ms;
    CS_RETURN_IF_ERROR(ForEachBlockLine([&](std::string_view line, int n) -> absl::Status {
      SeriesPoints series;
      CS_RETURN_IF_ERROR(ParseSeries(line, n, series, load.unsupported));
      load.series.push_back(std::move(series));
      return absl::OkStatus();
    }));
    return load;
  }

  absl::StatusOr<EvalCommand> ParseEval(std::string_view word, std::string_view rest, int number) {
    EvalCommand eval;
    eval.line = number;
    if (word == "eval_fail") {
      eval.expectations.push_back({Expectation::Kind::kFail, std::nullopt, std::nullopt});
    } else if (word == "eval_warn") {
      eval.expectations.push_back({Expectation::Kind::kWarn, std::nullopt, std::nullopt});
    } else if (word == "eval_info") {
      eval.expectations.push_back({Expectation::Kind::kInfo, std::nullopt, std::nullopt});
    } else if (word == "eval_ordered") {
      eval.ordered = true;
    } else if (word != "eval") {
      return Error(number, base::StrCat("unknown command \"", word, "\""));
    }
    std::string_view kind = NextWord(rest);
    auto time = [&](std::string_view expected_keyword, int64_t& out) -> absl::Status {
      std::string_view keyword = NextWord(rest);
      if (keyword != expected_keyword) {
        return Error(number,
                     base::StrCat("expected \"", expected_keyword, "\", got \"", keyword, "\""));
      }
      absl::StatusOr<int64_t> ms = ParseTime(NextWord(rest));
      if (!ms.ok()) return Error(number, std::string(ms.status().message()));
      out = *ms;
      return absl::OkStatus();
    };
    if (kind == "instant") {
      CS_RETURN_IF_ERROR(time("at", eval.at_ms));
    } else if (kind == "range") {
      eval.range = true;
      CS_RETURN_IF_ERROR(time("from", eval.start_ms));
      CS_RETURN_IF_ERROR(time("to", eval.end_ms));
      CS_RETURN_IF_ERROR(time("step", eval.step_ms));
      if (eval.step_ms <= 0) return Error(number, "range eval step must be positive");
      if (eval.end_ms < eval.start_ms) return Error(number, "range eval ends before it starts");
    } else {
      return Error(number, base::StrCat("expected \"instant\" or \"range\" after ", word,
                                        ", got \"", kind, "\""));
    }
    if (rest.empty()) return Error(number, "eval without a query");
    eval.query = std::string(rest);
    CS_RETURN_IF_ERROR(ForEachBlockLine([&](std::string_view line, int n) -> absl::Status {
      return ParseEvalLine(line, n, eval);
    }));
    return eval;
  }

  absl::Status ParseEvalLine(std::string_view line, int number, EvalCommand& eval) {
    if (StartsWith(line, "expect ")) {
      std::string_view rest = line.substr(7);
      std::string_view what = NextWord(rest);
      if (what == "ordered") {
        eval.ordered = true;
        return absl::OkStatus();
      }
      if (what == "string") {
        absl::StatusOr<std::vector<Token>> tokens = Lex(rest);
        if (!tokens.ok() || tokens->size() != 2 || (*tokens)[0].kind != TokenKind::kString) {
          return Error(number, "expected `expect string \"<text>\"`");
        }
        eval.expected_string = (*tokens)[0].value;
        return absl::OkStatus();
      }
      if (what == "range") {
        if (NextWord(rest) != "vector") return Error(number, "expected `expect range vector`");
        EvalCommand::RangeVectorGrid grid;
        for (auto [keyword, out] : {std::pair<std::string_view, int64_t*>{"from", &grid.start_ms},
                                    {"to", &grid.end_ms},
                                    {"step", &grid.step_ms}}) {
          if (NextWord(rest) != keyword) {
            return Error(number, "expected `expect range vector from <t> to <t> step <d>`");
          }
          absl::StatusOr<int64_t> ms = ParseTime(NextWord(rest));
          if (!ms.ok()) return Error(number, std::string(ms.status().message()));
          *out = *ms;
        }
        if (grid.step_ms <= 0) return Error(number, "range vector step must be positive");
        eval.range_vector = grid;
        return absl::OkStatus();
      }
      Expectation e;
      if (what == "fail") {
        e.kind = Expectation::Kind::kFail;
      } else if (what == "warn") {
        e.kind = Expectation::Kind::kWarn;
      } else if (what == "info") {
        e.kind = Expectation::Kind::kInfo;
      } else if (what == "no_warn") {
        e.kind = Expectation::Kind::kNoWarn;
      } else if (what == "no_info") {
        e.kind = Expectation::Kind::kNoInfo;
      } else {
        return Error(number, base::StrCat("unknown expectation \"", what, "\""));
      }
      if (!rest.empty()) {
        if (e.kind == Expectation::Kind::kNoWarn || e.kind == Expectation::Kind::kNoInfo) {
          return Error(number, base::StrCat("expect ", what, " takes no message"));
        }
        if (StartsWith(rest, "msg:")) {
          e.message = std::string(Trim(rest.substr(4)));
        } else if (StartsWith(rest, "regex:")) {
          e.regex = std::string(Trim(rest.substr(6)));
        } else {
          return Error(number, "expected `msg: <text>` or `regex: <pattern>` after expect");
        }
      }
      eval.expectations.push_back(std::move(e));
      return absl::OkStatus();
    }
    double scalar = 0;
    if (ParseWholeNumber(line, scalar)) {
      eval.expected_scalar = scalar;
      return absl::OkStatus();
    }
    SeriesPoints series;
    CS_RETURN_IF_ERROR(ParseSeries(line, number, series, eval.unsupported));
    eval.expected_series.push_back(std::move(series));
    return absl::OkStatus();
  }

  std::string_view name_;
  std::vector<std::string_view> lines_;
  size_t i_ = 0;
};

absl::Status BadPoint(std::string_view token) {
  return absl::InvalidArgumentError(base::StrCat(
      "invalid point \"", token, "\": expected a number, _, stale, a+bxn, a-bxn, axn or {{...}}"));
}

// Parses "x<n>" at the start of `s` (the whole rest); n >= 0.
bool ParseRepeat(std::string_view s, int64_t& n) {
  if (s.size() < 2 || s[0] != 'x') return false;
  n = 0;
  for (char c : s.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    n = n * 10 + (c - '0');
    if (n > kMaxPointsPerLine) return false;
  }
  return true;
}

}  // namespace

absl::Status ExpandPoints(std::string_view token, std::vector<Point>& out) {
  if (token.empty()) return BadPoint(token);
  if (StartsWith(token, "{{")) {
    size_t end = HistogramEnd(token);
    if (end == std::string_view::npos) return BadPoint(token);
    Point p;
    p.kind = Point::Kind::kHistogram;
    p.histogram = std::string(token.substr(0, end));
    std::string_view rest = token.substr(end);
    int64_t n = 0;
    if (rest.empty()) {
      out.push_back(std::move(p));
      return absl::OkStatus();
    }
    if (rest[0] == '+' || rest[0] == '-') {
      rest.remove_prefix(1);
      if (!StartsWith(rest, "{{")) return BadPoint(token);
      size_t inc_end = HistogramEnd(rest);
      if (inc_end == std::string_view::npos) return BadPoint(token);
      rest.remove_prefix(inc_end);
    }
    if (!ParseRepeat(rest, n)) return BadPoint(token);
    for (int64_t i = 0; i <= n; ++i) out.push_back(p);
    return absl::OkStatus();
  }
  if (token == "stale") {
    out.push_back({Point::Kind::kStale, 0, {}});
    return absl::OkStatus();
  }
  if (token[0] == '_') {
    int64_t n = 0;
    if (token.size() == 1) {
      n = 0;
    } else if (!ParseRepeat(token.substr(1), n)) {
      return BadPoint(token);
    } else {
      n -= 1;  // `_xn` is n missing points
    }
    for (int64_t i = 0; i <= n; ++i) out.push_back({Point::Kind::kMissing, 0, {}});
    return absl::OkStatus();
  }
  double start = 0;
  size_t used = ReadNumber(token, start);
  if (used == 0) return BadPoint(token);
  std::string_view rest = token.substr(used);
  if (rest.empty()) {
    out.push_back({Point::Kind::kValue, start, {}});
    return absl::OkStatus();
  }
  double delta = 0;
  if (rest[0] == '+' || rest[0] == '-') {
    bool negative = rest[0] == '-';
    rest.remove_prefix(1);
    size_t n = ReadNumber(rest, delta);
    if (n == 0 || rest[0] == '+' || rest[0] == '-') return BadPoint(token);
    rest.remove_prefix(n);
    if (negative) delta = -delta;
  }
  int64_t n = 0;
  if (!ParseRepeat(rest, n)) return BadPoint(token);
  for (int64_t i = 0; i <= n; ++i) {
    out.push_back({Point::Kind::kValue, start + delta * static_cast<double>(i), {}});
  }
  return absl::OkStatus();
}

absl::StatusOr<TestFile> ParseTestFile(std::string_view name, std::string_view content) {
  return Reader(name, content).Run();
}

}  // namespace cardinalsin::promql::promqltest
