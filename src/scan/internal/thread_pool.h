// File: internal/thread_pool.h
//
// A fixed set of worker threads running submitted tasks in FIFO order: the scan decodes chunks
// on it (2 threads by default, the machine's core budget for one query node).
//
// Thread-safety: Submit() may be called from any thread. The destructor runs every task already
// submitted, then joins the workers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cardinalsin::scan::internal {

class ThreadPool {
 public:
  // REQUIRES: threads >= 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`; it must not block waiting for another task of this pool.
  void Submit(std::function<void()> task);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace cardinalsin::scan::internal
