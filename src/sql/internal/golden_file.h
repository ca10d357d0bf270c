// File: internal/golden_file.h
//
// Reads and writes the parser's golden files (test/sql/parser/*.test; format in
// test/sql/parser/README.md). Used by golden_test.cc and parse_benchmark.cc only.
//
// A file is a sequence of records, each
//
//   parse | parse error       the directive line
//   <query text>              one or more lines
//   ----
//   <expected>                one or more lines: canonical SQL, or the error message
//
// ending at a blank line or the end of the file. Lines starting with '#' before a directive are
// comments and are kept on rewrite.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"

namespace cardinalsin::sql::internal {

struct GoldenRecord {
  std::string comments;  // the comment and blank lines before the directive, verbatim
  bool expect_error = false;
  std::string sql;       // lines joined with '\n'
  std::string expected;  // lines joined with '\n'
  int line = 0;          // 1-based line of the directive
};

inline absl::StatusOr<std::vector<GoldenRecord>> ParseGoldenText(std::string_view text,
                                                                 std::string_view name) {
  std::vector<std::string> lines = absl::StrSplit(base::AsAbsl(text), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<GoldenRecord> records;
  std::string comments;
  size_t i = 0;
  auto fail = [&](std::string_view problem) {
    return absl::InvalidArgumentError(base::StrCat(name, ":", i + 1, ": ", problem));
  };
  while (i < lines.size()) {
    const std::string& line = lines[i];
    if (line.empty() || line[0] == '#') {
      base::StrAppend(&comments, line, "\n");
      ++i;
      continue;
    }
    GoldenRecord record;
    record.comments = std::move(comments);
    comments.clear();
    record.line = static_cast<int>(i + 1);
    if (line == "parse") {
      record.expect_error = false;
    } else if (line == "parse error") {
      record.expect_error = true;
    } else {
      return fail(base::StrCat("expected 'parse' or 'parse error', found '", line, "'"));
    }
    ++i;
    std::vector<std::string> sql;
    while (i < lines.size() && lines[i] != "----") {
      if (lines[i].empty()) return fail("blank line before '----'");
      sql.push_back(lines[i++]);
    }
    if (i == lines.size()) return fail("missing '----'");
    if (sql.empty()) return fail("no query before '----'");
    ++i;
    std::vector<std::string> expected;
    while (i < lines.size() && !lines[i].empty()) expected.push_back(lines[i++]);
    record.sql = absl::StrJoin(sql, "\n");
    record.expected = absl::StrJoin(expected, "\n");
    records.push_back(std::move(record));
  }
  return records;
}

inline absl::StatusOr<std::vector<GoldenRecord>> ReadGoldenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(base::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseGoldenText(buffer.str(), path);
}

// The text of a file holding `records` (with their comments); the inverse of ParseGoldenText.
inline std::string FormatGoldenText(const std::vector<GoldenRecord>& records) {
  std::string out;
  for (size_t r = 0; r < records.size(); ++r) {
    const GoldenRecord& record = records[r];
    // Records are separated by one blank line; comments carry their own.
    if (r > 0 && (record.comments.empty() || record.comments[0] != '\n')) out.push_back('\n');
    base::StrAppend(&out, record.comments, record.expect_error ? "parse error\n" : "parse\n",
                    record.sql, "\n----\n", record.expected, "\n");
  }
  return out;
}

}  // namespace cardinalsin::sql::internal
