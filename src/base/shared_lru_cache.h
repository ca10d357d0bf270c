// File: shared_lru_cache.h
//
// Immutable objects shared between threads by key, least recently used evicted beyond a byte
// budget: things derived from immutable files (parsed footers, series directories, decoded
// pages), keyed by the file and a part of it, so that an entry never goes stale. Thread-safe.
//
//   SharedLruCache<SeriesDirectory> cache(64 << 20);
//   if (std::shared_ptr<const SeriesDirectory> d = cache.Get(key)) ...
//   cache.Put(key, directory, directory->bytes());
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

namespace cardinalsin::base {

template <typename T>
class SharedLruCache {
 public:
  explicit SharedLruCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The object stored under `key`, or nullptr.
  std::shared_ptr<const T> Get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return std::get<1>(*it->second);
  }

  // Stores `object` (about `bytes` of memory) under `key`, replacing any, unless it alone
  // exceeds the budget.
  void Put(const std::string& key, std::shared_ptr<const T> object, uint64_t bytes) {
    const uint64_t size = bytes + key.size();
    if (size > capacity_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      bytes_ -= std::get<2>(*it->second);
      lru_.erase(it->second);
      index_.erase(it);
    }
    lru_.emplace_front(key, std::move(object), size);
    index_.emplace(key, lru_.begin());
    bytes_ += size;
    while (bytes_ > capacity_) {
      bytes_ -= std::get<2>(lru_.back());
      index_.erase(std::get<0>(lru_.back()));
      lru_.pop_back();
    }
  }

 private:
  using Entry = std::tuple<std::string, std::shared_ptr<const T>, uint64_t>;  // key, object, size
  const uint64_t capacity_;
  std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first; guarded by mu_
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;  // guarded by mu_
  uint64_t bytes_ = 0;                                                          // guarded by mu_
};

}  // namespace cardinalsin::base
