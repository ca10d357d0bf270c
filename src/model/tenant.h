// File: tenant.h
//
// Tenant ids (ARCHITECTURE.md section 2): every write and query names one, through
// `X-Scope-OrgID` or TENANT_ID, and it becomes the prefix of the tenant's object keys. Ingester ids
// follow the same rule, since they become key names too.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace cardinalsin::model {

// 1-128 characters of [A-Za-z0-9_.-], not starting with '.' or '_' (reserved for CardinalSin's own
// prefixes such as `_cluster`). InvalidArgument naming the id otherwise.
[[nodiscard]] absl::Status ValidateTenantId(std::string_view tenant);

}  // namespace cardinalsin::model
