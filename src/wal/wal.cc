#include "wal/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "spdlog/spdlog.h"
#include "wal/internal/segment_reader.h"

namespace cardinalsin::wal {
namespace {

using internal::RecordRead;
using internal::SegmentReader;

constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kSegmentSuffix = ".wal";
constexpr std::string_view kFlushedSeqFile = "flushed_seq";
constexpr std::string_view kFlushedSeqTempFile = "flushed_seq.tmp";
constexpr std::string_view kLockFile = "LOCK";
constexpr std::string_view kIncarnationFile = "incarnation";
constexpr std::string_view kIncarnationTempFile = "incarnation.tmp";

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return base::StrCat(dir, name);
  return base::StrCat(dir, "/", name);
}

// "segment-<decimal>.wal" -> the id; anything else (including ids beyond u64) is not a segment.
std::optional<uint64_t> ParseSegmentId(std::string_view name) {
  if (name.size() <= kSegmentPrefix.size() + kSegmentSuffix.size() ||
      name.substr(0, kSegmentPrefix.size()) != kSegmentPrefix ||
      name.substr(name.size() - kSegmentSuffix.size()) != kSegmentSuffix) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(
      kSegmentPrefix.size(), name.size() - kSegmentPrefix.size() - kSegmentSuffix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t id = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return id;
}

bool IsDiskFull(int error) { return error == ENOSPC || error == EDQUOT; }

absl::Status DiskFullError() { return absl::ResourceExhaustedError("WAL disk is full"); }

absl::Status IoError(std::string_view what, std::string_view path, int error) {
  return absl::InternalError(base::StrCat(what, " ", path, ": ", std::strerror(error)));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open for fsync", path, errno);
  int result;
  while ((result = ::fsync(fd)) != 0 && errno == EINTR) {
  }
  const int error = errno;
  ::close(fd);
  if (result != 0) return IoError("fsync failed for", path, error);
  return absl::OkStatus();
}

// Makes directory entries created, renamed or removed in `dir` durable.
absl::Status FsyncDir(const std::string& dir) { return FsyncPath(dir, O_RDONLY | O_DIRECTORY); }

absl::Status WriteFully(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IsDiskFull(errno) ? DiskFullError() : IoError("cannot write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Reads the flushed_seq sidecar: missing -> 0; a wrong size -> a warning and 0 (the contract; the
// file is replaced atomically, so a wrong size means outside interference).
absl::StatusOr<uint64_t> LoadFlushedSeq(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return IoError("cannot open", path, errno);
  }
  char bytes[9];
  size_t have = 0;
  while (have < sizeof(bytes)) {
    const ssize_t n = ::read(fd, bytes + have, sizeof(bytes) - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return IoError("cannot read", path, error);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  ::close(fd);
  if (have != 8) {
    spdlog::warn(
        "WAL: {} holds {} bytes instead of 8; treating flushed_seq as 0 (replaying the "
        "whole WAL)",
        path, have == sizeof(bytes) ? std::string("more than 8") : std::to_string(have));
    return 0;
  }
  uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) seq |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return seq;
}

}  // namespace

struct Wal::SegmentFile {
  SegmentFile(std::string path_in, int fd_in) : path(std::move(path_in)), fd(fd_in) {}
  ~SegmentFile() { ::close(fd); }
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  const std::string path;
  const int fd;
};

Wal::Wal(WalOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : base::SystemClock()),
      file_ops_(options_.file_ops != nullptr ? *options_.file_ops : RealFileOps()) {}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(WalOptions options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("WAL directory is not set");
  if (options.sync.mode == SyncMode::kInterval && options.sync.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(base::StrCat("WAL sync interval must be positive, got ",
                                                   absl::FormatDuration(options.sync.interval)));
  }
  std::unique_ptr<Wal> wal(new Wal(std::move(options)));
  {
    std::lock_guard lock(wal->mu_);
    CS_RETURN_IF_ERROR(wal->OpenLocked());
  }
  if (wal->options_.sync.mode == SyncMode::kInterval) {
    Wal* raw = wal.get();
    wal->interval_thread_ = std::thread([raw] { raw->IntervalSyncLoop(); });
  }
  return wal;
}

absl::Status Wal::OpenLocked() {
  const std::string& dir = options_.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        base::StrCat("cannot create WAL directory ", dir, ": ", ec.message()));
  }

  const std::string lock_path = JoinPath(dir, kLockFile);
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return IoError("cannot open WAL lock file", lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          base::StrCat("WAL directory ", dir,
                       " is in use: another process (or another open WAL "
                       "in this process) holds the lock on ",
                       lock_path));
    }
    return IoError("cannot lock", lock_path, errno);
  }

  const std::string temp_path = JoinPath(dir, kFlushedSeqTempFile);
  if (::unlink(temp_path.c_str()) != 0 && errno != ENOENT) {
    return IoError("cannot remove", temp_path, errno);
  }
  CS_ASSIGN_OR_RETURN(flushed_seq_, LoadFlushedSeq(JoinPath(dir, kFlushedSeqFile)));
  CS_RETURN_IF_ERROR(LoadOrCreateIncarnation());

  std::map<uint64_t, std::string> files;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return IoError("cannot list WAL directory", dir, errno);
  errno = 0;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name(entry->d_name);
    const std::optional<uint64_t> id = ParseSegmentId(name);
    if (!id.has_value()) continue;
    const std::string path = JoinPath(dir, name);
    const auto [it, inserted] = files.emplace(*id, path);
    if (!inserted) {
      ::closedir(listing);
      return absl::FailedPreconditionError(
          absl::StrFormat("WAL directory %s holds two files for segment %d: %s and %s; remove one",
                          dir, *id, it->second, path));
    }
  }
  const int list_error = errno;
  ::closedir(listing);
  if (list_error != 0) return IoError("cannot list WAL directory", dir, list_error);

  CS_RETURN_IF_ERROR(ScanSegments(std::move(files)));
  return OpenCurrentSegment();
}

