#include "io/in_memory_object_store.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "io/internal/list_page_builder.h"

namespace cardinalsin::io {
namespace {

// Parts are kept by the upload and only touch the store in Complete().
class InMemoryMultipartUpload final : public MultipartUpload {
 public:
  InMemoryMultipartUpload(InMemoryObjectStore* store, std::string key)
      : store_(store), key_(std::move(key)) {}

  absl::Status UploadPart(int part_number, std::string_view data) override {
    if (part_number < 1 || part_number > 10000) {
      return absl::InvalidArgumentError(
          base::StrCat("part number ", part_number, " is outside 1..10000 for ", key_));
    }
    absl::MutexLock lock(&mu_);
    if (finished_) return absl::FailedPreconditionError("multipart upload already finished");
    parts_[part_number] = std::string(data);
    return absl::OkStatus();
  }

  absl::StatusOr<ObjectMeta> Complete() override {
    std::string data;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return absl::FailedPreconditionError("multipart upload already finished");
      if (parts_.empty()) {
        return absl::InvalidArgumentError(
            base::StrCat("multipart upload for ", key_, " has no parts"));
      }
      for (const auto& [number, part] : parts_) data += part;
      finished_ = true;
      parts_.clear();
    }
    return store_->Put(key_, data, {});
  }

  absl::Status Abort() override {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    parts_.clear();
    return absl::OkStatus();
  }

 private:
  InMemoryObjectStore* store_;
  const std::string key_;
  absl::Mutex mu_;
  std::map<int, std::string> parts_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::string> InMemoryObjectStore::Get(std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return absl::NotFoundError(base::StrCat("object not found: ", key));
  return it->second.data;
}

absl::StatusOr<std::string> InMemoryObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                          uint64_t length) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return absl::NotFoundError(base::StrCat("object not found: ", key));
  const std::string& data = it->second.data;
  if (length == 0 || (offset >= data.size() && !data.empty()) || (data.empty() && offset > 0)) {
    return absl::InvalidArgumentError(base::StrCat("range [", offset, ", +", length,
                                                   ") is not satisfiable for ", key, " of ",
                                                   data.size(), " bytes"));
  }
  return data.substr(std::min<uint64_t>(offset, data.size()), length);
}

absl::StatusOr<ObjectMeta> InMemoryObjectStore::Head(std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return absl::NotFoundError(base::StrCat("object not found: ", key));
  return it->second.meta;
}

absl::StatusOr<ObjectMeta> InMemoryObjectStore::Put(std::string_view key, std::string_view data,
                                                    const PutOptions& options) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  const bool exists = it != objects_.end();
  if (options.mode == PutMode::kCreateIfAbsent && exists) {
    return absl::FailedPreconditionError(
        base::StrCat("precondition failed: ", key, " already exists (create-if-absent)"));
  }
  if (options.mode == PutMode::kUpdateIfMatch) {
    if (options.if_match_etag.empty()) {
      return absl::InvalidArgumentError("update-if-match put without an etag");
    }
    if (!exists || it->second.meta.etag != options.if_match_etag) {
      return absl::FailedPreconditionError(base::StrCat(
          "precondition failed: ", key, exists ? " has a different etag" : " does not exist",
          " (if-match ", options.if_match_etag, ")"));
    }
  }
  Object object{std::string(data), ObjectMeta{.key = std::string(key),
                                              .size = data.size(),
                                              .etag = absl::StrFormat("m%016x", next_version_++),
                                              .last_modified = clock_.Now()}};
  ObjectMeta meta = object.meta;
  objects_.insert_or_assign(std::string(key), std::move(object));
  return meta;
}

absl::Status InMemoryObjectStore::Delete(std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<ListPage> InMemoryObjectStore::List(const ListOptions& options) {
  CS_RETURN_IF_ERROR(internal::ValidateListOptions(options));
  internal::ListPageBuilder builder(options);
  absl::MutexLock lock(&mu_);
  for (auto it = objects_.lower_bound(std::max(options.prefix, builder.lower_bound()));
       it != objects_.end() && it->first.starts_with(options.prefix); ++it) {
    if (!builder.Add(it->first, it->second.meta)) break;
  }
  return std::move(builder).Finish();
}

absl::StatusOr<std::unique_ptr<MultipartUpload>> InMemoryObjectStore::StartMultipartUpload(
    std::string_view key) {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  return std::unique_ptr<MultipartUpload>(new InMemoryMultipartUpload(this, std::string(key)));
}

size_t InMemoryObjectStore::SizeForTest() const {
  absl::MutexLock lock(&mu_);
  return objects_.size();
}

}  // namespace cardinalsin::io
