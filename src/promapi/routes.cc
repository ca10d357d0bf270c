#include "promapi/routes.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/json_string.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "model/labels.h"
#include "model/tenant.h"
#include "promapi/internal/json.h"
#include "promapi/internal/parse_query.h"
#include "promapi/params.h"
#include "promql/format.h"
#include "promql/parser.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::promapi {

using http::Request;
using http::Response;

namespace {

constexpr std::string_view kTruncatedWarning = "results truncated due to limit";

std::string_view Message(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

// A failed request: Prometheus's errorType, the HTTP status and the message.
struct ApiError {
  std::string_view type;
  int status = 500;
  std::string message;
};

ApiError BadData(std::string message) { return {"bad_data", 400, std::move(message)}; }

ApiError InvalidParam(std::string_view name, std::string_view message) {
  return BadData(
      absl::StrFormat("invalid parameter \"%s\": %s", base::AsAbsl(name), base::AsAbsl(message)));
}

// The engine's and the backend's error codes (engine.h, backend.h) as API errors.
ApiError FromStatus(const absl::Status& status) {
  std::string message(Message(status));
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return BadData(std::move(message));
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
      return {"execution", 422, std::move(message)};
    case absl::StatusCode::kDeadlineExceeded:
      return {"timeout", 503, std::move(message)};
    case absl::StatusCode::kCancelled:
      return {"canceled", 503, std::move(message)};
    case absl::StatusCode::kUnavailable:
      return {"unavailable", 503, std::move(message)};
    default:
      spdlog::error("promapi: request failed: {}", status.ToString());
      return {"internal", 500, std::move(message)};
  }
}

Response ErrorResponse(const ApiError& error) {
  std::string body = "{\"status\":\"error\",\"errorType\":";
  base::AppendJsonString(&body, error.type);
  body += ",\"error\":";
  base::AppendJsonString(&body, error.message);
  body += '}';
  return Response::Json(error.status, std::move(body));
}

void AppendStringArray(std::string* out, const std::vector<std::string>& items) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    base::AppendJsonString(out, items[i]);
  }
  out->push_back(']');
}

// {"status":"success","data":<data>[,"warnings":[...]][,"infos":[...]]}
Response Success(std::string_view data, const std::vector<std::string>& warnings = {},
                 const std::vector<std::string>& infos = {}) {
  std::string body;
  body.reserve(data.size() + 64);
  body += "{\"status\":\"success\",\"data\":";
  body += data;
  if (!warnings.empty()) {
    body += ",\"warnings\":";
    AppendStringArray(&body, warnings);
  }
  if (!infos.empty()) {
    body += ",\"infos\":";
    AppendStringArray(&body, infos);
  }
  body += '}';
  return Response::Json(200, std::move(body));
}

// The request's parameters: the form body (for a form POST) first, then the query string, as
// Go's Request.FormValue and Request.Form read them.
class Params {
 public:
  static absl::StatusOr<Params> Read(const Request& request) {
    Params params(request.query);
    if (request.IsFormPost()) {
      absl::StatusOr<http::QueryParams> form = http::ParseUrlEncoded(request.body);
      if (!form.ok()) {
        return absl::InvalidArgumentError(
            base::StrCat("cannot parse the form body: ", Message(form.status())));
      }
      params.form_ = *std::move(form);
    }
    return params;
  }

  // The first value of `name` (form, then query string); an empty value counts as absent, as
  // with Go's FormValue() == "".
  std::optional<std::string> Get(std::string_view name) const {
    for (const http::QueryParams* source : {&form_, query_}) {
      if (auto it = source->find(name); it != source->end()) {
        if (it->second.empty()) return std::nullopt;
        return it->second;
      }
    }
    return std::nullopt;
  }

  std::vector<std::string> GetAll(std::string_view name) const {
    std::vector<std::string> values;
    for (const http::QueryParams* source : {&form_, query_}) {
      auto [begin, end] = source->equal_range(name);
      for (auto it = begin; it != end; ++it) values.push_back(it->second);
    }
    return values;
  }

