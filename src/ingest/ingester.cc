#include "ingest/ingester.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "ingest/chunk_builder.h"
#include "ingest/wal_payload.h"
#include "model/labels.h"
#include "spdlog/spdlog.h"

namespace cardinalsin::ingest {
namespace {

// Reads the ingester id kept next to the WAL, creating it on first start.
absl::StatusOr<std::string> LoadOrCreateNodeId(const std::string& dir, base::Random& random) {
  std::filesystem::path path = std::filesystem::path(dir) / "ingester_id";
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (std::ifstream in(path); in) {
    std::string id;
    std::getline(in, id);
    if (!id.empty() && model::ValidateTenantId(id).ok()) return id;
    return absl::DataLossError(absl::StrFormat("%s holds no valid ingester id", path.string()));
  }
  std::string id = absl::StrFormat("ingester-%016x", random.Next());
  std::string temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << id << "\n";
    out.flush();
    if (!out) return absl::InternalError(absl::StrFormat("cannot write %s", temp));
  }
  std::filesystem::rename(temp, path, error);
  if (error)
    return absl::InternalError(
        absl::StrFormat("cannot create %s: %s", path.string(), error.message()));
  return id;
}

}  // namespace

Ingester::Ingester(io::ObjectStore* store, IngesterOptions options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &base::SystemClock()) {
  if (options_.random == nullptr) {
    owned_random_ = std::make_unique<base::SeededRandom>();
    random_ = owned_random_.get();
  } else {
    random_ = options_.random;
  }
}

absl::StatusOr<std::unique_ptr<Ingester>> Ingester::Open(io::ObjectStore* store,
                                                         IngesterOptions options) {
  std::unique_ptr<Ingester> ingester(new Ingester(store, std::move(options)));
  IngesterOptions& opts = ingester->options_;
  if (!opts.node_id.empty()) {
    ingester->node_id_ = opts.node_id;
  } else if (opts.wal_enabled) {
    CS_ASSIGN_OR_RETURN(ingester->node_id_, LoadOrCreateNodeId(opts.wal.dir, *ingester->random_));
  } else {
    ingester->node_id_ = absl::StrFormat("ingester-%016x", ingester->random_->Next());
  }
  opts.catalog.writer_id = ingester->node_id_;
  if (opts.catalog.clock == nullptr) opts.catalog.clock = ingester->clock_;
  if (opts.catalog.random == nullptr) opts.catalog.random = ingester->random_;
  if (opts.wal_enabled) {
    if (opts.wal.clock == nullptr) opts.wal.clock = ingester->clock_;
    CS_ASSIGN_OR_RETURN(ingester->wal_, wal::Wal::Open(opts.wal));
    ingester->watermark_key_ = ingester->node_id_ + "@" + ingester->wal_->incarnation();
    CS_RETURN_IF_ERROR(ingester->Replay());
  } else {
    ingester->watermark_key_ = ingester->node_id_;
  }
  ingester->flush_thread_ = std::thread([raw = ingester.get()] { raw->FlushLoop(); });
  return ingester;
}

Ingester::~Ingester() {
  absl::Status status = Stop();
  if (!status.ok())
    spdlog::error("ingester: rows left unflushed at exit (kept in the WAL): {}",
                  std::string(status.message()));
}

Ingester::Tenant& Ingester::TenantLocked(std::string_view name) {
  auto it = tenants_.find(name);
  if (it == tenants_.end()) {
    auto tenant = std::make_unique<Tenant>();
    tenant->name = std::string(name);
    tenant->retry_delay = options_.flush_check_interval;
    it = tenants_.emplace(tenant->name, std::move(tenant)).first;
  }
  return *it->second;
}

absl::StatusOr<catalog::Catalog*> Ingester::CatalogFor(Tenant& tenant) {
  // Only the flush thread (under flush_mu_) and Replay (before it starts) open catalogs.
  if (tenant.catalog == nullptr) {
    CS_ASSIGN_OR_RETURN(tenant.catalog,
                        catalog::Catalog::Open(store_, tenant.name, options_.catalog));
  }
  return tenant.catalog.get();
}

