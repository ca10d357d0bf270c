#include "otlp/internal/json_text.h"

#include <cmath>

#include "otlp/naming.h"

namespace cardinalsin::otlp::internal {

void AppendJsonDouble(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out->append(FormatFloat(value));
  }
}

}  // namespace cardinalsin::otlp::internal
