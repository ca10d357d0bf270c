#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/thread_pool.h"
#include "http/internal/body_decoding.h"
#include "http/internal/handler_costs.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::http {
namespace internal {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

// After a response that closes the connection, unread request bytes (an oversized body) are
// drained for at most this long so that the close does not turn into a TCP reset that destroys
// the response before the client reads it.
constexpr absl::Duration kMaxLinger = absl::Seconds(2);
// Extra time Stop() waits for connections it has force-closed.
constexpr absl::Duration kForceCloseWait = absl::Seconds(2);

// absl::Duration to a std::chrono duration that is safe to add to steady_clock::now().
std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::clamp(d, absl::ZeroDuration(), absl::Hours(24 * 365)));
}

std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9110 token characters, for header names a handler supplies.
bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool IsSafeValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Headers the server owns: a handler's values for these are ignored.
bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection");
}

bool IsHttpParseError(const beast::error_code& ec) {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category();
}

// Debian's Abseil is built without ThreadSanitizer instrumentation, so TSan cannot see the
// happens-before edges an absl::Mutex creates and reports every access it guards as a race (the
// tsan preset would fail on this module). The state io threads share with Stop() therefore uses a
// std::mutex, which TSan intercepts, wrapped so that clang's -Wthread-safety still checks it.
class ABSL_LOCKABLE StdMutex {
 public:
  // The BasicLockable names std::condition_variable_any needs.
  // NOLINTBEGIN(readability-identifier-naming)
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // NOLINTEND(readability-identifier-naming)

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE StdMutexLock {
 public:
  explicit StdMutexLock(StdMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->lock(); }
  ~StdMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->unlock(); }
  StdMutexLock(const StdMutexLock&) = delete;
  StdMutexLock& operator=(const StdMutexLock&) = delete;

 private:
  StdMutex* const mu_;
};

}  // namespace

class Session;

class ServerImpl {
 public:
  ServerImpl(ServerOptions options, const Router& router)
      : options_(std::move(options)),
        router_(router),
        clock_(options_.clock != nullptr ? *options_.clock : base::SystemClock()),
        handler_costs_(options_.inline_budget) {
    // One io_context per io thread, each run by its thread alone: a connection's reads, handler
    // and writes then stay on one thread, where io threads sharing one io_context woke each
    // other for every completion (most of a small request's latency was context switches).
    // The acceptor gets an io_context and thread of its own, which no handler ever blocks.
    for (int i = 0; i <= std::max(1, options_.threads); ++i) {
      iocs_.push_back(std::make_unique<net::io_context>(1));
    }
    if (options_.handler_threads > 0) {
      handler_pool_ = std::make_unique<base::ThreadPool>(options_.handler_threads);
    }
  }

  ~ServerImpl() { Stop(); }

  [[nodiscard]] absl::Status Listen();
  void Run();
  void Stop();
  int BoundPort() const { return port_; }

