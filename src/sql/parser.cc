#include "sql/parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "sql/lexer.h"

namespace cardinalsin::sql {
namespace {

constexpr std::string_view kReservedKeywords[] = {
    "all",   "and",   "any",      "as",     "asc",     "between", "by",     "case",      "cast",
    "cross", "desc",  "distinct", "else",   "end",     "escape",  "except", "exists",    "false",
    "from",  "full",  "group",    "having", "ilike",   "in",      "inner",  "intersect", "is",
    "join",  "left",  "like",     "limit",  "natural", "not",     "null",   "offset",    "on",
    "or",    "order", "outer",    "right",  "select",  "then",    "true",   "union",     "using",
    "when",  "where", "window",   "with",
};

// Words that start a join; after a FROM item they get a dedicated message.
constexpr std::string_view kJoinKeywords[] = {"join", "inner", "left",    "right",
                                              "full", "cross", "natural", "outer"};

// Binding strength of the infix and prefix operators, loosest first (parser.h).
constexpr int kOrPrecedence = 1;
constexpr int kAndPrecedence = 2;
constexpr int kNotPrecedence = 3;
constexpr int kComparisonPrecedence = 4;  // also IS, IN, BETWEEN, LIKE, ILIKE
constexpr int kConcatPrecedence = 5;
constexpr int kAdditivePrecedence = 6;
constexpr int kMultiplicativePrecedence = 7;
constexpr int kUnaryPrecedence = 8;  // prefix - and +; only :: binds tighter

bool IsOneOf(std::string_view word, const auto& words) {
  return std::find(std::begin(words), std::end(words), word) != std::end(words);
}

std::optional<BinaryOperator> ComparisonOperator(const Token& token) {
  if (token.kind != TokenKind::kOperator) return std::nullopt;
  const std::string_view t = token.text;
  if (t == "=") return BinaryOperator::kEq;
  if (t == "<>" || t == "!=") return BinaryOperator::kNotEq;
  if (t == "<") return BinaryOperator::kLt;
  if (t == "<=") return BinaryOperator::kLtEq;
  if (t == ">") return BinaryOperator::kGt;
  if (t == ">=") return BinaryOperator::kGtEq;
  if (t == "~") return BinaryOperator::kRegexMatch;
  if (t == "~*") return BinaryOperator::kRegexMatchInsensitive;
  if (t == "!~") return BinaryOperator::kRegexNotMatch;
  if (t == "!~*") return BinaryOperator::kRegexNotMatchInsensitive;
  return std::nullopt;
}

int HeightOf(const ExprPtr& e) { return e ? e->height : 0; }
int HeightOf(const std::unique_ptr<Query>& q) { return q ? q->height : 0; }

// The height of the tallest immediate child of `node` (children already carry their heights).
int ChildHeight(const Expr::Node& node) {
  int h = 0;
  auto take = [&h](int child) { h = std::max(h, child); };
  if (const auto* n = std::get_if<UnaryOp>(&node)) {
    take(HeightOf(n->operand));
  } else if (const auto* n = std::get_if<BinaryOp>(&node)) {
    take(HeightOf(n->left));
    take(HeightOf(n->right));
  } else if (const auto* n = std::get_if<LogicalOp>(&node)) {
    for (const auto& o : n->operands) take(HeightOf(o));
  } else if (const auto* n = std::get_if<IsNull>(&node)) {
    take(HeightOf(n->operand));
  } else if (const auto* n = std::get_if<InList>(&node)) {
    take(HeightOf(n->operand));
    for (const auto& v : n->values) take(HeightOf(v));
  } else if (const auto* n = std::get_if<InSubquery>(&node)) {
    take(HeightOf(n->operand));
    take(HeightOf(n->subquery));
  } else if (const auto* n = std::get_if<Between>(&node)) {
    take(HeightOf(n->operand));
    take(HeightOf(n->low));
    take(HeightOf(n->high));
  } else if (const auto* n = std::get_if<Like>(&node)) {
    take(HeightOf(n->operand));
    take(HeightOf(n->pattern));
    take(HeightOf(n->escape));
  } else if (const auto* n = std::get_if<FunctionCall>(&node)) {
    for (const auto& a : n->args) take(HeightOf(a));
    for (const auto& o : n->order_by) take(HeightOf(o.expr));
    for (const auto& o : n->within_group) take(HeightOf(o.expr));
    take(HeightOf(n->filter));
  } else if (const auto* n = std::get_if<Case>(&node)) {
    take(HeightOf(n->operand));
    for (const auto& w : n->whens) {
      take(HeightOf(w.condition));
      take(HeightOf(w.result));
    }
    take(HeightOf(n->else_result));
  } else if (const auto* n = std::get_if<Cast>(&node)) {
    take(HeightOf(n->operand));
  } else if (const auto* n = std::get_if<Extract>(&node)) {
    take(HeightOf(n->operand));
  } else if (const auto* n = std::get_if<ScalarSubquery>(&node)) {
    take(HeightOf(n->query));
  }
  return h;
}

int QueryChildHeight(const Query& q) {
  int h = 0;
  auto take = [&h](int child) { h = std::max(h, child); };
  if (q.select) {
    const Select& s = *q.select;
    for (const auto& item : s.items) take(HeightOf(item.expr));
    if (s.from) take(HeightOf(s.from->subquery));
    take(HeightOf(s.where));
    for (const auto& g : s.group_by) take(HeightOf(g));
    take(HeightOf(s.having));
  }
  take(HeightOf(q.left));
  take(HeightOf(q.right));
  for (const auto& o : q.order_by) take(HeightOf(o.expr));
  take(HeightOf(q.limit));
  take(HeightOf(q.offset));
  return h;
}

class Parser {
 public:
  explicit Parser(std::string_view sql) : sql_(sql), lexer_(sql) {}

