// File: internal/segment_reader.h
//
// Reads and validates the records of one WAL segment file (docs/format/wal.md, version 2). Used
// by Wal::Open to scan and repair segments and by Wal::Replay. Private to the wal module.
//
// Bytes on disk are untrusted: every declared length is checked against the file size and
// kMaxPayloadBytes before anything is read or allocated, and scanning without a payload buffer
// checks CRCs through a fixed-size buffer.
//
// Thread-safety: not thread-safe; one reader per thread.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace cardinalsin::wal::internal {

struct RecordRead {
  enum class Kind {
    kRecord,           // a valid record
    kEnd,              // offset == size(): no more records
    kBad,              // a truncated or corrupt record (torn write or damage); see `problem`
    kOriginalVersion,  // a version-1 header (the Rust original's layout)
  };
  Kind kind = Kind::kEnd;
  uint64_t seq = 0;     // kRecord (and kOriginalVersion): the stored sequence number
  uint64_t end = 0;     // kRecord: offset just past the record
  std::string problem;  // kBad: what is wrong, e.g. "CRC mismatch (stored 0x..., computed 0x...)"
};

class SegmentReader {
 public:
  // Opens `path` read-only. Only its first min(file size, limit) bytes are ever read, so a reader
  // of a segment that is being appended to sees a stable prefix.
  static absl::StatusOr<std::unique_ptr<SegmentReader>> Open(
      std::string path, uint64_t limit = std::numeric_limits<uint64_t>::max());
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

  // Reads the record starting at `offset`. When `payload` is not null and the record is valid,
  // *payload holds its payload. Returns an error only for I/O failures.
  // REQUIRES: offset <= size().
  [[nodiscard]] absl::StatusOr<RecordRead> ReadAt(uint64_t offset, std::string* payload);

  // Returns the offset of the first valid version-2 record that starts at or after `from` and
  // whose sequence number is greater than `min_seq`, or nullopt if there is none. Used to tell a
  // torn tail (nothing valid follows) from damage in the middle of the log.
  [[nodiscard]] absl::StatusOr<std::optional<uint64_t>> FindValidRecord(uint64_t from,
                                                                        uint64_t min_seq);

 private:
  SegmentReader(std::string path, int fd, uint64_t size);

  // Returns a pointer to bytes [offset, offset + n), valid until the next call.
  // REQUIRES: n <= kBufferSize, offset + n <= size_.
  absl::StatusOr<const char*> Peek(uint64_t offset, size_t n);

  static constexpr size_t kBufferSize = 1 << 20;

  const std::string path_;
  const int fd_;
  const uint64_t size_;
  std::unique_ptr<char[]> buffer_;
  uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  size_t buffer_length_ = 0;    // valid bytes in buffer_
};

}  // namespace cardinalsin::wal::internal
