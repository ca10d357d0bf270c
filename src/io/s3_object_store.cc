#include "io/s3_object_store.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "io/s3_xml.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::io {
namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr size_t kMaxIdleHandles = 64;
constexpr int kMaxPartNumber = 10000;

std::once_flag curl_init_once;

void EnsureCurlGlobalInit() {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr) != 1) return "";
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string_view FindHeader(const HttpHeaders& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

// Parses an HTTP date (Last-Modified, Date); InfinitePast if absent or unparseable.
absl::Time ParseHttpDate(std::string_view value) {
  if (value.empty()) return absl::InfinitePast();
  const time_t t = curl_getdate(std::string(value).c_str(), nullptr);
  return t < 0 ? absl::InfinitePast() : absl::FromTimeT(t);
}

// S3 error codes that mean "try again" whatever HTTP status carries them.
bool IsRetryableErrorCode(std::string_view code) {
  return code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "RequestTimeout" || code == "ConditionalRequestConflict" ||
         code == "OperationAborted";
}

// The <Error> document in a response body, if it has one.
S3ErrorDocument ErrorDocumentOf(std::string_view body) {
  if (body.empty()) return {};
  absl::StatusOr<S3ErrorDocument> doc = ParseS3Error(body);
  return doc.ok() ? *std::move(doc) : S3ErrorDocument{};
}

// Reads the request body for curl, from a string_view; rewindable for curl's own resends.
struct BodyReader {
  std::string_view data;
  size_t pos = 0;

  static size_t Read(char* buffer, size_t size, size_t nitems, void* userdata) {
    auto* self = static_cast<BodyReader*>(userdata);
    const size_t n = std::min(size * nitems, self->data.size() - self->pos);
    std::memcpy(buffer, self->data.data() + self->pos, n);
    self->pos += n;
    return n;
  }

  static int Seek(void* userdata, curl_off_t offset, int origin) {
    auto* self = static_cast<BodyReader*>(userdata);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > self->data.size()) {
      return CURL_SEEKFUNC_CANTSEEK;
    }
    self->pos = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }
};

size_t AppendBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

size_t AppendHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* headers = static_cast<HttpHeaders*>(userdata);
  const std::string_view line(buffer, size * nitems);
  if (line.substr(0, 5) == "HTTP/") {
    headers->clear();  // A new response (after 100 Continue): keep only the final one's headers.
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    headers->emplace_back(
        absl::AsciiStrToLower(base::AsAbsl(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(base::AsAbsl(line.substr(colon + 1)))));
  }
  return size * nitems;
}

