// File: chunk_builder.h
//
// Turns a buffer's sorted rows into a chunk: the Parquet bytes (docs/format/chunk.md), the object
// key `{tenant}/data/{yyyy}/{mm}/{dd}/{hh}/L0-{ulid}.parquet` (hour of the earliest sample, UTC)
// and the catalog summary that lets query nodes prune it without a GET.
//
//   CS_ASSIGN_OR_RETURN(BuiltChunk chunk, BuildChunk("default", buffer.ToRecordBatch(), {}, now,
//   random)); store->Put(chunk.summary.path, chunk.bytes);
//
// Thread-safety: free functions; `random` must be thread-safe (base::SeededRandom is).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "catalog/catalog.h"
#include "model/record_batch.h"
#include "parquet/writer.h"

namespace cardinalsin::ingest {

struct BuiltChunk {
  std::string bytes;
  catalog::ChunkSummary summary;  // path = the object key
};

// REQUIRES: `rows` has the metrics schema, at least one row, sorted in chunk order
// (SeriesBuffer::ToRecordBatch).
absl::StatusOr<BuiltChunk> BuildChunk(std::string_view tenant, const model::RecordBatch& rows,
                                      const parquet::WriterOptions& options, absl::Time now,
                                      base::Random& random);

// A ULID (https://github.com/ulid/spec): 48-bit millisecond time + 80 random bits in Crockford
// base32, 26 characters, so keys written later sort later within a prefix.
std::string NewUlid(absl::Time now, base::Random& random);

// The writer options chunks are written with: the defaults of docs/format/chunk.md plus the sort
// order recorded in the file.
parquet::WriterOptions DefaultChunkOptions();

}  // namespace cardinalsin::ingest
