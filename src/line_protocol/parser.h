// File: parser.h
//
// InfluxDB line protocol (POST /api/v2/write and the 1.x POST /write), written from the public
// "line protocol reference":
//
//   <measurement>[,<tag_key>=<tag_value>...]
//   <field_key>=<field_value>[,<field_key>=<field_value>...] [<timestamp>]
//
// Each numeric field of a point becomes one sample of the series named `<measurement>_<field>`
// (ARCHITECTURE.md section 3), labelled `__name__` then the tags in line order:
//
//   cpu,host=a usage_idle=92.5,usage_user=3i 1700000000000000000
//     -> cpu_usage_idle{host="a"} 92.5 and cpu_usage_user{host="a"} 3, both at that nanosecond.
//
//   model::SampleBatch batch;
//   CS_ASSIGN_OR_RETURN(Precision precision, ParsePrecision(query_param, /*v1=*/false));
//   CS_RETURN_IF_ERROR(Parse(body, precision, clock.NowNs(), &batch));  // body outlives batch
//
// Syntax accepted:
// - Lines end with "\n" (a "\r" before it is dropped); blank lines and lines starting with '#'
//   (after optional leading spaces or tabs) are skipped. Runs of spaces separate the sections.
// - Escapes: a backslash before ',' or ' ' in measurements, before ',', '=' or ' ' in tag keys,
//   tag values and field keys, and before '"' in string fields, stands for that character; "\\"
//   stands for one backslash; any other backslash is literal.
// - Field values: floats (`-1.5`, `1e3`; no NaN or Inf), integers `12i`, unsigned integers
//   `12u`, booleans t/T/true/True/TRUE and f/F/false/False/FALSE (stored as 1 and 0), and strings
//   `"..."`. Integers are stored as doubles, so beyond 2^53 they round.
// - Timestamp: optional signed integer in `precision` units, converted to nanoseconds; a point
//   without one gets `now_ns`.
//
// Errors are per line, never per request: a malformed line (missing fields, bad number, tag
// without value, timestamp out of range, ...) adds nothing and is counted with
// SampleBatch::Reject(1, "line N: <problem>"); other lines are kept. A string field cannot be
// stored as a sample: it is counted with Reject(1, "line N: field \"k\" is a string ...") and the
// point's numeric fields are kept. When a field key repeats within a line, the last value wins.
// Names, label rules and limits are left to the ingester.
//
// Memory: strings are views into `body` unless they had escapes (then the batch owns an unescaped
// copy). Since each field repeats the point's tags and gets its own name, labels and names may
// take at most 32 * (body.size() + 1024) bytes of the batch; a line that would exceed that is
// rejected ("line N: ... remaining budget ...").
//
// Thread-safety: all functions are thread-safe; concurrent calls must use distinct batches.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/sample_batch.h"

namespace cardinalsin::line_protocol {

enum class Precision {
  kNanoseconds,
  kMicroseconds,
  kMilliseconds,
  kSeconds,
  kMinutes,  // 1.x only
  kHours,    // 1.x only
};

// Nanoseconds per unit of `precision`.
int64_t NanosPerUnit(Precision precision);

// Parses the `precision` query parameter. The 2.x API (`v1` false) takes "ns", "us", "ms", "s"
// (and "n", "u"); the 1.x /write API (`v1` true) also takes "m" and "h". An empty string means
// nanoseconds. Anything else is InvalidArgumentError naming the value and the accepted ones.
[[nodiscard]] absl::StatusOr<Precision> ParsePrecision(std::string_view name, bool v1);

// Appends the points of `body` to `*out` (see the file comment). `body` must outlive `*out`.
// Returns OK when at least one line was well-formed or the body had no points (only blank and
// comment lines); returns InvalidArgumentError, with the first problem, when every point line was
// malformed. Either way malformed lines are also counted in `out`'s rejections.
[[nodiscard]] absl::Status Parse(std::string_view body, Precision precision, int64_t now_ns,
                                 model::SampleBatch* out);

}  // namespace cardinalsin::line_protocol
