// File: arrow_ipc_fuzzer.cc
//
// libFuzzer target for arrow::StreamReader over untrusted bytes: the input is a whole Arrow IPC
// stream. Open() parses the schema message; Next() is called until the end of the stream or an
// error, which decodes every dictionary and record batch message.
//
// Errors are expected and fine (stream_reader.h promises DataLossError or InvalidArgumentError,
// never a crash). Bugs are crashes, ASan / UBSan reports, leaks, timeouts, out-of-memory, and a
// batch that breaks the model's invariants or does not survive a round trip: every batch Next()
// returns must pass RecordBatch::Validate(), carry the reader's schema, and come back equal after
// StreamWriter writes it (in both string modes) and StreamReader reads it again. Those abort().
//
// Seeds (corpus/arrow_ipc/): streams written by CardinalSin (test/tools/arrow_tool: dictionary
// and plain strings, several batches, dictionary deltas and replacements, zero rows) and by
// pyarrow 26 (every supported type, sliced batches, int8/int16 dictionary indices, delta
// dictionaries, V4 metadata, pre-0.15 framing, zstd bodies, unsupported types), and truncated or
// byte-flipped copies of some of them.
//
//   FUZZ_TARGETS=arrow_ipc_fuzzer scripts/fuzz.sh 60
//   build/fuzz/arrow_ipc_fuzzer crash-<sha1>      replays one input

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "arrow/stream_reader.h"
#include "arrow/stream_writer.h"
#include "model/record_batch.h"

namespace cardinalsin::arrow {
namespace {

[[noreturn]] void Violation(const char* what, const std::string& detail) {
  std::fprintf(stderr, "arrow_ipc_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckRoundTrip(const model::RecordBatch& batch, WriterOptions::Strings strings) {
  absl::StatusOr<std::string> stream =
      WriteStream(batch.schema(), {&batch, 1}, {.strings = strings});
  if (!stream.ok()) Violation("WriteStream()", std::string(stream.status().message()));
  absl::StatusOr<StreamReader> reader = StreamReader::Open(*stream);
  if (!reader.ok()) Violation("re-Open()", std::string(reader.status().message()));
  absl::StatusOr<std::optional<model::RecordBatch>> again = reader->Next();
  if (!again.ok()) Violation("re-Next()", std::string(again.status().message()));
  if (!again->has_value() || !(*again)->Equals(batch)) {
    Violation("round trip", "the batch read back differs from the batch written");
  }
}

void CheckBatch(const StreamReader& reader, const model::RecordBatch& batch) {
  if (absl::Status valid = batch.Validate(); !valid.ok()) {
    Violation("Next()", std::string(valid.message()));
  }
  if (!(batch.schema() == reader.schema())) Violation("Next()", "batch schema differs");
  CheckRoundTrip(batch, WriterOptions::Strings::kDictionary);
  CheckRoundTrip(batch, WriterOptions::Strings::kPlain);
}

void FuzzOne(std::string_view bytes) {
  absl::StatusOr<StreamReader> reader = StreamReader::Open(bytes);
  if (!reader.ok()) return;
  if (reader->schema().size() == 0) Violation("Open()", "a schema without fields");
  while (true) {
    absl::StatusOr<std::optional<model::RecordBatch>> batch = reader->Next();
    if (!batch.ok() || !batch->has_value()) return;
    CheckBatch(*reader, **batch);
  }
}

}  // namespace
}  // namespace cardinalsin::arrow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cardinalsin::arrow::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
