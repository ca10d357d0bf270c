#include "http/server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::http {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

constexpr absl::Duration kDeadline = absl::Seconds(20);

// ---- A libcurl client -------------------------------------------------------------------------

void InitCurlOnce() {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK; }();
  ASSERT_TRUE(initialised);
}

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  size_t body_bytes = 0;  // counted even when the body is discarded
  // The final response's headers, names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  long new_connections = 0;  // CURLINFO_NUM_CONNECTS: 0 when a kept-alive connection was reused

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) {
        return value;
      }
    }
    return std::nullopt;
  }
};

struct Call {
  std::string method = "GET";
  std::string path;  // "/x?y=z"
  std::optional<std::string> body;
  std::vector<std::string> headers;  // "Name: value"; "Expect:" removes curl's Expect header
  bool chunked_upload = false;       // send `body` with Transfer-Encoding: chunked
  bool discard_body = false;         // count response bytes without keeping them
};

struct UploadState {
  std::string_view data;
  size_t offset = 0;
};

struct DownloadState {
  HttpResult* result;
  bool discard;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<DownloadState*>(user);
  state->result->body_bytes += size * count;
  if (!state->discard) {
    state->result->body.append(data, size * count);
  }
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new (interim or final) response
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
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

size_t OnUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* state = static_cast<UploadState*>(user);
  size_t n = std::min(size * count, state->data.size() - state->offset);
  std::copy_n(state->data.data() + state->offset, n, buffer);
  state->offset += n;
  return n;
}

// One curl easy handle. Its connection cache keeps connections alive across Fetch() calls.
// Not thread-safe: use one Client per thread.
class Client {
 public:
  explicit Client(int port) : port_(port) {
    InitCurlOnce();
    handle_ = curl_easy_init();
  }
  ~Client() { curl_easy_cleanup(handle_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  HttpResult Get(std::string path) { return Fetch({.path = std::move(path)}); }

  HttpResult Fetch(const Call& call) {
    HttpResult result;
    DownloadState download{&result, call.discard_body};
    UploadState upload{call.body.has_value() ? std::string_view(*call.body) : "", 0};
    curl_easy_reset(handle_);
    std::string url = absl::StrFormat("http://127.0.0.1:%d%s", port_, call.path);
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(kDeadline)));
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &download);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &result.headers);
    curl_slist* headers = nullptr;
    for (const std::string& header : call.headers) {
      headers = curl_slist_append(headers, header.c_str());
    }
    if (call.method == "HEAD") {
      curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);
    } else if (call.method != "GET" || call.body.has_value()) {
      curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    }
    if (call.body.has_value()) {
      if (call.chunked_upload) {
        curl_easy_setopt(handle_, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(handle_, CURLOPT_READFUNCTION, &OnUpload);
        curl_easy_setopt(handle_, CURLOPT_READDATA, &upload);
        headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
      } else {
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(call.body->size()));
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, call.body->data());
      }
    }
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers);
    result.code = curl_easy_perform(handle_);
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &result.status);
    curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &result.new_connections);
    curl_slist_free_all(headers);
    return result;
  }

 private:
  int port_;
  CURL* handle_;
};

// ---- Raw sockets, for what curl will not send -------------------------------------------------

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool IsConnected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `marker` has arrived or `timeout` passes; returns what was read.
  std::string ReadUntil(std::string_view marker, absl::Duration timeout = kDeadline) {
    std::string out;
    absl::Time deadline = absl::Now() + timeout;
    while (out.find(marker) == std::string::npos && absl::Now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      int ready =
          poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now())));
      if (ready <= 0) {
        continue;
      }
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        break;
      }
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

  // Reads until the server closes the connection or `timeout` passes. Sets *closed accordingly.
  std::string ReadUntilClosed(bool* closed, absl::Duration timeout = kDeadline) {
    std::string out;
    absl::Time deadline = absl::Now() + timeout;
    *closed = false;
    while (absl::Now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      int ready =
          poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now())));
      if (ready <= 0) {
        continue;
      }
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Sends `request` on a fresh connection and returns everything the server sent until it closed.
std::string RawExchange(int port, std::string_view request, bool* closed) {
  RawConnection connection(port);
  EXPECT_TRUE(connection.IsConnected());
  EXPECT_TRUE(connection.Send(request));
  return connection.ReadUntilClosed(closed);
}