absl::Status Wal::ScanSegments(std::map<uint64_t, std::string> files) {
  uint64_t prev_seq = 0;  // the last valid record's sequence number so far (0 = none)
  for (auto it = files.begin(); it != files.end(); ++it) {
    const std::string& path = it->second;
    CS_ASSIGN_OR_RETURN(std::unique_ptr<SegmentReader> reader, SegmentReader::Open(path));
    Segment segment{.path = path};
    uint64_t offset = 0;
    while (true) {
      CS_ASSIGN_OR_RETURN(RecordRead read, reader->ReadAt(offset, nullptr));
      if (read.kind == RecordRead::Kind::kEnd) break;
      if (read.kind == RecordRead::Kind::kOriginalVersion) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "WAL record format version 1 (the original CardinalSin's layout) in segment %s at "
            "offset %d is not supported; this version reads format version %d only. Replay it "
            "with the original ingester, or move the segment out of the WAL directory",
            path, offset, kFormatVersion));
      }
      if (read.kind == RecordRead::Kind::kBad) {
        // A torn tail (nothing valid after the bad record, here or in later segments) is what a
        // crash during an append leaves: cut it off. Anything else is damage that valid records
        // follow; skipping it silently would lose acknowledged writes, so an operator decides.
        CS_ASSIGN_OR_RETURN(std::optional<uint64_t> valid_after,
                            reader->FindValidRecord(offset + 1, prev_seq));
        if (valid_after.has_value()) {
          return absl::DataLossError(absl::StrFormat(
              "WAL segment %s is damaged at offset %d (%s) and a valid record follows at offset "
              "%d; refusing to skip it. Move the segment away, or truncate it to %d bytes to "
              "accept the loss",
              path, offset, read.problem, *valid_after, offset));
        }
        for (auto later = std::next(it); later != files.end(); ++later) {
          CS_ASSIGN_OR_RETURN(std::unique_ptr<SegmentReader> later_reader,
                              SegmentReader::Open(later->second));
          CS_ASSIGN_OR_RETURN(std::optional<uint64_t> later_valid,
                              later_reader->FindValidRecord(0, prev_seq));
          if (later_valid.has_value()) {
            return absl::DataLossError(absl::StrFormat(
                "WAL segment %s is damaged at offset %d (%s) and the later segment %s holds "
                "valid records; refusing to skip them. Move the damaged segment away, or "
                "truncate it to %d bytes to accept the loss",
                path, offset, read.problem, later->second, offset));
          }
        }
        spdlog::warn("WAL: truncating the torn tail of {}: {} bytes from offset {} ({})", path,
                     reader->size() - offset, offset, read.problem);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return IoError("cannot open WAL segment", path, errno);
        const int truncate_error = file_ops_.Truncate(fd, static_cast<off_t>(offset));
        const int sync_error = truncate_error == 0 ? file_ops_.DataSync(fd) : 0;
        ::close(fd);
        if (truncate_error != 0)
          return IoError("cannot truncate WAL segment", path, truncate_error);
        if (sync_error != 0) return IoError("fdatasync failed for WAL segment", path, sync_error);
        segment.size = offset;
        segments_.emplace(it->first, segment);
        bool removed = false;
        for (auto later = std::next(it); later != files.end(); ++later) {
          spdlog::warn("WAL: removing {}, which holds no valid record after the torn tail of {}",
                       later->second, path);
          if (::unlink(later->second.c_str()) != 0) {
            return IoError("cannot remove WAL segment", later->second, errno);
          }
          removed = true;
        }
        if (removed) CS_RETURN_IF_ERROR(FsyncDir(options_.dir));
        next_seq_ = std::max(prev_seq, flushed_seq_) + 1;
        return absl::OkStatus();
      }
      const uint64_t seq = read.seq;
      if (seq == 0 || seq <= prev_seq) {
        return absl::DataLossError(absl::StrFormat(
            "WAL sequence regression in segment %s at offset %d: record %d follows record %d", path,
            offset, seq, prev_seq));
      }
      if (prev_seq == 0) {
        if (seq > flushed_seq_ + 1) {
          spdlog::warn(
              "WAL: the oldest record (seq {} in {}) is newer than flushed_seq + 1 = {}; "
              "records {}..{} are not in the WAL",
              seq, path, flushed_seq_ + 1, flushed_seq_ + 1, seq - 1);
        }
      } else if (seq != prev_seq + 1 && seq - 1 > flushed_seq_) {
        // A gap is legitimate only when every missing record was flushed (after a crash that
        // lost unsynced records, the next sequence number continues past flushed_seq).
        return absl::DataLossError(absl::StrFormat(
            "WAL sequence gap in segment %s at offset %d: records %d..%d are missing and were "
            "not flushed (flushed_seq is %d)",
            path, offset, prev_seq + 1, seq - 1, flushed_seq_));
      }
      if (segment.first_seq == 0) segment.first_seq = seq;
      segment.last_seq = seq;
      prev_seq = seq;
      offset = read.end;
    }
    segment.size = offset;
    segments_.emplace(it->first, segment);
  }
  next_seq_ = std::max(prev_seq, flushed_seq_) + 1;
  return absl::OkStatus();
}

