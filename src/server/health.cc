#include "server/health.h"

#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace cardinalsin::server {

void Readiness::AddCheck(std::string name, Check check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

std::vector<std::string> Readiness::Failures() const {
  std::vector<std::string> failures;
  for (const auto& [name, check] : checks_) {
    absl::Status status = check();
    if (!status.ok()) failures.push_back(base::StrCat("not ready: ", name, ": ", status.message()));
  }
  return failures;
}

void AddHealthRoutes(http::Router& router, const Readiness& readiness) {
  router.Add("GET", "/health",
             [](const http::Request&) { return http::Response::Text(200, "OK"); });
  router.Add("GET", "/ready", [&readiness](const http::Request&) {
    std::vector<std::string> failures = readiness.Failures();
    if (failures.empty()) return http::Response::Text(200, "READY");
    return http::Response::Text(503, absl::StrJoin(failures, "\n") + "\n");
  });
}

}  // namespace cardinalsin::server
