#include "exec/value.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::exec {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

absl::Status SyntaxError(TypeId type, std::string_view text) {
  return absl::InvalidArgumentError(
      base::StrCat("invalid input syntax for type ", model::TypeName(type), ": \"", text, "\""));
}

absl::Status RangeError(std::string_view value, TypeId type) {
  return absl::OutOfRangeError(
      base::StrCat("value ", value, " out of range for type ", model::TypeName(type)));
}

absl::StatusOr<int64_t> DoubleToInt64(double v) {
  // 2^63 is exactly representable; everything >= it (or NaN) is out of range.
  double r = std::round(v);
  if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) {
    return RangeError(FormatDouble(v), TypeId::kInt64);
  }
  return static_cast<int64_t>(r);
}

absl::StatusOr<uint64_t> DoubleToUInt64(double v) {
  double r = std::round(v);
  if (!(r >= 0.0 && r < 18446744073709551616.0)) {
    return RangeError(FormatDouble(v), TypeId::kUInt64);
  }
  return static_cast<uint64_t>(r);
}

absl::StatusOr<bool> ParseBool(std::string_view text) {
  std::string lower = absl::AsciiStrToLower(base::AsAbsl(Trim(text)));
  if (lower == "true" || lower == "t" || lower == "yes" || lower == "y" || lower == "on" ||
      lower == "1") {
    return true;
  }
  if (lower == "false" || lower == "f" || lower == "no" || lower == "n" || lower == "off" ||
      lower == "0") {
    return false;
  }
  return SyntaxError(TypeId::kBool, text);
}