std::string Gzip(const std::string& data, int window_bits = 16 + MAX_WBITS) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// True once connecting to `port` is refused (the acceptor is closed), polling until `timeout`.
bool WaitUntilRefused(int port, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    RawConnection probe(port);
    if (!probe.IsConnected()) {
      return true;
    }
    std::this_thread::yield();
  }
  return false;
}

// ---- The fixture ------------------------------------------------------------------------------

// Every test runs twice: handlers on the io threads (handler_threads = 0) and on a pool.
class ServerTest : public ::testing::TestWithParam<int> {
 protected:
  ServerTest() {
    router_.Add("GET", "/health", [](const Request&) { return Response::Text(200, "OK"); });
    router_.Add("GET", "/api/v1/label/:name/values", [](const Request& request) {
      return Response::Text(200, request.path_params.at("name"));
    });
    router_.Add("GET", "/api/v1/series", [](const Request& request) {
      return Response::Text(200, absl::StrJoin(request.Params("match[]"), "|"));
    });
    router_.Add("*", "/api/v1/query", [](const Request& request) {
      absl::StatusOr<std::vector<std::string>> query = request.FormOrQuery("query");
      absl::StatusOr<std::vector<std::string>> match = request.FormOrQuery("match[]");
      if (!query.ok()) {
        return Response::Text(400, std::string(query.status().message()));
      }
      return Response::Text(200, absl::StrJoin(*query, "|") + ";" + absl::StrJoin(*match, "|"));
    });
    router_.Add("POST", "/echo", [](const Request& request) {
      Response response = Response::Text(200, request.body);
      response.headers.Set("X-Content-Encoding", request.headers.GetOr("Content-Encoding", "none"));
      return response;
    });
    router_.Add("GET", "/throw",
                [](const Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/stream", [](const Request& request) {
      int n = 3;
      if (std::optional<std::string> param = request.Param("n")) {
        EXPECT_TRUE(absl::SimpleAtoi(*param, &n));
      }
      auto next = std::make_shared<int>(0);
      return Response::Stream(200, "text/plain", [n, next](std::string* chunk) {
        if (*next >= n) {
          return false;
        }
        *chunk = absl::StrFormat("chunk%d\n", (*next)++);
        return true;
      });
    });
    router_.Add("GET", "/stream-throw", [](const Request&) {
      auto calls = std::make_shared<int>(0);
      return Response::Stream(200, "text/plain", [calls](std::string* chunk) -> bool {
        if ((*calls)++ > 0) {
          throw std::runtime_error("producer failed");
        }
        *chunk = "first\n";
        return true;
      });
    });
    router_.Add("GET", "/stream-forever", [this](const Request& request) {
      // The producer outlives the handler call, so it copies what it needs from the request.
      const bool honour_shutdown = request.Param("honour").has_value();
      const std::atomic<bool>* shutting_down = request.shutting_down;
      auto calls = std::make_shared<int>(0);
      return Response::Stream(200, "text/event-stream", [=, this](std::string* chunk) {
        // The second call means the first chunk has been written.
        if (++*calls == 2) {
          stream_started_.Notify();
        }
        if (honour_shutdown && shutting_down->load()) {
          return false;
        }
        *chunk = "data: tick\n\n";
        return true;
      });
    });
    router_.Add("GET", "/block", [this](const Request& request) {
      block_entered_.Notify();
      bool released = block_release_.WaitForNotificationWithTimeout(kDeadline);
      return Response::Text(
          200, absl::StrCat("released=", released ? "true" : "false",
                            " shutting_down=", request.ShuttingDown() ? "true" : "false"));
    });
  }

  void Start(ServerOptions options = {}) {
    options.bind_address = "127.0.0.1";
    if (options.handler_threads == 0) options.handler_threads = GetParam();
    CS_ASSERT_OK_AND_ASSIGN(server_, Server::Start(std::move(options), router_));
    ASSERT_GT(server_->port(), 0);
  }

  int Port() const { return server_->port(); }

  Router router_;
  absl::Notification stream_started_;
  absl::Notification block_entered_;
  absl::Notification block_release_;
  std::unique_ptr<Server> server_;  // last: stopped before the state its handlers use
};