  absl::StatusOr<Statement> ParseStatement();

 private:
  // Counts one level of recursion for as long as it lives; CheckDepth() fails past the limit.
  // ParseExpr, ParseQuery and the prefix operators (NOT, unary - and +) count a level; every
  // other recursion goes through one of them.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* parser) : parser_(parser) { ++parser_->depth_; }
    ~DepthGuard() { --parser_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser* parser_;
  };
  absl::Status CheckDepth(const Token& at) {
    if (depth_ > kMaxNestingDepth) {
      return Error(at, base::StrCat("query nested too deeply (more than ", kMaxNestingDepth,
                                    " levels of nested expressions and subqueries)"));
    }
    return absl::OkStatus();
  }

  // Token access. A lexer error is remembered and a kEnd token stands in for the rest of the
  // input; the next error reported (and there will be one: see Error) is the lexer's.
  const Token& Peek(size_t n = 0);
  // Whether the tokens from the next one on are a parenthesized query continued by a set
  // operation or ORDER BY / LIMIT / OFFSET (the start of a scalar subquery's query).
  bool ParenthesizedQueryAhead();
  Token Take();
  bool TakeKeyword(std::string_view keyword);
  bool TakeOperator(std::string_view op);
  absl::Status ExpectKeyword(std::string_view keyword, std::string_view shown);
  absl::Status ExpectOperator(std::string_view op);

  // "syntax error at <token>: <message>", or the pending lexer error.
  absl::Status Error(const Token& at, std::string_view message);
  // "expected <what>, found <the next token>".
  absl::Status Expected(std::string_view what);

  absl::StatusOr<ExprPtr> MakeExpr(Expr::Node node, size_t pos);
  absl::Status SetQueryHeight(Query& query);

  // The parsing functions are kept out of line: inlined into each other, their locals would all
  // share the frames on the recursion path and multiply the stack used per nesting level.
  // Queries.
  [[gnu::noinline]] absl::StatusOr<std::unique_ptr<Query>> ParseQuery();
  [[gnu::noinline]] absl::StatusOr<std::unique_ptr<Query>> ParseSetOperand();
  [[gnu::noinline]] absl::StatusOr<std::unique_ptr<Select>> ParseSelect();
  [[gnu::noinline]] absl::StatusOr<SelectItem> ParseSelectItem();
  [[gnu::noinline]] absl::StatusOr<TableRef> ParseTableRef();
  [[gnu::noinline]] absl::StatusOr<std::vector<std::string>> ParseQualifiedName(
      std::string_view what);
  [[gnu::noinline]] absl::StatusOr<std::vector<OrderItem>> ParseOrderItems();
  [[gnu::noinline]] absl::StatusOr<std::optional<std::string>> ParseOptionalAlias();

  // Expressions, by precedence climbing over the levels in parser.h.
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseExpr();
  // The precedence of the infix operator at the next token, or 0 if there is none.
  int InfixPrecedence();
  // An expression whose infix operators all bind at least as tightly as `min_precedence`.
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseBinary(int min_precedence);
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParsePrefix(int min_precedence);
  // REQUIRES: InfixPrecedence() == precedence > 0.
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseInfix(ExprPtr left, int precedence);
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseLogicalChain(ExprPtr first, int precedence);
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseComparisonKeyword(ExprPtr left);
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseIn(ExprPtr left, bool negated);
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParsePostfix();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParsePrimary();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseParenthesized();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseNumber();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseStringLiteral();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseParameter();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseIdentifierExpr();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseTypedLiteral();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseFunctionCall();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseCase();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseCast();
  [[gnu::noinline]] absl::StatusOr<ExprPtr> ParseExtract();
  [[gnu::noinline]] absl::StatusOr<TypeName> ParseTypeName();

