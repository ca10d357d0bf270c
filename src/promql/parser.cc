#include "promql/parser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "model/labels.h"
#include "promql/functions.h"
#include "promql/lexer.h"
#include "re2/re2.h"

namespace cardinalsin::promql {
namespace {

using absl::StatusOr;

// Precedence levels of binary operators; unary +/- sits between kMul and kPow.
constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;
constexpr int kPrecCmp = 3;
constexpr int kPrecAdd = 4;
constexpr int kPrecMul = 5;
constexpr int kPrecPow = 6;

int Precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr:
      return kPrecOr;
    case BinaryOp::kAnd:
    case BinaryOp::kUnless:
      return kPrecAnd;
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte:
      return kPrecCmp;
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      return kPrecAdd;
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
    case BinaryOp::kAtan2:
    case BinaryOp::kTrimUpper:
    case BinaryOp::kTrimLower:
      return kPrecMul;
    case BinaryOp::kPow:
      return kPrecPow;
  }
  return 0;
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(base::AsAbsl(s)); }

// A parsed subtree and its height (for the kMaxNestingDepth limit).
struct Node {
  ExprPtr expr;
  int height = 1;
};

struct DurNode {
  std::unique_ptr<DurationExpr> expr;
  int height = 1;
};

ExprPtr MakeExpr(PosRange pos, auto&& node) {
  auto expr = std::make_unique<Expr>();
  expr->pos = pos;
  expr->node = std::forward<decltype(node)>(node);
  return expr;
}

// Whether the expression can take offset/@ modifiers, and where they live.
struct ModifierTarget {
  DurationValue* offset = nullptr;
  AtModifier* at = nullptr;
  VectorSelector* selector = nullptr;  // for anchored/smoothed
};

ModifierTarget TargetOf(Expr& expr) {
  ModifierTarget target;
  if (auto* vs = expr.As<VectorSelector>()) {
    target = {&vs->offset, &vs->at, vs};
  } else if (auto* ms = expr.As<MatrixSelector>()) {
    auto* inner = ms->selector->As<VectorSelector>();
    target = {&inner->offset, &inner->at, inner};
  } else if (auto* sq = expr.As<SubqueryExpr>()) {
    target = {&sq->offset, &sq->at, nullptr};
  }
  return target;
}

class Parser {
 public:
  Parser(std::string_view input, std::vector<Token> tokens)
      : input_(input), tokens_(std::move(tokens)) {}

  StatusOr<ExprPtr> ParseWhole() {
    CS_ASSIGN_OR_RETURN(Node node, ParseBinary(0, 1));
    if (Cur().kind != TokenKind::kEof) return Unexpected(Cur(), "");
    CS_RETURN_IF_ERROR(CheckSelectors(*node.expr));
    return std::move(node.expr);
  }

  StatusOr<ExprPtr> ParseSelectorOnly() {
    const Token& first = Cur();
    if (first.kind != TokenKind::kIdentifier && first.kind != TokenKind::kMetricIdentifier &&
        first.kind != TokenKind::kLeftBrace) {
      return Unexpected(first, ", expected a series selector");
    }
    CS_ASSIGN_OR_RETURN(ExprPtr expr, ParseVectorSelector());
    if (Cur().kind != TokenKind::kEof) return Unexpected(Cur(), "");
    CS_RETURN_IF_ERROR(CheckSelectorNotEmpty(*expr));
    return expr;
  }

 private:
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& PeekTok(size_t ahead = 1) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Advance() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  int32_t PrevEnd() const {
    if (pos_ == 0) return 0;
    const Token& prev = tokens_[pos_ - 1];
    return prev.pos + static_cast<int32_t>(prev.text.size());
  }
  bool IsKeyword(const Token& token, std::string_view lower) const {
    return token.kind == TokenKind::kIdentifier && token.text.size() == lower.size() &&
           Lower(token.text) == lower;
  }

  absl::Status Error(int32_t pos, std::string_view message) const {
    return ParseError(input_, pos, message);
  }
  absl::Status Unexpected(const Token& token, std::string_view context) const {
    return Error(token.pos, base::StrCat("unexpected ", DescribeToken(token), context));
  }
  absl::Status Expect(TokenKind kind, std::string_view context) {
    if (Cur().kind != kind) return Unexpected(Cur(), context);
    Advance();
    return absl::OkStatus();
  }
  absl::Status CheckHeight(int height, int32_t pos) const {
    if (height > kMaxNestingDepth) {
      return Error(pos,
                   absl::StrFormat("expression nests deeper than %d levels", kMaxNestingDepth));
    }
    return absl::OkStatus();
  }

  // ---- Binary and unary expressions ----

