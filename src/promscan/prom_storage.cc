#include "promscan/prom_storage.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "model/types.h"
#include "re2/re2.h"

namespace cardinalsin::promscan {
namespace {

using promql::LabelMatcher;
using promql::MatchType;

constexpr int64_t kNsPerMs = 1'000'000;

// Prometheus's message when a query would hold too many samples.
constexpr std::string_view kTooManySamples =
    "query processing would load too many samples into memory in query execution";

// An RE2 compiled as Prometheus compiles matcher regexes: anchored, '.' matching newlines.
absl::StatusOr<std::shared_ptr<const RE2>> CompileRegex(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  auto re = std::make_shared<const RE2>(pattern, options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid regular expression \"%s\": %s", pattern, re->error()));
  }
  return re;
}

// A matcher evaluated here rather than by the scan.
struct LocalMatcher {
  MatchType type = MatchType::kEqual;
  std::string value;
  std::shared_ptr<const RE2> re;  // for the regex types

  bool Matches(std::string_view text) const {
    const re2::StringPiece piece(text.data(), text.size());
    switch (type) {
      case MatchType::kEqual:
        return text == value;
      case MatchType::kNotEqual:
        return text != value;
      case MatchType::kRegexMatch:
        return RE2::FullMatch(piece, *re);
      case MatchType::kRegexNoMatch:
        return !RE2::FullMatch(piece, *re);
    }
    return false;
  }
};

absl::StatusOr<LocalMatcher> MakeLocal(const LabelMatcher& matcher) {
  LocalMatcher local{matcher.type, matcher.value, nullptr};
  if (matcher.type == MatchType::kRegexMatch || matcher.type == MatchType::kRegexNoMatch) {
    CS_ASSIGN_OR_RETURN(local.re, CompileRegex(matcher.value));
  }
  return local;
}

int64_t MsToNsFloor(int64_t ms) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min() / kNsPerMs;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / kNsPerMs;
  return std::clamp(ms, kMin, kMax) * kNsPerMs;
}

// The last nanosecond of millisecond `ms`, clamped to the int64 range.
int64_t MsToNsCeil(int64_t ms) {
  constexpr int64_t kMax = (std::numeric_limits<int64_t>::max() - (kNsPerMs - 1)) / kNsPerMs;
  if (ms > kMax) return std::numeric_limits<int64_t>::max();
  return MsToNsFloor(ms) + (kNsPerMs - 1);
}

// Nanoseconds to milliseconds, rounding toward negative infinity.
int64_t NsToMs(int64_t ns) {
  int64_t ms = ns / kNsPerMs;
  if (ns % kNsPerMs < 0) --ms;
  return ms;
}

// One PromQL selector as a scan request plus the matchers on the metric name left to apply.
struct Selection {
  bool matches_nothing = false;
  scan::ScanRequest request;
  std::vector<LocalMatcher> name_matchers;

  bool NameMatches(std::string_view metric) const {
    for (const LocalMatcher& m : name_matchers) {
      if (!m.Matches(metric)) return false;
    }
    return true;
  }
};

