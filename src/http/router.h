// File: router.h
//
// Maps (method, path) to a handler. Every CardinalSin HTTP service builds one Router and hands it
// to Server::Start().
//
//   Router router;
//   router.Add("GET", "/health", [](const Request&) { return Response::Text(200, "OK"); });
//   router.Add("GET", "/api/v1/label/:name/values", [&](const Request& request) {
//     return LabelValues(request.path_params.at("name"), request);
//   });
//   router.Add("*", "/api/v1/query", QueryHandler);  // any method
//
// Patterns are '/'-separated segments matched against the raw request path segment by segment:
// a literal segment matches itself, `:name` matches any one segment and captures it
// (percent-decoded) into Request::path_params, and a final `*name` captures the rest of the path
// (zero or more segments). When several patterns match, the most specific wins: segments are
// compared left to right and a literal beats `:name`, which beats `*name`.
//
// Behaviour fixed by the compatibility contract (reference/original-cardinalsin.md section 3.1):
//   - no pattern matches the path: 404 with an empty body;
//   - a pattern matches but has no handler for the method: 405 with an `Allow` header;
//   - OPTIONS on a matched path (CORS preflight) without an explicit OPTIONS handler: 204 with
//     `Allow`, `Access-Control-Allow-Methods: *` and `Access-Control-Allow-Headers: *`;
//   - every response carries `Access-Control-Allow-Origin: *`.
// Method "*" accepts any method except OPTIONS. HEAD falls back to the GET handler (the server
// sends no body for HEAD). A handler that throws becomes a 500 with the exception's message, and
// is logged.
//
// Thread-safety: Add() is not thread-safe and must finish before the first Dispatch(); Dispatch()
// may then be called concurrently. Handlers are called concurrently from the server's io threads
// and must be thread-safe themselves.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace cardinalsin::http {

class Router {
 public:
  using Handler = std::function<Response(const Request&)>;

  // Registers `handler` for `method` ("GET", "POST", ..., or "*") on `pattern`.
  // REQUIRES: `pattern` starts with '/'; a `*name` segment, if any, is the last one; parameter
  // names are non-empty; (method, pattern) was not added before; `handler` is non-empty.
  void Add(std::string method, std::string pattern, Handler handler);

  // Routes `request` and returns the handler's response, or the 404/405/OPTIONS/500 responses
  // described above. Fills request.path_params and request.route. Never throws.
  Response Dispatch(Request& request) const;

 private:
  struct Segment {
    enum class Kind { kLiteral, kParam, kCatchAll };
    Kind kind;
    std::string text;  // the literal, or the parameter name
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::map<std::string, Handler> handlers;  // by method
  };

  // Matches `raw_segments` against `route`, filling `params` on success.
  static bool Match(const Route& route, const std::vector<std::string_view>& raw_segments,
                    std::map<std::string, std::string>* params);
  // True when `a` is strictly more specific than `b`.
  static bool MoreSpecific(const Route& a, const Route& b);
  static const Handler* FindHandler(const Route& route, const std::string& method);
  static std::string AllowHeader(const std::vector<const Route*>& routes);

  std::vector<Route> routes_;
};

}  // namespace cardinalsin::http
