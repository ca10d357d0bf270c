#include "base/thread_pool.h"

#include <atomic>
#include <memory>

#include "base/check.h"

namespace cardinalsin::base {
namespace {

absl::Status FirstError(const std::vector<absl::Status>& results) {
  for (const absl::Status& status : results) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

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
  std::vector<absl::Status> sequential(n);
  if (pool == nullptr || n <= 1) {
    for (size_t i = 0; i < n; ++i) sequential[i] = fn(i);
    return FirstError(sequential);
  }
  // Indices are claimed from a shared counter by the calling thread and by n - 1 pool tasks.
  // The caller runs every index no pool thread has started, so it only ever waits for work
  // that is running: a ParallelFor inside a pool task (an aggregate over an aggregate) cannot
  // wait for a task queued behind the thread it occupies. A pool task that starts after all
  // indices are claimed returns without touching `fn` (which may be gone by then); the shared
  // state outlives the call.
  struct State {
    explicit State(size_t count, const std::function<absl::Status(size_t)>* f)
        : n(count), fn(f), results(count) {}
    const size_t n;
    const std::function<absl::Status(size_t)>* fn;
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable done_cv;
    size_t done = 0;                    // guarded by mu
    std::vector<absl::Status> results;  // results[i] written once, under mu
  };
  auto state = std::make_shared<State>(n, &fn);
  auto run = [](State& st) {
    for (size_t i = st.next.fetch_add(1); i < st.n; i = st.next.fetch_add(1)) {
      absl::Status status = (*st.fn)(i);
      std::lock_guard<std::mutex> lock(st.mu);
      st.results[i] = std::move(status);
      if (++st.done == st.n) st.done_cv.notify_all();
    }
  };
  for (size_t i = 1; i < n; ++i) pool->Schedule([state, run] { run(*state); });
  run(*state);
  std::unique_lock<std::mutex> lock(state->mu);
  state->done_cv.wait(lock, [&] { return state->done == n; });
  return FirstError(state->results);
}

}  // namespace cardinalsin::base
