#include "catalog/log_entry.h"

#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::catalog {
namespace {

// Insertion-ordered objects keep the encoded field order readable ("version" first).
using Json = nlohmann::ordered_json;

Json SummaryToJson(const ChunkSummary& s) {
  Json labels = Json::object();
  for (const auto& [name, range] : s.labels) {
    labels[name] = Json{{"min", range.min}, {"max", range.max}};
  }
  return Json{{"path", s.path},
              {"level", s.level},
              {"min_time_ns", s.min_time_ns},
              {"max_time_ns", s.max_time_ns},
              {"row_count", s.row_count},
              {"series_count", s.series_count},
              {"size_bytes", s.size_bytes},
              {"min_metric", s.min_metric},
              {"max_metric", s.max_metric},
              {"labels", std::move(labels)},
              {"created_at_ns", s.created_at_ns}};
}

absl::StatusOr<std::string> Dump(const Json& json, int indent) {
  try {
    return json.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::strict);
  } catch (const Json::exception& e) {
    // The only failure of dump() with the strict handler: a string that is not UTF-8.
    return absl::InvalidArgumentError(
        base::StrCat("catalog JSON cannot be encoded (strings must be valid UTF-8): ", e.what()));
  }
}

// Reads fields of untrusted JSON; every error is DataLoss naming the object key and the field.
class Reader {
 public:
  explicit Reader(std::string_view key) : key_(key) {}

  absl::Status Error(std::string_view where, std::string_view what) const {
    return absl::DataLossError(base::StrCat("catalog object ", key_, ": ", where, ": ", what));
  }

  absl::StatusOr<Json> Parse(std::string_view text) const {
    try {
      return Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
      return Error("not valid JSON", e.what());
    }
  }

  absl::StatusOr<const Json*> Field(const Json& object, std::string_view where,
                                    const char* name) const {
    if (!object.is_object()) return Error(where, "expected an object");
    auto it = object.find(name);
    if (it == object.end()) return Error(where, base::StrCat("missing field \"", name, "\""));
    return &*it;
  }

  absl::StatusOr<const Json*> Typed(const Json& object, std::string_view where, const char* name,
                                    Json::value_t type) const {
    CS_ASSIGN_OR_RETURN(const Json* value, Field(object, where, name));
    if (value->type() != type) {
      return Error(where, base::StrCat("field \"", name, "\" must be ", TypeName(type), ", not ",
                                       value->type_name()));
    }
    return value;
  }

  absl::StatusOr<std::string> String(const Json& object, std::string_view where,
                                     const char* name) const {
    CS_ASSIGN_OR_RETURN(const Json* value, Typed(object, where, name, Json::value_t::string));
    return value->get<std::string>();
  }

  absl::StatusOr<uint64_t> Uint64(const Json& object, std::string_view where,
                                  const char* name) const {
    CS_ASSIGN_OR_RETURN(const Json* value, Field(object, where, name));
    // nlohmann parses every non-negative integer as unsigned.
    if (!value->is_number_unsigned()) {
      return Error(where, base::StrCat("field \"", name, "\" must be a non-negative integer"));
    }
    return value->get<uint64_t>();
  }