// The start of a response body for error messages.
std::string BodySnippet(std::string_view body) {
  constexpr size_t kMax = 300;
  return body.size() <= kMax ? std::string(body) : base::StrCat(body.substr(0, kMax), "...");
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

struct S3ObjectStore::Request {
  std::string_view op = {};  // "Get", "Put", ... for messages
  std::string_view method = {};
  std::string_view key = {};  // unencoded object key; empty for bucket-level requests
  QueryParams query = {};
  HttpHeaders headers = {};  // sent and signed
  std::string_view body = {};
  bool has_body = false;  // PUT / POST: send `body` (possibly empty) with Content-Length
  // CompleteMultipartUpload: a 200 whose body is an <Error> is an error.
  bool error_body_on_success = false;
};

struct S3ObjectStore::Response {
  long status = 0;
  HttpHeaders headers;  // lower-case names
  std::string body;

  std::string_view Header(std::string_view lower_name) const {
    return FindHeader(headers, lower_name);
  }
};

struct S3ObjectStore::Attempted {
  Response response;
  int attempts = 0;
  // An earlier attempt failed in a way that may have left it applied on the server (timeout,
  // dropped connection, 5xx), so a precondition failure now may be our own earlier write.
  bool ambiguous = false;
};

class S3ObjectStore::HandlePool {
 public:
  ~HandlePool() {
    absl::MutexLock lock(&mu_);
    for (CURL* handle : free_) curl_easy_cleanup(handle);
  }

  // Returns a handle (a fresh one when none is idle) or nullptr if curl cannot allocate one.
  CURL* Acquire() {
    {
      absl::MutexLock lock(&mu_);
      if (!free_.empty()) {
        CURL* handle = free_.back();
        free_.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  // Returns `handle` to the pool; its keep-alive connections stay open for the next request.
  void Release(CURL* handle) {
    {
      absl::MutexLock lock(&mu_);
      if (free_.size() < kMaxIdleHandles) {
        free_.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

 private:
  absl::Mutex mu_;
  std::vector<CURL*> free_ ABSL_GUARDED_BY(mu_);
};

namespace {

// Maps an HTTP status and S3 error code to the object_store.h error contract.
absl::StatusCode CodeFor(long status, std::string_view s3_code) {
  if (s3_code == "QuotaExceeded" || s3_code == "InsufficientCapacity" || status == 507) {
    return absl::StatusCode::kResourceExhausted;
  }
  if (IsRetryableErrorCode(s3_code)) return absl::StatusCode::kUnavailable;
  switch (status) {
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  if (status >= 400 && status < 500) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

}  // namespace

class S3MultipartUpload final : public MultipartUpload {
 public:
  S3MultipartUpload(S3ObjectStore* store, std::string key, std::string upload_id)
      : store_(store), key_(std::move(key)), upload_id_(std::move(upload_id)) {}

  ~S3MultipartUpload() override {
    bool finished;
    {
      absl::MutexLock lock(&mu_);
      finished = finished_;
    }
    if (!finished) (void)Abort();  // Best effort: unfinished parts otherwise linger and cost.
  }

  absl::Status UploadPart(int part_number, std::string_view data) override {
    if (part_number < 1 || part_number > kMaxPartNumber) {
      return absl::InvalidArgumentError(base::StrCat(store_->Context("UploadPart", key_),
                                                     "part number ", part_number, " is outside 1..",
                                                     kMaxPartNumber));
    }
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return Finished("UploadPart");
    }
    const std::string number = std::to_string(part_number);
    S3ObjectStore::Request request{.op = "UploadPart",
                                   .method = "PUT",
                                   .key = key_,
                                   .query = {{"partNumber", number}, {"uploadId", upload_id_}},
                                   .body = data,
                                   .has_body = true};
    CS_ASSIGN_OR_RETURN(S3ObjectStore::Attempted result, store_->Send(request));
    if (result.response.status != 200) {
      return store_->ErrorFor("UploadPart", key_, result);
    }
    std::string etag(StripEtagQuotes(result.response.Header("etag")));
    if (etag.empty()) {
      return absl::InternalError(base::StrCat(store_->Context("UploadPart", key_), "part ",
                                              part_number, ": response has no ETag"));
    }
    absl::MutexLock lock(&mu_);
    parts_[part_number] = Part{std::move(etag), data.size()};
    return absl::OkStatus();
  }

  absl::StatusOr<ObjectMeta> Complete() override {
    std::vector<std::pair<int, std::string>> parts;
    uint64_t total_size = 0;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return Finished("Complete");
      for (const auto& [number, part] : parts_) {
        parts.emplace_back(number, part.etag);
        total_size += part.size;
      }
    }
    if (parts.empty()) {
      return absl::InvalidArgumentError(
          base::StrCat(store_->Context("Complete", key_), "no parts were uploaded"));
    }
    const std::string body = BuildCompleteMultipartUpload(parts);
    S3ObjectStore::Request request{.op = "Complete",
                                   .method = "POST",
                                   .key = key_,
                                   .query = {{"uploadId", upload_id_}},
                                   .headers = {{"Content-Type", "application/xml"}},
                                   .body = body,
                                   .has_body = true,
                                   .error_body_on_success = true};
    CS_ASSIGN_OR_RETURN(S3ObjectStore::Attempted result, store_->Send(request));
    const S3ObjectStore::Response& response = result.response;
    if (response.status == 200 && ErrorDocumentOf(response.body).code.empty()) {
      absl::StatusOr<std::string> etag = ParseCompleteMultipartUploadResult(response.body);
      if (!etag.ok()) {
        return absl::InternalError(base::StrCat(store_->Context("Complete", key_),
                                                "unparseable response: ", etag.status().message(),
                                                " in ", BodySnippet(response.body)));
      }
      MarkFinished();
      ObjectMeta meta{.key = key_,
                      .size = total_size,
                      .etag = *std::move(etag),
                      .last_modified = store_->ResponseTime(response)};
      if (meta.etag.empty()) meta.etag = std::string(StripEtagQuotes(response.Header("etag")));
      if (meta.etag.empty()) {
        // Ceph RGW 16 answers <ETag></ETag>; ask for the object's metadata instead.
        CS_ASSIGN_OR_RETURN(ObjectMeta head, store_->Head(key_));
        meta.etag = std::move(head.etag);
        meta.last_modified = head.last_modified;
      }
      return meta;
    }
    if (result.ambiguous && response.status == 404) {
      // An earlier attempt may have completed the upload (hence NoSuchUpload now): if an object of
      // exactly our size and part count is in place, it is ours.
      absl::StatusOr<ObjectMeta> head = store_->Head(key_);
      if (head.ok() && head->size == total_size &&
          head->etag.ends_with(base::StrCat("-", parts.size()))) {
        MarkFinished();
        return head;
      }
    }
    return store_->ErrorFor("Complete", key_, result);
  }

  absl::Status Abort() override {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return absl::OkStatus();
    }
    S3ObjectStore::Request request{
        .op = "Abort", .method = "DELETE", .key = key_, .query = {{"uploadId", upload_id_}}};
    CS_ASSIGN_OR_RETURN(S3ObjectStore::Attempted result, store_->Send(request));
    const long status = result.response.status;
    // NoSuchUpload: already aborted (or completed by an ambiguous earlier attempt); either way
    // there is nothing left to discard.
    if (status == 204 || status == 200 || status == 404) {
      MarkFinished();
      return absl::OkStatus();
    }
    return store_->ErrorFor("Abort", key_, result);
  }

 private:
  struct Part {
    std::string etag;
    uint64_t size = 0;
  };

  absl::Status Finished(std::string_view op) const {
    return absl::FailedPreconditionError(
        base::StrCat(store_->Context(op, key_), "multipart upload already completed or aborted"));
  }

  void MarkFinished() {
    absl::MutexLock lock(&mu_);
    finished_ = true;
  }

  S3ObjectStore* const store_;
  const std::string key_;
  const std::string upload_id_;
  absl::Mutex mu_;
  std::map<int, Part> parts_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(S3Config config,
                                                                     base::Clock& clock,
                                                                     base::Random& random) {
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(base::StrCat("invalid S3 configuration: ", why));
  };
  if (config.bucket.empty()) return bad("bucket is empty");
  for (unsigned char c : config.bucket) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != '_') {
      return bad(base::StrCat("bucket name '", config.bucket,
                              "' may only contain letters, digits, '-', '.' and '_'"));
    }
  }
  if (config.region.empty()) return bad("region is empty");
  if (config.access_key_id.empty() != config.secret_access_key.empty()) {
    return bad("set both the access key id and the secret access key, or neither");
  }
  if (config.max_attempts < 1) return bad("max_attempts must be at least 1");
  if (config.initial_backoff < absl::ZeroDuration() || config.max_backoff < absl::ZeroDuration()) {
    return bad("backoffs must not be negative");
  }
  if (config.connect_timeout <= absl::ZeroDuration() ||
      config.request_timeout <= absl::ZeroDuration()) {
    return bad("timeouts must be positive");
  }

  std::string endpoint = config.endpoint.empty()
                             ? base::StrCat("https://s3.", config.region, ".amazonaws.com")
                             : config.endpoint;
  std::string scheme;
  std::string_view rest;
  if (endpoint.starts_with("http://")) {
    scheme = "http";
    rest = std::string_view(endpoint).substr(7);
  } else if (endpoint.starts_with("https://")) {
    scheme = "https";
    rest = std::string_view(endpoint).substr(8);
  } else {
    return bad(base::StrCat("endpoint '", endpoint, "' must start with http:// or https://"));
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
    return bad(base::StrCat("endpoint '", endpoint, "' must be scheme://host[:port] with no path"));
  }
  std::string host = config.path_style ? std::string(rest) : base::StrCat(config.bucket, ".", rest);

  EnsureCurlGlobalInit();
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(std::move(config), std::move(scheme), std::move(host), clock, random));
}

S3ObjectStore::S3ObjectStore(S3Config config, std::string scheme, std::string host,
                             base::Clock& clock, base::Random& random)
    : config_(std::move(config)),
      credentials_{.access_key_id = config_.access_key_id,
                   .secret_access_key = config_.secret_access_key,
                   .session_token = config_.session_token},
      scheme_(std::move(scheme)),
      host_(std::move(host)),
      clock_(clock),
      random_(random),
      handles_(std::make_unique<HandlePool>()) {}

S3ObjectStore::~S3ObjectStore() = default;

std::string S3ObjectStore::Describe() const {
  if (config_.endpoint.empty()) return base::StrCat("s3://", config_.bucket);
  return base::StrCat("s3://", config_.bucket, " at ", config_.endpoint);
}

std::string S3ObjectStore::Context(std::string_view op, std::string_view key) const {
  return base::StrCat("S3 ", op, " s3://", config_.bucket, "/", key, ": ");
}

absl::Time S3ObjectStore::ResponseTime(const Response& response) const {
  absl::Time t = ParseHttpDate(response.Header("last-modified"));
  if (t == absl::InfinitePast()) t = ParseHttpDate(response.Header("date"));
  return t == absl::InfinitePast() ? clock_.Now() : t;
}

absl::Duration S3ObjectStore::Backoff(int retry) {
  // Full jitter: uniform in [0, min(max_backoff, initial_backoff * 2^(retry-1))].
  absl::Duration cap = config_.initial_backoff;
  for (int i = 1; i < retry && cap < config_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, config_.max_backoff);
  return cap * random_.NextDouble();
}

absl::StatusOr<S3ObjectStore::Response> S3ObjectStore::SendOnce(const Request& request,
                                                                bool* maybe_applied) {
  *maybe_applied = false;
  const std::string path =
      config_.path_style
          ? (request.key.empty() ? base::StrCat("/", config_.bucket)
                                 : base::StrCat("/", config_.bucket, "/", request.key))
          : base::StrCat("/", request.key);
  std::string url = base::StrCat(scheme_, "://", host_, UriEncodePath(path));
  if (!request.query.empty()) base::StrAppend(&url, "?", CanonicalQueryString(request.query));

  HttpHeaders headers = request.headers;
  headers.emplace_back("Host", host_);
  const std::string payload_hash =
      request.has_body ? Sha256Hex(request.body) : std::string(kEmptySha256);
  if (!credentials_.access_key_id.empty()) {
    SigV4Output signature = SignV4({.method = request.method,
                                    .path = path,
                                    .query = request.query,
                                    .headers = headers,
                                    .payload_hash = payload_hash,
                                    .credentials = credentials_,
                                    .region = config_.region,
                                    .service = "s3",
                                    .time = clock_.Now()});
    for (auto& header : signature.headers) headers.push_back(std::move(header));
  }

  std::unique_ptr<curl_slist, SlistDeleter> header_list;
  auto add_header = [&](const std::string& line) {
    curl_slist* appended = curl_slist_append(header_list.get(), line.c_str());
    if (appended != nullptr) {
      (void)header_list.release();
      header_list.reset(appended);
    }
    return appended != nullptr;
  };
  bool headers_ok = add_header("Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : headers) {
    headers_ok = headers_ok && add_header(base::StrCat(name, ": ", value));
  }
  if (!headers_ok) {
    return absl::InternalError(
        base::StrCat(Context(request.op, request.key), "out of memory building headers"));
  }

  CURL* curl = handles_->Acquire();
  if (curl == nullptr) {
    return absl::InternalError(
        base::StrCat(Context(request.op, request.key), "curl_easy_init failed"));
  }
  // Releasing (rather than cleaning up) keeps the handle's keep-alive connections for reuse.
  std::unique_ptr<CURL, std::function<void(CURL*)>> lease(
      curl, [this](CURL* handle) { handles_->Release(handle); });
  curl_easy_reset(curl);

  Response response;
  BodyReader reader{.data = request.body};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(config_.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(config_.request_timeout)));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.has_body) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &BodyReader::Read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &BodyReader::Seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &reader);
    if (request.method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, std::string(request.method).c_str());
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, std::string(request.method).c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    // Only a failure to reach the server proves the request was not applied.
    *maybe_applied = code != CURLE_COULDNT_RESOLVE_PROXY && code != CURLE_COULDNT_RESOLVE_HOST &&
                     code != CURLE_COULDNT_CONNECT;
    std::string detail = curl_easy_strerror(code);
    if (error_buffer[0] != '\0') base::StrAppend(&detail, " (", error_buffer, ")");
    const std::string message = base::StrCat(Context(request.op, request.key), detail);
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return absl::DeadlineExceededError(message);
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        return absl::UnavailableError(message);
      default:
        return absl::InternalError(message);
    }
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

