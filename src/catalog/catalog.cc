#include "catalog/catalog.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "catalog/log_entry.h"
#include "model/labels.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::catalog {
namespace {

constexpr size_t kMaxTenantBytes = 128;
constexpr std::string_view kLogDir = "/_catalog/log/";
constexpr std::string_view kCheckpointDir = "/_catalog/checkpoint/";

std::string SeqName(uint64_t seq) { return absl::StrFormat("%020d.json", seq); }

// Parses "{20 digits}.json"; nullopt for anything else.
std::optional<uint64_t> ParseSeqName(std::string_view name) {
  if (name.size() != 25 || name.substr(20) != ".json") return std::nullopt;
  uint64_t seq = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (seq > (UINT64_MAX - digit) / 10) return std::nullopt;
    seq = seq * 10 + digit;
  }
  return seq;
}

absl::Status CheckUtf8(std::string_view path, std::string_view what, std::string_view value) {
  if (model::IsValidUtf8(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      base::StrCat("chunk summary ", path, ": ", what, " is not valid UTF-8"));
}

// Shape checks that need no state: InvalidArgument.
absl::Status ValidateCommitShape(std::string_view tenant, const Commit& commit) {
  if (commit.add.empty() && commit.remove.empty() && !commit.watermark.has_value()) {
    return absl::InvalidArgumentError("catalog commit has no actions");
  }
  std::set<std::string_view> paths;
  for (const ChunkSummary& summary : commit.add) {
    CS_RETURN_IF_ERROR(ValidateChunkSummary(tenant, summary));
    if (!paths.insert(summary.path).second) {
      return absl::InvalidArgumentError(
          base::StrCat("catalog commit adds chunk ", summary.path, " twice"));
    }
  }
  for (const std::string& path : commit.remove) {
    if (!paths.insert(path).second) {
      return absl::InvalidArgumentError(base::StrCat(
          "catalog commit names chunk ", path, " twice (in add and remove, or removes it twice)"));
    }
  }
  if (commit.watermark.has_value() && commit.watermark->first.empty()) {
    return absl::InvalidArgumentError("catalog commit has a watermark with an empty writer id");
  }
  return absl::OkStatus();
}

}  // namespace

std::string LogKey(std::string_view tenant, uint64_t seq) {
  return base::StrCat(tenant, kLogDir, SeqName(seq));
}

std::string CheckpointKey(std::string_view tenant, uint64_t seq) {
  return base::StrCat(tenant, kCheckpointDir, SeqName(seq));
}

std::string DataPrefix(std::string_view tenant) { return base::StrCat(tenant, "/data/"); }

absl::Status ValidateTenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > kMaxTenantBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tenant id must be 1 to %d bytes, got %d", kMaxTenantBytes, tenant.size()));
  }
  if (tenant.front() == '.' || tenant.front() == '_') {
    return absl::InvalidArgumentError(
        base::StrCat("tenant id '", tenant, "' must not start with '.' or '_'"));
  }
  for (char c : tenant) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(base::StrCat(
          "tenant id '", tenant, "' may contain only letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateChunkSummary(std::string_view tenant, const ChunkSummary& s) {
  const std::string prefix = DataPrefix(tenant);
  if (s.path.size() <= prefix.size() || !s.path.starts_with(prefix)) {
    return absl::InvalidArgumentError(
        base::StrCat("chunk path '", s.path, "' is not an object under ", prefix));
  }
  if (absl::Status key = io::ValidateKey(s.path); !key.ok()) {
    return absl::InvalidArgumentError(
        base::StrCat("chunk path '", s.path, "' is not a valid key: ", key.message()));
  }
  if (s.level < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("chunk summary %s: level %d is negative", s.path, s.level));
  }
  if (s.min_time_ns > s.max_time_ns) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "chunk summary %s: min_time_ns %d > max_time_ns %d", s.path, s.min_time_ns, s.max_time_ns));
  }
  CS_RETURN_IF_ERROR(CheckUtf8(s.path, "min_metric", s.min_metric));
  CS_RETURN_IF_ERROR(CheckUtf8(s.path, "max_metric", s.max_metric));
  if (s.min_metric > s.max_metric) {
    return absl::InvalidArgumentError(base::StrCat("chunk summary ", s.path, ": min_metric '",
                                                   s.min_metric, "' > max_metric '", s.max_metric,
                                                   "'"));
  }
  for (const auto& [name, range] : s.labels) {
    if (name.empty()) {
      return absl::InvalidArgumentError(
          base::StrCat("chunk summary ", s.path, ": a label name is empty"));
    }
    CS_RETURN_IF_ERROR(CheckUtf8(s.path, "a label name", name));
    CS_RETURN_IF_ERROR(CheckUtf8(s.path, base::StrCat("the min of label ", name), range.min));
    CS_RETURN_IF_ERROR(CheckUtf8(s.path, base::StrCat("the max of label ", name), range.max));
    if (range.min > range.max) {
      return absl::InvalidArgumentError(base::StrCat("chunk summary ", s.path, ": label ", name,
                                                     " has min '", range.min, "' > max '",
                                                     range.max, "'"));
    }
  }
  return absl::OkStatus();
}

