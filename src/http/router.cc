#include "http/router.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "absl/strings/str_join.h"
#include "base/check.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::http {
namespace {

// Splits "/a/b" into {"a", "b"}; "/" gives {""} and "/a/" gives {"a", ""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  if (path.starts_with('/')) {
    path.remove_prefix(1);
  }
  std::vector<std::string_view> segments;
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

Response AddCors(Response response) {
  response.headers.SetIfAbsent("Access-Control-Allow-Origin", "*");
  return response;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  CS_CHECK(!method.empty());
  CS_CHECK(pattern.starts_with('/'));
  CS_CHECK(handler != nullptr);
  auto existing = std::find_if(routes_.begin(), routes_.end(),
                               [&](const Route& route) { return route.pattern == pattern; });
  if (existing == routes_.end()) {
    Route route;
    route.pattern = pattern;
    std::vector<std::string_view> parts = SplitPath(pattern);
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string_view part = parts[i];
      Segment segment{Segment::Kind::kLiteral, std::string(part)};
      if (part.starts_with(':')) {
        segment = {Segment::Kind::kParam, std::string(part.substr(1))};
        CS_CHECK(!segment.text.empty());
      } else if (part.starts_with('*')) {
        segment = {Segment::Kind::kCatchAll, std::string(part.substr(1))};
        CS_CHECK(!segment.text.empty());
        CS_CHECK(i + 1 == parts.size());  // a catch-all must be the last segment
      }
      route.segments.push_back(std::move(segment));
    }
    routes_.push_back(std::move(route));
    existing = std::prev(routes_.end());
  }
  bool inserted = existing->handlers.emplace(std::move(method), std::move(handler)).second;
  CS_CHECK(inserted);  // each (method, pattern) is registered once
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& raw_segments,
                   std::map<std::string, std::string>* params) {
  params->clear();
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const Segment& segment = route.segments[i];
    if (segment.kind == Segment::Kind::kCatchAll) {
      std::string rest;
      for (size_t j = i; j < raw_segments.size(); ++j) {
        if (j > i) {
          rest.push_back('/');
        }
        rest.append(raw_segments[j]);
      }
      absl::StatusOr<std::string> decoded = PercentDecode(rest);
      if (!decoded.ok()) {
        return false;
      }
      (*params)[segment.text] = *std::move(decoded);
      return true;
    }
    if (i >= raw_segments.size()) {
      return false;
    }
    if (segment.kind == Segment::Kind::kLiteral) {
      // Literals are compared decoded so that "/a%62c" reaches "/abc".
      absl::StatusOr<std::string> decoded = PercentDecode(raw_segments[i]);
      if (!decoded.ok() || *decoded != segment.text) {
        return false;
      }
    } else {
      absl::StatusOr<std::string> decoded = PercentDecode(raw_segments[i]);
      if (!decoded.ok()) {
        return false;
      }
      (*params)[segment.text] = *std::move(decoded);
    }
  }
  return route.segments.size() == raw_segments.size();
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  size_t n = std::min(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.segments[i].kind != b.segments[i].kind) {
      return a.segments[i].kind < b.segments[i].kind;
    }
  }
  // Equal prefixes: the longer pattern consumed more of the path with explicit segments.
  return a.segments.size() > b.segments.size();
}

const Router::Handler* Router::FindHandler(const Route& route, const std::string& method) {
  if (auto it = route.handlers.find(method); it != route.handlers.end()) {
    return &it->second;
  }
  if (method == "OPTIONS") {
    return nullptr;  // CORS preflight is answered by Dispatch
  }
  if (auto it = route.handlers.find("*"); it != route.handlers.end()) {
    return &it->second;
  }
  if (method == "HEAD") {
    if (auto it = route.handlers.find("GET"); it != route.handlers.end()) {
      return &it->second;
    }
  }
  return nullptr;
}

std::string Router::AllowHeader(const std::vector<const Route*>& routes) {
  std::set<std::string> methods = {"OPTIONS"};
  for (const Route* route : routes) {
    for (const auto& [method, handler] : route->handlers) {
      methods.insert(method);
      if (method == "GET") {
        methods.insert("HEAD");
      }
    }
  }
  return absl::StrJoin(methods, ", ");
}

Response Router::Dispatch(Request& request) const {
  std::vector<std::string_view> raw_segments = SplitPath(
      request.target.empty() ? std::string_view(request.path) : TargetPath(request.target));
  const Route* best = nullptr;      // most specific route with a handler for the method
  const Route* best_any = nullptr;  // most specific route matching the path at all
  std::map<std::string, std::string> best_params;
  std::vector<const Route*> matched;
  std::map<std::string, std::string> params;
  for (const Route& route : routes_) {
    if (!Match(route, raw_segments, &params)) {
      continue;
    }
    matched.push_back(&route);
    if (best_any == nullptr || MoreSpecific(route, *best_any)) {
      best_any = &route;
    }
    if (FindHandler(route, request.method) != nullptr &&
        (best == nullptr || MoreSpecific(route, *best))) {
      best = &route;
      best_params = params;
    }
  }

  if (best == nullptr) {
    request.path_params.clear();
    if (best_any == nullptr) {
      request.route.clear();
      return AddCors(Response::Empty(404));  // empty body: compatibility contract
    }
    request.route = best_any->pattern;
    Response response = Response::Empty(request.method == "OPTIONS" ? 204 : 405);
    response.headers.Set("Allow", AllowHeader(matched));
    if (request.method == "OPTIONS") {
      response.headers.Set("Access-Control-Allow-Methods", "*");
      response.headers.Set("Access-Control-Allow-Headers", "*");
      response.headers.Set("Access-Control-Max-Age", "86400");
    }
    return AddCors(std::move(response));
  }

  request.route = best->pattern;
  request.path_params = std::move(best_params);
  const Handler& handler = *FindHandler(*best, request.method);
  try {
    return AddCors(handler(request));
  } catch (const std::exception& e) {
    spdlog::error("http: handler for {} {} threw: {}", request.method, request.route, e.what());
    return AddCors(Response::Text(500, std::string("internal server error: ") + e.what()));
  } catch (...) {
    spdlog::error("http: handler for {} {} threw a non-standard exception", request.method,
                  request.route);
    return AddCors(Response::Text(500, "internal server error: unknown exception"));
  }
}

}  // namespace cardinalsin::http