absl::StatusOr<S3ObjectStore::Attempted> S3ObjectStore::Send(const Request& request) {
  bool ambiguous = false;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) clock_.SleepFor(Backoff(attempt - 1));
    bool maybe_applied = false;
    absl::StatusOr<Response> response = SendOnce(request, &maybe_applied);
    const bool last = attempt >= config_.max_attempts;
    if (!response.ok()) {
      const absl::StatusCode code = response.status().code();
      const bool retryable =
          code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded;
      if (!retryable) return response.status();
      if (last) {
        return absl::Status(code, base::StrCat(response.status().message(), " (after ", attempt,
                                               attempt == 1 ? " attempt)" : " attempts)"));
      }
      ambiguous = ambiguous || maybe_applied;
      spdlog::debug("{} (attempt {} of {}, retrying)", response.status().ToString(), attempt,
                    config_.max_attempts);
      continue;
    }
    const long status = response->status;
    bool retryable = false;
    if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) {
      retryable = true;
    } else if (status == 400 || status == 409 || (status == 200 && request.error_body_on_success)) {
      retryable = IsRetryableErrorCode(ErrorDocumentOf(response->body).code);
    }
    if (!retryable || last) {
      return Attempted{
          .response = *std::move(response), .attempts = attempt, .ambiguous = ambiguous};
    }
    // 5xx (and a 200 carrying an error) may come after the server applied the request.
    ambiguous = ambiguous || status >= 500 || status == 200;
    spdlog::debug("{}HTTP {} (attempt {} of {}, retrying)", Context(request.op, request.key),
                  status, attempt, config_.max_attempts);
  }
}

