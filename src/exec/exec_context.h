// File: exec_context.h
//
// Per-query limits and cancellation shared by every operator of one query: a deadline, a
// cancellation flag, memory accounting for what blocking operators hold (hash tables, sort and
// join buffers, percentile value lists) and a limit on rows read from sources.
//
//   ExecContext ctx({.timeout = absl::Seconds(30), .memory_limit_bytes = 1 << 30});
//   ... operators call ctx.CheckAlive(), ctx.ReserveMemory(n), ctx.CountSourceRows(n) ...
//   ctx.Cancel();  // from another thread: the next CheckAlive() fails with kCancelled
//
// Errors (stable codes; messages name the limit):
//   kDeadlineExceeded   "query timed out after 30s"
//   kCancelled          "query was cancelled"
//   kResourceExhausted  "query exceeded the memory limit of N bytes"
//   kResourceExhausted  "query exceeded the row limit of N rows read"
//
// Thread-safety: every method may be called concurrently (parallel operators share one context).
// The clock must outlive the context.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace cardinalsin::exec {

struct ExecLimits {
  // Zero or negative: no timeout.
  absl::Duration timeout = absl::ZeroDuration();
  // Zero: unlimited.
  int64_t memory_limit_bytes = 0;
  // Rows read from Source operators. Zero: unlimited.
  int64_t max_rows_read = 0;
  // A flag owned by the caller (the server's shutdown flag, say) that cancels the query like
  // Cancel() once it is set. Null: none. Must outlive the context.
  const std::atomic<bool>* external_cancel = nullptr;
};

class ExecContext {
 public:
  explicit ExecContext(ExecLimits limits = {}, base::Clock* clock = &base::SystemClock());

  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;

  // OK while the query may continue; kCancelled after Cancel() or once limits.external_cancel
  // is set, kDeadlineExceeded after the
  // timeout has elapsed (measured on the clock's monotonic time from construction).
  [[nodiscard]] absl::Status CheckAlive() const;
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const {
    return cancelled_.load(std::memory_order_relaxed) ||
           (limits_.external_cancel != nullptr &&
            limits_.external_cancel->load(std::memory_order_relaxed));
  }

  // Accounts `bytes` more held memory; kResourceExhausted (and nothing accounted) when that would
  // exceed the limit. REQUIRES: bytes >= 0.
  [[nodiscard]] absl::Status ReserveMemory(int64_t bytes);
  // Returns memory accounted by ReserveMemory(). REQUIRES: bytes >= 0 and previously reserved.
  void ReleaseMemory(int64_t bytes);
  int64_t memory_used() const { return memory_used_.load(std::memory_order_relaxed); }
  int64_t peak_memory() const { return peak_memory_.load(std::memory_order_relaxed); }

  // Counts rows read by a source; kResourceExhausted once the total exceeds the row limit.
  [[nodiscard]] absl::Status CountRowsRead(int64_t rows);
  int64_t rows_read() const { return rows_read_.load(std::memory_order_relaxed); }

  const ExecLimits& limits() const { return limits_; }

 private:
  const ExecLimits limits_;
  base::Clock* const clock_;
  const absl::Time start_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> memory_used_{0};
  std::atomic<int64_t> peak_memory_{0};
  std::atomic<int64_t> rows_read_{0};
};

// Memory reserved in an ExecContext and released on destruction (or Release()). Movable.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  explicit MemoryReservation(ExecContext* ctx) : ctx_(ctx) {}
  MemoryReservation(MemoryReservation&& other) noexcept : ctx_(other.ctx_), bytes_(other.bytes_) {
    other.bytes_ = 0;
  }
  MemoryReservation& operator=(MemoryReservation&& other) noexcept;
  ~MemoryReservation() { Release(); }

  // Grows (or shrinks) the reservation to `bytes` in total.
  [[nodiscard]] absl::Status ResizeTo(int64_t bytes);
  [[nodiscard]] absl::Status Grow(int64_t bytes) { return ResizeTo(bytes_ + bytes); }
  void Release();
  int64_t bytes() const { return bytes_; }

 private:
  ExecContext* ctx_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace cardinalsin::exec