absl::StatusOr<Selection> Compile(const std::string& tenant, std::span<const LabelMatcher> matchers,
                                  int64_t start_ms, int64_t end_ms) {
  Selection selection;
  scan::ScanRequest& request = selection.request;
  request.tenant = tenant;
  request.min_time_ns = MsToNsFloor(start_ms);
  request.max_time_ns = MsToNsCeil(end_ms);
  if (start_ms > end_ms) selection.matches_nothing = true;
  bool metric_set = false;
  for (const LabelMatcher& m : matchers) {
    if (m.name == promql::kMetricName) {
      if (!metric_set && m.type == MatchType::kEqual) {
        request.metric = scan::MetricCondition::Exact({m.value});
        metric_set = true;
      } else if (!metric_set && m.type == MatchType::kRegexMatch) {
        CS_RETURN_IF_ERROR(CompileRegex(m.value).status());
        request.metric = scan::MetricCondition::Regex(m.value);
        metric_set = true;
      } else {
        CS_ASSIGN_OR_RETURN(LocalMatcher local, MakeLocal(m));
        selection.name_matchers.push_back(std::move(local));
      }
      continue;
    }
    if (model::IsReservedColumnName(m.name)) {
      // No label can have this name, so every series sees "" for it.
      CS_ASSIGN_OR_RETURN(LocalMatcher local, MakeLocal(m));
      if (!local.Matches("")) selection.matches_nothing = true;
      continue;
    }
    // `=~".*"` matches every value, "" (absent) included: Grafana's "All" sends one per
    // variable, and dropping it saves a regex evaluation per distinct value.
    if (m.type == MatchType::kRegexMatch && m.value == ".*") continue;
    scan::LabelPredicate predicate;
    predicate.name = m.name;
    predicate.values = {m.value};
    predicate.absent = scan::AbsentLabel::kEmptyString;
    predicate.full_match = true;
    switch (m.type) {
      case MatchType::kEqual:
        predicate.op = scan::LabelOp::kEqual;
        break;
      case MatchType::kNotEqual:
        predicate.op = scan::LabelOp::kNotEqual;
        break;
      case MatchType::kRegexMatch:
        predicate.op = scan::LabelOp::kRegex;
        break;
      case MatchType::kRegexNoMatch:
        predicate.op = scan::LabelOp::kNotRegex;
        break;
    }
    request.labels.push_back(std::move(predicate));
  }
  return selection;
}

// Where the columns of a stream's schema are.
struct Layout {
  std::optional<size_t> timestamp, metric, value, series_id;
  std::vector<std::pair<size_t, std::string>> labels;  // index, label name

  explicit Layout(const model::Schema& schema) {
    for (size_t i = 0; i < schema.size(); ++i) {
      const std::string& name = schema.field(i).name;
      if (name == model::kTimestampColumn) {
        timestamp = i;
      } else if (name == model::kMetricNameColumn) {
        metric = i;
      } else if (name == model::kValueColumn) {
        value = i;
      } else if (name == model::kSeriesIdColumn) {
        series_id = i;
      } else {
        labels.emplace_back(i, name);
      }
    }
  }

  // The labels of row `r`: __name__ and the non-empty label columns, sorted.
  promql::Labels LabelsOf(const model::RecordBatch& batch, size_t r) const {
    promql::Labels labels_out;
    labels_out.reserve(labels.size() + 1);
    if (metric.has_value()) {
      labels_out.push_back(
          {std::string(promql::kMetricName), std::string(batch.column(*metric).StringAt(r))});
    }
    for (const auto& entry : labels) {
      const model::Column& column = batch.column(entry.first);
      if (!column.IsValid(r)) continue;
      std::string_view value = column.StringAt(r);
      if (value.empty()) continue;
      labels_out.push_back({entry.second, std::string(value)});
    }
    promql::SortLabels(labels_out);
    return labels_out;
  }
};

absl::Status DataError(std::string_view what) {
  return absl::InternalError(base::StrCat("scan returned an unexpected schema: ", what));
}

// Checks the deadline. `what` names the operation for the message.
absl::Status CheckDeadline(base::Clock& clock, absl::Time deadline, std::string_view what) {
  if (clock.Now() >= deadline) {
    return absl::DeadlineExceededError(base::StrCat("query timed out in ", what));
  }
  return absl::OkStatus();
}

// Counts rows a lookup read against its cap.
absl::Status CountRows(int64_t* rows, size_t more, int64_t cap) {
  *rows += static_cast<int64_t>(more);
  if (cap > 0 && *rows > cap) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the lookup would read more than %d rows; narrow it with match[], start and end", cap));
  }
  return absl::OkStatus();
}

void AddWarnings(const scan::ScanStats& stats, std::vector<std::string>* warnings) {
  for (const std::string& warning : stats.warnings) {
    if (std::find(warnings->begin(), warnings->end(), warning) == warnings->end()) {
      warnings->push_back(warning);
    }
  }
}

class ScanQuerier final : public promql::Querier {
 public:
  ScanQuerier(scan::Scanner* scanner, std::string tenant, absl::Time deadline, int64_t max_samples,
              base::Clock* clock)
      : scanner_(scanner),
        tenant_(std::move(tenant)),
        deadline_(deadline),
        max_samples_(max_samples),
        clock_(clock) {}

