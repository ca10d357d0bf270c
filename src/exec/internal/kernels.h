// File: internal/kernels.h
//
// Private helpers of the exec module: validity arithmetic, evaluating an expression on a subset
// of rows, per-dictionary-entry evaluation, assembling a column from pieces, LIKE patterns,
// RE2 compilation, UTF-8 stepping and key normalisation. Not for use outside src/exec.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "exec/expr.h"
#include "exec/value.h"
#include "re2/re2.h"

namespace cardinalsin::exec::internal {

// Validity of a op b: empty when neither has nulls.
std::vector<uint8_t> AndValidity(const Column& a, const Column& b);

// expr evaluated on `rows` of batch (ascending row numbers); a result row per entry of rows.
absl::StatusOr<Column> EvaluateOnRows(const Expr& expr, const RecordBatch& batch,
                                      std::span<const uint32_t> rows);

// Bit pattern of v with -0 folded into +0 and every NaN into one NaN: equal under
// CompareDoubles <=> equal bits. Used for hashing doubles in keys and sets.
inline uint64_t NormalizeDoubleBits(double v) {
  if (v == 0) return 0;
  if (std::isnan(v)) return 0x7ff8000000000000ULL;
  return std::bit_cast<uint64_t>(v);
}

// Maps a string column through fn(value) -> Scalar of `result_type` (fn must return that type or
// its NULL). Dictionary columns call fn once per dictionary entry when that is cheaper than once
// per row. NULL input rows give NULL.
template <typename Fn>
absl::StatusOr<Column> MapDictionary(const Column& c, Fn fn, TypeId result_type = TypeId::kBool) {
  const size_t n = c.size();
  ColumnBuilder out(result_type);
  if (c.is_dictionary() && c.dictionary().dictionary.size() <= n) {
    const model::DictionaryStrings& d = c.dictionary();
    ColumnBuilder per_entry(result_type);
    for (size_t i = 0; i < d.dictionary.size(); ++i) {
      absl::StatusOr<Scalar> s = fn(d.dictionary.Get(i));
      if (!s.ok()) return s.status();
      per_entry.AppendScalar(*s);
    }
    Column values = per_entry.Finish();
    Column mapped = values.Take(d.codes);
    if (!values.validity().empty() || !c.validity().empty()) {
      std::vector<uint8_t> valid(n);
      for (size_t i = 0; i < n; ++i) valid[i] = c.IsValid(i) && values.IsValid(d.codes[i]);
      mapped.SetValidity(std::move(valid));
    }
    return mapped;
  }
  out.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!c.IsValid(i)) {
      out.AppendNull();
      continue;
    }
    absl::StatusOr<Scalar> s = fn(c.StringAt(i));
    if (!s.ok()) return s.status();
    out.AppendScalar(*s);
  }
  return out.Finish();
}

// Builds a column of `rows` rows of `type` from pieces that each cover a set of row numbers;
// rows no piece covers are NULL. Not thread-safe.
class Assembler {
 public:
  Assembler(TypeId type, size_t rows);
  // values[k] goes to row rows[k]. REQUIRES: values.type() == type, sizes equal.
  void Add(Column values, std::span<const uint32_t> rows);
  Column Finish();

 private:
  TypeId type_;
  std::vector<Column> pieces_;
  std::vector<uint32_t> index_;  // per row: position in the concatenation, or kUnset
  uint32_t offset_ = 0;
};

// A compiled LIKE pattern.
class LikePattern {
 public:
  // InvalidArgument when the pattern ends with the escape character.
  static absl::StatusOr<LikePattern> Compile(std::string_view pattern, std::optional<char> escape);
  bool Matches(std::string_view text) const;

 private:
  enum class Kind { kLiteral, kOne, kAny };
  struct Token {
    Kind kind;
    std::string literal;
  };
  std::vector<Token> tokens_;
};

// Compiles an RE2 pattern; InvalidArgument "invalid regular expression '(': ..." on error.
absl::StatusOr<std::unique_ptr<RE2>> CompileRegexp(std::string_view pattern, bool case_insensitive);

// Length of the UTF-8 sequence starting with `lead` (1 for invalid bytes).
inline size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 1;
}

}  // namespace cardinalsin::exec::internal
