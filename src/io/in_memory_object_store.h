// File: in_memory_object_store.h
//
// An ObjectStore held in process memory with exactly the semantics of object_store.h. For unit
// tests of everything above io (catalog, flush, compaction) and for `--cloud-provider memory`.
// Data does not survive the process.
//
// Thread-safety: safe for concurrent use; one mutex guards the whole map.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "io/object_store.h"

namespace cardinalsin::io {

class InMemoryObjectStore final : public ObjectStore {
 public:
  // `clock` stamps last_modified and must outlive the store.
  explicit InMemoryObjectStore(base::Clock& clock = base::SystemClock()) : clock_(clock) {}

  std::string Describe() const override { return "memory"; }
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

  // Number of stored objects, for tests.
  size_t SizeForTest() const;

 private:
  struct Object {
    std::string data;
    ObjectMeta meta;
  };

  base::Clock& clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Object, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace cardinalsin::io
