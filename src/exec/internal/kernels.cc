#include "exec/internal/kernels.h"

#include <limits>

#include "base/strings.h"

namespace cardinalsin::exec::internal {
namespace {
constexpr uint32_t kUnset = std::numeric_limits<uint32_t>::max();
}  // namespace

std::vector<uint8_t> AndValidity(const Column& a, const Column& b) {
  if (a.validity().empty() && b.validity().empty()) return {};
  const size_t n = a.size();
  std::vector<uint8_t> valid(n);
  for (size_t i = 0; i < n; ++i) valid[i] = a.IsValid(i) && b.IsValid(i);
  return valid;
}

absl::StatusOr<Column> EvaluateOnRows(const Expr& expr, const RecordBatch& batch,
                                      std::span<const uint32_t> rows) {
  // `rows` is ascending and duplicate-free, so full size means every row in order.
  if (rows.size() == batch.num_rows()) return expr.Evaluate(batch);
  return expr.Evaluate(batch.Take(rows));
}

Assembler::Assembler(TypeId type, size_t rows) : type_(type), index_(rows, kUnset) {}

void Assembler::Add(Column values, std::span<const uint32_t> rows) {
  for (size_t k = 0; k < rows.size(); ++k) index_[rows[k]] = offset_ + static_cast<uint32_t>(k);
  offset_ += static_cast<uint32_t>(rows.size());
  pieces_.push_back(std::move(values));
}

Column Assembler::Finish() {
  if (pieces_.size() == 1 && offset_ == index_.size()) {
    bool identity = true;
    for (size_t i = 0; i < index_.size() && identity; ++i) identity = index_[i] == i;
    if (identity) return std::move(pieces_[0]);
  }
  pieces_.push_back(ScalarToColumn(Scalar::Null(type_), 1));  // target of unset rows
  Column all = model::Concat(type_, pieces_);
  for (uint32_t& i : index_) {
    if (i == kUnset) i = offset_;
  }
  return all.Take(index_);
}

absl::StatusOr<LikePattern> LikePattern::Compile(std::string_view pattern,
                                                 std::optional<char> escape) {
  LikePattern out;
  auto literal = [&](std::string_view bytes) {
    if (out.tokens_.empty() || out.tokens_.back().kind != Kind::kLiteral) {
      out.tokens_.push_back({Kind::kLiteral, ""});
    }
    out.tokens_.back().literal.append(bytes);
  };
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (escape.has_value() && c == *escape) {
      if (i + 1 >= pattern.size()) {
        return absl::InvalidArgumentError(
            base::StrCat("LIKE pattern must not end with escape character: '", pattern, "'"));
      }
      size_t len = Utf8Length(static_cast<unsigned char>(pattern[i + 1]));
      literal(pattern.substr(i + 1, len));
      i += 1 + len;
    } else if (c == '%') {
      if (out.tokens_.empty() || out.tokens_.back().kind != Kind::kAny) {
        out.tokens_.push_back({Kind::kAny, ""});
      }
      ++i;
    } else if (c == '_') {
      out.tokens_.push_back({Kind::kOne, ""});
      ++i;
    } else {
      size_t len = Utf8Length(static_cast<unsigned char>(c));
      literal(pattern.substr(i, len));
      i += len;
    }
  }
  return out;
}

bool LikePattern::Matches(std::string_view text) const {
  // Greedy matching with backtracking to the last '%' (linear for typical patterns).
  size_t t = 0, p = 0;
  size_t star_p = std::string::npos, star_t = 0;
  const size_t np = tokens_.size();
  while (t < text.size()) {
    if (p < np) {
      const Token& tok = tokens_[p];
      if (tok.kind == Kind::kOne) {
        t = std::min(text.size(), t + Utf8Length(static_cast<unsigned char>(text[t])));
        ++p;
        continue;
      }
      if (tok.kind == Kind::kLiteral && text.substr(t, tok.literal.size()) == tok.literal) {
        t += tok.literal.size();
        ++p;
        continue;
      }
      if (tok.kind == Kind::kAny) {
        star_p = p++;
        star_t = t;
        continue;
      }
    }
    if (star_p == std::string::npos) return false;
    p = star_p + 1;
    star_t = std::min(text.size(), star_t + Utf8Length(static_cast<unsigned char>(text[star_t])));
    t = star_t;
  }
  while (p < np && tokens_[p].kind == Kind::kAny) ++p;
  return p == np;
}

absl::StatusOr<std::unique_ptr<RE2>> CompileRegexp(std::string_view pattern,
                                                   bool case_insensitive) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!case_insensitive);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid regular expression '", pattern, "': ", re->error()));
  }
  return re;
}

}  // namespace cardinalsin::exec::internal
