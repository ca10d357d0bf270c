// File: local_object_store.h
//
// The embedded default object store: objects are plain files under a root directory, key
// "a/b/c.parquet" at <root>/a/b/c.parquet, with the same semantics as S3 (object_store.h) so the
// embedded server and a scaled-out deployment run one code path. Format: docs/format/object-keys.md
// ("Local filesystem layout").
//
//   CS_ASSIGN_OR_RETURN(auto store, LocalObjectStore::Open("./data/objects"));
//
// How the guarantees are met, across threads and processes sharing <root>:
// - Atomic writes: data goes to a temp file under <root>/.tmp, is fsynced, renamed over the key,
//   and the parent directory is fsynced. Readers see the old or the new object, never a mix.
// - Conditional puts and deletes take an exclusive flock() on one of 256 lock files
//   (<root>/.locks/NN, NN = FNV-1a-64(key) mod 256), check the condition, then rename.
// - ETag = hex(mtime_ns)-hex(inode)-hex(size). Under the key lock every new version is given an
//   mtime strictly greater than the version it replaces, so successive versions of a key never
//   share an ETag (no ABA for compare-and-swap).
// The names .tmp, .locks and .uploads at the root are reserved; keys starting with them are
// rejected. A key cannot be both an object and a "directory" of other keys ("a" and "a/b"):
// such a put fails with FailedPrecondition naming the conflict. List() sorts all keys under the
// prefix's directory per call, so it is O(n log n) in the number of keys below that directory.
//
// Thread-safety: safe for concurrent use by any number of threads and processes.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "io/object_store.h"

namespace cardinalsin::io {

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates <root> and its internal folders if missing and removes temp files older than an hour
  // left behind by crashed writers. `clock` must outlive the store (used for the temp-file age).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LocalObjectStore>> Open(
      const std::string& root, base::Clock& clock = base::SystemClock());

  std::string Describe() const override { return "local:" + root_; }
  absl::StatusOr<std::string> Get(std::string_view key) override;
  absl::StatusOr<std::string> GetRange(std::string_view key, uint64_t offset,
                                       uint64_t length) override;
  absl::StatusOr<ObjectMeta> Head(std::string_view key) override;
  absl::StatusOr<ObjectMeta> Put(std::string_view key, std::string_view data,
                                 const PutOptions& options = {}) override;
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<ListPage> List(const ListOptions& options) override;
  absl::StatusOr<std::unique_ptr<MultipartUpload>> StartMultipartUpload(
      std::string_view key) override;

  const std::string& root() const { return root_; }

 private:
  friend class LocalMultipartUpload;
  explicit LocalObjectStore(std::string root) : root_(std::move(root)) {}

  // Validates the key and the reserved names; returns the absolute path.
  absl::StatusOr<std::string> PathFor(std::string_view key) const;
  // Writes `data` to a new fsynced temp file and returns its path. Objects of a megabyte or more
  // bypass the page cache (O_DIRECT) where the file system allows it: the store writes an object
  // once and readers seldom want it soon, and allocating page cache for every chunk a busy
  // ingester writes costs more CPU than the write itself.
  absl::StatusOr<std::string> WriteTemp(std::string_view data);
  // Under the key's lock: checks `options`, stamps the temp file's mtime and renames it to `key`.
  absl::StatusOr<ObjectMeta> Commit(std::string_view key, const std::string& temp_path,
                                    const PutOptions& options);
  std::string NewTempName();

  const std::string root_;
  std::atomic<uint64_t> temp_counter_{0};
  std::atomic<bool> direct_unsupported_{false};  // set when O_DIRECT was refused
};

}  // namespace cardinalsin::io
