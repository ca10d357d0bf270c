#include "promql/format.h"

#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "model/labels.h"
#include "promql/functions.h"
#include "promql/lexer.h"

namespace cardinalsin::promql {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8Length(std::string_view s, size_t i, uint32_t& rune) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c < 0x80) {
    rune = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2;
    rune = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    rune = c & 0x0F;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    rune = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    rune = (rune << 6) | (cc & 0x3F);
  }
  if (rune < min || rune > 0x10FFFF || (rune >= 0xD800 && rune < 0xE000)) return 0;
  return n;
}

// Words that cannot stand alone as a metric name: they lex as numbers or are operators and
// binary-operator modifiers wherever a selector may stand.
bool IsReservedMetricWord(std::string_view name) {
  std::string lower = absl::AsciiStrToLower(base::AsAbsl(name));
  for (std::string_view word :
       {"inf", "nan", "on", "ignoring", "bool", "group_left", "group_right", "atan2"}) {
    if (lower == word) return true;
  }
  return false;
}

std::string QuoteName(std::string_view name, bool metric) {
  bool legacy = metric ? model::IsLegacyMetricName(name) : model::IsLegacyLabelName(name);
  return legacy ? std::string(name) : QuoteString(name);
}

std::string FormatDurationExpr(const DurationExpr& expr) {
  using Kind = DurationExpr::Kind;
  switch (expr.kind) {
    case Kind::kNumber:
      return FormatNumber(expr.number);
    case Kind::kDuration:
      return FormatDurationMs(expr.duration_ms);
    case Kind::kStep:
      return "step()";
    case Kind::kRange:
      return "range()";
    case Kind::kMinOf:
    case Kind::kMaxOf:
      return base::StrCat(expr.kind == Kind::kMinOf ? "min_of(" : "max_of(",
                          FormatDurationExpr(*expr.lhs), ", ", FormatDurationExpr(*expr.rhs), ")");
    case Kind::kUnary:
      return base::StrCat(expr.negative ? "-" : "+", FormatDurationExpr(*expr.lhs));
    case Kind::kParen:
      return base::StrCat("(", FormatDurationExpr(*expr.lhs), ")");
    case Kind::kBinary:
      return base::StrCat(FormatDurationExpr(*expr.lhs), " ", BinaryOpName(expr.op), " ",
                          FormatDurationExpr(*expr.rhs));
  }
  return "";
}

std::string FormatDurationValue(const DurationValue& value) {
  if (value.expr != nullptr) return FormatDurationExpr(*value.expr);
  return FormatDurationMs(value.fixed_ms.value_or(0));
}

std::string FormatModifiers(const DurationValue& offset, const AtModifier& at) {
  std::string out;
  switch (at.kind) {
    case AtModifier::Kind::kNone:
      break;
    case AtModifier::Kind::kStart:
      out += " @ start()";
      break;
    case AtModifier::Kind::kEnd:
      out += " @ end()";
      break;
    case AtModifier::Kind::kTimestamp: {
      // Exact: milliseconds as seconds with three decimals, without going through a double.
      int64_t ms = at.timestamp_ms;
      uint64_t abs = ms < 0 ? static_cast<uint64_t>(-(ms + 1)) + 1 : static_cast<uint64_t>(ms);
      absl::StrAppendFormat(&out, " @ %s%d.%03d", ms < 0 ? "-" : "", abs / 1000, abs % 1000);
      break;
    }
  }
  if (!offset.IsZero()) base::StrAppend(&out, " offset ", FormatDurationValue(offset));
  return out;
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteName(labels[i], false);
  }
  return out;
}

// The operator of a binary expression with its modifiers: `/ on(job) group_left(x)`.
std::string BinaryOperatorString(const BinaryExpr& b) {
  std::string out(BinaryOpName(b.op));
  if (b.return_bool) out += " bool";
  if (b.matching.has_value()) {
    const VectorMatching& m = *b.matching;
    bool grouped = m.card == VectorMatching::Cardinality::kManyToOne ||
                   m.card == VectorMatching::Cardinality::kOneToMany;
    if (m.on) {
      base::StrAppend(&out, " on(", JoinLabels(m.labels), ")");
    } else if (!m.labels.empty() || grouped) {
      base::StrAppend(&out, " ignoring(", JoinLabels(m.labels), ")");
    }
    if (grouped) {
      out += m.card == VectorMatching::Cardinality::kManyToOne ? " group_left" : " group_right";
      if (!m.include.empty()) base::StrAppend(&out, "(", JoinLabels(m.include), ")");
    }
  }
  const FillModifier& f = b.fill;
  if (f.left.has_value() && f.right.has_value() &&
      FormatNumber(*f.left) == FormatNumber(*f.right)) {
    base::StrAppend(&out, " fill(", FormatNumber(*f.left), ")");
  } else {
    if (f.left.has_value()) base::StrAppend(&out, " fill_left(", FormatNumber(*f.left), ")");
    if (f.right.has_value()) base::StrAppend(&out, " fill_right(", FormatNumber(*f.right), ")");
  }
  return out;
}

