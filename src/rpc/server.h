// File: server.h
//
// A gRPC server without generated code: methods are registered by their full name and receive
// the raw (already decompressed) request bytes, which CardinalSin's own decoders parse. This is
// how OTLP `Export` (and later Arrow Flight) are served on the gRPC port without .proto files.
//
//   rpc::Server::Options options{.bind_address = "127.0.0.1", .port = 4317};
//   rpc::ServiceTable table;
//   table.AddUnary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
//                  [&](const rpc::CallInfo& call, std::string_view request, std::string* response)
//                  {
//                    return grpc::Status::OK;
//                  });
//   CS_ASSIGN_OR_RETURN(std::unique_ptr<rpc::Server> server, rpc::Server::Start(options, table));
//
// Unknown methods get UNIMPLEMENTED naming the method. Requests over `max_message_bytes` get
// RESOURCE_EXHAUSTED from gRPC itself. Compressed requests (grpc-encoding gzip or deflate) are
// decompressed by gRPC before the handler sees them.
//
// Thread-safety: handlers run on gRPC's threads, concurrently; they must be thread-safe.
// Ownership: the ServiceTable must outlive the Server.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace cardinalsin::rpc {

struct CallInfo {
  std::string method;
  std::string peer;
  std::multimap<std::string, std::string> metadata;  // client metadata, keys lower-case

  // The first value of metadata `key` (lower-case), or `fallback`.
  std::string Get(std::string_view key, std::string_view fallback = {}) const;
};

using UnaryHandler = std::function<grpc::Status(const CallInfo& call, std::string_view request,
                                                std::string* response)>;

class ServiceTable {
 public:
  // REQUIRES: `method` is "/package.Service/Method" and was not added before.
  void AddUnary(std::string method, UnaryHandler handler);
  const UnaryHandler* Find(std::string_view method) const;

 private:
  std::map<std::string, UnaryHandler, std::less<>> unary_;
};

class Server {
 public:
  struct Options {
    std::string bind_address = "0.0.0.0";
    int port = 0;  // 0 = ephemeral, see port()
    size_t max_message_bytes = 16 << 20;
  };
  // Binds and starts serving. Unavailable naming "address:port" when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const Options& options,
                                                       const ServiceTable& table);
  ~Server();

  int port() const { return port_; }
  // Stops accepting calls, waits up to `deadline` for running ones. Idempotent.
  void Stop(absl::Duration deadline = absl::Seconds(5));

 private:
  class GenericService;
  Server() = default;

  std::unique_ptr<GenericService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace cardinalsin::rpc