TEST_P(ServerTest, RoutesAndPathParams) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult health = client.Get("/health");
  EXPECT_EQ(health.code, CURLE_OK);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK");
  EXPECT_THAT(health.Header("content-type"), Optional(std::string("text/plain; charset=utf-8")));
  EXPECT_THAT(health.Header("content-length"), Optional(std::string("2")));

  HttpResult label = client.Get("/api/v1/label/job%2Fa%20b/values");
  EXPECT_EQ(label.status, 200);
  EXPECT_EQ(label.body, "job/a b");
}

TEST_P(ServerTest, RepeatedQueryParams) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result =
      client.Get("/api/v1/series?match[]=up&match%5B%5D=foo+bar&x=1&match[]=%7Bjob%3D%22a%22%7D");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "up|foo bar|{job=\"a\"}");
}

TEST_P(ServerTest, PostFormParamsMergedAfterQueryParams) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result =
      client.Fetch({.method = "POST",
                    .path = "/api/v1/query?query=from_url&match[]=a",
                    .body = "query=sum(rate(x%5B5m%5D))&match%5B%5D=b+c",
                    .headers = {"Content-Type: application/x-www-form-urlencoded"}});
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "from_url|sum(rate(x[5m]));a|b c");

  HttpResult get = client.Get("/api/v1/query?query=up");
  EXPECT_EQ(get.body, "up;");

  HttpResult bad = client.Fetch({.method = "POST",
                                 .path = "/api/v1/query",
                                 .body = "query=%zz",
                                 .headers = {"Content-Type: application/x-www-form-urlencoded"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("invalid form body"));
}

TEST_P(ServerTest, MalformedQueryStringGets400) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Get("/api/v1/series?match[]=%zz");
  EXPECT_EQ(result.status, 400);
  EXPECT_THAT(result.body, HasSubstr("malformed percent-escape"));
  // Not an HTTP framing error: the connection stays usable.
  EXPECT_EQ(client.Get("/health").new_connections, 0);
}

TEST_P(ServerTest, UnknownPathIs404WithEmptyBody) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Get("/no/such/path");
  EXPECT_EQ(result.code, CURLE_OK);
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(result.body, "");
  EXPECT_THAT(result.Header("content-length"), Optional(std::string("0")));
  EXPECT_THAT(result.Header("access-control-allow-origin"), Optional(std::string("*")));
}

TEST_P(ServerTest, WrongMethodIs405WithAllow) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Fetch({.method = "DELETE", .path = "/health"});
  EXPECT_EQ(result.status, 405);
  EXPECT_THAT(result.Header("allow"), Optional(std::string("GET, HEAD, OPTIONS")));
  EXPECT_EQ(result.body, "");
}

TEST_P(ServerTest, CorsHeadersAndPreflight) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  EXPECT_THAT(client.Get("/health").Header("access-control-allow-origin"),
              Optional(std::string("*")));
  HttpResult preflight = client.Fetch(
      {.method = "OPTIONS",
       .path = "/api/v1/query",
       .headers = {"Origin: http://grafana.local", "Access-Control-Request-Method: POST",
                   "Access-Control-Request-Headers: content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.body, "");
  EXPECT_THAT(preflight.Header("access-control-allow-origin"), Optional(std::string("*")));
  EXPECT_THAT(preflight.Header("access-control-allow-methods"), Optional(std::string("*")));
  EXPECT_THAT(preflight.Header("access-control-allow-headers"), Optional(std::string("*")));
  EXPECT_EQ(preflight.Header("content-length"), std::nullopt);  // none on a 204
  EXPECT_EQ(client.Fetch({.method = "OPTIONS", .path = "/nope"}).status, 404);
}

TEST_P(ServerTest, HeadGetsHeadersWithoutBody) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Fetch({.method = "HEAD", .path = "/health"});
  EXPECT_EQ(result.code, CURLE_OK);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "");
  EXPECT_THAT(result.Header("content-length"), Optional(std::string("2")));
  EXPECT_EQ(client.Get("/health").new_connections, 0);  // framing stayed intact
}