absl::Status S3ObjectStore::ErrorFor(std::string_view op, std::string_view key,
                                     const Attempted& result) const {
  const Response& response = result.response;
  const S3ErrorDocument error = ErrorDocumentOf(response.body);
  std::string message = base::StrCat(Context(op, key), "HTTP ", response.status);
  if (!error.code.empty()) base::StrAppend(&message, " ", error.code);
  if (!error.message.empty()) base::StrAppend(&message, ": ", error.message);
  const absl::StatusCode code = CodeFor(response.status, error.code);
  if (error.code == "NoSuchBucket") {
    base::StrAppend(&message, " (bucket '", config_.bucket, "' does not exist)");
  } else if (code == absl::StatusCode::kUnavailable) {
    base::StrAppend(&message, " (after ", result.attempts,
                    result.attempts == 1 ? " attempt)" : " attempts)");
  } else if (code == absl::StatusCode::kNotFound) {
    base::StrAppend(&message, " (object not found)");  // Same words as the other stores.
  }
  return absl::Status(code, message);
}

absl::StatusOr<std::string> S3ObjectStore::Get(std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  CS_ASSIGN_OR_RETURN(Attempted result, Send({.op = "Get", .method = "GET", .key = key}));
  if (result.response.status == 200) return std::move(result.response.body);
  return ErrorFor("Get", key, result);
}

