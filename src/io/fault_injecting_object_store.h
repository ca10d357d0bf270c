// File: fault_injecting_object_store.h
//
// Wraps another ObjectStore and injects failures, latency and "ambiguous" outcomes for tests of
// everything that writes durable state (catalog commits, flush, compaction, GC).
//
//   FaultInjectingObjectStore store(inner, clock, random);
//   store.AddRule({.ops = kOpPut, .key_prefix = "t/_catalog/", .error = absl::UnavailableError(
//       "injected 503 SlowDown"), .remaining = 2});        // next two catalog puts fail
//   store.AddRule({.ops = kOpPut, .apply_then_fail = true, .remaining = 1,
//       .error = absl::DeadlineExceededError("injected timeout")});  // lands, but caller sees
//       error
//
// Rules are checked in insertion order; the first matching rule whose budget is not used up and
// whose coin flip succeeds decides the call. Latency is slept on the injected Clock, so with a
// FakeClock tests stay instant.
//
// Thread-safety: safe for concurrent use. Ownership: does not own `inner`, `clock` or `random`,
// which must outlive the wrapper.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "io/object_store.h"

namespace cardinalsin::io {

enum ObjectStoreOp : uint32_t {
  kOpGet = 1 << 0,  // Get and GetRange
  kOpHead = 1 << 1,
  kOpPut = 1 << 2,
  kOpDelete = 1 << 3,
  kOpList = 1 << 4,
  kOpMultipart = 1 << 5,  // StartMultipartUpload, UploadPart, Complete
  kOpAll = 0xffffffff,
};

struct FaultRule {
  uint32_t ops = kOpAll;   // bitmask of ObjectStoreOp
  std::string key_prefix;  // matches keys (or list prefixes) starting with this
  absl::Status error;      // injected failure; OK = no failure (latency-only rule)
  absl::Duration latency = absl::ZeroDuration();  // added before the call
  double probability = 1.0;                       // chance that a matching call is affected
  int64_t remaining = -1;                         // affected calls left; -1 = unlimited
  // Performs the real operation, then reports `error` anyway: a write that landed but whose
  // response was lost (timeouts, dropped connections). Only meaningful for mutating ops.
  bool apply_then_fail = false;
  // For Get/GetRange: return only the first half of the bytes with OK status (a torn read).
  bool truncate_read = false;
};

class FaultInjectingObjectStore final : public ObjectStore {
 public:
  FaultInjectingObjectStore(ObjectStore& inner, base::Clock& clock, base::Random& random)
      : inner_(inner), clock_(clock), random_(random) {}

  void AddRule(FaultRule rule);
  void ClearRules();
  // Number of calls a rule affected so far, across all rules.
  int64_t injected_count() const;

  std::string Describe() const override { return "faulty(" + inner_.Describe() + ")"; }
  absl::StatusOr<std::string> Get(std::string_view key) override;
  absl::StatusOr<std::string> GetRange(std::string_view key, uint64_t offset,
                                       uint64_t length) override;
  absl::StatusOr<ObjectMeta> Head(std::string_view key) override;
  absl::StatusOr<ObjectMeta> Put(std::string_view key, std::string_view data,
                                 const PutOptions& options = {}) override;
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<ListPage> List(const ListOptions& options) override;
  absl::StatusOr<std::unique_ptr<MultipartUpload>> StartMultipartUpload(
      std::string_view key) override;

 private:
  friend class FaultInjectingMultipartUpload;
  struct Decision {
    absl::Status error;  // OK = run normally
    bool apply_then_fail = false;
    bool truncate_read = false;
  };
  // Consumes budget of the first matching rule and sleeps its latency.
  Decision Decide(ObjectStoreOp op, std::string_view key);
  absl::StatusOr<std::string> MaybeTruncate(const Decision& decision,
                                            absl::StatusOr<std::string> data);

  ObjectStore& inner_;
  base::Clock& clock_;
  base::Random& random_;
  mutable absl::Mutex mu_;
  std::vector<FaultRule> rules_ ABSL_GUARDED_BY(mu_);
  int64_t injected_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cardinalsin::io
