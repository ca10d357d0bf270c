// File: promql_parse_fuzzer.cc
//
// libFuzzer target for the PromQL parser (promql/parser.h) over untrusted text. Checks beyond
// "no crash, no sanitizer report, no leak, no timeout, no OOM":
// - a failure is InvalidArgument with a "<line>:<col>: parse error: " message (or the text-size
//   message);
// - what parses prints (promql/format.h) to PromQL that parses again to the same tree and prints
//   to the same string (the canonical form is a fixed point), unless the canonical text is over
//   kMaxQueryBytes (printing can lengthen numbers such as 1e300);
// - the promqltest reader (promql/promqltest.h) fails only with InvalidArgument.
// A violated check abort()s.
//
// Seeds: test/fuzz/corpus/promql_parse/ (our own queries).
//   scripts/fuzz.sh                                  builds and runs every fuzzer
//   build/fuzz/promql_parse_fuzzer crash-<sha1>      replays one input

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "promql/format.h"
#include "promql/parser.h"
#include "promql/promqltest.h"

namespace cardinalsin::promql {
namespace {

[[noreturn]] void Violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "promql_parse_fuzzer: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool HasPosition(std::string_view message) {
  size_t colon = message.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  size_t second = message.find(':', colon + 1);
  return second != std::string_view::npos && message.substr(second, 15) == ": parse error: ";
}

void Check(std::string_view input) {
  absl::StatusOr<ExprPtr> expr = ParseExpr(input);
  if (!expr.ok()) {
    const absl::Status& status = expr.status();
    const std::string message(status.message());
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      Violation("error is not InvalidArgument", message);
    }
    if (!HasPosition(message) && message.rfind("query is ", 0) != 0) {
      Violation("error without a position", message);
    }
  } else {
    const std::string canonical = ToString(**expr);
    if (canonical.size() <= kMaxQueryBytes) {
      absl::StatusOr<ExprPtr> again = ParseExpr(canonical);
      if (!again.ok()) {
        Violation("canonical PromQL does not parse",
                  std::string(again.status().message()) + " in: " + canonical);
      }
      if (TreeString(**again) != TreeString(**expr)) {
        Violation("canonical PromQL parses to another tree", canonical);
      }
      if (ToString(**again) != canonical) {
        Violation("canonical PromQL is not a fixed point", canonical);
      }
    }
  }
  absl::StatusOr<promqltest::TestFile> file = promqltest::ParseTestFile("fuzz.test", input);
  if (!file.ok() && file.status().code() != absl::StatusCode::kInvalidArgument) {
    Violation("promqltest error is not InvalidArgument", std::string(file.status().message()));
  }
}

}  // namespace
}  // namespace cardinalsin::promql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cardinalsin::promql::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
