#include "exec/thread_pool.h"

#include "base/check.h"

namespace cardinalsin::exec {

ThreadPool::ThreadPool(size_t num_threads) {
  CS_CHECK(num_threads >= 1);
  threads_.reserve(num_threads);
  for (size_t i = 0; i < num_threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::Schedule(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

absl::Status ParallelFor(ThreadPool* pool, size_t n,
                         const std::function<absl::Status(size_t)>& fn) {
  std::vector<absl::Status> results(n);
  if (pool == nullptr || n <= 1) {
    for (size_t i = 0; i < n; ++i) results[i] = fn(i);
  } else {
    std::mutex mu;
    std::condition_variable done_cv;
    size_t remaining = n - 1;
    for (size_t i = 1; i < n; ++i) {
      pool->Schedule([&, i] {
        absl::Status status = fn(i);
        std::lock_guard<std::mutex> lock(mu);
        results[i] = std::move(status);
        if (--remaining == 0) done_cv.notify_all();
      });
    }
    results[0] = fn(0);
    std::unique_lock<std::mutex> lock(mu);
    done_cv.wait(lock, [&] { return remaining == 0; });
  }
  for (absl::Status& status : results) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace cardinalsin::exec
