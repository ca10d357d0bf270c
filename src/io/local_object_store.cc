#include "io/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "io/internal/list_page_builder.h"

namespace cardinalsin::io {
namespace {

constexpr std::string_view kTempDir = ".tmp";
constexpr std::string_view kLockDir = ".locks";
constexpr std::string_view kUploadDir = ".uploads";
constexpr int kLockStripes = 256;
constexpr absl::Duration kStaleTempAge = absl::Hours(1);

absl::Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string message = base::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case EIO:
      return absl::DataLossError(message);
    default:
      return absl::InternalError(message);
  }
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

ObjectMeta MetaFromStat(std::string_view key, const struct stat& st) {
  ObjectMeta meta;
  meta.key = std::string(key);
  meta.size = static_cast<uint64_t>(st.st_size);
  meta.etag = absl::StrFormat("%x-%x-%x", MtimeNs(st), st.st_ino, st.st_size);
  meta.last_modified = absl::FromUnixNanos(MtimeNs(st));
  return meta;
}

absl::Status FsyncPath(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "open for fsync", path);
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync", path);
  return absl::OkStatus();
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// Creates every missing directory of `dir` (absolute), fsyncing each parent that gained an entry.
absl::Status MakeDirs(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        base::StrCat("cannot create directory ", dir, ": an object exists at that path"));
  }
  if (errno == ENOTDIR) {
    return absl::FailedPreconditionError(base::StrCat(
        "cannot create directory ", dir, ": an ancestor is an object, not a directory"));
  }
  const std::string parent = Parent(dir);
  if (parent != dir) CS_RETURN_IF_ERROR(MakeDirs(parent));
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return MakeDirs(dir);  // Raced with another creator; re-check its type.
    if (errno == ENOTDIR) {
      return absl::FailedPreconditionError(base::StrCat(
          "cannot create directory ", dir, ": an ancestor is an object, not a directory"));
    }
    return ErrnoStatus(errno, "mkdir", dir);
  }
  return FsyncPath(parent);
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Objects at least this large are written past the page cache (WriteDirect).
constexpr size_t kDirectWriteMin = 1 << 20;
// O_DIRECT transfers must be aligned in memory, offset and length to the device's logical block
// size; 4 KiB is a multiple of every common one.
constexpr size_t kDirectAlign = 4096;
constexpr size_t kDirectBufferBytes = 1 << 20;

// Writes `data` to the new, empty file `fd` (opened with O_DIRECT) through a reused aligned
// buffer: the last block is zero-padded and the file then truncated to data.size().
absl::Status WriteDirect(int fd, std::string_view data, const std::string& path) {
  struct AlignedFree {
    void operator()(char* p) const { std::free(p); }
  };
  static thread_local std::unique_ptr<char, AlignedFree> buffer;
  if (!buffer) {
    void* memory = nullptr;
    if (::posix_memalign(&memory, kDirectAlign, kDirectBufferBytes) != 0) {
      return absl::ResourceExhaustedError("no memory for an O_DIRECT write buffer");
    }
    buffer.reset(static_cast<char*>(memory));
  }
  off_t offset = 0;
  for (std::string_view rest = data; !rest.empty();) {
    const size_t n = std::min(rest.size(), kDirectBufferBytes);
    std::memcpy(buffer.get(), rest.data(), n);
    const size_t padded = (n + kDirectAlign - 1) / kDirectAlign * kDirectAlign;
    std::memset(buffer.get() + n, 0, padded - n);
    for (size_t done = 0; done < padded;) {
      const ssize_t w = ::pwrite(fd, buffer.get() + done, padded - done, offset + done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", path);
      }
      done += static_cast<size_t>(w);
    }
    offset += static_cast<off_t>(n);
    rest.remove_prefix(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(data.size())) != 0) {
    return ErrnoStatus(errno, "truncate", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadRange(const std::string& path, std::string_view key,
                                      uint64_t offset, uint64_t length, bool whole) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) {
      return absl::NotFoundError(base::StrCat("object not found: ", key));
    }
    return ErrnoStatus(errno, "open", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", path);
  if (S_ISDIR(st.st_mode)) return absl::NotFoundError(base::StrCat("object not found: ", key));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (whole) {
    offset = 0;
    length = size;
  } else if (length == 0 || (offset >= size && size > 0) || (size == 0 && offset > 0)) {
    return absl::InvalidArgumentError(base::StrCat("range [", offset, ", +", length,
                                                   ") is not satisfiable for ", key, " of ", size,
                                                   " bytes"));
  }
  const uint64_t n = std::min(length, size - std::min(offset, size));
  std::string out(n, '\0');
  uint64_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd.get(), out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", path);
    }
    if (r == 0) break;  // Truncated underneath us; return what exists.
    done += static_cast<uint64_t>(r);
  }
  out.resize(done);
  return out;
}

