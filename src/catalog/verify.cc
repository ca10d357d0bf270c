// ListTenants() and Verify() from catalog.h.

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "catalog/catalog.h"

namespace cardinalsin::catalog {
namespace {

// Every object or common prefix of one List() call, following continuation tokens.
absl::StatusOr<io::ListPage> ListEverything(io::ObjectStore& store, io::ListOptions options) {
  io::ListPage all;
  while (true) {
    CS_ASSIGN_OR_RETURN(io::ListPage page, store.List(options));
    for (io::ObjectMeta& meta : page.objects) all.objects.push_back(std::move(meta));
    for (std::string& prefix : page.common_prefixes) {
      all.common_prefixes.push_back(std::move(prefix));
    }
    if (page.next_continuation_token.empty()) return all;
    options.continuation_token = std::move(page.next_continuation_token);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListTenants(io::ObjectStore* store) {
  CS_ASSIGN_OR_RETURN(io::ListPage root, ListEverything(*store, {.delimiter = "/"}));
  std::vector<std::string> tenants;
  for (const std::string& prefix : root.common_prefixes) {
    std::string tenant = prefix.substr(0, prefix.size() - 1);  // drop the trailing '/'
    if (!ValidateTenant(tenant).ok()) continue;  // not something a catalog could belong to
    CS_ASSIGN_OR_RETURN(io::ListPage page,
                        store->List({.prefix = base::StrCat(prefix, "_catalog/"), .max_keys = 1}));
    if (!page.objects.empty()) tenants.push_back(std::move(tenant));
  }
  std::sort(tenants.begin(), tenants.end());
  return tenants;
}

absl::StatusOr<VerifyReport> Verify(io::ObjectStore* store, const std::string& tenant) {
  CS_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog, Catalog::Open(store, tenant, {}));
  std::shared_ptr<const Snapshot> before = catalog->snapshot();
  CS_ASSIGN_OR_RETURN(std::vector<io::ObjectMeta> objects, io::ListAll(*store, DataPrefix(tenant)));
  // Commits that landed while listing: a chunk uploaded and committed meanwhile is live in
  // `after`, not an orphan; a chunk removed and deleted meanwhile is not missing.
  CS_RETURN_IF_ERROR(catalog->Refresh());
  std::shared_ptr<const Snapshot> after = catalog->snapshot();

  VerifyReport report;
  report.seq = after->seq;
  report.live_chunks = after->chunks.size();
  std::map<std::string_view, uint64_t> sizes;
  for (const io::ObjectMeta& meta : objects) sizes.emplace(meta.key, meta.size);
  std::set<std::string_view> removed;
  for (const RemovedChunk& r : after->removed) removed.insert(r.path);

  for (const auto& [path, summary] : after->chunks) {
    auto it = sizes.find(path);
    if (it == sizes.end()) {
      if (before->chunks.contains(path)) report.missing.push_back(path);
    } else if (summary.size_bytes != 0 && it->second != summary.size_bytes) {
      report.problems.push_back(
          absl::StrFormat("chunk %s is %d bytes in the store but %d bytes in the catalog", path,
                          it->second, summary.size_bytes));
    }
  }
  for (const auto& [key, size] : sizes) {
    if (after->chunks.contains(std::string(key))) continue;
    if (removed.contains(key)) {
      report.awaiting_gc.emplace_back(key);
    } else {
      report.orphans.emplace_back(key);
    }
  }

  // The log is read until the first missing seq, so an entry after a gap is silently ignored
  // by every reader; report it.
  const std::string log_prefix = base::StrCat(tenant, "/_catalog/log/");
  CS_ASSIGN_OR_RETURN(io::ListPage log, store->List({.prefix = log_prefix,
                                                     .start_after = LogKey(tenant, after->seq)}));
  uint64_t expected = after->seq + 1;  // later entries may be committed while we look
  for (const io::ObjectMeta& meta : log.objects) {
    if (meta.key == LogKey(tenant, expected)) {
      ++expected;
      continue;
    }
    report.problems.push_back(absl::StrFormat(
        "log object %s is not log entry %d, so readers, which stop at the first missing entry, "
        "never see it",
        meta.key, expected));
    break;
  }
  for (const std::string& warning : catalog->load_warnings()) report.problems.push_back(warning);
  std::sort(report.problems.begin(), report.problems.end());
  return report;
}

}  // namespace cardinalsin::catalog
