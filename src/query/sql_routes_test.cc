#include "query/sql_routes.h"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "arrow/stream_reader.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::query {
namespace {

using model::Column;
using model::RecordBatch;
using model::Schema;
using model::StringVector;
using model::TypeId;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---- A libcurl client ---------------------------------------------------------------------------

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& header : headers) {
      if (header.first == name) {
        return header.second;
      }
    }
    return std::nullopt;
  }
  nlohmann::json Json() const { return nlohmann::json::parse(body); }
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
      value.remove_suffix(1);
    }
    headers->emplace_back(std::move(name), std::string(value));
  }
  return size * count;
}

// Percent-encodes `text` for a query string.
std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

// One request on a fresh easy handle (thread-safe across calls).
Reply Fetch(int port, const std::string& method, const std::string& path,
            std::optional<std::string> body = std::nullopt, std::vector<std::string> headers = {}) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK;
  EXPECT_TRUE(initialised);
  Reply reply;
  CURL* handle = curl_easy_init();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (body.has_value()) {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body->data());
  }
  curl_slist* list = nullptr;
  headers.push_back("Expect:");
  for (const std::string& header : headers) {
    list = curl_slist_append(list, header.c_str());
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
  reply.code = curl_easy_perform(handle);
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(handle);
  return reply;
}

// ---- Results the fake engine returns ------------------------------------------------------------

SqlResult CountsResult() {
  Schema schema({{"metric_name", TypeId::kString}, {"cnt", TypeId::kInt64}});
  SqlResult result;
  result.schema = schema;
  result.batches.emplace_back(
      schema, std::vector<Column>{Column::FromDictionary(StringVector::Of({"cpu", "mem"}), {0, 1}),
                                  Column::FromInt64(TypeId::kInt64, {10, 7})});
  result.stats.rows_scanned = 17;
  result.stats.bytes_scanned = 1234;
  return result;
}

