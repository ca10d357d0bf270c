// File: health.h
//
// Liveness and readiness for every service (ARCHITECTURE.md section 1):
//   GET /health  200 text/plain "OK" while the process serves HTTP (compatibility contract).
//   GET /ready   200 text/plain "READY" when every readiness check passes; otherwise 503 with one
//                line per failing check, "not ready: <check>: <reason>".
//
//   Readiness readiness;
//   readiness.AddCheck("object store", [&] { return store.List({.max_keys = 1}).status(); });
//   AddHealthRoutes(router, readiness);
//
// Thread-safety: AddCheck before serving; Check() may then run concurrently. The checks must be
// thread-safe and quick (they run on an HTTP thread per /ready request).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "http/router.h"

namespace cardinalsin::server {

class Readiness {
 public:
  using Check = std::function<absl::Status()>;

  void AddCheck(std::string name, Check check);
  // Runs every check; returns the failures as "not ready: <name>: <message>" lines (empty = ready).
  std::vector<std::string> Failures() const;

 private:
  std::vector<std::pair<std::string, Check>> checks_;
};

// Registers /health and /ready on `router`. `readiness` must outlive the router.
void AddHealthRoutes(http::Router& router, const Readiness& readiness);

}  // namespace cardinalsin::server
