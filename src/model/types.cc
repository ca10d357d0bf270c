#include "model/types.h"

#include <algorithm>

namespace cardinalsin::model {

std::string_view TypeName(TypeId type) {
  switch (type) {
    case TypeId::kBool:
      return "bool";
    case TypeId::kInt64:
      return "int64";
    case TypeId::kUInt64:
      return "uint64";
    case TypeId::kDouble:
      return "double";
    case TypeId::kString:
      return "string";
    case TypeId::kTimestampNs:
      return "timestamp_ns";
  }
  return "unknown";
}

std::optional<size_t> Schema::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return i;
  }
  return std::nullopt;
}

bool IsReservedColumnName(std::string_view name) {
  return name == kTimestampColumn || name == kMetricNameColumn || name == kValueColumn ||
         name == kSeriesIdColumn;
}

Schema MetricsSchema(std::vector<std::string> label_names) {
  std::sort(label_names.begin(), label_names.end());
  std::vector<Field> fields = {
      {std::string(kTimestampColumn), TypeId::kTimestampNs, false},
      {std::string(kMetricNameColumn), TypeId::kString, false},
      {std::string(kValueColumn), TypeId::kDouble, false},
      {std::string(kSeriesIdColumn), TypeId::kUInt64, false},
  };
  for (std::string& name : label_names) fields.push_back({std::move(name), TypeId::kString, true});
  return Schema(std::move(fields));
}

}  // namespace cardinalsin::model
