#include "catalog/metadata.h"

#include <algorithm>
#include <array>

#include "base/status_macros.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::catalog {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kFormatVersion = 1;

constexpr std::array<std::pair<model::MetricType, std::string_view>, 8> kTypeNames = {{
    {model::MetricType::kUnknown, "unknown"},
    {model::MetricType::kCounter, "counter"},
    {model::MetricType::kGauge, "gauge"},
    {model::MetricType::kHistogram, "histogram"},
    {model::MetricType::kGaugeHistogram, "gaugehistogram"},
    {model::MetricType::kSummary, "summary"},
    {model::MetricType::kInfo, "info"},
    {model::MetricType::kStateset, "stateset"},
}};

}  // namespace

std::string_view MetricTypeName(model::MetricType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::string MetadataPrefix(std::string_view tenant) { return base::StrCat(tenant, "/metadata/"); }

std::string MetadataKey(std::string_view tenant, std::string_view writer_id) {
  return base::StrCat(MetadataPrefix(tenant), writer_id, ".json");
}

std::string EncodeMetadata(std::string_view writer_id, std::span<const FamilyMetadata> families) {
  Json list = Json::array();
  for (const FamilyMetadata& f : families) {
    list.push_back({{"family", f.family},
                    {"type", std::string(MetricTypeName(f.type))},
                    {"help", f.help},
                    {"unit", f.unit}});
  }
  Json doc = {{"version", kFormatVersion}, {"writer", std::string(writer_id)}, {"families", list}};
  // Invalid UTF-8 in help texts is replaced rather than failing the whole object.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::vector<FamilyMetadata>> DecodeMetadata(std::string_view json) {
  Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("metadata object is not a JSON object");
  }
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || *version != kFormatVersion) {
    return absl::InvalidArgumentError(
        base::StrCat("metadata object has an unsupported version (want ", kFormatVersion, ")"));
  }
  auto families = doc.find("families");
  if (families == doc.end() || !families->is_array()) {
    return absl::InvalidArgumentError("metadata object has no \"families\" array");
  }
  std::vector<FamilyMetadata> out;
  out.reserve(families->size());
  for (const Json& f : *families) {
    if (!f.is_object()) return absl::InvalidArgumentError("metadata family is not an object");
    FamilyMetadata m;
    for (const char* field : {"family", "type", "help", "unit"}) {
      auto it = f.find(field);
      if (it == f.end() || !it->is_string()) {
        return absl::InvalidArgumentError(
            base::StrCat("metadata family lacks the string field \"", field, "\""));
      }
    }
    m.family = f["family"].get<std::string>();
    m.help = f["help"].get<std::string>();
    m.unit = f["unit"].get<std::string>();
    const std::string type = f["type"].get<std::string>();
    auto t = std::find_if(kTypeNames.begin(), kTypeNames.end(),
                          [&](const auto& entry) { return entry.second == type; });
    if (t == kTypeNames.end()) {
      return absl::InvalidArgumentError(
          base::StrCat("metadata family \"", m.family, "\" has an unknown type \"", type, "\""));
    }
    m.type = t->first;
    out.push_back(std::move(m));
  }
  return out;
}

absl::Status WriteWriterMetadata(io::ObjectStore& store, std::string_view tenant,
                                 std::string_view writer_id,
                                 std::span<const FamilyMetadata> families) {
  return store.Put(MetadataKey(tenant, writer_id), EncodeMetadata(writer_id, families)).status();
}

absl::StatusOr<std::vector<FamilyMetadata>> ReadWriterMetadata(io::ObjectStore& store,
                                                               std::string_view tenant,
                                                               std::string_view writer_id) {
  const std::string key = MetadataKey(tenant, writer_id);
  absl::StatusOr<std::string> body = store.Get(key);
  if (absl::IsNotFound(body.status())) return std::vector<FamilyMetadata>{};
  CS_RETURN_IF_ERROR(body.status());
  absl::StatusOr<std::vector<FamilyMetadata>> decoded = DecodeMetadata(*body);
  if (!decoded.ok()) {
    return absl::DataLossError(base::StrCat(key, ": ", decoded.status().message()));
  }
  return decoded;
}

absl::StatusOr<std::vector<FamilyMetadata>> ReadTenantMetadata(io::ObjectStore& store,
                                                               std::string_view tenant) {
  CS_ASSIGN_OR_RETURN(std::vector<io::ObjectMeta> objects,
                      io::ListAll(store, MetadataPrefix(tenant)));
  std::vector<FamilyMetadata> all;
  for (const io::ObjectMeta& object : objects) {
    if (!object.key.ends_with(".json")) continue;
    absl::StatusOr<std::string> body = store.Get(object.key);
    if (absl::IsNotFound(body.status())) continue;  // replaced or deleted since the listing
    CS_RETURN_IF_ERROR(body.status());
    absl::StatusOr<std::vector<FamilyMetadata>> decoded = DecodeMetadata(*body);
    if (!decoded.ok()) {
      return absl::DataLossError(base::StrCat(object.key, ": ", decoded.status().message()));
    }
    all.insert(all.end(), std::make_move_iterator(decoded->begin()),
               std::make_move_iterator(decoded->end()));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace cardinalsin::catalog
