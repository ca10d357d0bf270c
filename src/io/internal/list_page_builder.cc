#include "io/internal/list_page_builder.h"

#include <algorithm>

#include "base/strings.h"

namespace cardinalsin::io::internal {

ListPageBuilder::ListPageBuilder(const ListOptions& options)
    : options_(options), lower_bound_(std::max(options.start_after, options.continuation_token)) {}

bool ListPageBuilder::Add(const std::string& key, const ObjectMeta& meta) {
  if (!key.starts_with(options_.prefix)) return true;
  std::string name = key;
  bool is_prefix = false;
  if (!options_.delimiter.empty()) {
    const size_t pos = key.find(options_.delimiter, options_.prefix.size());
    if (pos != std::string::npos) {
      name.resize(pos + options_.delimiter.size());
      is_prefix = true;
    }
  }
  if (emitted_ > 0 && name == last_emitted_) return true;
  if (!lower_bound_.empty() && name <= lower_bound_) return true;
  if (emitted_ == options_.max_keys) {
    page_.next_continuation_token = last_emitted_;
    return false;
  }
  if (is_prefix) {
    page_.common_prefixes.push_back(name);
  } else {
    page_.objects.push_back(meta);
  }
  last_emitted_ = std::move(name);
  ++emitted_;
  return true;
}

ListPage ListPageBuilder::Finish() && { return std::move(page_); }

absl::Status ValidateListOptions(const ListOptions& options) {
  if (options.max_keys < 1 || options.max_keys > 1000) {
    return absl::InvalidArgumentError(
        base::StrCat("max_keys ", options.max_keys, " is outside 1..1000"));
  }
  return absl::OkStatus();
}

}  // namespace cardinalsin::io::internal
