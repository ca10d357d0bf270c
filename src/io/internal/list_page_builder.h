// File: internal/list_page_builder.h
//
// S3 ListObjectsV2 paging for stores that enumerate keys themselves (local, in-memory): prefix
// filtering, delimiter roll-up into common prefixes, start-after / continuation-token bounds and
// max-keys. The continuation token is the last name emitted (a key or a common prefix), so a token
// that is a common prefix also skips every key under it on the next page.
//
//   ListPageBuilder builder(options);
//   for (each key in ascending byte order) if (!builder.Add(key, meta)) break;
//   return std::move(builder).Finish();
//
// Not thread-safe; one builder per List() call.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "io/object_store.h"

namespace cardinalsin::io::internal {

class ListPageBuilder {
 public:
  // REQUIRES: ValidateListOptions(options).ok(). `options` must outlive the builder.
  explicit ListPageBuilder(const ListOptions& options);

  // The smallest key that can still appear on this page (for seeking/pruning an enumeration).
  const std::string& lower_bound() const { return lower_bound_; }

  // Offers the next key; keys must arrive in ascending byte order. Returns false once the page is
  // full and more entries exist (the caller stops enumerating).
  bool Add(const std::string& key, const ObjectMeta& meta);

  ListPage Finish() &&;

 private:
  const ListOptions& options_;
  const std::string lower_bound_;
  ListPage page_;
  std::string last_emitted_;
  int emitted_ = 0;
};

// InvalidArgument for max_keys outside 1..1000.
[[nodiscard]] absl::Status ValidateListOptions(const ListOptions& options);

}  // namespace cardinalsin::io::internal