  std::string_view sql_;
  Lexer lexer_;
  std::deque<Token> lookahead_;
  std::optional<absl::Status> lex_error_;
  int depth_ = 0;
  int question_marks_ = 0;
  int max_dollar_ = 0;
};

const Token& Parser::Peek(size_t n) {
  while (lookahead_.size() <= n) {
    if (lex_error_.has_value()) {
      Token end;
      end.kind = TokenKind::kEnd;
      end.location = LocateOffset(sql_, sql_.size());
      lookahead_.push_back(std::move(end));
      continue;
    }
    absl::StatusOr<Token> token = lexer_.Next();
    if (!token.ok()) {
      lex_error_ = token.status();
      continue;
    }
    lookahead_.push_back(*std::move(token));
  }
  return lookahead_[n];
}

Token Parser::Take() {
  Peek();
  Token token = std::move(lookahead_.front());
  lookahead_.pop_front();
  return token;
}

bool Parser::TakeKeyword(std::string_view keyword) {
  if (!Peek().IsKeyword(keyword)) return false;
  Take();
  return true;
}

bool Parser::TakeOperator(std::string_view op) {
  if (!Peek().IsOperator(op)) return false;
  Take();
  return true;
}

absl::Status Parser::ExpectKeyword(std::string_view keyword, std::string_view shown) {
  if (TakeKeyword(keyword)) return absl::OkStatus();
  return Expected(shown);
}

absl::Status Parser::ExpectOperator(std::string_view op) {
  if (TakeOperator(op)) return absl::OkStatus();
  return Expected(base::StrCat("'", op, "'"));
}

absl::Status Parser::Error(const Token& at, std::string_view message) {
  if (lex_error_.has_value()) return *lex_error_;
  return SyntaxError(at.location, message);
}

absl::Status Parser::Expected(std::string_view what) {
  const Token& found = Peek();
  return Error(found, base::StrCat("expected ", what, ", found ", DescribeToken(found)));
}

absl::StatusOr<ExprPtr> Parser::MakeExpr(Expr::Node node, size_t pos) {
  auto expr = std::make_unique<Expr>();
  expr->height = ChildHeight(node) + 1;
  expr->node = std::move(node);
  expr->pos = pos;
  if (expr->height > kMaxTreeHeight) {
    return Error(Peek(), base::StrCat("expression too deeply nested (more than ", kMaxTreeHeight,
                                      " levels)"));
  }
  return expr;
}

absl::Status Parser::SetQueryHeight(Query& query) {
  query.height = QueryChildHeight(query) + 1;
  if (query.height > kMaxTreeHeight) {
    return Error(Peek(),
                 base::StrCat("query too deeply nested (more than ", kMaxTreeHeight, " levels)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Parser::ParseStatement() {
  if (sql_.size() > kMaxQueryBytes) {
    return absl::InvalidArgumentError(
        base::StrCat("query text is ", sql_.size(), " bytes; the limit is ", kMaxQueryBytes));
  }
  Statement statement;
  const Token& first = Peek();
  statement.pos = first.location.offset;
  if (first.IsKeyword("select") || first.IsOperator("(")) {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<Query> query, ParseQuery());
    statement.node = std::move(*query);
  } else if (first.IsKeyword("show")) {
    Take();
    CS_RETURN_IF_ERROR(ExpectKeyword("tables", "TABLES"));
    statement.node = ShowTables{};
  } else if (first.IsKeyword("describe") || first.IsKeyword("desc")) {
    Take();
    CS_ASSIGN_OR_RETURN(std::vector<std::string> table, ParseQualifiedName("table name"));
    statement.node = Describe{std::move(table)};
  } else if (first.IsKeyword("explain")) {
    Take();
    Explain explain;
    explain.analyze = TakeKeyword("analyze");
    if (!Peek().IsKeyword("select") && !Peek().IsOperator("(")) {
      return Expected("a query (SELECT or '(') after EXPLAIN");
    }
    CS_ASSIGN_OR_RETURN(explain.query, ParseQuery());
    statement.node = std::move(explain);
  } else if (first.IsKeyword("with")) {
    return Error(first, "WITH (common table expressions) is not supported");
  } else {
    return Expected("SELECT, SHOW TABLES, DESCRIBE, EXPLAIN or '('");
  }
  TakeOperator(";");
  if (Peek().kind != TokenKind::kEnd) return Expected("end of input");
  if (lex_error_.has_value()) return *lex_error_;
  statement.num_parameters = std::max(question_marks_, max_dollar_);
  return statement;
}

absl::StatusOr<std::unique_ptr<Query>> Parser::ParseQuery() {
  DepthGuard guard(this);
  CS_RETURN_IF_ERROR(CheckDepth(Peek()));
  const size_t pos = Peek().location.offset;
  CS_ASSIGN_OR_RETURN(std::unique_ptr<Query> query, ParseSetOperand());
  while (Peek().IsKeyword("union")) {
    Take();
    SetOperator op = SetOperator::kUnion;
    if (TakeKeyword("all")) {
      op = SetOperator::kUnionAll;
    } else {
      TakeKeyword("distinct");
    }
    CS_ASSIGN_OR_RETURN(std::unique_ptr<Query> right, ParseSetOperand());
    auto combined = std::make_unique<Query>();
    combined->kind = Query::Kind::kSetOperation;
    combined->set_operator = op;
    combined->left = std::move(query);
    combined->right = std::move(right);
    combined->pos = pos;
    CS_RETURN_IF_ERROR(SetQueryHeight(*combined));
    query = std::move(combined);
  }

  const Token& next = Peek();
  if (next.IsKeyword("intersect") || next.IsKeyword("except")) {
    return Error(next, base::StrCat(DescribeToken(next), " is not supported; only UNION is"));
  }
  const bool has_tail =
      next.IsKeyword("order") || next.IsKeyword("limit") || next.IsKeyword("offset");
  if (!has_tail) return query;
  if (!query->order_by.empty() || query->limit || query->offset) {
    return Error(next,
                 "a parenthesised query that has ORDER BY, LIMIT or OFFSET cannot take another; "
                 "select from it as a subquery in FROM instead");
  }
  if (TakeKeyword("order")) {
    CS_RETURN_IF_ERROR(ExpectKeyword("by", "BY"));
    CS_ASSIGN_OR_RETURN(query->order_by, ParseOrderItems());
  }
  // LIMIT and OFFSET may come in either order, each at most once.
  for (int i = 0; i < 2; ++i) {
    if (!query->limit && TakeKeyword("limit")) {
      CS_ASSIGN_OR_RETURN(query->limit, ParseExpr());
    } else if (!query->offset && TakeKeyword("offset")) {
      CS_ASSIGN_OR_RETURN(query->offset, ParseExpr());
    }
  }
  CS_RETURN_IF_ERROR(SetQueryHeight(*query));
  return query;
}

absl::StatusOr<std::unique_ptr<Query>> Parser::ParseSetOperand() {
  if (TakeOperator("(")) {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<Query> query, ParseQuery());
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
    return query;
  }
  if (!Peek().IsKeyword("select")) return Expected("SELECT or '('");
  auto query = std::make_unique<Query>();
  query->pos = Peek().location.offset;
  CS_ASSIGN_OR_RETURN(query->select, ParseSelect());
  CS_RETURN_IF_ERROR(SetQueryHeight(*query));
  return query;
}

absl::StatusOr<std::unique_ptr<Select>> Parser::ParseSelect() {
  auto select = std::make_unique<Select>();
  select->pos = Take().location.offset;  // SELECT
  if (TakeKeyword("distinct")) {
    select->distinct = true;
  } else {
    TakeKeyword("all");
  }
  do {
    CS_ASSIGN_OR_RETURN(SelectItem item, ParseSelectItem());
    select->items.push_back(std::move(item));
  } while (TakeOperator(","));

  if (TakeKeyword("from")) {
    CS_ASSIGN_OR_RETURN(select->from, ParseTableRef());
    const Token& next = Peek();
    if (next.IsOperator(",") || (next.kind == TokenKind::kIdentifier && !next.quoted &&
                                 IsOneOf(next.value, kJoinKeywords))) {
      return Error(next, base::StrCat("joins are not supported (found ", DescribeToken(next),
                                      " after the FROM item)"));
    }
  }
  if (TakeKeyword("where")) {
    CS_ASSIGN_OR_RETURN(select->where, ParseExpr());
  }
  if (TakeKeyword("group")) {
    CS_RETURN_IF_ERROR(ExpectKeyword("by", "BY"));
    do {
      CS_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr());
      select->group_by.push_back(std::move(expr));
    } while (TakeOperator(","));
  }
  if (TakeKeyword("having")) {
    CS_ASSIGN_OR_RETURN(select->having, ParseExpr());
  }
  return select;
}

absl::StatusOr<SelectItem> Parser::ParseSelectItem() {
  SelectItem item;
  const Token& first = Peek();
  item.pos = first.location.offset;
  if (first.IsOperator("*")) {
    Take();
    item.star = true;
    return item;
  }
  if (first.kind == TokenKind::kIdentifier && Peek(1).IsOperator(".") && Peek(2).IsOperator("*")) {
    item.star = true;
    item.star_table = Take().value;
    Take();
    Take();
    return item;
  }
  CS_ASSIGN_OR_RETURN(item.expr, ParseExpr());
  CS_ASSIGN_OR_RETURN(item.alias, ParseOptionalAlias());
  return item;
}

absl::StatusOr<std::optional<std::string>> Parser::ParseOptionalAlias() {
  if (TakeKeyword("as")) {
    // After AS any word is a name, as in PostgreSQL.
    if (Peek().kind != TokenKind::kIdentifier) return Expected("an alias after AS");
    return std::optional<std::string>(Take().value);
  }
  const Token& next = Peek();
  if (next.kind == TokenKind::kIdentifier && (next.quoted || !IsReservedKeyword(next.value))) {
    return std::optional<std::string>(Take().value);
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::vector<std::string>> Parser::ParseQualifiedName(std::string_view what) {
  std::vector<std::string> parts;
  while (true) {
    const Token& token = Peek();
    if (token.kind != TokenKind::kIdentifier || (!token.quoted && IsReservedKeyword(token.value))) {
      return Expected(what);
    }
    parts.push_back(Take().value);
    if (!Peek().IsOperator(".")) break;
    if (parts.size() == 3) {
      return Error(Peek(), "a table name has at most three parts (catalog.schema.table)");
    }
    Take();
  }
  return parts;
}

absl::StatusOr<TableRef> Parser::ParseTableRef() {
  TableRef ref;
  const Token& first = Peek();
  ref.pos = first.location.offset;
  if (first.IsOperator("(")) {
    Take();
    if (!Peek().IsKeyword("select") && !Peek().IsOperator("(")) {
      return Expected("a subquery (SELECT or '(')");
    }
    ref.kind = TableRef::Kind::kSubquery;
    CS_ASSIGN_OR_RETURN(ref.subquery, ParseQuery());
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
    CS_ASSIGN_OR_RETURN(ref.alias, ParseOptionalAlias());
    if (!ref.alias) return Expected("an alias for the subquery in FROM");
    return ref;
  }
  CS_ASSIGN_OR_RETURN(ref.name, ParseQualifiedName("table name or subquery"));
  CS_ASSIGN_OR_RETURN(ref.alias, ParseOptionalAlias());
  return ref;
}

absl::StatusOr<std::vector<OrderItem>> Parser::ParseOrderItems() {
  std::vector<OrderItem> items;
  do {
    OrderItem item;
    item.pos = Peek().location.offset;
    CS_ASSIGN_OR_RETURN(item.expr, ParseExpr());
    if (TakeKeyword("desc")) {
      item.descending = true;
    } else {
      TakeKeyword("asc");
    }
    if (TakeKeyword("nulls")) {
      if (TakeKeyword("first")) {
        item.nulls = OrderItem::Nulls::kFirst;
      } else if (TakeKeyword("last")) {
        item.nulls = OrderItem::Nulls::kLast;
      } else {
        return Expected("FIRST or LAST after NULLS");
      }
    }
    items.push_back(std::move(item));
  } while (TakeOperator(","));
  return items;
}

absl::StatusOr<ExprPtr> Parser::ParseExpr() {
  DepthGuard guard(this);
  CS_RETURN_IF_ERROR(CheckDepth(Peek()));
  return ParseBinary(kOrPrecedence);
}

int Parser::InfixPrecedence() {
  const Token& token = Peek();
  if (token.kind == TokenKind::kOperator) {
    if (ComparisonOperator(token)) return kComparisonPrecedence;
    const std::string_view t = token.text;
    if (t == "||") return kConcatPrecedence;
    if (t == "+" || t == "-") return kAdditivePrecedence;
    if (t == "*" || t == "/" || t == "%") return kMultiplicativePrecedence;
    return 0;
  }
  if (token.kind != TokenKind::kIdentifier || token.quoted) return 0;
  const std::string& word = token.value;
  if (word == "or") return kOrPrecedence;
  if (word == "and") return kAndPrecedence;
  // NOT after an operand can only start NOT IN / BETWEEN / LIKE / ILIKE; ParseInfix says so if
  // it does not.
  if (word == "is" || word == "in" || word == "between" || word == "like" || word == "ilike" ||
      word == "not") {
    return kComparisonPrecedence;
  }
  return 0;
}

absl::StatusOr<ExprPtr> Parser::ParseBinary(int min_precedence) {
  CS_ASSIGN_OR_RETURN(ExprPtr left, ParsePrefix(min_precedence));
  while (true) {
    const int precedence = InfixPrecedence();
    if (precedence == 0 || precedence < min_precedence) return left;
    CS_ASSIGN_OR_RETURN(left, ParseInfix(std::move(left), precedence));
  }
}

absl::StatusOr<ExprPtr> Parser::ParsePrefix(int min_precedence) {
  const Token& token = Peek();
  // NOT binds looser than comparisons, so it is a prefix only where such an operand may start.
  const bool is_not = token.IsKeyword("not") && min_precedence <= kNotPrecedence;
  const bool is_sign = token.IsOperator("-") || token.IsOperator("+");
  if (!is_not && !is_sign) return ParsePostfix();
  DepthGuard guard(this);
  CS_RETURN_IF_ERROR(CheckDepth(token));
  const size_t pos = token.location.offset;
  const UnaryOperator op = is_not              ? UnaryOperator::kNot
                           : token.text == "-" ? UnaryOperator::kMinus
                                               : UnaryOperator::kPlus;
  Take();
  CS_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(is_not ? kNotPrecedence : kUnaryPrecedence));
  return MakeExpr(UnaryOp{op, std::move(operand)}, pos);
}

absl::StatusOr<ExprPtr> Parser::ParseInfix(ExprPtr left, int precedence) {
  if (precedence == kOrPrecedence || precedence == kAndPrecedence) {
    return ParseLogicalChain(std::move(left), precedence);
  }
  if (precedence == kComparisonPrecedence && Peek().kind == TokenKind::kIdentifier) {
    return ParseComparisonKeyword(std::move(left));
  }
  const std::string_view text = Peek().text;
  BinaryOperator op;
  if (std::optional<BinaryOperator> comparison = ComparisonOperator(Peek())) {
    op = *comparison;
  } else {
    op = text == "||"  ? BinaryOperator::kConcat
         : text == "+" ? BinaryOperator::kAdd
         : text == "-" ? BinaryOperator::kSubtract
         : text == "*" ? BinaryOperator::kMultiply
         : text == "/" ? BinaryOperator::kDivide
                       : BinaryOperator::kModulo;
  }
  Take();
  // precedence + 1: every binary operator is left-associative.
  CS_ASSIGN_OR_RETURN(ExprPtr right, ParseBinary(precedence + 1));
  const size_t pos = left->pos;
  return MakeExpr(BinaryOp{op, std::move(left), std::move(right)}, pos);
}

absl::StatusOr<ExprPtr> Parser::ParseLogicalChain(ExprPtr first, int precedence) {
  const bool is_or = precedence == kOrPrecedence;
  const std::string_view keyword = is_or ? "or" : "and";
  LogicalOp chain{is_or ? LogicalOperator::kOr : LogicalOperator::kAnd, {}};
  const size_t pos = first->pos;
  chain.operands.push_back(std::move(first));
  while (TakeKeyword(keyword)) {
    CS_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(precedence + 1));
    chain.operands.push_back(std::move(operand));
  }
  return MakeExpr(std::move(chain), pos);
}

absl::StatusOr<ExprPtr> Parser::ParseComparisonKeyword(ExprPtr left) {
  const size_t pos = left->pos;
  if (TakeKeyword("is")) {
    const bool negated = TakeKeyword("not");
    if (!TakeKeyword("null")) return Expected(negated ? "NULL after IS NOT" : "NULL after IS");
    return MakeExpr(IsNull{std::move(left), negated}, pos);
  }
  bool negated = false;
  if (Peek().IsKeyword("not")) {
    const Token& after = Peek(1);
    if (!after.IsKeyword("in") && !after.IsKeyword("between") && !after.IsKeyword("like") &&
        !after.IsKeyword("ilike")) {
      return Error(after, base::StrCat("expected IN, BETWEEN, LIKE or ILIKE after NOT, found ",
                                       DescribeToken(after)));
    }
    Take();
    negated = true;
  }
  if (TakeKeyword("in")) return ParseIn(std::move(left), negated);
  if (TakeKeyword("between")) {
    // The bounds bind tighter than AND, so the AND here is BETWEEN's own.
    CS_ASSIGN_OR_RETURN(ExprPtr low, ParseBinary(kConcatPrecedence));
    CS_RETURN_IF_ERROR(ExpectKeyword("and", "AND in BETWEEN"));
    CS_ASSIGN_OR_RETURN(ExprPtr high, ParseBinary(kConcatPrecedence));
    return MakeExpr(Between{std::move(left), std::move(low), std::move(high), negated}, pos);
  }
  // InfixPrecedence admitted only IS, IN, BETWEEN, LIKE, ILIKE and NOT (checked above).
  const bool case_insensitive = Take().value == "ilike";
  CS_ASSIGN_OR_RETURN(ExprPtr pattern, ParseBinary(kConcatPrecedence));
  ExprPtr escape;
  if (TakeKeyword("escape")) {
    CS_ASSIGN_OR_RETURN(escape, ParseBinary(kConcatPrecedence));
  }
  return MakeExpr(
      Like{std::move(left), std::move(pattern), std::move(escape), negated, case_insensitive}, pos);
}

absl::StatusOr<ExprPtr> Parser::ParseIn(ExprPtr left, bool negated) {
  const size_t pos = left->pos;
  CS_RETURN_IF_ERROR(ExpectOperator("("));
  if (Peek().IsKeyword("select") || (Peek().IsOperator("(") && Peek(1).IsKeyword("select"))) {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<Query> subquery, ParseQuery());
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
    return MakeExpr(InSubquery{std::move(left), std::move(subquery), negated}, pos);
  }
  InList in{std::move(left), {}, negated};
  do {
    CS_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
    in.values.push_back(std::move(value));
  } while (TakeOperator(","));
  CS_RETURN_IF_ERROR(ExpectOperator(")"));
  return MakeExpr(std::move(in), pos);
}

absl::StatusOr<ExprPtr> Parser::ParsePostfix() {
  CS_ASSIGN_OR_RETURN(ExprPtr expr, ParsePrimary());
  while (TakeOperator("::")) {
    CS_ASSIGN_OR_RETURN(TypeName type, ParseTypeName());
    const size_t pos = expr->pos;
    CS_ASSIGN_OR_RETURN(expr, MakeExpr(Cast{std::move(expr), std::move(type)}, pos));
  }
  return expr;
}

absl::StatusOr<ExprPtr> Parser::ParsePrimary() {
  // Each kind has its own function so that this one, on the path of every nesting level, keeps
  // a small stack frame.
  const Token& token = Peek();
  switch (token.kind) {
    case TokenKind::kInteger:
    case TokenKind::kDecimal:
      return ParseNumber();
    case TokenKind::kString:
      return ParseStringLiteral();
    case TokenKind::kParameter:
      return ParseParameter();
    case TokenKind::kIdentifier:
      return ParseIdentifierExpr();
    case TokenKind::kOperator:
      if (token.IsOperator("(")) return ParseParenthesized();
      return Expected("expression");
    case TokenKind::kEnd:
      break;
  }
  return Expected("expression");
}

absl::StatusOr<ExprPtr> Parser::ParseParenthesized() {
  const size_t pos = Take().location.offset;  // (
  if (Peek().IsKeyword("select") || ParenthesizedQueryAhead()) {
    CS_ASSIGN_OR_RETURN(std::unique_ptr<Query> query, ParseQuery());
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
    return MakeExpr(ScalarSubquery{std::move(query)}, pos);
  }
  CS_ASSIGN_OR_RETURN(ExprPtr inner, ParseExpr());
  CS_RETURN_IF_ERROR(ExpectOperator(")"));
  return inner;
}

bool Parser::ParenthesizedQueryAhead() {
  // `((SELECT ...) UNION ...)`: the scalar subquery's query starts with a parenthesized query.
  // `((SELECT 1) + 2)` is an expression. The tokens decide: a SELECT after the opening
  // parentheses, and after the group they open, a word only a query continues with.
  if (!Peek().IsOperator("(")) return false;
  size_t n = 0;
  while (Peek(n).IsOperator("(")) ++n;
  if (!Peek(n).IsKeyword("select")) return false;
  int depth = 0;
  for (size_t i = 0;; ++i) {
    const Token& token = Peek(i);
    if (token.kind == TokenKind::kEnd) return false;
    if (token.IsOperator("(")) ++depth;
    if (token.IsOperator(")") && --depth == 0) {
      const Token& after = Peek(i + 1);
      return after.IsKeyword("union") || after.IsKeyword("order") || after.IsKeyword("limit") ||
             after.IsKeyword("offset") || after.IsKeyword("intersect") || after.IsKeyword("except");
    }
  }
}

absl::StatusOr<ExprPtr> Parser::ParseStringLiteral() {
  Literal literal;
  literal.kind = LiteralKind::kString;
  const Token token = Take();
  literal.text = token.value;
  return MakeExpr(std::move(literal), token.location.offset);
}

absl::StatusOr<ExprPtr> Parser::ParseIdentifierExpr() {
  const Token& token = Peek();
  const size_t pos = token.location.offset;
  if (!token.quoted) {
    const std::string& word = token.value;
    if (word == "null" || word == "true" || word == "false") {
      Literal literal;
      literal.kind = word == "null" ? LiteralKind::kNull : LiteralKind::kBool;
      literal.bool_value = word == "true";
      Take();
      return MakeExpr(std::move(literal), pos);
    }
    if ((word == "interval" || word == "timestamp" || word == "date") &&
        Peek(1).kind == TokenKind::kString) {
      return ParseTypedLiteral();
    }
    if (word == "case") return ParseCase();
    if (word == "cast") return ParseCast();
    if (word == "extract" && Peek(1).IsOperator("(")) return ParseExtract();
    if (word == "exists") return Error(token, "EXISTS subqueries are not supported");
    if (IsReservedKeyword(word) &&
        !((word == "left" || word == "right") && Peek(1).IsOperator("("))) {
      return Expected("expression");
    }
  }
  if (Peek(1).IsOperator("(")) return ParseFunctionCall();

  ColumnRef ref;
  ref.name = Take().value;
  if (TakeOperator(".")) {
    const Token& column = Peek();
    if (column.kind != TokenKind::kIdentifier) return Expected("column name after '.'");
    ref.table = std::move(ref.name);
    ref.name = Take().value;
  }
  return MakeExpr(std::move(ref), pos);
}

absl::StatusOr<ExprPtr> Parser::ParseNumber() {
  const Token token = Take();
  Literal literal;
  const char* begin = token.text.data();
  const char* end = begin + token.text.size();
  if (token.kind == TokenKind::kInteger) {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc() && ptr == end) {
      literal.kind = LiteralKind::kInteger;
      literal.int_value = value;
      return MakeExpr(std::move(literal), token.location.offset);
    }
    // Too large for int64: it becomes a double, as in PostgreSQL it becomes numeric.
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return Error(token, base::StrCat("number out of range: ", DescribeToken(token)));
  }
  literal.kind = LiteralKind::kDouble;
  literal.double_value = value;
  return MakeExpr(std::move(literal), token.location.offset);
}

