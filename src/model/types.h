// File: types.h
//
// Scalar types and schemas of CardinalSin's columnar data (ARCHITECTURE.md section 2).
//
//   Schema schema = MetricsSchema({"instance", "job"});
//   // timestamp, metric_name, value, series_id, instance, job
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardinalsin::model {

using TimestampNs = int64_t;  // nanoseconds since the Unix epoch, UTC
using SeriesId = uint64_t;    // hash of the sorted label set including the metric name

// The physical type of a column. Serialised in format docs, hence the fixed underlying type.
enum class TypeId : uint8_t {
  kBool = 1,
  kInt64 = 2,
  kUInt64 = 3,
  kDouble = 4,
  kString = 5,
  kTimestampNs = 6,  // int64 storage, TIMESTAMP(NANOS, UTC) semantics
};

std::string_view TypeName(TypeId type);

struct Field {
  std::string name;
  TypeId type = TypeId::kString;
  bool nullable = true;

  bool operator==(const Field&) const = default;
};

class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  const Field& field(size_t i) const { return fields_[i]; }
  // Index of the field called `name`, if any. Linear: schemas are narrow.
  std::optional<size_t> IndexOf(std::string_view name) const;

  bool operator==(const Schema&) const = default;

 private:
  std::vector<Field> fields_;
};

// Names of the fixed columns of the `metrics` table.
inline constexpr std::string_view kTimestampColumn = "timestamp";
inline constexpr std::string_view kMetricNameColumn = "metric_name";
inline constexpr std::string_view kValueColumn = "value";
inline constexpr std::string_view kSeriesIdColumn = "series_id";

// True for the fixed column names, which no label may take (the original's defect 9).
bool IsReservedColumnName(std::string_view name);

// The `metrics` row schema: timestamp, metric_name, value, series_id, then one nullable string
// column per label key in `label_names`, sorted by name. REQUIRES: no reserved or repeated names.
Schema MetricsSchema(std::vector<std::string> label_names);

}  // namespace cardinalsin::model
