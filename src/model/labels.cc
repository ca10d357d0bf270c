#include "model/labels.h"

#include <algorithm>

#define XXH_STATIC_LINKING_ONLY  // XXH64_state_t on the stack
#include "xxhash.h"

namespace cardinalsin::model {

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t min;
    uint32_t code;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, min = 0x80, code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, min = 0x800, code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    p += extra + 1;
  }
  return true;
}

namespace {
bool IsLegacyName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}
}  // namespace

bool IsLegacyMetricName(std::string_view name) { return IsLegacyName(name, /*allow_colon=*/true); }
bool IsLegacyLabelName(std::string_view name) { return IsLegacyName(name, /*allow_colon=*/false); }

void SortLabels(std::vector<Label>& labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
}

SeriesId ComputeSeriesId(std::span<const Label> sorted) {
  XXH64_state_t state;
  XXH64_reset(&state, 0);
  static constexpr char kSeparator = '\xff';
  for (const Label& label : sorted) {
    XXH64_update(&state, label.name.data(), label.name.size());
    XXH64_update(&state, &kSeparator, 1);
    XXH64_update(&state, label.value.data(), label.value.size());
    XXH64_update(&state, &kSeparator, 1);
  }
  return XXH64_digest(&state);
}

}  // namespace cardinalsin::model
