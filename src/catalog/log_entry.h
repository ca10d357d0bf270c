// File: log_entry.h
//
// Log entries, the rule that applies one to a state, and the JSON encoding of entries and
// checkpoints, docs/format/catalog.md version 1.
// Decoders treat their input as untrusted: anything malformed is DataLoss naming the object key
// and the offending field, an entry of a newer version is FailedPrecondition, and an unknown
// action kind is DataLoss naming the kind and the seq.
//
//   CS_ASSIGN_OR_RETURN(std::string body, EncodeLogEntry(entry));
//   CS_ASSIGN_OR_RETURN(LogEntry back, DecodeLogEntry(body, LogKey("default", entry.seq)));
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"

namespace cardinalsin::catalog {

inline constexpr int kFormatVersion = 1;

struct WatermarkAction {
  std::string writer;
  uint64_t wal_seq = 0;
  friend bool operator==(const WatermarkAction&, const WatermarkAction&) = default;
};

// {"add": ChunkSummary} | {"remove": RemovedChunk} | {"watermark": WatermarkAction}
using Action = std::variant<ChunkSummary, RemovedChunk, WatermarkAction>;

// One object of the log.
struct LogEntry {
  uint64_t seq = 0;
  std::string writer;
  int64_t committed_at_ns = 0;
  std::vector<Action> actions;  // applied in order
  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// Compact JSON. InvalidArgument when a string is not valid UTF-8 (JSON cannot carry it).
[[nodiscard]] absl::StatusOr<std::string> EncodeLogEntry(const LogEntry& entry);
// `key` names the object in errors; the entry's "seq" must equal `expected_seq`.
[[nodiscard]] absl::StatusOr<LogEntry> DecodeLogEntry(std::string_view json, std::string_view key,
                                                      uint64_t expected_seq);

// A checkpoint, and what `cardinalsin admin catalog show --json` prints:
// {"version":1,"seq":N,"chunks":[ChunkSummary...],"watermarks":{id:seq},"removed":[...]}.
// `indent` < 0 is compact, otherwise pretty-printed with that many spaces.
[[nodiscard]] absl::StatusOr<std::string> EncodeSnapshot(const Snapshot& snapshot, int indent = -1);
[[nodiscard]] absl::StatusOr<Snapshot> DecodeSnapshot(std::string_view json, std::string_view key);

// Applies `entry` to `state` (which must be at entry.seq - 1), checking the same rules as
// Catalog::Commit; a violation is FailedPrecondition naming the path or writer and leaves `state`
// partly updated. Also trims removed entries older than kRemovedRetention.
// Summaries are checked with ValidateChunkSummary(tenant, ...) (InvalidArgument).
[[nodiscard]] absl::Status ApplyLogEntry(std::string_view tenant, const LogEntry& entry,
                                         Snapshot* state);

}  // namespace cardinalsin::catalog
