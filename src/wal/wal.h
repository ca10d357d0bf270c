// File: wal.h
//
// The ingester's write-ahead log: a directory of segment files holding length-prefixed,
// checksummed, sequence-numbered records whose payloads are opaque bytes (the ingester encodes
// them). The on-disk layout is docs/format/wal.md, record format version 2:
//
//   WAL_DIR/segment-000001.wal, segment-000002.wal, ...   records, in sequence order
//   WAL_DIR/flushed_seq                                   u64 LE: records <= it are committed
//   WAL_DIR/incarnation                                   16 hex digits: this log's identity
//   WAL_DIR/LOCK                                          flock'ed while a Wal has the dir open
//
// Usage (the ingester):
//
//   CS_ASSIGN_OR_RETURN(std::unique_ptr<wal::Wal> wal,
//                       wal::Wal::Open({.dir = "/var/lib/cardinalsin/wal", .sync = policy}));
//   CS_RETURN_IF_ERROR(wal->Replay([&](uint64_t seq, std::string_view payload) {
//     return buffer.Restore(seq, payload);
//   }));
//   ...
//   uint64_t seq;
//   {
//     std::lock_guard lock(buffer_mu);        // so that seq order == buffer order
//     CS_ASSIGN_OR_RETURN(seq, wal->Write(payload));
//     buffer.Append(..., seq);
//   }
//   CS_RETURN_IF_ERROR(wal->Sync(seq));       // outside the lock: concurrent writers share fsyncs
//   ... acknowledge ...
//   // after a flush whose chunk holds every record <= s is committed in the catalog:
//   CS_RETURN_IF_ERROR(wal->MarkFlushed(s));
//
// Durability (Sync) follows the SyncPolicy: every_write is group commit (one writer's fdatasync
// covers every record written before it started, and the others wait for it instead of issuing
// their own); interval syncs from a background thread; on_rotation syncs a segment when it is
// closed; none never syncs. A failed fdatasync is sticky: the page cache state of the segment is
// then unknown, so the Wal refuses all further writes and syncs with that error.
//
// Open repairs a torn tail (a partial record at the end of the log left by a crash) by truncating
// it, and refuses with DataLoss to skip over damage that valid records follow.
//
// Thread-safety: every method may be called concurrently, except that Replay must be called at
// most once, before the first Write, and the destructor must not race with other calls.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "wal/file_ops.h"
#include "wal/record.h"
#include "wal/sync_policy.h"

namespace cardinalsin::wal {

struct WalOptions {
  // The WAL directory; created (with parents) if missing.
  std::string dir;
  SyncPolicy sync;
  // Start a new segment when an append would make the current one larger than this; 0 = never.
  // A record larger than the limit goes alone into a fresh segment.
  uint64_t max_segment_size = uint64_t{64} << 20;
  // Time source for the sync statistics (Stats::sync_time, Stats::last_sync). Null = the system
  // clock. Not owned; must outlive the Wal.
  base::Clock* clock = nullptr;
  // The write/sync/truncate system calls, a seam for fault-injection tests. Null = the real ones.
  // Not owned; must outlive the Wal.
  FileOps* file_ops = nullptr;
};

class Wal {
 public:
  // Opens (creating if needed) the WAL in options.dir, takes its LOCK, scans every segment and
  // repairs a torn tail. The next sequence number is one past the last valid record's and past
  // flushed_seq().
  // Errors: InvalidArgument (bad options); FailedPrecondition (the dir is locked by another Wal,
  // in this or another process; version-1 records; two files with one segment id); DataLoss
  // (a damaged record followed by valid ones, or a sequence gap or regression), naming the
  // segment and byte offset; Internal for I/O failures, naming the file.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Wal>> Open(WalOptions options);

  // Syncs the current segment (unless the mode is none), stops the background thread and
  // releases the lock. Errors are logged.
  ~Wal();

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Calls fn(seq, payload) for every record with seq > flushed_seq() (as of Open), in sequence
  // order. `payload` is valid only during the call. Stops at and returns the first error fn
  // returns. Records written after Open are not visited.
  // REQUIRES: called at most once, before the first Write (else FailedPrecondition).
  [[nodiscard]] absl::Status Replay(
      const std::function<absl::Status(uint64_t seq, std::string_view payload)>& fn);

  // Assigns the next sequence number and writes the record to the current segment (pwritev; not
  // yet durable: call Sync). Returns the sequence number.
  // Errors: InvalidArgument if payload.size() > kMaxPayloadBytes; ResourceExhausted
  // "WAL disk is full" on ENOSPC/EDQUOT, with the segment left exactly as before the call so that
  // later writes and replays work; Internal naming the file for other I/O errors; the sticky
  // error after a failed sync.
  [[nodiscard]] absl::StatusOr<uint64_t> Write(std::string_view payload);

  // Returns once record `seq` is durable under the sync policy: every_write waits for an
  // fdatasync that covers it (group commit); interval, on_rotation and none return at once. An
  // fdatasync error is returned to every waiter it covers and to every later Write and Sync.
  // REQUIRES: seq <= last_seq() (else InvalidArgument).
  [[nodiscard]] absl::Status Sync(uint64_t seq);

