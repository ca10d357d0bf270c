#include "ingest/heartbeat.h"

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace cardinalsin::ingest {

Heartbeat::Heartbeat(io::ObjectStore* store, Options options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &base::SystemClock()) {}

Heartbeat::~Heartbeat() { Stop(); }

absl::Status Heartbeat::Beat() {
  nlohmann::json body = {{"id", options_.id},
                         {"url", options_.url},
                         {"started_at_ns", started_at_ns_},
                         {"updated_at_ns", absl::ToUnixNanos(clock_->Now())}};
  return store_
      ->Put(absl::StrFormat("%s%s.json", kIngesterRegistryPrefix, options_.id), body.dump())
      .status();
}

absl::Status Heartbeat::Start() {
  started_at_ns_ = absl::ToUnixNanos(clock_->Now());
  // An unreachable store must not keep the node from starting: /ready reports the store, and the
  // registration follows as soon as a beat succeeds.
  if (absl::Status status = Beat(); !status.ok()) {
    spdlog::warn("heartbeat {}: not registered yet, retrying: {}", options_.id, std::string(status.message()));
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval), [this] { return stop_; })) {
      lock.unlock();
      if (absl::Status status = Beat(); !status.ok()) {
        spdlog::warn("heartbeat {}: {}", options_.id, std::string(status.message()));
      }
      lock.lock();
    }
  });
  return absl::OkStatus();
}

void Heartbeat::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ || !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  absl::Status status =
      store_->Delete(absl::StrFormat("%s%s.json", kIngesterRegistryPrefix, options_.id));
  if (!status.ok() && !absl::IsNotFound(status))
    spdlog::warn("heartbeat {}: {}", options_.id, std::string(status.message()));
}

absl::StatusOr<std::vector<IngesterInfo>> ListIngesters(io::ObjectStore* store, absl::Time now,
                                                        absl::Duration max_age) {
  std::vector<IngesterInfo> live;
  io::ListOptions options;
  options.prefix = std::string(kIngesterRegistryPrefix);
  while (true) {
    CS_ASSIGN_OR_RETURN(io::ListPage page, store->List(options));
    for (const io::ObjectMeta& object : page.objects) {
      absl::StatusOr<std::string> bytes = store->Get(object.key);
      if (absl::IsNotFound(bytes.status())) continue;  // deregistered meanwhile
      CS_RETURN_IF_ERROR(bytes.status());
      nlohmann::json body = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object() || !body["id"].is_string() || !body["url"].is_string() ||
          !body["updated_at_ns"].is_number_integer()) {
        spdlog::warn("ingester registry: ignoring malformed {}", object.key);
        continue;
      }
      IngesterInfo info{body["id"].get<std::string>(), body["url"].get<std::string>(),
                        body.value("started_at_ns", int64_t{0}),
                        body["updated_at_ns"].get<int64_t>()};
      if (now - absl::FromUnixNanos(info.updated_at_ns) <= max_age) live.push_back(std::move(info));
    }
    if (page.next_continuation_token.empty()) break;
    options.continuation_token = page.next_continuation_token;
  }
  return live;
}

}  // namespace cardinalsin::ingest
