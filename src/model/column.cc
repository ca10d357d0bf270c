#include "model/column.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "base/check.h"

namespace cardinalsin::model {

StringVector StringVector::Of(std::initializer_list<std::string_view> values) {
  StringVector out;
  for (std::string_view v : values) out.Append(v);
  return out;
}

void StringVector::Append(std::string_view value) {
  bytes_.append(value.data(), value.size());
  offsets_.push_back(bytes_.size());
}

void StringVector::Reserve(size_t count, size_t total_bytes) {
  offsets_.reserve(offsets_.size() + count);
  bytes_.reserve(bytes_.size() + total_bytes);
}

Column Column::FromBool(std::vector<uint8_t> values) {
  return Column(TypeId::kBool, std::move(values));
}

Column Column::FromInt64(TypeId type, std::vector<int64_t> values) {
  CS_DCHECK(type == TypeId::kInt64 || type == TypeId::kTimestampNs);
  return Column(type, std::move(values));
}

Column Column::FromUInt64(std::vector<uint64_t> values) {
  return Column(TypeId::kUInt64, std::move(values));
}

Column Column::FromDouble(std::vector<double> values) {
  return Column(TypeId::kDouble, std::move(values));
}

Column Column::FromStrings(StringVector values) {
  return Column(TypeId::kString, std::move(values));
}

Column Column::FromDictionary(StringVector dictionary, std::vector<uint32_t> codes) {
  return Column(TypeId::kString, DictionaryStrings{std::move(dictionary), std::move(codes)});
}

Column Column::Empty(TypeId type) {
  switch (type) {
    case TypeId::kBool:
      return FromBool({});
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      return FromInt64(type, {});
    case TypeId::kUInt64:
      return FromUInt64({});
    case TypeId::kDouble:
      return FromDouble({});
    case TypeId::kString:
      return FromStrings({});
  }
  return FromStrings({});
}

size_t Column::size() const {
  return std::visit(
      [](const auto& values) -> size_t {
        using T = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<T, DictionaryStrings>) {
          return values.codes.size();
        } else {
          return values.size();
        }
      },
      storage_);
}

void Column::SetValidity(std::vector<uint8_t> validity) {
  CS_DCHECK(validity.empty() || validity.size() == size());
  validity_ = std::move(validity);
}

size_t Column::null_count() const {
  return static_cast<size_t>(std::count(validity_.begin(), validity_.end(), uint8_t{0}));
}

Column Column::Take(std::span<const uint32_t> selection) const {
  Column out = std::visit(
      [&](const auto& values) -> Column {
        using T = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<T, StringVector>) {
          StringVector taken;
          taken.Reserve(selection.size(), 0);
          for (uint32_t i : selection) taken.Append(values.Get(i));
          return Column(type_, std::move(taken));
        } else if constexpr (std::is_same_v<T, DictionaryStrings>) {
          DictionaryStrings taken{values.dictionary, {}};
          taken.codes.reserve(selection.size());
          for (uint32_t i : selection) taken.codes.push_back(values.codes[i]);
          return Column(type_, std::move(taken));
        } else {
          T taken;
          taken.reserve(selection.size());
          for (uint32_t i : selection) taken.push_back(values[i]);
          return Column(type_, std::move(taken));
        }
      },
      storage_);
  if (!validity_.empty()) {
    std::vector<uint8_t> validity;
    validity.reserve(selection.size());
    for (uint32_t i : selection) validity.push_back(validity_[i]);
    out.validity_ = std::move(validity);
  }
  return out;
}

Column Column::DecodeDictionary() const {
  if (!is_dictionary()) return *this;
  const DictionaryStrings& dict = dictionary();
  StringVector plain;
  plain.Reserve(dict.codes.size(), 0);
  for (uint32_t code : dict.codes) plain.Append(dict.dictionary.Get(code));
  Column out(type_, std::move(plain));
  out.validity_ = validity_;
  return out;
}

bool Column::Equals(const Column& other) const {
  if (type_ != other.type_ || size() != other.size()) return false;
  const size_t n = size();
  for (size_t i = 0; i < n; ++i) {
    if (IsValid(i) != other.IsValid(i)) return false;
  }
  if (type_ == TypeId::kString) {
    for (size_t i = 0; i < n; ++i) {
      if (IsValid(i) && StringAt(i) != other.StringAt(i)) return false;
    }
    return true;
  }
  return std::visit(
      [&](const auto& values) -> bool {
        using T = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<T, StringVector> || std::is_same_v<T, DictionaryStrings>) {
          return false;  // Unreachable: strings are handled above.
        } else {
          const auto* theirs = std::get_if<T>(&other.storage_);
          if (theirs == nullptr) return false;
          for (size_t i = 0; i < n; ++i) {
            if (IsValid(i) &&
                std::memcmp(&values[i], &(*theirs)[i], sizeof(typename T::value_type)) != 0) {
              return false;
            }
          }
          return true;
        }
      },
      storage_);
}

Column Concat(TypeId type, std::span<const Column> pieces) {
  Column out = Column::Empty(type);
  bool all_dictionary = !pieces.empty();
  bool any_nulls = false;
  size_t total = 0;
  for (const Column& piece : pieces) {
    all_dictionary = all_dictionary && piece.is_dictionary();
    any_nulls = any_nulls || !piece.validity().empty();
    total += piece.size();
  }
  if (type == TypeId::kString && all_dictionary) {
    DictionaryStrings merged;
    absl::flat_hash_map<std::string, uint32_t> index;
    merged.codes.reserve(total);
    for (const Column& piece : pieces) {
      const DictionaryStrings& d = piece.dictionary();
      std::vector<uint32_t> remap(d.dictionary.size());
      for (size_t i = 0; i < d.dictionary.size(); ++i) {
        auto [it, inserted] = index.try_emplace(std::string(d.dictionary.Get(i)),
                                                static_cast<uint32_t>(merged.dictionary.size()));
        if (inserted) merged.dictionary.Append(d.dictionary.Get(i));
        remap[i] = it->second;
      }
      for (uint32_t code : d.codes) merged.codes.push_back(remap[code]);
    }
    out = Column::FromDictionary(std::move(merged.dictionary), std::move(merged.codes));
  } else if (type == TypeId::kString) {
    StringVector strings;
    for (const Column& piece : pieces) {
      for (size_t i = 0; i < piece.size(); ++i) strings.Append(piece.StringAt(i));
    }
    out = Column::FromStrings(std::move(strings));
  } else {
    out = std::visit(
        [&](const auto& first) -> Column {
          using T = std::decay_t<decltype(first)>;
          if constexpr (std::is_same_v<T, StringVector> || std::is_same_v<T, DictionaryStrings>) {
            return Column::Empty(type);  // Unreachable: strings are handled above.
          } else {
            T values;
            values.reserve(total);
            for (const Column& piece : pieces) {
              const T& part = std::get<T>(piece.storage());
              values.insert(values.end(), part.begin(), part.end());
            }
            return Column(type, std::move(values));
          }
        },
        Column::Empty(type).storage());
  }
  if (any_nulls) {
    std::vector<uint8_t> validity;
    validity.reserve(total);
    for (const Column& piece : pieces) {
      for (size_t i = 0; i < piece.size(); ++i) validity.push_back(piece.IsValid(i) ? 1 : 0);
    }
    out.SetValidity(std::move(validity));
  }
  return out;
}

}  // namespace cardinalsin::model