absl::Status Ingester::Replay() {
  std::map<std::string, uint64_t, std::less<>>
      watermarks;  // per tenant, this node's committed WAL seq
  std::string_view tenant_name;
  std::vector<ValidatedSeries> series;
  const absl::Time now = clock_->Now();
  absl::Status status = wal_->Replay([&](uint64_t seq, std::string_view payload) -> absl::Status {
    absl::Status decoded = DecodeWalPayload(payload, &tenant_name, &series);
    if (!decoded.ok()) {
      // A record whose CRC matched but whose payload does not decode was written by a buggy or
      // newer build; refusing to start is safer than dropping acknowledged data silently.
      return absl::DataLossError(absl::StrFormat("WAL record %d: %s", seq, decoded.message()));
    }
    auto it = watermarks.find(tenant_name);
    if (it == watermarks.end()) {
      std::lock_guard lock(mu_);
      Tenant& tenant = TenantLocked(tenant_name);
      CS_ASSIGN_OR_RETURN(catalog::Catalog * catalog, CatalogFor(tenant));
      std::shared_ptr<const catalog::Snapshot> snapshot = catalog->snapshot();
      auto mark = snapshot->watermarks.find(watermark_key_);
      it = watermarks
               .emplace(std::string(tenant_name),
                        mark == snapshot->watermarks.end() ? 0 : mark->second)
               .first;
      tenant.catalog_seq = snapshot->seq;
    }
    if (seq <= it->second) {
      replay_skipped_records_.fetch_add(1, std::memory_order_relaxed);
      return absl::OkStatus();
    }
    std::lock_guard lock(mu_);
    Tenant& tenant = TenantLocked(tenant_name);
    tenant.active->AppendAll(series, seq, now);
    replayed_records_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  spdlog::info("ingester {}: WAL replay done: {} records replayed, {} already committed", node_id_,
               replayed_records_.load(), replay_skipped_records_.load());
  return absl::OkStatus();
}

size_t Ingester::BufferedBytesLocked() const {
  size_t total = 0;
  for (const auto& [name, tenant] : tenants_) {
    total += tenant->active->bytes();
    for (const auto& sealed : tenant->sealed) total += sealed->bytes();
  }
  return total;
}

WriteOutcome Ingester::Write(std::string_view tenant_name, const model::SampleBatch& batch) {
  WriteOutcome outcome;
  ValidatedBatch validated;
  ValidateBatch(batch, options_.limits, clock_->Now(), &validated);
  outcome.accepted_series = validated.series.size();
  outcome.accepted_samples = validated.accepted_samples;
  outcome.rejected_samples = validated.rejected_samples;
  outcome.rejected_series = validated.rejected_series;
  outcome.reasons = std::move(validated.reasons);
  samples_rejected_.fetch_add(outcome.rejected_samples, std::memory_order_relaxed);
  // Metadata-only requests (Prometheus sends metadata apart from samples) are recorded too.
  if (!batch.metadata.empty()) RecordMetadata(tenant_name, batch.metadata);
  if (validated.series.empty()) return outcome;

  auto refuse = [&](absl::Status status) {
    writes_refused_.fetch_add(1, std::memory_order_relaxed);
    outcome.status = std::move(status);
    outcome.accepted_samples = 0;
    outcome.accepted_series = 0;
    return outcome;
  };

  thread_local std::string payload;
  if (wal_) EncodeWalPayload(tenant_name, validated.series, &payload);
  const size_t incoming = validated.accepted_samples * 24 + payload.size();

  uint64_t seq = 0;
  bool wake_flusher = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_)
      return refuse(
          absl::UnavailableError("ingester is shutting down; retry against another ingester"));
    size_t buffered = BufferedBytesLocked();
    if (buffered + incoming > options_.max_buffer_bytes) {
      flush_cv_.notify_one();
      return refuse(absl::ResourceExhaustedError(
          absl::StrFormat("write buffer is full (%d of %d bytes unflushed); retry later", buffered,
                          options_.max_buffer_bytes)));
    }
    if (wal_) {
      absl::StatusOr<uint64_t> written = wal_->Write(payload);
      if (!written.ok()) {
        if (absl::IsResourceExhausted(written.status())) {
          return refuse(absl::UnavailableError(
              absl::StrCat("WAL disk is full: ", written.status().message())));
        }
        return refuse(
            absl::InternalError(absl::StrCat("WAL write failed: ", written.status().message())));
      }
      seq = *written;
    }
    Tenant& tenant = TenantLocked(tenant_name);
    const absl::Time now = clock_->Now();
    tenant.active->AppendAll(validated.series, seq, now);
    wake_flusher = tenant.active->rows() >= options_.flush_rows ||
                   tenant.active->bytes() >= options_.flush_bytes;
  }
  if (wake_flusher) flush_cv_.notify_one();
  if (wal_) {
    absl::Status synced = wal_->Sync(seq);
    if (!synced.ok()) {
      // The rows are buffered and may still be committed; the client retries, and queries
      // deduplicate (series, timestamp).
      return refuse(absl::InternalError(absl::StrCat("WAL sync failed: ", synced.message())));
    }
  }
  samples_accepted_.fetch_add(outcome.accepted_samples, std::memory_order_relaxed);
  return outcome;
}