absl::StatusOr<ExprPtr> Parser::ParseParameter() {
  const Token token = Take();
  Parameter parameter;
  if (token.text == "?") {
    if (max_dollar_ > 0) return Error(token, "cannot mix '?' and '$N' parameters");
    parameter.style = Parameter::Style::kQuestionMark;
    parameter.index = ++question_marks_;
    if (question_marks_ > 65535) return Error(token, "more than 65535 parameters");
  } else {
    if (question_marks_ > 0) return Error(token, "cannot mix '?' and '$N' parameters");
    parameter.style = Parameter::Style::kDollar;
    // The lexer accepted only $1..$65535.
    std::from_chars(token.text.data() + 1, token.text.data() + token.text.size(), parameter.index);
    max_dollar_ = std::max(max_dollar_, parameter.index);
  }
  return MakeExpr(parameter, token.location.offset);
}

absl::StatusOr<ExprPtr> Parser::ParseTypedLiteral() {
  const Token prefix = Take();
  Literal literal;
  literal.kind = prefix.value == "interval"    ? LiteralKind::kInterval
                 : prefix.value == "timestamp" ? LiteralKind::kTimestamp
                                               : LiteralKind::kDate;
  literal.text = Take().value;  // the string; ParsePrimary checked it is one
  if (literal.kind == LiteralKind::kInterval) {
    const Token& unit = Peek();
    if (unit.kind == TokenKind::kIdentifier && !unit.quoted &&
        IsOneOf(unit.value, kIntervalUnits)) {
      literal.interval_unit = Take().value;
    }
  }
  return MakeExpr(std::move(literal), prefix.location.offset);
}