  const ServerOptions& Options() const { return options_; }
  const Router& Routes() const { return router_; }
  absl::Time MonotonicNow() const { return clock_.MonotonicNow(); }
  const std::atomic<bool>* ShuttingDownFlag() const { return &shutting_down_; }
  bool IsShuttingDown() const { return shutting_down_.load(std::memory_order_acquire); }
  // Where handlers and stream producers run: this pool, or the io thread itself when null.
  base::ThreadPool* HandlerPool() const { return handler_pool_.get(); }
  // With a handler pool, a handler may still run on its io thread: that saves the two hand-overs,
  // which are most of a small request's latency. It does when its path's handlers have been
  // quick so far (a slow one would hold up the other connections of its io thread) and another
  // io thread stays free for I/O. Returns whether this one may (then LeaveInline() when done).
  bool TryEnterInline(std::string_view method, std::string_view path) {
    if (!handler_costs_.Quick(method, path)) return false;
    if (inline_handlers_.fetch_add(1, std::memory_order_acq_rel) + 1 < options_.threads) {
      return true;
    }
    inline_handlers_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  void LeaveInline() { inline_handlers_.fetch_sub(1, std::memory_order_acq_rel); }
  void RecordHandlerCost(std::string_view method, std::string_view path, absl::Duration took) {
    handler_costs_.Record(method, path, took);
  }

  // Adds a live session; returns false (and does not add it) once Stop() has begun, so that no
  // session escapes the shutdown sweep.
  bool Register(const std::shared_ptr<Session>& session, uint64_t* id);
  void Unregister(uint64_t id);

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void RunThread(net::io_context& ioc);
  std::vector<std::shared_ptr<Session>> LiveSessions();

  const ServerOptions options_;
  const Router& router_;
  base::Clock& clock_;
  // One per io thread, then the acceptor's (iocs_.back()).
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  // Keep each io thread's run() going while its io_context has nothing pending (all but the
  // acceptor's have nothing until a connection comes), until Stop().
  std::vector<net::executor_work_guard<net::io_context::executor_type>> io_work_;
  std::atomic<size_t> next_ioc_{0};  // for connections, round robin
  internal::HandlerCosts handler_costs_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<net::steady_timer> accept_retry_timer_;
  std::string listen_address_;  // "address:port", for logs
  int port_ = 0;
  std::vector<std::thread> threads_;
  std::unique_ptr<base::ThreadPool> handler_pool_;  // when options_.handler_threads > 0
  std::atomic<int> inline_handlers_{0};             // handlers running on io threads meanwhile
  std::atomic<bool> shutting_down_{false};

  // Waits until no session is registered or `timeout` passes; returns whether none is.
  bool AwaitNoSessions(absl::Duration timeout);

  StdMutex mu_;
  std::condition_variable_any sessions_changed_;  // signalled when a session unregisters
  std::map<uint64_t, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  uint64_t next_session_id_ ABSL_GUARDED_BY(mu_) = 1;

  StdMutex stop_mu_;  // held for the whole of Stop(), which makes it idempotent
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
};

// One connection. All of its handlers run on its strand, so the members need no lock; the
// session lives as long as a pending operation holds a shared_ptr to it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl* server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_address_ = absl::StrFormat("%s:%d", remote.address().to_string(), remote.port());
    }
  }

  ~Session() {
    if (id_ != 0) {
      server_->Unregister(id_);
    }
  }

  void SetId(uint64_t id) { id_ = id; }
  net::any_io_executor Executor() { return stream_.get_executor(); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // Stop() phase 1: close the connection when it is between requests, else after the current
  // response. Runs on the strand.
  void Shutdown() {
    shutdown_requested_ = true;
    if (idle_ || lingering_) {
      CloseNow();
    }
  }

  // Stop() phase 2: close whatever is left. Runs on the strand.
  void CloseNow() {
    if (closed_) {
      return;
    }
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void SetTimeout(absl::Duration timeout) {
    if (timeout >= absl::Hours(24 * 365)) {
      stream_.expires_never();
    } else {
      stream_.expires_after(ToChrono(timeout));
    }
  }

  // Waits (up to idle_timeout) for the first byte of the next request, unless pipelined bytes are
  // already buffered.
  void WaitForRequest() {
    if (closed_) {
      return;
    }
    if (shutdown_requested_ || server_->IsShuttingDown()) {
      CloseNow();
      return;
    }
    request_ = Request();
    version_ = 0;
    keep_alive_ = false;
    is_head_ = false;
    request_.remote_address = remote_address_;
    request_.shutting_down = server_->ShuttingDownFlag();
    if (buffer_.size() > 0) {
      request_start_ = server_->MonotonicNow();
      ReadHeader();
      return;
    }
    idle_ = true;
    SetTimeout(server_->Options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnFirstBytes(ec, n); });
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    idle_ = false;
    if (ec || closed_) {
      // EOF, idle timeout, reset or Stop(): nothing is owed to the client.
      CloseNow();
      return;
    }
    buffer_.commit(n);
    request_start_ = server_->MonotonicNow();
    ReadHeader();
  }

  void ReadHeader() {
    const ServerOptions& options = server_->Options();
    SetTimeout(options.read_timeout);
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (closed_) {
      return;
    }
    if (ec) {
      OnReadError(ec);
      return;
    }
    const auto& header = parser_->get();
    request_.method = ToString(header.method_string());
    request_.target = ToString(header.target());
    version_ = header.version();
    keep_alive_ = header.keep_alive();
    is_head_ = header.method() == bhttp::verb::head;
    if (parser_->is_done()) {
      HandleRequest();
      return;
    }
    if (header.version() >= 11 &&
        EqualsIgnoreCase(Trim(ToString(header[bhttp::field::expect])), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (self->closed_) {
                           return;
                         }
                         if (ec) {
                           self->CloseNow();
                           return;
                         }
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (self->closed_) {
                          return;
                        }
                        if (ec) {
                          self->OnReadError(ec);
                          return;
                        }
                        self->HandleRequest();
                      });
  }

  void OnReadError(const beast::error_code& ec) {
    const ServerOptions& options = server_->Options();
    if (ec == bhttp::error::body_limit) {
      SendError(413,
                absl::StrFormat("request body exceeds the %d-byte limit", options.max_body_bytes));
    } else if (ec == bhttp::error::header_limit) {
      SendError(431, absl::StrFormat("request header exceeds the %d-byte limit",
                                     options.max_header_bytes));
    } else if (ec == beast::error::timeout) {
      // tcp_stream has already closed the socket, so no 408 can be sent.
      spdlog::debug("http: closing a connection from {}: request not read within {}",
                    remote_address_, absl::FormatDuration(options.read_timeout));
      CloseNow();
    } else if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
               ec != bhttp::error::partial_message) {
      SendError(400, "malformed HTTP request: " + ec.message());
    } else {
      CloseNow();  // the client went away (possibly mid-request) or the socket failed
    }
  }

  // Answers with a plain-text error and closes the connection afterwards.
  void SendError(int status, std::string message) {
    if (version_ == 0) {
      version_ = 11;
    }
    Respond(Response::Text(status, std::move(message) + "\n"), /*close=*/true);
  }

  void HandleRequest() {
    bhttp::request<bhttp::string_body> message = parser_->release();
    parser_.reset();

    absl::StatusOr<Request> created =
        Request::Create(ToString(message.method_string()), ToString(message.target()));
    if (!created.ok()) {
      Respond(Response::Text(400, std::string(created.status().message()) + "\n"),
              /*close=*/false);
      return;
    }
    created->remote_address = std::move(request_.remote_address);
    created->shutting_down = request_.shutting_down;
    request_ = *std::move(created);
    for (const auto& field : message) {
      request_.headers.Add(ToString(field.name_string()), ToString(field.value()));
    }
    request_.body = std::move(message.body());

    if (std::optional<Response> error = DecodeContentEncoding()) {
      const bool close = error->status == 413;
      Respond(*std::move(error), close);
      return;
    }

    base::ThreadPool* pool = server_->HandlerPool();
    if (pool == nullptr) {
      Respond(Route(), /*close=*/false);
      return;
    }
    if (server_->TryEnterInline(request_.method, request_.path)) {
      const absl::Time start = server_->MonotonicNow();
      Response response = Route();
      server_->RecordHandlerCost(request_.method, request_.path, server_->MonotonicNow() - start);
      server_->LeaveInline();
      Respond(std::move(response), /*close=*/false);
      return;
    }
    // The handler runs on the pool and only reads request_; nothing on the strand touches
    // request_ until the response is posted back.
    // The work guard keeps the io threads running meanwhile: once Stop() has closed the
    // acceptor, an io_context with nothing pending would otherwise return from run().
    pool->Schedule([self = shared_from_this(), work = net::make_work_guard(Executor())] {
      const absl::Time start = self->server_->MonotonicNow();
      Response response = self->Route();
      self->server_->RecordHandlerCost(self->request_.method, self->request_.path,
                                       self->server_->MonotonicNow() - start);
      net::post(self->Executor(), [self, response = std::move(response)]() mutable {
        self->Respond(std::move(response), /*close=*/false);
      });
    });
  }

  Response Route() {
    try {
      return server_->Routes().Dispatch(request_);
    } catch (...) {
      // Dispatch catches handler exceptions; this is only a last resort (for example bad_alloc
      // while building the response).
      spdlog::error("http: dispatching {} {} failed with an exception", request_.method,
                    request_.target);
      return Response::Text(500, "internal server error\n");
    }
  }

  // Replaces a gzip/deflate body by its decoding. Returns the error response to send instead, if
  // any.
  std::optional<Response> DecodeContentEncoding() {
    std::optional<std::string_view> header = request_.headers.Get("Content-Encoding");
    if (!header.has_value()) {
      return std::nullopt;
    }
    std::string encoding = Lower(Trim(*header));
    BodyEncoding kind;
    if (encoding == "gzip" || encoding == "x-gzip") {
      kind = BodyEncoding::kGzip;
    } else if (encoding == "deflate") {
      kind = BodyEncoding::kDeflate;
    } else {
      return std::nullopt;  // snappy, zstd, identity, ...: the handler decides
    }
    if (!request_.body.empty()) {
      size_t limit = server_->Options().max_body_bytes;
      absl::StatusOr<std::string> decoded = DecodeBody(request_.body, kind, limit);
      if (absl::IsResourceExhausted(decoded.status())) {
        return Response::Text(
            413, absl::StrFormat("request body exceeds the %d-byte limit after %s decoding\n",
                                 limit, encoding));
      }
      if (!decoded.ok()) {
        return Response::Text(400, std::string(decoded.status().message()) + "\n");
      }
      request_.body = *std::move(decoded);
    }
    request_.headers.Remove("Content-Encoding");
    request_.headers.Set("Content-Length", std::to_string(request_.body.size()));
    return std::nullopt;
  }

  // Copies a handler's headers onto a Beast message, dropping framing headers and unsafe fields.
  template <class Message>
  void CopyHeaders(const Headers& headers, Message& message) {
    for (const auto& [name, value] : headers) {
      if (IsFramingHeader(name)) {
        continue;
      }
      if (!IsToken(name) || !IsSafeValue(value)) {
        spdlog::error("http: dropping invalid response header '{}' for {} {}", name,
                      request_.method, request_.route);
        continue;
      }
      message.insert(beast::string_view(name.data(), name.size()),
                     beast::string_view(value.data(), value.size()));
    }
    if (message.find("Access-Control-Allow-Origin") == message.end()) {
      message.set("Access-Control-Allow-Origin", "*");
    }
  }

  void Respond(Response response, bool close) {
    if (closed_) {
      return;
    }
    if (response.status < 200 || response.status > 999) {
      spdlog::error("http: handler for {} {} returned invalid status {}", request_.method,
                    request_.route, response.status);
      response = Response::Text(500, "internal server error: invalid status code\n");
    }
    close_after_ = close || !keep_alive_ || shutdown_requested_ || server_->IsShuttingDown();
    status_ = response.status;
    if (response.stream && !is_head_) {
      StartStream(std::move(response));
      return;
    }
    try {
      auto& message = response_.emplace();
      message.version(version_);
      message.result(static_cast<unsigned>(response.status));
      CopyHeaders(response.headers, message);
      message.keep_alive(!close_after_);
      bool no_body = response.status == 204 || response.status == 304;
      if (is_head_) {
        if (!no_body && !response.stream) {
          message.content_length(response.body.size());
        }
      } else if (!no_body) {
        message.body() = std::move(response.body);
        message.prepare_payload();
      }
    } catch (const std::exception& e) {
      // Beast throws for field sizes it cannot represent; answer without the handler's headers.
      spdlog::error("http: cannot build the response for {} {}: {}", request_.method,
                    request_.route, e.what());
      auto& message = response_.emplace(bhttp::status::internal_server_error, version_);
      message.set(bhttp::field::content_type, "text/plain; charset=utf-8");
      message.set("Access-Control-Allow-Origin", "*");
      message.keep_alive(false);
      close_after_ = true;
      status_ = 500;
      message.body() = "internal server error\n";
      message.prepare_payload();
    }
    SetTimeout(server_->Options().read_timeout);
    bhttp::async_write(stream_, *response_,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->response_.reset();
                         self->OnResponseSent(ec);
                       });
  }

  void OnResponseSent(beast::error_code ec) {
    Observe();
    if (ec || closed_) {
      CloseNow();
      return;
    }
    if (close_after_) {
      Linger();
      return;
    }
    WaitForRequest();
  }

  void Observe() {
    const RequestObserver& observer = server_->Options().observer;
    if (!observer) {
      return;
    }
    absl::Duration duration = server_->MonotonicNow() - request_start_;
    try {
      observer(request_, status_, duration);
    } catch (const std::exception& e) {
      spdlog::error("http: request observer threw: {}", e.what());
    } catch (...) {
      spdlog::error("http: request observer threw a non-standard exception");
    }
  }

  void StartStream(Response response) {
    producer_ = std::move(response.stream);
    chunked_ = version_ >= 11;
    if (!chunked_) {
      close_after_ = true;  // HTTP/1.0: the close delimits the body
    }
    try {
      auto& message = stream_header_.emplace();
      message.version(version_);
      message.result(static_cast<unsigned>(response.status));
      CopyHeaders(response.headers, message);
      message.keep_alive(!close_after_);
      if (chunked_) {
        message.chunked(true);
      }
      stream_serializer_.emplace(message);
    } catch (const std::exception& e) {
      spdlog::error("http: cannot build the stream header for {} {}: {}", request_.method,
                    request_.route, e.what());
      stream_serializer_.reset();
      stream_header_.reset();
      producer_ = nullptr;
      Respond(Response::Text(500, "internal server error\n"), /*close=*/true);
      return;
    }
    SetTimeout(server_->Options().read_timeout);
    bhttp::async_write_header(stream_, *stream_serializer_,
                              [self = shared_from_this()](beast::error_code ec, size_t) {
                                if (ec || self->closed_) {
                                  self->AbortStream();
                                  return;
                                }
                                self->NextChunk();
                              });
  }

  void NextChunk() {
    if (closed_) {
      AbortStream();
      return;
    }
    chunk_.clear();
    base::ThreadPool* pool = server_->HandlerPool();
    if (pool == nullptr) {
      WriteChunk(Produce());
      return;
    }
    // As with handlers: while the producer runs on the pool, the strand leaves producer_ and
    // chunk_ alone (a Stop() close only sets closed_ and closes the socket).
    pool->Schedule([self = shared_from_this(), work = net::make_work_guard(Executor())] {
      const ProduceResult result = self->Produce();
      net::post(self->Executor(), [self, result] { self->WriteChunk(result); });
    });
  }

  enum class ProduceResult { kMore, kEnd, kFailed };
  ProduceResult Produce() {
    try {
      return producer_(&chunk_) ? ProduceResult::kMore : ProduceResult::kEnd;
    } catch (const std::exception& e) {
      spdlog::error("http: stream producer for {} {} threw: {}", request_.method, request_.route,
                    e.what());
    } catch (...) {
      spdlog::error("http: stream producer for {} {} threw a non-standard exception",
                    request_.method, request_.route);
    }
    return ProduceResult::kFailed;
  }

  void WriteChunk(ProduceResult result) {
    if (result == ProduceResult::kFailed || closed_) {
      AbortStream();
      return;
    }
    const bool more = result == ProduceResult::kMore;
    auto on_written = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || self->closed_) {
        self->AbortStream();
        return;
      }
      self->NextChunk();
    };
    if (!more) {
      EndStream();
      return;
    }
    if (chunk_.empty()) {
      // Let queued work on this strand (such as a Stop() close) run before asking again.
      net::post(stream_.get_executor(), [self = shared_from_this()] { self->NextChunk(); });
      return;
    }
    SetTimeout(server_->Options().read_timeout);
    if (chunked_) {
      net::async_write(stream_, bhttp::make_chunk(net::buffer(chunk_)), std::move(on_written));
    } else {
      net::async_write(stream_, net::buffer(chunk_), std::move(on_written));
    }
  }

  void EndStream() {
    ReleaseStream();
    if (!chunked_) {
      OnResponseSent(beast::error_code());
      return;
    }
    SetTimeout(server_->Options().read_timeout);
    net::async_write(
        stream_, bhttp::make_chunk_last(),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnResponseSent(ec); });
  }

  // Ends a stream that cannot be completed. Closing without the last chunk lets the client see
  // that the body is truncated.
  void AbortStream() {
    ReleaseStream();
    Observe();
    CloseNow();
  }

  void ReleaseStream() {
    producer_ = nullptr;
    stream_serializer_.reset();
    stream_header_.reset();
    chunk_.clear();
  }

  // Half-closes and discards what the client still sends until it closes too (or kMaxLinger).
  void Linger() {
    if (closed_) {
      return;
    }
    if (shutdown_requested_) {
      CloseNow();
      return;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      CloseNow();
      return;
    }
    lingering_ = true;
    SetTimeout(std::min(kMaxLinger, server_->Options().read_timeout));
    buffer_.clear();
    Discard();
  }

  void Discard() {
    stream_.async_read_some(buffer_.prepare(64 << 10),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec || self->closed_) {
                                self->CloseNow();
                                return;
                              }
                              self->Discard();
                            });
  }

  ServerImpl* const server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string remote_address_;
  uint64_t id_ = 0;

  // The request being read or handled.
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;
  absl::Time request_start_;
  unsigned version_ = 0;
  bool keep_alive_ = false;
  bool is_head_ = false;

  // The response being written.
  int status_ = 0;
  bool close_after_ = false;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  StreamProducer producer_;
  bool chunked_ = false;
  std::string chunk_;
  std::optional<bhttp::response<bhttp::empty_body>> stream_header_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> stream_serializer_;

  bool idle_ = false;       // waiting for the first byte of the next request
  bool lingering_ = false;  // draining before close
  bool shutdown_requested_ = false;
  bool closed_ = false;
};

