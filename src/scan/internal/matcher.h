// File: internal/matcher.h
//
// Compiled string conditions of a ScanRequest (the metric-name condition and each label
// predicate): exact evaluation on values, plus what the condition tells the pruning levels
// (byte-order bounds and, when finite, the exact set of matching values).
//
// Thread-safety: immutable after Compile*(); safe for concurrent use.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/column.h"
#include "re2/re2.h"
#include "scan/scan_request.h"

namespace cardinalsin::scan::internal {

class StringMatcher {
 public:
  StringMatcher() = default;  // matches everything
  // REQUIRES: the condition passed ValidateScanRequest (regexes compile).
  [[nodiscard]] static absl::StatusOr<StringMatcher> ForMetric(const MetricCondition& condition);
  [[nodiscard]] static absl::StatusOr<StringMatcher> ForLabel(const LabelPredicate& predicate);

  // True when every present value matches (no condition at all).
  bool matches_everything() const { return kind_ == Kind::kAll; }
  // Whether a present value matches.
  bool Matches(std::string_view value) const;
  // Whether a row without the value (absent label, NULL) matches.
  bool matches_absent() const { return matches_absent_; }
  // Whether some value in the byte-order range [min, max] may match. Conservative: true unless
  // the condition proves that none does.
  bool MayMatchRange(std::string_view min, std::string_view max) const;

  // Inclusive byte-order bounds of the present values that match, when known.
  const std::optional<std::string>& lower() const { return lower_; }
  const std::optional<std::string>& upper() const { return upper_; }
  // The matching present values when the condition is a finite set (sorted, distinct); else
  // nullopt.
  const std::optional<std::vector<std::string>>& exact_set() const { return exact_; }

  // One byte per row of `column` (a string column, plain or dictionary): 1 when the row matches
  // (nulls decided by matches_absent()). Rows where `keep` is 0 are skipped (left 0).
  // REQUIRES: column.type() == kString; keep.size() == column.size().
  void Evaluate(const model::Column& column, std::vector<uint8_t>& keep) const;

 private:
  enum class Kind { kAll, kSet, kNotEqual, kPrefix, kRegex, kNotRegex };
  static absl::StatusOr<std::shared_ptr<const re2::RE2>> CompileRegex(const std::string& pattern);
  void SetRegexBounds();

  Kind kind_ = Kind::kAll;
  std::vector<std::string> set_;  // kSet (sorted, distinct); kNotEqual, kPrefix: one value
  std::shared_ptr<const re2::RE2> regex_;
  bool full_match_ = true;
  bool matches_absent_ = true;
  std::optional<std::string> lower_, upper_;
  std::optional<std::vector<std::string>> exact_;
};

// The smallest string greater than every string that starts with `prefix`, or nullopt when
// there is none (empty prefix or all bytes 0xff).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

}  // namespace cardinalsin::scan::internal
