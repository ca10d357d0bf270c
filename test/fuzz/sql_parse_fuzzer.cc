// File: sql_parse_fuzzer.cc
//
// libFuzzer target for the SQL parser (sql/parser.h) over untrusted text. Checks beyond "no
// crash, no sanitizer report, no leak, no timeout, no OOM":
// - a failure is InvalidArgument with a "syntax error at line L, column C: " message (or the
//   text-size message);
// - what parses formats (sql/format.h) to SQL that parses again and formats to the same string
//   (the canonical form is a fixed point);
// - the tree respects kMaxTreeHeight.
// A violated check abort()s.
//
// Meant to live in test/fuzz/ with its seeds in test/fuzz/corpus/sql_parse/ (see
// test/sql/README.md):
//   scripts/fuzz.sh                                 builds and runs every fuzzer
//   build/fuzz/sql_parse_fuzzer crash-<sha1>        replays one input

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "sql/format.h"
#include "sql/parser.h"

namespace cardinalsin::sql {
namespace {

[[noreturn]] void Violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "sql_parse_fuzzer: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void Check(std::string_view input) {
  absl::StatusOr<Statement> statement = Parse(input);
  if (!statement.ok()) {
    const absl::Status& status = statement.status();
    const std::string_view message(status.message().data(), status.message().size());
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      Violation("error is not InvalidArgument", message);
    }
    if (message.substr(0, 20) != "syntax error at line" &&
        message.substr(0, 14) != "query text is ") {
      Violation("error without a position", message);
    }
    return;
  }
  if (const auto* query = std::get_if<Query>(&statement->node);
      query != nullptr && query->height > kMaxTreeHeight) {
    Violation("tree taller than kMaxTreeHeight", input);
  }
  const std::string canonical = ToSql(*statement);
  absl::StatusOr<Statement> again = Parse(canonical);
  if (!again.ok()) {
    Violation("canonical SQL does not parse",
              std::string(again.status().message()) + " in: " + canonical);
  }
  if (ToSql(*again) != canonical) Violation("canonical SQL is not a fixed point", canonical);
}

}  // namespace
}  // namespace cardinalsin::sql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cardinalsin::sql::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
