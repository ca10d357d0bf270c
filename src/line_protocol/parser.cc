#include "line_protocol/parser.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"

namespace cardinalsin::line_protocol {
namespace {

// The labels and metric names a body may expand to: 32 bytes per body byte (one model::Label),
// plus slack so that tiny bodies with many tags still fit.
constexpr size_t kBudgetBytesPerBodyByte = 32;
constexpr size_t kBudgetSlackBytes = 1024;
constexpr size_t kMaxQuotedInMessage = 64;  // bytes of user input quoted in a reason

// Escapable characters per element (the backslash itself is always escapable).
constexpr std::string_view kMeasurementEscapes = ", ";
constexpr std::string_view kKeyEscapes = ",= ";  // tag keys, tag values, field keys

std::string Quote(std::string_view s) {
  if (s.size() > kMaxQuotedInMessage)
    return base::StrCat("\"", s.substr(0, kMaxQuotedInMessage), "...\"");
  return base::StrCat("\"", s, "\"");
}

struct Field {
  std::string_view key;
  double value;
};

// One line's parse state. Problems are returned as strings (the caller prefixes "line N: ").
class LineParser {
 public:
  LineParser(std::string_view line, model::SampleBatch* out) : rest_(line), out_(out) {}

  // Scans a token up to the first unescaped character of `stops`, leaving rest_ at that
  // character (or empty), and returns it unescaped (a view into the line unless it had escapes).
  std::string_view Token(std::string_view stops, std::string_view escapes) {
    size_t i = 0;
    bool escaped = false;
    while (i < rest_.size() && stops.find(rest_[i]) == std::string_view::npos) {
      if (rest_[i] == '\\' && i + 1 < rest_.size() &&
          (rest_[i + 1] == '\\' || escapes.find(rest_[i + 1]) != std::string_view::npos)) {
        escaped = true;
        i += 2;
      } else {
        ++i;
      }
    }
    std::string_view raw = rest_.substr(0, i);
    rest_.remove_prefix(i);
    if (!escaped) return raw;
    std::string unescaped;
    unescaped.reserve(raw.size());
    for (size_t j = 0; j < raw.size(); ++j) {
      if (raw[j] == '\\' && j + 1 < raw.size() &&
          (raw[j + 1] == '\\' || escapes.find(raw[j + 1]) != std::string_view::npos)) {
        ++j;
      }
      unescaped.push_back(raw[j]);
    }
    return out_->Own(std::move(unescaped));
  }

  bool Consume(char c) {
    if (rest_.empty() || rest_.front() != c) return false;
    rest_.remove_prefix(1);
    return true;
  }
  void SkipSpaces() {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
  }
  bool AtSectionEnd() const { return rest_.empty() || rest_.front() == ' '; }
  std::string_view rest() const { return rest_; }
  void Advance(size_t n) { rest_.remove_prefix(n); }

 private:
  std::string_view rest_;
  model::SampleBatch* out_;
};

std::optional<bool> ParseBool(std::string_view token) {
  for (std::string_view t : {"t", "T", "true", "True", "TRUE"}) {
    if (token == t) return true;
  }
  for (std::string_view f : {"f", "F", "false", "False", "FALSE"}) {
    if (token == f) return false;
  }
  return std::nullopt;
}

// A numeric field value: float, `<int>i` or `<uint>u`. Returns the problem on failure.
std::optional<std::string> ParseNumber(std::string_view token, double* value) {
  if (token.empty()) return "empty value";
  const char* begin = token.data();
  const char* end = token.data() + token.size();
  if (token.back() == 'i' || token.back() == 'u') {
    std::string_view digits = token.substr(0, token.size() - 1);
    std::from_chars_result result;
    if (token.back() == 'i') {
      int64_t v = 0;
      result = std::from_chars(begin, end - 1, v);
      *value = static_cast<double>(v);
    } else {
      uint64_t v = 0;
      result = std::from_chars(begin, end - 1, v);
      *value = static_cast<double>(v);
    }
    if (result.ec == std::errc::result_out_of_range) {
      return base::StrCat("integer ", Quote(token), " is out of range for ",
                          token.back() == 'i' ? "int64" : "uint64");
    }
    if (digits.empty() || result.ec != std::errc() || result.ptr != end - 1) {
      return base::StrCat("invalid ", token.back() == 'i' ? "integer " : "unsigned integer ",
                          Quote(token));
    }
    return std::nullopt;
  }
  // from_chars also takes "inf", "nan" and hexadecimal; line protocol floats are decimal only.
  bool has_digit = false;
  for (char c : token) {
    if (c >= '0' && c <= '9') {
      has_digit = true;
    } else if (c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E') {
      return base::StrCat("invalid field value ", Quote(token));
    }
  }
  if (!has_digit || token.front() == '+' || token.front() == 'e' || token.front() == 'E') {
    return base::StrCat("invalid field value ", Quote(token));
  }
  std::from_chars_result result = std::from_chars(begin, end, *value);
  if (result.ec == std::errc::result_out_of_range)
    return base::StrCat("float ", Quote(token), " is out of range");
  if (result.ec != std::errc() || result.ptr != end)
    return base::StrCat("invalid float ", Quote(token));
  return std::nullopt;
}

class BodyParser {
 public:
  BodyParser(std::string_view body, Precision precision, int64_t now_ns, model::SampleBatch* out)
      : unit_(NanosPerUnit(precision)),
        now_ns_(now_ns),
        out_(out),
        budget_bytes_(kBudgetBytesPerBodyByte * (body.size() + kBudgetSlackBytes)) {}

