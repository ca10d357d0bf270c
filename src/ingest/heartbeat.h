// File: heartbeat.h
//
// The ingester registry in the bucket (ARCHITECTURE.md section 3): every ingester keeps the object
// `_cluster/ingesters/{id}.json` fresh, and query nodes list the prefix to find the ingesters whose
// unflushed buffers they must scan. A clean shutdown deletes the object; a crashed ingester's
// object goes stale and is ignored after `max_age`.
//
//   {"id": "ingester-3f2a...", "url": "http://10.0.0.5:8081", "started_at_ns": ...,
//   "updated_at_ns": ...}
//
//   Heartbeat heartbeat(store, {.id = ingester->node_id(), .url = "http://host:8081"});
//   CS_RETURN_IF_ERROR(heartbeat.Start());   // first write is synchronous, then every interval
//   ...
//   heartbeat.Stop();
//
// Thread-safety: Start/Stop from one thread; ListIngesters is thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "io/object_store.h"

namespace cardinalsin::ingest {

inline constexpr std::string_view kIngesterRegistryPrefix = "_cluster/ingesters/";

struct IngesterInfo {
  std::string id;
  std::string url;
  int64_t started_at_ns = 0;
  int64_t updated_at_ns = 0;
};

class Heartbeat {
 public:
  struct Options {
    std::string id;
    std::string url;
    absl::Duration interval = absl::Seconds(5);
    base::Clock* clock = nullptr;
  };
  Heartbeat(io::ObjectStore* store, Options options);
  ~Heartbeat();

  // Writes the object once, then refreshes it every interval in a background thread. Failures
  // are logged and retried, never fatal: a node whose store is down still starts, and /ready
  // reports the store.
  absl::Status Start();
  // Stops refreshing and deletes the object.
  void Stop();

 private:
  absl::Status Beat();

  io::ObjectStore* const store_;
  const Options options_;
  base::Clock* clock_;
  int64_t started_at_ns_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

// The registered ingesters whose last heartbeat is at most `max_age` old.
absl::StatusOr<std::vector<IngesterInfo>> ListIngesters(io::ObjectStore* store, absl::Time now,
                                                        absl::Duration max_age = absl::Seconds(30));

}  // namespace cardinalsin::ingest