absl::Status Wal::OpenCurrentSegment() {
  const bool sync = options_.sync.mode != SyncMode::kNone;
  int fd;
  if (segments_.empty()) {
    const std::string path = SegmentPath(1);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      return IsDiskFull(errno) ? DiskFullError()
                               : IoError("cannot create WAL segment", path, errno);
    }
    segments_.emplace(1, Segment{.path = path});
    if (sync) {
      if (absl::Status status = FsyncDir(options_.dir); !status.ok()) {
        ::close(fd);
        return status;
      }
    }
  } else {
    const std::string& path = segments_.rbegin()->second.path;
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return IoError("cannot open WAL segment", path, errno);
  }
  current_ = std::make_shared<SegmentFile>(segments_.rbegin()->second.path, fd);
  if (sync) {
    // What the previous process wrote may still be only in the page cache.
    if (const int error = file_ops_.DataSync(fd); error != 0) {
      return IoError("fdatasync failed for WAL segment", current_->path, error);
    }
    synced_seq_ = next_seq_ - 1;
  }
  stats_.segments = segments_.size();
  return absl::OkStatus();
}

Wal::~Wal() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  if (interval_thread_.joinable()) interval_thread_.join();
  {
    std::unique_lock lock(mu_);
    sync_done_.wait(lock, [this] { return !sync_in_progress_; });
    if (current_ != nullptr && options_.sync.mode != SyncMode::kNone && sticky_error_.ok() &&
        synced_seq_ + 1 < next_seq_) {
      if (const int error = file_ops_.DataSync(current_->fd); error != 0) {
        spdlog::error("WAL: fdatasync of {} on close failed: {}", current_->path,
                      std::strerror(error));
      }
    }
    current_.reset();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string Wal::SegmentPath(uint64_t id) const {
  return JoinPath(options_.dir, absl::StrFormat("segment-%06d.wal", id));
}

absl::Status Wal::Replay(
    const std::function<absl::Status(uint64_t seq, std::string_view payload)>& fn) {
  std::vector<Segment> segments;
  uint64_t flushed;
  {
    std::lock_guard lock(mu_);
    if (!replay_allowed_) {
      return absl::FailedPreconditionError(
          "Wal::Replay must be called at most once, before the first Write");
    }
    replay_allowed_ = false;
    for (const auto& [id, segment] : segments_) segments.push_back(segment);
    flushed = flushed_seq_;
  }
  std::string payload;
  for (const Segment& segment : segments) {
    if (segment.size == 0 || segment.last_seq <= flushed) continue;
    CS_ASSIGN_OR_RETURN(std::unique_ptr<SegmentReader> reader,
                        SegmentReader::Open(segment.path, segment.size));
    if (reader->size() < segment.size) {
      return absl::DataLossError(
          absl::StrFormat("WAL segment %s shrank from %d to %d bytes since "
                          "the WAL was opened",
                          segment.path, segment.size, reader->size()));
    }
    uint64_t offset = 0;
    while (offset < segment.size) {
      CS_ASSIGN_OR_RETURN(RecordRead read, reader->ReadAt(offset, &payload));
      if (read.kind != RecordRead::Kind::kRecord) {
        return absl::DataLossError(absl::StrFormat(
            "WAL segment %s changed since the WAL was opened: %s at offset %d", segment.path,
            read.problem.empty() ? "unreadable record" : read.problem, offset));
      }
      if (read.seq > flushed) CS_RETURN_IF_ERROR(fn(read.seq, payload));
      offset = read.end;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Wal::Write(std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("WAL record payload of %d bytes exceeds the limit of %d bytes",
                        payload.size(), kMaxPayloadBytes));
  }
  std::lock_guard lock(mu_);
  if (!sticky_error_.ok()) return sticky_error_;
  replay_allowed_ = false;
  const uint64_t record_size = kHeaderSize + payload.size();
  if (options_.max_segment_size > 0 && segments_.rbegin()->second.size > 0 &&
      segments_.rbegin()->second.size + record_size > options_.max_segment_size) {
    CS_RETURN_IF_ERROR(RotateLocked());
  }
  Segment& segment = segments_.rbegin()->second;
  const uint64_t seq = next_seq_;
  char header[kHeaderSize];
  EncodeRecordHeader(seq, payload, header);

  uint64_t done = 0;
  while (done < record_size) {
    iovec iov[2];
    int iovcnt = 0;
    if (done < kHeaderSize) {
      iov[iovcnt++] = {header + done, kHeaderSize - static_cast<size_t>(done)};
      if (!payload.empty()) iov[iovcnt++] = {const_cast<char*>(payload.data()), payload.size()};
    } else {
      const size_t payload_done = static_cast<size_t>(done) - kHeaderSize;
      iov[iovcnt++] = {const_cast<char*>(payload.data()) + payload_done,
                       payload.size() - payload_done};
    }
    size_t written = 0;
    int error = file_ops_.PWritev(current_->fd, iov, iovcnt,
                                  static_cast<off_t>(segment.size + done), &written);
    if (error == 0 && written == 0) error = EIO;  // no progress and no reason: do not spin
    if (error != 0) {
      ++stats_.write_errors;
      // Cut off whatever part of the record reached the file, so the segment ends with a whole
      // record again and the next append (or a replay) does not meet a torn record.
      if (const int truncate_error =
              file_ops_.Truncate(current_->fd, static_cast<off_t>(segment.size));
          truncate_error != 0) {
        sticky_error_ = absl::InternalError(absl::StrFormat(
            "write to WAL segment %s failed (%s) and removing the partial record failed (%s); "
            "the WAL refuses further writes",
            current_->path, std::strerror(error), std::strerror(truncate_error)));
        return sticky_error_;
      }
      if (IsDiskFull(error)) return DiskFullError();
      return IoError("write failed for WAL segment", current_->path, error);
    }
    done += written;
  }
  segment.size += record_size;
  if (segment.first_seq == 0) segment.first_seq = seq;
  segment.last_seq = seq;
  ++next_seq_;
  ++stats_.records;
  stats_.bytes += record_size;
  return seq;
}

absl::Status Wal::RotateLocked() {
  const bool sync = options_.sync.mode != SyncMode::kNone;
  if (sync) {
    // The old segment is closed for good: make it durable before records go elsewhere, so a
    // later segment never holds records that survive a crash while earlier ones do not.
    const absl::Time start = clock_.MonotonicNow();
    const int error = file_ops_.DataSync(current_->fd);
    ++stats_.syncs;
    stats_.sync_time += clock_.MonotonicNow() - start;
    stats_.last_sync = clock_.Now();
    if (error != 0) return SyncErrorLocked(current_->path, error);
    synced_seq_ = std::max(synced_seq_, segments_.rbegin()->second.last_seq);
    sync_done_.notify_all();
  }
  const uint64_t id = segments_.rbegin()->first + 1;
  const std::string path = SegmentPath(id);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    ++stats_.write_errors;
    return IsDiskFull(errno) ? DiskFullError() : IoError("cannot create WAL segment", path, errno);
  }
  if (sync) {
    if (absl::Status status = FsyncDir(options_.dir); !status.ok()) {
      // Keep appending to the old segment rather than to a file that may vanish in a crash.
      ::close(fd);
      ::unlink(path.c_str());
      ++stats_.write_errors;
      return status;
    }
  }
  current_ = std::make_shared<SegmentFile>(path, fd);
  segments_.emplace(id, Segment{.path = path});
  ++stats_.rotations;
  stats_.segments = segments_.size();
  return absl::OkStatus();
}

absl::Status Wal::SyncErrorLocked(const std::string& path, int error) {
  ++stats_.sync_errors;
  sticky_error_ = absl::InternalError(absl::StrFormat(
      "fdatasync of WAL segment %s failed: %s; the WAL refuses further writes (the state of "
      "unsynced data is unknown)",
      path, std::strerror(error)));
  sync_done_.notify_all();
  return sticky_error_;
}

absl::Status Wal::LeadSyncLocked(std::unique_lock<std::mutex>& lock) {
  sync_in_progress_ = true;
  // Every record up to `target` is in `file` or in an older segment, which rotation synced.
  const std::shared_ptr<SegmentFile> file = current_;
  const uint64_t target = next_seq_ - 1;
  lock.unlock();
  const absl::Time start = clock_.MonotonicNow();
  const int error = file_ops_.DataSync(file->fd);
  const absl::Duration elapsed = clock_.MonotonicNow() - start;
  const absl::Time finished = clock_.Now();
  lock.lock();
  sync_in_progress_ = false;
  ++stats_.syncs;
  stats_.sync_time += elapsed;
  stats_.last_sync = finished;
  if (error != 0) return SyncErrorLocked(file->path, error);
  if (!sticky_error_.ok()) {
    // Another fdatasync (rotation) failed meanwhile; after a failure the kernel may report
    // success for pages it has dropped, so this success proves nothing.
    sync_done_.notify_all();
    return sticky_error_;
  }
  synced_seq_ = std::max(synced_seq_, target);
  sync_done_.notify_all();
  return absl::OkStatus();
}

absl::Status Wal::Sync(uint64_t seq) {
  std::unique_lock lock(mu_);
  if (seq >= next_seq_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Wal::Sync(%d): no such record (the last written is %d)", seq, next_seq_ - 1));
  }
  if (options_.sync.mode != SyncMode::kEveryWrite) return sticky_error_;
  while (true) {
    if (seq <= synced_seq_) return absl::OkStatus();
    if (!sticky_error_.ok()) return sticky_error_;
    if (!sync_in_progress_) {
      CS_RETURN_IF_ERROR(LeadSyncLocked(lock));
      continue;
    }
    sync_done_.wait(lock);
  }
}

absl::Status Wal::MakeDurable(uint64_t seq) {
  std::unique_lock lock(mu_);
  if (seq >= next_seq_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Wal::MakeDurable(%d): no such record (the last written is %d)", seq, next_seq_ - 1));
  }
  if (options_.sync.mode == SyncMode::kNone && seq > synced_seq_) {
    // Rotation did not sync the closed segments in this mode: sync every one holding records
    // after synced_seq_ now (the sync of the current segment below then covers all records),
    // through a fresh descriptor (they are immutable). mu_ stays held so
    // that no rotation slips an unsynced segment in before the current one is synced below; this
    // runs once per flush, and writers in mode none accepted to wait for nothing else.
    for (const auto& [id, segment] : segments_) {
      if (segment.path == current_->path || segment.first_seq == 0) continue;
      if (segment.last_seq <= synced_seq_) continue;
      const int fd = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return IoError("cannot open WAL segment", segment.path, errno);
      const int error = file_ops_.DataSync(fd);
      ::close(fd);
      ++stats_.syncs;
      if (error != 0) return SyncErrorLocked(segment.path, error);
    }
  }
  while (true) {
    if (seq <= synced_seq_) return absl::OkStatus();
    if (!sticky_error_.ok()) return sticky_error_;
    if (!sync_in_progress_) {
      CS_RETURN_IF_ERROR(LeadSyncLocked(lock));
      continue;
    }
    sync_done_.wait(lock);
  }
}

absl::StatusOr<uint64_t> Wal::Append(std::string_view payload) {
  CS_ASSIGN_OR_RETURN(const uint64_t seq, Write(payload));
  CS_RETURN_IF_ERROR(Sync(seq));
  return seq;
}

void Wal::IntervalSyncLoop() {
  const auto period = absl::ToChronoNanoseconds(options_.sync.interval);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    stop_requested_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    if (sticky_error_.ok() && !sync_in_progress_ && synced_seq_ + 1 < next_seq_) {
      // A failure is sticky and surfaces on the next Write or Sync.
      if (absl::Status status = LeadSyncLocked(lock); !status.ok()) {
        spdlog::error("WAL: background sync failed: {}", status.ToString());
      }
    }
  }
}