// `rows` rows of (timestamp, metric_name, value) in batches of 8192.
SqlResult BigResult(int64_t rows) {
  Schema schema({{"timestamp", TypeId::kTimestampNs},
                 {"metric_name", TypeId::kString},
                 {"value", TypeId::kDouble}});
  SqlResult result;
  result.schema = schema;
  for (int64_t start = 0; start < rows; start += 8192) {
    int64_t n = std::min<int64_t>(8192, rows - start);
    std::vector<int64_t> ts;
    std::vector<uint32_t> codes;
    std::vector<double> values;
    for (int64_t i = start; i < start + n; ++i) {
      ts.push_back(1'700'000'000'000'000'000 + i * 1'000'000'000);
      codes.push_back(static_cast<uint32_t>(i % 3));
      values.push_back(static_cast<double>(i) * 0.5);
    }
    result.batches.emplace_back(
        schema, std::vector<Column>{Column::FromInt64(TypeId::kTimestampNs, std::move(ts)),
                                    Column::FromDictionary(StringVector::Of({"cpu", "mem", "disk"}),
                                                           std::move(codes)),
                                    Column::FromDouble(std::move(values))});
  }
  return result;
}

// ---- Fixture ------------------------------------------------------------------------------------

class SqlRoutesTest : public ::testing::Test {
 protected:
  // Starts a server whose engine is `execute`; `configure` may change other options.
  void Start(SqlExecutor execute, const std::function<void(SqlRoutesOptions&)>& configure = {}) {
    SqlRoutesOptions options;
    options.execute = [this, execute = std::move(execute)](const SqlCall& call) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.push_back(call);
      }
      return execute(call);
    };
    options.clock = &clock_;
    if (configure) {
      configure(options);
    }
    AddSqlRoutes(router_, std::move(options));
    absl::StatusOr<std::unique_ptr<http::Server>> server =
        http::Server::Start({.bind_address = "127.0.0.1", .port = 0, .threads = 4}, router_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  Reply Get(const std::string& path, std::vector<std::string> headers = {}) {
    return Fetch(server_->port(), "GET", path, std::nullopt, std::move(headers));
  }
  Reply Post(const std::string& path, std::string body, const std::string& content_type,
             std::vector<std::string> headers = {}) {
    if (!content_type.empty()) {
      headers.push_back("Content-Type: " + content_type);
    }
    return Fetch(server_->port(), "POST", path, std::move(body), std::move(headers));
  }

  std::vector<SqlCall> Calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

  base::FakeClock clock_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with TSan annotations.
  std::mutex mu_;
  std::vector<SqlCall> calls_;  // guarded by mu_
};

SqlExecutor Returns(SqlResult result) {
  return
      [result = std::move(result)](const SqlCall&) -> absl::StatusOr<SqlResult> { return result; };
}

TEST_F(SqlRoutesTest, GetJsonHasTheContractShape) {
  Start([this](const SqlCall&) -> absl::StatusOr<SqlResult> {
    clock_.Advance(absl::Milliseconds(5));
    return CountsResult();
  });
  Reply reply = Get("/api/v1/sql?query=" + UrlEncode("SELECT metric_name, count(*) AS cnt"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  EXPECT_TRUE(reply.Header("content-length").has_value());
  EXPECT_EQ(reply.body,
            R"({"columns":["metric_name","cnt"],"data":[["cpu",10],["mem",7]],)"
            R"("stats":{"rows_read":17,"bytes_read":1234,"execution_time_ms":5,"rows_returned":2,)"
            R"("chunks_total":0,"chunks_scanned":0,"row_groups_total":0,"row_groups_scanned":0}})");
  EXPECT_EQ(reply.Header("x-cardinalsin-rows-read"), "17");
  EXPECT_EQ(reply.Header("x-cardinalsin-bytes-read"), "1234");
  EXPECT_EQ(reply.Header("x-cardinalsin-execution-time-ms"), "5");
  ASSERT_EQ(Calls().size(), 1u);
  SqlCall call = Calls()[0];
  EXPECT_EQ(call.query, "SELECT metric_name, count(*) AS cnt");
  EXPECT_EQ(call.tenant, "default");
  EXPECT_EQ(call.format, ResultFormat::kJson);
  EXPECT_EQ(call.timeout, absl::Seconds(300));
  EXPECT_EQ(call.deadline, absl::FromUnixSeconds(1'700'000'000) + absl::Seconds(300));
  ASSERT_NE(call.cancelled, nullptr);
}

TEST_F(SqlRoutesTest, RequestForms) {
  Start(Returns(CountsResult()));
  struct Case {
    std::string name;
    std::string method;
    std::string path;
    std::optional<std::string> body;
    std::string content_type;
    std::string want_query;
    ResultFormat want_format;
  };
  const std::vector<Case> cases = {
      {"get", "GET", "/api/v1/sql?query=SELECT+1&format=csv", std::nullopt, "", "SELECT 1",
       ResultFormat::kCsv},
      {"json", "POST", "/api/v1/sql", R"({"query":"SELECT 2","format":"ndjson"})",
       "application/json", "SELECT 2", ResultFormat::kNdjson},
      {"json charset", "POST", "/api/v1/sql", R"({"query":"SELECT 3"})",
       "Application/JSON; charset=utf-8", "SELECT 3", ResultFormat::kJson},
      {"json suffix", "POST", "/api/v1/sql", R"({"query":"SELECT 4","format":null})",
       "application/vnd.api+json", "SELECT 4", ResultFormat::kJson},
      {"json + query string", "POST", "/api/v1/sql?format=arrow", R"({"query":"SELECT 5"})",
       "application/json", "SELECT 5", ResultFormat::kArrow},
      {"json body wins", "POST", "/api/v1/sql?query=SELECT+0", R"({"query":"SELECT 6"})",
       "application/json", "SELECT 6", ResultFormat::kJson},
      {"form", "POST", "/api/v1/sql", "query=SELECT+7&format=csv",
       "application/x-www-form-urlencoded", "SELECT 7", ResultFormat::kCsv},
      {"empty body, query string", "POST", "/api/v1/sql?query=SELECT%208", "", "", "SELECT 8",
       ResultFormat::kJson},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Reply reply = c.body.has_value() ? Post(c.path, *c.body, c.content_type) : Get(c.path);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Header("content-type"), ResultContentType(c.want_format));
    EXPECT_EQ(Calls().back().query, c.want_query);
    EXPECT_EQ(Calls().back().format, c.want_format);
  }
}

TEST_F(SqlRoutesTest, EveryFormatOverHttp) {
  Start(Returns(CountsResult()));
  Reply csv = Get("/api/v1/sql?query=q&format=csv");
  EXPECT_EQ(csv.body, "metric_name,cnt\r\ncpu,10\r\nmem,7\r\n");
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  Reply ndjson = Get("/api/v1/sql?query=q&format=ndjson");
  EXPECT_EQ(ndjson.body,
            "{\"metric_name\":\"cpu\",\"cnt\":10}\n{\"metric_name\":\"mem\",\"cnt\":7}\n");
  Reply arrow_reply = Get("/api/v1/sql?query=q&format=arrow");
  ASSERT_EQ(arrow_reply.status, 200);
  EXPECT_EQ(arrow_reply.Header("content-type"), "application/vnd.apache.arrow.stream");
  CS_ASSERT_OK_AND_ASSIGN(arrow::StreamReader reader, arrow::StreamReader::Open(arrow_reply.body));
  CS_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> batch, reader.Next());
  ASSERT_TRUE(batch.has_value());
  EXPECT_TRUE(batch->Equals(CountsResult().batches[0]));
  EXPECT_FALSE(batch->column(0).is_dictionary());  // plain utf8 by default
}

TEST_F(SqlRoutesTest, EmptyResultKeepsTheSchema) {
  SqlResult empty = CountsResult();
  empty.batches.clear();
  Start(Returns(empty));
  EXPECT_THAT(Get("/api/v1/sql?query=q").body,
              StartsWith(R"({"columns":["metric_name","cnt"],"data":[],"stats":)"));
  EXPECT_EQ(Get("/api/v1/sql?query=q&format=csv").body, "metric_name,cnt\r\n");
  Reply ndjson = Get("/api/v1/sql?query=q&format=ndjson");
  EXPECT_EQ(ndjson.status, 200);
  EXPECT_EQ(ndjson.body, "");
  Reply arrow_reply = Get("/api/v1/sql?query=q&format=arrow");
  CS_ASSERT_OK_AND_ASSIGN(arrow::StreamReader reader, arrow::StreamReader::Open(arrow_reply.body));
  EXPECT_EQ(reader.schema(), empty.schema);
}

TEST_F(SqlRoutesTest, BadFormatIsRejectedBeforeTheQueryRuns) {
  Start(Returns(CountsResult()));
  Reply reply = Get("/api/v1/sql?query=q&format=xml");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "Invalid format. Use: json, arrow, or csv");
  EXPECT_THAT(reply.Header("content-type"), ::testing::Optional(StartsWith("text/plain")));
  reply = Post("/api/v1/sql", R"({"query":"q","format":"parquet"})", "application/json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "Invalid format. Use: json, arrow, or csv");
  EXPECT_TRUE(Calls().empty());
}

TEST_F(SqlRoutesTest, RequestErrors) {
  Start(Returns(CountsResult()));
  struct Case {
    std::string name;
    std::string method;
    std::string path;
    std::optional<std::string> body;
    std::string content_type;
    long want_status;
    std::string want_error;  // substring of the JSON "error"
  };
  const std::vector<Case> cases = {
      {"get without query", "GET", "/api/v1/sql", std::nullopt, "", 400,
       "missing required parameter \"query\""},
      {"empty query", "GET", "/api/v1/sql?query=+", std::nullopt, "", 400, "query is empty"},
      {"malformed json", "POST", "/api/v1/sql", "{\"query\": ", "application/json", 400,
       "malformed JSON body"},
      {"json without query", "POST", "/api/v1/sql", R"({"format":"csv"})", "application/json", 422,
       "missing field \"query\""},
      {"json query not a string", "POST", "/api/v1/sql", R"({"query":1})", "application/json", 422,
       "\"query\" must be a string"},
      {"json not an object", "POST", "/api/v1/sql", R"(["SELECT 1"])", "application/json", 422,
       "must be an object"},
      {"text/plain body", "POST", "/api/v1/sql", "SELECT 1", "text/plain", 415,
       "unsupported Content-Type \"text/plain\""},
      {"form without query", "POST", "/api/v1/sql", "format=csv",
       "application/x-www-form-urlencoded", 400, "missing required parameter \"query\""},
      {"bad timeout", "GET", "/api/v1/sql?query=q&timeout=soon", std::nullopt, "", 400,
       "invalid timeout \"soon\""},
      {"negative timeout", "GET", "/api/v1/sql?query=q&timeout=-1", std::nullopt, "", 400,
       "invalid timeout \"-1\""},
      {"json timeout of wrong type", "POST", "/api/v1/sql", R"({"query":"q","timeout":[1]})",
       "application/json", 422, "\"timeout\" must be"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Reply reply = c.body.has_value() ? Post(c.path, *c.body, c.content_type) : Get(c.path);
    EXPECT_EQ(reply.status, c.want_status) << reply.body;
    EXPECT_EQ(reply.Header("content-type"), "application/json");
    nlohmann::json json = reply.Json();
    ASSERT_TRUE(json.contains("error")) << reply.body;
    EXPECT_THAT(json["error"].get<std::string>(), HasSubstr(c.want_error));
  }
  EXPECT_TRUE(Calls().empty());
}

TEST_F(SqlRoutesTest, PostWithoutContentTypeIs415) {
  Start(Returns(CountsResult()));
  // curl sets a form Content-Type for POSTFIELDS; "Content-Type:" removes it.
  Reply reply = Fetch(server_->port(), "POST", "/api/v1/sql", std::string(R"({"query":"q"})"),
                      {"Content-Type:"});
  EXPECT_EQ(reply.status, 415);
  EXPECT_THAT(reply.Json()["error"].get<std::string>(), HasSubstr("missing Content-Type"));
}

TEST_F(SqlRoutesTest, EngineErrorsMapToStatusCodes) {
  struct Case {
    absl::Status status;
    long want_status;
    std::string want_error;
    bool retry_after;
  };
  const std::vector<Case> cases = {
      {absl::InvalidArgumentError("syntax error at line 1, column 1: SELCT"), 400,
       "syntax error at line 1, column 1: SELCT", false},
      {absl::InvalidArgumentError("unknown table \"nonexistent_table\""), 400,
       "unknown table \"nonexistent_table\"", false},
      {absl::NotFoundError("object t/data/a.parquet not found"), 500,
       "object t/data/a.parquet not found", false},
      {absl::OutOfRangeError("integer overflow in sum"), 400, "integer overflow in sum", false},
      {absl::UnimplementedError("window functions are not supported"), 400,
       "window functions are not supported", false},
      {absl::ResourceExhaustedError("query would scan 2000000 rows, over the limit of 1000000"),
       422, "query would scan 2000000 rows, over the limit of 1000000", false},
      {absl::DeadlineExceededError("deadline"), 503, "query timed out after 30s", false},
      {absl::UnavailableError("object store unreachable"), 503, "object store unreachable", true},
      {absl::CancelledError("shutting down"), 503, "shutting down", true},
      {absl::DataLossError("chunk a.parquet: bad footer at offset 12"), 500,
       "chunk a.parquet: bad footer at offset 12", false},
      {absl::InternalError("boom"), 500, "boom", false},
  };
  auto current = std::make_shared<std::atomic<size_t>>(0);
  Start([&cases, current](
            const SqlCall&) -> absl::StatusOr<SqlResult> { return cases[current->load()].status; },
        [](SqlRoutesOptions& options) { options.query_timeout = absl::Seconds(30); });
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].status.ToString());
    current->store(i);
    Reply reply = Get("/api/v1/sql?query=SELCT+*+FORM+nonexistent_table");
    EXPECT_EQ(reply.status, cases[i].want_status);
    EXPECT_EQ(reply.Header("content-type"), "application/json");
    EXPECT_EQ(reply.Json(), nlohmann::json({{"error", cases[i].want_error}}));
    EXPECT_EQ(reply.Header("retry-after").has_value(), cases[i].retry_after);
  }
}

TEST_F(SqlRoutesTest, InconsistentResultIs500) {
  SqlResult bad = CountsResult();
  bad.schema = Schema({{"other", TypeId::kInt64}});
  Start(Returns(bad));
  Reply reply = Get("/api/v1/sql?query=q");
  EXPECT_EQ(reply.status, 500);
  EXPECT_THAT(reply.Json()["error"].get<std::string>(), HasSubstr("schema different"));
}

TEST_F(SqlRoutesTest, ResultRowLimit) {
  Start(Returns(BigResult(100)), [](SqlRoutesOptions& options) { options.max_result_rows = 99; });
  Reply reply = Get("/api/v1/sql?query=q");
  EXPECT_EQ(reply.status, 422);
  EXPECT_THAT(reply.Json()["error"].get<std::string>(),
              HasSubstr("returned 100 rows, over the limit of 99 rows"));
  EXPECT_EQ(Calls()[0].max_result_rows, 99u);
}

TEST_F(SqlRoutesTest, TimeoutParameterIsCappedByTheServerMaximum) {
  Start(Returns(CountsResult()),
        [](SqlRoutesOptions& options) { options.query_timeout = absl::Seconds(60); });
  struct Case {
    std::string param;
    absl::Duration want;
  };
  const std::vector<Case> cases = {
      {"", absl::Seconds(60)},
      {"&timeout=10s", absl::Seconds(10)},
      {"&timeout=1.5", absl::Milliseconds(1500)},
      {"&timeout=2m", absl::Seconds(60)},
      {"&timeout=500ms", absl::Milliseconds(500)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.param);
    ASSERT_EQ(Get("/api/v1/sql?query=q" + c.param).status, 200);
    EXPECT_EQ(Calls().back().timeout, c.want);
    EXPECT_EQ(Calls().back().deadline, clock_.Now() + c.want);
  }
  ASSERT_EQ(Post("/api/v1/sql", R"({"query":"q","timeout":2})", "application/json").status, 200);
  EXPECT_EQ(Calls().back().timeout, absl::Seconds(2));
}

TEST_F(SqlRoutesTest, TimeoutMessageNamesTheEffectiveTimeout) {
  // The engine honours the deadline through CheckContinue().
  Start([this](const SqlCall& call) -> absl::StatusOr<SqlResult> {
    CS_RETURN_IF_ERROR(call.CheckContinue(clock_));
    clock_.Advance(absl::Seconds(11));
    CS_RETURN_IF_ERROR(call.CheckContinue(clock_));
    return CountsResult();
  });
  Reply reply = Get("/api/v1/sql?query=q&timeout=10s");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, R"({"error":"query timed out after 10s"})");
}