absl::Status ServerImpl::Listen() {
  const ServerOptions& o = options_;
  if (o.port < 0 || o.port > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat("invalid port %d", o.port));
  }
  if (o.threads < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("threads must be >= 1, got %d", o.threads));
  }
  if (o.handler_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("handler_threads must be >= 0, got %d", o.handler_threads));
  }
  if (o.max_body_bytes == 0 || o.max_header_bytes == 0) {
    return absl::InvalidArgumentError("max_body_bytes and max_header_bytes must be positive");
  }
  listen_address_ = absl::StrFormat("%s:%d", o.bind_address, o.port);
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(o.bind_address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid bind address \"%s\": %s", o.bind_address, ec.message()));
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  acceptor_ = std::make_unique<tcp::acceptor>(*iocs_.back());
  accept_retry_timer_ = std::make_unique<net::steady_timer>(acceptor_->get_executor());
  auto fail = [&](std::string_view what) {
    return absl::UnavailableError(
        absl::StrFormat("cannot %s %s: %s", what, listen_address_, ec.message()));
  };
  acceptor_->open(endpoint.protocol(), ec);
  if (ec) {
    return fail("open a socket for");
  }
  acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (ec) {
    return fail("set SO_REUSEADDR on");
  }
  acceptor_->bind(endpoint, ec);
  if (ec) {
    return fail("bind");
  }
  acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("listen on");
  }
  tcp::endpoint local = acceptor_->local_endpoint(ec);
  if (ec) {
    return fail("read the bound port of");
  }
  port_ = local.port();
  listen_address_ = absl::StrFormat("%s:%d", o.bind_address, port_);
  return absl::OkStatus();
}