absl::StatusOr<std::string> S3ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                    uint64_t length) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  constexpr uint64_t kMaxOffset = std::numeric_limits<int64_t>::max();
  if (length == 0 || offset > kMaxOffset) {
    return absl::InvalidArgumentError(
        base::StrCat(Context("GetRange", key), "bad range: offset ", offset, ", length ", length));
  }
  const uint64_t last = length - 1 > kMaxOffset - offset ? kMaxOffset : offset + length - 1;
  CS_ASSIGN_OR_RETURN(Attempted result,
                      Send({.op = "GetRange",
                            .method = "GET",
                            .key = key,
                            .headers = {{"Range", base::StrCat("bytes=", offset, "-", last)}}}));
  Response& response = result.response;
  if (response.status == 206) {
    if (response.body.size() > length) {
      return absl::DataLossError(base::StrCat(Context("GetRange", key), "asked for ", length,
                                              " bytes at offset ", offset, ", got ",
                                              response.body.size()));
    }
    return std::move(response.body);
  }
  if (response.status == 200) {
    // The server ignored the Range header and sent the whole object.
    if (offset >= response.body.size() && !response.body.empty()) {
      return absl::InvalidArgumentError(base::StrCat(Context("GetRange", key), "offset ", offset,
                                                     " is at or past the end of the ",
                                                     response.body.size(), "-byte object"));
    }
    if (offset >= response.body.size()) return std::string();
    return response.body.substr(offset, length);
  }
  if (response.status == 416) {
    // Unsatisfiable: past the end, or any range of an empty object (which is not an error here).
    CS_ASSIGN_OR_RETURN(ObjectMeta meta, Head(key));
    if (meta.size == 0) return std::string();
    return absl::InvalidArgumentError(base::StrCat(Context("GetRange", key), "offset ", offset,
                                                   " is at or past the end of the ", meta.size,
                                                   "-byte object"));
  }
  return ErrorFor("GetRange", key, result);
}

