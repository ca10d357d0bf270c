#include "scan/unflushed_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_format.h"
#include "arrow/stream_writer.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/in_memory_object_store.h"
#include "scan/testing/chunk_writer.h"

namespace cardinalsin::scan {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

std::string ArrowBody(const model::RecordBatch& batch) {
  std::string body;
  arrow::StreamWriter writer(&body);
  EXPECT_TRUE(writer.Begin(batch.schema()).ok());
  EXPECT_TRUE(writer.Write(batch).ok());
  EXPECT_TRUE(writer.Finish().ok());
  return body;
}

TEST(ParseIngesterRegistrationTest, AcceptsTheHeartbeatFormatOnly) {
  CS_ASSERT_OK_AND_ASSIGN(
      IngesterEndpoint e,
      ParseIngesterRegistration("k", R"({"id":"i1","url":"http://h:8081/","started_at_ns":1,
                                        "updated_at_ns":5})"));
  EXPECT_EQ(e.id, "i1");
  EXPECT_EQ(e.url, "http://h:8081");
  EXPECT_EQ(e.updated_at_ns, 5);
  for (const char* bad : {"", "[]", "{", R"({"id":"i1","url":"http://h"})",
                          R"({"id":1,"url":"http://h","updated_at_ns":5})",
                          R"({"id":"i1","url":"file:///etc/passwd","updated_at_ns":5})"}) {
    EXPECT_THAT(ParseIngesterRegistration("_cluster/ingesters/x.json", bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x.json")))
        << bad;
  }
}

TEST(DecodeScanResponseTest, ReadsRowsAndSequence) {
  model::RecordBatch rows = testing::MetricsRows({{"up", {{"job", "a"}}, 1, 2.0}});
  CS_ASSERT_OK_AND_ASSIGN(UnflushedRows decoded, DecodeScanResponse("i1", ArrowBody(rows), "17"));
  EXPECT_EQ(decoded.catalog_seq, 17u);
  ASSERT_EQ(decoded.batches.size(), 1u);
  EXPECT_EQ(decoded.batches[0].num_rows(), 1u);
  EXPECT_EQ(decoded.batches[0].schema(), rows.schema());

  EXPECT_THAT(DecodeScanResponse("i1", ArrowBody(rows), "x17"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("i1")));
  absl::Status garbage = DecodeScanResponse("i1", "garbage", "1").status();
  EXPECT_FALSE(garbage.ok());
  EXPECT_THAT(std::string(garbage.message()), HasSubstr("i1"));
  std::string body = ArrowBody(rows);
  EXPECT_FALSE(DecodeScanResponse("i1", body.substr(0, body.size() / 2), "1").ok());
  model::RecordBatch no_value(model::Schema({{"timestamp", model::TypeId::kTimestampNs, false}}),
                              {model::Column::FromInt64(model::TypeId::kTimestampNs, {1})});
  EXPECT_THAT(DecodeScanResponse("i1", ArrowBody(no_value), "1"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("metric_name")));
}

TEST(HttpUnflushedSourceTest, ListsLiveRegistrations) {
  base::FakeClock clock(absl::FromUnixSeconds(1000));
  io::InMemoryObjectStore store(clock);
  const int64_t now = absl::ToUnixNanos(clock.Now());
  auto put = [&](const std::string& id, const std::string& body) {
    ASSERT_TRUE(store.Put("_cluster/ingesters/" + id + ".json", body).ok());
  };
  put("b", absl::StrFormat(R"({"id":"b","url":"http://b","updated_at_ns":%d})", now));
  put("a", absl::StrFormat(R"({"id":"a","url":"http://a","updated_at_ns":%d})",
                           now - absl::ToInt64Nanoseconds(absl::Seconds(10))));
  put("stale", absl::StrFormat(R"({"id":"stale","url":"http://s","updated_at_ns":%d})",
                               now - absl::ToInt64Nanoseconds(absl::Seconds(31))));
  put("broken", "{");
  HttpUnflushedSource source(&store, {.clock = &clock});
  std::vector<std::string> skipped;
  CS_ASSERT_OK_AND_ASSIGN(std::vector<IngesterEndpoint> live, source.ListLive(&skipped));
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].id, "a");
  EXPECT_EQ(live[1].id, "b");
  EXPECT_THAT(skipped, ::testing::ElementsAre(HasSubstr("broken.json")));
}

TEST(HttpUnflushedSourceTest, CachedLiveRereadsTheRegistryAfterItsTtl) {
  base::FakeClock clock(absl::FromUnixSeconds(1000));
  io::InMemoryObjectStore store(clock);
  auto put = [&](const std::string& id) {
    ASSERT_TRUE(store
                    .Put("_cluster/ingesters/" + id + ".json",
                         absl::StrFormat(R"({"id":"%s","url":"http://%s","updated_at_ns":%d})", id,
                                         id, absl::ToUnixNanos(clock.Now())))
                    .ok());
  };
  put("a");
  put("broken");
  ASSERT_TRUE(store.Put("_cluster/ingesters/broken.json", "{").ok());
  HttpUnflushedSource source(&store, {.registry_ttl = absl::Seconds(1), .clock = &clock});
  std::vector<std::string> skipped;
  CS_ASSERT_OK_AND_ASSIGN(std::vector<IngesterEndpoint> live, source.CachedLive(&skipped));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_THAT(skipped, ::testing::ElementsAre(HasSubstr("broken.json")));

  put("b");
  clock.Advance(absl::Milliseconds(999));
  skipped.clear();
  CS_ASSERT_OK_AND_ASSIGN(live, source.CachedLive(&skipped));
  EXPECT_EQ(live.size(), 1u) << "a reading younger than the ttl is reused";
  EXPECT_THAT(skipped, ::testing::ElementsAre(HasSubstr("broken.json")))
      << "skipped registrations are reported with the reused reading";

  clock.Advance(absl::Milliseconds(1));
  CS_ASSERT_OK_AND_ASSIGN(live, source.CachedLive());
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[1].id, "b");
}

// Serves one HTTP request on 127.0.0.1 (port 0) with a canned answer and records the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char buffer[4096];
      while (request_.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(client, buffer, sizeof(buffer));
        if (n <= 0) break;
        request_.append(buffer, static_cast<size_t>(n));
      }
      size_t sent = 0;
      while (sent < response_.size()) {
        ssize_t n = write(client, response_.data() + sent, response_.size() - sent);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(client);
    });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The request line and headers; valid after the server's destructor... or after Fetch returns.
  const std::string& request() const { return request_; }

 private:
  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

std::string HttpResponse(int status, const std::string& headers, const std::string& body) {
  return absl::StrFormat("HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n%s",
                         status, body.size(), headers, body);
}

TEST(HttpUnflushedSourceTest, AsksTheScanEndpoint) {
  model::RecordBatch rows = testing::MetricsRows({{"up", {}, 5, 1.0}, {"up", {}, 6, 2.0}});
  OneShotServer server(HttpResponse(200, "x-cardinalsin-catalog-seq: 42\r\n", ArrowBody(rows)));
  HttpUnflushedSource source(nullptr, {.static_urls = {server.url()}});
  CS_ASSERT_OK_AND_ASSIGN(UnflushedResult result,
                          source.Fetch({.tenant = "t1", .metric = "a b/c", .min_time_ns = 5}));
  EXPECT_TRUE(result.failures.empty());
  ASSERT_EQ(result.sources.size(), 1u);
  EXPECT_EQ(result.sources[0].catalog_seq, 42u);
  ASSERT_EQ(result.sources[0].batches.size(), 1u);
  EXPECT_EQ(result.sources[0].batches[0].num_rows(), 2u);
  EXPECT_THAT(server.request(),
              HasSubstr("GET /internal/v1/scan?tenant=t1&metric=a%20b%2Fc&start_ns=5 HTTP/1.1"));
}

TEST(HttpUnflushedSourceTest, AsksEveryIngesterAndKeepsTheGoodAnswers) {
  model::RecordBatch rows = testing::MetricsRows({{"up", {}, 5, 1.0}});
  OneShotServer good(HttpResponse(200, "X-CardinalSin-Catalog-Seq: 3\r\n", ArrowBody(rows)));
  OneShotServer bad(HttpResponse(503, "", "draining"));
  HttpUnflushedSource source(nullptr, {.static_urls = {good.url(), bad.url()}});
  CS_ASSERT_OK_AND_ASSIGN(UnflushedResult result, source.Fetch({.tenant = "t"}));
  ASSERT_EQ(result.sources.size(), 1u);
  EXPECT_EQ(result.sources[0].ingester, good.url());
  EXPECT_EQ(result.sources[0].catalog_seq, 3u);
  EXPECT_THAT(result.failures, ::testing::ElementsAre(HasSubstr("HTTP 503")));
}

TEST(HttpUnflushedSourceTest, BadAnswersAreFailuresNamingTheIngester) {
  {
    OneShotServer server(HttpResponse(500, "", "boom"));
    HttpUnflushedSource source(nullptr, {.static_urls = {server.url()}});
    CS_ASSERT_OK_AND_ASSIGN(UnflushedResult result, source.Fetch({.tenant = "t"}));
    EXPECT_THAT(result.failures,
                ::testing::ElementsAre(AllOf(HasSubstr(server.url()), HasSubstr("HTTP 500"))));
  }
  {
    OneShotServer server(HttpResponse(200, "", "no header"));
    HttpUnflushedSource source(nullptr, {.static_urls = {server.url()}});
    CS_ASSERT_OK_AND_ASSIGN(UnflushedResult result, source.Fetch({.tenant = "t"}));
    EXPECT_THAT(result.failures, ::testing::ElementsAre(HasSubstr("X-CardinalSin-Catalog-Seq")));
  }
  {
    OneShotServer server(
        HttpResponse(200, "X-CardinalSin-Catalog-Seq: 1\r\n", std::string(5000, 'x')));
    HttpUnflushedSource source(nullptr,
                               {.static_urls = {server.url()}, .max_response_bytes = 1000});
    CS_ASSERT_OK_AND_ASSIGN(UnflushedResult result, source.Fetch({.tenant = "t"}));
    EXPECT_THAT(result.failures, ::testing::ElementsAre(HasSubstr("exceeds 1000 bytes")));
  }
}

}  // namespace
}  // namespace cardinalsin::scan
