// S3ObjectStore against a scripted in-process HTTP server: request shape (signing headers, URL
// encoding, conditional headers), error mapping, retries and backoff on a FakeClock. The
// real-server behaviour is covered by s3_object_store_conformance_test.cc under the RGW harness.

#include "io/s3_object_store.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/s3_xml.h"
#include "io/sigv4.h"

namespace cardinalsin::io {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct Received {
  std::string method;
  std::string target;   // path and query as sent
  HttpHeaders headers;  // lower-case names
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

struct Reply {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  bool drop_connection = false;  // close without answering
  absl::Duration delay = absl::ZeroDuration();
};

std::string ErrorXml(std::string_view code, std::string_view message = "") {
  return base::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>", code,
                      "</Code><Message>", message, "</Message><RequestId>r1</RequestId></Error>");
}

// A minimal HTTP/1.1 server on 127.0.0.1 that answers every request with `handler`'s Reply. One
// thread per connection; keep-alive supported.
class FakeS3Server {
 public:
  using Handler = std::function<Reply(const Received&)>;

  FakeS3Server() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeS3Server() {
    stopping_ = true;
    acceptor_.join();
    {
      absl::MutexLock lock(&mu_);
      for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : workers_) t.join();
    ::close(listen_fd_);
  }

  void SetHandler(Handler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }

  std::string endpoint(std::string_view host = "127.0.0.1") const {
    return base::StrCat("http://", host, ":", port_);
  }
  int port() const { return port_; }

  std::vector<Received> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      absl::MutexLock lock(&mu_);
      connections_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Reads until `buffer` holds `n` bytes; false on EOF.
  static bool Fill(int fd, std::string& buffer, size_t n) {
    char chunk[65536];
    while (buffer.size() < n) {
      const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }

  void Serve(int fd) {
    std::string buffer;
    while (true) {
      size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!Fill(fd, buffer, buffer.size() + 1)) return Close(fd);
      }
      Received request;
      std::string_view head(buffer.data(), end);
      size_t line_end = head.find("\r\n");
      std::string_view request_line = head.substr(0, line_end);
      const size_t sp1 = request_line.find(' ');
      const size_t sp2 = request_line.rfind(' ');
      request.method = std::string(request_line.substr(0, sp1));
      request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
      size_t content_length = 0;
      while (line_end != std::string_view::npos && line_end < head.size()) {
        const size_t next = head.find("\r\n", line_end + 2);
        std::string_view line =
            head.substr(line_end + 2, next == std::string_view::npos ? std::string_view::npos
                                                                     : next - line_end - 2);
        const size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          std::string name = absl::AsciiStrToLower(base::AsAbsl(line.substr(0, colon)));
          std::string value(absl::StripAsciiWhitespace(base::AsAbsl(line.substr(colon + 1))));
          if (name == "content-length") (void)absl::SimpleAtoi(value, &content_length);
          request.headers.emplace_back(std::move(name), std::move(value));
        }
        line_end = next;
      }
      if (!Fill(fd, buffer, end + 4 + content_length)) return Close(fd);
      request.body = buffer.substr(end + 4, content_length);
      buffer.erase(0, end + 4 + content_length);

      Handler handler;
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(request);
        handler = handler_;
      }
      const Reply reply = handler ? handler(request) : Reply{.status = 500};
      if (reply.delay > absl::ZeroDuration()) absl::SleepFor(reply.delay);
      if (reply.drop_connection) return Close(fd);
      std::string response = base::StrCat("HTTP/1.1 ", reply.status, " Status\r\n");
      bool has_length = false;
      for (const auto& [name, value] : reply.headers) {
        base::StrAppend(&response, name, ": ", value, "\r\n");
        has_length = has_length || absl::AsciiStrToLower(name) == "content-length";
      }
      if (!has_length) base::StrAppend(&response, "Content-Length: ", reply.body.size(), "\r\n");
      response += "\r\n";
      if (request.method != "HEAD") response += reply.body;
      size_t sent = 0;
      while (sent < response.size()) {
        const ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return Close(fd);
        sent += static_cast<size_t>(n);
      }
    }
  }

  void Close(int fd) {
    absl::MutexLock lock(&mu_);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    connections_.erase(std::remove(connections_.begin(), connections_.end(), fd),
                       connections_.end());
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<Received> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<int> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
};