 private:
  explicit Params(const http::QueryParams& query) : query_(&query) {}
  http::QueryParams form_;
  const http::QueryParams* query_;
};

// A `limit` parameter: absent = 0 (no limit), else a non-negative integer.
absl::StatusOr<size_t> ParseLimit(const Params& params, std::string_view name) {
  std::optional<std::string> text = params.Get(name);
  if (!text.has_value()) {
    return 0;
  }
  int64_t limit = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (error != std::errc() || end != text->data() + text->size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("strconv.Atoi: parsing \"%s\": invalid syntax", text->substr(0, 100)));
  }
  if (limit < 0) {
    return absl::InvalidArgumentError("limit must be non-negative");
  }
  return static_cast<size_t>(limit);
}

// "U__"-escaped label names (Prometheus's ValueEncodingEscaping): after the prefix, "__" is '_'
// and "_<hex>_" is the code point <hex>; anything else stands for itself. Returns nullopt when the
// escapes are malformed.
std::optional<std::string> UnescapeName(std::string_view name) {
  if (!name.starts_with("U__")) {
    return std::string(name);
  }
  std::string out;
  std::string_view rest = name.substr(3);
  while (!rest.empty()) {
    if (rest[0] != '_') {
      out.push_back(rest[0]);
      rest.remove_prefix(1);
      continue;
    }
    if (rest.starts_with("__")) {
      out.push_back('_');
      rest.remove_prefix(2);
      continue;
    }
    size_t close = rest.find('_', 1);
    if (close == std::string_view::npos || close == 1 || close > 9) return std::nullopt;
    uint32_t code = 0;
    auto [end, error] = std::from_chars(rest.data() + 1, rest.data() + close, code, 16);
    if (error != std::errc() || end != rest.data() + close || code > 0x10ffff ||
        (code >= 0xd800 && code <= 0xdfff)) {
      return std::nullopt;
    }
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
    rest.remove_prefix(close + 1);
  }
  return out;
}

// A slot of the concurrency limit, released on destruction.
class Slot {
 public:
  static std::optional<Slot> TryAcquire(std::atomic<int>* in_flight, int limit) {
    if (in_flight->fetch_add(1, std::memory_order_acq_rel) >= limit) {
      in_flight->fetch_sub(1, std::memory_order_acq_rel);
      return std::nullopt;
    }
    return Slot(in_flight);
  }
  Slot(Slot&& other) noexcept : in_flight_(std::exchange(other.in_flight_, nullptr)) {}
  Slot& operator=(Slot&&) = delete;
  ~Slot() {
    if (in_flight_ != nullptr) in_flight_->fetch_sub(1, std::memory_order_acq_rel);
  }

 private:
  explicit Slot(std::atomic<int>* in_flight) : in_flight_(in_flight) {}
  std::atomic<int>* in_flight_;
};

// Seconds as Prometheus's stats report them.
double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

class Api {
 public:
  explicit Api(PromApiOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &base::SystemClock()),
        start_time_(clock_->Now()) {}