// Holds an exclusive flock on one lock stripe for the lifetime of the object.
class KeyLock {
 public:
  static absl::StatusOr<std::unique_ptr<KeyLock>> Acquire(const std::string& root,
                                                          std::string_view key) {
    const std::string path =
        absl::StrFormat("%s/%s/%02x", root, kLockDir, Fnv1a64(key) % kLockStripes);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open lock file", path);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        int err = errno;
        ::close(fd);
        return ErrnoStatus(err, "flock", path);
      }
    }
    return std::unique_ptr<KeyLock>(new KeyLock(fd));
  }
  ~KeyLock() { ::close(fd_); }  // Closing releases the flock.

 private:
  explicit KeyLock(int fd) : fd_(fd) {}
  int fd_;
};

// Removes `dir` and then its parents while they are empty, stopping at `root`.
void RemoveEmptyDirs(const std::string& root, std::string dir) {
  while (dir.size() > root.size() && dir.starts_with(root)) {
    if (::rmdir(dir.c_str()) != 0) return;  // Not empty (or raced): fine either way.
    dir = Parent(dir);
  }
}

struct ListedEntry {
  std::string key;
  ObjectMeta meta;
};

// Appends every object key below `dir` (whose key prefix is `dir_key`, "" or ending in '/').
absl::Status Walk(const std::string& dir, const std::string& dir_key, bool at_root,
                  std::string_view lower_bound, std::vector<ListedEntry>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
    return ErrnoStatus(errno, "opendir", dir);
  }
  absl::Status status;
  while (struct dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (at_root && (name == kTempDir || name == kLockDir || name == kUploadDir)) continue;
    const std::string path = base::StrCat(dir, "/", name);
    const std::string key = base::StrCat(dir_key, name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;  // Deleted while listing.
    if (S_ISDIR(st.st_mode)) {
      const std::string sub_key = key + "/";
      // Every key below sorts after sub_key; skip the subtree when all of it is below the bound.
      if (!lower_bound.empty() && sub_key < lower_bound && !lower_bound.starts_with(sub_key)) {
        continue;
      }
      status = Walk(path, sub_key, false, lower_bound, out);
      if (!status.ok()) break;
    } else if (S_ISREG(st.st_mode)) {
      out->push_back({key, MetaFromStat(key, st)});
    }
  }
  ::closedir(d);
  return status;
}

}  // namespace

class LocalMultipartUpload final : public MultipartUpload {
 public:
  LocalMultipartUpload(LocalObjectStore* store, std::string key, std::string dir)
      : store_(store), key_(std::move(key)), dir_(std::move(dir)) {}
  ~LocalMultipartUpload() override {
    if (!finished_) (void)Abort();
  }

