#include "io/fault_injecting_object_store.h"

#include "base/status_macros.h"

namespace cardinalsin::io {

class FaultInjectingMultipartUpload final : public MultipartUpload {
 public:
  FaultInjectingMultipartUpload(FaultInjectingObjectStore* store, std::string key,
                                std::unique_ptr<MultipartUpload> inner)
      : store_(store), key_(std::move(key)), inner_(std::move(inner)) {}

  absl::Status UploadPart(int part_number, std::string_view data) override {
    auto decision = store_->Decide(kOpMultipart, key_);
    if (!decision.error.ok() && !decision.apply_then_fail) return decision.error;
    CS_RETURN_IF_ERROR(inner_->UploadPart(part_number, data));
    return decision.error;
  }
  absl::StatusOr<ObjectMeta> Complete() override {
    auto decision = store_->Decide(kOpMultipart, key_);
    if (!decision.error.ok() && !decision.apply_then_fail) return decision.error;
    CS_ASSIGN_OR_RETURN(ObjectMeta meta, inner_->Complete());
    if (!decision.error.ok()) return decision.error;
    return meta;
  }
  absl::Status Abort() override { return inner_->Abort(); }

 private:
  FaultInjectingObjectStore* store_;
  const std::string key_;
  std::unique_ptr<MultipartUpload> inner_;
};

void FaultInjectingObjectStore::AddRule(FaultRule rule) {
  absl::MutexLock lock(&mu_);
  rules_.push_back(std::move(rule));
}

void FaultInjectingObjectStore::ClearRules() {
  absl::MutexLock lock(&mu_);
  rules_.clear();
}

int64_t FaultInjectingObjectStore::injected_count() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

FaultInjectingObjectStore::Decision FaultInjectingObjectStore::Decide(ObjectStoreOp op,
                                                                      std::string_view key) {
  absl::Duration latency = absl::ZeroDuration();
  Decision decision;
  {
    absl::MutexLock lock(&mu_);
    for (FaultRule& rule : rules_) {
      if ((rule.ops & op) == 0 || !key.starts_with(rule.key_prefix)) continue;
      if (rule.remaining == 0) continue;
      if (rule.probability < 1.0 && random_.NextDouble() >= rule.probability) continue;
      if (rule.remaining > 0) --rule.remaining;
      ++injected_;
      latency = rule.latency;
      decision = {rule.error, rule.apply_then_fail, rule.truncate_read};
      break;
    }
  }
  if (latency > absl::ZeroDuration()) clock_.SleepFor(latency);
  return decision;
}

absl::StatusOr<std::string> FaultInjectingObjectStore::MaybeTruncate(
    const Decision& decision, absl::StatusOr<std::string> data) {
  if (!decision.error.ok()) return decision.error;
  if (decision.truncate_read && data.ok()) data->resize(data->size() / 2);
  return data;
}

absl::StatusOr<std::string> FaultInjectingObjectStore::Get(std::string_view key) {
  Decision decision = Decide(kOpGet, key);
  if (!decision.error.ok()) return decision.error;
  return MaybeTruncate(decision, inner_.Get(key));
}

absl::StatusOr<std::string> FaultInjectingObjectStore::GetRange(std::string_view key,
                                                                uint64_t offset, uint64_t length) {
  Decision decision = Decide(kOpGet, key);
  if (!decision.error.ok()) return decision.error;
  return MaybeTruncate(decision, inner_.GetRange(key, offset, length));
}

absl::StatusOr<ObjectMeta> FaultInjectingObjectStore::Head(std::string_view key) {
  Decision decision = Decide(kOpHead, key);
  if (!decision.error.ok()) return decision.error;
  return inner_.Head(key);
}

absl::StatusOr<ObjectMeta> FaultInjectingObjectStore::Put(std::string_view key,
                                                          std::string_view data,
                                                          const PutOptions& options) {
  Decision decision = Decide(kOpPut, key);
  if (!decision.error.ok() && !decision.apply_then_fail) return decision.error;
  CS_ASSIGN_OR_RETURN(ObjectMeta meta, inner_.Put(key, data, options));
  if (!decision.error.ok()) return decision.error;
  return meta;
}

absl::Status FaultInjectingObjectStore::Delete(std::string_view key) {
  Decision decision = Decide(kOpDelete, key);
  if (!decision.error.ok() && !decision.apply_then_fail) return decision.error;
  CS_RETURN_IF_ERROR(inner_.Delete(key));
  return decision.error;
}

absl::StatusOr<ListPage> FaultInjectingObjectStore::List(const ListOptions& options) {
  Decision decision = Decide(kOpList, options.prefix);
  if (!decision.error.ok()) return decision.error;
  return inner_.List(options);
}

absl::StatusOr<std::unique_ptr<MultipartUpload>> FaultInjectingObjectStore::StartMultipartUpload(
    std::string_view key) {
  Decision decision = Decide(kOpMultipart, key);
  if (!decision.error.ok()) return decision.error;
  CS_ASSIGN_OR_RETURN(std::unique_ptr<MultipartUpload> inner, inner_.StartMultipartUpload(key));
  return std::unique_ptr<MultipartUpload>(
      new FaultInjectingMultipartUpload(this, std::string(key), std::move(inner)));
}

}  // namespace cardinalsin::io