TEST_F(SqlRoutesTest, TenantHeader) {
  Start(Returns(CountsResult()),
        [](SqlRoutesOptions& options) { options.default_tenant = "team-a"; });
  struct Case {
    std::optional<std::string> header;
    long want_status;
    std::string want_tenant;
  };
  const std::vector<Case> cases = {
      {std::nullopt, 200, "team-a"},
      {"acme.prod_1-x", 200, "acme.prod_1-x"},
      {std::string(128, 't'), 200, std::string(128, 't')},
      {std::string(129, 't'), 400, ""},
      {"_cluster", 400, ""},
      {".hidden", 400, ""},
      {"a/b", 400, ""},
      {"sp ace", 400, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header.value_or("<none>"));
    size_t before = Calls().size();
    std::vector<std::string> headers;
    if (c.header.has_value()) {
      headers.push_back("X-Scope-OrgID: " + *c.header);
    }
    Reply reply = Get("/api/v1/sql?query=q", headers);
    EXPECT_EQ(reply.status, c.want_status) << reply.body;
    if (c.want_status == 200) {
      EXPECT_EQ(Calls().back().tenant, c.want_tenant);
    } else {
      EXPECT_EQ(Calls().size(), before);
      EXPECT_THAT(reply.Json()["error"].get<std::string>(), HasSubstr("invalid tenant id"));
    }
  }
}

