#include "line_protocol/encoder.h"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

namespace cardinalsin::line_protocol {
namespace {

void AppendEscaped(std::string* out, std::string_view s, std::string_view escapes) {
  for (char c : s) {
    if (c == '\\' || escapes.find(c) != std::string_view::npos) out->push_back('\\');
    out->push_back(c);
  }
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

bool Representable(const model::SampleBatch& batch, size_t series) {
  for (const model::Label& label : batch.labels(series)) {
    if (label.name.find('\n') != std::string_view::npos ||
        label.value.find('\n') != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Encode(const model::SampleBatch& batch) {
  std::string out;
  std::string prefix;  // "measurement,tags field=" of the current series
  for (size_t s = 0; s < batch.num_series(); ++s) {
    if (!Representable(batch, s)) continue;
    std::string_view name;
    for (const model::Label& label : batch.labels(s)) {
      if (label.name == "__name__") {
        name = label.value;
        break;
      }
    }
    if (name.empty()) continue;
    std::string_view measurement = name;
    std::string_view field = "value";
    size_t split = name.rfind('_');
    if (split != std::string_view::npos && split > 0 && split + 1 < name.size()) {
      measurement = name.substr(0, split);
      field = name.substr(split + 1);
    }
    prefix.clear();
    AppendEscaped(&prefix, measurement, ", ");
    for (const model::Label& label : batch.labels(s)) {
      if (label.name == "__name__" || label.name.empty() || label.value.empty()) continue;
      prefix.push_back(',');
      AppendEscaped(&prefix, label.name, ",= ");
      prefix.push_back('=');
      AppendEscaped(&prefix, label.value, ",= ");
    }
    prefix.push_back(' ');
    AppendEscaped(&prefix, field, ",= ");
    prefix.push_back('=');

    auto timestamps = batch.timestamps_ns(s);
    auto values = batch.values(s);
    for (size_t i = 0; i < timestamps.size(); ++i) {
      if (!std::isfinite(values[i])) continue;
      out.append(prefix);
      AppendNumber(&out, values[i]);
      out.push_back(' ');
      AppendNumber(&out, timestamps[i]);
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace cardinalsin::line_protocol
