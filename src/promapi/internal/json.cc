#include "promapi/internal/json.h"

#include <charconv>
#include <cmath>
#include <variant>

namespace cardinalsin::promapi::internal {
namespace {

// The length of the valid UTF-8 sequence at the start of `text`, or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in Go).
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char c = byte(0);
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    length = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) {
      return 0;
    }
  }
  return length;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t length = Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out->append("\xef\xbf\xbd");  // U+FFFD
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

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
    AppendJsonString(out, label.name);
    out->push_back(':');
    AppendJsonString(out, label.value);
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
    AppendJsonString(out, string.v);
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
