#include "rpc/server.h"

#include <chrono>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/async_generic_service.h"

namespace cardinalsin::rpc {

std::string CallInfo::Get(std::string_view key, std::string_view fallback) const {
  auto it = metadata.find(std::string(key));
  return it == metadata.end() ? std::string(fallback) : it->second;
}

void ServiceTable::AddUnary(std::string method, UnaryHandler handler) {
  unary_.emplace(std::move(method), std::move(handler));
}

const UnaryHandler* ServiceTable::Find(std::string_view method) const {
  auto it = unary_.find(method);
  return it == unary_.end() ? nullptr : &it->second;
}

namespace {

// Handles one call of a unary method through the generic (bidi) API: read one message, run the
// handler, write one message, finish.
class UnaryReactor final : public grpc::ServerGenericBidiReactor {
 public:
  UnaryReactor(grpc::GenericCallbackServerContext* context, const ServiceTable& table)
      : context_(context), table_(table) {
    handler_ = table_.Find(context_->method());
    if (handler_ == nullptr) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          absl::StrFormat("unknown method %s", context_->method())));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message received"));
      return;
    }
    std::string bytes;
    std::vector<grpc::Slice> slices;
    grpc::Status dumped = request_.Dump(&slices);
    if (!dumped.ok()) {
      Finish(dumped);
      return;
    }
    for (const grpc::Slice& slice : slices)
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    CallInfo call;
    call.method = context_->method();
    call.peer = context_->peer();
    for (const auto& [key, value] : context_->client_metadata()) {
      call.metadata.emplace(std::string(key.data(), key.size()),
                            std::string(value.data(), value.size()));
    }
    std::string response;
    status_ = (*handler_)(call, bytes, &response);
    if (!status_.ok()) {
      Finish(status_);
      return;
    }
    grpc::Slice slice(response);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    Finish(ok ? status_
              : grpc::Status(grpc::StatusCode::UNAVAILABLE, "could not send the response"));
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* context_;
  const ServiceTable& table_;
  const UnaryHandler* handler_ = nullptr;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
};

}  // namespace

class Server::GenericService final : public grpc::CallbackGenericService {
 public:
  explicit GenericService(const ServiceTable& table) : table_(table) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new UnaryReactor(context, table_);
  }

 private:
  const ServiceTable& table_;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const Options& options,
                                                      const ServiceTable& table) {
  std::unique_ptr<Server> server(new Server());
  server->service_ = std::make_unique<GenericService>(table);
  grpc::ServerBuilder builder;
  std::string address = absl::StrFormat("%s:%d", options.bind_address, options.port);
  if (options.bind_address.find(':') != std::string::npos) {
    address = absl::StrFormat("[%s]:%d", options.bind_address, options.port);
  }
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterCallbackGenericService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrFormat("cannot serve gRPC on %s (address in use?)", address));
  }
  return server;
}

void Server::Stop(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline));
  server_->Wait();
  server_.reset();
}

Server::~Server() { Stop(); }

}  // namespace cardinalsin::rpc