// The `by (...)` / `without (...)` part of an aggregation, with the spaces around it.
std::string GroupingString(const AggregateExpr& a) {
  if (a.without) return base::StrCat(" without (", JoinLabels(a.grouping), ") ");
  if (!a.grouping.empty()) return base::StrCat(" by (", JoinLabels(a.grouping), ") ");
  return "";
}

class Printer {
 public:
  explicit Printer(bool debug) : debug_(debug) {}

  void Print(const Expr& expr) {
    if (const auto* n = expr.As<NumberLiteral>()) {
      if (debug_) {
        absl::StrAppendFormat(&out_, "number(%s%s)", FormatNumber(n->value),
                              n->duration ? " duration" : "");
      } else if (n->duration && std::isfinite(n->value) && std::fabs(n->value) < 9e15 &&
                 std::round(n->value * 1000) / 1000.0 == n->value) {
        // A whole number of milliseconds, as the lexer makes it (ms / 1000.0: 1s3ms is 1.003,
        // whose product with 1000 is not exactly 1003).
        // "-0s" keeps the sign of a negated zero duration.
        if (n->value == 0 && std::signbit(n->value)) out_ += "-";
        out_ += FormatDurationMs(static_cast<int64_t>(std::round(n->value * 1000)));
      } else {
        out_ += FormatNumber(n->value);
      }
    } else if (const auto* s = expr.As<StringLiteral>()) {
      out_ += QuoteString(s->value);
    } else if (const auto* vs = expr.As<VectorSelector>()) {
      PrintSelector(*vs);
      out_ += FormatModifiers(vs->offset, vs->at);
      PrintExtended(*vs);
    } else if (const auto* ms = expr.As<MatrixSelector>()) {
      const auto& inner = *ms->selector->As<VectorSelector>();
      if (debug_) out_ += "matrix(";
      PrintSelector(inner);
      base::StrAppend(&out_, "[", FormatDurationValue(ms->range), "]");
      out_ += FormatModifiers(inner.offset, inner.at);
      PrintExtended(inner);
      if (debug_) out_ += ")";
    } else if (const auto* sq = expr.As<SubqueryExpr>()) {
      if (debug_) out_ += "subquery(";
      Print(*sq->expr);
      base::StrAppend(&out_, "[", FormatDurationValue(sq->range), ":");
      if (sq->step.has_value()) out_ += FormatDurationValue(*sq->step);
      out_ += "]";
      out_ += FormatModifiers(sq->offset, sq->at);
      if (debug_) out_ += ")";
    } else if (const auto* p = expr.As<ParenExpr>()) {
      out_ += debug_ ? "paren(" : "(";
      Print(*p->expr);
      out_ += ")";
    } else if (const auto* u = expr.As<UnaryExpr>()) {
      if (debug_) out_ += "unary(";
      out_ += u->negative ? "-" : "+";
      Print(*u->expr);
      if (debug_) out_ += ")";
    } else if (const auto* b = expr.As<BinaryExpr>()) {
      PrintBinary(*b);
    } else if (const auto* a = expr.As<AggregateExpr>()) {
      base::StrAppend(&out_, AggregateOpName(a->op), GroupingString(*a), "(");
      if (a->param != nullptr) {
        Print(*a->param);
        out_ += ", ";
      }
      Print(*a->expr);
      out_ += ")";
    } else if (const auto* c = expr.As<Call>()) {
      base::StrAppend(&out_, c->func->name, "(");
      for (size_t i = 0; i < c->args.size(); ++i) {
        if (i > 0) out_ += ", ";
        Print(*c->args[i]);
      }
      out_ += ")";
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  void PrintSelector(const VectorSelector& vs) {
    bool legacy_name =
        vs.name.empty() || (model::IsLegacyMetricName(vs.name) && !IsReservedMetricWord(vs.name));
    std::vector<std::string> parts;
    if (!legacy_name) parts.push_back(QuoteString(vs.name));
    for (const LabelMatcher& m : vs.matchers) {
      parts.push_back(
          base::StrCat(QuoteName(m.name, false), MatchTypeName(m.type), QuoteString(m.value)));
    }
    if (legacy_name) out_ += vs.name;
    if (!parts.empty() || vs.name.empty()) {
      out_ += "{";
      for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out_ += ", ";
        out_ += parts[i];
      }
      out_ += "}";
    }
  }

  void PrintExtended(const VectorSelector& vs) {
    if (vs.anchored) out_ += " anchored";
    if (vs.smoothed) out_ += " smoothed";
  }

  void PrintBinary(const BinaryExpr& b) {
    if (debug_) out_ += "binary(";
    const auto* lhs_number = b.lhs->As<NumberLiteral>();
    if (!debug_ && b.op == BinaryOp::kPow && lhs_number != nullptr &&
        std::isinf(lhs_number->value) && lhs_number->value > 0) {
      // "+Inf ^ x" would read as +(Inf ^ x): a unary plus over the power.
      out_ += "Inf";
    } else {
      Print(*b.lhs);
    }
    base::StrAppend(&out_, " ", BinaryOperatorString(b), " ");
    Print(*b.rhs);
    if (debug_) out_ += ")";
  }

  bool debug_;
  std::string out_;
};

}  // namespace

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[512];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  return std::string(buffer, result.ptr);
}