void ServerImpl::Run() {
  DoAccept();
  threads_.reserve(iocs_.size());
  for (std::unique_ptr<net::io_context>& ioc : iocs_) {
    io_work_.push_back(net::make_work_guard(*ioc));
    threads_.emplace_back([this, ioc = ioc.get()] { RunThread(*ioc); });
  }
  spdlog::info("http: listening on {} with {} threads", listen_address_, options_.threads);
}

void ServerImpl::RunThread(net::io_context& ioc) {
  while (true) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      // Completion handlers catch what they expect; this keeps the thread alive after anything
      // unexpected (the affected connection is dropped with its handler).
      spdlog::error("http: unexpected exception on an io thread: {}", e.what());
    } catch (...) {
      spdlog::error("http: unexpected non-standard exception on an io thread");
    }
  }
}

void ServerImpl::DoAccept() {
  const size_t io_threads = iocs_.size() - 1;
  net::io_context& ioc = *iocs_[next_ioc_.fetch_add(1, std::memory_order_relaxed) % io_threads];
  acceptor_->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void ServerImpl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_->is_open() || IsShuttingDown()) {
    return;
  }
  if (ec) {
    // For example EMFILE: back off briefly instead of spinning.
    spdlog::warn("http: accept on {} failed: {}", listen_address_, ec.message());
    accept_retry_timer_->expires_after(std::chrono::milliseconds(50));
    accept_retry_timer_->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_->is_open()) {
        DoAccept();
      }
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(this, std::move(socket));
  uint64_t id = 0;
  if (Register(session, &id)) {
    session->SetId(id);
    session->Start();
  }
  DoAccept();
}

