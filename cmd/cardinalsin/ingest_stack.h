// File: ingest_stack.h
//
// The ingester role as `cardinalsin ingester` and `cardinalsin server` run it: its flags, and the
// wiring of Ingester + HTTP routes + OTLP gRPC + OTLP/HTTP port + heartbeat, with an orderly
// shutdown (stop accepting, flush and commit, deregister).
#pragma once

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "common_options.h"
#include "http/router.h"
#include "http/server.h"
#include "ingest/heartbeat.h"
#include "ingest/ingester.h"
#include "rpc/server.h"

namespace cardinalsin::cmd {

struct IngestFlags {
  std::string wal_dir;  // empty = {data-dir}/wal
  bool wal_enabled = true;
  std::string wal_sync_mode = "every_write";
  uint64_t wal_max_segment_size = 64 << 20;
  std::string flush_interval = "10s";
  int flush_interval_secs = 0;  // the original's flag; overrides --flush-interval when set
  size_t flush_max_rows = 1'000'000;
  size_t flush_max_bytes = 64 << 20;
  size_t max_buffer_bytes = 512 << 20;
  size_t max_body_bytes = 16 << 20;
  size_t max_labels_per_series = 64;
  size_t max_label_name_length = 1024;
  size_t max_label_value_length = 4096;
  std::string max_sample_age = "168h";
  std::string max_sample_future = "1h";
  std::string advertise_url;  // empty = http://{bind address or 127.0.0.1}:{http port}
  std::string ingester_id;
};

void AddIngestFlags(CLI::App& app, IngestFlags& flags);

// A running ingester with its servers. Destroying it without Shutdown() also shuts down.
class IngestStack {
 public:
  // Opens the ingester (WAL replay), adds the ingest routes to `router` (which must outlive the
  // stack; the caller serves it on the HTTP port afterwards), and starts OTLP gRPC on the gRPC
  // port and OTLP/HTTP on its own port.
  static absl::StatusOr<std::unique_ptr<IngestStack>> Start(const CommonOptions& common,
                                                            const IngestFlags& flags,
                                                            io::ObjectStore* store,
                                                            http::Router& router);
  // Registers the heartbeat once the HTTP port is bound (`http_port`, for the advertised URL).
  absl::Status Register(io::ObjectStore* store, int http_port);
  ~IngestStack();

  // Stops the gRPC and OTLP/HTTP servers, flushes and commits every buffer, deregisters.
  // Returns the flush error when rows could not be committed (they stay in the WAL).
  absl::Status Shutdown();

  ingest::Ingester& ingester() { return *ingester_; }
  int grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  int otlp_http_port() const { return otlp_http_ ? otlp_http_->port() : 0; }

 private:
  IngestStack() = default;
  std::unique_ptr<ingest::Ingester> ingester_;
  rpc::ServiceTable grpc_table_;
  std::unique_ptr<rpc::Server> grpc_;
  http::Router otlp_router_;
  std::unique_ptr<http::Server> otlp_http_;
  std::unique_ptr<ingest::Heartbeat> heartbeat_;
  CommonOptions common_;
  IngestFlags flags_;
  bool shut_down_ = false;
};

}  // namespace cardinalsin::cmd