  absl::StatusOr<int64_t> Int64(const Json& object, std::string_view where,
                                const char* name) const {
    CS_ASSIGN_OR_RETURN(const Json* value, Field(object, where, name));
    if (value->is_number_unsigned()) {
      uint64_t u = value->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Error(where, base::StrCat("field \"", name, "\" is out of the int64 range"));
      }
      return static_cast<int64_t>(u);
    }
    if (!value->is_number_integer()) {
      return Error(where, base::StrCat("field \"", name, "\" must be an integer"));
    }
    return value->get<int64_t>();
  }

  absl::Status CheckVersion(const Json& root) const {
    CS_ASSIGN_OR_RETURN(uint64_t version, Uint64(root, "top level", "version"));
    if (version == 0) return Error("top level", "version 0 does not exist");
    if (version > static_cast<uint64_t>(kFormatVersion)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "catalog object %s has format version %d, but this build reads only up to version %d; "
          "upgrade CardinalSin",
          std::string(key_), version, kFormatVersion));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ChunkSummary> Summary(const Json& json, const std::string& where) const {
    ChunkSummary s;
    CS_ASSIGN_OR_RETURN(s.path, String(json, where, "path"));
    CS_ASSIGN_OR_RETURN(int64_t level, Int64(json, where, "level"));
    if (level < 0 || level > std::numeric_limits<int>::max()) {
      return Error(where, base::StrCat("level ", level, " is out of range"));
    }
    s.level = static_cast<int>(level);
    CS_ASSIGN_OR_RETURN(s.min_time_ns, Int64(json, where, "min_time_ns"));
    CS_ASSIGN_OR_RETURN(s.max_time_ns, Int64(json, where, "max_time_ns"));
    CS_ASSIGN_OR_RETURN(s.row_count, Uint64(json, where, "row_count"));
    CS_ASSIGN_OR_RETURN(s.series_count, Uint64(json, where, "series_count"));
    CS_ASSIGN_OR_RETURN(s.size_bytes, Uint64(json, where, "size_bytes"));
    CS_ASSIGN_OR_RETURN(s.min_metric, String(json, where, "min_metric"));
    CS_ASSIGN_OR_RETURN(s.max_metric, String(json, where, "max_metric"));
    CS_ASSIGN_OR_RETURN(const Json* labels, Typed(json, where, "labels", Json::value_t::object));
    for (const auto& item : labels->items()) {
      std::string label_where = base::StrCat(where, ".labels.", item.key());
      LabelRange range;
      CS_ASSIGN_OR_RETURN(range.min, String(item.value(), label_where, "min"));
      CS_ASSIGN_OR_RETURN(range.max, String(item.value(), label_where, "max"));
      if (!s.labels.emplace(item.key(), std::move(range)).second) {
        return Error(where, base::StrCat("label \"", item.key(), "\" is listed twice"));
      }
    }
    CS_ASSIGN_OR_RETURN(s.created_at_ns, Int64(json, where, "created_at_ns"));
    return s;
  }

  absl::StatusOr<RemovedChunk> Removed(const Json& json, const std::string& where) const {
    RemovedChunk r;
    CS_ASSIGN_OR_RETURN(r.path, String(json, where, "path"));
    CS_ASSIGN_OR_RETURN(r.removed_at_ns, Int64(json, where, "removed_at_ns"));
    return r;
  }

 private:
  static const char* TypeName(Json::value_t type) {
    switch (type) {
      case Json::value_t::string:
        return "a string";
      case Json::value_t::object:
        return "an object";
      case Json::value_t::array:
        return "an array";
      default:
        return "a value of another type";
    }
  }

  std::string_view key_;
};

}  // namespace

absl::StatusOr<std::string> EncodeLogEntry(const LogEntry& entry) {
  Json actions = Json::array();
  for (const Action& action : entry.actions) {
    if (const auto* add = std::get_if<ChunkSummary>(&action)) {
      actions.push_back(Json{{"add", SummaryToJson(*add)}});
    } else if (const auto* remove = std::get_if<RemovedChunk>(&action)) {
      actions.push_back(
          Json{{"remove", {{"path", remove->path}, {"removed_at_ns", remove->removed_at_ns}}}});
    } else {
      const auto& mark = std::get<WatermarkAction>(action);
      actions.push_back(Json{{"watermark", {{"writer", mark.writer}, {"wal_seq", mark.wal_seq}}}});
    }
  }
  return Dump(Json{{"version", kFormatVersion},
                   {"seq", entry.seq},
                   {"writer", entry.writer},
                   {"committed_at_ns", entry.committed_at_ns},
                   {"actions", std::move(actions)}},
              -1);
}

