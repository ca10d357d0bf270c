#include "model/tenant.h"

#include "absl/strings/str_format.h"

namespace cardinalsin::model {

absl::Status ValidateTenantId(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 128) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid tenant id \"%s\": must be 1-128 characters", tenant.substr(0, 200)));
  }
  for (char c : tenant) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid tenant id \"%s\": only letters, digits, '_', '-' and '.' are allowed", tenant));
    }
  }
  if (tenant[0] == '.' || tenant[0] == '_') {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid tenant id \"%s\": must not start with '.' or '_'", tenant));
  }
  return absl::OkStatus();
}

}  // namespace cardinalsin::model