  absl::Status UploadPart(int part_number, std::string_view data) override {
    if (part_number < 1 || part_number > 10000) {
      return absl::InvalidArgumentError(
          base::StrCat("part number ", part_number, " is outside 1..10000 for ", key_));
    }
    if (finished_) return absl::FailedPreconditionError("multipart upload already finished");
    CS_ASSIGN_OR_RETURN(std::string temp, store_->WriteTemp(data));
    const std::string part_path = absl::StrFormat("%s/%05d", dir_, part_number);
    if (::rename(temp.c_str(), part_path.c_str()) != 0) {
      int err = errno;
      ::unlink(temp.c_str());
      if (err == ENOENT) {
        return absl::NotFoundError(base::StrCat("multipart upload for ", key_, " not found"));
      }
      return ErrnoStatus(err, "rename part", part_path);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ObjectMeta> Complete() override {
    if (finished_) return absl::FailedPreconditionError("multipart upload already finished");
    std::vector<std::string> parts;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return ErrnoStatus(errno, "opendir", dir_);
    while (struct dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name.size() == 5 && std::all_of(name.begin(), name.end(), ::isdigit)) {
        parts.emplace_back(name);
      }
    }
    ::closedir(d);
    if (parts.empty()) {
      return absl::InvalidArgumentError(
          base::StrCat("multipart upload for ", key_, " has no parts"));
    }
    std::sort(parts.begin(), parts.end());
    const std::string temp =
        base::StrCat(store_->root(), "/", kTempDir, "/", store_->NewTempName());
    {
      Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (out.get() < 0) return ErrnoStatus(errno, "create", temp);
      std::vector<char> buffer(1 << 20);
      for (const std::string& part : parts) {
        const std::string part_path = base::StrCat(dir_, "/", part);
        Fd in(::open(part_path.c_str(), O_RDONLY | O_CLOEXEC));
        if (in.get() < 0) return ErrnoStatus(errno, "open part", part_path);
        while (true) {
          ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return ErrnoStatus(errno, "read part", part_path);
          if (n == 0) break;
          CS_RETURN_IF_ERROR(WriteAll(out.get(), {buffer.data(), static_cast<size_t>(n)}, temp));
        }
      }
      if (::fsync(out.get()) != 0) return ErrnoStatus(errno, "fsync", temp);
    }
    absl::StatusOr<ObjectMeta> meta = store_->Commit(key_, temp, {});
    if (!meta.ok()) {
      ::unlink(temp.c_str());
      return meta.status();
    }
    CS_RETURN_IF_ERROR(Abort());  // Removes the parts.
    return meta;
  }

  absl::Status Abort() override {
    finished_ = true;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return absl::OkStatus();  // Already gone.
    while (struct dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") ::unlink(base::StrCat(dir_, "/", name).c_str());
    }
    ::closedir(d);
    if (::rmdir(dir_.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "rmdir", dir_);
    return absl::OkStatus();
  }

 private:
  LocalObjectStore* store_;
  const std::string key_;
  const std::string dir_;
  bool finished_ = false;
};

absl::StatusOr<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(const std::string& root,
                                                                         base::Clock& clock) {
  if (root.empty()) return absl::InvalidArgumentError("local object store root is empty");
  char resolved[PATH_MAX];
  std::string absolute = root;
  if (root.front() != '/') {
    if (::getcwd(resolved, sizeof(resolved)) == nullptr) return ErrnoStatus(errno, "getcwd", root);
    absolute = base::StrCat(resolved, "/", root);
  }
  absolute = std::filesystem::path(absolute).lexically_normal().string();
  while (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  for (std::string_view sub : {kTempDir, kLockDir, kUploadDir}) {
    CS_RETURN_IF_ERROR(MakeDirs(base::StrCat(absolute, "/", sub)));
  }
  // Temp files of writers that crashed mid-put; an hour is far beyond any live write.
  const std::string temp_dir = base::StrCat(absolute, "/", kTempDir);
  if (DIR* d = ::opendir(temp_dir.c_str())) {
    const absl::Time cutoff = clock.Now() - kStaleTempAge;
    while (struct dirent* entry = ::readdir(d)) {
      const std::string path = base::StrCat(temp_dir, "/", entry->d_name);
      struct stat st;
      if (entry->d_name[0] != '.' && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          absl::FromUnixNanos(MtimeNs(st)) < cutoff) {
        ::unlink(path.c_str());
      }
    }
    ::closedir(d);
  }
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(absolute)));
}

absl::StatusOr<std::string> LocalObjectStore::PathFor(std::string_view key) const {
  CS_RETURN_IF_ERROR(ValidateKey(key));
  std::string_view first = key.substr(0, key.find('/'));
  if (first == kTempDir || first == kLockDir || first == kUploadDir) {
    return absl::InvalidArgumentError(base::StrCat("invalid object key '", key, "': '", first,
                                                   "' is reserved by the local object store"));
  }
  return base::StrCat(root_, "/", key);
}

std::string LocalObjectStore::NewTempName() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%d-%d-%016x", ::getpid(), temp_counter_.fetch_add(1), rng());
}

