#include "ingest/http_routes.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "arrow/stream_writer.h"
#include "base/strings.h"
#include "line_protocol/parser.h"
#include "nlohmann/json.hpp"
#include "otlp/otlp.h"
#include "proto/wire.h"
#include "remote_write/decoder.h"

namespace cardinalsin::ingest {
namespace {

using http::Request;
using http::Response;

std::string TenantOf(const Request& request, const IngestRoutesOptions& options,
                     absl::Status* status) {
  std::string tenant = std::string(request.headers.GetOr("X-Scope-OrgID", options.default_tenant));
  *status = model::ValidateTenantId(tenant);
  return tenant;
}

// "accepted N samples (S series); rejected M samples (R series): reason; reason"
std::string Summary(const WriteOutcome& outcome) {
  std::string text = absl::StrFormat(
      "accepted %d samples (%d series); rejected %d samples (%d series)", outcome.accepted_samples,
      outcome.accepted_series, outcome.rejected_samples, outcome.rejected_series);
  if (!outcome.reasons.empty()) text += ": " + absl::StrJoin(outcome.reasons, "; ");
  return text;
}

// The HTTP status for a refused write call (outcome.status not OK).
Response RefusedResponse(const absl::Status& status) {
  Response response;
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      response = Response::Text(429, std::string(status.message()) + "\n");
      response.headers.Set("Retry-After", "1");
      break;
    case absl::StatusCode::kUnavailable:
      response = Response::Text(503, std::string(status.message()) + "\n");
      response.headers.Set("Retry-After", "5");
      break;
    default:
      response = Response::Text(500, std::string(status.message()) + "\n");
  }
  return response;
}

// google.rpc.Status {int32 code = 1; string message = 2;}, the OTLP/HTTP error body.
std::string EncodeRpcStatus(int code, std::string_view message) {
  std::string out;
  proto::Writer writer(&out);
  writer.Varint(1, static_cast<uint64_t>(code));
  writer.Bytes(2, message);
  return out;
}

std::string EncodeRpcStatusJson(int code, std::string_view message) {
  nlohmann::json body = {{"code", code}, {"message", message}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int StatusForDecodeError(const absl::Status& status) {
  return absl::IsUnimplemented(status) ? 415 : 400;
}

Response RemoteWrite(Ingester& ingester, const IngestRoutesOptions& options,
                     const Request& request) {
  absl::Status tenant_status;
  std::string tenant = TenantOf(request, options, &tenant_status);
  if (!tenant_status.ok())
    return Response::Text(400, std::string(std::string(tenant_status.message())) + "\n");
  std::string buffer;
  model::SampleBatch batch;
  remote_write::DecodeStats stats;
  absl::Status decoded =
      remote_write::DecodeRequest(request.body, request.headers.GetOr("Content-Type", ""),
                                  request.headers.GetOr("Content-Encoding", ""),
                                  options.max_uncompressed_bytes, &buffer, &batch, &stats);
  if (!decoded.ok())
    return Response::Text(StatusForDecodeError(decoded), std::string(decoded.message()) + "\n");
  WriteOutcome outcome = ingester.Write(tenant, batch);
  Response response;
  if (!outcome.status.ok()) {
    response = RefusedResponse(outcome.status);
  } else if (outcome.rejected_samples > 0) {
    response = Response::Text(400, Summary(outcome) + "\n");
  } else {
    response = Response::Empty(204);
  }
  for (const remote_write::Header& header :
       remote_write::WrittenHeaders(outcome.accepted_samples, 0, 0)) {
    response.headers.Set(std::string(header.name), header.value);
  }
  return response;
}

// OTLP/HTTP (https://opentelemetry.io/docs/specs/otlp/#otlphttp): responses use the request's
// encoding; failures carry a google.rpc.Status message.
Response OtlpHttp(Ingester& ingester, const IngestRoutesOptions& options, const Request& request) {
  std::string content_type =
      absl::AsciiStrToLower(base::AsAbsl(request.headers.GetOr("Content-Type", "")));
  const bool json = content_type.starts_with("application/json");
  if (!json && !content_type.starts_with("application/x-protobuf")) {
    return Response::Text(415, absl::StrFormat("unsupported Content-Type \"%s\" for OTLP/HTTP; use "
                                               "application/x-protobuf or application/json\n",
                                               content_type));
  }
  auto error_response = [json](int status, int grpc_code, std::string_view message) {
    Response response;
    if (json) {
      response = Response::Json(status, EncodeRpcStatusJson(grpc_code, message));
    } else {
      response.status = status;
      response.body = EncodeRpcStatus(grpc_code, message);
      response.headers.Set("Content-Type", "application/x-protobuf");
    }
    return response;
  };
  absl::Status tenant_status;
  std::string tenant = TenantOf(request, options, &tenant_status);
  if (!tenant_status.ok()) return error_response(400, 3, std::string(tenant_status.message()));
  model::SampleBatch batch;
  absl::Status decoded = json ? otlp::DecodeExportRequestJson(request.body, &batch)
                              : otlp::DecodeExportRequest(request.body, &batch);
  if (!decoded.ok()) return error_response(400, 3, std::string(decoded.message()));
  WriteOutcome outcome = ingester.Write(tenant, batch);
  if (!outcome.status.ok()) {
    Response refused = RefusedResponse(outcome.status);
    Response response = error_response(
        refused.status, outcome.status.code() == absl::StatusCode::kResourceExhausted ? 8 : 14,
        std::string(outcome.status.message()));
    if (auto retry = refused.headers.Get("Retry-After"))
      response.headers.Set("Retry-After", std::string(*retry));
    return response;
  }
  std::string message = outcome.rejected_samples > 0 ? Summary(outcome) : "";
  Response response;
  if (json) {
    response =
        Response::Json(200, otlp::EncodeExportResponseJson(outcome.rejected_samples, message));
  } else {
    response.status = 200;
    response.body = otlp::EncodeExportResponse(outcome.rejected_samples, message);
    response.headers.Set("Content-Type", "application/x-protobuf");
  }
  return response;
}

// InfluxDB line protocol; `v1` selects the /write precision names (n, u, ms, s, m, h).
Response LineProtocol(Ingester& ingester, const IngestRoutesOptions& options,
                      const Request& request, bool v1) {
  auto influx_error = [](int status, std::string_view code, std::string_view message) {
    nlohmann::json body = {{"code", code}, {"message", message}};
    return Response::Json(status,
                          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  absl::Status tenant_status;
  std::string tenant = TenantOf(request, options, &tenant_status);
  if (!tenant_status.ok())
    return influx_error(400, "invalid", std::string(tenant_status.message()));
  absl::StatusOr<line_protocol::Precision> precision =
      line_protocol::ParsePrecision(request.Param("precision").value_or(v1 ? "n" : "ns"), v1);
  if (!precision.ok())
    return influx_error(400, "invalid", std::string(precision.status().message()));
  model::SampleBatch batch;
  absl::Status parsed =
      line_protocol::Parse(request.body, *precision, absl::ToUnixNanos(absl::Now()), &batch);
  if (!parsed.ok()) return influx_error(400, "invalid", std::string(parsed.message()));
  WriteOutcome outcome = ingester.Write(tenant, batch);
  if (!outcome.status.ok()) {
    Response refused = RefusedResponse(outcome.status);
    Response response =
        influx_error(refused.status, refused.status == 429 ? "too many requests" : "unavailable",
                     std::string(outcome.status.message()));
    if (auto retry = refused.headers.Get("Retry-After"))
      response.headers.Set("Retry-After", std::string(*retry));
    return response;
  }
  if (outcome.rejected_samples > 0)
    return influx_error(400, "invalid", "partial write: " + Summary(outcome));
  return Response::Empty(204);
}

Response Scan(Ingester& ingester, const IngestRoutesOptions& options, const Request& request) {
  std::string tenant = request.Param("tenant").value_or(options.default_tenant);
  if (absl::Status status = model::ValidateTenantId(tenant); !status.ok()) {
    return Response::Text(400, std::string(status.message()) + "\n");
  }
  RowFilter filter;
  if (auto metric = request.Param("metric")) filter.metric_name = *metric;
  for (auto [name, target] :
       {std::pair{"start_ns", &filter.min_time_ns}, std::pair{"end_ns", &filter.max_time_ns}}) {
    if (auto text = request.Param(name)) {
      if (!absl::SimpleAtoi(base::AsAbsl(*text), target)) {
        return Response::Text(
            400,
            absl::StrFormat("parameter %s: \"%s\" is not an integer (nanoseconds)\n", name, *text));
      }
    }
  }
  Ingester::ScanResult result = ingester.Scan(tenant, filter);
  std::string body;
  arrow::StreamWriter writer(&body);
  absl::Status status = writer.Begin(result.rows.schema());
  if (status.ok() && result.rows.num_rows() > 0) status = writer.Write(result.rows);
  if (status.ok()) status = writer.Finish();
  if (!status.ok()) return Response::Text(500, std::string(status.message()) + "\n");
  Response response;
  response.status = 200;
  response.body = std::move(body);
  response.headers.Set("Content-Type", "application/vnd.apache.arrow.stream");
  response.headers.Set(std::string(kCatalogSeqHeader), std::to_string(result.catalog_seq));
  return response;
}

}  // namespace

void AddIngestRoutes(http::Router& router, Ingester& ingester, IngestRoutesOptions options) {
  auto shared = std::make_shared<const IngestRoutesOptions>(std::move(options));
  router.Add("POST", "/api/v1/write", [&ingester, shared](const Request& request) {
    return RemoteWrite(ingester, *shared, request);
  });
  router.Add("POST", "/v1/metrics", [&ingester, shared](const Request& request) {
    return OtlpHttp(ingester, *shared, request);
  });
  router.Add("POST", "/api/v2/write", [&ingester, shared](const Request& request) {
    return LineProtocol(ingester, *shared, request, /*v1=*/false);
  });
  router.Add("POST", "/write", [&ingester, shared](const Request& request) {
    return LineProtocol(ingester, *shared, request, /*v1=*/true);
  });
  router.Add("GET", "/internal/v1/scan", [&ingester, shared](const Request& request) {
    return Scan(ingester, *shared, request);
  });
}

}  // namespace cardinalsin::ingest
