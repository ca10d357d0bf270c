#include "wal/file_ops.h"

#include <unistd.h>

#include <cerrno>

namespace cardinalsin::wal {

int FileOps::PWritev(int fd, const struct iovec* iov, int iovcnt, off_t offset, size_t* written) {
  while (true) {
    const ssize_t n = ::pwritev(fd, iov, iovcnt, offset);
    if (n >= 0) {
      *written = static_cast<size_t>(n);
      return 0;
    }
    if (errno != EINTR) return errno;
  }
}

int FileOps::DataSync(int fd) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int FileOps::Truncate(int fd, off_t length) {
  while (::ftruncate(fd, length) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

FileOps& RealFileOps() {
  static FileOps* const ops = new FileOps();
  return *ops;
}

}  // namespace cardinalsin::wal