absl::StatusOr<double> ParseDouble(std::string_view text) {
  std::string_view t = Trim(text);
  std::string lower = absl::AsciiStrToLower(base::AsAbsl(t));
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (lower == "infinity" || lower == "+infinity" || lower == "inf" || lower == "+inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (lower == "-infinity" || lower == "-inf") return -std::numeric_limits<double>::infinity();
  double v = 0;
  if (t.empty() || !absl::SimpleAtod(base::AsAbsl(t), &v) || std::isnan(v) ||
      (std::isinf(v) && lower.find("inf") == std::string::npos)) {
    return SyntaxError(TypeId::kDouble, text);
  }
  return v;
}

// Scalar conversion of one valid value (the engine of CastColumn for non-identity casts).
absl::StatusOr<Scalar> CastValue(const Scalar& in, TypeId to) {
  const TypeId from = in.type;
  if (from == to) return in;
  switch (to) {
    case TypeId::kBool:
      switch (from) {
        case TypeId::kInt64:
          return Scalar::Bool(in.int64_value() != 0);
        case TypeId::kUInt64:
          return Scalar::Bool(in.uint64_value() != 0);
        case TypeId::kDouble:
          return Scalar::Bool(in.double_value() != 0);
        case TypeId::kString: {
          CS_ASSIGN_OR_RETURN(bool b, ParseBool(in.string_value()));
          return Scalar::Bool(b);
        }
        default:
          break;
      }
      break;
    case TypeId::kInt64:
    case TypeId::kTimestampNs: {
      int64_t v = 0;
      switch (from) {
        case TypeId::kBool:
          if (to == TypeId::kTimestampNs) break;
          v = in.bool_value() ? 1 : 0;
          return Scalar{to, v};
        case TypeId::kInt64:
        case TypeId::kTimestampNs:
          return Scalar{to, in.int64_value()};
        case TypeId::kUInt64:
          if (in.uint64_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return RangeError(absl::StrCat(in.uint64_value()), to);
          }
          return Scalar{to, static_cast<int64_t>(in.uint64_value())};
        case TypeId::kDouble: {
          CS_ASSIGN_OR_RETURN(v, DoubleToInt64(in.double_value()));
          return Scalar{to, v};
        }
        case TypeId::kString: {
          if (to == TypeId::kTimestampNs) {
            CS_ASSIGN_OR_RETURN(v, ParseTimestamp(in.string_value()));
            return Scalar{to, v};
          }
          std::string_view t = Trim(in.string_value());
          if (!absl::SimpleAtoi(base::AsAbsl(t), &v)) {
            // Distinguish "too large" from "not a number" for a clearer message.
            double d = 0;
            if (absl::SimpleAtod(base::AsAbsl(t), &d) && t.find_first_of(".eE") == t.npos) {
              return RangeError(t, to);
            }
            return SyntaxError(to, in.string_value());
          }
          return Scalar{to, v};
        }
      }
      break;
    }
    case TypeId::kUInt64:
      switch (from) {
        case TypeId::kBool:
          return Scalar::UInt64(in.bool_value() ? 1 : 0);
        case TypeId::kInt64:
        case TypeId::kTimestampNs:
          if (in.int64_value() < 0) return RangeError(absl::StrCat(in.int64_value()), to);
          return Scalar::UInt64(static_cast<uint64_t>(in.int64_value()));
        case TypeId::kDouble: {
          CS_ASSIGN_OR_RETURN(uint64_t v, DoubleToUInt64(in.double_value()));
          return Scalar::UInt64(v);
        }
        case TypeId::kString: {
          uint64_t v = 0;
          std::string_view t = Trim(in.string_value());
          if (!absl::SimpleAtoi(base::AsAbsl(t), &v)) return SyntaxError(to, in.string_value());
          return Scalar::UInt64(v);
        }
        default:
          break;
      }
      break;
    case TypeId::kDouble:
      switch (from) {
        case TypeId::kBool:
          return Scalar::Double(in.bool_value() ? 1.0 : 0.0);
        case TypeId::kInt64:
        case TypeId::kTimestampNs:
          return Scalar::Double(static_cast<double>(in.int64_value()));
        case TypeId::kUInt64:
          return Scalar::Double(static_cast<double>(in.uint64_value()));
        case TypeId::kString: {
          CS_ASSIGN_OR_RETURN(double v, ParseDouble(in.string_value()));
          return Scalar::Double(v);
        }
        default:
          break;
      }
      break;
    case TypeId::kString:
      switch (from) {
        case TypeId::kBool:
          return Scalar::String(in.bool_value() ? "true" : "false");
        case TypeId::kInt64:
          return Scalar::String(absl::StrCat(in.int64_value()));
        case TypeId::kUInt64:
          return Scalar::String(absl::StrCat(in.uint64_value()));
        case TypeId::kDouble:
          return Scalar::String(FormatDouble(in.double_value()));
        case TypeId::kTimestampNs:
          return Scalar::String(FormatTimestamp(in.int64_value()));
        default:
          break;
      }
      break;
  }
  return absl::InvalidArgumentError(
      base::StrCat("cannot cast ", model::TypeName(from), " to ", model::TypeName(to)));
}

// Parses exactly `digits` decimal digits at s[*pos]; advances *pos.
bool ParseDigits(std::string_view s, size_t* pos, int digits, int* out) {
  if (*pos + digits > s.size()) return false;
  int v = 0;
  for (int i = 0; i < digits; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += digits;
  *out = v;
  return true;
}

}  // namespace

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, result.ptr);
}

std::string FormatTimestamp(int64_t ns) {
  const int64_t seconds = FloorDiv(ns, kNanosPerSecond);
  const int64_t frac = FloorMod(ns, kNanosPerSecond);
  const int64_t days = FloorDiv(seconds, kSecondsPerDay);
  const int64_t sod = FloorMod(seconds, kSecondsPerDay);
  absl::CivilDay day = absl::CivilDay(1970, 1, 1) + days;
  std::string out = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", day.year(), day.month(),
                                    day.day(), sod / 3600, (sod / 60) % 60, sod % 60);
  if (frac != 0) {
    std::string digits = absl::StrFormat("%09d", frac);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  out += "Z";
  return out;
}