Catalog::Catalog(io::ObjectStore* store, std::string tenant, CatalogOptions options)
    : store_(store),
      tenant_(std::move(tenant)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : base::SystemClock()),
      owned_random_(options_.random != nullptr ? nullptr : std::make_unique<base::SeededRandom>()),
      random_(options_.random != nullptr ? *options_.random : *owned_random_),
      snapshot_(std::make_shared<const Snapshot>()) {}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(io::ObjectStore* store, std::string tenant,
                                                       CatalogOptions options) {
  CS_RETURN_IF_ERROR(ValidateTenant(tenant));
  if (options.checkpoint_interval < 1) {
    return absl::InvalidArgumentError("catalog checkpoint_interval must be at least 1");
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("catalog max_attempts must be at least 1");
  }
  if (options.initial_backoff < absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "catalog backoff must satisfy 0 <= initial_backoff <= max_backoff");
  }
  std::unique_ptr<Catalog> catalog(new Catalog(store, std::move(tenant), std::move(options)));
  CS_RETURN_IF_ERROR(catalog->LoadCheckpoint());
  CS_RETURN_IF_ERROR(catalog->Refresh());
  return catalog;
}

absl::Status Catalog::LoadCheckpoint() {
  const std::string prefix = base::StrCat(tenant_, kCheckpointDir);
  CS_ASSIGN_OR_RETURN(std::vector<io::ObjectMeta> objects, io::ListAll(*store_, prefix));
  std::vector<std::pair<uint64_t, std::string>> checkpoints;
  for (const io::ObjectMeta& meta : objects) {
    std::optional<uint64_t> seq = ParseSeqName(std::string_view(meta.key).substr(prefix.size()));
    if (seq.has_value() && *seq > 0) checkpoints.emplace_back(*seq, meta.key);
  }
  std::sort(checkpoints.rbegin(), checkpoints.rend());
  std::vector<std::string> warnings;
  for (const auto& checkpoint : checkpoints) {
    const std::string& key = checkpoint.second;
    absl::StatusOr<Snapshot> snapshot = [&]() -> absl::StatusOr<Snapshot> {
      CS_ASSIGN_OR_RETURN(std::string body, store_->Get(key));
      CS_ASSIGN_OR_RETURN(Snapshot s, DecodeSnapshot(body, key));
      if (s.seq != checkpoint.first) {
        return absl::DataLossError(
            absl::StrFormat("catalog checkpoint %s holds seq %d", key, s.seq));
      }
      for (const auto& chunk : s.chunks) {
        if (absl::Status valid = ValidateChunkSummary(tenant_, chunk.second); !valid.ok()) {
          return absl::DataLossError(
              base::StrCat("catalog checkpoint ", key, ": ", valid.message()));
        }
      }
      return s;
    }();
    if (snapshot.ok()) {
      absl::MutexLock lock(&mu_);
      snapshot_ = std::make_shared<const Snapshot>(std::move(snapshot).value());
      load_warnings_ = std::move(warnings);
      return absl::OkStatus();
    }
    // Only corruption is skipped; a store failure (or a newer format) must not silently fall
    // back to an older state and a long replay.
    if (snapshot.status().code() != absl::StatusCode::kDataLoss) return snapshot.status();
    std::string warning =
        base::StrCat("skipped unreadable catalog checkpoint: ", snapshot.status().message());
    spdlog::warn("{}", warning);
    warnings.push_back(std::move(warning));
  }
  absl::MutexLock lock(&mu_);
  load_warnings_ = std::move(warnings);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Catalog::ReadTail(
    std::shared_ptr<const Snapshot> base, uint64_t capture_seq, std::string* captured) {
  std::shared_ptr<Snapshot> next;
  for (uint64_t seq = base->seq + 1;; ++seq) {
    const std::string key = LogKey(tenant_, seq);
    absl::StatusOr<std::string> body = store_->Get(key);
    if (absl::IsNotFound(body.status())) break;
    if (!body.ok()) return body.status();
    if (captured != nullptr && seq == capture_seq) *captured = *body;
    CS_ASSIGN_OR_RETURN(LogEntry entry, DecodeLogEntry(*body, key, seq));
    if (next == nullptr) next = std::make_shared<Snapshot>(*base);
    if (absl::Status applied = ApplyLogEntry(tenant_, entry, next.get()); !applied.ok()) {
      return absl::DataLossError(
          base::StrCat("catalog log entry ", key, " cannot be applied: ", applied.message()));
    }
  }
  if (next == nullptr) return base;
  return std::shared_ptr<const Snapshot>(std::move(next));
}

void Catalog::Publish(std::shared_ptr<const Snapshot> next) {
  absl::MutexLock lock(&mu_);
  if (next->seq > snapshot_->seq) snapshot_ = std::move(next);
}

absl::Status Catalog::Refresh() { return RefreshCapturing(0, nullptr); }

absl::Status Catalog::RefreshCapturing(uint64_t capture_seq, std::string* captured) {
  absl::MutexLock refresh_lock(&refresh_mu_);
  CS_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> next,
                      ReadTail(snapshot(), capture_seq, captured));
  Publish(std::move(next));
  return absl::OkStatus();
}