absl::StatusOr<ExprPtr> Parser::ParseFunctionCall() {
  const Token name = Take();
  FunctionCall call;
  call.name = name.value;
  Take();  // (, checked by ParseIdentifierExpr
  if (TakeOperator("*")) {
    call.star = true;
  } else if (!Peek().IsOperator(")")) {
    if (TakeKeyword("distinct")) {
      call.distinct = true;
    } else {
      TakeKeyword("all");
    }
    do {
      CS_ASSIGN_OR_RETURN(ExprPtr arg, ParseExpr());
      call.args.push_back(std::move(arg));
    } while (TakeOperator(","));
    if (TakeKeyword("order")) {
      CS_RETURN_IF_ERROR(ExpectKeyword("by", "BY"));
      CS_ASSIGN_OR_RETURN(call.order_by, ParseOrderItems());
    }
  }
  CS_RETURN_IF_ERROR(ExpectOperator(")"));

  // WITHIN, FILTER and OVER are not reserved; they count only where they can start a clause.
  if (Peek().IsKeyword("within") && Peek(1).IsKeyword("group")) {
    Take();
    Take();
    CS_RETURN_IF_ERROR(ExpectOperator("("));
    CS_RETURN_IF_ERROR(ExpectKeyword("order", "ORDER BY in WITHIN GROUP"));
    CS_RETURN_IF_ERROR(ExpectKeyword("by", "BY"));
    CS_ASSIGN_OR_RETURN(call.within_group, ParseOrderItems());
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
  }
  if (Peek().IsKeyword("filter") && Peek(1).IsOperator("(")) {
    Take();
    Take();
    CS_RETURN_IF_ERROR(ExpectKeyword("where", "WHERE in FILTER"));
    CS_ASSIGN_OR_RETURN(call.filter, ParseExpr());
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
  }
  if (Peek().IsKeyword("over") && Peek(1).IsOperator("(")) {
    return Error(Peek(), "window functions (OVER) are not supported");
  }
  return MakeExpr(std::move(call), name.location.offset);
}