  std::optional<BinaryOp> CurBinaryOp() const {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kAdd:
        return BinaryOp::kAdd;
      case TokenKind::kSub:
        return BinaryOp::kSub;
      case TokenKind::kMul:
        return BinaryOp::kMul;
      case TokenKind::kDiv:
        return BinaryOp::kDiv;
      case TokenKind::kMod:
        return BinaryOp::kMod;
      case TokenKind::kPow:
        return BinaryOp::kPow;
      case TokenKind::kEqlc:
        return BinaryOp::kEql;
      case TokenKind::kNeq:
        return BinaryOp::kNeq;
      case TokenKind::kGtr:
        return BinaryOp::kGtr;
      case TokenKind::kLss:
        return BinaryOp::kLss;
      case TokenKind::kGte:
        return BinaryOp::kGte;
      case TokenKind::kLte:
        return BinaryOp::kLte;
      case TokenKind::kTrimUpper:
        return BinaryOp::kTrimUpper;
      case TokenKind::kTrimLower:
        return BinaryOp::kTrimLower;
      case TokenKind::kIdentifier: {
        std::string word = Lower(t.text);
        if (word == "and") return BinaryOp::kAnd;
        if (word == "or") return BinaryOp::kOr;
        if (word == "unless") return BinaryOp::kUnless;
        if (word == "atan2") return BinaryOp::kAtan2;
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

  // depth: the height budget already used above this subtree.
  StatusOr<Node> ParseBinary(int min_prec, int depth) {
    CS_RETURN_IF_ERROR(CheckHeight(depth, Cur().pos));
    CS_ASSIGN_OR_RETURN(Node lhs, ParseUnary(depth));
    while (true) {
      std::optional<BinaryOp> op = CurBinaryOp();
      if (!op.has_value() || Precedence(*op) < min_prec) break;
      const Token& op_token = Advance();
      BinaryExpr bin;
      bin.op = *op;
      CS_RETURN_IF_ERROR(ParseBinaryModifiers(bin, op_token));
      int next_min = *op == BinaryOp::kPow ? Precedence(*op) : Precedence(*op) + 1;
      CS_ASSIGN_OR_RETURN(Node rhs, ParseBinary(next_min, depth + 1));
      PosRange pos{lhs.expr->pos.start, rhs.expr->pos.end};
      int height = 1 + std::max(lhs.height, rhs.height);
      CS_RETURN_IF_ERROR(CheckHeight(height + depth - 1, op_token.pos));
      bin.lhs = std::move(lhs.expr);
      bin.rhs = std::move(rhs.expr);
      CS_RETURN_IF_ERROR(CheckBinary(bin, op_token));
      lhs.expr = MakeExpr(pos, std::move(bin));
      lhs.height = height;
    }
    return lhs;
  }

  absl::Status ParseBinaryModifiers(BinaryExpr& bin, const Token& op_token) {
    if (IsKeyword(Cur(), "bool")) {
      Advance();
      bin.return_bool = true;
    }
    VectorMatching matching;
    bool has_matching = false;
    if ((IsKeyword(Cur(), "on") || IsKeyword(Cur(), "ignoring")) &&
        PeekTok().kind == TokenKind::kLeftParen) {
      matching.on = IsKeyword(Cur(), "on");
      Advance();
      CS_ASSIGN_OR_RETURN(matching.labels, ParseLabelList("on/ignoring clause"));
      has_matching = true;
      if (IsKeyword(Cur(), "group_left") || IsKeyword(Cur(), "group_right")) {
        matching.card = IsKeyword(Cur(), "group_left") ? VectorMatching::Cardinality::kManyToOne
                                                       : VectorMatching::Cardinality::kOneToMany;
        Advance();
        if (Cur().kind == TokenKind::kLeftParen) {
          CS_ASSIGN_OR_RETURN(matching.include, ParseLabelList("grouping clause"));
        }
      }
    }
    if (IsKeyword(Cur(), "group_left") || IsKeyword(Cur(), "group_right")) {
      return Error(Cur().pos, base::StrCat("unexpected ", DescribeToken(Cur()),
                                           ": group modifiers need an on(...) or ignoring(...) "
                                           "clause first"));
    }
    while (Cur().kind == TokenKind::kIdentifier && PeekTok().kind == TokenKind::kLeftParen) {
      std::string word = Lower(Cur().text);
      if (word != "fill" && word != "fill_left" && word != "fill_right") break;
      const Token& fill_token = Advance();
      Advance();  // (
      CS_ASSIGN_OR_RETURN(double value, ParseSignedNumber("fill modifier"));
      CS_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, " in fill modifier, expected \")\""));
      bool left = word != "fill_right";
      bool right = word != "fill_left";
      if ((left && bin.fill.left.has_value()) || (right && bin.fill.right.has_value())) {
        return Error(fill_token.pos, "fill modifier set more than once for the same side");
      }
      if (left) bin.fill.left = value;
      if (right) bin.fill.right = value;
    }
    if (has_matching) bin.matching = std::move(matching);
    (void)op_token;
    return absl::OkStatus();
  }

  StatusOr<double> ParseSignedNumber(std::string_view context) {
    bool negative = false;
    if (Cur().kind == TokenKind::kSub || Cur().kind == TokenKind::kAdd) {
      negative = Cur().kind == TokenKind::kSub;
      Advance();
    }
    if (Cur().kind != TokenKind::kNumber && Cur().kind != TokenKind::kDuration) {
      return Unexpected(Cur(), base::StrCat(" in ", context, ", expected number"));
    }
    double value = Advance().number;
    return negative ? -value : value;
  }

  StatusOr<Node> ParseUnary(int depth) {
    CS_RETURN_IF_ERROR(CheckHeight(depth, Cur().pos));
    if (Cur().kind == TokenKind::kSub || Cur().kind == TokenKind::kAdd) {
      const Token& sign = Advance();
      bool negative = sign.kind == TokenKind::kSub;
      CS_ASSIGN_OR_RETURN(Node operand, ParseBinary(kPrecPow, depth + 1));
      PosRange pos{sign.pos, operand.expr->pos.end};
      if (auto* number = operand.expr->As<NumberLiteral>()) {
        if (negative) number->value = -number->value;
        operand.expr->pos = pos;
        return operand;
      }
      ValueType type = TypeOf(*operand.expr);
      if (type != ValueType::kScalar && type != ValueType::kVector) {
        return Error(sign.pos,
                     absl::StrFormat("unary expression only allowed on expressions of type scalar "
                                     "or instant vector, got \"%s\"",
                                     base::AsAbsl(ValueTypeName(type))));
      }
      UnaryExpr unary;
      unary.negative = negative;
      unary.expr = std::move(operand.expr);
      return Node{MakeExpr(pos, std::move(unary)), operand.height + 1};
    }
    return ParsePostfix(depth);
  }

  // ---- Primary expressions and postfix modifiers ----

