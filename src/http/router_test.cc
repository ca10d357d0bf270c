#include "http/router.h"

#include <stdexcept>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::http {
namespace {

using ::testing::Optional;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Router::Handler Reply(const std::string& body) {
  return [body](const Request&) { return Response::Text(200, body); };
}

// Dispatches `method target` and returns the response; `request` (if given) receives the routed
// request.
Response Call(const Router& router, std::string method, std::string target,
              Request* request = nullptr) {
  absl::StatusOr<Request> created = Request::Create(std::move(method), std::move(target));
  EXPECT_TRUE(created.ok()) << created.status();
  Request local = created.ok() ? *std::move(created) : Request();
  Response response = router.Dispatch(local);
  if (request != nullptr) {
    *request = std::move(local);
  }
  return response;
}

TEST(RouterTest, MatchesLiteralAndCapturesParams) {
  Router router;
  router.Add("GET", "/health", Reply("OK"));
  router.Add("GET", "/api/v1/label/:name/values", [](const Request& request) {
    return Response::Text(200, request.path_params.at("name"));
  });

  Request request;
  Response response = Call(router, "GET", "/api/v1/label/job%2Fx/values?match[]=up", &request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "job/x");  // %2F stays inside the segment
  EXPECT_EQ(request.route, "/api/v1/label/:name/values");
  EXPECT_THAT(request.path_params, UnorderedElementsAre(Pair("name", "job/x")));
  EXPECT_EQ(Call(router, "GET", "/health").body, "OK");
  EXPECT_THAT(Call(router, "GET", "/health").headers.Get("Access-Control-Allow-Origin"),
              Optional(std::string_view("*")));
}

TEST(RouterTest, UnknownPathIs404WithEmptyBody) {
  Router router;
  router.Add("GET", "/health", Reply("OK"));
  for (const char* target : {"/", "/healthz", "/health/", "/health/x", "/api/v1/label//values"}) {
    SCOPED_TRACE(target);
    Request request;
    Response response = Call(router, "GET", target, &request);
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body, "");
    EXPECT_FALSE(response.headers.Has("Content-Type"));
    EXPECT_THAT(response.headers.Get("Access-Control-Allow-Origin"),
                Optional(std::string_view("*")));
    EXPECT_EQ(request.route, "");
  }
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/api/v1/query", Reply("get"));
  router.Add("POST", "/api/v1/query", Reply("post"));
  router.Add("POST", "/api/v1/write", Reply("write"));
  Request request;
  Response response = Call(router, "DELETE", "/api/v1/query", &request);
  EXPECT_EQ(response.status, 405);
  EXPECT_THAT(response.headers.Get("Allow"),
              Optional(std::string_view("GET, HEAD, OPTIONS, POST")));
  EXPECT_EQ(request.route, "/api/v1/query");
  EXPECT_THAT(Call(router, "GET", "/api/v1/write").headers.Get("Allow"),
              Optional(std::string_view("OPTIONS, POST")));
  EXPECT_EQ(Call(router, "POST", "/api/v1/query").body, "post");
}

TEST(RouterTest, OptionsPreflightOnKnownPath) {
  Router router;
  router.Add("POST", "/api/v1/write", Reply("write"));
  Response response = Call(router, "OPTIONS", "/api/v1/write");
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.body, "");
  EXPECT_THAT(response.headers.Get("Access-Control-Allow-Origin"), Optional(std::string_view("*")));
  EXPECT_THAT(response.headers.Get("Access-Control-Allow-Methods"),
              Optional(std::string_view("*")));
  EXPECT_THAT(response.headers.Get("Access-Control-Allow-Headers"),
              Optional(std::string_view("*")));
  EXPECT_THAT(response.headers.Get("Allow"), Optional(std::string_view("OPTIONS, POST")));
  EXPECT_EQ(Call(router, "OPTIONS", "/unknown").status, 404);
}

TEST(RouterTest, ExplicitOptionsHandlerWins) {
  Router router;
  router.Add("OPTIONS", "/x", Reply("mine"));
  router.Add("*", "/y", Reply("any"));
  EXPECT_EQ(Call(router, "OPTIONS", "/x").body, "mine");
  EXPECT_EQ(Call(router, "OPTIONS", "/y").status, 204);  // "*" does not take preflight
}

