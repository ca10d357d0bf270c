// Step functions (functions_eval.h) other than the histogram ones: element-wise math and
// trigonometry, clamp and round, time()/pi()/vector()/scalar()/timestamp(), the date functions,
// label_replace/label_join, the sort family, absent and absent_over_time.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "promql/functions.h"
#include "promql/functions_eval_internal.h"
#include "re2/re2.h"

namespace cardinalsin::promql::internal {
namespace {

// Argument accessors. The parser has checked the argument types against the function table,
// so a mismatch here is an engine bug and is reported as Internal, never a crash.
absl::Status ArgError(const StepCall& call, size_t index, std::string_view want) {
  return absl::InternalError(base::StrCat("argument ", index + 1, " of ",
                                          call.call != nullptr ? call.call->func->name : "function",
                                          " is not ", want));
}

absl::Status GetVector(const StepCall& call, size_t index, const Vector** out) {
  if (index < call.args.size()) {
    if (const auto* v = std::get_if<const Vector*>(&call.args[index]); v != nullptr && *v) {
      *out = *v;
      return absl::OkStatus();
    }
  }
  return ArgError(call, index, "an instant vector");
}

absl::Status GetScalar(const StepCall& call, size_t index, double* out) {
  if (index < call.args.size()) {
    if (const auto* v = std::get_if<double>(&call.args[index])) {
      *out = *v;
      return absl::OkStatus();
    }
  }
  return ArgError(call, index, "a scalar");
}

absl::Status GetString(const StepCall& call, size_t index, std::string_view* out) {
  if (index < call.args.size()) {
    if (const auto* v = std::get_if<std::string_view>(&call.args[index])) {
      *out = *v;
      return absl::OkStatus();
    }
  }
  return ArgError(call, index, "a string");
}

void AppendScalar(const StepCall& call, double v, Vector& out) {
  out.push_back(Sample{Labels{}, call.eval_ms, v, false});
}

// Go's math.Max / math.Min: NaN wins, +0 is larger than -0.
double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  if (a == 0 && a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  if (a == 0 && a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// ---- Element-wise math ----------------------------------------------------------------------

template <double (*F)(double)>
absl::Status ElementWise(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  out.reserve(out.size() + in->size());
  for (const Sample& s : *in) out.push_back(Sample{s.labels, call.eval_ms, F(s.v), true});
  return absl::OkStatus();
}

double Abs(double v) { return std::fabs(v); }
double Ceil(double v) { return std::ceil(v); }
double Floor(double v) { return std::floor(v); }
double Exp(double v) { return std::exp(v); }
double Ln(double v) { return std::log(v); }
double Log2(double v) { return std::log2(v); }
double Log10(double v) { return std::log10(v); }
double Sqrt(double v) { return std::sqrt(v); }
double Sgn(double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; }
double Sin(double v) { return std::sin(v); }
double Cos(double v) { return std::cos(v); }
double Tan(double v) { return std::tan(v); }
double Asin(double v) { return std::asin(v); }
double Acos(double v) { return std::acos(v); }
double Atan(double v) { return std::atan(v); }
double Sinh(double v) { return std::sinh(v); }
double Cosh(double v) { return std::cosh(v); }
double Tanh(double v) { return std::tanh(v); }
double Asinh(double v) { return std::asinh(v); }
double Acosh(double v) { return std::acosh(v); }
double Atanh(double v) { return std::atanh(v); }
double Deg(double v) { return v * 180 / std::numbers::pi; }
double Rad(double v) { return v * std::numbers::pi / 180; }

// clamp(v, min, max): no output at all when max < min.
absl::Status Clamp(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  double lo = 0, hi = 0;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  CS_RETURN_IF_ERROR(GetScalar(call, 1, &lo));
  CS_RETURN_IF_ERROR(GetScalar(call, 2, &hi));
  if (hi < lo) return absl::OkStatus();
  for (const Sample& s : *in) {
    out.push_back(Sample{s.labels, call.eval_ms, GoMax(lo, GoMin(hi, s.v)), true});
  }
  return absl::OkStatus();
}

absl::Status ClampMax(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  double hi = 0;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  CS_RETURN_IF_ERROR(GetScalar(call, 1, &hi));
  for (const Sample& s : *in) out.push_back(Sample{s.labels, call.eval_ms, GoMin(hi, s.v), true});
  return absl::OkStatus();
}

absl::Status ClampMin(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  double lo = 0;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  CS_RETURN_IF_ERROR(GetScalar(call, 1, &lo));
  for (const Sample& s : *in) out.push_back(Sample{s.labels, call.eval_ms, GoMax(lo, s.v), true});
  return absl::OkStatus();
}

// round(v, to_nearest = 1): rounds half up to a multiple of to_nearest.
absl::Status Round(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  double to_nearest = 1;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  if (call.args.size() > 1) CS_RETURN_IF_ERROR(GetScalar(call, 1, &to_nearest));
  // Dividing by the inverse (rather than multiplying by to_nearest) is what Prometheus does
  // and keeps e.g. round(x, 0.1) at the exact decimal when it is representable.
  double inverse = 1.0 / to_nearest;
  for (const Sample& s : *in) {
    out.push_back(Sample{s.labels, call.eval_ms, std::floor(s.v * inverse + 0.5) / inverse, true});
  }
  return absl::OkStatus();
}

// ---- Scalars and conversions ----------------------------------------------------------------

absl::Status Time(const StepCall& call, Vector& out) {
  AppendScalar(call, static_cast<double>(call.eval_ms) / 1000.0, out);
  return absl::OkStatus();
}

absl::Status Pi(const StepCall& call, Vector& out) {
  AppendScalar(call, std::numbers::pi, out);
  return absl::OkStatus();
}

absl::Status VectorFn(const StepCall& call, Vector& out) {
  double v = 0;
  CS_RETURN_IF_ERROR(GetScalar(call, 0, &v));
  AppendScalar(call, v, out);
  return absl::OkStatus();
}

// scalar(v): the value of a one-element vector, else NaN.
absl::Status ScalarFn(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  AppendScalar(call, in->size() == 1 ? (*in)[0].v : NAN, out);
  return absl::OkStatus();
}

// timestamp(v): each sample's timestamp in seconds (see the file comment of functions_eval.h
// for which timestamp the engine passes).
absl::Status Timestamp(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  for (const Sample& s : *in) {
    out.push_back(Sample{s.labels, call.eval_ms, static_cast<double>(s.t) / 1000.0, true});
  }
  return absl::OkStatus();
}

// ---- Date functions -------------------------------------------------------------------------

enum class DatePart {
  kMinute,
  kHour,
  kDayOfWeek,
  kDayOfMonth,
  kDayOfYear,
  kDaysInMonth,
  kMonth,
  kYear
};

// The part of the UTC time `seconds` since the epoch (fraction truncated, as Go's int64()).
// Non-finite or out-of-range inputs give NaN.
double DatePartOf(double seconds, DatePart part) {
  if (!std::isfinite(seconds) || std::fabs(seconds) >= 9.2e18) return NAN;
  absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixSeconds(static_cast<int64_t>(seconds)),
                                             absl::UTCTimeZone());
  switch (part) {
    case DatePart::kMinute:
      return cs.minute();
    case DatePart::kHour:
      return cs.hour();
    case DatePart::kDayOfWeek: {
      // absl numbers Monday 0 .. Sunday 6; PromQL Sunday 0 .. Saturday 6.
      int wd = static_cast<int>(absl::GetWeekday(absl::CivilDay(cs)));
      return (wd + 1) % 7;
    }
    case DatePart::kDayOfMonth:
      return cs.day();
    case DatePart::kDayOfYear:
      return absl::GetYearDay(absl::CivilDay(cs));
    case DatePart::kDaysInMonth: {
      absl::CivilMonth month(cs);
      return static_cast<double>(absl::CivilDay(month + 1) - absl::CivilDay(month));
    }
    case DatePart::kMonth:
      return cs.month();
    case DatePart::kYear:
      return static_cast<double>(cs.year());
  }
  return NAN;
}

// With no argument the part of the evaluation time; otherwise of each sample's value.
template <DatePart kPart>
absl::Status DateFunction(const StepCall& call, Vector& out) {
  if (call.args.empty()) {
    // Whole seconds, truncated toward zero like Go's integer division.
    AppendScalar(call, DatePartOf(static_cast<double>(call.eval_ms / 1000), kPart), out);
    return absl::OkStatus();
  }
  const Vector* in = nullptr;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  for (const Sample& s : *in) {
    out.push_back(Sample{s.labels, call.eval_ms, DatePartOf(s.v, kPart), true});
  }
  return absl::OkStatus();
}

// ---- Labels ---------------------------------------------------------------------------------

// Prometheus 3 accepts any non-empty valid UTF-8 label name.
bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  size_t i = 0;
  while (i < name.size()) {
    auto c = static_cast<unsigned char>(name[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > name.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (int k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(name[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and code points beyond U+10FFFF (Go's utf8.ValidString).
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += len;
  }
  return true;
}

// Compiled label_replace patterns, per thread, so a range query compiles each pattern once.
// Bounded: cleared when it grows past kMaxCachedPatterns.
const RE2* CompiledPattern(std::string_view regex) {
  constexpr size_t kMaxCachedPatterns = 64;
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  std::string key(regex);
  if (auto it = cache.find(key); it != cache.end()) return it->second.get();
  if (cache.size() >= kMaxCachedPatterns) cache.clear();
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(false);
  auto re = std::make_unique<RE2>(base::StrCat("^(?s:", regex, ")$"), options);
  const RE2* result = re.get();
  cache.emplace(std::move(key), std::move(re));
  return result;
}

// Go's Regexp.ExpandString: $1, ${1}, $name, ${name}; "$$" is a literal '$'. A name is the
// longest run of letters, digits and '_'; unknown groups expand to nothing; a '$' that starts
// no valid reference is copied literally.
void ExpandTemplate(std::string_view tmpl, const RE2& re,
                    const std::vector<re2::StringPiece>& groups, std::string& out) {
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  const std::map<std::string, int>& named = re.NamedCapturingGroups();
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t dollar = tmpl.find('$', i);
    if (dollar == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, dollar - i));
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    size_t next = i;
    if (i < tmpl.size() && tmpl[i] == '{') {
      size_t close = tmpl.find('}', i + 1);
      size_t j = i + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (close != std::string_view::npos && j == close && close > i + 1) {
        name = tmpl.substr(i + 1, close - i - 1);
        next = close + 1;
      }
    } else {
      size_t j = i;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j > i) {
        name = tmpl.substr(i, j - i);
        next = j;
      }
    }
    if (name.empty()) {
      out.push_back('$');
      continue;
    }
    i = next;
    int index = -1;
    bool numeric =
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) {
      // Go gives up on numbers of more than 9 digits (treating them as an unknown group).
      if (name.size() <= 9) std::from_chars(name.data(), name.data() + name.size(), index);
    } else if (auto it = named.find(std::string(name)); it != named.end()) {
      index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() && groups[index].data()) {
      out.append(groups[index].data(), groups[index].size());
    }
  }
}

// Fails when two of out[from...] have the same full label set, the metric name included even
// when it is to be dropped later (Prometheus compares label_replace/label_join outputs before
// delayed name removal; outputs that collide only once names are gone fail where they are
// removed). Samples are hashed and compared in place, by their positions in `out`.
absl::Status CheckNoDuplicateLabelSets(const Vector& out, size_t from) {
  if (out.size() - from < 2) return absl::OkStatus();
  struct Hash {
    const Vector* out;
    size_t operator()(size_t i) const { return HashLabels((*out)[i].labels); }
  };
  struct Equal {
    const Vector* out;
    bool operator()(size_t a, size_t b) const { return (*out)[a].labels == (*out)[b].labels; }
  };
  absl::flat_hash_set<size_t, Hash, Equal> seen(out.size() - from, Hash{&out}, Equal{&out});
  for (size_t i = from; i < out.size(); ++i) {
    if (!seen.insert(i).second) {
      return absl::FailedPreconditionError("vector cannot contain metrics with the same labelset");
    }
  }
  return absl::OkStatus();
}

// label_replace(v, dst, replacement, src, regex).
absl::Status LabelReplace(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  std::string_view dst, replacement, src, regex;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  CS_RETURN_IF_ERROR(GetString(call, 1, &dst));
  CS_RETURN_IF_ERROR(GetString(call, 2, &replacement));
  CS_RETURN_IF_ERROR(GetString(call, 3, &src));
  CS_RETURN_IF_ERROR(GetString(call, 4, &regex));
  const RE2* re = CompiledPattern(regex);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid regular expression in label_replace(): ", regex));
  }
  if (!IsValidLabelName(dst)) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid destination label name in label_replace(): ", dst));
  }
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
  std::string value;
  size_t from = out.size();
  for (const Sample& s : *in) {
    Sample& o = out.emplace_back(Sample{s.labels, call.eval_ms, s.v, s.drop_name});
    std::string_view src_value = GetLabel(s.labels, src);
    re2::StringPiece text(src_value.data(), src_value.size());
    if (re->Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(),
                  static_cast<int>(groups.size()))) {
      value.clear();
      ExpandTemplate(replacement, *re, groups, value);
      SetLabel(o.labels, dst, value);
      if (dst == kMetricName) o.drop_name = false;
    }
  }
  return CheckNoDuplicateLabelSets(out, from);
}

// label_join(v, dst, separator, src...).
absl::Status LabelJoin(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  std::string_view dst, separator;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  CS_RETURN_IF_ERROR(GetString(call, 1, &dst));
  CS_RETURN_IF_ERROR(GetString(call, 2, &separator));
  if (!IsValidLabelName(dst)) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid destination label name in label_join(): ", dst));
  }
  std::vector<std::string_view> sources;
  for (size_t i = 3; i < call.args.size(); ++i) {
    std::string_view src;
    CS_RETURN_IF_ERROR(GetString(call, i, &src));
    if (!IsValidLabelName(src)) {
      return absl::InvalidArgumentError(
          base::StrCat("invalid source label name in label_join(): ", src));
    }
    sources.push_back(src);
  }
  std::string value;
  size_t from = out.size();
  for (const Sample& s : *in) {
    value.clear();
    for (size_t i = 0; i < sources.size(); ++i) {
      if (i > 0) value.append(separator);
      value.append(GetLabel(s.labels, sources[i]));
    }
    Sample& o = out.emplace_back(Sample{s.labels, call.eval_ms, s.v, s.drop_name});
    SetLabel(o.labels, dst, value);
    if (dst == kMetricName) o.drop_name = false;
  }
  return CheckNoDuplicateLabelSets(out, from);
}