std::shared_ptr<const Snapshot> Catalog::snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

Catalog::Stats Catalog::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::vector<std::string> Catalog::load_warnings() const {
  absl::MutexLock lock(&mu_);
  return load_warnings_;
}

absl::Duration Catalog::Backoff(int attempt) {
  // Full jitter: uniform in [0, min(max_backoff, initial_backoff * 2^attempt)].
  absl::Duration cap = options_.max_backoff;
  if (attempt < 62) {
    absl::Duration grown = options_.initial_backoff * (int64_t{1} << attempt);
    // absl saturates to InfiniteDuration on overflow, so min() is safe.
    cap = std::min(cap, grown);
  }
  return cap * random_.NextDouble();
}

void Catalog::MaybeWriteCheckpoint(const Snapshot& state) {
  if (state.seq % options_.checkpoint_interval != 0) return;
  const std::string key = CheckpointKey(tenant_, state.seq);
  absl::Status status = [&]() -> absl::Status {
    CS_ASSIGN_OR_RETURN(std::string body, EncodeSnapshot(state));
    return io::PutLarge(*store_, key, body).status();
  }();
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    ++stats_.checkpoints_written;
  } else {
    // Best effort: readers fall back to an older checkpoint and a longer tail.
    ++stats_.checkpoint_failures;
    spdlog::warn("catalog checkpoint {} not written: {}", key, status.ToString());
  }
}

