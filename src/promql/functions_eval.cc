// The merged function table (LookupFunctionImpl) and the helpers functions_eval_internal.h
// declares. The function bodies live in functions_eval_range.cc (range kernels),
// functions_eval_step.cc (element-wise, label, sort, time and absent functions) and
// functions_eval_histogram.cc (classic-histogram functions).
#include "promql/functions_eval.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "base/strings.h"
#include "promql/functions_eval_internal.h"

namespace cardinalsin::promql {
namespace internal {

std::string PositionSuffix(const Expr* expr) {
  if (expr == nullptr) return "";
  return base::StrCat(" (1:", expr->pos.start + 1, ")");
}

std::string ArgPositionSuffix(const Call* call, size_t index) {
  if (call == nullptr || index >= call->args.size()) return "";
  return PositionSuffix(call->args[index].get());
}

std::string GoFormatG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, end);
  size_t e = sci.find('e');
  int exp = 0;
  // to_chars always writes a sign after the 'e'.
  std::from_chars(sci.data() + e + 2, sci.data() + sci.size(), exp);
  if (sci[e + 1] == '-') exp = -exp;
  // Go uses %e when the exponent is < -4 or >= 6 for the shortest representation.
  if (exp < -4 || exp >= 6) return sci;
  auto [fend, fec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, fend);
}

bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  bool negative = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return false;
  std::string lower = absl::AsciiStrToLower(base::AsAbsl(body));
  if (lower == "inf" || lower == "infinity") {
    *out = negative ? -INFINITY : INFINITY;
    return true;
  }
  if (lower == "nan") {
    *out = NAN;
    return true;
  }
  // Go accepts '_' between digits only after a base prefix; a plain decimal has none.
  std::chars_format format = std::chars_format::general;
  std::string_view digits = body;
  if (lower.size() > 2 && lower[0] == '0' && lower[1] == 'x') {
    format = std::chars_format::hex;
    digits.remove_prefix(2);
    if (lower.find('p') == std::string::npos) return false;  // Go requires the p exponent
  }
  if (digits.empty() || digits[0] == '+' || digits[0] == '-') return false;
  // from_chars would accept "inf"/"nan" spellings handled above; anything else must be
  // digits, '.', and an exponent.
  for (char ch : lower) {
    if (std::isalpha(static_cast<unsigned char>(ch)) && ch != 'e' && ch != 'x' && ch != 'p' &&
        !(format == std::chars_format::hex && ch >= 'a' && ch <= 'f')) {
      return false;
    }
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, format);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  *out = negative ? -v : v;
  return true;
}

void AddInvalidQuantileWarning(Annotations* annotations, double q, const Expr* arg) {
  if (annotations == nullptr) return;
  annotations->AddWarning(
      base::StrCat("PromQL warning: quantile value should be between 0 and 1, got ", GoFormatG(q),
                   PositionSuffix(arg)));
}

double QuantileInPlace(double q, std::span<double> values) {
  if (values.empty() || std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower_rank = std::max(0.0, std::floor(rank));
  double upper_rank = std::min(n - 1, lower_rank + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower_rank)] * (1 - weight) +
         values[static_cast<size_t>(upper_rank)] * weight;
}

}  // namespace internal

namespace {

std::vector<FunctionImpl> BuildTable() {
  std::vector<FunctionImpl> table;
  for (auto family : {internal::RangeFunctionImpls(), internal::StepFunctionImpls(),
                      internal::HistogramFunctionImpls()}) {
    table.insert(table.end(), family.begin(), family.end());
  }
  std::sort(table.begin(), table.end(),
            [](const FunctionImpl& a, const FunctionImpl& b) { return a.name < b.name; });
  return table;
}

}  // namespace

const FunctionImpl* LookupFunctionImpl(std::string_view name) {
  static const auto* const table = new std::vector<FunctionImpl>(BuildTable());
  auto it = std::lower_bound(table->begin(), table->end(), name,
                             [](const FunctionImpl& f, std::string_view n) { return f.name < n; });
  if (it == table->end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace cardinalsin::promql