TEST_F(SqlRoutesTest, ConcurrencyLimitRejectsTheExtraQueryWith429) {
  constexpr int kLimit = 2;
  std::mutex mu;
  std::condition_variable changed;
  int running = 0;       // guarded by mu
  bool release = false;  // guarded by mu
  Start(
      [&](const SqlCall&) -> absl::StatusOr<SqlResult> {
        std::unique_lock<std::mutex> lock(mu);
        ++running;
        changed.notify_all();
        changed.wait_for(lock, std::chrono::seconds(20), [&] { return release; });
        return CountsResult();
      },
      [](SqlRoutesOptions& options) { options.max_concurrent_queries = kLimit; });
  std::vector<std::thread> clients;
  clients.reserve(kLimit);
  std::vector<Reply> replies(kLimit);
  for (int i = 0; i < kLimit; ++i) {
    clients.emplace_back([&, i] { replies[i] = Get("/api/v1/sql?query=slow"); });
  }
  bool all_running = false;
  {
    std::unique_lock<std::mutex> lock(mu);
    all_running =
        changed.wait_for(lock, std::chrono::seconds(20), [&] { return running == kLimit; });
  }
  EXPECT_TRUE(all_running);
  Reply rejected = Get("/api/v1/sql?query=one+too+many");
  EXPECT_EQ(rejected.status, 429);
  EXPECT_EQ(rejected.Header("retry-after"), "1");
  EXPECT_EQ(rejected.body, R"({"error":"too many concurrent queries (limit 2); retry later"})");
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  changed.notify_all();
  for (std::thread& client : clients) {
    client.join();
  }
  for (const Reply& reply : replies) {
    EXPECT_EQ(reply.status, 200);
  }
  // The slots are free again.
  EXPECT_EQ(Get("/api/v1/sql?query=after").status, 200);
  EXPECT_EQ(Calls().size(), static_cast<size_t>(kLimit + 1));
}

