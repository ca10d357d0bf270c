// File: server.h
//
// The HTTP/1.1 server every CardinalSin service runs (ingest routes, SQL, the Prometheus API,
// /health, /ready, /metrics), built on Boost.Beast.
//
//   Router router;
//   router.Add("GET", "/health", [](const Request&) { return Response::Text(200, "OK"); });
//   CS_ASSIGN_OR_RETURN(std::unique_ptr<Server> server,
//                       Server::Start({.port = 8080, .threads = 4}, router));
//   ...
//   server->Stop();  // or let the destructor do it
//
// Protocol behaviour:
//   - HTTP/1.0 and 1.1; keep-alive; pipelined requests are answered one at a time, in order.
//   - `Expect: 100-continue` is answered with "100 Continue" before the body is read, unless the
//     declared Content-Length is already over the limit (then 413 straight away).
//   - A body over `max_body_bytes` gets 413 "request body exceeds the <N>-byte limit" and the
//     connection is closed. Malformed HTTP gets 400 and the connection is closed; headers over
//     `max_header_bytes` get 431. A request not fully read within `read_timeout` of its first byte,
//     or a response write that stalls that long, closes the connection without a response.
//   - Request bodies with `Content-Encoding: gzip` (or `x-gzip`) or `deflate` are decoded before
//     the handler runs (the decoded size is also limited by `max_body_bytes`, else 413); any other
//     encoding, snappy included, reaches the handler untouched with its header.
//   - The server sets Content-Length / Transfer-Encoding / Connection itself and ignores those
//     headers in a handler's Response; a streaming Response is sent chunked (HTTP/1.1) or
//     close-delimited (HTTP/1.0). HEAD requests get the GET response's headers without the body.
//   - Every response carries `Access-Control-Allow-Origin: *`.
//
// Concurrency: each connection belongs to one of the `threads` io threads (round robin), which
// does all its I/O. Handlers and stream producers may block. With `handler_threads` > 0 they run
// on a pool of that many threads, while the io threads move bytes: a slow query never holds up
// another connection's I/O. A handler still runs on its io thread when its (method, path) has
// been quick (handlers averaging at most `inline_budget`) and that leaves at least one io thread
// free (so up to threads - 1 at once): that spares a small request the two hand-overs
// (io -> pool -> io) that would be most of its latency. A quick path turning slow holds up the
// other connections of its io thread once, until its average says so. With
// `handler_threads` = 0 they run on the io threads (for small servers and tests), and a blocked
// handler also delays I/O for the other connections of its thread. Handlers must be thread-safe.
//
// Thread-safety: port() and Stop() may be called from any thread, concurrently.
// Ownership: the Router passed to Start() is not owned and must outlive the Server.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "http/request.h"
#include "http/router.h"

namespace cardinalsin::http {

namespace internal {
class ServerImpl;
}  // namespace internal

// Called once per request after its response has been sent (or the connection failed while
// sending it), with the request (its `route` set when a route matched; only `method` and `target`
// for requests rejected before routing, and nothing at all for unparseable ones), the status code
// sent and the time from the request's first byte to the end of the response. Runs on an io
// thread; must be thread-safe and quick.
using RequestObserver =
    std::function<void(const Request& request, int status, absl::Duration duration)>;

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 0;             // 0 = an ephemeral port; see Server::port()
  int threads = 2;          // io threads
  int handler_threads = 0;  // the handler pool; 0 = handlers run on the io threads
  // With a handler pool: a handler whose path's handlers took at most this on average runs on
  // its io thread (see Concurrency above).
  absl::Duration inline_budget = absl::Milliseconds(1);
  size_t max_body_bytes = 16 << 20;   // before and after Content-Encoding decoding
  size_t max_header_bytes = 1 << 20;  // request line plus headers (long PromQL GET queries)
  // How long a kept-alive connection may wait for its next request before it is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  // Limit for reading one request (header and body) once its first byte has arrived; also the
  // limit for sending each response write (each chunk, for streams).
  absl::Duration read_timeout = absl::Seconds(30);
  // How long Stop() lets in-flight requests and streams finish before closing their connections.
  absl::Duration shutdown_timeout = absl::Seconds(10);
  RequestObserver observer;      // optional; e.g. http.server.request.duration
  base::Clock* clock = nullptr;  // for request durations; null = base::SystemClock()
};

class Server {
 public:
  // Binds `options.bind_address:options.port`, starts `options.threads` io threads and begins
  // accepting connections. Returns InvalidArgument for bad options (unparseable address, port
  // outside 0..65535, threads < 1, handler_threads < 0, zero limits) and Unavailable naming
  // "address:port" when the socket cannot be bound or listened on (for example "address already in
  // use"). `router` must outlive the returned Server.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                                     const Router& router);
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                       Router&& router) = delete;

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Calls Stop().
  ~Server();

  // The bound port (the ephemeral one when options.port was 0).
  // A cheap accessor, snake_case as STYLE.md section 3 allows.
  int port() const { return port_; }  // NOLINT(readability-identifier-naming)

  // Stops accepting, closes idle connections, lets in-flight requests finish (their responses
  // carry `Connection: close`) for up to options.shutdown_timeout, then closes what is left and
  // joins the io threads. Request::ShuttingDown() turns true when Stop() begins. Idempotent;
  // concurrent callers all return once the server has stopped. A handler that never returns
  // keeps Stop() from returning.
  // REQUIRES: not called from a handler or stream producer of this server (it joins their threads).
  void Stop();

 private:
  Server(std::unique_ptr<internal::ServerImpl> impl, int port);

  std::unique_ptr<internal::ServerImpl> impl_;
  int port_;
};

}  // namespace cardinalsin::http
