// File: result_format.h
//
// Encodes a SqlResult as the body of a /api/v1/sql response, in one of four formats
// (compatibility contract section 4.1, ARCHITECTURE.md section 7):
//
//   json    {"columns":["metric_name","cnt"],"data":[["cpu",10],["mem",7]],
//            "stats":{"rows_read":120000,"bytes_read":4096,"execution_time_ms":5,...}}
//           plus "warnings":["..."] after "stats" when SqlResult::warnings is not empty
//   csv     RFC 4180: a header row of column names, then one record per row, CRLF line ends
//   ndjson  one {"metric_name":"cpu","cnt":10} object per row, each followed by "\n"
//   arrow   an Arrow IPC stream (src/arrow): the schema, the record batches, end-of-stream
//
// Value encodings (JSON and NDJSON / CSV):
//   NULL                  null                     / empty field
//   bool                  true, false              / true, false
//   int64, uint64         the exact decimal digits (uint64 above 2^53 too, never rounded)
//   double                shortest round-trip text, always with a '.' or exponent ("10.0",
//                         "-0.0", "1e+300"); NaN and +-Inf -> null / NaN, Infinity, -Infinity
//   string (plain or      JSON string (invalid UTF-8 bytes become U+FFFD) / the raw bytes, quoted
//   dictionary)           when they hold ',', '"', CR or LF; the empty string is written "" so
//                         that it differs from NULL
//   timestamp             integer Unix nanoseconds / ISO-8601 UTC with nanoseconds,
//                         "2024-01-01T00:00:00.123456789Z"
//   other int64-backed    integer (e.g. a duration in nanoseconds)
// Arrow keeps the column types (see arrow/stream_writer.h); strings are plain utf8 unless
// EncodeOptions::arrow_dictionary_strings.
//
// Empty results keep their columns (the original's defect 43): json gives "columns" and an empty
// "data", csv the header row alone, arrow the schema and the end-of-stream marker; ndjson has no
// schema line, so its body is empty.
//
//   CS_RETURN_IF_ERROR(ValidateResult(result));
//   CS_ASSIGN_OR_RETURN(std::string body, EncodeResult(ResultFormat::kCsv, result));
//
//   // Or piece by piece, for a streamed response:
//   ResultEncoder encoder(ResultFormat::kJson, result);
//   while (!encoder.done()) {
//     std::string chunk;
//     CS_RETURN_IF_ERROR(encoder.EncodeSome(&chunk, 256 << 10));
//     Send(chunk);
//   }
//
// Thread-safety: a ResultEncoder is not thread-safe; distinct encoders may share a result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arrow/stream_writer.h"
#include "query/sql_result.h"

namespace cardinalsin::query {

struct EncodeOptions {
  // Arrow only: kString columns as dictionary<int32, utf8> (smaller for repetitive label
  // columns) instead of plain utf8, which every Arrow reader maps to a plain string column.
  bool arrow_dictionary_strings = false;
};

// Checks what the encoders rely on: every batch has result.schema and passes
// RecordBatch::Validate(). Returns InternalError naming the batch otherwise (a result is made by
// our engine, so a mismatch is a bug there, not bad user input).
[[nodiscard]] absl::Status ValidateResult(const SqlResult& result);

class ResultEncoder {
 public:
  // REQUIRES: ValidateResult(result) is OK; `result` outlives the encoder and is not modified
  // while it is in use.
  ResultEncoder(ResultFormat format, const SqlResult& result, EncodeOptions options = {});
  ~ResultEncoder();
  ResultEncoder(const ResultEncoder&) = delete;
  ResultEncoder& operator=(const ResultEncoder&) = delete;

  // Appends the next part of the body to `*out`, stopping at the first row boundary at or after
  // `target_bytes` appended bytes, or at the end of the body (then done() turns true). Arrow
  // appends whole record batches, one per call. Returns the Arrow writer's error when a batch
  // cannot be represented (json, csv and ndjson cannot fail); the encoder is then done.
  // REQUIRES: !done().
  [[nodiscard]] absl::Status EncodeSome(std::string* out, size_t target_bytes);

  bool done() const { return phase_ == Phase::kDone; }  // NOLINT(readability-identifier-naming)

 private:
  enum class Phase { kHeader, kRows, kFooter, kDone };

  void EncodeHeader(std::string* out);
  void EncodeRows(std::string* out, size_t target_bytes);
  void EncodeFooter(std::string* out);
  absl::Status EncodeArrow(std::string* out);

  ResultFormat format_;
  const SqlResult& result_;
  EncodeOptions options_;
  Phase phase_ = Phase::kHeader;
  size_t batch_ = 0;                  // next batch to encode
  size_t row_ = 0;                    // next row of that batch
  bool wrote_row_ = false;            // json: a row was written, so the next one needs a comma
  std::string* arrow_out_ = nullptr;  // where the Arrow sink appends during EncodeSome()
  std::optional<arrow::StreamWriter> arrow_writer_;
};

// The whole body in one string. REQUIRES: ValidateResult(result) is OK.
[[nodiscard]] absl::StatusOr<std::string> EncodeResult(ResultFormat format, const SqlResult& result,
                                                       EncodeOptions options = {});

// Appends `ns` (Unix nanoseconds) as ISO-8601 UTC with nine fraction digits:
// "1970-01-01T00:00:00.000000000Z". Works for the whole int64 range (years 1677-2262).
void AppendIsoTimestamp(std::string* out, int64_t ns);

}  // namespace cardinalsin::query