TEST_F(SqlRoutesTest, LargeResultsAreStreamedChunked) {
  constexpr int64_t kRows = 200'000;
  SqlResult big = BigResult(kRows);
  Start(Returns(big), [](SqlRoutesOptions& options) {
    options.stream_threshold_bytes = 64 << 10;
    options.stream_chunk_bytes = 32 << 10;
  });
  for (ResultFormat format :
       {ResultFormat::kJson, ResultFormat::kCsv, ResultFormat::kNdjson, ResultFormat::kArrow}) {
    SCOPED_TRACE(ResultFormatName(format));
    Reply reply = Get(base::StrCat("/api/v1/sql?query=q&format=", ResultFormatName(format)));
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(reply.Header("transfer-encoding"), "chunked");
    EXPECT_FALSE(reply.Header("content-length").has_value());
    CS_ASSERT_OK_AND_ASSIGN(std::string want, EncodeResult(format, big));
    EXPECT_EQ(reply.body.size(), want.size());
    EXPECT_TRUE(reply.body == want);
  }
  nlohmann::json json = Get("/api/v1/sql?query=q").Json();
  ASSERT_EQ(json["data"].size(), static_cast<size_t>(kRows));
  EXPECT_EQ(json["data"][kRows - 1][0].get<int64_t>(),
            1'700'000'000'000'000'000 + (kRows - 1) * 1'000'000'000);
  EXPECT_EQ(json["stats"]["rows_returned"].get<int64_t>(), kRows);
}

TEST_F(SqlRoutesTest, WarningsReachEveryFormat) {
  SqlResult result = CountsResult();
  result.warnings = {"ingester 10.0.0.7:8081 did not answer; recent samples may be missing",
                     "line\r\nbreak \xc3\xa9"};
  Start(Returns(result));
  nlohmann::json json = Get("/api/v1/sql?query=q").Json();
  EXPECT_EQ(json["warnings"], nlohmann::json::array({result.warnings[0], "line\r\nbreak \u00e9"}));
  Reply csv = Get("/api/v1/sql?query=q&format=csv");
  EXPECT_EQ(csv.body, "metric_name,cnt\r\ncpu,10\r\nmem,7\r\n");
  std::vector<std::string> headers;
  for (const auto& header : csv.headers) {
    if (header.first == "x-cardinalsin-warning") {
      headers.push_back(header.second);
    }
  }
  EXPECT_THAT(headers, ::testing::ElementsAre(result.warnings[0], "line??break ??"));
}

TEST_F(SqlRoutesTest, OtherMethodsAre405) {
  Start(Returns(CountsResult()));
  Reply reply = Fetch(server_->port(), "DELETE", "/api/v1/sql?query=q");
  EXPECT_EQ(reply.status, 405);
}

}  // namespace
}  // namespace cardinalsin::query