absl::StatusOr<std::string> LocalObjectStore::WriteTemp(std::string_view data) {
  const std::string temp = base::StrCat(root_, "/", kTempDir, "/", NewTempName());
  const bool direct = data.size() >= kDirectWriteMin && !direct_unsupported_.load();
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (direct ? O_DIRECT : 0),
               0644));
  if (fd.get() < 0 && direct && errno == EINVAL) {
    // The file system refuses O_DIRECT (some FUSE and older tmpfs do): buffered writes from now
    // on.
    direct_unsupported_ = true;
    ::unlink(temp.c_str());
    return WriteTemp(data);
  }
  if (fd.get() < 0) return ErrnoStatus(errno, "create", temp);
  absl::Status status = direct ? WriteDirect(fd.get(), data, temp) : WriteAll(fd.get(), data, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) status = ErrnoStatus(errno, "fsync", temp);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return temp;
}

absl::StatusOr<ObjectMeta> LocalObjectStore::Commit(std::string_view key,
                                                    const std::string& temp_path,
                                                    const PutOptions& options) {
  CS_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<KeyLock> lock, KeyLock::Acquire(root_, key));

  struct stat current;
  bool exists = ::stat(path.c_str(), &current) == 0;
  if (exists && S_ISDIR(current.st_mode)) {
    return absl::FailedPreconditionError(
        base::StrCat("cannot put ", key, ": other keys use it as a prefix ('", key, "/...')"));
  }
  switch (options.mode) {
    case PutMode::kOverwrite:
      break;
    case PutMode::kCreateIfAbsent:
      if (exists) {
        return absl::FailedPreconditionError(
            base::StrCat("precondition failed: ", key, " already exists (create-if-absent)"));
      }
      break;
    case PutMode::kUpdateIfMatch:
      if (options.if_match_etag.empty()) {
        return absl::InvalidArgumentError("update-if-match put without an etag");
      }
      if (!exists || MetaFromStat(key, current).etag != options.if_match_etag) {
        return absl::FailedPreconditionError(base::StrCat(
            "precondition failed: ", key, exists ? " has a different etag" : " does not exist",
            " (if-match ", options.if_match_etag, ")"));
      }
      break;
  }

  // Give the new version an mtime strictly after the one it replaces (see the header).
  struct stat temp_st;
  if (::stat(temp_path.c_str(), &temp_st) != 0) return ErrnoStatus(errno, "stat", temp_path);
  int64_t mtime = MtimeNs(temp_st);
  if (exists && mtime <= MtimeNs(current)) mtime = MtimeNs(current) + 1;
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = mtime / 1'000'000'000;
  times[1].tv_nsec = mtime % 1'000'000'000;
  if (::utimensat(AT_FDCWD, temp_path.c_str(), times, 0) != 0) {
    return ErrnoStatus(errno, "set mtime", temp_path);
  }
  if (::stat(temp_path.c_str(), &temp_st) != 0) return ErrnoStatus(errno, "stat", temp_path);

  const std::string dir = Parent(path);
  CS_RETURN_IF_ERROR(MakeDirs(dir));
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    if (errno == EISDIR) {
      return absl::FailedPreconditionError(
          base::StrCat("cannot put ", key, ": other keys use it as a prefix ('", key, "/...')"));
    }
    return ErrnoStatus(errno, "rename to", path);
  }
  CS_RETURN_IF_ERROR(FsyncPath(dir));
  return MetaFromStat(key, temp_st);
}

