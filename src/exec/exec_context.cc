#include "exec/exec_context.h"

#include "absl/strings/str_format.h"

namespace cardinalsin::exec {

ExecContext::ExecContext(ExecLimits limits, base::Clock* clock)
    : limits_(limits), clock_(clock), start_(clock->MonotonicNow()) {}

absl::Status ExecContext::CheckAlive() const {
  if (cancelled()) return absl::CancelledError("query was cancelled");
  if (limits_.timeout > absl::ZeroDuration() &&
      clock_->MonotonicNow() - start_ >= limits_.timeout) {
    return absl::DeadlineExceededError(
        absl::StrFormat("query timed out after %s", absl::FormatDuration(limits_.timeout)));
  }
  return absl::OkStatus();
}

absl::Status ExecContext::ReserveMemory(int64_t bytes) {
  int64_t used = memory_used_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (limits_.memory_limit_bytes > 0 && used > limits_.memory_limit_bytes) {
    memory_used_.fetch_sub(bytes, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(
        absl::StrFormat("query exceeded the memory limit of %d bytes", limits_.memory_limit_bytes));
  }
  int64_t peak = peak_memory_.load(std::memory_order_relaxed);
  while (used > peak && !peak_memory_.compare_exchange_weak(peak, used)) {
  }
  return absl::OkStatus();
}

void ExecContext::ReleaseMemory(int64_t bytes) {
  memory_used_.fetch_sub(bytes, std::memory_order_relaxed);
}

absl::Status ExecContext::CountRowsRead(int64_t rows) {
  int64_t total = rows_read_.fetch_add(rows, std::memory_order_relaxed) + rows;
  if (limits_.max_rows_read > 0 && total > limits_.max_rows_read) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("query exceeded the row limit of %d rows read", limits_.max_rows_read));
  }
  return absl::OkStatus();
}

MemoryReservation& MemoryReservation::operator=(MemoryReservation&& other) noexcept {
  if (this != &other) {
    Release();
    ctx_ = other.ctx_;
    bytes_ = other.bytes_;
    other.bytes_ = 0;
  }
  return *this;
}

absl::Status MemoryReservation::ResizeTo(int64_t bytes) {
  if (ctx_ == nullptr) return absl::OkStatus();
  if (bytes > bytes_) {
    absl::Status status = ctx_->ReserveMemory(bytes - bytes_);
    if (!status.ok()) return status;
  } else {
    ctx_->ReleaseMemory(bytes_ - bytes);
  }
  bytes_ = bytes;
  return absl::OkStatus();
}

void MemoryReservation::Release() {
  if (ctx_ != nullptr && bytes_ > 0) ctx_->ReleaseMemory(bytes_);
  bytes_ = 0;
}

}  // namespace cardinalsin::exec
