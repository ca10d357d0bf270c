#include "exec/internal/group_table.h"

#include <cstring>

#include "base/strings.h"
#include "exec/internal/kernels.h"

namespace cardinalsin::exec::internal {

GroupTable::GroupTable(std::vector<TypeId> key_types)
    : key_types_(std::move(key_types)),
      interned_(key_types_.size()),
      interned_bytes_(key_types_.size(), 0) {
  for (TypeId t : key_types_) key_values_.emplace_back(t);
}

void GroupTable::Encode(size_t k, const Column& c, const uint32_t* sel, size_t n, bool insert,
                        std::vector<uint64_t>* codes, std::vector<uint8_t>* valid) {
  codes->resize(n);
  valid->resize(n);
  uint64_t* out = codes->data();
  auto row = [sel](size_t j) -> size_t { return sel != nullptr ? sel[j] : j; };
  if (c.null_count() == 0) {
    std::fill(valid->begin(), valid->end(), uint8_t{1});
  } else {
    for (size_t j = 0; j < n; ++j) (*valid)[j] = c.IsValid(row(j));
  }
  switch (c.type()) {
    case TypeId::kBool:
      for (size_t j = 0; j < n; ++j) out[j] = c.bools()[row(j)];
      break;
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      for (size_t j = 0; j < n; ++j) out[j] = static_cast<uint64_t>(c.int64s()[row(j)]);
      break;
    case TypeId::kUInt64:
      for (size_t j = 0; j < n; ++j) out[j] = c.uint64s()[row(j)];
      break;
    case TypeId::kDouble:
      for (size_t j = 0; j < n; ++j) out[j] = NormalizeDoubleBits(c.doubles()[row(j)]);
      break;
    case TypeId::kString: {
      auto intern = [&](std::string_view s) { return Intern(k, s, insert); };
      if (c.is_dictionary()) {
        const model::DictionaryStrings& d = c.dictionary();
        std::vector<uint64_t> entry(d.dictionary.size(), UINT64_MAX);
        for (size_t j = 0; j < n; ++j) {
          if (!(*valid)[j]) {
            out[j] = 0;
            continue;
          }
          uint32_t code = d.codes[row(j)];
          if (entry[code] == UINT64_MAX) entry[code] = intern(d.dictionary.Get(code));
          out[j] = entry[code];
        }
      } else {
        for (size_t j = 0; j < n; ++j) {
          out[j] = (*valid)[j] ? intern(c.strings().Get(row(j))) : 0;
        }
      }
      break;
    }
  }
}

namespace {

// changed[i] |= values[i] != values[i - 1] for i in [1, rows), with `eq` comparing two rows.
template <typename Eq>
void MarkChanges(size_t rows, uint8_t* changed, Eq eq) {
  for (size_t i = 1; i < rows; ++i) changed[i] |= static_cast<uint8_t>(!eq(i, i - 1));
}

// changed[i] |= (the stored value of row i != row i - 1's), ignoring validity.
void MarkValueChanges(const Column& c, size_t rows, uint8_t* changed) {
  switch (c.type()) {
    case TypeId::kBool: {
      const auto& v = c.bools();
      MarkChanges(rows, changed, [&](size_t a, size_t b) { return v[a] == v[b]; });
      break;
    }
    case TypeId::kInt64:
    case TypeId::kTimestampNs: {
      const int64_t* v = c.int64s().data();
      MarkChanges(rows, changed, [v](size_t a, size_t b) { return v[a] == v[b]; });
      break;
    }
    case TypeId::kUInt64: {
      const uint64_t* v = c.uint64s().data();
      MarkChanges(rows, changed, [v](size_t a, size_t b) { return v[a] == v[b]; });
      break;
    }
    case TypeId::kDouble: {
      const double* v = c.doubles().data();
      MarkChanges(rows, changed, [v](size_t a, size_t b) {
        return NormalizeDoubleBits(v[a]) == NormalizeDoubleBits(v[b]);
      });
      break;
    }
    case TypeId::kString:
      if (c.is_dictionary()) {
        const uint32_t* v = c.dictionary().codes.data();
        MarkChanges(rows, changed, [v](size_t a, size_t b) { return v[a] == v[b]; });
      } else {
        const model::StringVector& v = c.strings();
        MarkChanges(rows, changed, [&v](size_t a, size_t b) { return v.Get(a) == v.Get(b); });
      }
      break;
  }
}

}  // namespace

void GroupTable::MarkKeyChanges(const Column& c, size_t rows, uint8_t* changed) {
  if (c.null_count() == 0) {
    MarkValueChanges(c, rows, changed);
    return;
  }
  // NULL equals NULL whatever the storage holds at that row.
  std::vector<uint8_t> differs(rows, 0);
  MarkValueChanges(c, rows, differs.data());
  for (size_t i = 1; i < rows; ++i) {
    const bool valid = c.IsValid(i);
    if (valid != c.IsValid(i - 1)) {
      changed[i] = 1;
    } else if (valid) {
      changed[i] |= differs[i];
    }
  }
}

uint64_t GroupTable::Intern(size_t k, std::string_view s, bool insert) {
  auto& table = interned_[k];
  auto it = table.find(base::AsAbsl(s));
  if (it != table.end()) return it->second;
  if (!insert) return kNoGroup;  // never a valid interned id below 2^32 - 1 in practice
  uint32_t id = static_cast<uint32_t>(table.size());
  table.emplace(std::string(s), id);
  interned_bytes_[k] += static_cast<int64_t>(s.size() + 48);
  return id;
}

uint32_t GroupTable::NewGroup(std::span<const Column> keys, size_t row) {
  for (size_t k = 0; k < keys.size(); ++k) key_values_[k].AppendFrom(keys[k], row);
  return static_cast<uint32_t>(num_groups_++);
}

void GroupTable::EnsureSingleGroup() {
  if (key_types_.empty() && num_groups_ == 0) num_groups_ = 1;
}

void GroupTable::Map(std::span<const Column> keys, size_t rows, std::vector<uint32_t>* groups) {
  groups->resize(rows);
  uint32_t* g = groups->data();
  if (key_types_.empty()) {
    EnsureSingleGroup();
    std::fill(g, g + rows, 0);
    return;
  }
  if (key_types_.size() == 1 && key_types_[0] == TypeId::kString && keys[0].is_dictionary() &&
      keys[0].null_count() == 0) {
    // One dictionary string key without NULLs (metric_name, a label): each entry is interned
    // and mapped to its group once per batch, rows then only index by their code.
    const model::DictionaryStrings& d = keys[0].dictionary();
    std::vector<uint32_t> group_of_code(d.dictionary.size(), kNoGroup);
    for (size_t i = 0; i < rows; ++i) {
      const uint32_t code = d.codes[i];
      uint32_t group = group_of_code[code];
      if (group == kNoGroup) {
        const uint64_t id = Intern(0, d.dictionary.Get(code), /*insert=*/true);
        if (id >= string_to_group_.size()) string_to_group_.resize(id + 1, kNoGroup);
        if (string_to_group_[id] == kNoGroup) string_to_group_[id] = NewGroup(keys, i);
        group = group_of_code[code] = string_to_group_[id];
      }
      g[i] = group;
    }
    return;
  }
  std::vector<uint64_t> codes;
  std::vector<uint8_t> valid;
  if (key_types_.size() == 1) {
    Encode(0, keys[0], nullptr, rows, /*insert=*/true, &codes, &valid);
    const bool is_string = key_types_[0] == TypeId::kString;
    for (size_t i = 0; i < rows; ++i) {
      if (!valid[i]) {
        if (single_null_group_ == kNoGroup) single_null_group_ = NewGroup(keys, i);
        g[i] = single_null_group_;
      } else if (is_string) {
        // Interned ids are dense: a vector replaces the hash lookup.
        uint64_t id = codes[i];
        if (id >= string_to_group_.size()) string_to_group_.resize(id + 1, kNoGroup);
        if (string_to_group_[id] == kNoGroup) string_to_group_[id] = NewGroup(keys, i);
        g[i] = string_to_group_[id];
      } else {
        auto [it, inserted] = single_.try_emplace(codes[i], 0);
        if (inserted) it->second = NewGroup(keys, i);
        g[i] = it->second;
      }
    }
    return;
  }
  // Rows often come in runs of one key (chunks are sorted by series): only the first row of
  // each run is encoded and looked up, the rest of the run joins its group.
  std::vector<uint8_t> changed(rows, 0);
  if (rows > 0) changed[0] = 1;
  for (const Column& c : keys) MarkKeyChanges(c, rows, changed.data());
  std::vector<uint32_t> starts;
  for (size_t i = 0; i < rows; ++i) {
    if (changed[i]) starts.push_back(static_cast<uint32_t>(i));
  }
  const size_t nk = key_types_.size();
  const size_t runs = starts.size();
  std::vector<std::vector<uint64_t>> all_codes(nk);
  std::vector<std::vector<uint8_t>> all_valid(nk);
  for (size_t k = 0; k < nk; ++k) {
    Encode(k, keys[k], starts.data(), runs, /*insert=*/true, &all_codes[k], &all_valid[k]);
  }
  std::string packed(nk * 9, '\0');
  for (size_t r = 0; r < runs; ++r) {
    for (size_t k = 0; k < nk; ++k) {
      packed[k * 9] = static_cast<char>(all_valid[k][r]);
      uint64_t code = all_valid[k][r] ? all_codes[k][r] : 0;
      std::memcpy(&packed[k * 9 + 1], &code, 8);
    }
    auto [it, inserted] = multi_.try_emplace(packed, 0);
    if (inserted) it->second = NewGroup(keys, starts[r]);
    const size_t end = r + 1 < runs ? starts[r + 1] : rows;
    std::fill(g + starts[r], g + end, it->second);
  }
}

void GroupTable::Find(std::span<const Column> keys, size_t rows, std::vector<uint32_t>* groups) {
  groups->assign(rows, kNoGroup);
  const size_t nk = key_types_.size();
  std::vector<std::vector<uint64_t>> all_codes(nk);
  std::vector<std::vector<uint8_t>> all_valid(nk);
  for (size_t k = 0; k < nk; ++k) {
    Encode(k, keys[k], nullptr, rows, false, &all_codes[k], &all_valid[k]);
  }
  std::string packed(nk * 9, '\0');
  for (size_t i = 0; i < rows; ++i) {
    bool usable = true;
    for (size_t k = 0; k < nk && usable; ++k) {
      usable =
          all_valid[k][i] && !(key_types_[k] == TypeId::kString && all_codes[k][i] == kNoGroup);
    }
    if (!usable) continue;
    if (nk == 1) {
      if (key_types_[0] == TypeId::kString) {
        uint64_t id = all_codes[0][i];
        if (id < string_to_group_.size()) (*groups)[i] = string_to_group_[id];
      } else {
        auto it = single_.find(all_codes[0][i]);
        if (it != single_.end()) (*groups)[i] = it->second;
      }
      continue;
    }
    for (size_t k = 0; k < nk; ++k) {
      packed[k * 9] = 1;
      std::memcpy(&packed[k * 9 + 1], &all_codes[k][i], 8);
    }
    auto it = multi_.find(packed);
    if (it != multi_.end()) (*groups)[i] = it->second;
  }
}

std::vector<Column> GroupTable::TakeKeyColumns() {
  std::vector<Column> out;
  for (ColumnBuilder& b : key_values_) out.push_back(b.Finish());
  return out;
}

int64_t GroupTable::MemoryBytes() const {
  int64_t bytes =
      static_cast<int64_t>(num_groups_) * static_cast<int64_t>(16 * (key_types_.size() + 1));
  bytes += static_cast<int64_t>(multi_.size() * (key_types_.size() * 9 + 48));
  for (int64_t b : interned_bytes_) bytes += b;
  return bytes;
}

}  // namespace cardinalsin::exec::internal