// ---- Sorting --------------------------------------------------------------------------------

// Appends the input samples (labels, value and drop_name kept) and sorts the appended range.
template <typename Less>
absl::Status SortInto(const StepCall& call, Vector& out, Less less) {
  const Vector* in = nullptr;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  size_t from = out.size();
  for (const Sample& s : *in) out.push_back(Sample{s.labels, call.eval_ms, s.v, s.drop_name});
  std::stable_sort(out.begin() + static_cast<ptrdiff_t>(from), out.end(), less);
  return absl::OkStatus();
}

// Ascending by value, NaN last; equal values keep their input order.
absl::Status Sort(const StepCall& call, Vector& out) {
  return SortInto(call, out, [](const Sample& a, const Sample& b) {
    if (std::isnan(a.v)) return false;
    if (std::isnan(b.v)) return true;
    return a.v < b.v;
  });
}

// Descending by value, NaN last; equal values keep their input order.
absl::Status SortDesc(const StepCall& call, Vector& out) {
  return SortInto(call, out, [](const Sample& a, const Sample& b) {
    if (std::isnan(a.v)) return false;
    if (std::isnan(b.v)) return true;
    return a.v > b.v;
  });
}

// Natural order ("a2" < "a10"): the strings are split into runs of digits and of non-digits,
// compared run by run, digit runs by their numeric value (numbers too large for int64 compare
// as text). Returns <0, 0, >0.
int NaturalCompare(std::string_view a, std::string_view b) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto next_chunk = [&](std::string_view& s) {
    size_t n = 1;
    bool digits = is_digit(s[0]);
    while (n < s.size() && is_digit(s[n]) == digits) ++n;
    std::string_view chunk = s.substr(0, n);
    s.remove_prefix(n);
    return chunk;
  };
  std::string_view ra = a, rb = b;
  while (!ra.empty() && !rb.empty()) {
    std::string_view ca = next_chunk(ra);
    std::string_view cb = next_chunk(rb);
    int64_t na = 0, nb = 0;
    auto pa = std::from_chars(ca.data(), ca.data() + ca.size(), na);
    auto pb = std::from_chars(cb.data(), cb.data() + cb.size(), nb);
    bool a_num = pa.ec == std::errc() && pa.ptr == ca.data() + ca.size();
    bool b_num = pb.ec == std::errc() && pb.ptr == cb.data() + cb.size();
    if (a_num && b_num) {
      if (na != nb) return na < nb ? -1 : 1;
      continue;
    }
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (ra.empty() != rb.empty()) return ra.empty() ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

template <bool kDescending>
absl::Status SortByLabel(const StepCall& call, Vector& out) {
  std::vector<std::string_view> names;
  for (size_t i = 1; i < call.args.size(); ++i) {
    std::string_view name;
    CS_RETURN_IF_ERROR(GetString(call, i, &name));
    names.push_back(name);
  }
  return SortInto(call, out, [&names](const Sample& a, const Sample& b) {
    for (std::string_view name : names) {
      int c = NaturalCompare(GetLabel(a.labels, name), GetLabel(b.labels, name));
      if (c != 0) return kDescending ? c > 0 : c < 0;
    }
    // All given labels equal: the full label sets decide, for a deterministic order.
    return kDescending ? LabelsLess(b.labels, a.labels) : LabelsLess(a.labels, b.labels);
  });
}

// ---- absent ---------------------------------------------------------------------------------

// The labels absent() outputs: those of the argument selector's equality matchers. A label
// name matched more than once, or by a non-equality matcher, is left out (as Prometheus).
Labels AbsentLabels(const StepCall& call) {
  Labels labels;
  if (call.call == nullptr || call.call->args.empty()) return labels;
  const Expr* arg = call.call->args[0].get();
  if (const auto* m = arg->As<MatrixSelector>()) arg = m->selector.get();
  const auto* vs = arg->As<VectorSelector>();
  if (vs == nullptr) return labels;
  std::vector<std::string_view> seen;
  for (const LabelMatcher& m : vs->matchers) {
    if (m.name == kMetricName) continue;
    bool already = std::find(seen.begin(), seen.end(), m.name) != seen.end();
    if (m.type == MatchType::kEqual && !already) {
      SetLabel(labels, m.name, m.value);
      seen.push_back(m.name);
    } else {
      RemoveLabel(labels, m.name);
    }
  }
  return labels;
}

absl::Status Absent(const StepCall& call, Vector& out) {
  const Vector* in = nullptr;
  CS_RETURN_IF_ERROR(GetVector(call, 0, &in));
  if (!in->empty()) return absl::OkStatus();
  out.push_back(Sample{AbsentLabels(call), call.eval_ms, 1, false});
  return absl::OkStatus();
}

absl::Status AbsentOverTime(const StepCall& call, Vector& out) {
  const Matrix* const* m = call.args.empty() ? nullptr : std::get_if<const Matrix*>(&call.args[0]);
  if (m == nullptr || *m == nullptr) return ArgError(call, 0, "a range vector");
  for (const Series& s : **m) {
    if (!s.points.empty()) return absl::OkStatus();
  }
  out.push_back(Sample{AbsentLabels(call), call.eval_ms, 1, false});
  return absl::OkStatus();
}

const FunctionImpl kStepImpls[] = {
    {"abs", nullptr, ElementWise<Abs>},
    {"absent", nullptr, Absent, false},
    {"absent_over_time", nullptr, AbsentOverTime, false},
    {"acos", nullptr, ElementWise<Acos>},
    {"acosh", nullptr, ElementWise<Acosh>},
    {"asin", nullptr, ElementWise<Asin>},
    {"asinh", nullptr, ElementWise<Asinh>},
    {"atan", nullptr, ElementWise<Atan>},
    {"atanh", nullptr, ElementWise<Atanh>},
    {"ceil", nullptr, ElementWise<Ceil>},
    {"clamp", nullptr, Clamp},
    {"clamp_max", nullptr, ClampMax},
    {"clamp_min", nullptr, ClampMin},
    {"cos", nullptr, ElementWise<Cos>},
    {"cosh", nullptr, ElementWise<Cosh>},
    {"day_of_month", nullptr, DateFunction<DatePart::kDayOfMonth>},
    {"day_of_week", nullptr, DateFunction<DatePart::kDayOfWeek>},
    {"day_of_year", nullptr, DateFunction<DatePart::kDayOfYear>},
    {"days_in_month", nullptr, DateFunction<DatePart::kDaysInMonth>},
    {"deg", nullptr, ElementWise<Deg>},
    {"exp", nullptr, ElementWise<Exp>},
    {"floor", nullptr, ElementWise<Floor>},
    {"hour", nullptr, DateFunction<DatePart::kHour>},
    {"label_join", nullptr, LabelJoin, false},
    {"label_replace", nullptr, LabelReplace, false},
    {"ln", nullptr, ElementWise<Ln>},
    {"log10", nullptr, ElementWise<Log10>},
    {"log2", nullptr, ElementWise<Log2>},
    {"minute", nullptr, DateFunction<DatePart::kMinute>},
    {"month", nullptr, DateFunction<DatePart::kMonth>},
    {"pi", nullptr, Pi, false},
    {"rad", nullptr, ElementWise<Rad>},
    {"round", nullptr, Round},
    {"scalar", nullptr, ScalarFn, false},
    {"sgn", nullptr, ElementWise<Sgn>},
    {"sin", nullptr, ElementWise<Sin>},
    {"sinh", nullptr, ElementWise<Sinh>},
    {"sort", nullptr, Sort, false},
    {"sort_by_label", nullptr, SortByLabel<false>, false},
    {"sort_by_label_desc", nullptr, SortByLabel<true>, false},
    {"sort_desc", nullptr, SortDesc, false},
    {"sqrt", nullptr, ElementWise<Sqrt>},
    {"tan", nullptr, ElementWise<Tan>},
    {"tanh", nullptr, ElementWise<Tanh>},
    {"time", nullptr, Time, false},
    {"timestamp", nullptr, Timestamp},
    {"vector", nullptr, VectorFn, false},
    {"year", nullptr, DateFunction<DatePart::kYear>},
};

}  // namespace

std::span<const FunctionImpl> StepFunctionImpls() { return kStepImpls; }

}  // namespace cardinalsin::promql::internal