absl::StatusOr<std::string> LocalObjectStore::Get(std::string_view key) {
  CS_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  return ReadRange(path, key, 0, 0, /*whole=*/true);
}

absl::StatusOr<std::string> LocalObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                       uint64_t length) {
  CS_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  return ReadRange(path, key, offset, length, /*whole=*/false);
}

absl::StatusOr<ObjectMeta> LocalObjectStore::Head(std::string_view key) {
  CS_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(base::StrCat("object not found: ", key));
    }
    return ErrnoStatus(errno, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) return absl::NotFoundError(base::StrCat("object not found: ", key));
  return MetaFromStat(key, st);
}

absl::StatusOr<ObjectMeta> LocalObjectStore::Put(std::string_view key, std::string_view data,
                                                 const PutOptions& options) {
  CS_RETURN_IF_ERROR(PathFor(key).status());
  CS_ASSIGN_OR_RETURN(const std::string temp, WriteTemp(data));
  absl::StatusOr<ObjectMeta> meta = Commit(key, temp, options);
  if (!meta.ok()) ::unlink(temp.c_str());
  return meta;
}

absl::Status LocalObjectStore::Delete(std::string_view key) {
  CS_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  CS_ASSIGN_OR_RETURN(std::unique_ptr<KeyLock> lock, KeyLock::Acquire(root_, key));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return absl::OkStatus();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "unlink", path);
  const std::string dir = Parent(path);
  CS_RETURN_IF_ERROR(FsyncPath(dir));
  RemoveEmptyDirs(root_, dir);
  return absl::OkStatus();
}

absl::StatusOr<ListPage> LocalObjectStore::List(const ListOptions& options) {
  CS_RETURN_IF_ERROR(internal::ValidateListOptions(options));
  if (!options.delimiter.empty() && options.delimiter != "/") {
    return absl::InvalidArgumentError(base::StrCat(
        "the local object store supports only the '/' delimiter, got '", options.delimiter, "'"));
  }
  internal::ListPageBuilder builder(options);
  // Walk from the deepest directory that is a whole-segment prefix of `prefix`.
  const size_t slash = options.prefix.rfind('/');
  const std::string dir_key = slash == std::string::npos ? "" : options.prefix.substr(0, slash + 1);
  const std::string dir =
      dir_key.empty() ? root_ : base::StrCat(root_, "/", dir_key.substr(0, dir_key.size() - 1));
  std::vector<ListedEntry> entries;
  CS_RETURN_IF_ERROR(
      Walk(dir, dir_key, /*at_root=*/dir_key.empty(), builder.lower_bound(), &entries));
  std::sort(entries.begin(), entries.end(),
            [](const ListedEntry& a, const ListedEntry& b) { return a.key < b.key; });
  for (const ListedEntry& entry : entries) {
    if (!builder.Add(entry.key, entry.meta)) break;
  }
  return std::move(builder).Finish();
}

absl::StatusOr<std::unique_ptr<MultipartUpload>> LocalObjectStore::StartMultipartUpload(
    std::string_view key) {
  CS_RETURN_IF_ERROR(PathFor(key).status());
  const std::string dir = base::StrCat(root_, "/", kUploadDir, "/", NewTempName());
  if (::mkdir(dir.c_str(), 0755) != 0) return ErrnoStatus(errno, "mkdir", dir);
  return std::unique_ptr<MultipartUpload>(new LocalMultipartUpload(this, std::string(key), dir));
}

}  // namespace cardinalsin::io