absl::StatusOr<ObjectMeta> S3ObjectStore::Head(std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  CS_ASSIGN_OR_RETURN(Attempted result, Send({.op = "Head", .method = "HEAD", .key = key}));
  const Response& response = result.response;
  if (response.status != 200) return ErrorFor("Head", key, result);
  ObjectMeta meta;
  meta.key = std::string(key);
  const std::string_view length = response.Header("content-length");
  if (!absl::SimpleAtoi(base::AsAbsl(length), &meta.size)) {
    return absl::InternalError(
        base::StrCat(Context("Head", key), "bad Content-Length '", length, "'"));
  }
  meta.etag = std::string(StripEtagQuotes(response.Header("etag")));
  meta.last_modified = ParseHttpDate(response.Header("last-modified"));
  return meta;
}

absl::StatusOr<ObjectMeta> S3ObjectStore::Put(std::string_view key, std::string_view data,
                                              const PutOptions& options) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  std::string_view mode_name = "overwrite";
  HttpHeaders headers;
  switch (options.mode) {
    case PutMode::kOverwrite:
      break;
    case PutMode::kCreateIfAbsent:
      mode_name = "create-if-absent";
      headers.emplace_back("If-None-Match", "*");
      break;
    case PutMode::kUpdateIfMatch:
      mode_name = "update-if-match";
      headers.emplace_back("If-Match", config_.quote_etag_in_if_match
                                           ? base::StrCat("\"", options.if_match_etag, "\"")
                                           : options.if_match_etag);
      break;
  }
  if ((options.mode == PutMode::kUpdateIfMatch) == options.if_match_etag.empty()) {
    return absl::InvalidArgumentError(
        base::StrCat(Context("Put", key), "if_match_etag must be set exactly for update-if-match"));
  }
  CS_ASSIGN_OR_RETURN(Attempted result, Send({.op = "Put",
                                              .method = "PUT",
                                              .key = key,
                                              .headers = std::move(headers),
                                              .body = data,
                                              .has_body = true}));
  const Response& response = result.response;
  if (response.status == 200) {
    std::string etag(StripEtagQuotes(response.Header("etag")));
    if (etag.empty()) {
      return absl::InternalError(base::StrCat(Context("Put", key), "response has no ETag"));
    }
    return ObjectMeta{.key = std::string(key),
                      .size = data.size(),
                      .etag = std::move(etag),
                      .last_modified = ResponseTime(response)};
  }
  const S3ErrorDocument error = ErrorDocumentOf(response.body);
  // If-Match on a missing key: AWS answers 404 NoSuchKey, Ceph RGW 412.
  const bool lost =
      response.status == 412 || (options.mode == PutMode::kUpdateIfMatch &&
                                 response.status == 404 && error.code != "NoSuchBucket");
  if (!lost || options.mode == PutMode::kOverwrite) return ErrorFor("Put", key, result);
  if (result.ambiguous) {
    // An earlier attempt may have been applied and made this one fail its own precondition: if
    // exactly our bytes are in place (S3's ETag of a single-part put is the MD5 of the body), the
    // put succeeded.
    absl::StatusOr<ObjectMeta> head = Head(key);
    if (head.ok() && head->size == data.size() && head->etag == Md5Hex(data)) return head;
  }
  std::string message = base::StrCat(Context("Put", key), mode_name, " precondition failed: ");
  if (options.mode == PutMode::kCreateIfAbsent) {
    base::StrAppend(&message, "the key already exists");
  } else {
    base::StrAppend(&message, "the key is missing or its ETag is not '", options.if_match_etag,
                    "'");
  }
  base::StrAppend(&message, " (HTTP ", response.status, error.code.empty() ? "" : " ", error.code,
                  ")");
  return absl::FailedPreconditionError(message);
}

