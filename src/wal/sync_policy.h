// File: sync_policy.h
//
// When the WAL makes appended records durable (`WAL_SYNC_MODE`, compatibility contract section
// 6.4). ParseSyncPolicy accepts the contract's spellings, case-insensitively:
//
//   every_write      fdatasync before Wal::Sync returns (group commit)
//   interval_<N>ms   a background thread syncs every N milliseconds; N = 0 means every_write
//   interval_<N>s    the same in seconds
//   on_rotation      sync the old segment before switching to a new one
//   none             never sync (the OS writes back when it likes)
//
//   CS_ASSIGN_OR_RETURN(wal::SyncPolicy policy, wal::ParseSyncPolicy("interval_100ms"));
//   wal::FormatSyncPolicy(policy);  // "interval_100ms"
//
// Thread-safety: pure functions on values.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cardinalsin::wal {

enum class SyncMode { kEveryWrite, kInterval, kOnRotation, kNone };

struct SyncPolicy {
  SyncMode mode = SyncMode::kEveryWrite;
  // Only for kInterval: the period of the background sync. Must be positive there.
  absl::Duration interval = absl::ZeroDuration();
};

// Parses a WAL_SYNC_MODE value. Errors (InvalidArgument) carry the contract's texts without the
// "invalid WAL_SYNC_MODE: " prefix, which the flag layer adds; <x> is the lowercased input:
//   unknown WAL sync mode: '<x>'. Use: every_write, interval_100ms, on_rotation, none
//   invalid interval: <reason>        (reason: "cannot parse integer from empty string",
//                                      "invalid digit found in string",
//                                      "number too large to fit in target type")
//   invalid sync mode: <x> (use e.g. interval_100ms)      (a suffix other than ms or s)
// `interval_0ms` / `interval_0s` return kEveryWrite (the contract: N = 0 means every write).
[[nodiscard]] absl::StatusOr<SyncPolicy> ParseSyncPolicy(std::string_view text);

// The canonical spelling, which ParseSyncPolicy maps back to the same policy: "every_write",
// "on_rotation", "none", "interval_<N>s" for whole seconds, otherwise "interval_<N>ms" (the
// interval truncated to whole milliseconds).
std::string FormatSyncPolicy(const SyncPolicy& policy);

}  // namespace cardinalsin::wal
