// File: thread_pool.h
//
// A small fixed-size thread pool for partitioned operator work (parallel hash aggregation and
// filter/project), and ParallelFor() which runs n tasks on it and waits for all of them.
//
//   ThreadPool pool(2);
//   std::vector<absl::Status> results = ParallelFor(&pool, 2, [&](size_t i) { return Work(i); });
//
// Thread-safety: Schedule() and ParallelFor() may be called from any thread, pool tasks
// included: ParallelFor() never waits for a task that has not started (see below), so nesting it
// on the same pool cannot deadlock. The destructor waits for scheduled tasks to finish.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace cardinalsin::exec {

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

}  // namespace cardinalsin::exec
