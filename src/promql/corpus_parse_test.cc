// Runs the parser over every query of the PromQL conformance corpus (Prometheus's promqltest
// files, read from CARDINALSIN_PROMQL_CORPUS or the default shared/conformance/promql; never
// copied into this repository).
//
// For every eval:
// - a query the corpus does not expect to fail must parse, and print to canonical text
//   (format.h) that parses to the same tree;
// - a query whose `expect fail` message is one Prometheus raises while parsing must be rejected
//   with an error containing that message;
// - a query with a bare `expect fail` may fail at parse or at evaluation time; the ones we reject
//   at parse time are counted and listed.
// Exceptions are listed in test/promql/parser_skip.txt (file<TAB>query<TAB>reason). An entry
// that no longer fails is itself a failure, so the list can only shrink.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "promql/format.h"
#include "promql/parser.h"
#include "promql/promqltest.h"

namespace cardinalsin::promql {
namespace {

namespace fs = std::filesystem;

// Messages of `expect fail` that Prometheus produces while parsing (its parser's checkAST), so
// our parser must produce them too.
constexpr std::string_view kParseTimeMessages[] = {
    "parse error",
    "anchored modifier can only be used with",
    "smoothed modifier can only be used with",
};

bool IsParseTimeMessage(std::string_view message) {
  for (std::string_view m : kParseTimeMessages) {
    if (message.find(m) != std::string_view::npos) return true;
  }
  return false;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path CorpusDir() {
  const char* env = std::getenv("CARDINALSIN_PROMQL_CORPUS");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(CS_PROMQL_CORPUS_DIR);
}

struct SkipEntry {
  std::string file;
  std::string query;
  std::string reason;
  bool used = false;
};

std::vector<SkipEntry> ReadSkipList() {
  std::vector<SkipEntry> entries;
  std::istringstream in(ReadFile(CS_PROMQL_SKIP_FILE));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find('\t');
    size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos) {
      ADD_FAILURE() << "malformed skip entry (want file<TAB>query<TAB>reason): " << line;
      continue;
    }
    entries.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
    EXPECT_FALSE(entries.back().reason.empty()) << "skip entry without a reason: " << line;
  }
  return entries;
}

TEST(CorpusParseTest, EveryCorpusQueryParsesAsPrometheusDoes) {
  const fs::path dir = CorpusDir();
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "PromQL corpus not found at " << dir << " (set CARDINALSIN_PROMQL_CORPUS)";
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no .test files in " << dir;

  std::vector<SkipEntry> skips = ReadSkipList();
  auto skipped = [&](const std::string& file, const std::string& query) {
    for (SkipEntry& s : skips) {
      if (s.file == file && s.query == query) {
        s.used = true;
        return true;
      }
    }
    return false;
  };

  int total = 0;
  int total_parsed = 0;
  for (const fs::path& path : files) {
    const std::string file = path.filename().string();
    absl::StatusOr<promqltest::TestFile> test = promqltest::ParseTestFile(file, ReadFile(path));
    ASSERT_TRUE(test.ok()) << test.status();
    int queries = 0;
    int parsed = 0;
    int rejected_expected = 0;
    int skip_count = 0;
    for (const promqltest::Command& command : test->commands) {
      const auto* eval = std::get_if<promqltest::EvalCommand>(&command);
      if (eval == nullptr) continue;
      ++queries;
      absl::StatusOr<ExprPtr> expr = ParseExpr(eval->query);
      if (expr.ok()) ++parsed;
      const std::string where = file + ":" + std::to_string(eval->line) + ": " + eval->query;

      std::optional<std::string> parse_message;
      for (const promqltest::Expectation& e : eval->expectations) {
        if (e.kind != promqltest::Expectation::Kind::kFail) continue;
        if (e.message.has_value() && IsParseTimeMessage(*e.message)) parse_message = e.message;
        if (e.regex.has_value() && IsParseTimeMessage(*e.regex)) parse_message = e.regex;
      }
      bool ok = true;
      std::string problem;
      if (parse_message.has_value()) {
        if (expr.ok()) {
          ok = false;
          problem = "parsed, but the corpus expects the parse error: " + *parse_message;
        } else if (std::string(expr.status().message()).find(*parse_message) == std::string::npos) {
          ok = false;
          problem = "parse error " + std::string(expr.status().message()) +
                    " does not contain the expected: " + *parse_message;
        }
      } else if (!expr.ok()) {
        if (eval->ExpectsFailure()) {
          ++rejected_expected;
          std::printf("  rejected at parse time (corpus expects a failure): %s\n    %s\n",
                      where.c_str(), std::string(expr.status().message()).c_str());
        } else {
          ok = false;
          problem = "failed to parse: " + std::string(expr.status().message());
        }
      } else {
        std::string text = ToString(**expr);
        absl::StatusOr<ExprPtr> again = ParseExpr(text);
        if (!again.ok()) {
          ok = false;
          problem = "canonical form \"" + text +
                    "\" does not parse: " + std::string(again.status().message());
        } else if (TreeString(**again) != TreeString(**expr)) {
          ok = false;
          problem = "canonical form \"" + text +
                    "\" parses to a different tree: " + TreeString(**again) + " vs " +
                    TreeString(**expr);
        }
      }
      if (!ok) {
        if (skipped(file, eval->query)) {
          ++skip_count;
        } else {
          ADD_FAILURE() << where << "\n  " << problem;
        }
      }
    }
    std::printf(
        "%-26s parsed %d of %d queries (%d rejected where the corpus expects failure, "
        "%d skipped)\n",
        file.c_str(), parsed, queries, rejected_expected, skip_count);
    total += queries;
    total_parsed += parsed;
  }
  std::printf("%-26s parsed %d of %d queries; %zu skip entries\n", "TOTAL", total_parsed, total,
              skips.size());
  for (const SkipEntry& s : skips) {
    EXPECT_TRUE(s.used) << "skip entry no longer needed, remove it from parser_skip.txt: " << s.file
                        << ": " << s.query;
  }
}

}  // namespace
}  // namespace cardinalsin::promql
