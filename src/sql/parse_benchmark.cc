// Parse time of the query pack's SQL (test/sql/parser/query_pack.test, the queries of
// reference/original-cardinalsin.md section 13) and of a long generated query.
//
//   build/release/src/sql/sql_parse_benchmark

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sql/format.h"
#include "sql/internal/golden_file.h"
#include "sql/parser.h"

namespace cardinalsin::sql {
namespace {

std::vector<std::string> QueryPack() {
  auto records = internal::ReadGoldenFile(std::string(CS_SQL_GOLDEN_DIR) + "/query_pack.test");
  std::vector<std::string> queries;
  if (!records.ok()) return queries;
  for (const auto& record : *records) {
    if (!record.expect_error) queries.push_back(record.sql);
  }
  return queries;
}

void BM_ParseQueryPack(benchmark::State& state) {
  const std::vector<std::string> queries = QueryPack();
  if (queries.empty()) {
    state.SkipWithError("query_pack.test not found or empty");
    return;
  }
  size_t bytes = 0;
  for (const auto& q : queries) bytes += q.size();
  for (auto _ : state) {
    for (const auto& q : queries) {
      auto statement = Parse(q);
      benchmark::DoNotOptimize(statement);
    }
  }
  state.counters["queries"] = static_cast<double>(queries.size());
  state.counters["per_query_ns"] = benchmark::Counter(
      static_cast<double>(queries.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ParseQueryPack);

void BM_FormatQueryPack(benchmark::State& state) {
  std::vector<Statement> statements;
  for (const auto& q : QueryPack()) {
    auto statement = Parse(q);
    if (statement.ok()) statements.push_back(*std::move(statement));
  }
  for (auto _ : state) {
    for (const auto& s : statements) benchmark::DoNotOptimize(ToSql(s));
  }
}
BENCHMARK(BM_FormatQueryPack);

// A 64 KiB WHERE clause: throughput on larger text.
void BM_ParseLongQuery(benchmark::State& state) {
  std::string sql =
      "SELECT metric_name, avg(value) FROM metrics WHERE timestamp > now() - "
      "interval '1 hour' AND metric_name IN (";
  for (int i = 0; sql.size() < 65536; ++i) {
    if (i > 0) sql += ", ";
    sql += "'metric_" + std::to_string(i) + "'";
  }
  sql += ") GROUP BY metric_name";
  for (auto _ : state) {
    auto statement = Parse(sql);
    benchmark::DoNotOptimize(statement);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sql.size()));
}
BENCHMARK(BM_ParseLongQuery);

}  // namespace
}  // namespace cardinalsin::sql

BENCHMARK_MAIN();