void Ingester::FlushLoop() {
  pthread_setname_np(pthread_self(), "cs-flush");
  std::unique_lock lock(mu_);
  while (!flush_thread_exit_) {
    flush_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.flush_check_interval));
    if (flush_thread_exit_) break;
    lock.unlock();
    absl::Status status = FlushOnce(/*force=*/false);
    if (!status.ok())
      spdlog::warn("ingester {}: flush failed, will retry: {}", node_id_,
                   std::string(status.message()));
    status = PersistMetadata();
    if (!status.ok())
      spdlog::warn("ingester {}: writing metric metadata failed, will retry: {}", node_id_,
                   std::string(status.message()));
    lock.lock();
  }
}

absl::Status Ingester::FlushOnce(bool force) {
  std::lock_guard flush_lock(flush_mu_);
  const absl::Time now = clock_->Now();
  std::vector<Tenant*> tenants;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, tenant] : tenants_) {
      SeriesBuffer& active = *tenant->active;
      bool due = !active.empty() && (force || active.rows() >= options_.flush_rows ||
                                     active.bytes() >= options_.flush_bytes ||
                                     now - active.first_append() >= options_.flush_age);
      if (due) {
        const SeriesBuffer::Capacity capacity = active.capacity_used();
        tenant->sealed.push_back(std::move(tenant->active));
        tenant->active = std::make_shared<SeriesBuffer>(capacity);
      }
      if (!tenant->sealed.empty()) tenants.push_back(tenant.get());
    }
  }
  absl::Status first_error;
  for (Tenant* tenant : tenants) {
    if (!force && now < tenant->retry_at) continue;
    while (true) {
      std::shared_ptr<SeriesBuffer> oldest;
      {
        std::lock_guard lock(mu_);
        if (tenant->sealed.empty()) break;
        oldest = tenant->sealed.front();
      }
      absl::Status status = FlushSealed(*tenant, oldest);
      flushes_.fetch_add(1, std::memory_order_relaxed);
      if (!status.ok()) {
        flush_failures_.fetch_add(1, std::memory_order_relaxed);
        tenant->retry_at = clock_->Now() + tenant->retry_delay;
        tenant->retry_delay = std::min(tenant->retry_delay * 2, absl::Seconds(30));
        if (first_error.ok()) {
          first_error = absl::Status(
              status.code(), absl::StrFormat("tenant %s: %s", tenant->name, status.message()));
        }
        break;
      }
      tenant->retry_delay = options_.flush_check_interval;
      std::lock_guard lock(mu_);
      tenant->sealed.pop_front();
    }
  }
  TruncateWal();
  return first_error;
}

