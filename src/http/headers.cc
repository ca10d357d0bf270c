#include "http/headers.h"

#include <algorithm>

namespace cardinalsin::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const Field& field : fields_) {
    if (EqualsIgnoreCase(field.first, name)) {
      return std::string_view(field.second);
    }
  }
  return std::nullopt;
}

std::string Headers::GetOr(std::string_view name, std::string_view fallback) const {
  return std::string(Get(name).value_or(fallback));
}

std::vector<std::string_view> Headers::GetAll(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const Field& field : fields_) {
    if (EqualsIgnoreCase(field.first, name)) {
      values.emplace_back(field.second);
    }
  }
  return values;
}

void Headers::Set(std::string name, std::string value) {
  Remove(name);
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::SetIfAbsent(std::string name, std::string value) {
  if (!Has(name)) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
}

void Headers::Remove(std::string_view name) {
  std::erase_if(fields_,
                [name](const Field& field) { return EqualsIgnoreCase(field.first, name); });
}

}  // namespace cardinalsin::http