  // Parses one line (without its "\n" or "\r"): nullopt if it was well-formed (or blank or a
  // comment), else the problem.
  std::optional<std::string> ParseLine(std::string_view line, size_t line_number) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') return std::nullopt;
    ++points_;
    LineParser p(line, out_);

    std::string_view measurement = p.Token(", ", kMeasurementEscapes);
    if (measurement.empty()) return "missing measurement";

    tags_.clear();
    while (p.Consume(',')) {
      std::string_view key = p.Token(",= ", kKeyEscapes);
      if (key.empty()) return "empty tag key";
      if (!p.Consume('=')) return base::StrCat("tag ", Quote(key), " has no value");
      std::string_view value = p.Token(", ", kKeyEscapes);
      if (value.empty()) return base::StrCat("tag ", Quote(key), " has an empty value");
      tags_.push_back({key, value});
    }
    if (!p.Consume(' ')) return "missing fields";
    p.SkipSpaces();
    if (p.rest().empty()) return "missing fields";

    fields_.clear();
    string_fields_.clear();
    do {
      std::string_view key = p.Token(",= ", kKeyEscapes);
      if (key.empty()) return "empty field key";
      if (!p.Consume('=')) return base::StrCat("field ", Quote(key), " has no value");
      if (!p.rest().empty() && p.rest().front() == '"') {
        if (std::optional<std::string> problem = SkipString(p, key)) return problem;
        string_fields_.push_back(key);
      } else {
        std::string_view rest = p.rest();
        size_t end = rest.find_first_of(", ");
        std::string_view token = rest.substr(0, end);
        p.Advance(token.size());
        double value;
        if (std::optional<bool> b = ParseBool(token)) {
          value = *b ? 1 : 0;
        } else if (std::optional<std::string> problem = ParseNumber(token, &value)) {
          return base::StrCat("field ", Quote(key), ": ", *problem);
        }
        fields_.push_back({key, value});
      }
      if (!p.AtSectionEnd() && p.rest().front() != ',') {
        return base::StrCat("unexpected ", Quote(p.rest().substr(0, 1)), " after field ",
                            Quote(key));
      }
    } while (p.Consume(','));

    int64_t timestamp_ns = now_ns_;
    p.SkipSpaces();
    if (!p.rest().empty()) {
      std::string_view token = p.rest().substr(0, p.rest().find(' '));
      p.Advance(token.size());
      p.SkipSpaces();
      if (!p.rest().empty())
        return base::StrCat("unexpected ", Quote(p.rest()), " after the timestamp");
      int64_t timestamp;
      auto result = std::from_chars(token.data(), token.data() + token.size(), timestamp);
      if (result.ec == std::errc::result_out_of_range ||
          (result.ec == std::errc() && __builtin_mul_overflow(timestamp, unit_, &timestamp_ns))) {
        return base::StrCat("timestamp ", Quote(token),
                            " is out of range (1677-09-21 to 2262-04-11 in nanoseconds)");
      }
      if (result.ec != std::errc() || result.ptr != token.data() + token.size()) {
        return base::StrCat("invalid timestamp ", Quote(token));
      }
    }

    // Last value wins for a repeated field key; small lines compare directly.
    if (fields_.size() > 1) Deduplicate();

    // Every field repeats the tags and gets its own name, so a line's batch footprint can be
    // quadratic in its length; the budget keeps the request's total linear.
    size_t cost = fields_.size() * ((1 + tags_.size()) * sizeof(model::Label) +
                                    sizeof(std::string) + measurement.size() + 1);
    for (const Field& field : fields_) cost += field.key.size();
    if (cost > budget_bytes_) {
      return base::StrCat(fields_.size(), " fields x ", tags_.size(), " tags need ", cost,
                          " bytes of labels, more than the request's remaining budget of ",
                          budget_bytes_);
    }
    budget_bytes_ -= cost;