absl::Status Wal::LoadOrCreateIncarnation() {
  const std::string path = JoinPath(options_.dir, kIncarnationFile);
  const auto valid = [](std::string_view id) {
    return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    char bytes[32];
    const ssize_t n = ::read(fd, bytes, sizeof(bytes));
    ::close(fd);
    std::string_view id(bytes, n > 0 ? static_cast<size_t>(n) : 0);
    while (!id.empty() && id.back() == '\n') id.remove_suffix(1);
    if (!valid(id)) {
      return absl::DataLossError(
          base::StrCat(path,
                       " does not hold a WAL incarnation (16 hex digits); remove the WAL directory "
                       "only if its records are committed"));
    }
    incarnation_ = std::string(id);
    return absl::OkStatus();
  } else if (errno != ENOENT) {
    return IoError("cannot open", path, errno);
  }
  // A new log (or one written before incarnations existed): a fresh random id, made durable
  // before any record can be numbered under it.
  std::random_device device;
  const uint64_t id = (uint64_t{device()} << 32) ^ device();
  incarnation_ = absl::StrFormat("%016x", id);
  const std::string temp_path = JoinPath(options_.dir, kIncarnationTempFile);
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return IsDiskFull(errno) ? DiskFullError() : IoError("cannot create", temp_path, errno);
  }
  const std::string line = incarnation_ + "\n";
  absl::Status status = WriteFully(fd, line.data(), line.size(), temp_path);
  if (status.ok() && ::fsync(fd) != 0) status = IoError("fsync failed for", temp_path, errno);
  ::close(fd);
  if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) {
    status = IoError(base::StrCat("cannot rename ", temp_path, " to"), path, errno);
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return FsyncDir(options_.dir);
}

