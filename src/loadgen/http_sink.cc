#include "loadgen/http_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "codec/compression.h"
#include "line_protocol/encoder.h"
#include "otlp/otlp.h"
#include "remote_write/encoder.h"

namespace cardinalsin::loadgen {
namespace {

constexpr size_t kBodyExcerptBytes = 200;
constexpr std::string_view kServiceName = "cardinalsin-generate";

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

class HttpSink final : public BatchSink {
 public:
  HttpSink(Protocol protocol, std::unique_ptr<CURL, CurlDeleter> curl,
           std::unique_ptr<curl_slist, SlistDeleter> headers, std::string url)
      : protocol_(protocol),
        curl_(std::move(curl)),
        headers_(std::move(headers)),
        url_(std::move(url)) {}

  absl::StatusOr<uint64_t> Send(const model::SampleBatch& batch) override {
    CS_RETURN_IF_ERROR(EncodeBody(protocol_, batch, &body_));
    response_.clear();
    CURL* curl = curl_.get();
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body_.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    error_[0] = '\0';
    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
      const std::string reason =
          error_[0] != '\0' ? std::string(error_) : std::string(curl_easy_strerror(code));
      const std::string message = base::StrCat("HTTP request failed: ", reason);
      return code == CURLE_OPERATION_TIMEDOUT ? absl::DeadlineExceededError(message)
                                              : absl::UnavailableError(message);
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
      return absl::UnavailableError(
          absl::StrFormat("HTTP error: %d - %s", status, BodyExcerpt(response_)));
    }
    return body_.size();
  }

  // Configures the options that stay the same for every request.
  void Configure(absl::Duration timeout) {
    CURL* curl = curl_.get();
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cardinalsin-generate");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(timeout)));
    curl_easy_setopt(
        curl, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(std::min(timeout, absl::Seconds(10)))));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpSink::KeepPrefix);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_);
  }

 private:
  // Keeps only the start of a response body (for error messages), so an endless or huge
  // response costs no memory; the rest is read and dropped so the connection stays reusable.
  static size_t KeepPrefix(char* data, size_t size, size_t count, void* userdata) {
    auto* response = static_cast<std::string*>(userdata);
    const size_t bytes = size * count;
    if (response->size() < kBodyExcerptBytes) {
      response->append(data, std::min(bytes, kBodyExcerptBytes - response->size()));
    }
    return bytes;
  }

  const Protocol protocol_;
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  const std::string url_;
  std::string body_;      // reused across requests
  std::string response_;  // the first kBodyExcerptBytes of the last response body
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

HttpRoute RouteFor(Protocol protocol, std::string_view tenant) {
  HttpRoute route;
  switch (protocol) {
    case Protocol::kRemoteWrite:
      route.path = "/api/v1/write";
      route.headers = {"Content-Type: application/x-protobuf", "Content-Encoding: snappy",
                       "X-Prometheus-Remote-Write-Version: 0.1.0"};
      break;
    case Protocol::kRemoteWriteV2:
      route.path = "/api/v1/write";
      route.headers = {"Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request",
                       "Content-Encoding: snappy", "X-Prometheus-Remote-Write-Version: 2.0.0"};
      break;
    case Protocol::kOtlp:
      route.path = "/v1/metrics";
      route.headers = {"Content-Type: application/x-protobuf"};
      break;
    case Protocol::kInflux:
      route.path = "/api/v2/write?precision=ns";
      route.headers = {"Content-Type: text/plain; charset=utf-8"};
      break;
  }
  if (!tenant.empty()) route.headers.push_back(base::StrCat("X-Scope-OrgID: ", tenant));
  return route;
}

absl::Status EncodeBody(Protocol protocol, const model::SampleBatch& batch, std::string* body) {
  body->clear();
  switch (protocol) {
    case Protocol::kRemoteWrite:
      return codec::Compress(codec::Compression::kSnappy, remote_write::EncodeV1(batch), body);
    case Protocol::kRemoteWriteV2:
      return codec::Compress(codec::Compression::kSnappy, remote_write::EncodeV2(batch), body);
    case Protocol::kOtlp:
      *body = otlp::EncodeGaugeRequest(batch, kServiceName);
      return absl::OkStatus();
    case Protocol::kInflux:
      *body = line_protocol::Encode(batch);
      return absl::OkStatus();
  }
  return absl::InternalError("unknown protocol");  // Unreachable: every protocol is handled.
}

std::string BodyExcerpt(std::string_view body, size_t max_bytes) {
  std::string out(body.substr(0, max_bytes));
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return out;
}

SinkFactory MakeHttpSinkFactory(const GeneratorOptions& options) {
  std::string endpoint = options.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  HttpRoute route = RouteFor(options.protocol, options.tenant);
  // An empty "Expect:" stops curl from waiting for "100 Continue" before larger bodies.
  route.headers.push_back("Expect:");
  return [protocol = options.protocol, url = endpoint + route.path, headers = route.headers,
          timeout = options.timeout]() -> absl::StatusOr<std::unique_ptr<BatchSink>> {
    InitCurlOnce();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> list;
    for (const std::string& line : headers) {
      // curl_slist_append returns the list's head, or nullptr (leaving the list intact).
      curl_slist* head = curl_slist_append(list.get(), line.c_str());
      if (head == nullptr) return absl::InternalError("curl_slist_append failed");
      if (list == nullptr) list.reset(head);
    }
    auto sink = std::make_unique<HttpSink>(protocol, std::move(curl), std::move(list), url);
    sink->Configure(timeout);
    return sink;
  };
}

}  // namespace cardinalsin::loadgen
