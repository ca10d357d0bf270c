// File: thread_pool.h
//
// A fixed-size thread pool running scheduled tasks in FIFO order, and ParallelFor() which runs n
// tasks on it and the calling thread and waits for all of them. The scan decodes chunks on one
// (scan/), the SQL executor partitions aggregation and filter/project work on another (exec/).
//
//   ThreadPool pool(2);
//   absl::Status status = ParallelFor(&pool, 2, [&](size_t i) { return Work(i); });
//
// Thread-safety: Schedule() and ParallelFor() may be called from any thread, pool tasks
// included: ParallelFor() never waits for a task that has not started (see below), so nesting it
// on the same pool cannot deadlock. A task given to Schedule() must not block waiting for another
// task of the same pool. The destructor runs every task already scheduled, then joins the
// workers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace cardinalsin::base {

class ThreadPool {
 public:
  // REQUIRES: num_threads >= 1.
  explicit ThreadPool(size_t num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t num_threads() const { return threads_.size(); }
  void Schedule(std::function<void()> task);

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

// Runs fn(0) .. fn(n - 1), each once, on the calling thread and up to n - 1 threads of `pool`
// (all on the calling thread when pool is null): indices are claimed in order by whichever
// thread is free, and the caller runs those no pool thread has started. Returns when every
// index has finished: the first non-OK status by index, or OK.
absl::Status ParallelFor(ThreadPool* pool, size_t n, const std::function<absl::Status(size_t)>& fn);

}  // namespace cardinalsin::base
