#include "promapi/routes.h"

#include <curl/curl.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "nlohmann/json.hpp"
#include "promapi/params.h"
#include "promql/format.h"

namespace cardinalsin::promapi {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What the fakes saw of the last call.
struct Seen {
  std::string tenant;
  std::string query;  // promql::ToString of the evaluated expression
  int64_t time_ms = 0, start_ms = 0, end_ms = 0, step_ms = 0;
  promql::QueryOptions options;
  std::optional<LookupRequest> lookup;
  std::string label_name;
  std::optional<MetadataRequest> metadata;
  int evaluations = 0;
};

// A querier that is never asked: the fake evaluator does not select.
class NullQuerier final : public promql::Querier {
 public:
  absl::StatusOr<promql::Matrix> Select(const promql::SelectHints&,
                                        std::span<const promql::LabelMatcher>) override {
    return promql::Matrix{};
  }
};

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(Seen* seen) : seen_(seen) {}

  absl::StatusOr<std::unique_ptr<promql::Querier>> NewQuerier(const std::string& tenant,
                                                              absl::Time) override {
    seen_->tenant = tenant;
    if (!querier_error.ok()) return querier_error;
    return std::make_unique<NullQuerier>();
  }
  absl::StatusOr<LookupResult<promql::Labels>> Series(const LookupRequest& request) override {
    seen_->lookup = request;
    if (!lookup_error.ok()) return lookup_error;
    return series;
  }
  absl::StatusOr<LookupResult<std::string>> LabelNames(const LookupRequest& request) override {
    seen_->lookup = request;
    if (!lookup_error.ok()) return lookup_error;
    return names;
  }
  absl::StatusOr<LookupResult<std::string>> LabelValues(const LookupRequest& request,
                                                        std::string_view name) override {
    seen_->lookup = request;
    seen_->label_name = std::string(name);
    if (!lookup_error.ok()) return lookup_error;
    return values;
  }

  absl::Status querier_error;
  absl::Status lookup_error;
  LookupResult<promql::Labels> series;
  LookupResult<std::string> names;
  LookupResult<std::string> values;

 private:
  Seen* seen_;
};

class FakeMetadata final : public MetadataSource {
 public:
  explicit FakeMetadata(Seen* seen) : seen_(seen) {}
  absl::StatusOr<std::map<std::string, std::vector<MetricMetadata>>> Metadata(
      const MetadataRequest& request) override {
    seen_->metadata = request;
    return metrics;
  }
  std::map<std::string, std::vector<MetricMetadata>> metrics;

 private:
  Seen* seen_;
};

struct Reply {
  int status = 0;
  json body;
  std::string text;
  std::string allow;
};

class PromApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(PromApiOptions{}); }

  // (Re)builds the router with `options` plus the fakes.
  void Build(PromApiOptions options) {
    router_ = http::Router();
    options.backend = &backend_;
    options.metadata = &metadata_;
    options.clock = &clock_;
    options.evaluator.instant = [this](promql::Querier&, const promql::Expr& expr, int64_t t,
                                       const promql::QueryOptions& o) {
      ++seen_.evaluations;
      seen_.query = promql::ToString(expr);
      seen_.time_ms = t;
      seen_.options = o;
      if (block_ != nullptr) block_->WaitForNotification();
      return result_;
    };
    options.evaluator.range = [this](promql::Querier&, const promql::Expr& expr, int64_t start,
                                     int64_t end, int64_t step, const promql::QueryOptions& o) {
      ++seen_.evaluations;
      seen_.query = promql::ToString(expr);
      seen_.start_ms = start;
      seen_.end_ms = end;
      seen_.step_ms = step;
      seen_.options = o;
      return result_;
    };
    AddPromApiRoutes(router_, std::move(options));
  }

  Reply Call(std::string method, std::string target, std::string form_body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    absl::StatusOr<Request> request = Request::Create(std::move(method), std::move(target));
    EXPECT_TRUE(request.ok()) << request.status();
    if (!form_body.empty()) {
      request->headers.Set("Content-Type", "application/x-www-form-urlencoded");
      request->body = std::move(form_body);
    }
    for (auto& header : headers) request->headers.Set(header.first, header.second);
    Response response = router_.Dispatch(*request);
    Reply reply;
    reply.status = response.status;
    reply.text = response.body;
    reply.allow = response.headers.GetOr("Allow", "");
    if (!response.body.empty()) {
      reply.body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    }
    if (response.status != 404 && response.status != 405) {
      EXPECT_EQ(response.headers.GetOr("Content-Type", ""), "application/json");
    }
    return reply;
  }

  // Expects a Prometheus error envelope.
  static void ExpectError(const Reply& reply, int status, std::string_view type,
                          std::string_view message) {
    EXPECT_EQ(reply.status, status) << reply.text;
    EXPECT_EQ(reply.body["status"], "error") << reply.text;
    EXPECT_EQ(reply.body["errorType"], type) << reply.text;
    EXPECT_EQ(reply.body["error"], message) << reply.text;
  }

  base::FakeClock clock_;
  Seen seen_;
  FakeBackend backend_{&seen_};
  FakeMetadata metadata_{&seen_};
  absl::StatusOr<promql::QueryResult> result_ = promql::QueryResult{};
  absl::Notification* block_ = nullptr;
  http::Router router_;
};

