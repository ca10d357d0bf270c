#include "scan/internal/matcher.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cardinalsin::scan::internal {
namespace {

// Longest bound RE2 computes for a regex; longer bounds prune no better on metric names.
constexpr int kRegexBoundBytes = 128;

// Most strings a regex is expanded into (LiteralAlternatives).
constexpr size_t kMaxAlternatives = 256;

// Expands a regex made only of literal characters, alternations and groups of them, such as
// `a|b`, `host_(1|2|13)` or `(?:GET|POST)/x\.y`, into the strings it fully matches (sorted,
// distinct). nullopt for anything else (a class, a quantifier, `.`, an anchor, a flag) or when
// there would be more than kMaxAlternatives of them.
class LiteralAlternatives {
 public:
  static std::optional<std::vector<std::string>> Of(std::string_view pattern) {
    LiteralAlternatives parser(pattern);
    std::optional<std::vector<std::string>> out = parser.Alternation();
    if (!out || parser.pos_ != pattern.size()) return std::nullopt;
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    return out;
  }

 private:
  explicit LiteralAlternatives(std::string_view pattern) : p_(pattern) {}

  // alternation := concatenation ('|' concatenation)*
  std::optional<std::vector<std::string>> Alternation() {
    std::optional<std::vector<std::string>> out = Concatenation();
    while (out && pos_ < p_.size() && p_[pos_] == '|') {
      ++pos_;
      std::optional<std::vector<std::string>> more = Concatenation();
      if (!more || out->size() + more->size() > kMaxAlternatives) return std::nullopt;
      out->insert(out->end(), more->begin(), more->end());
    }
    return out;
  }

  // concatenation := (literal | '\' punctuation | '(' ['?:'] alternation ')')*
  std::optional<std::vector<std::string>> Concatenation() {
    std::vector<std::string> out = {""};
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      const char c = p_[pos_];
      std::vector<std::string> next;
      if (c == '(') {
        ++pos_;
        if (p_.substr(pos_, 2) == "?:") {
          pos_ += 2;
        } else if (pos_ < p_.size() && p_[pos_] == '?') {
          return std::nullopt;  // a flag group or a named group
        }
        std::optional<std::vector<std::string>> group = Alternation();
        if (!group || pos_ >= p_.size() || p_[pos_] != ')') return std::nullopt;
        ++pos_;
        next = *std::move(group);
      } else if (c == '\\') {
        if (pos_ + 1 >= p_.size()) return std::nullopt;
        const char escaped = p_[pos_ + 1];
        // \. \- \\ and the like are literals; \d \w \b \Q \x and the like are not.
        if (std::isalnum(static_cast<unsigned char>(escaped)) || escaped == '_')
          return std::nullopt;
        next = {std::string(1, escaped)};
        pos_ += 2;
      } else if (std::string_view(".[]{}*+?^$").find(c) != std::string_view::npos) {
        return std::nullopt;
      } else {
        next = {std::string(1, c)};
        ++pos_;
      }
      // A group followed by a quantifier is not a literal either.
      if (pos_ < p_.size() && std::string_view("*+?{").find(p_[pos_]) != std::string_view::npos) {
        return std::nullopt;
      }
      if (out.size() * next.size() > kMaxAlternatives) return std::nullopt;
      std::vector<std::string> product;
      product.reserve(out.size() * next.size());
      for (const std::string& a : out) {
        for (const std::string& b : next) product.push_back(a + b);
      }
      out = std::move(product);
    }
    return out;
  }

  std::string_view p_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string next(prefix);
  while (!next.empty()) {
    unsigned char last = static_cast<unsigned char>(next.back());
    if (last != 0xff) {
      next.back() = static_cast<char>(last + 1);
      return next;
    }
    next.pop_back();
  }
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<const re2::RE2>> StringMatcher::CompileRegex(
    const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);  // Prometheus 3 and PostgreSQL `~` both let `.` match a newline.
  auto regex = std::make_shared<const re2::RE2>(pattern, options);
  if (!regex->ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid regular expression \"%s\": %s", pattern, regex->error()));
  }
  return regex;
}

