#include "ingest_stack.h"

#include <filesystem>

#include "absl/strings/str_format.h"
#include "base/duration.h"
#include "base/flags.h"
#include "base/status_macros.h"
#include "ingest/chunk_builder.h"
#include "ingest/http_routes.h"
#include "ingest/otlp_grpc.h"
#include "model/tenant.h"
#include "server/health.h"
#include "spdlog/spdlog.h"
#include "wal/sync_policy.h"

namespace cardinalsin::cmd {

void AddIngestFlags(CLI::App& app, IngestFlags& flags) {
  base::AddOption(app, "--wal-dir", flags.wal_dir, "WAL_DIR",
                  "Write-ahead log directory (empty: <data-dir>/wal)");
  base::AddOption(app, "--wal-enabled", flags.wal_enabled, "WAL_ENABLED",
                  "Write-ahead log on (true) or off (false: unflushed writes are lost on a crash)");
  base::AddOption(
      app, "--wal-sync-mode", flags.wal_sync_mode, "WAL_SYNC_MODE",
      "When an acknowledged write is on disk: every_write (group commit), interval_<N>ms|s, "
      "on_rotation, none");
  base::AddOption(app, "--wal-max-segment-size", flags.wal_max_segment_size, "WAL_MAX_SEGMENT_SIZE",
                  "WAL segment size in bytes before rotation (0 = never rotate)");
  base::AddOption(app, "--flush-interval", flags.flush_interval, "FLUSH_INTERVAL",
                  "Flush a tenant's buffer to a chunk once its oldest row is this old");
  base::AddOption(
      app, "--flush-interval-secs", flags.flush_interval_secs, "FLUSH_INTERVAL_SECS",
      "The original's spelling of --flush-interval, in seconds (0 = use --flush-interval)");
  base::AddOption(app, "--flush-max-rows", flags.flush_max_rows, "FLUSH_MAX_ROWS",
                  "Flush at this many buffered rows");
  base::AddOption(app, "--flush-max-bytes", flags.flush_max_bytes, "FLUSH_MAX_BYTES",
                  "Flush at this many buffered bytes");
  base::AddOption(app, "--max-buffer-bytes", flags.max_buffer_bytes, "MAX_BUFFER_BYTES",
                  "Unflushed bytes over all tenants before writes get 429");
  base::AddOption(app, "--max-body-bytes", flags.max_body_bytes, "MAX_BODY_BYTES",
                  "Largest request body (also per gRPC message); larger gets 413");
  base::AddOption(app, "--max-labels-per-series", flags.max_labels_per_series,
                  "MAX_LABELS_PER_SERIES",
                  "Labels per series including __name__; series with more are rejected");
  base::AddOption(app, "--max-label-name-length", flags.max_label_name_length,
                  "MAX_LABEL_NAME_LENGTH", "Bytes per label name");
  base::AddOption(app, "--max-label-value-length", flags.max_label_value_length,
                  "MAX_LABEL_VALUE_LENGTH", "Bytes per label value");
  base::AddOption(app, "--max-sample-age", flags.max_sample_age, "MAX_SAMPLE_AGE",
                  "Reject samples older than this (0 = no limit)");
  base::AddOption(app, "--max-sample-future", flags.max_sample_future, "MAX_SAMPLE_FUTURE",
                  "Reject samples further ahead than this (0 = no limit)");
  base::AddOption(
      app, "--advertise-url", flags.advertise_url, "ADVERTISE_URL",
      "URL query nodes reach this ingester at (empty: http://<bind address>:<http port>)");
  base::AddOption(app, "--ingester-id", flags.ingester_id, "INGESTER_ID",
                  "Stable ingester id (empty: kept in <wal-dir>/ingester_id)");
}

namespace {

absl::StatusOr<absl::Duration> ParseDurationFlag(std::string_view name, const std::string& text) {
  if (text == "0") return absl::ZeroDuration();
  absl::StatusOr<absl::Duration> value = base::ParseHumanDuration(text);
  if (!value.ok())
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid %s: %s", name, value.status().message()));
  return value;
}

absl::StatusOr<ingest::IngesterOptions> IngesterOptionsFrom(const CommonOptions& common,
                                                            const IngestFlags& flags) {
  ingest::IngesterOptions options;
  options.wal_enabled = flags.wal_enabled;
  options.wal.dir = flags.wal_dir.empty()
                        ? (std::filesystem::path(common.object_store.data_dir) / "wal").string()
                        : flags.wal_dir;
  absl::StatusOr<wal::SyncPolicy> sync = wal::ParseSyncPolicy(flags.wal_sync_mode);
  if (!sync.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("invalid WAL_SYNC_MODE: ", sync.status().message()));
  options.wal.sync = *sync;
  options.wal.max_segment_size = flags.wal_max_segment_size;
  if (flags.flush_interval_secs > 0) {
    options.flush_age = absl::Seconds(flags.flush_interval_secs);
  } else {
    CS_ASSIGN_OR_RETURN(options.flush_age,
                        ParseDurationFlag("--flush-interval", flags.flush_interval));
  }
  options.flush_rows = flags.flush_max_rows;
  options.flush_bytes = flags.flush_max_bytes;
  options.max_buffer_bytes = flags.max_buffer_bytes;
  options.limits.max_labels_per_series = flags.max_labels_per_series;
  options.limits.max_label_name_bytes = flags.max_label_name_length;
  options.limits.max_label_value_bytes = flags.max_label_value_length;
  CS_ASSIGN_OR_RETURN(options.limits.max_sample_age,
                      ParseDurationFlag("--max-sample-age", flags.max_sample_age));
  CS_ASSIGN_OR_RETURN(options.limits.max_sample_future,
                      ParseDurationFlag("--max-sample-future", flags.max_sample_future));
  options.node_id = flags.ingester_id;
  if (!options.node_id.empty()) CS_RETURN_IF_ERROR(model::ValidateTenantId(options.node_id));
  options.chunk_options = ingest::DefaultChunkOptions();
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<IngestStack>> IngestStack::Start(const CommonOptions& common,
                                                                const IngestFlags& flags,
                                                                io::ObjectStore* store,
                                                                http::Router& router) {
  CS_RETURN_IF_ERROR(model::ValidateTenantId(common.tenant_id));
  CS_ASSIGN_OR_RETURN(ingest::IngesterOptions options, IngesterOptionsFrom(common, flags));
  std::unique_ptr<IngestStack> stack(new IngestStack());
  stack->common_ = common;
  stack->flags_ = flags;
  CS_ASSIGN_OR_RETURN(stack->ingester_, ingest::Ingester::Open(store, std::move(options)));
  ingest::Ingester& ingester = *stack->ingester_;

  ingest::IngestRoutesOptions routes;
  routes.default_tenant = common.tenant_id;
  ingest::AddIngestRoutes(router, ingester, routes);

  ingest::AddOtlpGrpcService(stack->grpc_table_, ingester, common.tenant_id);
  rpc::Server::Options grpc_options;
  grpc_options.bind_address = common.bind_address;
  grpc_options.port = common.grpc_port;
  grpc_options.max_message_bytes = flags.max_body_bytes;
  CS_ASSIGN_OR_RETURN(stack->grpc_, rpc::Server::Start(grpc_options, stack->grpc_table_));

  ingest::AddIngestRoutes(stack->otlp_router_, ingester, routes);
  http::ServerOptions otlp_options;
  otlp_options.bind_address = common.bind_address;
  otlp_options.port = common.otlp_http_port;
  otlp_options.max_body_bytes = flags.max_body_bytes;
  CS_ASSIGN_OR_RETURN(stack->otlp_http_, http::Server::Start(otlp_options, stack->otlp_router_));

  spdlog::info("ingester {}: OTLP gRPC on {}:{}, OTLP/HTTP on {}:{}, WAL {}", ingester.node_id(),
               common.bind_address, stack->grpc_->port(), common.bind_address,
               stack->otlp_http_->port(), ingester.wal() ? flags.wal_sync_mode : "disabled");
  return stack;
}

absl::Status IngestStack::Register(io::ObjectStore* store, int http_port) {
  std::string url = flags_.advertise_url;
  if (url.empty()) {
    std::string host = common_.bind_address == "0.0.0.0" || common_.bind_address == "::"
                           ? "127.0.0.1"
                           : common_.bind_address;
    url = absl::StrFormat("http://%s:%d", host, http_port);
  }
  heartbeat_ = std::make_unique<ingest::Heartbeat>(
      store, ingest::Heartbeat::Options{.id = ingester_->node_id(), .url = url});
  CS_RETURN_IF_ERROR(heartbeat_->Start());
  spdlog::info("ingester {}: registered as {}", ingester_->node_id(), url);
  return absl::OkStatus();
}

absl::Status IngestStack::Shutdown() {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  if (grpc_) grpc_->Stop();
  if (otlp_http_) otlp_http_->Stop();
  if (!ingester_) return absl::OkStatus();  // Open failed (the data directory is in use, ...)
  absl::Status status = ingester_->Stop();
  if (heartbeat_) heartbeat_->Stop();
  ingest::IngesterStats stats = ingester_->stats();
  spdlog::info("ingester {}: stopped; {} chunks committed ({} rows) this run", ingester_->node_id(),
               stats.chunks_committed, stats.rows_committed);
  return status;
}

IngestStack::~IngestStack() {
  absl::Status status = Shutdown();
  if (!status.ok()) spdlog::error("ingester shutdown: {}", std::string(status.message()));
}

}  // namespace cardinalsin::cmd