absl::Status Wal::PersistFlushedSeq(uint64_t seq) {
  const std::string path = JoinPath(options_.dir, kFlushedSeqFile);
  const std::string temp_path = JoinPath(options_.dir, kFlushedSeqTempFile);
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return IsDiskFull(errno) ? DiskFullError() : IoError("cannot create", temp_path, errno);
  }
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((seq >> (8 * i)) & 0xFF);
  absl::Status status = WriteFully(fd, bytes, sizeof(bytes), temp_path);
  if (status.ok()) {
    int result;
    while ((result = ::fsync(fd)) != 0 && errno == EINTR) {
    }
    if (result != 0) status = IoError("fsync failed for", temp_path, errno);
  }
  ::close(fd);
  if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) {
    status = IoError(base::StrCat("cannot rename ", temp_path, " to"), path, errno);
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return FsyncDir(options_.dir);
}

absl::Status Wal::MarkFlushed(uint64_t seq) {
  std::lock_guard flush_lock(flush_mu_);
  {
    std::lock_guard lock(mu_);
    if (seq <= flushed_seq_) return absl::OkStatus();
    if (seq >= next_seq_) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "Wal::MarkFlushed(%d): beyond the last WAL record %d", seq, next_seq_ - 1));
    }
  }
  CS_RETURN_IF_ERROR(PersistFlushedSeq(seq));
  std::vector<std::pair<uint64_t, std::string>> doomed;
  {
    std::lock_guard lock(mu_);
    flushed_seq_ = seq;
    // Oldest first and stopping at the first segment that must stay, so the remaining segments
    // stay contiguous even if a deletion fails or the process dies midway.
    for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
      if (it->second.last_seq > seq) break;
      doomed.emplace_back(it->first, it->second.path);
    }
  }
  for (const auto& [id, path] : doomed) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return IoError("cannot delete flushed WAL segment", path, errno);
    }
    std::lock_guard lock(mu_);
    segments_.erase(id);
    stats_.segments = segments_.size();
  }
  if (!doomed.empty()) CS_RETURN_IF_ERROR(FsyncDir(options_.dir));
  return absl::OkStatus();
}

uint64_t Wal::flushed_seq() const {
  std::lock_guard lock(mu_);
  return flushed_seq_;
}

uint64_t Wal::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

uint64_t Wal::synced_seq() const {
  std::lock_guard lock(mu_);
  return synced_seq_;
}

Wal::Stats Wal::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace cardinalsin::wal
