#include "model/record_batch.h"

#include "absl/strings/str_format.h"

namespace cardinalsin::model {

absl::Status RecordBatch::Validate() const {
  if (columns_.size() != schema_.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("batch has %d columns for %d fields", columns_.size(), schema_.size()));
  }
  const size_t rows = num_rows();
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Field& field = schema_.field(i);
    const Column& column = columns_[i];
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrFormat("column '%s': %s", field.name, why));
    };
    if (column.type() != field.type) {
      return bad(absl::StrFormat("type %s, schema says %s", TypeName(column.type()),
                                 TypeName(field.type)));
    }
    if (column.size() != rows) {
      return bad(absl::StrFormat("%d rows, first column has %d", column.size(), rows));
    }
    if (!column.validity().empty() && column.validity().size() != rows) {
      return bad("validity length differs from the row count");
    }
    if (!field.nullable && column.null_count() > 0) return bad("nulls in a non-nullable field");
    if (column.is_dictionary()) {
      const DictionaryStrings& dict = column.dictionary();
      for (uint32_t code : dict.codes) {
        if (code >= dict.dictionary.size()) {
          return bad(
              absl::StrFormat("dictionary code %d out of range %d", code, dict.dictionary.size()));
        }
      }
    }
  }
  return absl::OkStatus();
}

RecordBatch RecordBatch::Take(std::span<const uint32_t> selection) const {
  std::vector<Column> taken;
  taken.reserve(columns_.size());
  for (const Column& column : columns_) taken.push_back(column.Take(selection));
  return RecordBatch(schema_, std::move(taken));
}

bool RecordBatch::Equals(const RecordBatch& other) const {
  if (!(schema_ == other.schema_) || columns_.size() != other.columns_.size()) return false;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!columns_[i].Equals(other.columns_[i])) return false;
  }
  return true;
}

}  // namespace cardinalsin::model