absl::Status Ingester::FlushSealed(Tenant& tenant, const std::shared_ptr<SeriesBuffer>& buffer) {
  CS_ASSIGN_OR_RETURN(catalog::Catalog * catalog, CatalogFor(tenant));
  if (tenant.uploaded_for != buffer) {
    model::RecordBatch rows = buffer->ToRecordBatch();
    CS_ASSIGN_OR_RETURN(BuiltChunk chunk, BuildChunk(tenant.name, rows, options_.chunk_options,
                                                     clock_->Now(), *random_));
    CS_RETURN_IF_ERROR(store_->Put(chunk.summary.path, chunk.bytes).status());
    tenant.uploaded_for = buffer;
    tenant.uploaded = std::move(chunk.summary);
  }
  const catalog::ChunkSummary& summary = tenant.uploaded;
  catalog::Commit commit;
  commit.add.push_back(summary);
  if (buffer->max_seq() != 0) {
    // Never commit a watermark ahead of what the WAL holds durably (see the header comment).
    CS_RETURN_IF_ERROR(wal_->MakeDurable(buffer->max_seq()));
    commit.watermark = std::make_pair(watermark_key_, buffer->max_seq());
  }
  absl::StatusOr<uint64_t> seq = catalog->Commit(commit);
  if (!seq.ok()) {
    // The uploaded object stays unreferenced until a retry commits it (or, if this process
    // exits first, until GC; verify reports it as an orphan meanwhile).
    return absl::Status(seq.status().code(),
                        absl::StrFormat("committing %s: %s", summary.path, seq.status().message()));
  }
  tenant.uploaded_for = nullptr;
  {
    std::lock_guard lock(mu_);
    tenant.catalog_seq = *seq;
  }
  chunks_committed_.fetch_add(1, std::memory_order_relaxed);
  rows_committed_.fetch_add(commit.add[0].row_count, std::memory_order_relaxed);
  bytes_committed_.fetch_add(commit.add[0].size_bytes, std::memory_order_relaxed);
  spdlog::debug("ingester {}: committed {} ({} rows, {} bytes) as catalog seq {}", node_id_,
                commit.add[0].path, commit.add[0].row_count, commit.add[0].size_bytes, *seq);
  return absl::OkStatus();
}

void Ingester::TruncateWal() {
  if (!wal_) return;
  uint64_t mark;
  {
    std::lock_guard lock(mu_);
    // Everything below the oldest WAL record still only in memory is committed somewhere.
    uint64_t oldest_unflushed = UINT64_MAX;
    for (const auto& [name, tenant] : tenants_) {
      for (const auto& sealed : tenant->sealed) {
        if (sealed->min_seq() != 0)
          oldest_unflushed = std::min(oldest_unflushed, sealed->min_seq());
      }
      if (tenant->active->min_seq() != 0)
        oldest_unflushed = std::min(oldest_unflushed, tenant->active->min_seq());
    }
    mark = oldest_unflushed == UINT64_MAX ? wal_->last_seq() : oldest_unflushed - 1;
  }
  if (mark <= wal_->flushed_seq()) return;
  absl::Status status = wal_->MarkFlushed(mark);
  if (!status.ok())
    spdlog::warn("ingester {}: WAL truncation to {} failed: {}", node_id_, mark,
                 std::string(status.message()));
}

absl::Status Ingester::FlushAll() { return FlushOnce(/*force=*/true); }

Ingester::ScanResult Ingester::Scan(std::string_view tenant_name, const RowFilter& filter) {
  ScanResult result;
  std::vector<std::shared_ptr<SeriesBuffer>> sealed;
  std::vector<model::RecordBatch> pieces;
  {
    std::lock_guard lock(mu_);
    auto it = tenants_.find(tenant_name);
    if (it == tenants_.end()) {
      result.rows = model::RecordBatch(model::MetricsSchema({}), {});
      return result;
    }
    Tenant& tenant = *it->second;
    result.catalog_seq = tenant.catalog_seq;
    sealed.assign(tenant.sealed.begin(), tenant.sealed.end());
    pieces.push_back(tenant.active->ToRecordBatch(filter));
  }
  // Sealed buffers are immutable; read them without blocking writers.
  for (const auto& buffer : sealed) pieces.push_back(buffer->ToRecordBatch(filter));
  result.rows = ConcatMetricsBatches(pieces);
  return result;
}

absl::Status Ingester::Stop(absl::Duration deadline) {
  {
    std::lock_guard lock(mu_);
    if (flush_thread_exit_ && !flush_thread_.joinable()) return absl::OkStatus();
    stopping_ = true;
    flush_thread_exit_ = true;
  }
  flush_cv_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  const absl::Time give_up = clock_->Now() + deadline;
  absl::Status status = FlushAll();
  while (!status.ok() && clock_->Now() < give_up) {
    clock_->SleepFor(absl::Milliseconds(500));
    status = FlushAll();
  }
  absl::Status metadata = PersistMetadata();
  if (!metadata.ok()) {
    spdlog::warn("ingester {}: writing metric metadata at shutdown failed: {}", node_id_,
                 std::string(metadata.message()));
  }
  return status;
}

