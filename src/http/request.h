// File: request.h
//
// An HTTP request as handlers see it: the decoded path, the decoded query parameters, the headers
// and the (already gzip/deflate-decoded) body, plus what the Router matched.
//
//   absl::StatusOr<std::vector<std::string>> matchers = request.FormOrQuery("match[]");
//   std::optional<std::string> query = request.Param("query");
//   const std::string& name = request.path_params.at("name");  // route
//   "/api/v1/label/:name/values"
//
// Thread-safety: a plain value; const methods may be called concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "http/headers.h"

namespace cardinalsin::http {

// Decoded query-string or form parameters. Sorted by name; values of a repeated name (such as
// Prometheus's `match[]`) keep their order of appearance. Lookups accept std::string_view.
using QueryParams = std::multimap<std::string, std::string, std::less<>>;

// Decodes %XX escapes in `text` ('+' is kept as is, as in a URL path). Returns InvalidArgument
// naming the position of a '%' not followed by two hex digits.
[[nodiscard]] absl::StatusOr<std::string> PercentDecode(std::string_view text);

// Parses application/x-www-form-urlencoded text (a query string without '?', or a form body):
// pairs separated by '&', '+' decoded as a space, %XX escapes decoded, a name without '=' given
// the empty value, empty pairs skipped. Returns InvalidArgument on a malformed escape.
[[nodiscard]] absl::StatusOr<QueryParams> ParseUrlEncoded(std::string_view text);

// The raw (still percent-encoded) path of a request-target: without the query string, the fragment
// and, for absolute-form targets ("http://host/p"), the scheme and authority. The view points into
// `target`.
std::string_view TargetPath(std::string_view target);

struct Request {
  // Builds a request from a method and a raw request-target ("/p%20q?a=1&a=2", or absolute-form
  // "http://host/p?a=1"), filling `target`, `path` and `query`. Returns InvalidArgument when the
  // path or query string has a malformed escape.
  [[nodiscard]] static absl::StatusOr<Request> Create(std::string method, std::string target);

  std::string method;  // as sent, case-sensitive ("GET", "POST")
  std::string target;  // the raw request-target
  std::string path;    // percent-decoded path part of `target`
  QueryParams query;   // decoded query-string parameters
  Headers headers;
  // The request body. A `Content-Encoding: gzip` or `deflate` body has already been decoded and
  // that header removed; other encodings (for example snappy) arrive untouched.
  std::string body;
  // Filled by the Router: the `:name` (and `*name`) segments of the matched route, decoded.
  std::map<std::string, std::string> path_params;
  // Filled by the Router: the matched route pattern ("/api/v1/label/:name/values"); empty when no
  // route matched. Suitable as the `http.route` metric attribute.
  std::string route;
  // "ip:port" of the peer, empty when the request did not come from a socket.
  std::string remote_address;
  // Set by the Server, true once Server::Stop() has begun. Long-running handlers and stream
  // producers may poll ShuttingDown() to finish early. Null outside a Server.
  const std::atomic<bool>* shutting_down = nullptr;

  // The first query-string value of `name`, or nullopt.
  std::optional<std::string> Param(std::string_view name) const;
  // All query-string values of `name`, in order.
  std::vector<std::string> Params(std::string_view name) const;

  // True for a POST whose Content-Type is application/x-www-form-urlencoded.
  bool IsFormPost() const;
  // The query-string parameters followed by, for a form POST, the body's parameters (the
  // Prometheus HTTP API reads both). Returns InvalidArgument if the form body is malformed.
  [[nodiscard]] absl::StatusOr<QueryParams> FormAndQuery() const;
  // All values of `name` from FormAndQuery(): query-string values first, then form values.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> FormOrQuery(std::string_view name) const;

  bool ShuttingDown() const {
    return shutting_down != nullptr && shutting_down->load(std::memory_order_relaxed);
  }
};

}  // namespace cardinalsin::http
