// File: internal/handler_costs.h
//
// How long the handlers of each (method, path) took lately: the server runs a handler on its io
// thread, sparing the hand-overs to and from the handler pool, only when its path has been quick.
//
//   HandlerCosts costs(absl::Milliseconds(1));
//   if (costs.Quick("GET", "/api/v1/labels")) { ...run it here... }
//   costs.Record("GET", "/api/v1/labels", took);
//
// A path is quick once recorded with a moving average (weight 1/4 for the newest handler) of at
// most the budget. Unknown paths are not quick, so a path's first handler always runs on the pool.
// At most kMaxPaths paths are tracked; further ones are never quick (clients cannot grow it).
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace cardinalsin::http::internal {

class HandlerCosts {
 public:
  static constexpr size_t kMaxPaths = 1024;

  explicit HandlerCosts(absl::Duration budget) : budget_us_(absl::ToDoubleMicroseconds(budget)) {}

  bool Quick(std::string_view method, std::string_view path) const;
  void Record(std::string_view method, std::string_view path, absl::Duration took);

 private:
  const double budget_us_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, double> average_us_;  // "METHOD path" -> moving average
};

}  // namespace cardinalsin::http::internal