  Response Query(const Request& request, bool range) {
    absl::Time received = clock_->MonotonicNow();
    absl::StatusOr<Params> params = Params::Read(request);
    if (!params.ok()) return ErrorResponse(BadData(std::string(Message(params.status()))));
    absl::StatusOr<std::string> tenant = Tenant(request);
    if (!tenant.ok()) return ErrorResponse(BadData(std::string(Message(tenant.status()))));

    int64_t time_ms = 0, start_ms = 0, end_ms = 0, step_ms = 0;
    if (range) {
      for (auto [name, out] : {std::pair<std::string_view, int64_t*>{"start", &start_ms},
                               std::pair<std::string_view, int64_t*>{"end", &end_ms}}) {
        absl::StatusOr<int64_t> t = ParseTimeMs(params->Get(name).value_or(""));
        if (!t.ok()) return ErrorResponse(InvalidParam(name, Message(t.status())));
        *out = *t;
      }
      if (end_ms < start_ms) {
        return ErrorResponse(InvalidParam("end", "end timestamp must not be before start time"));
      }
      absl::StatusOr<int64_t> step = ParseDurationMs(params->Get("step").value_or(""));
      if (!step.ok()) return ErrorResponse(InvalidParam("step", Message(step.status())));
      if (*step <= 0) {
        return ErrorResponse(InvalidParam(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive "
            "integer"));
      }
      step_ms = *step;
      // end - start can exceed int64 (kMinTimeMs .. kMaxTimeMs): compare in unsigned.
      uint64_t span = static_cast<uint64_t>(end_ms) - static_cast<uint64_t>(start_ms);
      if (span / static_cast<uint64_t>(step_ms) >
          static_cast<uint64_t>(options_.max_points_per_series)) {
        return ErrorResponse(BadData(absl::StrFormat(
            "exceeded maximum resolution of %s points per timeseries. Try decreasing the query "
            "resolution (?step=XX)",
            GroupThousands(options_.max_points_per_series))));
      }
    } else if (std::optional<std::string> text = params->Get("time")) {
      absl::StatusOr<int64_t> t = ParseTimeMs(*text);
      if (!t.ok()) {
        return ErrorResponse(InvalidParam(
            "time", base::StrCat("Invalid time value for 'time': ", Message(t.status()))));
      }
      time_ms = *t;
    } else {
      time_ms = absl::ToUnixMillis(clock_->Now());
    }

    absl::StatusOr<absl::Duration> timeout = Timeout(*params);
    if (!timeout.ok()) return ErrorResponse(InvalidParam("timeout", Message(timeout.status())));
    absl::StatusOr<size_t> limit = ParseLimit(*params, "limit");
    if (!limit.ok()) return ErrorResponse(InvalidParam("limit", Message(limit.status())));
    promql::QueryOptions query_options;
    if (std::optional<std::string> text = params->Get("lookback_delta")) {
      absl::StatusOr<int64_t> lookback = ParseDurationMs(*text);
      if (!lookback.ok()) {
        return ErrorResponse(BadData(
            base::StrCat("error parsing lookback delta duration: ", Message(lookback.status()))));
      }
      query_options.lookback_delta_ms = *lookback;
    }
    const bool want_stats = params->Get("stats").has_value();

    std::string query_text = params->Get("query").value_or("");
    absl::StatusOr<promql::ExprPtr> expr = promql::ParseExpr(query_text);
    if (!expr.ok()) return ErrorResponse(InvalidParam("query", Message(expr.status())));
    if (range) {
      promql::ValueType type = promql::TypeOf(**expr);
      if (type != promql::ValueType::kScalar && type != promql::ValueType::kVector) {
        return ErrorResponse(InvalidParam(
            "query",
            absl::StrFormat("invalid expression type \"%s\" for range query, must be Scalar or "
                            "instant Vector",
                            base::AsAbsl(promql::ValueTypeName(type)))));
      }
    }

    if (request.ShuttingDown()) {
      return ErrorResponse({"canceled", 503, "the server is shutting down"});
    }
    std::optional<Slot> slot = AcquireSlot();
    if (!slot.has_value()) return ErrorResponse(TooManyQueries());
    absl::Time queued = clock_->MonotonicNow();
    query_options.deadline = clock_->Now() + *timeout;
    query_options.cancelled = request.shutting_down;
    absl::StatusOr<std::unique_ptr<promql::Querier>> querier =
        options_.backend->NewQuerier(*tenant, query_options.deadline);
    if (!querier.ok()) return ErrorResponse(FromStatus(querier.status()));
    absl::Time prepared = clock_->MonotonicNow();
    absl::StatusOr<promql::QueryResult> result =
        range
            ? options_.evaluator.range(**querier, **expr, start_ms, end_ms, step_ms, query_options)
            : options_.evaluator.instant(**querier, **expr, time_ms, query_options);
    if (!result.ok()) return ErrorResponse(FromStatus(result.status()));
    absl::Time evaluated = clock_->MonotonicNow();
    slot.reset();

    std::vector<std::string> warnings = result->annotations.warnings();
    if (*limit > 0 && Truncate(result->value, *limit)) {
      warnings.emplace_back(kTruncatedWarning);
    }
    std::string data;
    internal::AppendQueryData(&data, result->value);
    if (want_stats) {
      // Inside the data object, as Prometheus puts it.
      data.pop_back();
      absl::StrAppendFormat(
          &data,
          ",\"stats\":{\"timings\":{\"evalTotalTime\":%.9g,\"resultSortTime\":0,"
          "\"queryPreparationTime\":%.9g,\"innerEvalTime\":%.9g,\"execQueueTime\":%.9g,"
          "\"execTotalTime\":%.9g},\"samples\":{\"totalQueryableSamples\":%d,"
          "\"peakSamples\":%d}}}",
          Seconds(evaluated - queued), Seconds(prepared - queued), Seconds(evaluated - prepared),
          Seconds(queued - received), Seconds(evaluated - received), result->stats.samples_loaded,
          result->stats.peak_samples);
    }
    return Success(data, warnings, result->annotations.infos());
  }