TEST(RouterTest, AnyMethodAndHeadFallback) {
  Router router;
  router.Add("*", "/api/v1/sql",
             [](const Request& request) { return Response::Text(200, request.method); });
  router.Add("GET", "/health", Reply("OK"));
  EXPECT_EQ(Call(router, "PATCH", "/api/v1/sql").body, "PATCH");
  EXPECT_EQ(Call(router, "GET", "/api/v1/sql").body, "GET");
  EXPECT_EQ(Call(router, "HEAD", "/health").status, 200);
}

TEST(RouterTest, MostSpecificPatternWins) {
  Router router;
  router.Add("GET", "/api/v1/status/:page", Reply("param"));
  router.Add("GET", "/api/v1/status/buildinfo", Reply("literal"));
  router.Add("GET", "/api/*rest", Reply("catch-all"));
  router.Add("GET", "/:a/:b", Reply("two-params"));
  EXPECT_EQ(Call(router, "GET", "/api/v1/status/buildinfo").body, "literal");
  EXPECT_EQ(Call(router, "GET", "/api/v1/status/config").body, "param");
  EXPECT_EQ(Call(router, "GET", "/api/v2/x/y").body, "catch-all");
  EXPECT_EQ(Call(router, "GET", "/api/v2").body, "catch-all");
  EXPECT_EQ(Call(router, "GET", "/x/y").body, "two-params");
}

TEST(RouterTest, MethodSpecificRouteBeatsMoreSpecificPathWithoutMethod) {
  Router router;
  router.Add("POST", "/a/b", Reply("post-literal"));
  router.Add("GET", "/a/:x", Reply("get-param"));
  EXPECT_EQ(Call(router, "GET", "/a/b").body, "get-param");
  EXPECT_EQ(Call(router, "POST", "/a/b").body, "post-literal");
  Response response = Call(router, "PUT", "/a/b");
  EXPECT_EQ(response.status, 405);
  EXPECT_THAT(response.headers.Get("Allow"),
              Optional(std::string_view("GET, HEAD, OPTIONS, POST")));
}

TEST(RouterTest, CatchAllCapturesDecodedRest) {
  Router router;
  router.Add("GET", "/ui/*path", [](const Request& request) {
    return Response::Text(200, "[" + request.path_params.at("path") + "]");
  });
  EXPECT_EQ(Call(router, "GET", "/ui/static/app%20v2.js").body, "[static/app v2.js]");
  EXPECT_EQ(Call(router, "GET", "/ui/").body, "[]");
  EXPECT_EQ(Call(router, "GET", "/ui").body, "[]");
}

TEST(RouterTest, HandlerExceptionBecomes500) {
  Router router;
  router.Add("GET", "/boom",
             [](const Request&) -> Response { throw std::runtime_error("kaboom"); });
  router.Add("GET", "/int", [](const Request&) -> Response { throw 42; });
  Response response = Call(router, "GET", "/boom");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, "internal server error: kaboom");
  EXPECT_THAT(response.headers.Get("Access-Control-Allow-Origin"), Optional(std::string_view("*")));
  EXPECT_EQ(Call(router, "GET", "/int").status, 500);
}

TEST(RouterTest, HandlerMayOverrideCorsOrigin) {
  Router router;
  router.Add("GET", "/x", [](const Request&) {
    Response response = Response::Text(200, "x");
    response.headers.Set("Access-Control-Allow-Origin", "https://example.com");
    return response;
  });
  EXPECT_THAT(Call(router, "GET", "/x").headers.GetAll("Access-Control-Allow-Origin"),
              ::testing::ElementsAre("https://example.com"));
}

TEST(RouterDeathTest, DuplicateRouteIsAProgrammingError) {
  Router router;
  router.Add("GET", "/x", Reply("1"));
  EXPECT_DEATH(router.Add("GET", "/x", Reply("2")), "inserted");
  EXPECT_DEATH(router.Add("GET", "relative", Reply("2")), "starts_with");
  EXPECT_DEATH(router.Add("GET", "/a/*rest/b", Reply("2")), "parts.size");
}

}  // namespace
}  // namespace cardinalsin::http