absl::StatusOr<LogEntry> DecodeLogEntry(std::string_view json, std::string_view key,
                                        uint64_t expected_seq) {
  Reader r(key);
  CS_ASSIGN_OR_RETURN(Json root, r.Parse(json));
  if (!root.is_object()) return r.Error("top level", "expected an object");
  CS_RETURN_IF_ERROR(r.CheckVersion(root));
  LogEntry entry;
  CS_ASSIGN_OR_RETURN(entry.seq, r.Uint64(root, "top level", "seq"));
  if (entry.seq != expected_seq) {
    return r.Error("top level",
                   absl::StrFormat("seq is %d but the key says %d", entry.seq, expected_seq));
  }
  CS_ASSIGN_OR_RETURN(entry.writer, r.String(root, "top level", "writer"));
  CS_ASSIGN_OR_RETURN(entry.committed_at_ns, r.Int64(root, "top level", "committed_at_ns"));
  CS_ASSIGN_OR_RETURN(const Json* actions,
                      r.Typed(root, "top level", "actions", Json::value_t::array));
  entry.actions.reserve(actions->size());
  for (size_t i = 0; i < actions->size(); ++i) {
    const Json& action = (*actions)[i];
    std::string where = absl::StrFormat("actions[%d]", i);
    if (!action.is_object() || action.size() != 1) {
      return r.Error(where, "expected an object with exactly one action kind");
    }
    const std::string& kind = action.begin().key();
    const Json& body = action.begin().value();
    where = base::StrCat(where, ".", kind);
    if (kind == "add") {
      CS_ASSIGN_OR_RETURN(ChunkSummary add, r.Summary(body, where));
      entry.actions.emplace_back(std::move(add));
    } else if (kind == "remove") {
      CS_ASSIGN_OR_RETURN(RemovedChunk remove, r.Removed(body, where));
      entry.actions.emplace_back(std::move(remove));
    } else if (kind == "watermark") {
      WatermarkAction mark;
      CS_ASSIGN_OR_RETURN(mark.writer, r.String(body, where, "writer"));
      CS_ASSIGN_OR_RETURN(mark.wal_seq, r.Uint64(body, where, "wal_seq"));
      entry.actions.emplace_back(std::move(mark));
    } else {
      return r.Error(
          where, absl::StrFormat("unknown action kind \"%s\" in commit seq %d", kind, entry.seq));
    }
  }
  return entry;
}

absl::StatusOr<std::string> EncodeSnapshot(const Snapshot& snapshot, int indent) {
  Json chunks = Json::array();
  for (const auto& entry : snapshot.chunks) chunks.push_back(SummaryToJson(entry.second));
  Json watermarks = Json::object();
  for (const auto& [writer, wal_seq] : snapshot.watermarks) watermarks[writer] = wal_seq;
  Json removed = Json::array();
  for (const RemovedChunk& r : snapshot.removed) {
    removed.push_back(Json{{"path", r.path}, {"removed_at_ns", r.removed_at_ns}});
  }
  return Dump(Json{{"version", kFormatVersion},
                   {"seq", snapshot.seq},
                   {"chunks", std::move(chunks)},
                   {"watermarks", std::move(watermarks)},
                   {"removed", std::move(removed)}},
              indent);
}