absl::StatusOr<Catalog::Attempt> Catalog::Prepare(
    const catalog::Commit& commit, const std::function<absl::Status(const Snapshot&)>& validate) {
  std::shared_ptr<const Snapshot> base = snapshot();
  LogEntry entry{.seq = base->seq + 1,
                 .writer = options_.writer_id,
                 .committed_at_ns = absl::ToUnixNanos(clock_.Now())};
  for (const ChunkSummary& add : commit.add) entry.actions.emplace_back(add);
  for (const std::string& path : commit.remove) {
    entry.actions.emplace_back(RemovedChunk{path, entry.committed_at_ns});
  }
  if (commit.watermark.has_value()) {
    entry.actions.emplace_back(WatermarkAction{commit.watermark->first, commit.watermark->second});
  }
  auto next = std::make_shared<Snapshot>(*base);
  CS_RETURN_IF_ERROR(ApplyLogEntry(tenant_, entry, next.get()));
  if (validate != nullptr) CS_RETURN_IF_ERROR(validate(*base));
  CS_ASSIGN_OR_RETURN(std::string body, EncodeLogEntry(entry));
  return Attempt{.seq = entry.seq, .body = std::move(body), .next = std::move(next)};
}

absl::StatusOr<uint64_t> Catalog::Commit(const catalog::Commit& commit,
                                         std::function<absl::Status(const Snapshot&)> validate) {
  if (options_.writer_id.empty()) {
    return absl::FailedPreconditionError(
        "this catalog was opened without a writer_id and cannot commit");
  }
  CS_RETURN_IF_ERROR(ValidateCommitShape(tenant_, commit));
  absl::MutexLock commit_lock(&commit_mu_);
  for (int attempt = 0;; ++attempt) {
    CS_ASSIGN_OR_RETURN(Attempt prepared, Prepare(commit, validate));
    const uint64_t seq = prepared.seq;
    const std::string key = LogKey(tenant_, seq);
    {
      absl::MutexLock lock(&mu_);
      ++stats_.cas_attempts;
      if (attempt > 0) ++stats_.retries;
    }
    absl::StatusOr<io::ObjectMeta> put =
        store_->Put(key, prepared.body, {.mode = io::PutMode::kCreateIfAbsent});
    bool won = put.ok();
    if (!put.ok() && !absl::IsFailedPrecondition(put.status())) {
      // The outcome is unknown (a timeout may hide a put that landed): read the entry back. Ours
      // means we won; another writer's means we lost the race; nothing (or a failed read) leaves
      // the put's error as the answer.
      absl::StatusOr<std::string> stored = store_->Get(key);
      if (!stored.ok()) {
        return absl::Status(put.status().code(),
                            base::StrCat("catalog commit ", key, ": ", put.status().message()));
      }
      won = *stored == prepared.body;
    }
    if (!won) {
      // Learn what the winner committed. It may be us: a store may report a lost condition for
      // a retried put whose first try landed.
      std::string winner;
      CS_RETURN_IF_ERROR(RefreshCapturing(seq, &winner));
      won = winner == prepared.body;
    }
    if (won) {
      Publish(prepared.next);
      {
        absl::MutexLock lock(&mu_);
        ++stats_.commits;
      }
      MaybeWriteCheckpoint(*prepared.next);
      return seq;
    }
    {
      absl::MutexLock lock(&mu_);
      ++stats_.cas_conflicts;
    }
    // Re-check before waiting, so a commit that can no longer apply (a compaction whose inputs
    // are gone) fails at once.
    CS_RETURN_IF_ERROR(Prepare(commit, validate).status());
    if (attempt + 1 >= options_.max_attempts) {
      return absl::AbortedError(absl::StrFormat(
          "catalog commit gave up after %d attempts: another writer won every sequence number "
          "tried (the last was %d in tenant %s)",
          options_.max_attempts, seq, tenant_));
    }
    absl::Duration pause = Backoff(attempt);
    {
      absl::MutexLock lock(&mu_);
      stats_.backoff_total += pause;
    }
    clock_.SleepFor(pause);
    // Others may have committed while we slept; building on their state avoids a certain loss.
    CS_RETURN_IF_ERROR(Refresh());
  }
}

}  // namespace cardinalsin::catalog
