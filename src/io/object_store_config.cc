#include "io/object_store_config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "base/flags.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "io/in_memory_object_store.h"
#include "io/local_object_store.h"
#include "io/s3_object_store.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::io {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

void AddObjectStoreOptions(CLI::App& app, ObjectStoreConfig& config) {
  base::AddOption(app, "--cloud-provider", config.cloud_provider, "CLOUD_PROVIDER",
                  "Object store: local (files under --data-dir), memory, aws|s3");
  base::AddOption(app, "--data-dir", config.data_dir, "DATA_DIR",
                  "Root of the local object store and the WAL");
  base::AddOption(app, "--storage-container", config.storage_container, "STORAGE_CONTAINER",
                  "Bucket (S3, required) or folder under --data-dir (local, default "
                  "cardinalsin-data) holding all objects");
  base::AddOption(app, "--s3-endpoint", config.s3_endpoint, "S3_ENDPOINT",
                  "S3-compatible endpoint URL (MinIO, Ceph RGW); empty = AWS");
  base::AddOption(app, "--s3-region", config.s3_region, "S3_REGION", "S3 region for signing");
  base::AddOption(app, "--aws-access-key-id", config.aws_access_key_id, "AWS_ACCESS_KEY_ID",
                  "S3 access key id");
  base::AddOption(app, "--aws-secret-access-key", config.aws_secret_access_key,
                  "AWS_SECRET_ACCESS_KEY", "S3 secret access key");
  base::AddOption(app, "--aws-session-token", config.aws_session_token, "AWS_SESSION_TOKEN",
                  "S3 session token (temporary credentials)");
  base::AddOption(app, "--s3-url-style", config.s3_url_style, "S3_URL_STYLE",
                  "auto (path-style with --s3-endpoint, else virtual-host), path, virtual-host")
      ->check(CLI::IsMember({"auto", "path", "virtual-host"}));
  base::AddOption(app, "--s3-if-match-etag", config.s3_if_match_etag, "S3_IF_MATCH_ETAG",
                  "How to send ETags in If-Match: quoted (AWS, MinIO) or unquoted (Ceph RGW)")
      ->check(CLI::IsMember({"quoted", "unquoted"}));
}

absl::Status ResolveObjectStoreConfig(ObjectStoreConfig& config) {
  if (Env("CLOUD_PROVIDER").empty() && !Env("STORAGE_BACKEND").empty() &&
      config.cloud_provider == "local") {
    spdlog::warn("STORAGE_BACKEND is deprecated; use CLOUD_PROVIDER");
    config.cloud_provider = Env("STORAGE_BACKEND");
  }
  if (config.storage_container.empty() && !Env("S3_BUCKET").empty()) {
    config.storage_container = Env("S3_BUCKET");
  }
  const std::string provider = absl::AsciiStrToLower(config.cloud_provider);
  if (provider == "local" || provider == "memory") {
    config.cloud_provider = provider;
    if (config.storage_container.empty()) config.storage_container = kDefaultLocalContainer;
  } else if (provider == "aws" || provider == "s3") {
    config.cloud_provider = "aws";
    if (config.storage_container.empty()) {
      return absl::InvalidArgumentError(
          "STORAGE_CONTAINER or S3_BUCKET required when CLOUD_PROVIDER=aws");
    }
  } else if (provider == "gcp" || provider == "gcs" || provider == "azure") {
    return absl::UnimplementedError(
        base::StrCat("cloud provider '", config.cloud_provider,
                     "' is not available in this build; use aws with an S3-compatible endpoint"));
  } else {
    return absl::InvalidArgumentError(base::StrCat(
        "invalid cloud-provider override '", config.cloud_provider, "': unknown cloud provider '",
        config.cloud_provider, "'; expected one of local, memory, aws, gcp, azure"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(const ObjectStoreConfig& config,
                                                             base::Clock& clock,
                                                             base::Random& random) {
  if (config.cloud_provider == "memory") {
    return std::unique_ptr<ObjectStore>(new InMemoryObjectStore(clock));
  }
  if (config.cloud_provider == "local") {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<LocalObjectStore> store,
                        LocalObjectStore::Open(
                            base::StrCat(config.data_dir, "/", config.storage_container), clock));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  if (config.cloud_provider == "aws") {
    S3Config s3;
    s3.endpoint = config.s3_endpoint;
    s3.bucket = config.storage_container;
    s3.region = config.s3_region;
    s3.access_key_id = config.aws_access_key_id;
    s3.secret_access_key = config.aws_secret_access_key;
    s3.session_token = config.aws_session_token;
    s3.path_style = config.s3_url_style == "path" ||
                    (config.s3_url_style == "auto" && !config.s3_endpoint.empty());
    s3.quote_etag_in_if_match = config.s3_if_match_etag == "quoted";
    CS_ASSIGN_OR_RETURN(std::unique_ptr<S3ObjectStore> store,
                        S3ObjectStore::Create(std::move(s3), clock, random));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  return absl::InvalidArgumentError(
      base::StrCat("object store config not resolved: provider '", config.cloud_provider, "'"));
}

}  // namespace cardinalsin::io