absl::StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  std::string_view s = Trim(text);
  auto fail = [&] { return SyntaxError(TypeId::kTimestampNs, text); };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  bool negative_year = false;
  if (pos < s.size() && s[pos] == '-') {
    negative_year = true;
    ++pos;
  }
  if (!ParseDigits(s, &pos, 4, &year) || pos >= s.size() || s[pos++] != '-' ||
      !ParseDigits(s, &pos, 2, &month) || pos >= s.size() || s[pos++] != '-' ||
      !ParseDigits(s, &pos, 2, &day)) {
    return fail();
  }
  if (negative_year) year = -year;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ') && pos + 1 < s.size() &&
      absl::ascii_isdigit(static_cast<unsigned char>(s[pos + 1]))) {
    ++pos;
    if (!ParseDigits(s, &pos, 2, &hour) || pos >= s.size() || s[pos++] != ':' ||
        !ParseDigits(s, &pos, 2, &minute)) {
      return fail();
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ParseDigits(s, &pos, 2, &second)) return fail();
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[pos]))) {
          if (digits < 9) {
            nanos = nanos * 10 + (s[pos] - '0');
            ++digits;
          }
          ++pos;
        }
        if (digits == 0) return fail();
        for (; digits < 9; ++digits) nanos *= 10;
      }
    }
  }
  int offset_seconds = 0;
  std::string_view zone = Trim(s.substr(pos));
  if (zone == "Z" || zone == "z" || zone == "UTC" || zone == "utc" || zone.empty()) {
  } else if (zone[0] == '+' || zone[0] == '-') {
    size_t zp = 1;
    int oh = 0, om = 0;
    if (!ParseDigits(zone, &zp, 2, &oh)) return fail();
    if (zp < zone.size() && zone[zp] == ':') ++zp;
    if (zp < zone.size() && !ParseDigits(zone, &zp, 2, &om)) return fail();
    if (zp != zone.size() || oh > 23 || om > 59) return fail();
    offset_seconds = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return fail();
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) {
    return fail();
  }
  absl::CivilDay civil(year, month, day);
  if (civil.day() != day || civil.month() != month) return fail();  // e.g. 2023-02-30
  int64_t days = civil - absl::CivilDay(1970, 1, 1);
  // Range check in seconds before the multiplication can overflow.
  int64_t seconds = days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
  if (days > 106752 || days < -106752 || seconds > 9223372036 || seconds < -9223372037) {
    return absl::OutOfRangeError(
        base::StrCat("timestamp out of range: \"", text, "\" (1677-09-21 .. 2262-04-11)"));
  }
  __int128 total = static_cast<__int128>(seconds) * kNanosPerSecond + nanos;
  if (total > std::numeric_limits<int64_t>::max() || total < std::numeric_limits<int64_t>::min()) {
    return absl::OutOfRangeError(
        base::StrCat("timestamp out of range: \"", text, "\" (1677-09-21 .. 2262-04-11)"));
  }
  return static_cast<int64_t>(total);
}

std::string Scalar::ToString() const {
  if (is_null()) return "NULL";
  switch (type) {
    case TypeId::kString:
      return base::StrCat("'", string_value(), "'");
    case TypeId::kTimestampNs:
      return base::StrCat("TIMESTAMP '", FormatTimestamp(int64_value()), "'");
    default: {
      absl::StatusOr<Scalar> s = CastValue(*this, TypeId::kString);
      return s.ok() ? s->string_value() : "?";
    }
  }
}

Scalar ScalarAt(const Column& column, size_t row) {
  if (!column.IsValid(row)) return Scalar::Null(column.type());
  switch (column.type()) {
    case TypeId::kBool:
      return Scalar::Bool(column.bools()[row] != 0);
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      return Scalar{column.type(), column.int64s()[row]};
    case TypeId::kUInt64:
      return Scalar::UInt64(column.uint64s()[row]);
    case TypeId::kDouble:
      return Scalar::Double(column.doubles()[row]);
    case TypeId::kString:
      return Scalar::String(std::string(column.StringAt(row)));
  }
  return Scalar::Null(column.type());
}

