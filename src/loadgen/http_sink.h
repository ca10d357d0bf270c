// File: http_sink.h
//
// The production BatchSink: encodes each batch for the chosen --protocol and POSTs it over one
// keep-alive libcurl connection per sender thread.
//
//   protocol          route                          body and headers
//   remote-write      /api/v1/write                  RW 1.0 protobuf, snappy;
//                                                    Content-Type application/x-protobuf,
//                                                    Content-Encoding snappy,
//                                                    X-Prometheus-Remote-Write-Version 0.1.0
//   remote-write-v2   /api/v1/write                  RW 2.0 protobuf, snappy; Content-Type
//                                                    application/x-protobuf;proto=io.prometheus.
//                                                    write.v2.Request, version 2.0.0
//   otlp              /v1/metrics                    OTLP ExportMetricsServiceRequest (gauges);
//                                                    Content-Type application/x-protobuf
//   influx            /api/v2/write?precision=ns     line protocol; text/plain; charset=utf-8
//
// Every request also carries X-Scope-OrgID when a tenant is set. Any 2xx is success; anything
// else fails the batch with "HTTP error: <status> - <first 200 bytes of the body>", and a
// transport failure with "HTTP request failed: <curl's reason>".
//
// Thread-safety: an HttpSink is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loadgen/options.h"
#include "loadgen/sink.h"
#include "model/sample_batch.h"

namespace cardinalsin::loadgen {

// The path (with query) and header lines ("Name: value") a protocol's requests use.
struct HttpRoute {
  std::string path;
  std::vector<std::string> headers;
};
HttpRoute RouteFor(Protocol protocol, std::string_view tenant);

// Replaces `*body` with the wire form of `batch` for `protocol` (compressed where the protocol
// compresses). Returns InternalError if compression fails.
[[nodiscard]] absl::Status EncodeBody(Protocol protocol, const model::SampleBatch& batch,
                                      std::string* body);

// The first `max_bytes` of an HTTP response body, made printable on one line (control bytes
// become spaces), for error messages.
std::string BodyExcerpt(std::string_view body, size_t max_bytes = 200);

// One sink per call, each with its own connection, for options.endpoint / protocol / tenant /
// timeout. The factory fails with InternalError if libcurl cannot create a handle.
SinkFactory MakeHttpSinkFactory(const GeneratorOptions& options);

}  // namespace cardinalsin::loadgen