TEST_P(ServerTest, BodyOverDefaultLimitGets413AndClose) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  // curl sends "Expect: 100-continue" for a body this large, so the server answers from the
  // Content-Length alone.
  HttpResult result =
      client.Fetch({.method = "POST", .path = "/echo", .body = std::string((16 << 20) + 1, 'x')});
  EXPECT_EQ(result.status, 413);
  EXPECT_EQ(result.body, "request body exceeds the 16777216-byte limit\n");
  EXPECT_THAT(result.Header("connection"), Optional(std::string("close")));
  EXPECT_THAT(result.Header("access-control-allow-origin"), Optional(std::string("*")));
  HttpResult next = client.Get("/health");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.new_connections, 1);  // the 413 closed the old connection
}

TEST_P(ServerTest, BodyLimitIsInclusiveAndEnforcedForEveryFraming) {
  ASSERT_NO_FATAL_FAILURE(Start({.max_body_bytes = 1000}));
  Client client(Port());
  HttpResult at_limit =
      client.Fetch({.method = "POST", .path = "/echo", .body = std::string(1000, 'a')});
  EXPECT_EQ(at_limit.status, 200);
  EXPECT_EQ(at_limit.body.size(), 1000u);

  const std::string big(1 << 20, 'b');
  struct Case {
    const char* name;
    Call call;
  };
  const Case cases[] = {
      {"content-length, no Expect",
       {.method = "POST", .path = "/echo", .body = big, .headers = {"Expect:"}}},
      {"content-length, Expect",
       {.method = "POST", .path = "/echo", .body = big, .headers = {"Expect: 100-continue"}}},
      {"chunked, no Expect",
       {.method = "POST",
        .path = "/echo",
        .body = big,
        .headers = {"Expect:"},
        .chunked_upload = true}},
      {"chunked, Expect",
       {.method = "POST",
        .path = "/echo",
        .body = big,
        .headers = {"Expect: 100-continue"},
        .chunked_upload = true}},
      {"just over", {.method = "POST", .path = "/echo", .body = std::string(1001, 'c')}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResult result = client.Fetch(c.call);
    EXPECT_EQ(result.status, 413);
    EXPECT_EQ(result.body, "request body exceeds the 1000-byte limit\n");
    EXPECT_EQ(client.Get("/health").status, 200);
  }
}

TEST_P(ServerTest, ExpectContinueWithinLimit) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  std::string body(5000, 'e');
  HttpResult result = client.Fetch(
      {.method = "POST", .path = "/echo", .body = body, .headers = {"Expect: 100-continue"}});
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, body);
  HttpResult chunked =
      client.Fetch({.method = "POST", .path = "/echo", .body = body, .chunked_upload = true});
  EXPECT_EQ(chunked.status, 200);
  EXPECT_EQ(chunked.body, body);
}

TEST_P(ServerTest, GzipAndDeflateBodiesAreDecoded) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  std::string payload;
  for (int i = 0; i < 2000; ++i) {
    payload += absl::StrFormat("sample %d\n", i);
  }

  HttpResult gzip = client.Fetch({.method = "POST",
                                  .path = "/echo",
                                  .body = Gzip(payload),
                                  .headers = {"Content-Encoding: gzip"}});
  EXPECT_EQ(gzip.status, 200);
  EXPECT_EQ(gzip.body, payload);
  EXPECT_THAT(gzip.Header("x-content-encoding"), Optional(std::string("none")));

  HttpResult deflate = client.Fetch({.method = "POST",
                                     .path = "/echo",
                                     .body = Gzip(payload, MAX_WBITS),
                                     .headers = {"Content-Encoding: Deflate"}});
  EXPECT_EQ(deflate.status, 200);
  EXPECT_EQ(deflate.body, payload);
}

TEST_P(ServerTest, SnappyAndUnknownEncodingsPassThrough) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  std::string raw("\xff\x06\x00\x00sNaPpY-ish bytes", 20);
  for (const char* encoding : {"snappy", "zstd"}) {
    SCOPED_TRACE(encoding);
    HttpResult result =
        client.Fetch({.method = "POST",
                      .path = "/echo",
                      .body = raw,
                      .headers = {absl::StrFormat("Content-Encoding: %s", encoding)}});
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, raw);
    EXPECT_THAT(result.Header("x-content-encoding"), Optional(std::string(encoding)));
  }
}

