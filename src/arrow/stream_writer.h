// File: stream_writer.h
//
// Writes model::RecordBatch data as an Arrow IPC stream (the "streaming format" of the Arrow
// columnar specification, metadata version V5; layout notes in src/arrow/README.md): a Schema
// message, then DictionaryBatch and RecordBatch messages, then the end-of-stream marker. Any Arrow
// implementation (pyarrow's `pa.ipc.open_stream`, DuckDB, Arrow Flight clients) reads the result.
//
//   std::string out;
//   StreamWriter writer(&out);
//   CS_RETURN_IF_ERROR(writer.Begin(batch.schema()));
//   CS_RETURN_IF_ERROR(writer.Write(batch));
//   CS_RETURN_IF_ERROR(writer.Finish());
//
// Type mapping: kBool -> Bool, kInt64 -> Int(64, signed), kUInt64 -> Int(64, unsigned), kDouble ->
// FloatingPoint(DOUBLE), kTimestampNs -> Timestamp(NANOSECOND, "UTC"), kString -> Utf8 with int32
// offsets, dictionary-encoded (int32 indices) by default; see WriterOptions::strings. Nulls become
// LSB-first validity bitmaps; a column without nulls gets no bitmap. Bodies are not compressed.
//
// Thread-safety: not thread-safe; one writer serves one stream.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/column.h"
#include "model/record_batch.h"
#include "model/types.h"

namespace cardinalsin::arrow {

// Receives the stream's bytes in order, a message or a buffer at a time. A non-OK status aborts the
// write and is returned by the StreamWriter call that produced the bytes. The view is valid only
// during the call.
using Sink = std::function<absl::Status(std::string_view bytes)>;

// The most value bytes one Utf8 array can hold (its offsets are int32).
inline constexpr int64_t kMaxUtf8Bytes = std::numeric_limits<int32_t>::max();

struct WriterOptions {
  enum class Strings {
    // Every kString field is dictionary<int32, utf8>. Dictionary-encoded columns are written as
    // they
    // are; plain ones are encoded on the fly. A dictionary is sent before the first batch that uses
    // it and again only when it changes: as a delta when the new one extends the previous one (how
    // a growing ingest buffer's label dictionaries evolve), as a replacement otherwise.
    kDictionary,
    // Every kString field is plain utf8; dictionary-encoded columns are decoded.
    kPlain,
  };
  Strings strings = Strings::kDictionary;
  // A batch whose utf8 columns hold more value bytes than this is split into several record
  // batches (by rows). Values above kMaxUtf8Bytes are treated as kMaxUtf8Bytes. Dictionaries are
  // never split: one whose values exceed kMaxUtf8Bytes bytes fails the write.
  int64_t max_utf8_bytes_per_batch = kMaxUtf8Bytes;
};

class StreamWriter {
 public:
  // Appends the stream to `*out`, which must outlive the writer.
  explicit StreamWriter(std::string* out, WriterOptions options = {});
  // Hands the stream to `sink` piece by piece (one call per message header and per body buffer).
  explicit StreamWriter(Sink sink, WriterOptions options = {});

  StreamWriter(StreamWriter&&) = default;
  StreamWriter& operator=(StreamWriter&&) = default;

  // Writes the Schema message. Returns InvalidArgument for a schema without fields.
  //
  // Call order: Begin() once, Write() any number of times, Finish() once. A call out of that
  // order returns FailedPrecondition, as does any call after a failed Begin() or a sink failure
  // (the stream may then be cut short, and the writer will not extend it).
  [[nodiscard]] absl::Status Begin(const model::Schema& schema);

  // Writes the dictionaries `batch` needs (when they changed) and the batch itself, possibly as
  // several record batches (WriterOptions::max_utf8_bytes_per_batch). Returns InvalidArgument,
  // writing nothing and leaving the writer usable, when batch.schema() differs from the schema
  // given to Begin(), the batch fails RecordBatch::Validate(), or a value cannot be represented (a
  // single string over the utf8 limit, a dictionary over kMaxUtf8Bytes bytes); returns the sink's
  // error when it fails, which fails the writer. A batch of zero rows is written as a zero-length
  // record batch. `batch` is only read during the call.
  [[nodiscard]] absl::Status Write(const model::RecordBatch& batch);

  // Writes the end-of-stream marker.
  [[nodiscard]] absl::Status Finish();

  // Bytes handed to the sink so far.
  int64_t bytes_written() const { return bytes_written_; }

 private:
  enum class State { kNew, kOpen, kFinished, kFailed };

  struct DictionaryField {
    // The dictionary the reader holds for this field, once one was sent.
    std::optional<model::StringVector> sent;
  };

  [[nodiscard]] absl::Status Emit(std::string_view bytes);
  [[nodiscard]] absl::Status WriteBatch(const model::RecordBatch& batch);
  [[nodiscard]] absl::Status SendDictionary(size_t field_index,
                                            const model::StringVector& dictionary);
  // Fails the writer when `status` is not OK, so later calls refuse to continue a broken stream.
  absl::Status Track(absl::Status status);

  Sink sink_;
  WriterOptions options_;
  State state_ = State::kNew;
  model::Schema schema_;
  std::vector<DictionaryField> dictionaries_;  // one per field (used by kString fields only)
  int64_t bytes_written_ = 0;
};

// The whole stream for `batches` (each with `schema`) in memory. Returns InvalidArgument as
// StreamWriter does.
[[nodiscard]] absl::StatusOr<std::string> WriteStream(const model::Schema& schema,
                                                      std::span<const model::RecordBatch> batches,
                                                      WriterOptions options = {});

}  // namespace cardinalsin::arrow
