#include "query/sql_routes.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/duration.h"
#include "base/json_string.h"
#include "base/strings.h"
#include "model/tenant.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace cardinalsin::query {

using http::Request;
using http::Response;

absl::Status SqlCall::CheckContinue(base::Clock& clock) const {
  if (cancelled != nullptr && cancelled->load(std::memory_order_relaxed)) {
    return absl::CancelledError("query cancelled: the server is shutting down");
  }
  if (clock.Now() >= deadline) {
    return absl::DeadlineExceededError(
        base::StrCat("query timed out after ", base::FormatHumanDuration(timeout)));
  }
  return absl::OkStatus();
}

namespace {

std::string_view Message(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

// The contract's text for an unknown format (section 4.1).
constexpr std::string_view kInvalidFormatText = "Invalid format. Use: json, arrow, or csv";

Response JsonError(int status, std::string_view message) {
  std::string body = "{\"error\":";
  base::AppendJsonString(&body, message);
  body.push_back('}');
  return Response::Json(status, std::move(body));
}

Response RetryLater(int status, std::string_view message) {
  Response response = JsonError(status, message);
  response.headers.Set("Retry-After", "1");
  return response;
}

// `text` as a header value: printable ASCII only (others become '?'), at most 1 KiB.
std::string HeaderValue(std::string_view text) {
  std::string value(text.substr(0, 1024));
  for (char& c : value) {
    if (c < 0x20 || c > 0x7e) {
      c = '?';
    }
  }
  return value;
}

// The request's parameters before validation.
struct RawParams {
  std::optional<std::string> query;
  std::optional<std::string> format;
  std::optional<std::string> timeout;
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// The media type of a Content-Type value, lower-cased, without parameters.
std::string MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
    type.remove_prefix(1);
  }
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.remove_suffix(1);
  }
  return Lower(type);
}

bool IsJsonMediaType(std::string_view type) {
  return type == "application/json" ||
         (type.starts_with("application/") && type.ends_with("+json"));
}

// Fills unset fields of `params` from `source` (first value of each name).
void FillFrom(const http::QueryParams& source, RawParams* params) {
  auto fill = [&](std::string_view name, std::optional<std::string>* field) {
    if (field->has_value()) {
      return;
    }
    if (auto it = source.find(name); it != source.end()) {
      *field = it->second;
    }
  };
  fill("query", &params->query);
  fill("format", &params->format);
  fill("timeout", &params->timeout);
}

// Reads the JSON body's fields into `params`. Returns the error response, if any.
std::optional<Response> ParseJsonBody(std::string_view body, RawParams* params) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& e) {
    return JsonError(400, base::StrCat("malformed JSON body: ", e.what()));
  }
  if (!json.is_object()) {
    return JsonError(422, "the JSON body must be an object such as {\"query\": \"SELECT 1\"}");
  }
  if (auto it = json.find("query"); it != json.end() && !it->is_null()) {
    if (!it->is_string()) {
      return JsonError(422, "\"query\" must be a string");
    }
    params->query = it->get<std::string>();
  }
  if (auto it = json.find("format"); it != json.end() && !it->is_null()) {
    if (!it->is_string()) {
      return JsonError(422, "\"format\" must be a string");
    }
    params->format = it->get<std::string>();
  }
  if (auto it = json.find("timeout"); it != json.end() && !it->is_null()) {
    if (it->is_string()) {
      params->timeout = it->get<std::string>();
    } else if (it->is_number()) {
      params->timeout = absl::StrFormat("%.17g", it->get<double>());
    } else {
      return JsonError(422, "\"timeout\" must be a duration string such as \"30s\" or seconds");
    }
  }
  return std::nullopt;
}

// Collects the parameters from the request's body and query string, or returns the error
// response (400, 415, 422).
std::optional<Response> CollectParams(const Request& request, RawParams* params) {
  if (request.method == "POST" && !request.body.empty()) {
    std::string type = MediaType(request.headers.GetOr("Content-Type", ""));
    if (IsJsonMediaType(type)) {
      if (std::optional<Response> error = ParseJsonBody(request.body, params)) {
        return error;
      }
    } else if (type == "application/x-www-form-urlencoded") {
      absl::StatusOr<http::QueryParams> form = http::ParseUrlEncoded(request.body);
      if (!form.ok()) {
        return JsonError(400, base::StrCat("malformed form body: ", Message(form.status())));
      }
      FillFrom(*form, params);
    } else {
      return JsonError(
          415, base::StrCat(type.empty() ? "missing Content-Type"
                                         : base::StrCat("unsupported Content-Type \"", type, "\""),
                            ": send application/json or "
                            "application/x-www-form-urlencoded"));
    }
    FillFrom(request.query, params);
    if (!params->query.has_value() && IsJsonMediaType(type)) {
      return JsonError(422, "missing field \"query\" in the JSON body");
    }
  } else {
    FillFrom(request.query, params);
  }
  if (!params->query.has_value()) {
    return JsonError(400, "missing required parameter \"query\"");
  }
  return std::nullopt;
}