void Ingester::RecordMetadata(std::string_view tenant,
                              std::span<const model::MetricMetadata> metadata) {
  std::lock_guard lock(metadata_mu_);
  auto it = metadata_.find(tenant);
  if (it == metadata_.end()) it = metadata_.emplace(std::string(tenant), TenantMetadata{}).first;
  TenantMetadata& t = it->second;
  for (const model::MetricMetadata& m : metadata) {
    if (m.metric_family.empty() || !model::IsValidUtf8(m.metric_family) ||
        !model::IsValidUtf8(m.help) || !model::IsValidUtf8(m.unit)) {
      metadata_dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    auto family = t.families.find(m.metric_family);
    if (family == t.families.end()) {
      if (t.families.size() >= kMaxMetadataFamiliesPerTenant) {
        metadata_dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      family = t.families.emplace(std::string(m.metric_family), catalog::FamilyMetadata{}).first;
      family->second.family = std::string(m.metric_family);
    } else if (family->second.type == m.type && family->second.help == m.help &&
               family->second.unit == m.unit) {
      continue;  // resent unchanged, as Prometheus does every minute
    }
    family->second.type = m.type;
    family->second.help = std::string(m.help);
    family->second.unit = std::string(m.unit);
    t.dirty = true;
  }
}

absl::Status Ingester::PersistMetadata() {
  std::lock_guard persist_lock(persist_mu_);
  std::vector<std::string> dirty;
  {
    std::lock_guard lock(metadata_mu_);
    for (const auto& [tenant, t] : metadata_) {
      if (t.dirty) dirty.push_back(tenant);
    }
  }
  absl::Status first_error;
  for (const std::string& tenant : dirty) {
    bool merged;
    {
      std::lock_guard lock(metadata_mu_);
      merged = metadata_[tenant].merged_stored;
    }
    if (!merged) {
      // Families this ingester wrote before a restart and has not heard about since.
      absl::StatusOr<std::vector<catalog::FamilyMetadata>> stored =
          catalog::ReadWriterMetadata(*store_, tenant, node_id_);
      if (!stored.ok()) {
        first_error.Update(stored.status());
        continue;
      }
      std::lock_guard lock(metadata_mu_);
      TenantMetadata& t = metadata_[tenant];
      for (catalog::FamilyMetadata& f : *stored) {
        if (t.families.size() >= kMaxMetadataFamiliesPerTenant) break;
        t.families.try_emplace(f.family, std::move(f));
      }
      t.merged_stored = true;
    }
    std::vector<catalog::FamilyMetadata> families;
    {
      std::lock_guard lock(metadata_mu_);
      TenantMetadata& t = metadata_[tenant];
      families.reserve(t.families.size());
      for (const auto& [name, f] : t.families) families.push_back(f);
      t.dirty = false;
    }
    absl::Status written = catalog::WriteWriterMetadata(*store_, tenant, node_id_, families);
    if (!written.ok()) {
      std::lock_guard lock(metadata_mu_);
      metadata_[tenant].dirty = true;
      first_error.Update(written);
    }
  }
  return first_error;
}

IngesterStats Ingester::stats() const {
  IngesterStats stats;
  stats.samples_accepted = samples_accepted_.load();
  stats.samples_rejected = samples_rejected_.load();
  stats.writes_refused = writes_refused_.load();
  stats.flushes = flushes_.load();
  stats.flush_failures = flush_failures_.load();
  stats.chunks_committed = chunks_committed_.load();
  stats.rows_committed = rows_committed_.load();
  stats.bytes_committed = bytes_committed_.load();
  stats.replayed_records = replayed_records_.load();
  stats.replay_skipped_records = replay_skipped_records_.load();
  stats.metadata_dropped = metadata_dropped_.load();
  std::lock_guard lock(mu_);
  for (const auto& [name, tenant] : tenants_) {
    stats.buffered_rows += tenant->active->rows();
    for (const auto& sealed : tenant->sealed) stats.buffered_rows += sealed->rows();
  }
  stats.buffered_bytes = BufferedBytesLocked();
  return stats;
}

std::vector<std::string> Ingester::tenants() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, tenant] : tenants_) names.push_back(name);
  return names;
}

}  // namespace cardinalsin::ingest