  // /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values.
  enum class Lookup { kSeries, kLabelNames, kLabelValues };

  Response LookupRoute(const Request& request, Lookup kind) {
    std::string label_name;
    if (kind == Lookup::kLabelValues) {
      std::optional<std::string> name = UnescapeName(request.path_params.at("name"));
      if (!name.has_value() || name->empty() || !model::IsValidUtf8(*name)) {
        return ErrorResponse(BadData(absl::StrFormat(
            "invalid label name: \"%s\"", base::AsAbsl(request.path_params.at("name")))));
      }
      label_name = *std::move(name);
    }
    absl::StatusOr<Params> params = Params::Read(request);
    if (!params.ok()) return ErrorResponse(BadData(std::string(Message(params.status()))));
    absl::StatusOr<std::string> tenant = Tenant(request);
    if (!tenant.ok()) return ErrorResponse(BadData(std::string(Message(tenant.status()))));

    LookupRequest lookup;
    lookup.tenant = *std::move(tenant);
    lookup.start_ms = kMinTimeMs;
    lookup.end_ms = kMaxTimeMs;
    for (auto [name, out] : {std::pair<std::string_view, int64_t*>{"start", &lookup.start_ms},
                             std::pair<std::string_view, int64_t*>{"end", &lookup.end_ms}}) {
      if (std::optional<std::string> text = params->Get(name)) {
        absl::StatusOr<int64_t> t = ParseTimeMs(*text);
        if (!t.ok()) {
          return ErrorResponse(InvalidParam(
              name, absl::StrFormat("Invalid time value for '%s': %s", base::AsAbsl(name),
                                    base::AsAbsl(Message(t.status())))));
        }
        *out = *t;
      }
    }
    std::vector<std::string> selectors = params->GetAll("match[]");
    if (kind == Lookup::kSeries && selectors.empty()) {
      return ErrorResponse(BadData("no match[] parameter provided"));
    }
    for (const std::string& text : selectors) {
      absl::StatusOr<promql::ExprPtr> expr = promql::ParseMetricSelector(text);
      if (!expr.ok()) return ErrorResponse(InvalidParam("match[]", Message(expr.status())));
      const promql::VectorSelector* selector = (*expr)->As<promql::VectorSelector>();
      CS_CHECK(selector != nullptr);  // ParseMetricSelector returns only vector selectors
      std::vector<promql::LabelMatcher> matchers = selector->matchers;
      if (!selector->name.empty()) {
        matchers.push_back(
            {promql::MatchType::kEqual, std::string(promql::kMetricName), selector->name});
      }
      lookup.selectors.push_back(std::move(matchers));
    }
    absl::StatusOr<size_t> limit = ParseLimit(*params, "limit");
    if (!limit.ok()) return ErrorResponse(InvalidParam("limit", Message(limit.status())));
    // One more than asked for, to tell whether there were more.
    lookup.limit = *limit == 0 ? 0 : *limit + 1;

    std::string data;
    std::vector<std::string> warnings;
    if (lookup.end_ms < lookup.start_ms) {
      data = "[]";  // an empty range selects nothing
      return Success(data);
    }
    if (request.ShuttingDown()) {
      return ErrorResponse({"canceled", 503, "the server is shutting down"});
    }
    std::optional<Slot> slot = AcquireSlot();
    if (!slot.has_value()) return ErrorResponse(TooManyQueries());
    lookup.deadline = clock_->Now() + options_.query_timeout;
    if (kind == Lookup::kSeries) {
      absl::StatusOr<LookupResult<promql::Labels>> result = options_.backend->Series(lookup);
      if (!result.ok()) return ErrorResponse(FromStatus(result.status()));
      std::vector<promql::Labels>& series = result->items;
      // Prometheus returns series sorted by their label sets.
      std::sort(series.begin(), series.end(), promql::LabelsLess);
      series.erase(std::unique(series.begin(), series.end()), series.end());
      if (*limit > 0 && series.size() > *limit) {
        series.resize(*limit);
        result->warnings.emplace_back(kTruncatedWarning);
      }
      data.push_back('[');
      for (size_t i = 0; i < series.size(); ++i) {
        if (i > 0) data.push_back(',');
        internal::AppendLabels(&data, series[i]);
      }
      data.push_back(']');
      warnings = std::move(result->warnings);
    } else {
      absl::StatusOr<LookupResult<std::string>> result =
          kind == Lookup::kLabelNames ? options_.backend->LabelNames(lookup)
                                      : options_.backend->LabelValues(lookup, label_name);
      if (!result.ok()) return ErrorResponse(FromStatus(result.status()));
      std::vector<std::string>& items = result->items;
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      if (*limit > 0 && items.size() > *limit) {
        items.resize(*limit);
        result->warnings.emplace_back(kTruncatedWarning);
      }
      AppendStringArray(&data, items);
      warnings = std::move(result->warnings);
    }
    return Success(data, warnings);
  }