void StringMatcher::SetRegexBounds() {
  // A bound is valid for matches anchored at the start, which full matches are.
  if (!full_match_) return;
  std::string min, max;
  if (regex_->PossibleMatchRange(&min, &max, kRegexBoundBytes)) {
    lower_ = std::move(min);
    upper_ = std::move(max);
  }
}

absl::StatusOr<StringMatcher> StringMatcher::ForMetric(const MetricCondition& condition) {
  StringMatcher m;
  m.matches_absent_ = false;  // metric_name is never absent
  switch (condition.kind) {
    case MetricCondition::Kind::kAny:
      m.kind_ = Kind::kAll;
      m.matches_absent_ = true;
      break;
    case MetricCondition::Kind::kExact:
      m.kind_ = Kind::kSet;
      m.set_ = condition.values;
      break;
    case MetricCondition::Kind::kPrefix:
      if (condition.values.size() != 1) {
        return absl::InvalidArgumentError("metric prefix condition needs exactly one value");
      }
      m.kind_ = Kind::kPrefix;
      m.set_ = condition.values;
      if (!m.set_[0].empty()) m.lower_ = m.set_[0];
      // The successor itself does not match, so using it as an inclusive bound only loosens
      // pruning by one value.
      m.upper_ = PrefixSuccessor(m.set_[0]);
      if (m.set_[0].empty()) m.kind_ = Kind::kAll;
      break;
    case MetricCondition::Kind::kRegex:
      if (condition.values.size() != 1) {
        return absl::InvalidArgumentError("metric regex condition needs exactly one value");
      }
      CS_ASSIGN_OR_RETURN(m.regex_, CompileRegex(condition.values[0]));
      if (std::optional<std::vector<std::string>> set =
              LiteralAlternatives::Of(condition.values[0])) {
        m.kind_ = Kind::kSet;  // finite: matched like `=` / IN, and looked up in dictionaries
        m.set_ = *std::move(set);
        m.regex_.reset();
        break;
      }
      m.kind_ = Kind::kRegex;
      m.full_match_ = true;
      m.SetRegexBounds();
      break;
  }
  if (m.kind_ == Kind::kSet) {
    std::sort(m.set_.begin(), m.set_.end());
    m.set_.erase(std::unique(m.set_.begin(), m.set_.end()), m.set_.end());
    m.exact_ = m.set_;
    if (!m.set_.empty()) {
      m.lower_ = m.set_.front();
      m.upper_ = m.set_.back();
    }
  }
  return m;
}

absl::StatusOr<StringMatcher> StringMatcher::ForLabel(const LabelPredicate& predicate) {
  StringMatcher m;
  const bool empty_is_absent = predicate.absent == AbsentLabel::kEmptyString;
  auto one_value = [&]() -> absl::Status {
    if (predicate.values.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("label predicate on '%s' needs exactly one value, has %d", predicate.name,
                          predicate.values.size()));
    }
    return absl::OkStatus();
  };
  switch (predicate.op) {
    case LabelOp::kEqual:
    case LabelOp::kIn:
      if (predicate.op == LabelOp::kEqual) CS_RETURN_IF_ERROR(one_value());
      m.kind_ = Kind::kSet;
      m.set_ = predicate.values;
      std::sort(m.set_.begin(), m.set_.end());
      m.set_.erase(std::unique(m.set_.begin(), m.set_.end()), m.set_.end());
      m.exact_ = m.set_;
      if (!m.set_.empty()) {
        m.lower_ = m.set_.front();
        m.upper_ = m.set_.back();
      }
      m.matches_absent_ =
          empty_is_absent && std::binary_search(m.set_.begin(), m.set_.end(), std::string());
      break;
    case LabelOp::kNotEqual:
      CS_RETURN_IF_ERROR(one_value());
      m.kind_ = Kind::kNotEqual;
      m.set_ = predicate.values;
      m.matches_absent_ = empty_is_absent && !m.set_[0].empty();
      break;
    case LabelOp::kRegex:
    case LabelOp::kNotRegex:
      CS_RETURN_IF_ERROR(one_value());
      CS_ASSIGN_OR_RETURN(m.regex_, CompileRegex(predicate.values[0]));  // validates
      if (std::optional<std::vector<std::string>> set =
              predicate.op == LabelOp::kRegex && predicate.full_match
                  ? LiteralAlternatives::Of(predicate.values[0])
                  : std::nullopt) {
        // A finite set (`host_(1|2|3)`, as dashboard variables with several values produce):
        // matched like IN, and looked up in dictionaries instead of tried on every value.
        m.kind_ = Kind::kSet;
        m.set_ = *std::move(set);
        m.regex_.reset();
        m.exact_ = m.set_;
        m.lower_ = m.set_.front();
        m.upper_ = m.set_.back();
        m.matches_absent_ =
            empty_is_absent && std::binary_search(m.set_.begin(), m.set_.end(), std::string());
        break;
      }
      m.kind_ = predicate.op == LabelOp::kRegex ? Kind::kRegex : Kind::kNotRegex;
      m.full_match_ = predicate.full_match;
      if (m.kind_ == Kind::kRegex) m.SetRegexBounds();
      m.matches_absent_ = empty_is_absent && m.Matches("");
      break;
  }
  return m;
}