  absl::StatusOr<promql::Matrix> Select(const promql::SelectHints& hints,
                                        std::span<const LabelMatcher> matchers) override {
    CS_RETURN_IF_ERROR(CheckDeadline(*clock_, deadline_, "query execution"));
    CS_ASSIGN_OR_RETURN(Selection selection,
                        Compile(tenant_, matchers, hints.start_ms, hints.end_ms));
    if (selection.matches_nothing) return promql::Matrix{};
    selection.request.include_series_id = true;
    CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::ScanStream> stream,
                        scanner_->Open(selection.request));
    const Layout layout(stream->schema());
    if (!layout.timestamp || !layout.metric || !layout.value || !layout.series_id) {
      return DataError("a fixed column is missing");
    }
    promql::Matrix matrix;
    // series_id -> index in `matrix`, or -1 when the series fails a metric-name matcher.
    absl::flat_hash_map<uint64_t, int64_t> index;
    while (true) {
      CS_RETURN_IF_ERROR(CheckDeadline(*clock_, deadline_, "query execution"));
      CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
      if (!batch.has_value()) break;
      const std::vector<int64_t>& ts = batch->column(*layout.timestamp).int64s();
      const std::vector<double>& values = batch->column(*layout.value).doubles();
      const std::vector<uint64_t>& ids = batch->column(*layout.series_id).uint64s();
      const model::Column& metric = batch->column(*layout.metric);
      size_t accepted = 0;
      for (size_t r = 0; r < batch->num_rows(); ++r) {
        auto [it, inserted] = index.try_emplace(ids[r], -1);
        if (inserted && selection.NameMatches(metric.StringAt(r))) {
          it->second = static_cast<int64_t>(matrix.size());
          matrix.push_back({layout.LabelsOf(*batch, r), {}, false});
        }
        if (it->second < 0) continue;
        // Nanoseconds for now; converted once the series is complete.
        matrix[static_cast<size_t>(it->second)].points.push_back({ts[r], values[r]});
        ++accepted;
      }
      if (max_samples_ > 0) {
        int64_t total =
            samples_.fetch_add(static_cast<int64_t>(accepted)) + static_cast<int64_t>(accepted);
        if (total > max_samples_) {
          return absl::ResourceExhaustedError(std::string(kTooManySamples));
        }
      }
    }
    {
      std::lock_guard lock(warnings_mu_);
      AddWarnings(stream->stats(), &warnings_);
    }
    for (promql::Series& series : matrix) Finish(series.points);
    return matrix;
  }

  std::vector<std::string> Warnings() const override {
    std::lock_guard lock(warnings_mu_);
    return warnings_;
  }

 private:
  // Sorts points held in ns, converts them to ms and keeps the last sample of each millisecond.
  static void Finish(std::vector<promql::FPoint>& points) {
    auto earlier = [](const promql::FPoint& a, const promql::FPoint& b) { return a.t < b.t; };
    // Usually sorted already (chunks come in time order, each sorted by series and time).
    if (!std::is_sorted(points.begin(), points.end(), earlier)) {
      std::sort(points.begin(), points.end(), earlier);
    }
    size_t out = 0;
    for (size_t i = 0; i < points.size(); ++i) {
      promql::FPoint point{NsToMs(points[i].t), points[i].v};
      if (out > 0 && points[out - 1].t == point.t) {
        points[out - 1] = point;
      } else {
        points[out++] = point;
      }
    }
    points.resize(out);
  }

  scan::Scanner* const scanner_;
  const std::string tenant_;
  const absl::Time deadline_;
  const int64_t max_samples_;
  base::Clock* const clock_;
  std::atomic<int64_t> samples_{0};  // returned by all Selects so far
  mutable std::mutex warnings_mu_;
  std::vector<std::string> warnings_;  // guarded by warnings_mu_
};

}  // namespace

PromStorage::PromStorage(scan::Scanner* scanner, PromStorageOptions options)
    : scanner_(scanner),
      options_(options),
      clock_(options_.clock != nullptr ? options_.clock : &base::SystemClock()) {}

std::unique_ptr<promql::Querier> PromStorage::NewQuerier(std::string tenant,
                                                         absl::Time deadline) const {
  return std::make_unique<ScanQuerier>(scanner_, std::move(tenant), deadline, options_.max_samples,
                                       clock_);
}