  Response Metadata(const Request& request) {
    absl::StatusOr<Params> params = Params::Read(request);
    if (!params.ok()) return ErrorResponse(BadData(std::string(Message(params.status()))));
    absl::StatusOr<std::string> tenant = Tenant(request);
    if (!tenant.ok()) return ErrorResponse(BadData(std::string(Message(tenant.status()))));
    MetadataRequest metadata_request;
    metadata_request.tenant = *std::move(tenant);
    metadata_request.metric = params->Get("metric");
    for (auto [name, out] : {std::pair<std::string_view, size_t*>{"limit", &metadata_request.limit},
                             std::pair<std::string_view, size_t*>{
                                 "limit_per_metric", &metadata_request.limit_per_metric}}) {
      absl::StatusOr<size_t> limit = ParseLimit(*params, name);
      if (!limit.ok()) return ErrorResponse(InvalidParam(name, Message(limit.status())));
      *out = *limit;
    }
    std::map<std::string, std::vector<MetricMetadata>> metrics;
    if (options_.metadata != nullptr) {
      absl::StatusOr<std::map<std::string, std::vector<MetricMetadata>>> result =
          options_.metadata->Metadata(metadata_request);
      if (!result.ok()) return ErrorResponse(FromStatus(result.status()));
      metrics = *std::move(result);
    }
    std::string data = "{";
    size_t metric_count = 0;
    for (const auto& entry : metrics) {
      if (metadata_request.limit > 0 && metric_count == metadata_request.limit) break;
      if (metric_count++ > 0) data.push_back(',');
      base::AppendJsonString(&data, entry.first);
      data += ":[";
      size_t n = entry.second.size();
      if (metadata_request.limit_per_metric > 0) n = std::min(n, metadata_request.limit_per_metric);
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) data.push_back(',');
        const MetricMetadata& m = entry.second[i];
        data += "{\"type\":";
        base::AppendJsonString(&data, m.type);
        data += ",\"help\":";
        base::AppendJsonString(&data, m.help);
        data += ",\"unit\":";
        base::AppendJsonString(&data, m.unit);
        data += '}';
      }
      data += ']';
    }
    data += '}';
    return Success(data);
  }

  Response FormatQuery(const Request& request, bool parse) {
    absl::StatusOr<Params> params = Params::Read(request);
    if (!params.ok()) return ErrorResponse(BadData(std::string(Message(params.status()))));
    absl::StatusOr<promql::ExprPtr> expr = promql::ParseExpr(params->Get("query").value_or(""));
    if (!expr.ok()) return ErrorResponse(InvalidParam("query", Message(expr.status())));
    std::string data;
    if (parse) {
      internal::AppendAstJson(&data, **expr);
    } else {
      base::AppendJsonString(&data, promql::Prettify(**expr));
    }
    return Success(data);
  }

  Response BuildInfoRoute() const {
    const BuildInfo& info = options_.build_info;
    std::string data = "{";
    AppendField(&data, "version", info.version, false);
    AppendField(&data, "revision", info.revision, true);
    AppendField(&data, "branch", info.branch, true);
    AppendField(&data, "buildUser", info.build_user, true);
    AppendField(&data, "buildDate", info.build_date, true);
    AppendField(&data, "goVersion", info.go_version, true);
    data += '}';
    return Success(data);
  }

  Response RuntimeInfo() const {
    std::string data = "{";
    AppendField(&data, "startTime", FormatRfc3339Ms(absl::ToUnixMillis(start_time_)), false);
    AppendField(&data, "CWD", "/", true);
    data += ",\"reloadConfigSuccess\":true";
    AppendField(&data, "lastConfigTime", FormatRfc3339Ms(absl::ToUnixMillis(start_time_)), true);
    // Go runtime fields keep their names (the Prometheus UI reads them); GOMAXPROCS carries the
    // hardware threads, the others have no equivalent here.
    absl::StrAppendFormat(&data,
                          ",\"corruptionCount\":0,\"goroutineCount\":0,\"GOMAXPROCS\":%d,"
                          "\"GOMEMLIMIT\":0",
                          std::thread::hardware_concurrency());
    AppendField(&data, "GOGC", "", true);
    AppendField(&data, "GODEBUG", "", true);
    AppendField(&data, "storageRetention", options_.storage_retention, true);
    data += '}';
    return Success(data);
  }

  Response Config() const {
    std::string data = "{";
    AppendField(&data, "yaml", options_.config_yaml, false);
    data += '}';
    return Success(data);
  }

  Response Flags() const {
    std::string data = "{";
    for (size_t i = 0; i < options_.flags.size(); ++i) {
      AppendField(&data, options_.flags[i].first, options_.flags[i].second, i > 0);
    }
    data += '}';
    return Success(data);
  }

 private:
  static void AppendField(std::string* out, std::string_view name, std::string_view value,
                          bool comma) {
    if (comma) out->push_back(',');
    base::AppendJsonString(out, name);
    out->push_back(':');
    base::AppendJsonString(out, value);
  }

  // 11000 -> "11,000", as Prometheus's message prints the limit.
  static std::string GroupThousands(int64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
      out.push_back(digits[i]);
    }
    return out;
  }

  // Keeps the first `limit` series of a vector or matrix; true when some were dropped.
  static bool Truncate(promql::Value& value, size_t limit) {
    if (auto* vector = std::get_if<promql::Vector>(&value); vector && vector->size() > limit) {
      vector->resize(limit);
      return true;
    }
    if (auto* matrix = std::get_if<promql::Matrix>(&value); matrix && matrix->size() > limit) {
      matrix->resize(limit);
      return true;
    }
    return false;
  }

  absl::StatusOr<std::string> Tenant(const Request& request) const {
    std::string tenant = request.headers.GetOr("X-Scope-OrgID", options_.default_tenant);
    CS_RETURN_IF_ERROR(model::ValidateTenantId(tenant));
    return tenant;
  }

  absl::StatusOr<absl::Duration> Timeout(const Params& params) const {
    std::optional<std::string> text = params.Get("timeout");
    if (!text.has_value()) return options_.query_timeout;
    CS_ASSIGN_OR_RETURN(int64_t ms, ParseDurationMs(*text));
    if (ms <= 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("timeout must be positive, got \"%s\"", text->substr(0, 100)));
    }
    return std::min(absl::Milliseconds(ms), options_.query_timeout);
  }

  std::optional<Slot> AcquireSlot() {
    return Slot::TryAcquire(&in_flight_, options_.max_concurrent_queries);
  }

  ApiError TooManyQueries() const {
    return {"unavailable", 503,
            absl::StrFormat("too many concurrent queries (limit %d); retry later",
                            options_.max_concurrent_queries)};
  }

  const PromApiOptions options_;
  base::Clock* const clock_;
  const absl::Time start_time_;
  std::atomic<int> in_flight_{0};
};

}  // namespace

