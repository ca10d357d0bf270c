#include "promql/value.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "base/strings.h"
#include "promql/format.h"

namespace cardinalsin::promql {
namespace {

auto FindLabel(Labels& labels, std::string_view name) {
  return std::lower_bound(labels.begin(), labels.end(), name,
                          [](const Label& l, std::string_view n) { return l.name < n; });
}

void AddUnique(std::vector<std::string>& list, std::string message) {
  if (std::find(list.begin(), list.end(), message) == list.end()) {
    list.push_back(std::move(message));
  }
}

}  // namespace

void SortLabels(Labels& labels) {
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
}

std::string_view GetLabel(const Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  return it != labels.end() && it->name == name ? std::string_view(it->value) : std::string_view();
}

void SetLabel(Labels& labels, std::string_view name, std::string_view value) {
  auto it = FindLabel(labels, name);
  bool present = it != labels.end() && it->name == name;
  if (value.empty()) {
    if (present) labels.erase(it);
  } else if (present) {
    it->value = std::string(value);
  } else {
    labels.insert(it, Label{std::string(name), std::string(value)});
  }
}

void RemoveLabel(Labels& labels, std::string_view name) { SetLabel(labels, name, ""); }

std::string LabelsToString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    base::StrAppend(&out, labels[i].name, "=", QuoteString(labels[i].value));
  }
  out += "}";
  return out;
}

bool LabelsLess(const Labels& a, const Labels& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

uint64_t HashLabels(const Labels& labels) {
  size_t h = 0x9e3779b97f4a7c15ULL;
  for (const Label& l : labels) {
    h = absl::HashOf(h, absl::string_view(l.name.data(), l.name.size()),
                     absl::string_view(l.value.data(), l.value.size()));
  }
  return h;
}

void Annotations::AddWarning(std::string message) { AddUnique(warnings_, std::move(message)); }
void Annotations::AddInfo(std::string message) { AddUnique(infos_, std::move(message)); }

void Annotations::Merge(const Annotations& other) {
  for (const std::string& w : other.warnings_) AddWarning(w);
  for (const std::string& i : other.infos_) AddInfo(i);
}

}  // namespace cardinalsin::promql