absl::StatusOr<LookupAnswer<promql::Labels>> PromStorage::Series(const Lookup& lookup) const {
  if (lookup.selectors.empty()) {
    return absl::InvalidArgumentError("a series lookup needs at least one selector");
  }
  LookupAnswer<promql::Labels> answer;
  absl::flat_hash_set<uint64_t> found;
  int64_t rows = 0;
  for (const std::vector<LabelMatcher>& matchers : lookup.selectors) {
    CS_ASSIGN_OR_RETURN(Selection selection,
                        Compile(lookup.tenant, matchers, lookup.start_ms, lookup.end_ms));
    if (selection.matches_nothing) continue;
    selection.request.include_series_id = true;
    selection.request.one_row_per_series = true;
    CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::ScanStream> stream,
                        scanner_->Open(selection.request));
    const Layout layout(stream->schema());
    if (!layout.metric || !layout.series_id) return DataError("metric_name or series_id missing");
    absl::flat_hash_set<uint64_t> rejected;  // fail this selector's metric-name matchers
    while (lookup.limit == 0 || answer.items.size() < lookup.limit) {
      CS_RETURN_IF_ERROR(CheckDeadline(*clock_, lookup.deadline, "series lookup"));
      CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
      if (!batch.has_value()) break;
      CS_RETURN_IF_ERROR(CountRows(&rows, batch->num_rows(), options_.max_lookup_rows));
      const std::vector<uint64_t>& ids = batch->column(*layout.series_id).uint64s();
      const model::Column& metric = batch->column(*layout.metric);
      for (size_t r = 0; r < batch->num_rows(); ++r) {
        if (found.contains(ids[r]) || rejected.contains(ids[r])) continue;
        if (!selection.NameMatches(metric.StringAt(r))) {
          rejected.insert(ids[r]);
          continue;
        }
        found.insert(ids[r]);
        answer.items.push_back(layout.LabelsOf(*batch, r));
        if (lookup.limit != 0 && answer.items.size() >= lookup.limit) break;
      }
    }
    AddWarnings(stream->stats(), &answer.warnings);
    if (lookup.limit != 0 && answer.items.size() >= lookup.limit) break;
  }
  return answer;
}

absl::StatusOr<LookupAnswer<std::string>> PromStorage::LabelNames(const Lookup& lookup) const {
  LookupAnswer<std::string> answer;
  absl::flat_hash_set<std::string> found;
  int64_t rows = 0;
  const std::vector<std::vector<LabelMatcher>> everything = {{}};
  const auto& selectors = lookup.selectors.empty() ? everything : lookup.selectors;
  for (const std::vector<LabelMatcher>& matchers : selectors) {
    CS_ASSIGN_OR_RETURN(Selection selection,
                        Compile(lookup.tenant, matchers, lookup.start_ms, lookup.end_ms));
    if (selection.matches_nothing) continue;
    selection.request.one_row_per_series = true;
    CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::ScanStream> stream,
                        scanner_->Open(selection.request));
    const Layout layout(stream->schema());
    if (!layout.metric) return DataError("metric_name missing");
    if (lookup.selectors.empty()) {
      // The schema lists the label keys of the chunks the catalog summaries left after time
      // pruning and of the unflushed rows: no chunk data is read.
      for (const auto& entry : layout.labels) found.insert(entry.second);
      // Every series has a name; read one batch only when no label key says data exists.
      bool any = !layout.labels.empty();
      if (!any) {
        CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
        any = batch.has_value();
      }
      if (any) found.insert(std::string(promql::kMetricName));
      AddWarnings(stream->stats(), &answer.warnings);
      continue;
    }
    const size_t all = layout.labels.size() + 1;
    while (found.size() < all) {
      CS_RETURN_IF_ERROR(CheckDeadline(*clock_, lookup.deadline, "label names lookup"));
      CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
      if (!batch.has_value()) break;
      CS_RETURN_IF_ERROR(CountRows(&rows, batch->num_rows(), options_.max_lookup_rows));
      const model::Column& metric = batch->column(*layout.metric);
      std::vector<uint8_t> keep(batch->num_rows(), 1);
      bool any = false;
      for (size_t r = 0; r < batch->num_rows(); ++r) {
        keep[r] = selection.NameMatches(metric.StringAt(r)) ? 1 : 0;
        any = any || keep[r] != 0;
      }
      if (!any) continue;
      found.insert(std::string(promql::kMetricName));
      for (const auto& entry : layout.labels) {
        if (found.contains(entry.second)) continue;
        const model::Column& column = batch->column(entry.first);
        for (size_t r = 0; r < batch->num_rows(); ++r) {
          if (keep[r] != 0 && column.IsValid(r) && !column.StringAt(r).empty()) {
            found.insert(entry.second);
            break;
          }
        }
      }
    }
    AddWarnings(stream->stats(), &answer.warnings);
  }
  answer.items.assign(found.begin(), found.end());
  std::sort(answer.items.begin(), answer.items.end());
  if (lookup.limit != 0 && answer.items.size() > lookup.limit) answer.items.resize(lookup.limit);
  return answer;
}