absl::StatusOr<ExprPtr> Parser::ParseCase() {
  const size_t pos = Take().location.offset;
  Case node;
  if (!Peek().IsKeyword("when")) {
    CS_ASSIGN_OR_RETURN(node.operand, ParseExpr());
  }
  if (!Peek().IsKeyword("when")) return Expected("WHEN");
  while (TakeKeyword("when")) {
    Case::When when;
    CS_ASSIGN_OR_RETURN(when.condition, ParseExpr());
    CS_RETURN_IF_ERROR(ExpectKeyword("then", "THEN"));
    CS_ASSIGN_OR_RETURN(when.result, ParseExpr());
    node.whens.push_back(std::move(when));
  }
  if (TakeKeyword("else")) {
    CS_ASSIGN_OR_RETURN(node.else_result, ParseExpr());
  }
  CS_RETURN_IF_ERROR(ExpectKeyword("end", node.else_result ? "END" : "WHEN, ELSE or END"));
  return MakeExpr(std::move(node), pos);
}

absl::StatusOr<ExprPtr> Parser::ParseCast() {
  const size_t pos = Take().location.offset;
  CS_RETURN_IF_ERROR(ExpectOperator("("));
  CS_ASSIGN_OR_RETURN(ExprPtr operand, ParseExpr());
  CS_RETURN_IF_ERROR(ExpectKeyword("as", "AS in CAST"));
  CS_ASSIGN_OR_RETURN(TypeName type, ParseTypeName());
  CS_RETURN_IF_ERROR(ExpectOperator(")"));
  return MakeExpr(Cast{std::move(operand), std::move(type)}, pos);
}