void AddPromApiRoutes(http::Router& router, PromApiOptions options) {
  CS_CHECK(options.evaluator.instant != nullptr && options.evaluator.range != nullptr);
  CS_CHECK(options.backend != nullptr);
  CS_CHECK(options.max_concurrent_queries >= 1);
  CS_CHECK(options.query_timeout > absl::ZeroDuration());
  CS_CHECK(options.max_points_per_series >= 1);
  auto api = std::make_shared<Api>(std::move(options));
  // GET and POST for everything, as Prometheus registers its API routes.
  auto both = [&router](const std::string& pattern, http::Router::Handler handler) {
    router.Add("GET", pattern, handler);
    router.Add("POST", pattern, std::move(handler));
  };
  both("/api/v1/query", [api](const Request& r) { return api->Query(r, false); });
  both("/api/v1/query_range", [api](const Request& r) { return api->Query(r, true); });
  both("/api/v1/series",
       [api](const Request& r) { return api->LookupRoute(r, Api::Lookup::kSeries); });
  both("/api/v1/labels",
       [api](const Request& r) { return api->LookupRoute(r, Api::Lookup::kLabelNames); });
  both("/api/v1/label/:name/values",
       [api](const Request& r) { return api->LookupRoute(r, Api::Lookup::kLabelValues); });
  both("/api/v1/metadata", [api](const Request& r) { return api->Metadata(r); });
  both("/api/v1/format_query", [api](const Request& r) { return api->FormatQuery(r, false); });
  both("/api/v1/parse_query", [api](const Request& r) { return api->FormatQuery(r, true); });
  router.Add("GET", "/api/v1/status/buildinfo",
             [api](const Request&) { return api->BuildInfoRoute(); });
  router.Add("GET", "/api/v1/status/runtimeinfo",
             [api](const Request&) { return api->RuntimeInfo(); });
  router.Add("GET", "/api/v1/status/config", [api](const Request&) { return api->Config(); });
  router.Add("GET", "/api/v1/status/flags", [api](const Request&) { return api->Flags(); });
  both("/api/v1/query_exemplars", [](const Request&) { return Success("[]"); });
  router.Add("GET", "/api/v1/rules", [](const Request&) { return Success("{\"groups\":[]}"); });
  router.Add("GET", "/api/v1/alerts", [](const Request&) { return Success("{\"alerts\":[]}"); });
  router.Add("GET", "/api/v1/targets", [](const Request&) {
    return Success("{\"activeTargets\":[],\"droppedTargets\":[],\"droppedTargetCounts\":{}}");
  });
}

}  // namespace cardinalsin::promapi