    for (const Field& field : fields_) {
      out_->StartSeries();
      out_->AddLabel("__name__", out_->Own(base::StrCat(measurement, "_", field.key)));
      for (const model::Label& tag : tags_) out_->AddLabel(tag.name, tag.value);
      out_->AddSample(timestamp_ns, field.value);
    }
    for (std::string_view key : string_fields_) {
      out_->Reject(1, base::StrCat("line ", line_number, ": field ", Quote(key),
                                   " is a string; only numeric and boolean fields are stored"));
    }
    ++good_points_;
    return std::nullopt;
  }

  size_t points() const { return points_; }
  size_t good_points() const { return good_points_; }

 private:
  // Skips a quoted string field value, leaving the parser after the closing quote.
  static std::optional<std::string> SkipString(LineParser& p, std::string_view key) {
    std::string_view rest = p.rest();
    for (size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size() && (rest[i + 1] == '"' || rest[i + 1] == '\\')) {
        ++i;
      } else if (rest[i] == '"') {
        p.Advance(i + 1);
        return std::nullopt;
      }
    }
    return base::StrCat("field ", Quote(key), ": unterminated string");
  }

  void Deduplicate() {
    size_t kept = 0;
    if (fields_.size() <= 8) {
      for (size_t i = 0; i < fields_.size(); ++i) {
        bool later = false;
        for (size_t j = i + 1; j < fields_.size() && !later; ++j)
          later = fields_[j].key == fields_[i].key;
        if (!later) fields_[kept++] = fields_[i];
      }
    } else {
      last_index_.clear();
      for (size_t i = 0; i < fields_.size(); ++i) last_index_[fields_[i].key] = i;
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (last_index_[fields_[i].key] == i) fields_[kept++] = fields_[i];
      }
    }
    fields_.resize(kept);
  }

  const int64_t unit_;
  const int64_t now_ns_;
  model::SampleBatch* out_;
  size_t budget_bytes_;
  size_t points_ = 0;
  size_t good_points_ = 0;
  // Reused across lines.
  std::vector<model::Label> tags_;
  std::vector<Field> fields_;
  std::vector<std::string_view> string_fields_;
  absl::flat_hash_map<std::string_view, size_t> last_index_;
};

}  // namespace

int64_t NanosPerUnit(Precision precision) {
  switch (precision) {
    case Precision::kNanoseconds:
      return 1;
    case Precision::kMicroseconds:
      return 1'000;
    case Precision::kMilliseconds:
      return 1'000'000;
    case Precision::kSeconds:
      return 1'000'000'000;
    case Precision::kMinutes:
      return 60'000'000'000;
    case Precision::kHours:
      return 3'600'000'000'000;
  }
  return 1;
}

absl::StatusOr<Precision> ParsePrecision(std::string_view name, bool v1) {
  struct Name {
    std::string_view name;
    Precision precision;
    bool v1_only;
  };
  static constexpr Name kNames[] = {
      {"", Precision::kNanoseconds, false},   {"ns", Precision::kNanoseconds, false},
      {"n", Precision::kNanoseconds, false},  {"us", Precision::kMicroseconds, false},
      {"u", Precision::kMicroseconds, false}, {"ms", Precision::kMilliseconds, false},
      {"s", Precision::kSeconds, false},      {"m", Precision::kMinutes, true},
      {"h", Precision::kHours, true},
  };
  for (const Name& n : kNames) {
    if (n.name == name && (v1 || !n.v1_only)) return n.precision;
  }
  return absl::InvalidArgumentError(
      base::StrCat("line protocol: unknown precision ", Quote(name), "; want one of ",
                   v1 ? "n, ns, u, us, ms, s, m, h" : "ns, us, ms, s (or n, u)"));
}

absl::Status Parse(std::string_view body, Precision precision, int64_t now_ns,
                   model::SampleBatch* out) {
  BodyParser parser(body, precision, now_ns, out);
  std::optional<std::string> first_problem;
  size_t line_number = 0;
  while (!body.empty()) {
    ++line_number;
    size_t newline = body.find('\n');
    std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline == std::string_view::npos ? body.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (std::optional<std::string> problem = parser.ParseLine(line, line_number)) {
      std::string reason = base::StrCat("line ", line_number, ": ", *problem);
      if (!first_problem.has_value()) first_problem = reason;
      out->Reject(1, std::move(reason));
    }
  }
  if (parser.points() > 0 && parser.good_points() == 0) {
    return absl::InvalidArgumentError(
        base::StrCat("line protocol: no valid line; ", *first_problem));
  }
  return absl::OkStatus();
}

}  // namespace cardinalsin::line_protocol