bool ServerImpl::Register(const std::shared_ptr<Session>& session, uint64_t* id) {
  StdMutexLock lock(&mu_);
  if (IsShuttingDown()) {
    return false;
  }
  *id = next_session_id_++;
  sessions_.emplace(*id, session);
  return true;
}

void ServerImpl::Unregister(uint64_t id) {
  StdMutexLock lock(&mu_);
  sessions_.erase(id);
  sessions_changed_.notify_all();
}

bool ServerImpl::AwaitNoSessions(absl::Duration timeout) {
  StdMutexLock lock(&mu_);
  return sessions_changed_.wait_for(mu_, ToChrono(timeout),
                                    [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                      // Called by wait_for with mu_ held.
                                      return sessions_.empty();
                                    });
}

std::vector<std::shared_ptr<Session>> ServerImpl::LiveSessions() {
  StdMutexLock lock(&mu_);
  std::vector<std::shared_ptr<Session>> live;
  for (auto& [id, weak] : sessions_) {
    if (std::shared_ptr<Session> session = weak.lock()) {
      live.push_back(std::move(session));
    }
  }
  return live;
}

void ServerImpl::Stop() {
  StdMutexLock stop_lock(&stop_mu_);
  if (stopped_) {
    return;
  }
  stopped_ = true;
  {
    StdMutexLock lock(&mu_);
    shutting_down_.store(true, std::memory_order_release);
  }
  if (!threads_.empty()) {
    net::post(acceptor_->get_executor(), [this] {
      beast::error_code ec;
      acceptor_->close(ec);
      accept_retry_timer_->cancel();
    });
    for (std::shared_ptr<Session>& session : LiveSessions()) {
      net::post(session->Executor(), [session] { session->Shutdown(); });
    }
    if (!AwaitNoSessions(options_.shutdown_timeout)) {
      std::vector<std::shared_ptr<Session>> left = LiveSessions();
      const size_t busy = left.size();
      spdlog::warn("http: closing {} connections on {} still busy after the {} shutdown timeout",
                   busy, listen_address_, absl::FormatDuration(options_.shutdown_timeout));
      for (std::shared_ptr<Session>& session : left) {
        net::post(session->Executor(), [session] { session->CloseNow(); });
      }
      left.clear();
      if (!AwaitNoSessions(kForceCloseWait)) {
        spdlog::warn("http: connections on {} did not close; a handler may be blocked",
                     listen_address_);
      }
    }
    io_work_.clear();
    for (std::unique_ptr<net::io_context>& ioc : iocs_) ioc->stop();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    threads_.clear();
    // Runs the handlers still queued (their responses are posted to the stopped io_context and
    // destroyed with it below), then joins the pool.
    handler_pool_.reset();
    spdlog::info("http: stopped listening on {}", listen_address_);
  }
  // Destroying the io_contexts destroys any handlers still queued, and with them the last
  // references to their sessions, while this object (which they unregister from) is alive.
  // The acceptor's goes first: a pending accept holds a socket of another io_context.
  accept_retry_timer_.reset();
  acceptor_.reset();
  while (!iocs_.empty()) iocs_.pop_back();
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, const Router& router) {
  auto impl = std::make_unique<internal::ServerImpl>(std::move(options), router);
  if (absl::Status status = impl->Listen(); !status.ok()) {
    return status;
  }
  impl->Run();
  int port = impl->BoundPort();
  return std::unique_ptr<Server>(new Server(std::move(impl), port));
}

Server::Server(std::unique_ptr<internal::ServerImpl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

Server::~Server() { Stop(); }

void Server::Stop() { impl_->Stop(); }

}  // namespace cardinalsin::http
