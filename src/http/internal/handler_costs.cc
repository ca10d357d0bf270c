#include "http/internal/handler_costs.h"

namespace cardinalsin::http::internal {
namespace {

// The map key, built in a per-thread buffer (this runs for every request).
const std::string& KeyOf(std::string_view method, std::string_view path) {
  thread_local std::string key;
  key.assign(method).append(" ").append(path);
  return key;
}

}  // namespace

bool HandlerCosts::Quick(std::string_view method, std::string_view path) const {
  const std::string& key = KeyOf(method, path);
  std::lock_guard lock(mu_);
  auto it = average_us_.find(key);
  return it != average_us_.end() && it->second <= budget_us_;
}

void HandlerCosts::Record(std::string_view method, std::string_view path, absl::Duration took) {
  const double us = absl::ToDoubleMicroseconds(took);
  const std::string& key = KeyOf(method, path);
  std::lock_guard lock(mu_);
  auto it = average_us_.find(key);
  if (it != average_us_.end()) {
    it->second += (us - it->second) / 4;
  } else if (average_us_.size() < kMaxPaths) {
    average_us_.emplace(key, us);
  }
}

}  // namespace cardinalsin::http::internal
