#include "wal/internal/segment_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/crc32c.h"
#include "base/strings.h"
#include "wal/record.h"

namespace cardinalsin::wal::internal {
namespace {

absl::Status ErrnoError(std::string_view what, const std::string& path, int error) {
  return absl::InternalError(base::StrCat(what, " ", path, ": ", std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SegmentReader>> SegmentReader::Open(std::string path,
                                                                   uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open WAL segment", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoError("cannot stat WAL segment", path, error);
  }
  const uint64_t size = std::min<uint64_t>(static_cast<uint64_t>(st.st_size), limit);
  return std::unique_ptr<SegmentReader>(new SegmentReader(std::move(path), fd, size));
}

SegmentReader::SegmentReader(std::string path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size), buffer_(new char[kBufferSize]) {}

SegmentReader::~SegmentReader() { ::close(fd_); }

absl::StatusOr<const char*> SegmentReader::Peek(uint64_t offset, size_t n) {
  CS_DCHECK(n <= kBufferSize && offset + n <= size_);
  if (offset >= buffer_offset_ && offset + n <= buffer_offset_ + buffer_length_) {
    return buffer_.get() + (offset - buffer_offset_);
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(kBufferSize, size_ - offset));
  size_t have = 0;
  while (have < want) {
    const ssize_t r =
        ::pread(fd_, buffer_.get() + have, want - have, static_cast<off_t>(offset + have));
    if (r < 0) {
      if (errno == EINTR) continue;
      buffer_length_ = 0;
      return ErrnoError("cannot read WAL segment", path_, errno);
    }
    if (r == 0) {
      buffer_length_ = 0;
      return absl::InternalError(
          absl::StrFormat("WAL segment %s shrank while being read (expected %d bytes, got %d)",
                          path_, size_, offset + have));
    }
    have += static_cast<size_t>(r);
  }
  buffer_offset_ = offset;
  buffer_length_ = have;
  return buffer_.get();
}

absl::StatusOr<RecordRead> SegmentReader::ReadAt(uint64_t offset, std::string* payload) {
  CS_DCHECK(offset <= size_);
  RecordRead result;
  const uint64_t remaining = size_ - offset;
  if (remaining == 0) return result;  // kEnd
  result.kind = RecordRead::Kind::kBad;
  if (remaining < kHeaderSize) {
    result.problem = absl::StrFormat("truncated header (%d of %d bytes)", remaining, kHeaderSize);
    return result;
  }
  auto header_bytes = Peek(offset, kHeaderSize);
  if (!header_bytes.ok()) return header_bytes.status();
  char header_copy[kHeaderSize];
  std::memcpy(header_copy, *header_bytes, kHeaderSize);
  RecordHeader header;
  switch (ParseRecordHeader(header_copy, &header)) {
    case HeaderCheck::kOk:
      break;
    case HeaderCheck::kBadMagic:
      result.problem = "bad magic (not \"CSWA\")";
      return result;
    case HeaderCheck::kOriginalVersion:
      result.kind = RecordRead::Kind::kOriginalVersion;
      result.seq = header.seq;
      return result;
    case HeaderCheck::kUnknownVersion:
      result.problem = absl::StrFormat("unknown record format version %d",
                                       static_cast<uint8_t>(header_copy[kVersionOffset]));
      return result;
    case HeaderCheck::kNonzeroFlags:
      result.problem =
          absl::StrFormat("nonzero flags 0x%02x", static_cast<uint8_t>(header_copy[kFlagsOffset]));
      return result;
    case HeaderCheck::kLengthTooLarge:
      result.problem = absl::StrFormat("payload length %d exceeds the limit of %d bytes",
                                       header.length, kMaxPayloadBytes);
      return result;
  }
  if (remaining - kHeaderSize < header.length) {
    result.problem = absl::StrFormat("truncated payload (%d of %d bytes)", remaining - kHeaderSize,
                                     header.length);
    return result;
  }
  // The length is now bounded by the file size, so resizing the payload buffer is safe.
  if (payload != nullptr) payload->resize(header.length);
  uint32_t crc = RecordCrcStart(header_copy);
  uint64_t position = offset + kHeaderSize;
  size_t done = 0;
  while (done < header.length) {
    const size_t piece = std::min<size_t>(kBufferSize, header.length - done);
    auto bytes = Peek(position, piece);
    if (!bytes.ok()) return bytes.status();
    crc = base::Crc32cExtend(crc, *bytes, piece);
    if (payload != nullptr) std::memcpy(payload->data() + done, *bytes, piece);
    position += piece;
    done += piece;
  }
  if (crc != header.crc) {
    result.problem =
        absl::StrFormat("CRC mismatch (stored 0x%08x, computed 0x%08x)", header.crc, crc);
    return result;
  }
  result.kind = RecordRead::Kind::kRecord;
  result.seq = header.seq;
  result.end = position;
  return result;
}

absl::StatusOr<std::optional<uint64_t>> SegmentReader::FindValidRecord(uint64_t from,
                                                                       uint64_t min_seq) {
  uint64_t position = from;
  while (position + kHeaderSize <= size_) {
    // Look for the magic in the next window; windows overlap by kMagic.size() - 1 bytes so a
    // magic that straddles two windows is found.
    const size_t window = static_cast<size_t>(std::min<uint64_t>(kBufferSize, size_ - position));
    auto bytes = Peek(position, window);
    if (!bytes.ok()) return bytes.status();
    const void* hit = ::memmem(*bytes, window, kMagic.data(), kMagic.size());
    if (hit == nullptr) {
      if (window < kBufferSize) return std::nullopt;  // reached the end of the file
      position += window - (kMagic.size() - 1);
      continue;
    }
    const uint64_t candidate =
        position + static_cast<uint64_t>(static_cast<const char*>(hit) - *bytes);
    if (candidate + kHeaderSize > size_) return std::nullopt;
    auto read = ReadAt(candidate, nullptr);
    if (!read.ok()) return read.status();
    if (read->kind == RecordRead::Kind::kRecord && read->seq > min_seq) return candidate;
    position = candidate + 1;
  }
  return std::nullopt;
}

}  // namespace cardinalsin::wal::internal
