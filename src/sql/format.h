// File: format.h
//
// Prints syntax trees (ast.h) back as canonical SQL: keywords in upper case, every operator
// application in parentheses, names quoted only when they must be, ASC written out, one space
// between tokens. Parsing the output gives an equal tree, so formatting is idempotent:
//
//   ToSql(*Parse(ToSql(*Parse(sql)))) == ToSql(*Parse(sql))
//
// The golden tests (test/sql/parser/) and EXPLAIN use it.
//
//   SELECT metric_name, avg(value) AS v FROM metrics WHERE timestamp > now() - interval '5 minutes'
//   -> SELECT metric_name, avg(value) AS v FROM metrics
//      WHERE (timestamp > (now() - INTERVAL '5 minutes'))     (on one line)
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "sql/ast.h"

namespace cardinalsin::sql {

std::string ToSql(const Statement& statement);
std::string ToSql(const Query& query);
std::string ToSql(const Expr& expr);

// `name` as written in SQL: bare when it is lower case letters, digits and '_' (not first a
// digit) and not a reserved keyword, otherwise in double quotes with " doubled.
std::string QuoteIdentifier(std::string_view name);

// `text` as a SQL string literal: in single quotes with ' doubled.
std::string QuoteString(std::string_view text);

}  // namespace cardinalsin::sql