TEST_P(ServerTest, BadOrOversizedGzipBodies) {
  ASSERT_NO_FATAL_FAILURE(Start({.max_body_bytes = 64 << 10}));
  Client client(Port());
  std::string bomb = Gzip(std::string(1 << 20, '\0'));
  ASSERT_LT(bomb.size(), 64u << 10);
  HttpResult too_big = client.Fetch(
      {.method = "POST", .path = "/echo", .body = bomb, .headers = {"Content-Encoding: gzip"}});
  EXPECT_EQ(too_big.status, 413);
  EXPECT_THAT(too_big.body, StartsWith("request body exceeds the 65536-byte limit"));

  HttpResult corrupt = client.Fetch({.method = "POST",
                                     .path = "/echo",
                                     .body = "not gzip",
                                     .headers = {"Content-Encoding: gzip"}});
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_THAT(corrupt.body, HasSubstr("invalid gzip request body"));
}

TEST_P(ServerTest, KeepAliveReusesTheConnection) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult first = client.Get("/health");
  HttpResult second = client.Get("/api/v1/label/x/values");
  EXPECT_EQ(first.new_connections, 1);
  EXPECT_EQ(second.new_connections, 0);
  EXPECT_EQ(second.body, "x");
}

TEST_P(ServerTest, MalformedRequestGets400AndClose) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (std::string_view garbage :
       {std::string_view("GARBAGE\r\n\r\n"),
        std::string_view("GET /health HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
        std::string_view("GET /health HTTP/2.0\r\n\r\n"),
        std::string_view("GET /health HTTP/1.1\r\nBad Header\r\n\r\n")}) {
    SCOPED_TRACE(garbage);
    bool closed = false;
    std::string response = RawExchange(Port(), garbage, &closed);
    EXPECT_THAT(response, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(response, HasSubstr("malformed HTTP request"));
    EXPECT_THAT(response, HasSubstr("Connection: close"));
    EXPECT_TRUE(closed);
  }
}

TEST_P(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(Start());
  bool closed = false;
  std::string response = RawExchange(Port(),
                                     "GET /api/v1/label/first/values HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /api/v1/label/third/values HTTP/1.1\r\nHost: x\r\n"
                                     "Connection: close\r\n\r\n",
                                     &closed);
  EXPECT_TRUE(closed);
  size_t first = response.find("\r\n\r\nfirst");
  size_t second = response.find("\r\n\r\nOK");
  size_t third = response.find("\r\n\r\nthird");
  ASSERT_NE(first, std::string::npos) << response;
  ASSERT_NE(second, std::string::npos) << response;
  ASSERT_NE(third, std::string::npos) << response;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST_P(ServerTest, Http10) {
  ASSERT_NO_FATAL_FAILURE(Start());
  bool closed = false;
  std::string response = RawExchange(Port(), "GET /health HTTP/1.0\r\n\r\n", &closed);
  EXPECT_THAT(response, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(response, EndsWith("\r\n\r\nOK"));
  EXPECT_TRUE(closed);

  // A stream to an HTTP/1.0 client is delimited by the close instead of chunks.
  response = RawExchange(Port(), "GET /stream?n=2 HTTP/1.0\r\n\r\n", &closed);
  EXPECT_THAT(response, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(response, ::testing::Not(HasSubstr("chunked")));
  EXPECT_THAT(response, EndsWith("\r\n\r\nchunk0\nchunk1\n"));
  EXPECT_TRUE(closed);

  // HTTP/1.0 keep-alive when asked for.
  RawConnection connection(Port());
  ASSERT_TRUE(
      connection.Send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                      "GET /api/v1/label/again/values HTTP/1.0\r\n\r\n"));
  response = connection.ReadUntilClosed(&closed);
  EXPECT_THAT(response, HasSubstr("\r\n\r\nOK"));
  EXPECT_THAT(response, EndsWith("\r\n\r\nagain"));
  EXPECT_TRUE(closed);
}

TEST_P(ServerTest, HandlerExceptionGives500) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Get("/throw");
  EXPECT_EQ(result.status, 500);
  EXPECT_THAT(result.body, HasSubstr("boom"));
  EXPECT_EQ(client.Get("/health").new_connections, 0);  // the connection survives
}

TEST_P(ServerTest, StreamingChunkedResponse) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Get("/stream?n=50");
  EXPECT_EQ(result.code, CURLE_OK);
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(result.Header("transfer-encoding"), Optional(std::string("chunked")));
  EXPECT_THAT(result.Header("content-type"), Optional(std::string("text/plain")));
  EXPECT_EQ(result.Header("content-length"), std::nullopt);
  std::string want;
  for (int i = 0; i < 50; ++i) {
    want += absl::StrFormat("chunk%d\n", i);
  }
  EXPECT_EQ(result.body, want);
  HttpResult empty = client.Get("/stream?n=0");
  EXPECT_EQ(empty.code, CURLE_OK);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(empty.new_connections, 0);  // the stream ended cleanly and kept the connection
}

TEST_P(ServerTest, ThrowingStreamProducerTruncatesTheResponse) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Client client(Port());
  HttpResult result = client.Get("/stream-throw");
  EXPECT_NE(result.code, CURLE_OK);  // no last chunk: the client sees the truncation
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(client.Get("/health").status, 200);
}

