// File: headers.h
//
// An ordered list of HTTP header fields with case-insensitive name lookup (RFC 9110 section 5.1).
// Repeated fields are kept in arrival order, so multi-valued headers survive a round trip.
//
//   Headers headers;
//   headers.Set("Content-Type", "application/json");
//   if (auto type = headers.Get("content-type")) { ... *type == "application/json" ... }
//
// Thread-safety: a const Headers may be read concurrently; mutation needs external
// synchronisation (the usual value-type contract).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cardinalsin::http {

// True when `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;  // name as given, value
  using const_iterator = std::vector<Field>::const_iterator;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  // Returns the value of the first field named `name` (any case), or nullopt. The view is valid
  // until this object is next modified or destroyed.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Get(name) or `fallback` when absent.
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  // All values of fields named `name`, in order. Views as for Get().
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  // Replaces every field named `name` with one field holding `value`.
  void Set(std::string name, std::string value);
  // Appends a field, keeping any existing ones with the same name.
  void Add(std::string name, std::string value);
  // Sets `name` only when no field of that name exists.
  void SetIfAbsent(std::string name, std::string value);
  // Removes every field named `name`.
  void Remove(std::string_view name);

  // The standard container interface, so that range-for and the algorithms work.
  // NOLINTBEGIN(readability-identifier-naming)
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  // NOLINTEND(readability-identifier-naming)

 private:
  std::vector<Field> fields_;
};

}  // namespace cardinalsin::http