bool StringMatcher::Matches(std::string_view value) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kSet:
      if (set_.size() <= 4) return std::find(set_.begin(), set_.end(), value) != set_.end();
      return std::binary_search(set_.begin(), set_.end(), value);
    case Kind::kNotEqual:
      return value != set_[0];
    case Kind::kPrefix:
      return value.substr(0, set_[0].size()) == set_[0];
    case Kind::kRegex:
    case Kind::kNotRegex: {
      re2::StringPiece piece(value.data(), value.size());
      bool match = full_match_ ? re2::RE2::FullMatch(piece, *regex_)
                               : re2::RE2::PartialMatch(piece, *regex_);
      return kind_ == Kind::kRegex ? match : !match;
    }
  }
  return true;
}

bool StringMatcher::MayMatchRange(std::string_view min, std::string_view max) const {
  if (kind_ == Kind::kAll) return true;
  if (exact_) {
    auto it = std::lower_bound(exact_->begin(), exact_->end(), min);
    return it != exact_->end() && std::string_view(*it) <= max;
  }
  if (kind_ == Kind::kNotEqual) return !(min == max && min == set_[0]);
  if (lower_ && max < std::string_view(*lower_)) return false;
  if (upper_ && min > std::string_view(*upper_)) return false;
  return true;
}

void StringMatcher::Evaluate(const model::Column& column, std::vector<uint8_t>& keep) const {
  const size_t n = column.size();
  if (column.is_dictionary()) {
    const model::DictionaryStrings& dict = column.dictionary();
    std::vector<uint8_t> code_matches(dict.dictionary.size());
    for (size_t d = 0; d < code_matches.size(); ++d) {
      code_matches[d] = Matches(dict.dictionary.Get(d)) ? 1 : 0;
    }
    // No branch on `keep`: rows already 0 stay 0. A null row's code is not looked at.
    const uint32_t* codes = dict.codes.data();
    const uint8_t* matches = code_matches.data();
    uint8_t* out = keep.data();
    if (column.validity().empty()) {
      for (size_t r = 0; r < n; ++r) out[r] &= matches[codes[r]];
    } else {
      const uint8_t* valid = column.validity().data();
      const uint8_t absent = matches_absent_ ? 1 : 0;
      for (size_t r = 0; r < n; ++r) {
        out[r] &= valid[r] ? matches[codes[r]] : absent;
      }
    }
    return;
  }
  const model::StringVector& strings = column.strings();
  // Sorted chunks repeat values in runs; reuse the previous answer for an equal value.
  std::string_view previous;
  bool have_previous = false, previous_result = false;
  for (size_t r = 0; r < n; ++r) {
    if (!keep[r]) continue;
    if (!column.IsValid(r)) {
      keep[r] = matches_absent_;
      continue;
    }
    std::string_view value = strings.Get(r);
    if (!have_previous || value != previous) {
      previous = value;
      previous_result = Matches(value);
      have_previous = true;
    }
    keep[r] = previous_result;
  }
}

}  // namespace cardinalsin::scan::internal
