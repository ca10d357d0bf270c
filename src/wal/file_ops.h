// File: file_ops.h
//
// The system calls on the WAL's write and sync path, behind an interface so that tests can inject
// short writes, ENOSPC, failed fdatasyncs and failed truncations (STYLE.md section 7). Opening,
// renaming, listing and reading files are not routed through it.
//
//   class FullDisk : public wal::FileOps {
//     int PWritev(int, const iovec*, int, off_t, size_t*) override { return ENOSPC; }
//   };
//   FullDisk ops;
//   options.file_ops = &ops;
//
// Each method returns 0 on success or an errno value on failure; the base class implementations
// make the real system calls (retrying EINTR), so a test double can override one method and call
// the base class for the others.
//
// Thread-safety: the real implementation is safe to call concurrently; the Wal calls these from
// several threads at once (writers under its lock, the sync leader outside it), so a test double
// must be thread-safe too.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

namespace cardinalsin::wal {

class FileOps {
 public:
  virtual ~FileOps() = default;

  // pwritev(2): writes the `iovcnt` buffers of `iov` at `offset`. On success sets *written to the
  // number of bytes written, which may be fewer than requested (the caller continues).
  virtual int PWritev(int fd, const struct iovec* iov, int iovcnt, off_t offset, size_t* written);

  // fdatasync(2).
  virtual int DataSync(int fd);

  // ftruncate(2).
  virtual int Truncate(int fd, off_t length);
};

// The real system calls. The reference is valid for the life of the process.
FileOps& RealFileOps();

}  // namespace cardinalsin::wal