TEST_P(ServerTest, ConcurrentClients) {
  ASSERT_NO_FATAL_FAILURE(Start({.threads = 2}));
  constexpr int kThreads = 8;
  constexpr int kRequests = 200;
  std::atomic<int> failures{0};
  std::atomic<long> connections{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client client(Port());
      for (int i = 0; i < kRequests; ++i) {
        std::string name = absl::StrFormat("t%d-r%d", t, i);
        HttpResult result = client.Get("/api/v1/label/" + name + "/values");
        if (result.code != CURLE_OK || result.status != 200 || result.body != name) {
          ++failures;
        }
        connections += result.new_connections;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(connections.load(), kThreads);  // one kept-alive connection per client
}

TEST_P(ServerTest, ObserverSeesRouteStatusAndDuration) {
  // std::mutex rather than absl::Mutex: Debian's Abseil is not TSan-instrumented (see server.cc).
  std::mutex mu;
  std::condition_variable seen_changed;
  std::vector<std::tuple<std::string, std::string, int>> seen;  // method, route, status
  ServerOptions options;
  options.observer = [&](const Request& request, int status, absl::Duration duration) {
    EXPECT_GE(duration, absl::ZeroDuration());
    std::lock_guard<std::mutex> lock(mu);
    seen.emplace_back(request.method, request.route, status);
    seen_changed.notify_all();
  };
  ASSERT_NO_FATAL_FAILURE(Start(std::move(options)));
  Client client(Port());
  client.Get("/api/v1/label/x/values");
  client.Get("/missing");
  client.Get("/stream?n=2");
  client.Fetch({.method = "PUT", .path = "/health"});
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(seen_changed.wait_for(lock, absl::ToChronoNanoseconds(kDeadline),
                                    [&] { return seen.size() >= 4; }));
  EXPECT_THAT(seen, ::testing::ElementsAre(
                        std::make_tuple("GET", "/api/v1/label/:name/values", 200),
                        std::make_tuple("GET", "", 404), std::make_tuple("GET", "/stream", 200),
                        std::make_tuple("PUT", "/health", 405)));
}

TEST_P(ServerTest, ReadAndIdleTimeouts) {
  ASSERT_NO_FATAL_FAILURE(
      Start({.idle_timeout = absl::Milliseconds(200), .read_timeout = absl::Milliseconds(200)}));
  bool closed = false;
  // An incomplete request: the connection is closed when read_timeout expires.
  EXPECT_EQ(RawExchange(Port(), "GET /health HTTP/1.1\r\nHost: x\r\n", &closed), "");
  EXPECT_TRUE(closed);
  // A slow body: likewise.
  EXPECT_EQ(RawExchange(Port(), "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345", &closed),
            "");
  EXPECT_TRUE(closed);

  RawConnection idle(Port());
  ASSERT_TRUE(idle.IsConnected());
  EXPECT_EQ(idle.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
}

TEST_P(ServerTest, StopWithIdleClientsReturnsPromptly) {
  ASSERT_NO_FATAL_FAILURE(Start({.shutdown_timeout = absl::Seconds(60)}));
  Client client(Port());
  EXPECT_EQ(client.Get("/health").status, 200);  // leaves a kept-alive connection
  RawConnection silent(Port());                  // connected, never sends a byte
  ASSERT_TRUE(silent.IsConnected());
  RawConnection answered(Port());  // in the idle wait for its second request
  ASSERT_TRUE(answered.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(answered.ReadUntil("\r\n\r\nOK"), StartsWith("HTTP/1.1 200 OK"));

  absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  bool closed = false;
  EXPECT_EQ(silent.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(answered.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_NE(client.Get("/health").code, CURLE_OK);  // nobody is listening any more
  server_->Stop();                                  // idempotent
}

TEST_P(ServerTest, StopLetsInFlightRequestsFinish) {
  ASSERT_NO_FATAL_FAILURE(Start({.shutdown_timeout = absl::Seconds(60)}));
  HttpResult result;
  std::thread client_thread([&] {
    Client client(Port());
    result = client.Get("/block");
  });
  ASSERT_TRUE(block_entered_.WaitForNotificationWithTimeout(kDeadline));
  std::atomic<bool> stop_returned{false};
  std::thread stopper([&] {
    server_->Stop();
    stop_returned = true;
  });
  ASSERT_TRUE(WaitUntilRefused(Port(), kDeadline));  // Stop() has begun
  EXPECT_FALSE(stop_returned.load());                // and waits for the handler
  block_release_.Notify();
  client_thread.join();
  stopper.join();
  EXPECT_EQ(result.code, CURLE_OK) << curl_easy_strerror(result.code);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "released=true shutting_down=true");
  EXPECT_THAT(result.Header("connection"), Optional(std::string("close")));
}

TEST_P(ServerTest, StopCutsEndlessStreamsAfterTheShutdownTimeout) {
  ASSERT_NO_FATAL_FAILURE(Start({.shutdown_timeout = absl::Milliseconds(300)}));
  HttpResult result;
  std::thread client_thread([&] {
    Client client(Port());
    result = client.Fetch({.path = "/stream-forever", .discard_body = true});
  });
  ASSERT_TRUE(stream_started_.WaitForNotificationWithTimeout(kDeadline));
  absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  client_thread.join();
  EXPECT_NE(result.code, CURLE_OK);  // truncated: no last chunk
  EXPECT_GT(result.body_bytes, 0u);
}

TEST_P(ServerTest, StreamsThatWatchShuttingDownEndCleanly) {
  ASSERT_NO_FATAL_FAILURE(Start({.shutdown_timeout = absl::Seconds(60)}));
  HttpResult result;
  std::thread client_thread([&] {
    Client client(Port());
    result = client.Fetch({.path = "/stream-forever?honour=1", .discard_body = true});
  });
  ASSERT_TRUE(stream_started_.WaitForNotificationWithTimeout(kDeadline));
  absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  client_thread.join();
  EXPECT_EQ(result.code, CURLE_OK);
  EXPECT_EQ(result.status, 200);
  EXPECT_GT(result.body_bytes, 0u);
}

TEST_P(ServerTest, BindFailureNamesTheAddress) {
  ASSERT_NO_FATAL_FAILURE(Start());
  absl::StatusOr<std::unique_ptr<Server>> second =
      Server::Start({.bind_address = "127.0.0.1", .port = Port()}, router_);
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrFormat("127.0.0.1:%d", Port())));
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
}

TEST_P(ServerTest, InvalidOptions) {
  EXPECT_THAT(Server::Start({.bind_address = "not-an-ip"}, router_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Server::Start({.bind_address = "127.0.0.1", .port = 70000}, router_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Server::Start({.bind_address = "127.0.0.1", .threads = 0}, router_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Server::Start({.bind_address = "127.0.0.1", .handler_threads = -1}, router_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ServerTest, BlockedHandlersOnThePoolDoNotHoldUpOtherConnections) {
  if (GetParam() == 0) GTEST_SKIP() << "with handlers on the io threads, one blocks its thread";
  ASSERT_NO_FATAL_FAILURE(Start({.threads = 1}));
  HttpResult blocked;
  std::thread client_thread([&] {
    Client client(Port());
    blocked = client.Get("/block");
  });
  ASSERT_TRUE(block_entered_.WaitForNotificationWithTimeout(kDeadline));
  // The only io thread is free: another connection is read, handled and answered meanwhile.
  Client other(Port());
  HttpResult health = other.Get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK");
  block_release_.Notify();
  client_thread.join();
  EXPECT_EQ(blocked.status, 200);
  EXPECT_EQ(blocked.body, "released=true shutting_down=false");
}

INSTANTIATE_TEST_SUITE_P(Handlers, ServerTest, ::testing::Values(0, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0 ? std::string("OnIoThreads")
                                                  : std::string("OnAPool");
                         });

}  // namespace
}  // namespace cardinalsin::http
