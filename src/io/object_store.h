// File: object_store.h
//
// The object store interface: the one storage abstraction CardinalSin's durable state lives on
// (chunks, catalog log, checkpoints, leases, heartbeats). S3 semantics are the contract; every
// implementation (LocalObjectStore, S3ObjectStore, InMemoryObjectStore, FaultInjectingObjectStore)
// passes the same conformance suite (object_store_conformance.h).
//
//   CS_ASSIGN_OR_RETURN(ObjectMeta meta, store.Put("t/_catalog/log/00000000000000000007.json",
//                                                  body, {.mode = PutMode::kCreateIfAbsent}));
//   // FailedPrecondition here means another writer won sequence 7.
//
// Keys: UTF-8 byte strings of 1..kMaxKeyBytes bytes made of '/'-separated segments that are
// non-empty and not "." or "..", with no control characters: so no leading, trailing or double
// '/'. Implementations reject other keys with InvalidArgument.
//
// Error contract (absl::StatusCode), identical across implementations:
//   kNotFound            the key (or multipart upload) does not exist
//   kFailedPrecondition  a conditional put lost: the key exists (kCreateIfAbsent) or its ETag
//                        differs / the key is missing (kUpdateIfMatch). Nothing was written.
//   kInvalidArgument     bad key, bad range, bad part number, or a request the store refused
//   kUnavailable         transient failure that survived the implementation's retries
//   kDeadlineExceeded    the request timed out (after retries)
//   kPermissionDenied    credentials rejected
//   kResourceExhausted   the store is out of space
//   kDataLoss            the store returned bytes that fail an integrity check
//   kInternal            anything else, with the store's message
//
// ETags are opaque tokens, compared only for equality, and always returned without surrounding
// quotes. A successful Put returns the new object's ETag; an overwrite always changes it unless
// the content is byte-identical (S3 may keep it then, so callers must not rely on a change).
//
// Thread-safety: every implementation is safe for concurrent use by many threads, and the local
// and S3 implementations are safe for concurrent use by many processes sharing the same storage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cardinalsin::io {

inline constexpr size_t kMaxKeyBytes = 1024;

struct ObjectMeta {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // unquoted
  absl::Time last_modified = absl::InfinitePast();
};

enum class PutMode {
  kOverwrite,       // unconditional
  kCreateIfAbsent,  // S3 `If-None-Match: *`
  kUpdateIfMatch,   // S3 `If-Match: <etag>` (compare-and-swap)
};

struct PutOptions {
  PutMode mode = PutMode::kOverwrite;
  // REQUIRES: non-empty iff mode == kUpdateIfMatch. Unquoted, as returned by Head/Put.
  std::string if_match_etag;
};

struct ListOptions {
  std::string prefix;
  // When non-empty, keys containing `delimiter` after `prefix` are rolled up into common_prefixes
  // (S3 semantics); "/" is the only delimiter every implementation must support.
  std::string delimiter;
  // Resume token from a previous ListPage, or empty for the first page.
  std::string continuation_token;
  // Only keys strictly greater than this are returned (used for tailing a sequence-numbered log).
  std::string start_after;
  // Maximum objects + common prefixes per page, 1..1000.
  int max_keys = 1000;
};

struct ListPage {
  std::vector<ObjectMeta> objects;           // ascending by key (byte order)
  std::vector<std::string> common_prefixes;  // ascending, each ends with the delimiter
  std::string next_continuation_token;       // empty when this is the last page
};

// An in-progress multipart upload of one object. Parts are numbered 1..10000; every part but the
// last must be at least kMinPartBytes for S3 compatibility. Nothing is visible under the key until
// Complete() succeeds; Abort() (or destruction without Complete) discards the parts.
//
// Thread-safety: UploadPart may be called concurrently for different part numbers.
class MultipartUpload {
 public:
  static constexpr size_t kMinPartBytes = 5 * 1024 * 1024;

  virtual ~MultipartUpload() = default;
  // Uploads (or replaces) part `part_number`. `data` is only read during the call.
  [[nodiscard]] virtual absl::Status UploadPart(int part_number, std::string_view data) = 0;
  // Assembles all uploaded parts in part-number order and makes the object visible. Unconditional
  // (some S3 servers ignore preconditions on completion), so use it for unique keys only.
  [[nodiscard]] virtual absl::StatusOr<ObjectMeta> Complete() = 0;
  [[nodiscard]] virtual absl::Status Abort() = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // A short human description for logs and errors, e.g. "local:/srv/data" or "s3://bucket".
  virtual std::string Describe() const = 0;

  // Whole object.
  [[nodiscard]] virtual absl::StatusOr<std::string> Get(std::string_view key) = 0;
  // Bytes [offset, offset + length) of the object, shorter if the object ends first.
  // InvalidArgument when offset >= size (and size > 0) or length == 0.
  [[nodiscard]] virtual absl::StatusOr<std::string> GetRange(std::string_view key, uint64_t offset,
                                                             uint64_t length) = 0;
  [[nodiscard]] virtual absl::StatusOr<ObjectMeta> Head(std::string_view key) = 0;
  [[nodiscard]] virtual absl::StatusOr<ObjectMeta> Put(std::string_view key, std::string_view data,
                                                       const PutOptions& options = {}) = 0;
  // Deleting a missing key succeeds (S3 semantics).
  [[nodiscard]] virtual absl::Status Delete(std::string_view key) = 0;
  [[nodiscard]] virtual absl::StatusOr<ListPage> List(const ListOptions& options) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<MultipartUpload>> StartMultipartUpload(
      std::string_view key) = 0;
};

// Returns OK or InvalidArgument naming the problem with `key` (see the key rules above).
[[nodiscard]] absl::Status ValidateKey(std::string_view key);

// Lists every object under `prefix` (no delimiter), following continuation tokens.
[[nodiscard]] absl::StatusOr<std::vector<ObjectMeta>> ListAll(ObjectStore& store,
                                                              std::string_view prefix);

// Writes `data` with a multipart upload of `part_bytes` parts when it is larger than
// `multipart_threshold`, otherwise with one Put. Aborts the upload on failure.
[[nodiscard]] absl::StatusOr<ObjectMeta> PutLarge(ObjectStore& store, std::string_view key,
                                                  std::string_view data,
                                                  size_t multipart_threshold = 16 << 20,
                                                  size_t part_bytes = 8 << 20);

}  // namespace cardinalsin::io