  StatusOr<Node> ParsePostfix(int depth) {
    CS_ASSIGN_OR_RETURN(Node node, ParsePrimary(depth));
    while (true) {
      const Token& t = Cur();
      if (t.kind == TokenKind::kLeftBracket) {
        CS_RETURN_IF_ERROR(ParseBracket(node));
      } else if (IsKeyword(t, "offset")) {
        Advance();
        ModifierTarget target = TargetOf(*node.expr);
        if (target.offset == nullptr) {
          return Error(t.pos,
                       "offset modifier must be preceded by an instant vector selector or range "
                       "vector selector or a subquery");
        }
        if (!target.offset->IsZero()) {
          return Error(t.pos, "offset may not be set multiple times");
        }
        CS_ASSIGN_OR_RETURN(*target.offset, ParseOffsetValue());
        node.expr->pos.end = PrevEnd();
      } else if (t.kind == TokenKind::kAt) {
        Advance();
        ModifierTarget target = TargetOf(*node.expr);
        if (target.at == nullptr) {
          return Error(t.pos,
                       "@ modifier must be preceded by an instant vector selector or range vector "
                       "selector or a subquery");
        }
        if (target.at->kind != AtModifier::Kind::kNone) {
          return Error(t.pos, "@ <timestamp> may not be set multiple times");
        }
        CS_ASSIGN_OR_RETURN(*target.at, ParseAtValue());
        node.expr->pos.end = PrevEnd();
      } else if (IsKeyword(t, "anchored") || IsKeyword(t, "smoothed")) {
        bool anchored = IsKeyword(t, "anchored");
        ModifierTarget target = TargetOf(*node.expr);
        if (target.selector == nullptr) {
          return Error(t.pos, absl::StrFormat("%s modifier must be preceded by an instant vector "
                                              "selector or range vector selector",
                                              anchored ? "anchored" : "smoothed"));
        }
        if (target.selector->anchored || target.selector->smoothed) {
          return Error(t.pos, "anchored or smoothed may not be set multiple times");
        }
        Advance();
        (anchored ? target.selector->anchored : target.selector->smoothed) = true;
        node.expr->pos.end = PrevEnd();
      } else {
        break;
      }
    }
    return node;
  }

  absl::Status ParseBracket(Node& node) {
    const Token& open = Advance();
    CS_ASSIGN_OR_RETURN(DurationValue range, ParseDurationValue("range"));
    if (Cur().kind == TokenKind::kColon) {
      Advance();
      SubqueryExpr sq;
      sq.range = std::move(range);
      if (Cur().kind != TokenKind::kRightBracket) {
        CS_ASSIGN_OR_RETURN(DurationValue step, ParseDurationValue("subquery step"));
        if (step.fixed_ms.has_value() && *step.fixed_ms <= 0) {
          return Error(open.pos, "subquery step must be greater than 0");
        }
        sq.step = std::move(step);
      }
      CS_RETURN_IF_ERROR(Expect(TokenKind::kRightBracket, " in subquery selector, expected \"]\""));
      ValueType type = TypeOf(*node.expr);
      if (type != ValueType::kVector) {
        return Error(node.expr->pos.start,
                     absl::StrFormat("subquery is only allowed on instant vector, got %s",
                                     base::AsAbsl(ValueTypeName(type))));
      }
      PosRange pos{node.expr->pos.start, PrevEnd()};
      sq.expr = std::move(node.expr);
      node.expr = MakeExpr(pos, std::move(sq));
      node.height += 1;
      return absl::OkStatus();
    }
    CS_RETURN_IF_ERROR(Expect(TokenKind::kRightBracket, " in range selector, expected \"]\""));
    auto* vs = node.expr->As<VectorSelector>();
    if (vs == nullptr) {
      return Error(node.expr->pos.start, "ranges only allowed for vector selectors");
    }
    if (!vs->offset.IsZero() || vs->at.kind != AtModifier::Kind::kNone || vs->anchored ||
        vs->smoothed) {
      return Error(open.pos, "no offset or @ modifiers allowed before range");
    }
    MatrixSelector ms;
    ms.range = std::move(range);
    PosRange pos{node.expr->pos.start, PrevEnd()};
    ms.selector = std::move(node.expr);
    node.expr = MakeExpr(pos, std::move(ms));
    node.height += 1;
    return absl::OkStatus();
  }

  // A range or subquery step: a literal or a duration expression; must be > 0 when constant.
  StatusOr<DurationValue> ParseDurationValue(std::string_view what) {
    const int32_t start = Cur().pos;
    CS_ASSIGN_OR_RETURN(DurNode dur, ParseDurBinary(0, 1));
    CS_ASSIGN_OR_RETURN(DurationValue value, ToDurationValue(std::move(dur.expr), start));
    if (value.fixed_ms.has_value() && *value.fixed_ms <= 0 && what == "range") {
      return Error(start, "range duration must be greater than 0");
    }
    return value;
  }

  StatusOr<DurationValue> ToDurationValue(std::unique_ptr<DurationExpr> expr, int32_t pos) {
    DurationValue value;
    if (expr->kind == DurationExpr::Kind::kDuration) {
      value.fixed_ms = expr->duration_ms;
      return value;
    }
    if (expr->kind == DurationExpr::Kind::kNumber ||
        (expr->kind == DurationExpr::Kind::kUnary && !expr->lhs->lhs &&
         (expr->lhs->kind == DurationExpr::Kind::kNumber ||
          expr->lhs->kind == DurationExpr::Kind::kDuration))) {
      // A plain number of seconds, or a signed literal (offsets): folded to a literal.
      std::optional<double> seconds = EvaluateDurationSeconds(*expr, std::nullopt, std::nullopt);
      CS_ASSIGN_OR_RETURN(value.fixed_ms, SecondsToMs(*seconds, pos));
      return value;
    }
    std::optional<double> seconds = EvaluateDurationSeconds(*expr, std::nullopt, std::nullopt);
    if (seconds.has_value()) {
      CS_ASSIGN_OR_RETURN(value.fixed_ms, SecondsToMs(*seconds, pos));
    }
    value.expr = std::move(expr);
    return value;
  }