// Recomputes the signature the way a server does, from the request as received: the signed
// headers named in Authorization, the path and query decoded and canonicalised again.
std::string ExpectedAuthorization(const Received& r, std::string_view secret, absl::Time time) {
  const std::string auth = r.Header("authorization");
  const size_t sh = auth.find("SignedHeaders=");
  const size_t comma = auth.find(',', sh);
  if (sh == std::string::npos || comma == std::string::npos) return "<no SignedHeaders>";
  std::string signed_names = auth.substr(sh + 14, comma - sh - 14);
  HttpHeaders headers;
  for (size_t start = 0; start <= signed_names.size();) {
    size_t end = signed_names.find(';', start);
    if (end == std::string::npos) end = signed_names.size();
    std::string name = signed_names.substr(start, end - start);
    if (name != "x-amz-date" && name != "x-amz-content-sha256" && name != "x-amz-security-token") {
      headers.emplace_back(name, r.Header(name));
    }
    start = end + 1;
  }
  const size_t q = r.target.find('?');
  const std::string path = *UrlDecode(r.target.substr(0, q), false);
  QueryParams query;
  if (q != std::string::npos) {
    std::string qs = r.target.substr(q + 1);
    for (size_t start = 0; start < qs.size();) {
      size_t end = qs.find('&', start);
      if (end == std::string::npos) end = qs.size();
      std::string pair = qs.substr(start, end - start);
      const size_t eq = pair.find('=');
      query.emplace_back(*UrlDecode(pair.substr(0, eq), false),
                         eq == std::string::npos ? "" : *UrlDecode(pair.substr(eq + 1), false));
      start = end + 1;
    }
  }
  SigV4Output out = SignV4(
      {.method = r.method,
       .path = path,
       .query = query,
       .headers = headers,
       .payload_hash = r.Header("x-amz-content-sha256"),
       .credentials = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = std::string(secret)},
       .region = "us-east-1",
       .service = "s3",
       .time = time});
  return out.headers.back().second;
}

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  S3Config Config() {
    return {.endpoint = server_.endpoint(),
            .bucket = "bkt",
            .access_key_id = "AKIDEXAMPLE",
            .secret_access_key = "secret",
            .max_attempts = 4,
            .initial_backoff = absl::Milliseconds(100),
            .max_backoff = absl::Seconds(1),
            .connect_timeout = absl::Seconds(5),
            .request_timeout = absl::Seconds(10)};
  }
  std::unique_ptr<S3ObjectStore> Store(S3Config config) {
    absl::StatusOr<std::unique_ptr<S3ObjectStore>> store =
        S3ObjectStore::Create(std::move(config), clock_, random_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::unique_ptr<S3ObjectStore> Store() { return Store(Config()); }

  FakeS3Server server_;
  base::FakeClock clock_;
  base::SeededRandom random_{42};
};

TEST_F(S3ObjectStoreTest, CreateValidatesConfig) {
  auto create = [&](S3Config config) {
    return S3ObjectStore::Create(std::move(config), clock_, random_).status();
  };
  S3Config config = Config();
  config.bucket = "";
  EXPECT_THAT(create(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config = Config();
  config.bucket = "a/b";
  EXPECT_THAT(create(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config = Config();
  config.endpoint = "ftp://x";
  EXPECT_THAT(create(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config.endpoint = "http://host:1/path";
  EXPECT_THAT(create(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config = Config();
  config.secret_access_key = "";
  EXPECT_THAT(create(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config = Config();
  config.max_attempts = 0;
  EXPECT_THAT(create(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config = Config();
  config.endpoint = "";
  CS_ASSERT_OK_AND_ASSIGN(auto aws, S3ObjectStore::Create(config, clock_, random_));
  EXPECT_EQ(aws->Describe(), "s3://bkt");
  EXPECT_THAT(Store()->Describe(), HasSubstr("s3://bkt at http://127.0.0.1:"));
}

TEST_F(S3ObjectStoreTest, PutSendsSignedEncodedRequest) {
  server_.SetHandler([](const Received&) {
    return Reply{.headers = {{"ETag", "\"abc123\""}, {"Date", "Wed, 01 Mar 2023 10:00:00 GMT"}}};
  });
  auto store = Store();
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, store->Put("dir/a b+c%.txt", "hello"));
  EXPECT_EQ(meta.key, "dir/a b+c%.txt");
  EXPECT_EQ(meta.etag, "abc123");
  EXPECT_EQ(meta.size, 5u);
  EXPECT_EQ(meta.last_modified, absl::FromUnixSeconds(1677664800));
  std::vector<Received> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const Received& r = requests[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/bkt/dir/a%20b%2Bc%25.txt");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("x-amz-content-sha256"), Sha256Hex("hello"));
  EXPECT_EQ(r.Header("x-amz-date"), "20231114T221320Z");  // FakeClock's default start
  EXPECT_EQ(r.Header("host"), base::StrCat("127.0.0.1:", server_.port()));
  EXPECT_THAT(r.Header("authorization"),
              AllOf(HasSubstr("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/s3/"
                              "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
                    HasSubstr("Signature=")));
  EXPECT_EQ(r.Header("expect"), "");
  EXPECT_EQ(r.Header("if-none-match"), "");
  EXPECT_EQ(r.Header("if-match"), "");
}

TEST_F(S3ObjectStoreTest, SignaturesVerifyForEveryKindOfRequest) {
  server_.SetHandler([](const Received& r) {
    if (r.method == "GET" && r.target.find("list-type=2") != std::string::npos) {
      return Reply{.body = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"};
    }
    if (r.method == "POST" && r.target.find("uploads=") != std::string::npos) {
      return Reply{.body =
                       "<InitiateMultipartUploadResult><UploadId>id+/=1</UploadId>"
                       "</InitiateMultipartUploadResult>"};
    }
    if (r.method == "POST") {
      return Reply{.body =
                       "<CompleteMultipartUploadResult><ETag>\"e-1\"</ETag>"
                       "</CompleteMultipartUploadResult>"};
    }
    if (r.method == "HEAD") return Reply{.headers = {{"ETag", "\"e\""}, {"Content-Length", "3"}}};
    if (r.method == "DELETE") return Reply{.status = 204};
    return Reply{.headers = {{"ETag", "\"e\""}}, .body = "abc"};
  });
  auto store = Store();
  CS_ASSERT_OK(store->Put("k/ü ~*", "data", {.mode = PutMode::kCreateIfAbsent}));
  CS_ASSERT_OK(store->Put("k", "data", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = "e"}));
  CS_ASSERT_OK(store->Get("k"));
  CS_ASSERT_OK(store->GetRange("k", 1, 2));
  CS_ASSERT_OK(store->Head("k"));
  CS_ASSERT_OK(store->Delete("k"));
  CS_ASSERT_OK(store->List({.prefix = "d/ x",
                            .delimiter = "/",
                            .continuation_token = "t+/=",
                            .start_after = "d/a",
                            .max_keys = 7}));
  CS_ASSERT_OK_AND_ASSIGN(auto upload, store->StartMultipartUpload("m p"));
  CS_ASSERT_OK(upload->UploadPart(1, "part"));
  CS_ASSERT_OK(upload->Complete());
  std::vector<Received> requests = server_.requests();
  ASSERT_EQ(requests.size(), 10u);
  for (const Received& r : requests) {
    EXPECT_EQ(r.Header("authorization"), ExpectedAuthorization(r, "secret", clock_.Now()))
        << r.method << " " << r.target;
    EXPECT_EQ(r.Header("x-amz-content-sha256"), Sha256Hex(r.body)) << r.target;
  }
  EXPECT_EQ(requests[0].target, "/bkt/k/%C3%BC%20~%2A");
  EXPECT_EQ(requests[0].Header("if-none-match"), "*");
  EXPECT_EQ(requests[1].Header("if-match"), "\"e\"");
  EXPECT_EQ(requests[3].Header("range"), "bytes=1-2");
  EXPECT_EQ(requests[6].target,
            "/bkt?continuation-token=t%2B%2F%3D&delimiter=%2F&encoding-type=url&list-type=2&"
            "max-keys=7&prefix=d%2F%20x&start-after=d%2Fa");
  EXPECT_EQ(requests[7].target, "/bkt/m%20p?uploads=");
  EXPECT_EQ(requests[8].target, "/bkt/m%20p?partNumber=1&uploadId=id%2B%2F%3D1");
  EXPECT_EQ(requests[9].target, "/bkt/m%20p?uploadId=id%2B%2F%3D1");
  EXPECT_THAT(requests[9].body, HasSubstr("<PartNumber>1</PartNumber><ETag>&quot;e&quot;</ETag>"));
}

TEST_F(S3ObjectStoreTest, SessionTokenIsSent) {
  server_.SetHandler([](const Received&) { return Reply{.body = "x"}; });
  S3Config config = Config();
  config.session_token = "session/token";
  auto store = Store(config);
  CS_ASSERT_OK(store->Get("k"));
  const Received r = server_.requests().at(0);
  EXPECT_EQ(r.Header("x-amz-security-token"), "session/token");
  EXPECT_THAT(r.Header("authorization"), HasSubstr(";x-amz-security-token,"));
}

TEST_F(S3ObjectStoreTest, UnquotedIfMatchForRgw) {
  server_.SetHandler([](const Received&) { return Reply{.headers = {{"ETag", "\"n\""}}}; });
  S3Config config = Config();
  config.quote_etag_in_if_match = false;
  auto store = Store(config);
  CS_ASSERT_OK(store->Put("k", "v", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = "e"}));
  EXPECT_EQ(server_.requests().at(0).Header("if-match"), "e");
}

TEST_F(S3ObjectStoreTest, VirtualHostStyle) {
  server_.SetHandler([](const Received&) { return Reply{.body = "x"}; });
  S3Config config = Config();
  config.endpoint = server_.endpoint("localhost");  // curl resolves *.localhost to loopback
  config.path_style = false;
  auto store = Store(config);
  EXPECT_THAT(store->Get("a/b c"), IsOkAndHolds("x"));
  const Received r = server_.requests().at(0);
  EXPECT_EQ(r.target, "/a/b%20c");
  EXPECT_EQ(r.Header("host"), base::StrCat("bkt.localhost:", server_.port()));
  EXPECT_EQ(r.Header("authorization"), ExpectedAuthorization(r, "secret", clock_.Now()));
}

TEST_F(S3ObjectStoreTest, InvalidArgumentsAreRejectedLocally) {
  auto store = Store();
  EXPECT_THAT(store->Get("/abs"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->GetRange("k", 0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put("k", "v", {.mode = PutMode::kUpdateIfMatch}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put("k", "v", {.if_match_etag = "e"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->List({.max_keys = 0}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->List({.max_keys = 1001}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(S3ObjectStoreTest, ErrorMapping) {
  struct Case {
    int status;
    std::string code;
    absl::StatusCode expected;
  };
  const std::vector<Case> cases = {
      {403, "AccessDenied", absl::StatusCode::kPermissionDenied},
      {403, "SignatureDoesNotMatch", absl::StatusCode::kPermissionDenied},
      {403, "QuotaExceeded", absl::StatusCode::kResourceExhausted},
      {404, "NoSuchKey", absl::StatusCode::kNotFound},
      {404, "NoSuchBucket", absl::StatusCode::kNotFound},
      {400, "InvalidRequest", absl::StatusCode::kInvalidArgument},
      {405, "MethodNotAllowed", absl::StatusCode::kInvalidArgument},
      {507, "InsufficientCapacity", absl::StatusCode::kResourceExhausted},
      {501, "NotImplemented", absl::StatusCode::kInternal},
  };
  auto store = Store();
  for (const Case& c : cases) {
    server_.SetHandler([&](const Received&) {
      return Reply{.status = c.status, .body = ErrorXml(c.code, "the message")};
    });
    const size_t before = server_.requests().size();
    absl::StatusOr<std::string> got = store->Get("some/key");
    EXPECT_THAT(got, StatusIs(c.expected)) << c.code;
    EXPECT_THAT(std::string(got.status().message()),
                AllOf(HasSubstr("S3 Get s3://bkt/some/key: HTTP"), HasSubstr(c.code),
                      HasSubstr("the message")));
    EXPECT_EQ(server_.requests().size(), before + 1) << c.code << " must not be retried";
  }
  server_.SetHandler(
      [](const Received&) { return Reply{.status = 404, .body = ErrorXml("NoSuchBucket")}; });
  EXPECT_THAT(std::string(store->Get("k").status().message()), HasSubstr("bucket 'bkt'"));
  EXPECT_THAT(store->Delete("k"), StatusIs(absl::StatusCode::kNotFound));
  server_.SetHandler([](const Received&) { return Reply{.status = 404}; });  // HEAD: no body
  EXPECT_THAT(store->Head("k"), StatusIs(absl::StatusCode::kNotFound));
  CS_EXPECT_OK(store->Delete("k"));
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration());
}

TEST_F(S3ObjectStoreTest, RetriesTransientFailuresWithBackoff) {
  std::atomic<int> calls{0};
  server_.SetHandler([&](const Received&) {
    switch (calls++) {
      case 0:
        return Reply{.status = 503, .body = ErrorXml("SlowDown", "Please reduce")};
      case 1:
        return Reply{.status = 500, .body = ErrorXml("InternalError")};
      case 2:
        return Reply{.drop_connection = true};
      default:
        return Reply{.body = "value"};
    }
  });
  auto store = Store();
  EXPECT_THAT(store->Get("k"), IsOkAndHolds("value"));
  EXPECT_EQ(calls.load(), 4);
  // Full jitter: each sleep is at most min(1 s, 100 ms * 2^(n-1)).
  EXPECT_GT(clock_.total_slept(), absl::ZeroDuration());
  EXPECT_LE(clock_.total_slept(), absl::Milliseconds(100 + 200 + 400));
}

TEST_F(S3ObjectStoreTest, RetryableStatusesAndCodes) {
  for (int status : {429, 500, 502, 503, 504}) {
    std::atomic<int> calls{0};
    server_.SetHandler([&](const Received&) {
      return calls++ == 0 ? Reply{.status = status} : Reply{.body = "ok"};
    });
    EXPECT_THAT(Store()->Get("k"), IsOkAndHolds("ok")) << status;
    EXPECT_EQ(calls.load(), 2) << status;
  }
  for (std::string code : {"ConditionalRequestConflict", "OperationAborted"}) {
    std::atomic<int> calls{0};
    server_.SetHandler([&](const Received&) {
      return calls++ == 0 ? Reply{.status = 409, .body = ErrorXml(code)}
                          : Reply{.headers = {{"ETag", "\"e\""}}};
    });
    CS_EXPECT_OK(Store()->Put("k", "v", {.mode = PutMode::kCreateIfAbsent})) << code;
    EXPECT_EQ(calls.load(), 2) << code;
  }
  {
    std::atomic<int> calls{0};
    server_.SetHandler([&](const Received&) {
      return calls++ == 0 ? Reply{.status = 400, .body = ErrorXml("RequestTimeout")}
                          : Reply{.body = "ok"};
    });
    EXPECT_THAT(Store()->Get("k"), IsOkAndHolds("ok"));
  }
  {
    std::atomic<int> calls{0};
    server_.SetHandler([&](const Received&) {
      ++calls;
      return Reply{.status = 409, .body = ErrorXml("BucketNotEmpty")};
    });
    EXPECT_THAT(Store()->Get("k"), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(calls.load(), 1);
  }
}

TEST_F(S3ObjectStoreTest, GivesUpAfterMaxAttempts) {
  std::atomic<int> calls{0};
  server_.SetHandler([&](const Received&) {
    ++calls;
    return Reply{.status = 503, .body = ErrorXml("SlowDown", "Please reduce your request rate.")};
  });
  absl::StatusOr<std::string> got = Store()->Get("k");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(
      std::string(got.status().message()),
      AllOf(HasSubstr("S3 Get s3://bkt/k"), HasSubstr("SlowDown"), HasSubstr("after 4 attempts")));
  EXPECT_EQ(calls.load(), 4);
}

TEST_F(S3ObjectStoreTest, ConnectionRefusedIsUnavailable) {
  S3Config config = Config();
  {
    FakeS3Server closed;
    config.endpoint = closed.endpoint();
  }  // Its port is closed now.
  absl::StatusOr<std::string> got = Store(config)->Get("k");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("after 4 attempts"));
}

TEST_F(S3ObjectStoreTest, TimeoutIsDeadlineExceeded) {
  server_.SetHandler(
      [](const Received&) { return Reply{.body = "late", .delay = absl::Milliseconds(600)}; });
  S3Config config = Config();
  config.request_timeout = absl::Milliseconds(150);
  config.max_attempts = 2;
  absl::StatusOr<std::string> got = Store(config)->Get("k");
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(S3ObjectStoreTest, ConditionalPutLosses) {
  auto store = Store();
  server_.SetHandler(
      [](const Received&) { return Reply{.status = 412, .body = ErrorXml("PreconditionFailed")}; });
  absl::StatusOr<ObjectMeta> got =
      store->Put("log/7.json", "x", {.mode = PutMode::kCreateIfAbsent});
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(got.status().message()),
              AllOf(HasSubstr("s3://bkt/log/7.json"), HasSubstr("create-if-absent")));
  got = store->Put("lease", "x", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = "old"});
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(got.status().message()),
              AllOf(HasSubstr("s3://bkt/lease"), HasSubstr("update-if-match"), HasSubstr("old")));
  // AWS answers If-Match on a missing key with 404 NoSuchKey.
  server_.SetHandler(
      [](const Received&) { return Reply{.status = 404, .body = ErrorXml("NoSuchKey")}; });
  EXPECT_THAT(store->Put("lease", "x", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = "e"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  server_.SetHandler(
      [](const Received&) { return Reply{.status = 404, .body = ErrorXml("NoSuchBucket")}; });
  EXPECT_THAT(store->Put("lease", "x", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = "e"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(server_.requests().size(), 4u);  // no HEADs: nothing was ambiguous
}

TEST_F(S3ObjectStoreTest, AmbiguousConditionalPutThatLandedSucceeds) {
  // The first PUT is applied but its response is lost; the retry then fails its own
  // precondition. The store must notice that the object holds exactly its bytes.
  const std::string data = "catalog entry 7";
  const std::string md5 = "e985f2a3d0f50a88c7a95f8bb9cd841d";  // MD5 of `data`
  for (const std::string& stored_etag : {md5, std::string("someone-elses-etag")}) {
    std::atomic<int> puts{0};
    server_.SetHandler([&](const Received& r) {
      if (r.method == "PUT") {
        return puts++ == 0 ? Reply{.drop_connection = true}
                           : Reply{.status = 412, .body = ErrorXml("PreconditionFailed")};
      }
      return Reply{.headers = {{"ETag", "\"" + stored_etag + "\""},
                               {"Content-Length", std::to_string(data.size())}}};
    });
    absl::StatusOr<ObjectMeta> got =
        Store()->Put("log/7.json", data, {.mode = PutMode::kCreateIfAbsent});
    if (stored_etag == md5) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->etag, md5);
      EXPECT_EQ(got->size, data.size());
    } else {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition));
    }
    EXPECT_EQ(server_.requests().back().method, "HEAD");
  }
}

TEST_F(S3ObjectStoreTest, GetRangeEdges) {
  auto store = Store();
  server_.SetHandler([](const Received& r) {
    if (r.method == "HEAD") return Reply{.headers = {{"Content-Length", "10"}}};
    return Reply{.status = 416, .body = ErrorXml("InvalidRange")};
  });
  EXPECT_THAT(store->GetRange("k", 10, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  server_.SetHandler([](const Received& r) {
    if (r.method == "HEAD") return Reply{.headers = {{"Content-Length", "0"}}};
    return Reply{.status = 416, .body = ErrorXml("InvalidRange")};
  });
  EXPECT_THAT(store->GetRange("k", 0, 5), IsOkAndHolds(""));  // empty object: not an error
  server_.SetHandler([](const Received&) { return Reply{.status = 206, .body = "cd"}; });
  EXPECT_THAT(store->GetRange("k", 2, 2), IsOkAndHolds("cd"));
  EXPECT_EQ(server_.requests().back().Header("range"), "bytes=2-3");
  // Huge lengths are clamped instead of overflowing.
  EXPECT_THAT(store->GetRange("k", 2, ~uint64_t{0}), IsOkAndHolds("cd"));
  EXPECT_EQ(server_.requests().back().Header("range"), "bytes=2-9223372036854775807");
  server_.SetHandler([](const Received&) { return Reply{.status = 206, .body = "too long"}; });
  EXPECT_THAT(store->GetRange("k", 2, 2), StatusIs(absl::StatusCode::kDataLoss));
  // A server that ignores Range sends the whole object with 200.
  server_.SetHandler([](const Received&) { return Reply{.body = "abcdef"}; });
  EXPECT_THAT(store->GetRange("k", 2, 3), IsOkAndHolds("cde"));
  EXPECT_THAT(store->GetRange("k", 6, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  server_.SetHandler(
      [](const Received&) { return Reply{.status = 404, .body = ErrorXml("NoSuchKey")}; });
  EXPECT_THAT(store->GetRange("k", 0, 1), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(S3ObjectStoreTest, HeadParsesMetadata) {
  server_.SetHandler([](const Received&) {
    return Reply{.headers = {{"ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""},
                             {"Content-Length", "12345"},
                             {"Last-Modified", "Wed, 12 Oct 2009 17:50:00 GMT"}}};
  });
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, Store()->Head("a/b"));
  EXPECT_EQ(meta.key, "a/b");
  EXPECT_EQ(meta.size, 12345u);
  EXPECT_EQ(meta.etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(meta.last_modified, absl::FromUnixSeconds(1255369800));
}

TEST_F(S3ObjectStoreTest, ListDecodesUrlEncodedKeys) {
  server_.SetHandler([](const Received&) {
    return Reply{.body =
                     "<ListBucketResult><EncodingType>url</EncodingType>"
                     "<IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</"
                     "NextContinuationToken><Contents><Key>d%2Fa+b</Key><Size>3</Size>"
                     "<ETag>&quot;e&quot;</ETag><LastModified>2023-01-02T03:04:05.000Z</"
                     "LastModified></Contents><CommonPrefixes><Prefix>d%2Fsub%2F</Prefix>"
                     "</CommonPrefixes></ListBucketResult>"};
  });
  CS_ASSERT_OK_AND_ASSIGN(ListPage page, Store()->List({.prefix = "d/", .delimiter = "/"}));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "d/a b");
  EXPECT_EQ(page.objects[0].etag, "e");
  EXPECT_THAT(page.common_prefixes, ::testing::ElementsAre("d/sub/"));
  EXPECT_EQ(page.next_continuation_token, "tok+/=");
  server_.SetHandler([](const Received&) { return Reply{.body = "<html>proxy error</html>"}; });
  absl::StatusOr<ListPage> bad = Store()->List({});
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("proxy error"));
}

TEST_F(S3ObjectStoreTest, CompleteWithErrorBodyIsRetriedOrMapped) {
  std::atomic<int> completes{0};
  std::atomic<bool> retryable_error{true};
  server_.SetHandler([&](const Received& r) {
    if (r.target.find("uploads=") != std::string::npos) {
      return Reply{.body =
                       "<InitiateMultipartUploadResult><UploadId>u</UploadId>"
                       "</InitiateMultipartUploadResult>"};
    }
    if (r.method == "PUT") return Reply{.headers = {{"ETag", "\"p1\""}}};
    if (r.method == "DELETE") return Reply{.status = 404, .body = ErrorXml("NoSuchUpload")};
    if (completes++ == 0) {
      return Reply{.body = ErrorXml(retryable_error ? "InternalError" : "InvalidPart", "oops")};
    }
    return Reply{.body =
                     "<CompleteMultipartUploadResult><ETag>\"final-1\"</ETag>"
                     "</CompleteMultipartUploadResult>"};
  });
  auto store = Store();
  CS_ASSERT_OK_AND_ASSIGN(auto upload, store->StartMultipartUpload("big"));
  CS_ASSERT_OK(upload->UploadPart(1, "12345"));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, upload->Complete());
  EXPECT_EQ(meta.etag, "final-1");
  EXPECT_EQ(meta.size, 5u);
  EXPECT_EQ(completes.load(), 2);
  EXPECT_THAT(upload->Complete(), StatusIs(absl::StatusCode::kFailedPrecondition));
  CS_EXPECT_OK(upload->Abort());  // after completion: nothing to do, no request
  EXPECT_NE(server_.requests().back().method, "DELETE");

  completes = 0;
  retryable_error = false;
  CS_ASSERT_OK_AND_ASSIGN(auto second, store->StartMultipartUpload("big2"));
  CS_ASSERT_OK(second->UploadPart(1, "12345"));
  EXPECT_THAT(second->Complete(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(completes.load(), 1);
  CS_EXPECT_OK(second->Abort());  // 404 NoSuchUpload: already gone is fine
  EXPECT_EQ(server_.requests().back().method, "DELETE");
}

TEST_F(S3ObjectStoreTest, CompleteWithoutEtagFallsBackToHead) {
  server_.SetHandler([&](const Received& r) {
    if (r.target.find("uploads=") != std::string::npos) {
      return Reply{.body =
                       "<InitiateMultipartUploadResult><UploadId>u</UploadId>"
                       "</InitiateMultipartUploadResult>"};
    }
    if (r.method == "PUT") return Reply{.headers = {{"ETag", "\"p1\""}}};
    if (r.method == "HEAD") {
      return Reply{.headers = {{"ETag", "\"from-head-1\""}, {"Content-Length", "5"}}};
    }
    return Reply{.body =
                     "<CompleteMultipartUploadResult><ETag></ETag>"
                     "</CompleteMultipartUploadResult>"};
  });
  auto store = Store();
  CS_ASSERT_OK_AND_ASSIGN(auto upload, store->StartMultipartUpload("big"));
  CS_ASSERT_OK(upload->UploadPart(1, "12345"));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, upload->Complete());
  EXPECT_EQ(meta.etag, "from-head-1");
}

TEST_F(S3ObjectStoreTest, DestroyingAnUnfinishedUploadAborts) {
  server_.SetHandler([&](const Received& r) {
    if (r.target.find("uploads=") != std::string::npos) {
      return Reply{.body =
                       "<InitiateMultipartUploadResult><UploadId>u</UploadId>"
                       "</InitiateMultipartUploadResult>"};
    }
    if (r.method == "DELETE") return Reply{.status = 204};
    return Reply{.headers = {{"ETag", "\"p1\""}}};
  });
  auto store = Store();
  {
    CS_ASSERT_OK_AND_ASSIGN(auto upload, store->StartMultipartUpload("big"));
    CS_ASSERT_OK(upload->UploadPart(1, "x"));
  }
  EXPECT_EQ(server_.requests().back().method, "DELETE");
  EXPECT_EQ(server_.requests().back().target, "/bkt/big?uploadId=u");
}

TEST_F(S3ObjectStoreTest, ConcurrentRequestsShareThePool) {
  server_.SetHandler([](const Received& r) { return Reply{.body = r.target}; });
  auto store = Store();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string key = base::StrCat("t", t, "/", i);
        if (store->Get(key).value_or("") == "/bkt/" + key) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

}  // namespace
}  // namespace cardinalsin::io