Column ScalarToColumn(const Scalar& value, size_t rows) {
  Column out = Column::Empty(value.type);
  switch (value.type) {
    case TypeId::kBool:
      out = Column::FromBool(std::vector<uint8_t>(rows, value.is_null() ? 0 : value.bool_value()));
      break;
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      out = Column::FromInt64(
          value.type, std::vector<int64_t>(rows, value.is_null() ? 0 : value.int64_value()));
      break;
    case TypeId::kUInt64:
      out = Column::FromUInt64(
          std::vector<uint64_t>(rows, value.is_null() ? 0 : value.uint64_value()));
      break;
    case TypeId::kDouble:
      out =
          Column::FromDouble(std::vector<double>(rows, value.is_null() ? 0 : value.double_value()));
      break;
    case TypeId::kString: {
      model::StringVector dict;
      dict.Append(value.is_null() ? std::string_view() : std::string_view(value.string_value()));
      out = Column::FromDictionary(std::move(dict), std::vector<uint32_t>(rows, 0));
      break;
    }
  }
  if (value.is_null()) out.SetValidity(std::vector<uint8_t>(rows, 0));
  return out;
}

ColumnBuilder::ColumnBuilder(TypeId type) : type_(type) {}

void ColumnBuilder::Reserve(size_t rows) {
  validity_.reserve(rows);
  switch (type_) {
    case TypeId::kBool:
      bools_.reserve(rows);
      break;
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      int64s_.reserve(rows);
      break;
    case TypeId::kUInt64:
      uint64s_.reserve(rows);
      break;
    case TypeId::kDouble:
      doubles_.reserve(rows);
      break;
    case TypeId::kString:
      strings_.Reserve(rows, 0);
      break;
  }
}

void ColumnBuilder::MarkValid(bool valid) {
  validity_.push_back(valid ? 1 : 0);
  has_null_ |= !valid;
}

void ColumnBuilder::AppendNull() {
  switch (type_) {
    case TypeId::kBool:
      bools_.push_back(0);
      break;
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      int64s_.push_back(0);
      break;
    case TypeId::kUInt64:
      uint64s_.push_back(0);
      break;
    case TypeId::kDouble:
      doubles_.push_back(0);
      break;
    case TypeId::kString:
      strings_.Append({});
      break;
  }
  MarkValid(false);
}

void ColumnBuilder::AppendBool(bool v) {
  bools_.push_back(v ? 1 : 0);
  MarkValid(true);
}
void ColumnBuilder::AppendInt64(int64_t v) {
  int64s_.push_back(v);
  MarkValid(true);
}
void ColumnBuilder::AppendUInt64(uint64_t v) {
  uint64s_.push_back(v);
  MarkValid(true);
}
void ColumnBuilder::AppendDouble(double v) {
  doubles_.push_back(v);
  MarkValid(true);
}
void ColumnBuilder::AppendString(std::string_view v) {
  strings_.Append(v);
  MarkValid(true);
}

void ColumnBuilder::AppendScalar(const Scalar& value) {
  if (value.is_null()) return AppendNull();
  switch (type_) {
    case TypeId::kBool:
      return AppendBool(value.bool_value());
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      return AppendInt64(value.int64_value());
    case TypeId::kUInt64:
      return AppendUInt64(value.uint64_value());
    case TypeId::kDouble:
      return AppendDouble(value.double_value());
    case TypeId::kString:
      return AppendString(value.string_value());
  }
}

void ColumnBuilder::AppendFrom(const Column& column, size_t row) {
  if (!column.IsValid(row)) return AppendNull();
  switch (type_) {
    case TypeId::kBool:
      return AppendBool(column.bools()[row] != 0);
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      return AppendInt64(column.int64s()[row]);
    case TypeId::kUInt64:
      return AppendUInt64(column.uint64s()[row]);
    case TypeId::kDouble:
      return AppendDouble(column.doubles()[row]);
    case TypeId::kString:
      return AppendString(column.StringAt(row));
  }
}

Column ColumnBuilder::Finish() {
  Column out = Column::Empty(type_);
  switch (type_) {
    case TypeId::kBool:
      out = Column::FromBool(std::move(bools_));
      break;
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      out = Column::FromInt64(type_, std::move(int64s_));
      break;
    case TypeId::kUInt64:
      out = Column::FromUInt64(std::move(uint64s_));
      break;
    case TypeId::kDouble:
      out = Column::FromDouble(std::move(doubles_));
      break;
    case TypeId::kString:
      out = Column::FromStrings(std::move(strings_));
      break;
  }
  if (has_null_) out.SetValidity(std::move(validity_));
  *this = ColumnBuilder(type_);
  return out;
}

