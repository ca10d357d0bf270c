#include "promapi/internal/json.h"

#include <charconv>
#include <cmath>
#include <variant>

#include "base/json_string.h"

namespace cardinalsin::promapi::internal {
namespace {

// The length of the valid UTF-8 sequence at the start of `text`, or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in Go).
}  // namespace

void AppendTimestamp(std::string* out, int64_t ms) {
  // Unsigned arithmetic so that INT64_MIN has a magnitude.
  uint64_t magnitude = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out->push_back('-');
    magnitude = ~magnitude + 1;
  }
  out->append(std::to_string(magnitude / 1000));
  const uint64_t fraction = magnitude % 1000;
  if (fraction != 0) {
    char digits[4] = {'.', static_cast<char>('0' + fraction / 100),
                      static_cast<char>('0' + fraction / 10 % 10),
                      static_cast<char>('0' + fraction % 10)};
    out->append(digits, 4);
  }
}

void AppendSampleValueText(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  // Shortest round-trip digits in fixed notation (Go's FormatFloat(v, 'f', -1, 64)). The longest
  // such text is about 330 bytes: 309 integer digits for DBL_MAX, or "0." and 324 fraction digits
  // for the smallest subnormal.
  char buffer[512];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  // Cannot fail: the buffer holds the longest fixed form of any finite double.
  out->append(buffer, error == std::errc() ? static_cast<size_t>(end - buffer) : 0);
}

void AppendPoint(std::string* out, int64_t ms, double value) {
  out->push_back('[');
  AppendTimestamp(out, ms);
  out->append(",\"");
  AppendSampleValueText(out, value);
  out->append("\"]");
}

void AppendLabels(std::string* out, const promql::Labels& labels) {
  out->push_back('{');
  bool first = true;
  for (const promql::Label& label : labels) {
    if (!first) out->push_back(',');
    first = false;
    base::AppendJsonString(out, label.name);
    out->push_back(':');
    base::AppendJsonString(out, label.value);
  }
  out->push_back('}');
}

namespace {

struct DataWriter {
  std::string* out;

  void operator()(const promql::Scalar& scalar) const {
    out->append("{\"resultType\":\"scalar\",\"result\":");
    AppendPoint(out, scalar.t, scalar.v);
    out->push_back('}');
  }
  void operator()(const promql::String& string) const {
    out->append("{\"resultType\":\"string\",\"result\":[");
    AppendTimestamp(out, string.t);
    out->push_back(',');
    base::AppendJsonString(out, string.v);
    out->append("]}");
  }
  void operator()(const promql::Vector& vector) const {
    out->append("{\"resultType\":\"vector\",\"result\":[");
    for (size_t i = 0; i < vector.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"metric\":");
      AppendLabels(out, vector[i].labels);
      out->append(",\"value\":");
      AppendPoint(out, vector[i].t, vector[i].v);
      out->push_back('}');
    }
    out->append("]}");
  }
  void operator()(const promql::Matrix& matrix) const {
    out->append("{\"resultType\":\"matrix\",\"result\":[");
    for (size_t i = 0; i < matrix.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"metric\":");
      AppendLabels(out, matrix[i].labels);
      out->append(",\"values\":[");
      const std::vector<promql::FPoint>& points = matrix[i].points;
      for (size_t j = 0; j < points.size(); ++j) {
        if (j > 0) out->push_back(',');
        AppendPoint(out, points[j].t, points[j].v);
      }
      out->append("]}");
    }
    out->append("]}");
  }
};

}  // namespace

void AppendQueryData(std::string* out, const promql::Value& value) {
  std::visit(DataWriter{out}, value);
}

}  // namespace cardinalsin::promapi::internal