absl::Status S3ObjectStore::Delete(std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  CS_ASSIGN_OR_RETURN(Attempted result, Send({.op = "Delete", .method = "DELETE", .key = key}));
  const long status = result.response.status;
  if (status == 204 || status == 200) return absl::OkStatus();
  if (status == 404 && ErrorDocumentOf(result.response.body).code != "NoSuchBucket") {
    return absl::OkStatus();  // S3 semantics: deleting a missing key succeeds.
  }
  return ErrorFor("Delete", key, result);
}

absl::StatusOr<ListPage> S3ObjectStore::List(const ListOptions& options) {
  const std::string what = base::StrCat(options.prefix, "*");  // names the listed prefix
  if (options.max_keys < 1 || options.max_keys > 1000) {
    return absl::InvalidArgumentError(
        base::StrCat(Context("List", what), "max_keys ", options.max_keys, " is outside 1..1000"));
  }
  QueryParams query = {
      {"list-type", "2"}, {"encoding-type", "url"}, {"max-keys", std::to_string(options.max_keys)}};
  if (!options.prefix.empty()) query.emplace_back("prefix", options.prefix);
  if (!options.delimiter.empty()) query.emplace_back("delimiter", options.delimiter);
  if (!options.continuation_token.empty()) {
    query.emplace_back("continuation-token", options.continuation_token);
  }
  if (!options.start_after.empty()) query.emplace_back("start-after", options.start_after);
  CS_ASSIGN_OR_RETURN(Attempted result,
                      Send({.op = "List", .method = "GET", .query = std::move(query)}));
  if (result.response.status != 200) return ErrorFor("List", what, result);
  absl::StatusOr<ListPage> page = ParseListObjectsV2Result(result.response.body);
  if (!page.ok()) {
    return absl::InternalError(base::StrCat(Context("List", what),
                                            "unparseable response: ", page.status().message(),
                                            " in ", BodySnippet(result.response.body)));
  }
  return page;
}

absl::StatusOr<std::unique_ptr<MultipartUpload>> S3ObjectStore::StartMultipartUpload(
    std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  CS_ASSIGN_OR_RETURN(Attempted result, Send({.op = "StartMultipartUpload",
                                              .method = "POST",
                                              .key = key,
                                              .query = {{"uploads", ""}},
                                              .has_body = true}));
  if (result.response.status != 200) return ErrorFor("StartMultipartUpload", key, result);
  absl::StatusOr<std::string> upload_id = ParseInitiateMultipartUploadResult(result.response.body);
  if (!upload_id.ok()) {
    return absl::InternalError(base::StrCat(Context("StartMultipartUpload", key),
                                            "unparseable response: ", upload_id.status().message(),
                                            " in ", BodySnippet(result.response.body)));
  }
  return std::make_unique<S3MultipartUpload>(this, std::string(key), *std::move(upload_id));
}

}  // namespace cardinalsin::io
