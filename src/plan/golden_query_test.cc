// Runs the sqllogictest-style files in test/sql/queries/ (format: test/sql/queries/README.md)
// against a fresh in-memory database per file.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "plan/internal/test_dataset.h"

namespace cardinalsin::plan {
namespace {

std::vector<std::string> QueryFiles() {
  std::vector<std::string> files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(CS_SQL_QUERIES_DIR, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == ".test") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(GoldenQueryTest, FilesExist) {
  EXPECT_GE(QueryFiles().size(), 5u) << "query files missing from " << CS_SQL_QUERIES_DIR;
}

struct Record {
  int line = 0;
  std::string kind;  // first word of the header line
  std::vector<std::string> args;
  std::vector<std::string> body;      // before ----
  std::vector<std::string> expected;  // after ----
};

std::vector<Record> ReadRecords(const std::string& path) {
  std::ifstream in(path);
  std::vector<Record> records;
  std::string line;
  int number = 0;
  Record* current = nullptr;
  bool after_separator = false;
  while (std::getline(in, line)) {
    ++number;
    if (current == nullptr) {
      if (line.empty() || line[0] == '#') continue;
      records.emplace_back();
      current = &records.back();
      current->line = number;
      std::vector<std::string> words = internal::SplitNonEmpty(line, ' ');
      current->kind = words[0];
      current->args.assign(words.begin() + 1, words.end());
      after_separator = false;
      continue;
    }
    if (line.empty()) {
      current = nullptr;
      continue;
    }
    if (line == "----" && !after_separator) {
      after_separator = true;
      continue;
    }
    (after_separator ? current->expected : current->body).push_back(line);
  }
  return records;
}

class GoldenQueryFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenQueryFileTest, Records) {
  const std::string& path = GetParam();
  std::vector<Record> records = ReadRecords(path);
  ASSERT_FALSE(records.empty()) << path;
  internal::TestDatabase db;
  CS_ASSERT_OK(db.Init());
  for (const Record& record : records) {
    SCOPED_TRACE(path + ":" + std::to_string(record.line));
    if (record.kind == "now") {
      ASSERT_EQ(record.args.size(), 1u);
      CS_ASSERT_OK_AND_ASSIGN(int64_t ns, exec::ParseTimestamp(record.args[0]));
      db.SetNow(absl::FromUnixNanos(ns));
    } else if (record.kind == "dataset") {
      ASSERT_EQ(record.args, std::vector<std::string>{"hourly"});
      CS_ASSERT_OK(db.AddHourlyDataset());
    } else if (record.kind == "chunk") {
      ASSERT_EQ(record.args.size(), 1u);
      std::vector<scan::testing::TestRow> rows;
      for (const std::string& text : record.body) {
        CS_ASSERT_OK_AND_ASSIGN(scan::testing::TestRow row, internal::ParseRow(text));
        rows.push_back(std::move(row));
      }
      CS_ASSERT_OK(db.AddChunk(record.args[0], std::move(rows)));
    } else if (record.kind == "query" || record.kind == "error") {
      const std::string sql = absl::StrJoin(record.body, "\n");
      absl::StatusOr<QueryResult> result = db.Query(sql);
      if (record.kind == "error") {
        ASSERT_FALSE(result.ok()) << "expected an error: " << sql;
        ASSERT_EQ(record.expected.size(), 1u);
        EXPECT_EQ(std::string(result.status().message()), record.expected[0]) << sql;
        if (!record.args.empty()) {
          EXPECT_EQ(absl::StatusCodeToString(result.status().code()), record.args[0]);
        }
        continue;
      }
      ASSERT_TRUE(result.ok()) << sql << "\n" << result.status();
      std::vector<std::string> lines = internal::ResultLines(*result);
      std::vector<std::string> expected = record.expected;
      if (std::find(record.args.begin(), record.args.end(), "rowsort") != record.args.end()) {
        std::sort(lines.begin() + 1, lines.end());
        if (!expected.empty()) std::sort(expected.begin() + 1, expected.end());
      }
      EXPECT_EQ(absl::StrJoin(lines, "\n"), absl::StrJoin(expected, "\n")) << sql;
    } else {
      FAIL() << "unknown record kind '" << record.kind << "'";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, GoldenQueryFileTest, ::testing::ValuesIn(QueryFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::filesystem::path(info.param).stem().string();
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace cardinalsin::plan
