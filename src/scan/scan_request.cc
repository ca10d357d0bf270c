#include "scan/scan_request.h"

#include <set>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "model/types.h"
#include "scan/internal/matcher.h"

namespace cardinalsin::scan {

absl::Status ValidateScanRequest(const ScanRequest& request) {
  if (request.tenant.empty()) return absl::InvalidArgumentError("scan request: no tenant");
  if (request.min_time_ns > request.max_time_ns) {
    return absl::InvalidArgumentError(
        absl::StrFormat("scan request: time range [%d, %d] is empty (start after end)",
                        request.min_time_ns, request.max_time_ns));
  }
  CS_RETURN_IF_ERROR(internal::StringMatcher::ForMetric(request.metric).status());
  for (const LabelPredicate& predicate : request.labels) {
    if (predicate.name.empty()) {
      return absl::InvalidArgumentError("scan request: label predicate without a label name");
    }
    if (model::IsReservedColumnName(predicate.name) || predicate.name == "__name__") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "scan request: '%s' is not a label column; use the request's time range or "
          "metric condition",
          predicate.name));
    }
    CS_RETURN_IF_ERROR(internal::StringMatcher::ForLabel(predicate).status());
  }
  std::set<std::string> seen;
  for (const std::string& column : request.columns) {
    if (column.empty()) return absl::InvalidArgumentError("scan request: empty column name");
    if (!seen.insert(column).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("scan request: column '%s' is projected twice", column));
    }
  }
  return absl::OkStatus();
}

}  // namespace cardinalsin::scan
