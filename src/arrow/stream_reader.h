// File: stream_reader.h
//
// Reads an Arrow IPC stream (the columnar specification's streaming format; notes in
// src/arrow/README.md) into model::RecordBatch values. The input is untrusted: every length,
// offset, count and index is checked against the bytes actually present, what one Open() or
// Next() allocates is bounded by a small multiple of the input size (a batch holds copies of only
// the dictionary entries it uses), and problems come back as errors that name the message's byte
// offset and, where one is involved, the field. Utf8 values are not checked to be valid UTF-8.
//
//   CS_ASSIGN_OR_RETURN(StreamReader reader, StreamReader::Open(bytes));
//   while (true) {
//     CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, reader.Next());
//     if (!batch) break;
//     ...
//   }
//
// Accepted Arrow types and what they become:
//   Bool -> kBool; Int(8|16|32|64, signed) -> kInt64; Int(8|16|32|64, unsigned) -> kUInt64;
//   FloatingPoint(SINGLE|DOUBLE) -> kDouble; Utf8, LargeUtf8 -> kString (plain);
//   Timestamp(any unit, any or no timezone) -> kTimestampNs (converted to nanoseconds since the
//   epoch, taken as UTC; a value that overflows is an error);
//   dictionary-encoded Utf8/LargeUtf8 (any integer index type) -> kString, dictionary-encoded.
// Anything else (nested types, binary, decimal, date, ...) fails Open() with InvalidArgument naming
// the field and the type. Messages from metadata versions V4 and V5 are read, with or without the
// continuation marker (pre-0.15 framing). Dictionary replacement and delta dictionaries are
// applied. Compressed bodies are rejected (InvalidArgument).
//
// Errors: DataLossError for malformed or truncated input, InvalidArgumentError for well-formed
// input this reader does not support. After an error the reader stays failed.
//
// Thread-safety: not thread-safe. The reader keeps a view of the input, which must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/column.h"
#include "model/record_batch.h"
#include "model/types.h"

namespace cardinalsin::arrow {
namespace internal::fb {
struct RecordBatch;
}  // namespace internal::fb

class StreamReader {
 public:
  // Parses the Schema message at the start of `stream` (which must outlive the reader).
  [[nodiscard]] static absl::StatusOr<StreamReader> Open(std::string_view stream);

  StreamReader(StreamReader&&) = default;
  StreamReader& operator=(StreamReader&&) = default;

  const model::Schema& schema() const { return schema_; }

  // The next record batch, after applying any dictionary batches before it; nullopt at the
  // end-of-stream marker, or when the input ends exactly at a message boundary.
  [[nodiscard]] absl::StatusOr<std::optional<model::RecordBatch>> Next();

  // How an Arrow field is decoded (public so that the implementation's helpers can name it).
  struct FieldPlan {
    enum class Kind { kBool, kInt, kFloat, kUtf8, kLargeUtf8, kTimestamp };
    Kind kind = Kind::kBool;
    int bit_width = 64;       // kInt (values), kFloat (32 or 64)
    bool is_signed = true;    // kInt
    int64_t ns_per_unit = 1;  // kTimestamp
    bool dictionary = false;  // values are dictionary indices; `kind` is the dictionary's type
    int64_t dictionary_id = 0;
    int index_bit_width = 32;  // dictionary indices
    bool index_signed = true;
  };

 private:
  // A dictionary's values as the batches that sent it left them.
  struct Dictionary {
    model::StringVector values;
    std::vector<uint8_t> validity;  // empty: no nulls
  };

  explicit StreamReader(std::string_view stream) : stream_(stream) {}

  // Records `status` as the reader's sticky error when it is not OK; returns it.
  absl::Status Fail(absl::Status status);
  // The record batch `batch` over `body` (`context` prefixes errors).
  absl::StatusOr<model::RecordBatch> DecodeRecordBatch(const internal::fb::RecordBatch* batch,
                                                       std::string_view body,
                                                       const std::string& context) const;

  std::string_view stream_;
  size_t pos_ = 0;  // offset of the next message
  bool done_ = false;
  absl::Status error_;
  model::Schema schema_;
  std::vector<FieldPlan> plans_;  // one per field
  absl::flat_hash_map<int64_t, Dictionary> dictionaries_;
  std::vector<uint64_t> metadata_scratch_;  // 8-byte aligned copy of the current message metadata
};

}  // namespace cardinalsin::arrow