// A `timeout` parameter: float seconds ("1.5") or a duration ("1m30s", "500ms").
absl::StatusOr<absl::Duration> ParseTimeout(std::string_view text) {
  double seconds = 0;
  if (absl::SimpleAtod(base::AsAbsl(text), &seconds)) {
    if (!(seconds > 0) || seconds > 1e9) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid timeout \"%s\": must be a positive number of seconds or a duration", text));
    }
    return absl::Seconds(seconds);
  }
  absl::StatusOr<absl::Duration> duration = base::ParseHumanDuration(text);
  if (!duration.ok() || *duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid timeout \"%s\": use seconds (\"10\", \"1.5\") or a duration (\"30s\", \"1m\")",
        text.substr(0, 100)));
  }
  return *duration;
}

// The HTTP response for an engine error.
Response EngineError(const absl::Status& status, const SqlCall& call) {
  std::string_view message = Message(status);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
      return JsonError(400, message);
    case absl::StatusCode::kResourceExhausted:
      return JsonError(422, message);
    case absl::StatusCode::kDeadlineExceeded:
      return JsonError(
          503, base::StrCat("query timed out after ", base::FormatHumanDuration(call.timeout)));
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
      return RetryLater(503, message);
    default:
      spdlog::error("sql: query for tenant {} failed: {}", call.tenant, status.ToString());
      return JsonError(500, message);
  }
}

// A slot of the concurrency limit, released on destruction.
class QuerySlot {
 public:
  static std::optional<QuerySlot> TryAcquire(std::atomic<int>* in_flight, int limit) {
    if (in_flight->fetch_add(1, std::memory_order_acq_rel) >= limit) {
      in_flight->fetch_sub(1, std::memory_order_acq_rel);
      return std::nullopt;
    }
    return QuerySlot(in_flight);
  }
  QuerySlot(QuerySlot&& other) noexcept : in_flight_(std::exchange(other.in_flight_, nullptr)) {}
  QuerySlot& operator=(QuerySlot&&) = delete;
  ~QuerySlot() {
    if (in_flight_ != nullptr) {
      in_flight_->fetch_sub(1, std::memory_order_acq_rel);
    }
  }

 private:
  explicit QuerySlot(std::atomic<int>* in_flight) : in_flight_(in_flight) {}
  std::atomic<int>* in_flight_;
};

// What a streamed response keeps alive until its last chunk: the result and its encoder.
struct StreamState {
  explicit StreamState(SqlResult r) : result(std::move(r)) {}
  SqlResult result;
  std::unique_ptr<ResultEncoder> encoder;  // reads `result`
  std::string pending;                     // encoded before the response started
  size_t chunk_bytes = 0;
};

class SqlHandler {
 public:
  explicit SqlHandler(SqlRoutesOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &base::SystemClock()) {}