  // Write + Sync.
  [[nodiscard]] absl::StatusOr<uint64_t> Append(std::string_view payload);

  // Returns once record `seq` (and every record before it) is on stable storage, whatever the
  // sync policy: in every mode it runs (or joins) an fdatasync of the current segment, and in
  // mode none, which never synced the rotated segments, fdatasyncs those first. The ingester
  // calls it before committing a watermark, so that a committed watermark never exceeds what
  // survives a power loss (which would let later records reuse committed sequence numbers).
  // Errors: as Sync.
  // REQUIRES: seq <= last_seq() (else InvalidArgument).
  [[nodiscard]] absl::Status MakeDurable(uint64_t seq);

  // Records that every record with seq <= `seq` is committed elsewhere: persists flushed_seq
  // durably (temp file, fsync, rename, fsync dir), then deletes the segments all of whose records
  // are <= seq, oldest first, never the current one. A value <= flushed_seq() is a no-op.
  // REQUIRES: seq <= last_seq() (else InvalidArgument).
  [[nodiscard]] absl::Status MarkFlushed(uint64_t seq);

  uint64_t flushed_seq() const;
  // The sequence number of the last record written (0 if none ever was).
  uint64_t last_seq() const;
  // Every record with seq <= synced_seq() is known to be on stable storage.
  uint64_t synced_seq() const;
  // A random id (16 hex digits) created with the log and kept in WAL_DIR/incarnation. Sequence
  // numbers are unique only within one incarnation: a WAL directory that is wiped or replaced
  // starts numbering again at 1 under a new incarnation, so whoever records sequence numbers
  // elsewhere (catalog watermarks) must key them by incarnation.
  const std::string& incarnation() const { return incarnation_; }

  // Counters since Open, for /metrics.
  struct Stats {
    uint64_t records = 0;       // records written
    uint64_t bytes = 0;         // bytes written, headers included
    uint64_t syncs = 0;         // fdatasync calls on segments (group commit, interval, rotation)
    uint64_t segments = 0;      // segment files currently in the directory
    uint64_t rotations = 0;     // segments started after Open
    uint64_t write_errors = 0;  // failed writes (the record was not written)
    uint64_t sync_errors = 0;   // failed fdatasyncs (sticky)
    absl::Duration sync_time = absl::ZeroDuration();  // total time spent in segment fdatasync
    absl::Time last_sync = absl::InfinitePast();      // wall time the last fdatasync finished
  };
  Stats stats() const;

  const WalOptions& options() const { return options_; }

 private:
  struct SegmentFile;  // an open segment fd, shared by the writer and a sync in progress
  struct Segment {
    std::string path;
    uint64_t first_seq = 0;  // 0 = no records
    uint64_t last_seq = 0;
    uint64_t size = 0;  // bytes of valid records
  };

  explicit Wal(WalOptions options);

  absl::Status OpenLocked();
  absl::Status ScanSegments(std::map<uint64_t, std::string> files);
  absl::Status OpenCurrentSegment();
  absl::Status RotateLocked();
  // Runs one fdatasync of the current segment as the group-commit leader: releases `lock` for the
  // duration of the call and reacquires it. Wakes every waiter when done.
  // REQUIRES: lock holds mu_; !sync_in_progress_.
  absl::Status LeadSyncLocked(std::unique_lock<std::mutex>& lock);
  absl::Status SyncErrorLocked(const std::string& path, int error);
  absl::Status PersistFlushedSeq(uint64_t seq);
  absl::Status LoadOrCreateIncarnation();
  void IntervalSyncLoop();
  std::string SegmentPath(uint64_t id) const;

  const WalOptions options_;
  base::Clock& clock_;
  FileOps& file_ops_;
  int lock_fd_ = -1;  // set by Open, closed by the destructor; not guarded (immutable after Open)
  std::string incarnation_;  // set by Open; immutable after

  // Serialises MarkFlushed calls so the flushed_seq file and segment deletions happen in order.
  // Acquired before mu_, never after.
  std::mutex flush_mu_;

  mutable std::mutex mu_;
  // Every member from here to stats_ is guarded by mu_.
  std::map<uint64_t, Segment> segments_;  // by segment id; the last one is the current segment
  std::shared_ptr<SegmentFile> current_;  // the current segment, open for writing
  uint64_t next_seq_ = 1;
  uint64_t flushed_seq_ = 0;
  uint64_t synced_seq_ = 0;
  bool sync_in_progress_ = false;  // a group-commit leader or the interval thread is syncing
  absl::Status sticky_error_;      // set by a failed fdatasync; refuses writes from then on
  bool replay_allowed_ = true;     // false after Replay or the first Write
  bool stopping_ = false;          // the destructor asks the interval thread to exit
  Stats stats_;

  std::condition_variable sync_done_;       // with mu_: a sync finished (or failed)
  std::condition_variable stop_requested_;  // with mu_: stopping_ became true
  std::thread interval_thread_;             // only for SyncMode::kInterval; started by Open
};

}  // namespace cardinalsin::wal