bool IsNumeric(TypeId type) {
  return type == TypeId::kInt64 || type == TypeId::kUInt64 || type == TypeId::kDouble;
}

bool IsIntegral(TypeId type) {
  return type == TypeId::kInt64 || type == TypeId::kUInt64 || type == TypeId::kTimestampNs;
}

absl::StatusOr<TypeId> CommonNumericType(TypeId a, TypeId b) {
  if (IsNumeric(a) && IsNumeric(b)) {
    if (a == b) return a;
    if (a == TypeId::kDouble || b == TypeId::kDouble) return TypeId::kDouble;
    return TypeId::kInt64;
  }
  return absl::InvalidArgumentError(
      base::StrCat("no common numeric type for ", model::TypeName(a), " and ", model::TypeName(b)));
}

absl::StatusOr<TypeId> CommonComparableType(TypeId a, TypeId b) {
  if (a == b) return a;
  if ((a == TypeId::kString && b == TypeId::kTimestampNs) ||
      (a == TypeId::kTimestampNs && b == TypeId::kString)) {
    return TypeId::kTimestampNs;
  }
  if (IsNumeric(a) && IsNumeric(b)) return CommonNumericType(a, b);
  return absl::InvalidArgumentError(
      base::StrCat("cannot compare ", model::TypeName(a), " with ", model::TypeName(b)));
}

absl::StatusOr<Scalar> CastScalar(const Scalar& value, TypeId to) {
  if (value.is_null()) return Scalar::Null(to);
  return CastValue(value, to);
}

absl::StatusOr<Column> CastColumn(const Column& column, TypeId to) {
  if (column.type() == to) return column;
  const size_t n = column.size();
  if (column.is_dictionary()) {
    // Convert each distinct value once, then map codes.
    const model::DictionaryStrings& d = column.dictionary();
    Column dict = Column::FromStrings(d.dictionary);
    std::vector<uint8_t> used(d.dictionary.size(), 0);
    for (size_t i = 0; i < n; ++i) {
      if (column.IsValid(i)) used[d.codes[i]] = 1;
    }
    ColumnBuilder converted(to);
    for (size_t i = 0; i < d.dictionary.size(); ++i) {
      if (!used[i]) {
        converted.AppendNull();  // unreferenced entries may hold anything; never parse them
        continue;
      }
      CS_ASSIGN_OR_RETURN(Scalar s,
                          CastValue(Scalar::String(std::string(d.dictionary.Get(i))), to));
      converted.AppendScalar(s);
    }
    Column values = converted.Finish();
    Column out = values.Take(d.codes);
    std::vector<uint8_t> validity(n, 1);
    bool any_null = false;
    for (size_t i = 0; i < n; ++i) {
      validity[i] = column.IsValid(i) && values.IsValid(d.codes[i]);
      any_null |= !validity[i];
    }
    if (any_null) out.SetValidity(std::move(validity));
    return out;
  }
  // Fast loops for the common numeric widenings.
  if (to == TypeId::kDouble &&
      (column.type() == TypeId::kInt64 || column.type() == TypeId::kTimestampNs)) {
    std::vector<double> out(n);
    const auto& in = column.int64s();
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(in[i]);
    Column c = Column::FromDouble(std::move(out));
    c.SetValidity(column.validity());
    return c;
  }
  if ((to == TypeId::kInt64 || to == TypeId::kTimestampNs) &&
      (column.type() == TypeId::kInt64 || column.type() == TypeId::kTimestampNs)) {
    Column c = Column::FromInt64(to, column.int64s());
    c.SetValidity(column.validity());
    return c;
  }
  ColumnBuilder builder(to);
  builder.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!column.IsValid(i)) {
      builder.AppendNull();
      continue;
    }
    CS_ASSIGN_OR_RETURN(Scalar s, CastValue(ScalarAt(column, i), to));
    builder.AppendScalar(s);
  }
  return builder.Finish();
}

}  // namespace cardinalsin::exec
