#include "promql/internal/eval_common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/strings.h"

namespace cardinalsin::promql::internal {

absl::Status QueryState::PollWith(uint32_t& counter) const {
  if (options->cancelled != nullptr && options->cancelled->load(std::memory_order_relaxed)) {
    return absl::CancelledError("query was canceled in expression evaluation");
  }
  if (++counter % kPollClockEvery == 0 && options->deadline != absl::InfiniteFuture() &&
      absl::Now() > options->deadline) {
    return absl::DeadlineExceededError("query timed out in expression evaluation");
  }
  return absl::OkStatus();
}

absl::Status QueryState::AddSamples(int64_t n) {
  current_samples += n;
  stats.peak_samples = std::max(stats.peak_samples, current_samples);
  if (current_samples > engine->max_samples) return TooManySamples();
  return absl::OkStatus();
}

absl::Status QueryState::TooManySamples() {
  return absl::ResourceExhaustedError(
      "query processing would load too many samples into memory in query execution");
}

std::optional<int64_t> QueryState::AtTime(const AtModifier& at) const {
  switch (at.kind) {
    case AtModifier::Kind::kNone:
      return std::nullopt;
    case AtModifier::Kind::kTimestamp:
      return at.timestamp_ms;
    case AtModifier::Kind::kStart:
      return query_start;
    case AtModifier::Kind::kEnd:
      return query_end;
  }
  return std::nullopt;
}

const Expr& UnwrapParens(const Expr& e) {
  const Expr* p = &e;
  while (const ParenExpr* paren = p->As<ParenExpr>()) p = paren->expr.get();
  return *p;
}

int64_t CountPoints(const Matrix& m) {
  int64_t n = 0;
  for (const Series& s : m) n += static_cast<int64_t>(s.points.size());
  return n;
}

std::vector<double> ScalarValues(const Grid& grid, const Matrix& m) {
  std::vector<double> out(static_cast<size_t>(grid.num_steps()), NAN);
  if (!m.empty()) {
    for (const FPoint& p : m[0].points) out[grid.Index(p.t)] = p.v;
  }
  return out;
}

std::string FormatGoG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + 2, sci.data() + sci.size(), exp);
  if (sci[e + 1] == '-') exp = -exp;
  if (exp < -4 || exp >= 6) {
    // Go's %g: exponent form outside [1e-4, 1e6), at least two exponent digits (1e-05).
    std::string mant = sci.substr(0, e);
    return absl::StrFormat("%se%c%02d", mant, exp < 0 ? '-' : '+', std::abs(exp));
  }
  res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

std::string FormatGoF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

std::string QuoteGo(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x80 || c < 0x20) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "\"";
  return out;
}

std::string PosSuffix(const PosRange& pos) { return base::StrCat(" (1:", pos.start + 1, ")"); }

bool IsMetadataLabel(std::string_view name) {
  return name == kMetricName || name == "__type__" || name == "__unit__";
}

void DropMetadataLabels(Labels& labels) {
  std::erase_if(labels, [](const Label& l) { return IsMetadataLabel(l.name); });
}

}  // namespace cardinalsin::promql::internal