absl::StatusOr<LookupAnswer<std::string>> PromStorage::LabelValues(const Lookup& lookup,
                                                                   std::string_view name) const {
  LookupAnswer<std::string> answer;
  const bool is_metric = name == promql::kMetricName;
  if (name.empty() || (!is_metric && model::IsReservedColumnName(name))) {
    return answer;  // no series has such a label
  }
  const std::string column_name(is_metric ? model::kMetricNameColumn : name);
  absl::flat_hash_set<std::string> found;
  int64_t rows = 0;
  const std::vector<std::vector<LabelMatcher>> everything = {{}};
  const auto& selectors = lookup.selectors.empty() ? everything : lookup.selectors;
  for (const std::vector<LabelMatcher>& matchers : selectors) {
    if (lookup.limit != 0 && found.size() >= lookup.limit) break;
    CS_ASSIGN_OR_RETURN(Selection selection,
                        Compile(lookup.tenant, matchers, lookup.start_ms, lookup.end_ms));
    if (selection.matches_nothing) continue;
    selection.request.columns = {column_name};
    selection.request.one_row_per_series = true;
    selection.request.distinct_labels = true;
    if (!is_metric && !selection.name_matchers.empty()) {
      selection.request.columns.emplace_back(model::kMetricNameColumn);
    }
    CS_ASSIGN_OR_RETURN(std::unique_ptr<scan::ScanStream> stream,
                        scanner_->Open(selection.request));
    const model::Schema& schema = stream->schema();
    std::optional<size_t> value_index = schema.IndexOf(column_name);
    std::optional<size_t> metric_index = schema.IndexOf(model::kMetricNameColumn);
    if (!value_index || (!selection.name_matchers.empty() && !metric_index)) {
      return DataError("a requested column is missing");
    }
    while (lookup.limit == 0 || found.size() < lookup.limit) {
      CS_RETURN_IF_ERROR(CheckDeadline(*clock_, lookup.deadline, "label values lookup"));
      CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, stream->Next());
      if (!batch.has_value()) break;
      CS_RETURN_IF_ERROR(CountRows(&rows, batch->num_rows(), options_.max_lookup_rows));
      const model::Column& column = batch->column(*value_index);
      // A dictionary column is visited once per distinct code, not once per row.
      std::vector<uint8_t> code_seen;
      if (column.is_dictionary()) code_seen.assign(column.dictionary().dictionary.size(), 0);
      for (size_t r = 0; r < batch->num_rows(); ++r) {
        if (!column.IsValid(r)) continue;
        if (!selection.name_matchers.empty() &&
            !selection.NameMatches(batch->column(*metric_index).StringAt(r))) {
          continue;
        }
        if (column.is_dictionary()) {
          uint32_t code = column.dictionary().codes[r];
          if (code_seen[code] != 0) continue;
          code_seen[code] = 1;
        }
        std::string_view value = column.StringAt(r);
        if (!value.empty() && !found.contains(base::AsAbsl(value))) {
          found.emplace(value);
          if (lookup.limit != 0 && found.size() >= lookup.limit) break;
        }
      }
    }
    AddWarnings(stream->stats(), &answer.warnings);
  }
  answer.items.assign(found.begin(), found.end());
  std::sort(answer.items.begin(), answer.items.end());
  return answer;
}

}  // namespace cardinalsin::promscan