absl::StatusOr<Snapshot> DecodeSnapshot(std::string_view json, std::string_view key) {
  Reader r(key);
  CS_ASSIGN_OR_RETURN(Json root, r.Parse(json));
  if (!root.is_object()) return r.Error("top level", "expected an object");
  CS_RETURN_IF_ERROR(r.CheckVersion(root));
  Snapshot snapshot;
  CS_ASSIGN_OR_RETURN(snapshot.seq, r.Uint64(root, "top level", "seq"));
  CS_ASSIGN_OR_RETURN(const Json* chunks,
                      r.Typed(root, "top level", "chunks", Json::value_t::array));
  for (size_t i = 0; i < chunks->size(); ++i) {
    CS_ASSIGN_OR_RETURN(ChunkSummary summary,
                        r.Summary((*chunks)[i], absl::StrFormat("chunks[%d]", i)));
    std::string path = summary.path;
    if (!snapshot.chunks.emplace(path, std::move(summary)).second) {
      return r.Error("chunks", base::StrCat("chunk ", path, " is listed twice"));
    }
  }
  CS_ASSIGN_OR_RETURN(const Json* watermarks,
                      r.Typed(root, "top level", "watermarks", Json::value_t::object));
  for (const auto& item : watermarks->items()) {
    if (!item.value().is_number_unsigned()) {
      return r.Error("watermarks", base::StrCat("the watermark of \"", item.key(),
                                                "\" must be a non-negative integer"));
    }
    snapshot.watermarks[item.key()] = item.value().get<uint64_t>();
  }
  CS_ASSIGN_OR_RETURN(const Json* removed,
                      r.Typed(root, "top level", "removed", Json::value_t::array));
  snapshot.removed.reserve(removed->size());
  for (size_t i = 0; i < removed->size(); ++i) {
    CS_ASSIGN_OR_RETURN(RemovedChunk chunk,
                        r.Removed((*removed)[i], absl::StrFormat("removed[%d]", i)));
    snapshot.removed.push_back(std::move(chunk));
  }
  return snapshot;
}

absl::Status ApplyLogEntry(std::string_view tenant, const LogEntry& entry, Snapshot* state) {
  if (entry.seq != state->seq + 1) {
    return absl::FailedPreconditionError(
        absl::StrFormat("commit seq %d cannot follow state seq %d", entry.seq, state->seq));
  }
  // Paths are never reused: an added path must not be in the removed list. One scan of that
  // list per entry, without building an index of it.
  std::set<std::string_view> added;
  for (const Action& action : entry.actions) {
    if (const auto* add = std::get_if<ChunkSummary>(&action)) added.insert(add->path);
  }
  if (!added.empty()) {
    for (const RemovedChunk& r : state->removed) {
      if (added.contains(r.path)) {
        return absl::FailedPreconditionError(base::StrCat(
            "cannot add chunk ", r.path, ": it was removed before and paths are never reused"));
      }
    }
  }
  for (const Action& action : entry.actions) {
    if (const auto* add = std::get_if<ChunkSummary>(&action)) {
      CS_RETURN_IF_ERROR(ValidateChunkSummary(tenant, *add));
      if (state->chunks.contains(add->path)) {
        return absl::FailedPreconditionError(
            base::StrCat("cannot add chunk ", add->path, ": it is already live"));
      }
      state->chunks.emplace(add->path, *add);
    } else if (const auto* remove = std::get_if<RemovedChunk>(&action)) {
      if (added.contains(remove->path)) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "commit seq %d both adds and removes chunk %s", entry.seq, remove->path));
      }
      if (state->chunks.erase(remove->path) == 0) {
        return absl::FailedPreconditionError(
            base::StrCat("cannot remove chunk ", remove->path, ": it is not live"));
      }
      state->removed.push_back(*remove);
    } else {
      const auto& mark = std::get<WatermarkAction>(action);
      if (mark.writer.empty()) {
        return absl::FailedPreconditionError("a watermark needs a non-empty writer id");
      }
      auto [it, inserted] = state->watermarks.emplace(mark.writer, mark.wal_seq);
      if (!inserted) {
        if (mark.wal_seq < it->second) {
          return absl::FailedPreconditionError(
              absl::StrFormat("the watermark of writer %s cannot go back from WAL seq %d to %d",
                              mark.writer, it->second, mark.wal_seq));
        }
        it->second = mark.wal_seq;
      }
    }
  }
  state->seq = entry.seq;
  // Saturating: committed_at_ns comes from the log and may be anything.
  const int64_t retention_ns = absl::ToInt64Nanoseconds(kRemovedRetention);
  const int64_t cutoff = entry.committed_at_ns < std::numeric_limits<int64_t>::min() + retention_ns
                             ? std::numeric_limits<int64_t>::min()
                             : entry.committed_at_ns - retention_ns;
  std::erase_if(state->removed,
                [cutoff](const RemovedChunk& r) { return r.removed_at_ns < cutoff; });
  return absl::OkStatus();
}

}  // namespace cardinalsin::catalog