  Response Handle(const Request& request) {
    RawParams params;
    if (std::optional<Response> error = CollectParams(request, &params)) {
      return *std::move(error);
    }

    std::optional<ResultFormat> format = ResultFormat::kJson;
    if (params.format.has_value()) {
      format = ParseResultFormat(*params.format);
    }
    if (!format.has_value()) {
      return Response::Text(400, std::string(kInvalidFormatText));
    }

    SqlCall call;
    call.format = *format;
    call.query = std::move(*params.query);
    if (call.query.find_first_not_of(" \t\r\n") == std::string::npos) {
      return JsonError(400, "query is empty");
    }
    call.tenant = request.headers.GetOr("X-Scope-OrgID", options_.default_tenant);
    if (absl::Status status = model::ValidateTenantId(call.tenant); !status.ok()) {
      return JsonError(400, Message(status));
    }
    call.timeout = options_.query_timeout;
    if (params.timeout.has_value()) {
      absl::StatusOr<absl::Duration> timeout = ParseTimeout(*params.timeout);
      if (!timeout.ok()) {
        return JsonError(400, Message(timeout.status()));
      }
      call.timeout = std::min(*timeout, options_.query_timeout);
    }
    call.max_result_rows = options_.max_result_rows;
    static const std::atomic<bool> never_cancelled{false};
    call.cancelled = request.shutting_down != nullptr ? request.shutting_down : &never_cancelled;
    if (request.ShuttingDown()) {
      return RetryLater(503, "the server is shutting down");
    }

    absl::StatusOr<SqlResult> result;
    absl::Duration elapsed;
    {
      std::optional<QuerySlot> slot =
          QuerySlot::TryAcquire(&in_flight_, options_.max_concurrent_queries);
      if (!slot.has_value()) {
        return RetryLater(429,
                          absl::StrFormat("too many concurrent queries (limit %d); retry later",
                                          options_.max_concurrent_queries));
      }
      absl::Time start = clock_->MonotonicNow();
      call.deadline = clock_->Now() + call.timeout;
      result = options_.execute(call);
      elapsed = clock_->MonotonicNow() - start;
    }
    if (!result.ok()) {
      return EngineError(result.status(), call);
    }
    if (absl::Status status = ValidateResult(*result); !status.ok()) {
      spdlog::error("sql: engine result for tenant {} is inconsistent: {}", call.tenant,
                    Message(status));
      return JsonError(500, Message(status));
    }
    if (options_.max_result_rows != 0 && result->num_rows() > options_.max_result_rows) {
      return JsonError(422, absl::StrFormat("the query returned %d rows, over the limit of %d "
                                            "rows; add a LIMIT or narrow the query",
                                            result->num_rows(), options_.max_result_rows));
    }
    result->stats.execution_time = elapsed;
    return Encode(call, std::move(*result));
  }

 private:
  Response Encode(const SqlCall& call, SqlResult result) {
    auto state = std::make_shared<StreamState>(std::move(result));
    state->encoder = std::make_unique<ResultEncoder>(call.format, state->result, options_.encode);
    state->chunk_bytes = options_.stream_chunk_bytes;
    // Encode up to the threshold in memory: a small result goes out with a Content-Length, and
    // an encoding error there can still become a status code.
    while (!state->encoder->done() && state->pending.size() <= options_.stream_threshold_bytes) {
      absl::Status status =
          state->encoder->EncodeSome(&state->pending, options_.stream_threshold_bytes + 1);
      if (!status.ok()) {
        spdlog::error("sql: cannot encode the result as {}: {}", ResultFormatName(call.format),
                      Message(status));
        return JsonError(500, base::StrCat("cannot encode the result as ",
                                           ResultFormatName(call.format), ": ", Message(status)));
      }
    }
    std::string content_type(ResultContentType(call.format));
    Response response;
    if (state->encoder->done()) {
      response.status = 200;
      response.headers.Set("Content-Type", std::move(content_type));
      response.body = std::move(state->pending);
    } else {
      response = Response::Stream(200, std::move(content_type), [state](std::string* chunk) {
        if (!state->pending.empty()) {
          chunk->swap(state->pending);
          return true;
        }
        if (state->encoder->done()) {
          return false;
        }
        absl::Status status = state->encoder->EncodeSome(chunk, state->chunk_bytes);
        if (!status.ok()) {
          // Only Arrow can fail, and ValidateResult() ruled out what makes it fail; should it
          // happen, the stream ends without its end-of-stream marker, which readers report.
          spdlog::error("sql: streaming the result failed: {}", Message(status));
          chunk->clear();
          return false;
        }
        return true;
      });
    }
    const SqlStats& stats = state->result.stats;
    response.headers.Set(std::string(kRowsReadHeader), std::to_string(stats.rows_scanned));
    response.headers.Set(std::string(kBytesReadHeader), std::to_string(stats.bytes_scanned));
    response.headers.Set(std::string(kExecutionTimeHeader),
                         std::to_string(absl::ToInt64Milliseconds(stats.execution_time)));
    for (const std::string& warning : state->result.warnings) {
      response.headers.Add(std::string(kWarningHeader), HeaderValue(warning));
    }
    return response;
  }

  const SqlRoutesOptions options_;
  base::Clock* const clock_;
  std::atomic<int> in_flight_{0};
};

}  // namespace

void AddSqlRoutes(http::Router& router, SqlRoutesOptions options) {
  CS_CHECK(options.execute != nullptr);
  CS_CHECK(options.max_concurrent_queries >= 1);
  CS_CHECK(options.query_timeout > absl::ZeroDuration());
  auto handler = std::make_shared<SqlHandler>(std::move(options));
  auto handle = [handler](const Request& request) { return handler->Handle(request); };
  router.Add("GET", "/api/v1/sql", handle);
  router.Add("POST", "/api/v1/sql", handle);
}

}  // namespace cardinalsin::query