constexpr int64_t kNowMs = 1'700'000'000'000;  // FakeClock's start

TEST_F(PromApiTest, InstantQueryVectorShape) {
  promql::QueryResult result;
  result.value = promql::Vector{
      {{{"__name__", "up"}, {"job", "api"}}, 1'700'000'000'123, 1.5},
      {{{"job", "db"}}, 1'700'000'000'123, -std::numeric_limits<double>::infinity()}};
  result_ = result;
  Reply reply = Call("GET", "/api/v1/query?query=up&time=1700000000.123");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.text,
            R"({"status":"success","data":{"resultType":"vector","result":[)"
            R"({"metric":{"__name__":"up","job":"api"},"value":[1700000000.123,"1.5"]},)"
            R"({"metric":{"job":"db"},"value":[1700000000.123,"-Inf"]}]}})");
  EXPECT_EQ(seen_.query, "up");
  EXPECT_EQ(seen_.time_ms, 1'700'000'000'123);
  EXPECT_EQ(seen_.tenant, "default");
}

TEST_F(PromApiTest, InstantQueryDefaultsToNowAndAcceptsRfc3339) {
  Call("GET", "/api/v1/query?query=1");
  EXPECT_EQ(seen_.time_ms, kNowMs);
  Call("GET", "/api/v1/query?query=1&time=2023-11-14T22:13:21.5Z");
  EXPECT_EQ(seen_.time_ms, kNowMs + 1'500);
}

TEST_F(PromApiTest, ScalarStringAndMatrixShapes) {
  promql::QueryResult result;
  result.value = promql::Scalar{kNowMs, 2};
  result_ = result;
  EXPECT_EQ(Call("GET", "/api/v1/query?query=1%2B1").text,
            R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}})");
  EXPECT_EQ(seen_.query, "1 + 1");
  result.value = promql::String{kNowMs, "x"};
  result_ = result;
  EXPECT_EQ(Call("GET", "/api/v1/query?query=%22x%22").body["data"]["result"],
            json::parse(R"([1700000000,"x"])"));
  result.value = promql::Matrix{{{{"job", "a"}}, {{1'000, std::nan("")}, {2'000, 3}}}};
  result_ = result;
  EXPECT_EQ(Call("GET", "/api/v1/query?query=x%5B5m%5D").text,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"job":"a"},"values":[[1,"NaN"],[2,"3"]]}]}})");
}

