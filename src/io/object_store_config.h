// File: object_store_config.h
//
// Which object store a process uses, from flags and environment variables (names from the
// compatibility contract, reference/original-cardinalsin.md section 9.4), and the factory that
// opens it.
//
//   io::ObjectStoreConfig config;
//   io::AddObjectStoreOptions(*subcommand, config);      // before parsing
//   CS_ASSIGN_OR_RETURN(auto store, io::OpenObjectStore(config, clock, random));
//
// Providers: `local` (default: files under <data-dir>/<container>), `memory` (in-process, for
// tests), `aws` / `s3` (AWS S3 or any S3-compatible server via S3_ENDPOINT).
#pragma once

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "io/object_store.h"

namespace cardinalsin::io {

inline constexpr char kDefaultLocalContainer[] = "cardinalsin-data";

struct ObjectStoreConfig {
  std::string cloud_provider = "local";
  std::string data_dir = "./data";
  // Empty = kDefaultLocalContainer for local/memory; required (STORAGE_CONTAINER or S3_BUCKET)
  // for aws.
  std::string storage_container;
  std::string s3_endpoint;  // empty = AWS
  std::string s3_region = "us-east-1";
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;
  std::string s3_url_style = "auto";        // auto, path, virtual-host
  std::string s3_if_match_etag = "quoted";  // quoted, unquoted (Ceph RGW)
};

// Registers --cloud-provider, --data-dir, --storage-container and the S3 options on `app`.
// `config` must outlive parsing.
void AddObjectStoreOptions(CLI::App& app, ObjectStoreConfig& config);

// Applies the deprecated aliases (STORAGE_BACKEND, S3_BUCKET) and validates the provider.
// Returns InvalidArgument with the contract's message for an unknown provider.
[[nodiscard]] absl::Status ResolveObjectStoreConfig(ObjectStoreConfig& config);

// Opens the configured store. `clock` and `random` must outlive it.
[[nodiscard]] absl::StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(
    const ObjectStoreConfig& config, base::Clock& clock, base::Random& random);

}  // namespace cardinalsin::io