  StatusOr<int64_t> SecondsToMs(double seconds, int32_t pos) {
    double ms = std::round(seconds * 1000.0);
    if (!std::isfinite(ms) || std::fabs(ms) >= 9.2e18) {
      return Error(pos, "duration out of range");
    }
    return static_cast<int64_t>(ms);
  }

  // offset <duration>: a signed literal, or an expression that is a signed primary (a function,
  // a parenthesised expression); `x offset 1m + 1` adds 1 to the selector.
  StatusOr<DurationValue> ParseOffsetValue() {
    const int32_t start = Cur().pos;
    std::unique_ptr<DurationExpr> expr;
    if (Cur().kind == TokenKind::kSub || Cur().kind == TokenKind::kAdd) {
      const Token& sign = Advance();
      CS_ASSIGN_OR_RETURN(DurNode operand, ParseDurPrimary(2));
      expr = std::make_unique<DurationExpr>();
      expr->kind = DurationExpr::Kind::kUnary;
      expr->negative = sign.kind == TokenKind::kSub;
      expr->pos = {sign.pos, operand.expr->pos.end};
      expr->lhs = std::move(operand.expr);
    } else {
      CS_ASSIGN_OR_RETURN(DurNode primary, ParseDurPrimary(1));
      expr = std::move(primary.expr);
    }
    return ToDurationValue(std::move(expr), start);
  }