TEST_F(PromApiTest, RangeQueryGetAndFormPost) {
  promql::QueryResult result;
  result.value = promql::Matrix{{{{"job", "a"}}, {{1'000, 1}}}};
  result.annotations.AddWarning("PromQL warning: w");
  result.annotations.AddInfo("PromQL info: i");
  result_ = result;
  Reply get = Call("GET", "/api/v1/query_range?query=sum(x)&start=0&end=60&step=15s");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body["data"]["resultType"], "matrix");
  EXPECT_EQ(get.body["warnings"], json::parse(R"(["PromQL warning: w"])"));
  EXPECT_EQ(get.body["infos"], json::parse(R"(["PromQL info: i"])"));
  EXPECT_EQ(seen_.start_ms, 0);
  EXPECT_EQ(seen_.end_ms, 60'000);
  EXPECT_EQ(seen_.step_ms, 15'000);

  // Grafana's form POST; form values win over the query string.
  Reply post = Call("POST", "/api/v1/query_range?step=1",
                    "query=rate(x%5B5m%5D)&start=2023-11-14T22%3A13%3A20Z"
                    "&end=1700000300&step=1m30s&timeout=30s");
  EXPECT_EQ(post.status, 200) << post.text;
  EXPECT_EQ(seen_.query, "rate(x[5m])");
  EXPECT_EQ(seen_.start_ms, kNowMs);
  EXPECT_EQ(seen_.end_ms, kNowMs + 300'000);
  EXPECT_EQ(seen_.step_ms, 90'000);
  EXPECT_EQ(seen_.options.deadline, clock_.Now() + absl::Seconds(30));
  // A charset parameter on the form's Content-Type (browsers send one).
  Reply charset = Call("POST", "/api/v1/query_range", "query=up&start=0&end=60&step=30",
                       {{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}});
  EXPECT_EQ(charset.status, 200) << charset.text;
  EXPECT_EQ(seen_.step_ms, 30'000);
  // A POST body of another type is not read as a form.
  Reply json_body = Call("POST", "/api/v1/query_range", "query=up&start=0&end=60&step=30",
                         {{"Content-Type", "application/json"}});
  EXPECT_EQ(json_body.status, 400);
}

TEST_F(PromApiTest, RangeQueryParameterErrors) {
  struct Case {
    std::string query_string;
    std::string message;
  };
  const Case cases[] = {
      {"query=x&start=x&end=1&step=1",
       R"(invalid parameter "start": cannot parse "x" to a valid timestamp)"},
      {"query=x&end=1&step=1",
       R"(invalid parameter "start": cannot parse "" to a valid timestamp)"},
      {"query=x&start=1&end=y&step=1",
       R"(invalid parameter "end": cannot parse "y" to a valid timestamp)"},
      {"query=x&start=10&end=1&step=1",
       R"(invalid parameter "end": end timestamp must not be before start time)"},
      {"query=x&start=0&end=1&step=z",
       R"(invalid parameter "step": cannot parse "z" to a valid duration)"},
      {"query=x&start=0&end=1&step=0",
       "invalid parameter \"step\": zero or negative query resolution step widths are not "
       "accepted. Try a positive integer"},
      {"query=x&start=0&end=1&step=-5",
       "invalid parameter \"step\": zero or negative query resolution step widths are not "
       "accepted. Try a positive integer"},
      {"query=x&start=0&end=11001&step=1",
       "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
       "resolution (?step=XX)"},
      {"query=x&start=-292273086-05-16T16:47:06Z&end=292277025-08-18T07:12:54.999999999Z&step=1",
       "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
       "resolution (?step=XX)"},
      {"query=x%5B5m%5D&start=0&end=1&step=1",
       "invalid parameter \"query\": invalid expression type \"range vector\" for range query, "
       "must be Scalar or instant Vector"},
      {"query=x&start=0&end=1&step=1&timeout=soon",
       R"(invalid parameter "timeout": cannot parse "soon" to a valid duration)"},
      {"query=x&start=0&end=1&step=1&limit=-1",
       R"(invalid parameter "limit": limit must be non-negative)"},
      {"query=x&start=0&end=1&step=1&lookback_delta=q",
       R"(error parsing lookback delta duration: cannot parse "q" to a valid duration)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query_string);
    ExpectError(Call("GET", "/api/v1/query_range?" + c.query_string), 400, "bad_data", c.message);
  }
  // 11000 points exactly is fine.
  EXPECT_EQ(Call("GET", "/api/v1/query_range?query=x&start=0&end=11000&step=1").status, 200);
  EXPECT_EQ(seen_.evaluations, 1);
}

TEST_F(PromApiTest, QueryParseErrorsAreBadData) {
  Reply reply = Call("GET", "/api/v1/query?query=sum(");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body["errorType"], "bad_data");
  EXPECT_THAT(reply.body["error"].get<std::string>(),
              ::testing::StartsWith("invalid parameter \"query\": 1:"));
  EXPECT_EQ(Call("GET", "/api/v1/query").status, 400);  // no query
  ExpectError(Call("GET", "/api/v1/query?query=1&time=abc"), 400, "bad_data",
              "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" "
              "to a valid timestamp");
  EXPECT_EQ(seen_.evaluations, 0);
}

TEST_F(PromApiTest, EngineErrorsMapToErrorTypes) {
  struct Case {
    absl::Status status;
    int http;
    std::string type;
  };
  const Case cases[] = {
      {absl::InvalidArgumentError("bad"), 400, "bad_data"},
      {absl::FailedPreconditionError("many-to-many"), 422, "execution"},
      {absl::ResourceExhaustedError("query processing would load too many samples"), 422,
       "execution"},
      {absl::DeadlineExceededError("query timed out in expression evaluation"), 503, "timeout"},
      {absl::CancelledError("cancelled"), 503, "canceled"},
      {absl::UnavailableError("ingester down"), 503, "unavailable"},
      {absl::InternalError("oops"), 500, "internal"},
      {absl::DataLossError("corrupt chunk"), 500, "internal"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status.ToString());
    result_ = c.status;
    ExpectError(Call("GET", "/api/v1/query?query=up"), c.http, c.type,
                std::string(c.status.message()));
    ExpectError(Call("POST", "/api/v1/query_range", "query=up&start=0&end=1&step=1"), c.http,
                c.type, std::string(c.status.message()));
  }
  result_ = promql::QueryResult{};
  backend_.querier_error = absl::UnavailableError("catalog unreachable");
  ExpectError(Call("GET", "/api/v1/query?query=up"), 503, "unavailable", "catalog unreachable");
}

TEST_F(PromApiTest, LimitTruncatesSeriesWithWarning) {
  promql::QueryResult result;
  result.value = promql::Vector{{{{"a", "1"}}, 0, 1}, {{{"a", "2"}}, 0, 2}, {{{"a", "3"}}, 0, 3}};
  result_ = result;
  Reply reply = Call("GET", "/api/v1/query?query=x&limit=2");
  EXPECT_EQ(reply.body["data"]["result"].size(), 2u);
  EXPECT_EQ(reply.body["warnings"], json::parse(R"(["results truncated due to limit"])"));
  reply = Call("GET", "/api/v1/query?query=x&limit=3");
  EXPECT_EQ(reply.body["data"]["result"].size(), 3u);
  EXPECT_FALSE(reply.body.contains("warnings"));
}

TEST_F(PromApiTest, StatsLookbackAndTimeoutReachTheEngine) {
  promql::QueryResult result;
  result.value = promql::Vector{};
  result.stats.samples_loaded = 7;
  result.stats.peak_samples = 3;
  result_ = result;
  Reply reply = Call("GET", "/api/v1/query?query=x&stats=all&lookback_delta=1m&timeout=5");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["data"]["stats"]["samples"]["totalQueryableSamples"], 7);
  EXPECT_EQ(reply.body["data"]["stats"]["samples"]["peakSamples"], 3);
  EXPECT_TRUE(reply.body["data"]["stats"]["timings"].contains("evalTotalTime"));
  EXPECT_EQ(seen_.options.lookback_delta_ms, 60'000);
  EXPECT_EQ(seen_.options.deadline, clock_.Now() + absl::Seconds(5));
  EXPECT_FALSE(Call("GET", "/api/v1/query?query=x").body["data"].contains("stats"));
  EXPECT_EQ(seen_.options.lookback_delta_ms, 0);
  // The timeout parameter cannot exceed the server's query timeout (2m by default).
  Call("GET", "/api/v1/query?query=x&timeout=1h");
  EXPECT_EQ(seen_.options.deadline, clock_.Now() + absl::Minutes(2));
}

TEST_F(PromApiTest, TenantFromHeader) {
  Call("GET", "/api/v1/query?query=x", "", {{"X-Scope-OrgID", "team-a"}});
  EXPECT_EQ(seen_.tenant, "team-a");
  Reply bad = Call("GET", "/api/v1/query?query=x", "", {{"X-Scope-OrgID", "../etc"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["errorType"], "bad_data");
  Reply bad_lookup = Call("GET", "/api/v1/labels", "", {{"X-Scope-OrgID", "_x"}});
  EXPECT_EQ(bad_lookup.status, 400);
  EXPECT_FALSE(seen_.lookup.has_value());
}

TEST_F(PromApiTest, WrongMethodIs405) {
  for (const char* path : {"/api/v1/query", "/api/v1/query_range", "/api/v1/series",
                           "/api/v1/labels", "/api/v1/label/job/values", "/api/v1/metadata"}) {
    SCOPED_TRACE(path);
    Reply reply = Call("DELETE", path);
    EXPECT_EQ(reply.status, 405);
    EXPECT_THAT(reply.allow, HasSubstr("POST"));
  }
  EXPECT_EQ(Call("PUT", "/api/v1/status/buildinfo").status, 405);
}

TEST_F(PromApiTest, SeriesRoute) {
  backend_.series.items = {{{"__name__", "up"}, {"job", "b"}}, {{"__name__", "up"}, {"job", "a"}}};
  Reply reply = Call("POST", "/api/v1/series",
                     "match%5B%5D=up%7Bjob%3D~%22a%7Cb%22%7D&match%5B%5D=%7B__name__%3D%22x%22%7D"
                     "&start=1700000000&end=2023-11-14T22%3A23%3A20Z");
  ASSERT_EQ(reply.status, 200) << reply.text;
  EXPECT_EQ(reply.text, R"({"status":"success","data":[{"__name__":"up","job":"a"},)"
                        R"({"__name__":"up","job":"b"}]})");
  ASSERT_TRUE(seen_.lookup.has_value());
  const LookupRequest& lookup = *seen_.lookup;
  EXPECT_EQ(lookup.start_ms, kNowMs);
  EXPECT_EQ(lookup.end_ms, kNowMs + 600'000);
  EXPECT_EQ(lookup.limit, 0u);
  ASSERT_EQ(lookup.selectors.size(), 2u);
  EXPECT_THAT(lookup.selectors[0],
              ElementsAre(promql::LabelMatcher{promql::MatchType::kRegexMatch, "job", "a|b"},
                          promql::LabelMatcher{promql::MatchType::kEqual, "__name__", "up"}));
  EXPECT_THAT(lookup.selectors[1],
              ElementsAre(promql::LabelMatcher{promql::MatchType::kEqual, "__name__", "x"}));
}

TEST_F(PromApiTest, SeriesErrorsAndLimit) {
  ExpectError(Call("GET", "/api/v1/series"), 400, "bad_data", "no match[] parameter provided");
  Reply bad = Call("GET", "/api/v1/series?match[]=up%7B");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body["error"].get<std::string>(),
              ::testing::StartsWith("invalid parameter \"match[]\": "));
  ExpectError(Call("GET", "/api/v1/series?match[]=up&start=x"), 400, "bad_data",
              "invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" "
              "to a valid timestamp");
  backend_.series.items = {{{"a", "1"}}, {{"a", "2"}}, {{"a", "3"}}};
  Reply limited = Call("GET", "/api/v1/series?match[]=up&limit=2");
  EXPECT_EQ(limited.body["data"].size(), 2u);
  EXPECT_EQ(limited.body["warnings"], json::parse(R"(["results truncated due to limit"])"));
  EXPECT_EQ(seen_.lookup->limit, 3u);  // one more, to see the truncation
  backend_.lookup_error = absl::DeadlineExceededError("lookup timed out");
  ExpectError(Call("GET", "/api/v1/series?match[]=up"), 503, "timeout", "lookup timed out");
}

TEST_F(PromApiTest, LabelNamesAndValues) {
  backend_.names.items = {"job", "__name__", "instance"};
  backend_.names.warnings = {"ingester i-1 could not be asked"};
  Reply names = Call("GET", "/api/v1/labels");
  EXPECT_EQ(names.text, R"({"status":"success","data":["__name__","instance","job"],)"
                        R"("warnings":["ingester i-1 could not be asked"]})");
  EXPECT_TRUE(seen_.lookup->selectors.empty());
  EXPECT_EQ(seen_.lookup->start_ms, kMinTimeMs);
  EXPECT_EQ(seen_.lookup->end_ms, kMaxTimeMs);

  backend_.values.items = {"b", "a"};
  Reply values = Call("GET", "/api/v1/label/job/values?match[]=up&start=1&end=2&limit=5");
  EXPECT_EQ(values.text, R"({"status":"success","data":["a","b"]})");
  EXPECT_EQ(seen_.label_name, "job");
  EXPECT_EQ(seen_.lookup->selectors.size(), 1u);
  EXPECT_EQ(seen_.lookup->start_ms, 1'000);
  EXPECT_EQ(seen_.lookup->limit, 6u);

  Reply post = Call("POST", "/api/v1/label/__name__/values", "match%5B%5D=%7Bjob%3D%22a%22%7D");
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(seen_.label_name, "__name__");

  // Prometheus's U__ escaping of UTF-8 names, and a percent-encoded path segment.
  Call("GET", "/api/v1/label/U__http_2e_method/values");
  EXPECT_EQ(seen_.label_name, "http.method");
  Call("GET", "/api/v1/label/a%20b/values");
  EXPECT_EQ(seen_.label_name, "a b");
  ExpectError(Call("GET", "/api/v1/label/U___zz_/values"), 400, "bad_data",
              "invalid label name: \"U___zz_\"");
  ExpectError(Call("GET", "/api/v1/label/%FF/values"), 400, "bad_data",
              "invalid label name: \"\xef\xbf\xbd\"");  // U+FFFD: JSON text is UTF-8

  backend_.values.items = {};
  EXPECT_EQ(Call("GET", "/api/v1/label/none/values").text, R"({"status":"success","data":[]})");
  // An empty time range answers without asking the backend.
  seen_.lookup.reset();
  EXPECT_EQ(Call("GET", "/api/v1/labels?start=10&end=5").text, R"({"status":"success","data":[]})");
  EXPECT_FALSE(seen_.lookup.has_value());
}

TEST_F(PromApiTest, Metadata) {
  EXPECT_EQ(Call("GET", "/api/v1/metadata").text, R"({"status":"success","data":{}})");
  metadata_.metrics = {
      {"http_requests_total", {{"counter", "Requests.", ""}, {"counter", "Old help.", ""}}},
      {"temperature", {{"gauge", "Room temperature.", "celsius"}}}};
  Reply all = Call("GET", "/api/v1/metadata");
  EXPECT_EQ(all.text,
            R"({"status":"success","data":{"http_requests_total":[)"
            R"({"type":"counter","help":"Requests.","unit":""},)"
            R"({"type":"counter","help":"Old help.","unit":""}],)"
            R"("temperature":[{"type":"gauge","help":"Room temperature.","unit":"celsius"}]}})");
  Reply limited = Call("GET", "/api/v1/metadata?limit=1&limit_per_metric=1&metric=x");
  EXPECT_EQ(limited.body["data"].size(), 1u);
  EXPECT_EQ(limited.body["data"]["http_requests_total"].size(), 1u);
  EXPECT_EQ(seen_.metadata->metric, "x");
  EXPECT_EQ(seen_.metadata->limit, 1u);
  EXPECT_EQ(Call("GET", "/api/v1/metadata?limit=x").status, 400);
}

TEST_F(PromApiTest, FormatAndParseQuery) {
  EXPECT_EQ(Call("GET", "/api/v1/format_query?query=sum(rate(x%5B5m%5D))by(job)").text,
            R"j({"status":"success","data":"sum by (job) (rate(x[5m]))"})j");
  EXPECT_EQ(Call("POST", "/api/v1/format_query", "query=up%7Bjob%3D%27a%27%7D").text,
            R"({"status":"success","data":"up{job=\"a\"}"})");
  Reply bad = Call("GET", "/api/v1/format_query?query=sum(");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["errorType"], "bad_data");
  Reply parsed = Call("GET", "/api/v1/parse_query?query=1");
  EXPECT_EQ(parsed.text, R"({"status":"success","data":{"type":"numberLiteral","val":"1"}})");
}

TEST_F(PromApiTest, StatusRoutes) {
  PromApiOptions options;
  options.build_info = {"0.3.0", "abc123", "main", "ci", "20261124-13:00:00", "gcc 12"};
  options.flags = {{"query.timeout", "2m"}, {"storage.tsdb.retention.time", "15d"}};
  options.config_yaml = "global: {}\n";
  options.storage_retention = "15d";
  Build(options);
  EXPECT_EQ(Call("GET", "/api/v1/status/buildinfo").text,
            R"({"status":"success","data":{"version":"0.3.0","revision":"abc123",)"
            R"("branch":"main","buildUser":"ci","buildDate":"20261124-13:00:00",)"
            R"("goVersion":"gcc 12"}})");
  Reply runtime = Call("GET", "/api/v1/status/runtimeinfo");
  EXPECT_EQ(runtime.body["data"]["startTime"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(runtime.body["data"]["storageRetention"], "15d");
  EXPECT_EQ(runtime.body["data"]["GOMAXPROCS"], std::thread::hardware_concurrency());
  EXPECT_EQ(runtime.body["data"]["reloadConfigSuccess"], true);
  EXPECT_EQ(Call("GET", "/api/v1/status/config").text,
            R"({"status":"success","data":{"yaml":"global: {}\n"}})");
  EXPECT_EQ(Call("GET", "/api/v1/status/flags").body["data"]["query.timeout"], "2m");
}

TEST_F(PromApiTest, EmptyCompatibilityRoutes) {
  EXPECT_EQ(Call("GET", "/api/v1/query_exemplars?query=up").text,
            R"({"status":"success","data":[]})");
  EXPECT_EQ(Call("POST", "/api/v1/query_exemplars", "query=up").text,
            R"({"status":"success","data":[]})");
  EXPECT_EQ(Call("GET", "/api/v1/rules").text, R"({"status":"success","data":{"groups":[]}})");
  EXPECT_EQ(Call("GET", "/api/v1/alerts").text, R"({"status":"success","data":{"alerts":[]}})");
  EXPECT_EQ(Call("GET", "/api/v1/targets").text,
            R"({"status":"success","data":{"activeTargets":[],"droppedTargets":[],)"
            R"("droppedTargetCounts":{}}})");
}

TEST_F(PromApiTest, ConcurrencyLimitAnswers503) {
  PromApiOptions options;
  options.max_concurrent_queries = 1;
  Build(options);
  absl::Notification release;
  block_ = &release;
  std::thread first([&] { EXPECT_EQ(Call("GET", "/api/v1/query?query=x").status, 200); });
  while (seen_.evaluations == 0) std::this_thread::yield();
  Reply second = Call("GET", "/api/v1/labels");
  ExpectError(second, 503, "unavailable", "too many concurrent queries (limit 1); retry later");
  release.Notify();
  first.join();
  block_ = nullptr;
  EXPECT_EQ(Call("GET", "/api/v1/labels").status, 200);
}

TEST_F(PromApiTest, MalformedFormIsBadData) {
  Reply reply = Call("POST", "/api/v1/query", "query=%zz");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body["errorType"], "bad_data");
}

// ---- Over a real socket ------------------------------------------------------------------------

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct WireReply {
  long status = 0;
  std::string headers;  // raw header block
  std::string body;
};

// One request with libcurl; `form` (if set) is sent as an application/x-www-form-urlencoded body.
WireReply Fetch(int port, const std::string& method, const std::string& path,
                std::optional<std::string> form = std::nullopt) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK;
  EXPECT_TRUE(initialised);
  WireReply reply;
  CURL* handle = curl_easy_init();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (form.has_value()) {
    // libcurl sends application/x-www-form-urlencoded for POSTFIELDS by default.
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form->size()));
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, form->data());
  }
  EXPECT_EQ(curl_easy_perform(handle), CURLE_OK);
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_cleanup(handle);
  return reply;
}

TEST_F(PromApiTest, OverHttp) {
  promql::QueryResult result;
  result.value = promql::Vector{{{{"job", "a b"}}, 1'500, 0.25}};
  result_ = result;
  absl::StatusOr<std::unique_ptr<http::Server>> server =
      http::Server::Start({.bind_address = "127.0.0.1", .port = 0, .threads = 2}, router_);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  WireReply get = Fetch(port, "GET", "/api/v1/query?query=sum%20by%20(job)%20(x)&time=1.5");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, R"({"status":"success","data":{"resultType":"vector","result":[)"
                      R"({"metric":{"job":"a b"},"value":[1.500,"0.25"]}]}})");
  EXPECT_THAT(get.headers, HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(get.headers, HasSubstr("Access-Control-Allow-Origin: *"));
  EXPECT_EQ(seen_.query, "sum by (job) (x)");

  WireReply post =
      Fetch(port, "POST", "/api/v1/query_range", "query=rate(x%5B1m%5D)&start=0&end=300&step=60");
  EXPECT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(seen_.query, "rate(x[1m])");
  EXPECT_EQ(seen_.step_ms, 60'000);

  backend_.values.items = {"v"};
  WireReply values = Fetch(port, "POST", "/api/v1/label/job/values",
                           "match%5B%5D=up&match%5B%5D=%7Bjob%3D%22x%22%7D");
  EXPECT_EQ(values.body, R"({"status":"success","data":["v"]})");
  EXPECT_EQ(seen_.lookup->selectors.size(), 2u);

  WireReply wrong = Fetch(port, "PUT", "/api/v1/labels");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_THAT(wrong.headers, HasSubstr("Allow: "));

  WireReply bad = Fetch(port, "GET", "/api/v1/query_range?query=x&start=1&end=0&step=1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": )"
            R"(end timestamp must not be before start time"})");
  (*server)->Stop();
}

}  // namespace
}  // namespace cardinalsin::promapi
