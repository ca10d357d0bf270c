// File: internal/group_table.h
//
// Maps rows of key columns to dense group ids (0, 1, 2, ... in order of first appearance), as
// used by HashAggregate and HashJoin. Keys compare by value: plain and dictionary strings with
// equal text are one key (strings are interned; dictionary entries are interned once per batch
// entry, not per row), doubles compare per CompareDoubles (-0 == 0, NaN == NaN), NULL is a key
// value of its own. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "exec/value.h"

namespace cardinalsin::exec::internal {

class GroupTable {
 public:
  static constexpr uint32_t kNoGroup = 0xffffffffu;

  explicit GroupTable(std::vector<TypeId> key_types);

  // Group id per row of `keys` (one column per key type), inserting new groups. With no key
  // columns every row maps to group 0 (created by the first call or EnsureSingleGroup()).
  void Map(std::span<const Column> keys, size_t rows, std::vector<uint32_t>* groups);
  // Group id per row without inserting: kNoGroup for unseen keys and for rows with a NULL key
  // (SQL equality never matches NULL).
  void Find(std::span<const Column> keys, size_t rows, std::vector<uint32_t>* groups);
  void EnsureSingleGroup();

  size_t num_groups() const { return num_groups_; }
  // The key values of every group, in group order (consumes the table's key storage).
  std::vector<Column> TakeKeyColumns();
  // Approximate bytes held, for memory accounting.
  int64_t MemoryBytes() const;

 private:
  // For rows sel[0..n) (rows 0..n when sel is null): the 64-bit code of key column k (interned
  // id for strings) and its validity, one per selected row.
  void Encode(size_t k, const Column& c, const uint32_t* sel, size_t n, bool insert,
              std::vector<uint64_t>* codes, std::vector<uint8_t>* valid);
  // Sets changed[i] for each row i >= 1 of the first `rows` whose key in column `c` differs
  // from row i - 1's (NULL equals NULL). May mark equal keys in different representations,
  // never misses a difference.
  static void MarkKeyChanges(const Column& c, size_t rows, uint8_t* changed);
  // The interned id of `s` in key column k's table; kNoGroup when absent and !insert.
  uint64_t Intern(size_t k, std::string_view s, bool insert);
  uint32_t NewGroup(std::span<const Column> keys, size_t row);

  std::vector<TypeId> key_types_;
  std::vector<absl::flat_hash_map<std::string, uint32_t>> interned_;  // per string key column
  std::vector<int64_t> interned_bytes_;
  absl::flat_hash_map<uint64_t, uint32_t> single_;  // one key column, valid values
  uint32_t single_null_group_ = kNoGroup;
  std::vector<uint32_t> string_to_group_;             // one string key column: interned id -> group
  absl::flat_hash_map<std::string, uint32_t> multi_;  // several key columns: packed codes
  std::vector<ColumnBuilder> key_values_;
  size_t num_groups_ = 0;
};

}  // namespace cardinalsin::exec::internal