absl::StatusOr<ExprPtr> Parser::ParseExtract() {
  const size_t pos = Take().location.offset;
  Take();  // (
  const Token& field = Peek();
  if (field.kind != TokenKind::kIdentifier && field.kind != TokenKind::kString) {
    return Expected("a field name in EXTRACT");
  }
  Extract extract;
  extract.field = Take().value;
  // A quoted or string field ('HOUR', "Hour") means the same as the bare word.
  for (char& c : extract.field) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  CS_RETURN_IF_ERROR(ExpectKeyword("from", "FROM in EXTRACT"));
  CS_ASSIGN_OR_RETURN(extract.operand, ParseExpr());
  CS_RETURN_IF_ERROR(ExpectOperator(")"));
  return MakeExpr(std::move(extract), pos);
}

absl::StatusOr<TypeName> Parser::ParseTypeName() {
  const Token& first = Peek();
  if (first.kind != TokenKind::kIdentifier || first.quoted) return Expected("type name");
  TypeName type;
  type.name = Take().value;
  if (type.name == "double" && TakeKeyword("precision")) {
    type.name = "double precision";
  } else if (type.name == "character" && TakeKeyword("varying")) {
    type.name = "character varying";
  } else if ((type.name == "timestamp" || type.name == "time") &&
             (Peek().IsKeyword("with") || Peek().IsKeyword("without"))) {
    const std::string with = Take().value;
    CS_RETURN_IF_ERROR(ExpectKeyword("time", "TIME ZONE"));
    CS_RETURN_IF_ERROR(ExpectKeyword("zone", "ZONE"));
    type.name = base::StrCat(type.name, " ", with, " time zone");
  }
  if (TakeOperator("(")) {
    do {
      const Token& param = Peek();
      int64_t value = -1;
      if (param.kind == TokenKind::kInteger) {
        auto [ptr, ec] =
            std::from_chars(param.text.data(), param.text.data() + param.text.size(), value);
        if (ec != std::errc()) value = -1;
      }
      if (value < 0) return Expected("an integer type parameter");
      Take();
      type.params.push_back(value);
    } while (TakeOperator(","));
    CS_RETURN_IF_ERROR(ExpectOperator(")"));
  }
  return type;
}

}  // namespace

bool IsReservedKeyword(std::string_view word) { return IsOneOf(word, kReservedKeywords); }

absl::StatusOr<Statement> Parse(std::string_view sql) {
  Parser parser(sql);
  return parser.ParseStatement();
}

}  // namespace cardinalsin::sql
