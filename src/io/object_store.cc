#include "io/object_store.h"

#include <algorithm>

#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::io {

absl::Status ValidateKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(base::StrCat("invalid object key '", key, "': ", why));
  };
  if (key.empty()) return bad("empty");
  if (key.size() > kMaxKeyBytes) return bad(base::StrCat("longer than ", kMaxKeyBytes, " bytes"));
  if (key.front() == '/') return bad("starts with '/'");
  for (size_t start = 0; start <= key.size();) {
    const size_t end = std::min(key.find('/', start), key.size());
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) return bad("empty path segment (leading, trailing or double '/')");
    if (segment == "." || segment == "..") return bad("'.' or '..' path segment");
    start = end + 1;
  }
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) return bad("control character");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ObjectMeta>> ListAll(ObjectStore& store, std::string_view prefix) {
  std::vector<ObjectMeta> all;
  ListOptions options;
  options.prefix = std::string(prefix);
  while (true) {
    CS_ASSIGN_OR_RETURN(ListPage page, store.List(options));
    for (ObjectMeta& meta : page.objects) all.push_back(std::move(meta));
    if (page.next_continuation_token.empty()) break;
    options.continuation_token = std::move(page.next_continuation_token);
  }
  return all;
}

absl::StatusOr<ObjectMeta> PutLarge(ObjectStore& store, std::string_view key, std::string_view data,
                                    size_t multipart_threshold, size_t part_bytes) {
  if (data.size() <= multipart_threshold) return store.Put(key, data);
  if (part_bytes < MultipartUpload::kMinPartBytes) {
    return absl::InvalidArgumentError(base::StrCat("multipart part size ", part_bytes,
                                                   " is below the S3 minimum ",
                                                   MultipartUpload::kMinPartBytes));
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<MultipartUpload> upload, store.StartMultipartUpload(key));
  int part_number = 1;
  for (size_t offset = 0; offset < data.size(); offset += part_bytes, ++part_number) {
    absl::Status status = upload->UploadPart(part_number, data.substr(offset, part_bytes));
    if (!status.ok()) {
      (void)upload->Abort();  // The upload error is the one worth reporting.
      return status;
    }
  }
  absl::StatusOr<ObjectMeta> meta = upload->Complete();
  if (!meta.ok()) (void)upload->Abort();
  return meta;
}

}  // namespace cardinalsin::io