std::string QuoteString(std::string_view value) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size();) {
    uint32_t rune = 0;
    size_t n = Utf8Length(value, i, rune);
    if (n == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(value[i]));
      ++i;
      continue;
    }
    switch (rune) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (rune < 0x20 || rune == 0x7F) {
          absl::StrAppendFormat(&out, "\\x%02x", rune);
        } else if ((rune >= 0x80 && rune < 0xA0) || rune == 0xAD || rune == 0x2028 ||
                   rune == 0x2029 || rune == 0xFEFF) {
          absl::StrAppendFormat(&out, "\\u%04x", rune);
        } else {
          out.append(value.substr(i, n));
        }
    }
    i += n;
  }
  out += "\"";
  return out;
}

std::string ToString(const Expr& expr) {
  Printer printer(false);
  printer.Print(expr);
  return printer.Take();
}

std::string TreeString(const Expr& expr) {
  Printer printer(true);
  printer.Print(expr);
  return printer.Take();
}

namespace {

// Prettify's expression at nesting `level`, the first line indented too.
std::string Pretty(const Expr& expr, int level) {
  constexpr size_t kMaxLineBytes = 100;
  const std::string indent(static_cast<size_t>(2 * level), ' ');
  std::string flat = ToString(expr);
  const bool split = flat.size() > kMaxLineBytes;
  if (const auto* sq = expr.As<SubqueryExpr>()) {
    if (!split) return flat;  // sic: Prometheus does not indent a subquery that fits
    // ToString prints the subquery's expression, then its `[range:step]` and modifiers.
    const size_t suffix = ToString(*sq->expr).size();
    return base::StrCat(Pretty(*sq->expr, level), flat.substr(suffix));
  }
  if (const auto* u = expr.As<UnaryExpr>()) {
    std::string child = Pretty(*u->expr, level);
    const size_t first = child.find_first_not_of(" \t\n");
    return base::StrCat(indent, u->negative ? "-" : "+",
                        first == std::string::npos ? "" : child.substr(first));
  }
  if (!split) return indent + flat;
  if (const auto* a = expr.As<AggregateExpr>()) {
    std::string out = base::StrCat(indent, AggregateOpName(a->op), GroupingString(*a), "(\n");
    if (a->param != nullptr) base::StrAppend(&out, Pretty(*a->param, level + 1), ",\n");
    base::StrAppend(&out, Pretty(*a->expr, level + 1), "\n", indent, ")");
    return out;
  }
  if (const auto* b = expr.As<BinaryExpr>()) {
    return base::StrCat(Pretty(*b->lhs, level + 1), "\n", indent, BinaryOperatorString(*b), "\n",
                        Pretty(*b->rhs, level + 1));
  }
  if (const auto* c = expr.As<Call>()) {
    std::string out = base::StrCat(indent, c->func->name, "(\n");
    for (size_t i = 0; i < c->args.size(); ++i) {
      if (i > 0) out += ",\n";
      out += Pretty(*c->args[i], level + 1);
    }
    base::StrAppend(&out, "\n", indent, ")");
    return out;
  }
  if (const auto* p = expr.As<ParenExpr>()) {
    return base::StrCat(indent, "(\n", Pretty(*p->expr, level + 1), "\n", indent, ")");
  }
  return indent + flat;  // selectors and literals are never split
}

}  // namespace

std::string Prettify(const Expr& expr) { return Pretty(expr, 0); }

}  // namespace cardinalsin::promql
