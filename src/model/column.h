// File: column.h
//
// A typed column of values with optional nulls: the unit every layer above model/ (Parquet codec,
// ingest buffer, SQL and PromQL executors) moves data in. Strings are stored either plainly (one
// byte buffer plus offsets, as in Arrow) or dictionary-encoded (distinct values plus a code per
// row), which is how label columns of sorted metrics chunks arrive and leave Parquet cheaply.
//
//   Column ts = Column::FromInt64(TypeId::kTimestampNs, {1, 2, 3});
//   Column job = Column::FromDictionary(StringVector::Of({"api", "db"}), {0, 0, 1});
//   job.StringAt(2);  // "db"
//
// Validity: empty means "no nulls"; otherwise one byte per row, 1 = valid. A null row's value slot
// holds a default (0, "", code 0) so that vectorised code can ignore validity when it wants.
//
// Thread-safety: const methods may run concurrently; mutation needs external synchronisation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/types.h"

namespace cardinalsin::model {

// Strings packed into one buffer: value i is bytes[offsets[i], offsets[i + 1]).
class StringVector {
 public:
  StringVector() : offsets_{0} {}
  static StringVector Of(std::initializer_list<std::string_view> values);

  size_t size() const { return offsets_.size() - 1; }
  // REQUIRES: i < size().
  std::string_view Get(size_t i) const {
    return std::string_view(bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  void Append(std::string_view value);
  void Reserve(size_t count, size_t total_bytes);
  const std::vector<uint64_t>& offsets() const { return offsets_; }
  const std::string& bytes() const { return bytes_; }

  bool operator==(const StringVector&) const = default;

 private:
  std::vector<uint64_t> offsets_;
  std::string bytes_;
};

struct DictionaryStrings {
  StringVector dictionary;      // distinct values (not necessarily sorted)
  std::vector<uint32_t> codes;  // one per row, each < dictionary.size()

  bool operator==(const DictionaryStrings&) const = default;
};

class Column;
Column Concat(TypeId type, std::span<const Column> pieces);

class Column {
 public:
  using Storage = std::variant<std::vector<uint8_t>,   // kBool (0 or 1)
                               std::vector<int64_t>,   // kInt64, kTimestampNs
                               std::vector<uint64_t>,  // kUInt64
                               std::vector<double>,    // kDouble
                               StringVector,           // kString, plain
                               DictionaryStrings>;     // kString, dictionary-encoded

  static Column FromBool(std::vector<uint8_t> values);
  // REQUIRES: type is kInt64 or kTimestampNs.
  static Column FromInt64(TypeId type, std::vector<int64_t> values);
  static Column FromUInt64(std::vector<uint64_t> values);
  static Column FromDouble(std::vector<double> values);
  static Column FromStrings(StringVector values);
  // REQUIRES: every code < dictionary.size().
  static Column FromDictionary(StringVector dictionary, std::vector<uint32_t> codes);
  // An empty column of `type` (plain strings for kString).
  static Column Empty(TypeId type);

  TypeId type() const { return type_; }
  size_t size() const;
  bool is_dictionary() const { return std::holds_alternative<DictionaryStrings>(storage_); }

  // REQUIRES: validity is empty or has size() entries of 0 / 1.
  void SetValidity(std::vector<uint8_t> validity);
  const std::vector<uint8_t>& validity() const { return validity_; }
  bool IsValid(size_t i) const { return validity_.empty() || validity_[i] != 0; }
  size_t null_count() const;

  // Typed views. REQUIRES: the matching type (and plain vs dictionary for strings).
  const std::vector<uint8_t>& bools() const { return std::get<std::vector<uint8_t>>(storage_); }
  const std::vector<int64_t>& int64s() const { return std::get<std::vector<int64_t>>(storage_); }
  const std::vector<uint64_t>& uint64s() const { return std::get<std::vector<uint64_t>>(storage_); }
  const std::vector<double>& doubles() const { return std::get<std::vector<double>>(storage_); }
  const StringVector& strings() const { return std::get<StringVector>(storage_); }
  const DictionaryStrings& dictionary() const { return std::get<DictionaryStrings>(storage_); }
  const Storage& storage() const { return storage_; }

  // Row i of a string column, plain or dictionary. REQUIRES: type() == kString.
  // Inline: writers and scans call it per row.
  std::string_view StringAt(size_t i) const {
    if (const auto* dict = std::get_if<DictionaryStrings>(&storage_)) {
      return dict->dictionary.Get(dict->codes[i]);
    }
    return std::get<StringVector>(storage_).Get(i);
  }

  // Rows at `selection` (in that order), keeping the encoding. REQUIRES: indices < size().
  Column Take(std::span<const uint32_t> selection) const;
  // The same values with plain string storage. REQUIRES: type() == kString.
  Column DecodeDictionary() const;

  // Logical equality: same type, same validity, same values (dictionary vs plain compares by
  // value; doubles compare bitwise, so NaN equals NaN with the same payload).
  bool Equals(const Column& other) const;

 private:
  friend Column Concat(TypeId type, std::span<const Column> pieces);
  Column(TypeId type, Storage storage) : type_(type), storage_(std::move(storage)) {}

  TypeId type_;
  Storage storage_;
  std::vector<uint8_t> validity_;
};

// Concatenates `pieces` (all of `type`) in order. Dictionary-encoded strings stay
// dictionary-encoded (dictionaries merged) when every piece is; otherwise strings come out plain.
Column Concat(TypeId type, std::span<const Column> pieces);

}  // namespace cardinalsin::model
