#include "server/health.h"

#include "gtest/gtest.h"
#include "http/request.h"

namespace cardinalsin::server {
namespace {

// Routes a GET through the router the way the HTTP server does.
http::Response Get(const http::Router& router, const std::string& path) {
  http::Request request;
  request.method = "GET";
  request.target = path;
  request.path = path;
  return router.Dispatch(request);
}

TEST(HealthTest, HealthAndReadyBodiesFollowTheContract) {
  http::Router router;
  Readiness readiness;
  readiness.AddCheck("object store", [] { return absl::OkStatus(); });
  AddHealthRoutes(router, readiness);
  http::Response health = Get(router, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK");
  http::Response ready = Get(router, "/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "READY");
}

TEST(HealthTest, ReadyNamesEveryFailingDependency) {
  http::Router router;
  Readiness readiness;
  bool store_up = false;
  readiness.AddCheck("object store", [&] {
    return store_up ? absl::OkStatus() : absl::UnavailableError("connection refused");
  });
  readiness.AddCheck("wal", [] { return absl::FailedPreconditionError("replay in progress"); });
  AddHealthRoutes(router, readiness);
  http::Response ready = Get(router, "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body,
            "not ready: object store: connection refused\nnot ready: wal: replay in progress\n");
  store_up = true;
  EXPECT_EQ(Get(router, "/ready").body, "not ready: wal: replay in progress\n");
  EXPECT_EQ(Get(router, "/health").status, 200);
}

}  // namespace
}  // namespace cardinalsin::server