  StatusOr<AtModifier> ParseAtValue() {
    AtModifier at;
    const Token& t = Cur();
    if ((IsKeyword(t, "start") || IsKeyword(t, "end")) && PeekTok().kind == TokenKind::kLeftParen) {
      at.kind = IsKeyword(t, "start") ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
      Advance();
      Advance();
      CS_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, " in @ modifier, expected \")\""));
      return at;
    }
    CS_ASSIGN_OR_RETURN(double seconds, ParseSignedNumber("@ modifier"));
    double ms = std::round(seconds * 1000.0);
    if (!std::isfinite(ms) || std::fabs(ms) >= 9.2e18) {
      return Error(t.pos, absl::StrFormat("timestamp out of bounds for @ modifier: %g", seconds));
    }
    at.kind = AtModifier::Kind::kTimestamp;
    at.timestamp_ms = static_cast<int64_t>(ms);
    return at;
  }

  // ---- Duration expressions ----

  std::optional<BinaryOp> CurDurOp() const {
    switch (Cur().kind) {
      case TokenKind::kAdd:
        return BinaryOp::kAdd;
      case TokenKind::kSub:
        return BinaryOp::kSub;
      case TokenKind::kMul:
        return BinaryOp::kMul;
      case TokenKind::kDiv:
        return BinaryOp::kDiv;
      case TokenKind::kMod:
        return BinaryOp::kMod;
      case TokenKind::kPow:
        return BinaryOp::kPow;
      default:
        return std::nullopt;
    }
  }

  StatusOr<DurNode> ParseDurBinary(int min_prec, int depth) {
    CS_RETURN_IF_ERROR(CheckHeight(depth, Cur().pos));
    CS_ASSIGN_OR_RETURN(DurNode lhs, ParseDurUnary(depth));
    while (true) {
      std::optional<BinaryOp> op = CurDurOp();
      if (!op.has_value() || Precedence(*op) < min_prec) break;
      const Token& op_token = Advance();
      int next_min = *op == BinaryOp::kPow ? Precedence(*op) : Precedence(*op) + 1;
      CS_ASSIGN_OR_RETURN(DurNode rhs, ParseDurBinary(next_min, depth + 1));
      int height = 1 + std::max(lhs.height, rhs.height);
      CS_RETURN_IF_ERROR(CheckHeight(height + depth - 1, op_token.pos));
      auto bin = std::make_unique<DurationExpr>();
      bin->kind = DurationExpr::Kind::kBinary;
      bin->op = *op;
      bin->pos = {lhs.expr->pos.start, rhs.expr->pos.end};
      bin->lhs = std::move(lhs.expr);
      bin->rhs = std::move(rhs.expr);
      lhs = DurNode{std::move(bin), height};
    }
    return lhs;
  }

  StatusOr<DurNode> ParseDurUnary(int depth) {
    if (Cur().kind == TokenKind::kSub || Cur().kind == TokenKind::kAdd) {
      const Token& sign = Advance();
      CS_ASSIGN_OR_RETURN(DurNode operand, ParseDurBinary(kPrecPow, depth + 1));
      auto unary = std::make_unique<DurationExpr>();
      unary->kind = DurationExpr::Kind::kUnary;
      unary->negative = sign.kind == TokenKind::kSub;
      unary->pos = {sign.pos, operand.expr->pos.end};
      unary->lhs = std::move(operand.expr);
      return DurNode{std::move(unary), operand.height + 1};
    }
    return ParseDurPrimary(depth);
  }

  StatusOr<DurNode> ParseDurPrimary(int depth) {
    CS_RETURN_IF_ERROR(CheckHeight(depth, Cur().pos));
    const Token& t = Cur();
    auto expr = std::make_unique<DurationExpr>();
    expr->pos.start = t.pos;
    int height = 1;
    if (t.kind == TokenKind::kNumber) {
      expr->kind = DurationExpr::Kind::kNumber;
      expr->number = t.number;
      Advance();
    } else if (t.kind == TokenKind::kDuration) {
      expr->kind = DurationExpr::Kind::kDuration;
      expr->duration_ms = t.duration_ms;
      Advance();
    } else if (t.kind == TokenKind::kLeftParen) {
      Advance();
      CS_ASSIGN_OR_RETURN(DurNode inner, ParseDurBinary(0, depth + 1));
      CS_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, " in duration expression, expected \")\""));
      expr->kind = DurationExpr::Kind::kParen;
      expr->lhs = std::move(inner.expr);
      height = inner.height + 1;
    } else if (t.kind == TokenKind::kIdentifier && PeekTok().kind == TokenKind::kLeftParen) {
      std::string name = Lower(t.text);
      if (name == "step" || name == "range") {
        Advance();
        Advance();
        CS_RETURN_IF_ERROR(
            Expect(TokenKind::kRightParen, base::StrCat(" in ", name, "(), expected \")\"")));
        expr->kind = name == "step" ? DurationExpr::Kind::kStep : DurationExpr::Kind::kRange;
      } else if (name == "min_of" || name == "max_of") {
        Advance();
        Advance();
        CS_ASSIGN_OR_RETURN(DurNode a, ParseDurBinary(0, depth + 1));
        CS_RETURN_IF_ERROR(
            Expect(TokenKind::kComma, base::StrCat(" in ", name, "(), expected \",\"")));
        CS_ASSIGN_OR_RETURN(DurNode b, ParseDurBinary(0, depth + 1));
        CS_RETURN_IF_ERROR(
            Expect(TokenKind::kRightParen, base::StrCat(" in ", name, "(), expected \")\"")));
        expr->kind = name == "min_of" ? DurationExpr::Kind::kMinOf : DurationExpr::Kind::kMaxOf;
        height = 1 + std::max(a.height, b.height);
        expr->lhs = std::move(a.expr);
        expr->rhs = std::move(b.expr);
      } else {
        return Error(t.pos, absl::StrFormat("unknown function \"%s\" in duration expression",
                                            base::AsAbsl(t.text)));
      }
    } else {
      return Unexpected(t, " in duration expression, expected a duration or number");
    }
    expr->pos.end = PrevEnd();
    return DurNode{std::move(expr), height};
  }

  // ---- Primaries ----

  StatusOr<Node> ParsePrimary(int depth) {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kNumber:
      case TokenKind::kDuration: {
        Advance();
        NumberLiteral number{t.number, t.kind == TokenKind::kDuration};
        return Node{MakeExpr({t.pos, PrevEnd()}, number), 1};
      }
      case TokenKind::kString: {
        Advance();
        return Node{MakeExpr({t.pos, PrevEnd()}, StringLiteral{t.value}), 1};
      }
      case TokenKind::kLeftParen: {
        Advance();
        CS_ASSIGN_OR_RETURN(Node inner, ParseBinary(0, depth + 1));
        if (Cur().kind != TokenKind::kRightParen) {
          return Unexpected(Cur(), ", expected \")\"");
        }
        Advance();
        ParenExpr paren;
        paren.expr = std::move(inner.expr);
        return Node{MakeExpr({t.pos, PrevEnd()}, std::move(paren)), inner.height + 1};
      }
      case TokenKind::kLeftBrace:
      case TokenKind::kMetricIdentifier: {
        CS_ASSIGN_OR_RETURN(ExprPtr selector, ParseVectorSelector());
        return Node{std::move(selector), 1};
      }
      case TokenKind::kIdentifier:
        return ParseIdentifierPrimary(depth);
      default:
        return Unexpected(t, ", expected an expression");
    }
  }

  StatusOr<Node> ParseIdentifierPrimary(int depth) {
    const Token& t = Cur();
    const TokenKind next = PeekTok().kind;
    std::string lower = Lower(t.text);
    std::optional<AggregateOp> agg = LookupAggregateOp(lower);
    if (agg.has_value() && (next == TokenKind::kLeftParen || IsKeyword(PeekTok(), "by") ||
                            IsKeyword(PeekTok(), "without"))) {
      return ParseAggregation(*agg, depth);
    }
    if (next == TokenKind::kLeftParen) return ParseCall(depth);
    if (lower == "on" || lower == "ignoring" || lower == "bool" || lower == "group_left" ||
        lower == "group_right" || lower == "atan2") {
      return Unexpected(t, ", expected an expression");
    }
    CS_ASSIGN_OR_RETURN(ExprPtr selector, ParseVectorSelector());
    return Node{std::move(selector), 1};
  }

  // `name`, `name{...}` or `{...}`.
  StatusOr<ExprPtr> ParseVectorSelector() {
    const int32_t start = Cur().pos;
    VectorSelector vs;
    if (Cur().kind == TokenKind::kIdentifier || Cur().kind == TokenKind::kMetricIdentifier) {
      vs.name = std::string(Advance().text);
    }
    if (Cur().kind == TokenKind::kLeftBrace) {
      CS_RETURN_IF_ERROR(ParseMatchers(vs));
    }
    return MakeExpr({start, PrevEnd()}, std::move(vs));
  }

  StatusOr<std::string> ParseLabelName(std::string_view context) {
    const Token& t = Cur();
    if (t.kind == TokenKind::kIdentifier) {
      Advance();
      return std::string(t.text);
    }
    if (t.kind == TokenKind::kString) {
      Advance();
      CS_RETURN_IF_ERROR(CheckQuotedName(t, "label"));
      return t.value;
    }
    return Unexpected(t, base::StrCat(" in ", context, ", expected label"));
  }

  absl::Status CheckQuotedName(const Token& t, std::string_view what) const {
    if (t.value.empty()) return Error(t.pos, base::StrCat("empty ", what, " name"));
    if (!model::IsValidUtf8(t.value)) {
      return Error(t.pos, absl::StrFormat("invalid UTF-8 in %s name %s", base::AsAbsl(what),
                                          base::AsAbsl(t.text)));
    }
    return absl::OkStatus();
  }

  absl::Status ParseMatchers(VectorSelector& vs) {
    const Token& open = Advance();  // {
    bool name_from_braces = false;
    while (Cur().kind != TokenKind::kRightBrace) {
      const Token& name_token = Cur();
      if (name_token.kind != TokenKind::kIdentifier && name_token.kind != TokenKind::kString) {
        if (name_token.kind == TokenKind::kEof) {
          return Error(open.pos, "unexpected end of input inside braces");
        }
        return Unexpected(name_token, " in label matching, expected label");
      }
      Advance();
      std::optional<MatchType> type;
      switch (Cur().kind) {
        case TokenKind::kAssign:
          type = MatchType::kEqual;
          break;
        case TokenKind::kNeq:
          type = MatchType::kNotEqual;
          break;
        case TokenKind::kRegexMatch:
          type = MatchType::kRegexMatch;
          break;
        case TokenKind::kRegexNoMatch:
          type = MatchType::kRegexNoMatch;
          break;
        default:
          break;
      }
      if (!type.has_value()) {
        if (name_token.kind == TokenKind::kString &&
            (Cur().kind == TokenKind::kComma || Cur().kind == TokenKind::kRightBrace)) {
          // {"metric.name", ...}: a quoted metric name.
          CS_RETURN_IF_ERROR(CheckQuotedName(name_token, "metric"));
          if (!vs.name.empty()) {
            return Error(name_token.pos,
                         absl::StrFormat("metric name must not be set twice: \"%s\" or \"%s\"",
                                         vs.name, name_token.value));
          }
          vs.name = name_token.value;
          name_from_braces = true;
        } else {
          return Unexpected(Cur(), " in label matching, expected label matching operator");
        }
      } else {
        Advance();
        if (Cur().kind != TokenKind::kString) {
          return Unexpected(Cur(), " in label matching, expected string");
        }
        const Token& value_token = Advance();
        LabelMatcher matcher;
        matcher.type = *type;
        if (name_token.kind == TokenKind::kString) {
          CS_RETURN_IF_ERROR(CheckQuotedName(name_token, "label"));
          matcher.name = name_token.value;
        } else {
          matcher.name = std::string(name_token.text);
        }
        matcher.value = value_token.value;
        if (*type == MatchType::kRegexMatch || *type == MatchType::kRegexNoMatch) {
          CS_RETURN_IF_ERROR(CheckRegex(matcher.value, value_token.pos));
        }
        if (matcher.name == "__name__" && *type == MatchType::kEqual && !vs.name.empty()) {
          return Error(name_token.pos,
                       absl::StrFormat("metric name must not be set twice: \"%s\" or \"%s\"",
                                       vs.name, matcher.value));
        }
        vs.matchers.push_back(std::move(matcher));
      }
      if (Cur().kind == TokenKind::kComma) {
        Advance();
      } else if (Cur().kind != TokenKind::kRightBrace) {
        if (Cur().kind == TokenKind::kEof) {
          return Error(open.pos, "unexpected end of input inside braces");
        }
        return Unexpected(Cur(), " in label matching, expected \",\" or \"}\"");
      }
    }
    Advance();  // }
    if (name_from_braces) {
      for (const LabelMatcher& m : vs.matchers) {
        if (m.name == "__name__" && m.type == MatchType::kEqual) {
          return Error(open.pos,
                       absl::StrFormat("metric name must not be set twice: \"%s\" or \"%s\"",
                                       vs.name, m.value));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckRegex(const std::string& pattern, int32_t pos) const {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);
    RE2 re(base::StrCat("^(?:", pattern, ")$"), options);
    if (!re.ok()) {
      return Error(pos, base::StrCat("error parsing regexp: ", re.error()));
    }
    return absl::OkStatus();
  }

  // Walks the finished tree (its height is bounded by kMaxNestingDepth) and checks every vector
  // selector except the data-label selector of info(), which may match everything.
  absl::Status CheckSelectors(const Expr& expr) const {
    if (expr.As<VectorSelector>() != nullptr) return CheckSelectorNotEmpty(expr);
    if (const auto* ms = expr.As<MatrixSelector>()) return CheckSelectors(*ms->selector);
    if (const auto* sq = expr.As<SubqueryExpr>()) return CheckSelectors(*sq->expr);
    if (const auto* paren = expr.As<ParenExpr>()) return CheckSelectors(*paren->expr);
    if (const auto* unary = expr.As<UnaryExpr>()) return CheckSelectors(*unary->expr);
    if (const auto* bin = expr.As<BinaryExpr>()) {
      CS_RETURN_IF_ERROR(CheckSelectors(*bin->lhs));
      return CheckSelectors(*bin->rhs);
    }
    if (const auto* agg = expr.As<AggregateExpr>()) {
      if (agg->param != nullptr) CS_RETURN_IF_ERROR(CheckSelectors(*agg->param));
      return CheckSelectors(*agg->expr);
    }
    if (const auto* call = expr.As<Call>()) {
      for (size_t i = 0; i < call->args.size(); ++i) {
        if (call->func->name == "info" && i == 1) continue;
        CS_RETURN_IF_ERROR(CheckSelectors(*call->args[i]));
      }
    }
    return absl::OkStatus();
  }

  // Prometheus: a selector must have at least one matcher that does not match "".
  absl::Status CheckSelectorNotEmpty(const Expr& expr) const {
    const auto* vs = expr.As<VectorSelector>();
    if (!vs->name.empty()) return absl::OkStatus();
    for (const LabelMatcher& m : vs->matchers) {
      bool matches_empty = false;
      switch (m.type) {
        case MatchType::kEqual:
          matches_empty = m.value.empty();
          break;
        case MatchType::kNotEqual:
          matches_empty = !m.value.empty();
          break;
        case MatchType::kRegexMatch:
        case MatchType::kRegexNoMatch: {
          RE2::Options options;
          options.set_log_errors(false);
          options.set_dot_nl(true);
          RE2 re(base::StrCat("^(?:", m.value, ")$"), options);
          bool full = RE2::FullMatch("", re);
          matches_empty = m.type == MatchType::kRegexMatch ? full : !full;
          break;
        }
      }
      if (!matches_empty) return absl::OkStatus();
    }
    return Error(expr.pos.start, "vector selector must contain at least one non-empty matcher");
  }

  StatusOr<std::vector<std::string>> ParseLabelList(std::string_view context) {
    std::vector<std::string> labels;
    CS_RETURN_IF_ERROR(
        Expect(TokenKind::kLeftParen, base::StrCat(" in ", context, ", expected \"(\"")));
    while (Cur().kind != TokenKind::kRightParen) {
      CS_ASSIGN_OR_RETURN(std::string label, ParseLabelName(context));
      labels.push_back(std::move(label));
      if (Cur().kind == TokenKind::kComma) {
        Advance();
      } else if (Cur().kind != TokenKind::kRightParen) {
        return Unexpected(Cur(), base::StrCat(" in ", context, ", expected \",\" or \")\""));
      }
    }
    Advance();
    return labels;
  }

  StatusOr<Node> ParseAggregation(AggregateOp op, int depth) {
    const Token& name = Advance();
    AggregateExpr agg;
    agg.op = op;
    bool grouped = false;
    auto parse_grouping = [&]() -> absl::Status {
      if (grouped) return Error(Cur().pos, "aggregation may have only one by/without clause");
      grouped = true;
      agg.without = IsKeyword(Cur(), "without");
      Advance();
      CS_ASSIGN_OR_RETURN(agg.grouping, ParseLabelList("grouping clause"));
      return absl::OkStatus();
    };
    if (IsKeyword(Cur(), "by") || IsKeyword(Cur(), "without")) {
      CS_RETURN_IF_ERROR(parse_grouping());
    }
    CS_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, " in aggregation, expected \"(\""));
    std::vector<Node> args;
    int height = 1;
    while (Cur().kind != TokenKind::kRightParen) {
      CS_ASSIGN_OR_RETURN(Node arg, ParseBinary(0, depth + 1));
      height = std::max(height, arg.height + 1);
      args.push_back(std::move(arg));
      if (Cur().kind == TokenKind::kComma) {
        Advance();
      } else if (Cur().kind != TokenKind::kRightParen) {
        return Unexpected(Cur(), " in aggregation, expected \",\" or \")\"");
      }
    }
    Advance();
    if (IsKeyword(Cur(), "by") || IsKeyword(Cur(), "without")) {
      CS_RETURN_IF_ERROR(parse_grouping());
    }
    PosRange pos{name.pos, PrevEnd()};
    size_t expected = AggregateTakesParam(op) ? 2 : 1;
    if (args.size() != expected) {
      return Error(name.pos, absl::StrFormat("wrong number of arguments for aggregate expression "
                                             "provided, expected %d, got %d",
                                             expected, args.size()));
    }
    if (expected == 2) {
      agg.param = std::move(args[0].expr);
      ValueType want = op == AggregateOp::kCountValues ? ValueType::kString : ValueType::kScalar;
      ValueType got = TypeOf(*agg.param);
      if (got != want) {
        return Error(
            agg.param->pos.start,
            absl::StrFormat("expected type %s in aggregation parameter, got %s",
                            base::AsAbsl(ValueTypeName(want)), base::AsAbsl(ValueTypeName(got))));
      }
    }
    agg.expr = std::move(args.back().expr);
    ValueType body = TypeOf(*agg.expr);
    if (body != ValueType::kVector) {
      return Error(agg.expr->pos.start,
                   absl::StrFormat("expected type instant vector in aggregation expression, got %s",
                                   base::AsAbsl(ValueTypeName(body))));
    }
    return Node{MakeExpr(pos, std::move(agg)), height};
  }

  StatusOr<Node> ParseCall(int depth) {
    const Token& name = Advance();
    const FunctionInfo* func = LookupFunction(name.text);
    if (func == nullptr) {
      std::string lower = Lower(name.text);
      if (lower == "step" || lower == "range" || lower == "start" || lower == "end" ||
          lower == "min_of" || lower == "max_of") {
        func = LookupFunction(lower);
      }
    }
    if (func == nullptr) {
      return Error(name.pos,
                   absl::StrFormat("unknown function with name \"%s\"", base::AsAbsl(name.text)));
    }
    Advance();  // (
    Call call;
    call.func = func;
    int height = 1;
    while (Cur().kind != TokenKind::kRightParen) {
      CS_ASSIGN_OR_RETURN(Node arg, ParseBinary(0, depth + 1));
      height = std::max(height, arg.height + 1);
      call.args.push_back(std::move(arg.expr));
      if (Cur().kind == TokenKind::kComma) {
        const Token& comma = Advance();
        if (Cur().kind == TokenKind::kRightParen) {
          return Error(comma.pos, "trailing commas not allowed in function call args");
        }
      } else if (Cur().kind != TokenKind::kRightParen) {
        return Unexpected(Cur(), " in function call, expected \",\" or \")\"");
      }
    }
    Advance();
    PosRange pos{name.pos, PrevEnd()};
    CS_RETURN_IF_ERROR(CheckCall(call, name.pos));
    return Node{MakeExpr(pos, std::move(call)), height};
  }

  absl::Status CheckCall(const Call& call, int32_t pos) const {
    const FunctionInfo& f = *call.func;
    const size_t nargs = f.arg_types.size();
    const size_t got = call.args.size();
    if (f.variadic == 0) {
      if (got != nargs) {
        return Error(pos, absl::StrFormat("expected %d argument(s) in call to \"%s\", got %d",
                                          nargs, base::AsAbsl(f.name), got));
      }
    } else {
      size_t min = nargs - 1;
      if (got < min) {
        return Error(
            pos, absl::StrFormat("expected at least %d argument(s) in call to \"%s\", got %d", min,
                                 base::AsAbsl(f.name), got));
      }
      if (f.variadic > 0 && got > min + static_cast<size_t>(f.variadic)) {
        return Error(
            pos, absl::StrFormat("expected at most %d argument(s) in call to \"%s\", got %d",
                                 min + static_cast<size_t>(f.variadic), base::AsAbsl(f.name), got));
      }
    }
    for (size_t i = 0; i < got; ++i) {
      ValueType want = i < nargs ? f.arg_types[i] : f.arg_types.back();
      const Expr& arg = *call.args[i];
      ValueType have = TypeOf(arg);
      if (have != want) {
        return Error(arg.pos.start,
                     absl::StrFormat("expected type %s in call to function \"%s\", got %s",
                                     base::AsAbsl(ValueTypeName(want)), base::AsAbsl(f.name),
                                     base::AsAbsl(ValueTypeName(have))));
      }
      if (const auto* ms = arg.As<MatrixSelector>()) {
        const auto* vs = ms->selector->As<VectorSelector>();
        if (vs->anchored && f.name != "changes" && f.name != "delta" && f.name != "increase" &&
            f.name != "rate" && f.name != "resets") {
          return Error(arg.pos.start,
                       base::StrCat("anchored modifier can only be used with: changes, delta, "
                                    "increase, rate, resets - not with ",
                                    f.name));
        }
        if (vs->smoothed && f.name != "delta" && f.name != "increase" && f.name != "rate") {
          return Error(arg.pos.start,
                       base::StrCat("smoothed modifier can only be used with: delta, increase, "
                                    "rate - not with ",
                                    f.name));
        }
      }
    }
    if (f.name == "info" && got == 2 && call.args[1]->As<VectorSelector>() == nullptr) {
      return Error(call.args[1]->pos.start,
                   "expected label selectors as the second argument to \"info\" function");
    }
    return absl::OkStatus();
  }

  absl::Status CheckBinary(BinaryExpr& bin, const Token& op_token) const {
    const ValueType lt = TypeOf(*bin.lhs);
    const ValueType rt = TypeOf(*bin.rhs);
    const std::string_view op = BinaryOpName(bin.op);
    const bool comparison = IsComparisonOp(bin.op);
    const bool set = IsSetOp(bin.op);
    for (const Expr* side : {bin.lhs.get(), bin.rhs.get()}) {
      ValueType t = TypeOf(*side);
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        return Error(side->pos.start,
                     "binary expression must contain only scalar and instant vector types");
      }
    }
    if (bin.return_bool && !comparison) {
      return Error(op_token.pos, "bool modifier can only be used on comparison operators");
    }
    if (comparison && lt == ValueType::kScalar && rt == ValueType::kScalar && !bin.return_bool) {
      return Error(op_token.pos, "comparisons between scalars must use BOOL modifier");
    }
    if (set && (lt == ValueType::kScalar || rt == ValueType::kScalar)) {
      return Error(op_token.pos, absl::StrFormat("set operator \"%s\" not allowed in binary "
                                                 "scalar expression",
                                                 base::AsAbsl(op)));
    }
    const bool vectors = lt == ValueType::kVector && rt == ValueType::kVector;
    if (!vectors) {
      if (bin.matching.has_value() && !bin.matching->labels.empty()) {
        return Error(op_token.pos, "vector matching only allowed between instant vectors");
      }
      bin.matching.reset();
      if (bin.fill.left.has_value() || bin.fill.right.has_value()) {
        return Error(op_token.pos, "fill modifiers only allowed between instant vectors");
      }
      return absl::OkStatus();
    }
    if (!bin.matching.has_value()) bin.matching.emplace();
    VectorMatching& m = *bin.matching;
    if (set) {
      if (m.card == VectorMatching::Cardinality::kManyToOne ||
          m.card == VectorMatching::Cardinality::kOneToMany) {
        return Error(op_token.pos,
                     absl::StrFormat("no grouping allowed for \"%s\" operation", base::AsAbsl(op)));
      }
      if (bin.fill.left.has_value() || bin.fill.right.has_value()) {
        return Error(op_token.pos, absl::StrFormat("fill modifiers not allowed for \"%s\" "
                                                   "operation",
                                                   base::AsAbsl(op)));
      }
      m.card = VectorMatching::Cardinality::kManyToMany;
    }
    if (m.on) {
      for (const std::string& label : m.include) {
        if (std::find(m.labels.begin(), m.labels.end(), label) != m.labels.end()) {
          return Error(
              op_token.pos,
              absl::StrFormat("label \"%s\" must not occur in ON and GROUP clause at once", label));
        }
      }
    }
    return absl::OkStatus();
  }

  std::string_view input_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

StatusOr<std::vector<Token>> LexLimited(std::string_view query) {
  if (query.size() > kMaxQueryBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "query is %d bytes, more than the limit of %d bytes", query.size(), kMaxQueryBytes));
  }
  return Lex(query);
}

}  // namespace

StatusOr<ExprPtr> ParseExpr(std::string_view query) {
  CS_ASSIGN_OR_RETURN(std::vector<Token> tokens, LexLimited(query));
  if (tokens.size() == 1) return ParseError(query, 0, "no expression found in input");
  return Parser(query, std::move(tokens)).ParseWhole();
}

StatusOr<ExprPtr> ParseMetricSelector(std::string_view selector) {
  CS_ASSIGN_OR_RETURN(std::vector<Token> tokens, LexLimited(selector));
  return Parser(selector, std::move(tokens)).ParseSelectorOnly();
}

}  // namespace cardinalsin::promql
