// Runs the golden files in test/sql/parser/ (format: test/sql/parser/README.md). For a `parse`
// record, the query must parse and format to the expected canonical SQL, and that SQL must parse
// and format to itself. For a `parse error` record, parsing must fail with InvalidArgument and
// exactly the expected message.
//
// CS_SQL_GOLDEN_REWRITE=1 rewrites the expected blocks from what the parser does now; review the
// diff like code.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "sql/format.h"
#include "sql/internal/golden_file.h"
#include "sql/parser.h"

namespace cardinalsin::sql {
namespace {

std::vector<std::string> GoldenFiles() {
  // Runs before main() (test registration), so no exceptions: a missing directory gives no files
  // and FilesExist fails.
  std::vector<std::string> files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(CS_SQL_GOLDEN_DIR, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == ".test") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// What the parser produces for `sql`: canonical SQL, or the error message.
std::string Actual(const std::string& sql, bool* ok) {
  absl::StatusOr<Statement> statement = Parse(sql);
  *ok = statement.ok();
  if (!statement.ok()) return std::string(statement.status().message());
  return ToSql(*statement);
}

TEST(GoldenTest, FilesExist) {
  EXPECT_GE(GoldenFiles().size(), 5u) << "golden files missing from " << CS_SQL_GOLDEN_DIR;
}

class GoldenFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenFileTest, Records) {
  const std::string& path = GetParam();
  CS_ASSERT_OK_AND_ASSIGN(std::vector<internal::GoldenRecord> records,
                          internal::ReadGoldenFile(path));
  ASSERT_FALSE(records.empty()) << path;
  const char* rewrite = std::getenv("CS_SQL_GOLDEN_REWRITE");
  const bool rewriting = rewrite != nullptr && std::string(rewrite) == "1";

  for (internal::GoldenRecord& record : records) {
    SCOPED_TRACE(path + ":" + std::to_string(record.line));
    bool ok = false;
    const std::string actual = Actual(record.sql, &ok);
    if (rewriting) {
      record.expect_error = !ok;
      record.expected = actual;
      continue;
    }
    if (record.expect_error) {
      EXPECT_FALSE(ok) << "parsed, but an error was expected: " << record.sql;
      EXPECT_EQ(Parse(record.sql).status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(actual, record.expected);
      continue;
    }
    ASSERT_TRUE(ok) << actual;
    EXPECT_EQ(actual, record.expected);
    // Canonical SQL is a fixed point.
    bool again_ok = false;
    EXPECT_EQ(Actual(actual, &again_ok), actual);
    EXPECT_TRUE(again_ok);
  }
  if (rewriting) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << internal::FormatGoldenText(records);
    ASSERT_TRUE(out.good()) << "cannot rewrite " << path;
  }
}

INSTANTIATE_TEST_SUITE_P(All, GoldenFileTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::filesystem::path(info.param).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(GoldenFileFormatTest, ReadsAndWritesRecords) {
  const std::string text =
      "# header\n"
      "parse\n"
      "SELECT 1\n"
      "----\n"
      "SELECT 1\n"
      "\n"
      "# two-line query\n"
      "parse error\n"
      "SELECT\n"
      "  (\n"
      "----\n"
      "some error\n";
  CS_ASSERT_OK_AND_ASSIGN(std::vector<internal::GoldenRecord> records,
                          internal::ParseGoldenText(text, "t"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].expect_error);
  EXPECT_EQ(records[0].line, 2);
  EXPECT_EQ(records[1].sql, "SELECT\n  (");
  EXPECT_TRUE(records[1].expect_error);
  EXPECT_EQ(records[1].expected, "some error");
  EXPECT_EQ(internal::FormatGoldenText(records), text);
}

TEST(GoldenFileFormatTest, RejectsMalformedFiles) {
  EXPECT_THAT(internal::ParseGoldenText("select 1\n", "f").status(),
              base::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      "f:1: expected 'parse' or 'parse error', found 'select 1'"));
  EXPECT_THAT(internal::ParseGoldenText("parse\nSELECT 1\n", "f").status(),
              base::testing::StatusIs(absl::StatusCode::kInvalidArgument, "f:3: missing '----'"));
  EXPECT_THAT(
      internal::ParseGoldenText("parse\n----\nx\n", "f").status(),
      base::testing::StatusIs(absl::StatusCode::kInvalidArgument, "f:2: no query before '----'"));
}

}  // namespace
}  // namespace cardinalsin::sql
