#include "exec/functions.h"

#include <cmath>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "exec/expr.h"
#include "exec/internal/kernels.h"

namespace cardinalsin::exec {
namespace {

constexpr int64_t kNanosPerMicro = 1'000;
constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerHour = 60 * kNanosPerMinute;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;
// 2000-01-03T00:00:00Z, the Monday time_bucket aligns to by default.
constexpr int64_t kTimeBucketOrigin = 946'857'600 * kNanosPerSecond;

// ---- row-loop helpers -----------------------------------------------------------------------

// Row i of argument k, by type. REQUIRES: the argument has that type and row i is valid.
inline std::string_view Str(std::span<const Column> a, size_t k, size_t i) {
  return a[k].StringAt(i);
}
inline int64_t I64(std::span<const Column> a, size_t k, size_t i) { return a[k].int64s()[i]; }
inline double F64(std::span<const Column> a, size_t k, size_t i) { return a[k].doubles()[i]; }

// Strict row loop: rows with any NULL argument give NULL; fn(row, builder) appends one value or
// fails.
template <typename Fn>
absl::StatusOr<Column> Rows(std::span<const Column> args, size_t n, TypeId result, Fn fn) {
  ColumnBuilder out(result);
  out.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    bool valid = true;
    for (const Column& c : args) valid &= c.IsValid(i);
    if (!valid) {
      out.AppendNull();
      continue;
    }
    CS_RETURN_IF_ERROR(fn(i, out));
  }
  return out.Finish();
}

// Unary double -> double kernel keeping validity.
template <typename Fn>
absl::StatusOr<Column> MapDoubles(std::span<const Column> args, Fn fn) {
  const Column& in = args[0];
  std::vector<double> out(in.size());
  const auto& v = in.doubles();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!in.IsValid(i)) continue;
    CS_ASSIGN_OR_RETURN(out[i], fn(v[i]));
  }
  Column c = Column::FromDouble(std::move(out));
  c.SetValidity(in.validity());
  return c;
}

// ---- time -----------------------------------------------------------------------------------

enum class TimeUnit {
  kMicrosecond,
  kMillisecond,
  kSecond,
  kMinute,
  kHour,
  kDay,
  kWeek,
  kMonth,
  kQuarter,
  kYear,
  kDecade,
  kCentury
};

absl::StatusOr<TimeUnit> ParseUnit(std::string_view unit_text) {
  std::string u = absl::AsciiStrToLower(base::AsAbsl(unit_text));
  if (!u.empty() && u.back() == 's' && u != "s") u.pop_back();  // plural forms
  static const auto* const kUnits =
      new absl::flat_hash_map<std::string, TimeUnit>{{"microsecond", TimeUnit::kMicrosecond},
                                                     {"us", TimeUnit::kMicrosecond},
                                                     {"millisecond", TimeUnit::kMillisecond},
                                                     {"m", TimeUnit::kMillisecond},
                                                     {"second", TimeUnit::kSecond},
                                                     {"sec", TimeUnit::kSecond},
                                                     {"s", TimeUnit::kSecond},
                                                     {"minute", TimeUnit::kMinute},
                                                     {"min", TimeUnit::kMinute},
                                                     {"hour", TimeUnit::kHour},
                                                     {"h", TimeUnit::kHour},
                                                     {"day", TimeUnit::kDay},
                                                     {"d", TimeUnit::kDay},
                                                     {"week", TimeUnit::kWeek},
                                                     {"w", TimeUnit::kWeek},
                                                     {"month", TimeUnit::kMonth},
                                                     {"mon", TimeUnit::kMonth},
                                                     {"quarter", TimeUnit::kQuarter},
                                                     {"year", TimeUnit::kYear},
                                                     {"y", TimeUnit::kYear},
                                                     {"decade", TimeUnit::kDecade},
                                                     {"century", TimeUnit::kCentury},
                                                     {"centurie", TimeUnit::kCentury}};
  // "ms" became "m" by the plural rule above; only accept it in that spelling.
  if (u == "m" && unit_text.size() == 2) return TimeUnit::kMillisecond;
  if (u == "m")
    return absl::InvalidArgumentError(base::StrCat("unknown time unit '", unit_text, "'"));
  auto it = kUnits->find(u);
  if (it == kUnits->end()) {
    return absl::InvalidArgumentError(base::StrCat(
        "unknown time unit '", unit_text,
        "' (expected microsecond, millisecond, second, minute, hour, day, week, month, quarter, "
        "year, decade or century)"));
  }
  return it->second;
}

int64_t TruncTo(TimeUnit unit, int64_t ts) {
  auto floor_to = [ts](int64_t width) { return FloorTo(ts, width); };
  switch (unit) {
    case TimeUnit::kMicrosecond:
      return floor_to(kNanosPerMicro);
    case TimeUnit::kMillisecond:
      return floor_to(kNanosPerMilli);
    case TimeUnit::kSecond:
      return floor_to(kNanosPerSecond);
    case TimeUnit::kMinute:
      return floor_to(kNanosPerMinute);
    case TimeUnit::kHour:
      return floor_to(kNanosPerHour);
    case TimeUnit::kDay:
      return floor_to(kNanosPerDay);
    default:
      break;
  }
  const int64_t days = FloorDiv(ts, kNanosPerDay);
  absl::CivilDay day = absl::CivilDay(1970, 1, 1) + days;
  absl::CivilDay out = day;
  switch (unit) {
    case TimeUnit::kWeek: {
      // absl::Weekday: Monday = 0.
      int since_monday = static_cast<int>(absl::GetWeekday(day));
      out = day - since_monday;
      break;
    }
    case TimeUnit::kMonth:
      out = absl::CivilDay(day.year(), day.month(), 1);
      break;
    case TimeUnit::kQuarter:
      out = absl::CivilDay(day.year(), ((day.month() - 1) / 3) * 3 + 1, 1);
      break;
    case TimeUnit::kYear:
      out = absl::CivilDay(day.year(), 1, 1);
      break;
    case TimeUnit::kDecade:
      out = absl::CivilDay(day.year() - (((day.year() % 10) + 10) % 10), 1, 1);
      break;
    case TimeUnit::kCentury: {
      // Centuries start at year 1, 101, ... 2001 (PostgreSQL).
      int64_t y = day.year();
      int64_t start = y > 0 ? ((y - 1) / 100) * 100 + 1 : -(((-y) / 100) * 100) - 99;
      out = absl::CivilDay(start, 1, 1);
      break;
    }
    default:
      break;
  }
  // Clamp: the start of the year (say) of a timestamp near INT64_MIN is not representable.
  const __int128 result = static_cast<__int128>(out - absl::CivilDay(1970, 1, 1)) * kNanosPerDay;
  return result < INT64_MIN ? INT64_MIN : static_cast<int64_t>(result);
}

absl::StatusOr<double> DatePart(std::string_view field_text, int64_t ts) {
  std::string f = absl::AsciiStrToLower(base::AsAbsl(field_text));
  const int64_t days = FloorDiv(ts, kNanosPerDay);
  const int64_t nanos_of_day = FloorMod(ts, kNanosPerDay);
  const absl::CivilDay day = absl::CivilDay(1970, 1, 1) + days;
  const int64_t nanos_of_minute = nanos_of_day % kNanosPerMinute;
  if (f == "epoch") {
    return static_cast<double>(FloorDiv(ts, kNanosPerSecond)) +
           static_cast<double>(FloorMod(ts, kNanosPerSecond)) / 1e9;
  }
  if (f == "year" || f == "years") return static_cast<double>(day.year());
  if (f == "quarter") return static_cast<double>((day.month() - 1) / 3 + 1);
  if (f == "month" || f == "months") return static_cast<double>(day.month());
  if (f == "day" || f == "days") return static_cast<double>(day.day());
  if (f == "doy") return static_cast<double>(absl::GetYearDay(day));
  if (f == "dow" || f == "isodow") {
    int monday0 = static_cast<int>(absl::GetWeekday(day));  // Monday 0 .. Sunday 6
    if (f == "isodow") return static_cast<double>(monday0 + 1);
    return static_cast<double>((monday0 + 1) % 7);
  }
  if (f == "week") {
    // ISO 8601 week: the week containing the year's first Thursday is week 1.
    const int monday0 = static_cast<int>(absl::GetWeekday(day));
    const absl::CivilDay thursday = day - monday0 + 3;
    const absl::CivilDay jan1(thursday.year(), 1, 1);
    return static_cast<double>((thursday - jan1) / 7 + 1);
  }
  if (f == "hour" || f == "hours") return static_cast<double>(nanos_of_day / kNanosPerHour);
  if (f == "minute" || f == "minutes") {
    return static_cast<double>((nanos_of_day / kNanosPerMinute) % 60);
  }
  if (f == "second" || f == "seconds") return static_cast<double>(nanos_of_minute) / 1e9;
  if (f == "millisecond" || f == "milliseconds") return static_cast<double>(nanos_of_minute) / 1e6;
  if (f == "microsecond" || f == "microseconds") return static_cast<double>(nanos_of_minute) / 1e3;
  return absl::InvalidArgumentError(base::StrCat(
      "unknown date_part field '", field_text,
      "' (expected epoch, year, quarter, month, week, day, dow, isodow, doy, hour, minute, second, "
      "millisecond or microsecond)"));
}

absl::StatusOr<Column> DateTruncKernel(std::span<const Column> a, size_t n) {
  std::string last_unit;
  TimeUnit unit = TimeUnit::kSecond;
  bool have_unit = false;
  return Rows(a, n, TypeId::kTimestampNs, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view u = Str(a, 0, i);
    if (!have_unit || u != last_unit) {
      CS_ASSIGN_OR_RETURN(unit, ParseUnit(u));
      last_unit.assign(u);
      have_unit = true;
    }
    out.AppendInt64(TruncTo(unit, I64(a, 1, i)));
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> DatePartKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kDouble, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    CS_ASSIGN_OR_RETURN(double v, DatePart(Str(a, 0, i), I64(a, 1, i)));
    out.AppendDouble(v);
    return absl::OkStatus();
  });
}

ScalarKernel DateBinKernel(int64_t default_origin) {
  return [default_origin](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    return Rows(a, n, TypeId::kTimestampNs, [&](size_t i, ColumnBuilder& out) -> absl::Status {
      int64_t stride = I64(a, 0, i);
      if (stride <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("stride must be greater than zero, got ", stride, "ns"));
      }
      int64_t origin = a.size() > 2 ? I64(a, 2, i) : default_origin;
      out.AppendInt64(DateBin(stride, I64(a, 1, i), origin));
      return absl::OkStatus();
    });
  };
}

// ---- numeric --------------------------------------------------------------------------------

absl::StatusOr<Column> AbsInt(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kInt64, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    int64_t v = I64(a, 0, i);
    if (v == std::numeric_limits<int64_t>::min()) {
      return absl::OutOfRangeError(absl::StrCat("int64 out of range: abs(", v, ")"));
    }
    out.AppendInt64(v < 0 ? -v : v);
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> IdentityInt(std::span<const Column> a, size_t n) { return a[0]; }

ScalarKernel DoubleFn(double (*fn)(double)) {
  return [fn](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    return MapDoubles(a, [fn](double v) -> absl::StatusOr<double> { return fn(v); });
  };
}

absl::StatusOr<Column> SqrtKernel(std::span<const Column> a, size_t n) {
  return MapDoubles(a, [](double v) -> absl::StatusOr<double> {
    if (v < 0) return absl::InvalidArgumentError("cannot take square root of a negative number");
    return std::sqrt(v);
  });
}

ScalarKernel LogKernel(double (*fn)(double)) {
  return [fn](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    return MapDoubles(a, [fn](double v) -> absl::StatusOr<double> {
      if (v == 0) return absl::InvalidArgumentError("cannot take logarithm of zero");
      if (v < 0) return absl::InvalidArgumentError("cannot take logarithm of a negative number");
      return fn(v);
    });
  };
}

absl::StatusOr<Column> RoundDigits(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kDouble, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    double v = F64(a, 0, i);
    int64_t digits = std::clamp<int64_t>(I64(a, 1, i), -308, 308);
    double scale = std::pow(10.0, static_cast<double>(digits));
    double r = std::round(v * scale) / scale;
    out.AppendDouble(std::isfinite(r) ? r : v);
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> PowerKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kDouble, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    out.AppendDouble(std::pow(F64(a, 0, i), F64(a, 1, i)));
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> LogBaseKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kDouble, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    double b = F64(a, 0, i), x = F64(a, 1, i);
    if (b <= 0 || x <= 0) {
      return absl::InvalidArgumentError("cannot take logarithm of zero or a negative number");
    }
    if (b == 1) return absl::InvalidArgumentError("division by zero");
    out.AppendDouble(std::log(x) / std::log(b));
    return absl::OkStatus();
  });
}

ScalarKernel SignKernel(TypeId type) {
  return [type](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    return Rows(a, n, type, [&](size_t i, ColumnBuilder& out) -> absl::Status {
      if (type == TypeId::kInt64) {
        int64_t v = I64(a, 0, i);
        out.AppendInt64((v > 0) - (v < 0));
      } else {
        double v = F64(a, 0, i);
        out.AppendDouble(std::isnan(v) ? v : static_cast<double>((v > 0) - (v < 0)));
      }
      return absl::OkStatus();
    });
  };
}

ScalarKernel ExtremeKernel(bool greatest) {
  return [greatest](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    const TypeId type = a[0].type();
    ColumnBuilder out(type);
    out.Reserve(n);
    for (size_t i = 0; i < n; ++i) {
      int best = -1;
      for (size_t k = 0; k < a.size(); ++k) {
        if (!a[k].IsValid(i)) continue;
        if (best < 0) {
          best = static_cast<int>(k);
          continue;
        }
        const Column& b = a[best];
        const Column& c = a[k];
        int cmp = 0;
        switch (type) {
          case TypeId::kDouble:
            cmp = CompareDoubles(c.doubles()[i], b.doubles()[i]);
            break;
          case TypeId::kString:
            cmp = c.StringAt(i).compare(b.StringAt(i));
            break;
          case TypeId::kUInt64:
            cmp = (c.uint64s()[i] > b.uint64s()[i]) - (c.uint64s()[i] < b.uint64s()[i]);
            break;
          case TypeId::kBool:
            cmp = c.bools()[i] - b.bools()[i];
            break;
          default:
            cmp = (c.int64s()[i] > b.int64s()[i]) - (c.int64s()[i] < b.int64s()[i]);
            break;
        }
        if (greatest ? cmp > 0 : cmp < 0) best = static_cast<int>(k);
      }
      if (best < 0) {
        out.AppendNull();
      } else {
        out.AppendFrom(a[best], i);
      }
    }
    return out.Finish();
  };
}

// ---- strings --------------------------------------------------------------------------------

size_t CodePoints(std::string_view s) {
  size_t count = 0;
  for (unsigned char c : s) count += (c & 0xc0) != 0x80;
  return count;
}

// Byte offset of code point `index` (0-based), clamped to s.size().
size_t ByteOffset(std::string_view s, int64_t index) {
  size_t pos = 0;
  for (int64_t i = 0; i < index && pos < s.size(); ++i) {
    pos = std::min(s.size(), pos + internal::Utf8Length(static_cast<unsigned char>(s[pos])));
  }
  return pos;
}

ScalarKernel StringToString(std::string (*fn)(std::string_view)) {
  return [fn](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
      out.AppendString(fn(Str(a, 0, i)));
      return absl::OkStatus();
    });
  };
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(base::AsAbsl(s)); }
std::string Upper(std::string_view s) { return absl::AsciiStrToUpper(base::AsAbsl(s)); }
std::string Reverse(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    out.append(s.substr(start, end - start));
    end = start;
  }
  return out;
}

absl::StatusOr<Column> LengthKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kInt64, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    out.AppendInt64(static_cast<int64_t>(CodePoints(Str(a, 0, i))));
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> OctetLengthKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kInt64, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    out.AppendInt64(static_cast<int64_t>(Str(a, 0, i).size()));
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> ConcatKernel(std::span<const Column> a, size_t n) {
  ColumnBuilder out(TypeId::kString);
  out.Reserve(n);
  std::string buf;
  for (size_t i = 0; i < n; ++i) {
    buf.clear();
    for (const Column& c : a) {
      if (c.IsValid(i)) base::StrAppend(&buf, c.StringAt(i));
    }
    out.AppendString(buf);
  }
  return out.Finish();
}

absl::StatusOr<Column> SubstrKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view s = Str(a, 0, i);
    // PostgreSQL: characters from `start` (1-based, may be <= 0) for `count` characters.
    int64_t start = I64(a, 1, i);
    int64_t end = std::numeric_limits<int64_t>::max();
    if (a.size() > 2) {
      int64_t count = I64(a, 2, i);
      if (count < 0) return absl::InvalidArgumentError("negative substring length not allowed");
      if (__builtin_add_overflow(start, count, &end)) end = std::numeric_limits<int64_t>::max();
    }
    int64_t from = std::max<int64_t>(start, 1) - 1;
    int64_t to = end - 1;
    if (to <= from) {
      out.AppendString("");
      return absl::OkStatus();
    }
    size_t b = ByteOffset(s, from);
    size_t e = ByteOffset(s, to);
    out.AppendString(s.substr(b, e - b));
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> LeftRightKernel(std::span<const Column> a, size_t n, bool left) {
  return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view s = Str(a, 0, i);
    int64_t k = I64(a, 1, i);
    int64_t len = static_cast<int64_t>(CodePoints(s));
    // Negative k: all but the last (left) or first (right) |k| characters.
    int64_t keep = k >= 0 ? std::min(k, len) : std::max<int64_t>(0, len + k);
    if (left) {
      out.AppendString(s.substr(0, ByteOffset(s, keep)));
    } else {
      out.AppendString(s.substr(ByteOffset(s, len - keep)));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> ReplaceKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view s = Str(a, 0, i), from = Str(a, 1, i), to = Str(a, 2, i);
    if (from.empty()) {
      out.AppendString(s);
      return absl::OkStatus();
    }
    std::string result;
    size_t pos = 0;
    while (true) {
      size_t hit = s.find(from, pos);
      if (hit == std::string_view::npos) break;
      result.append(s.substr(pos, hit - pos));
      result.append(to);
      pos = hit + from.size();
    }
    result.append(s.substr(pos));
    out.AppendString(result);
    return absl::OkStatus();
  });
}

ScalarKernel TrimKernel(bool leading, bool trailing) {
  return [leading, trailing](std::span<const Column> a, size_t n) -> absl::StatusOr<Column> {
    return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
      std::string_view s = Str(a, 0, i);
      std::string_view chars = a.size() > 1 ? Str(a, 1, i) : std::string_view(" ");
      // Characters are matched as whole UTF-8 sequences.
      auto in_set = [&](std::string_view ch) {
        for (size_t p = 0; p < chars.size();) {
          size_t len = internal::Utf8Length(static_cast<unsigned char>(chars[p]));
          if (chars.substr(p, len) == ch) return true;
          p += len;
        }
        return false;
      };
      if (leading) {
        while (!s.empty()) {
          size_t len = std::min(s.size(), internal::Utf8Length(static_cast<unsigned char>(s[0])));
          if (!in_set(s.substr(0, len))) break;
          s.remove_prefix(len);
        }
      }
      if (trailing) {
        while (!s.empty()) {
          size_t start = s.size() - 1;
          while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
          if (!in_set(s.substr(start))) break;
          s.remove_suffix(s.size() - start);
        }
      }
      out.AppendString(s);
      return absl::OkStatus();
    });
  };
}

absl::StatusOr<Column> StartsWithKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kBool, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view s = Str(a, 0, i), prefix = Str(a, 1, i);
    out.AppendBool(s.substr(0, prefix.size()) == prefix);
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> StrposKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kInt64, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view s = Str(a, 0, i), sub = Str(a, 1, i);
    size_t hit = s.find(sub);
    out.AppendInt64(
        hit == std::string_view::npos ? 0 : static_cast<int64_t>(CodePoints(s.substr(0, hit))) + 1);
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> SplitPartKernel(std::span<const Column> a, size_t n) {
  return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view s = Str(a, 0, i), delim = Str(a, 1, i);
    int64_t field = I64(a, 2, i);
    if (field == 0) return absl::InvalidArgumentError("field position must not be zero");
    std::vector<std::string_view> parts;
    if (delim.empty()) {
      parts.push_back(s);
    } else {
      size_t pos = 0;
      while (true) {
        size_t hit = s.find(delim, pos);
        if (hit == std::string_view::npos) {
          parts.push_back(s.substr(pos));
          break;
        }
        parts.push_back(s.substr(pos, hit - pos));
        pos = hit + delim.size();
      }
    }
    const int64_t count = static_cast<int64_t>(parts.size());
    int64_t index = field > 0 ? field - 1 : count + field;
    out.AppendString(index >= 0 && index < count ? parts[index] : std::string_view());
    return absl::OkStatus();
  });
}

absl::StatusOr<Column> RegexpReplaceKernel(std::span<const Column> a, size_t n) {
  std::string last_key;
  std::unique_ptr<RE2> re;
  bool global = false;
  return Rows(a, n, TypeId::kString, [&](size_t i, ColumnBuilder& out) -> absl::Status {
    std::string_view pattern = Str(a, 1, i);
    std::string_view flags = a.size() > 3 ? Str(a, 3, i) : std::string_view();
    std::string key = base::StrCat(flags, "/", pattern);
    if (re == nullptr || key != last_key) {
      bool ci = false;
      global = false;
      for (char f : flags) {
        if (f == 'g') {
          global = true;
        } else if (f == 'i') {
          ci = true;
        } else if (f != 'c') {
          return absl::InvalidArgumentError(
              base::StrCat("invalid regular expression flag '", std::string_view(&f, 1), "'"));
        }
      }
      CS_ASSIGN_OR_RETURN(re, internal::CompileRegexp(pattern, ci));
      last_key = std::move(key);
    }
    std::string s(Str(a, 0, i));
    std::string_view repl_view = Str(a, 2, i);
    re2::StringPiece repl(repl_view.data(), repl_view.size());
    if (global) {
      RE2::GlobalReplace(&s, *re, repl);
    } else {
      RE2::Replace(&s, *re, repl);
    }
    out.AppendString(s);
    return absl::OkStatus();
  });
}

// ---- registry -------------------------------------------------------------------------------

struct Signature {
  std::vector<TypeId> params;
  TypeId result;
  ScalarKernel kernel;
};

struct FunctionDef {
  std::vector<Signature> signatures;
  bool strict = true;
  // Variadic functions: all arguments converted to one type chosen by `variadic`.
  enum class Variadic { kNone, kCommonType, kAllStrings } variadic = Variadic::kNone;
  ScalarKernel variadic_kernel;
};

bool Accepts(TypeId param, TypeId arg) {
  if (param == arg) return true;
  if (param == TypeId::kDouble && IsNumeric(arg)) return true;
  if (param == TypeId::kInt64 && arg == TypeId::kUInt64) return true;
  if (param == TypeId::kTimestampNs && arg == TypeId::kString) return true;
  return false;
}

using Registry = absl::flat_hash_map<std::string, FunctionDef>;

const Registry& GetRegistry() {
  static const Registry* const registry = [] {
    auto* r = new Registry;
    constexpr TypeId S = TypeId::kString, I = TypeId::kInt64, D = TypeId::kDouble,
                     T = TypeId::kTimestampNs, B = TypeId::kBool;
    auto add = [r](std::initializer_list<std::string_view> names, FunctionDef def) {
      for (std::string_view name : names) (*r)[std::string(name)] = def;
    };
    auto sig = [](std::vector<TypeId> params, TypeId result, ScalarKernel kernel) {
      return Signature{std::move(params), result, std::move(kernel)};
    };
    add({"date_trunc"}, {{sig({S, T}, T, DateTruncKernel)}});
    add({"date_part", "extract"}, {{sig({S, T}, D, DatePartKernel)}});
    add({"date_bin"}, {{sig({I, T}, T, DateBinKernel(0)), sig({I, T, T}, T, DateBinKernel(0))}});
    add({"time_bucket"}, {{sig({I, T}, T, DateBinKernel(kTimeBucketOrigin)),
                           sig({I, T, T}, T, DateBinKernel(kTimeBucketOrigin))}});
    add({"abs"}, {{sig({I}, I, AbsInt), sig({D}, D, DoubleFn(std::fabs))}});
    add({"round"}, {{sig({I}, I, IdentityInt), sig({D}, D, DoubleFn(std::round)),
                     sig({D, I}, D, RoundDigits)}});
    add({"floor"}, {{sig({I}, I, IdentityInt), sig({D}, D, DoubleFn(std::floor))}});
    add({"ceil", "ceiling"}, {{sig({I}, I, IdentityInt), sig({D}, D, DoubleFn(std::ceil))}});
    add({"sign"}, {{sig({I}, I, SignKernel(I)), sig({D}, D, SignKernel(D))}});
    add({"sqrt"}, {{sig({D}, D, SqrtKernel)}});
    add({"cbrt"}, {{sig({D}, D, DoubleFn(std::cbrt))}});
    add({"ln"}, {{sig({D}, D, LogKernel(std::log))}});
    add({"log10"}, {{sig({D}, D, LogKernel(std::log10))}});
    add({"log"}, {{sig({D}, D, LogKernel(std::log10)), sig({D, D}, D, LogBaseKernel)}});
    add({"exp"}, {{sig({D}, D, DoubleFn(std::exp))}});
    add({"power", "pow"}, {{sig({D, D}, D, PowerKernel)}});
    FunctionDef greatest;
    greatest.strict = false;
    greatest.variadic = FunctionDef::Variadic::kCommonType;
    greatest.variadic_kernel = ExtremeKernel(true);
    add({"greatest"}, greatest);
    greatest.variadic_kernel = ExtremeKernel(false);
    add({"least"}, greatest);
    FunctionDef concat;
    concat.strict = false;
    concat.variadic = FunctionDef::Variadic::kAllStrings;
    concat.variadic_kernel = ConcatKernel;
    add({"concat"}, concat);
    add({"lower"}, {{sig({S}, S, StringToString(Lower))}});
    add({"upper"}, {{sig({S}, S, StringToString(Upper))}});
    add({"reverse"}, {{sig({S}, S, StringToString(Reverse))}});
    add({"length", "char_length", "character_length"}, {{sig({S}, I, LengthKernel)}});
    add({"octet_length"}, {{sig({S}, I, OctetLengthKernel)}});
    add({"substr", "substring"}, {{sig({S, I}, S, SubstrKernel), sig({S, I, I}, S, SubstrKernel)}});
    add({"left"}, {{sig({S, I}, S, [](std::span<const Column> a, size_t n) {
          return LeftRightKernel(a, n, true);
        })}});
    add({"right"}, {{sig({S, I}, S, [](std::span<const Column> a, size_t n) {
          return LeftRightKernel(a, n, false);
        })}});
    add({"replace"}, {{sig({S, S, S}, S, ReplaceKernel)}});
    add({"trim", "btrim"},
        {{sig({S}, S, TrimKernel(true, true)), sig({S, S}, S, TrimKernel(true, true))}});
    add({"ltrim"},
        {{sig({S}, S, TrimKernel(true, false)), sig({S, S}, S, TrimKernel(true, false))}});
    add({"rtrim"},
        {{sig({S}, S, TrimKernel(false, true)), sig({S, S}, S, TrimKernel(false, true))}});
    add({"starts_with"}, {{sig({S, S}, B, StartsWithKernel)}});
    add({"strpos"}, {{sig({S, S}, I, StrposKernel)}});
    add({"split_part"}, {{sig({S, S, I}, S, SplitPartKernel)}});
    add({"regexp_replace"},
        {{sig({S, S, S}, S, RegexpReplaceKernel), sig({S, S, S, S}, S, RegexpReplaceKernel)}});
    return r;
  }();
  return *registry;
}

std::string TypeList(std::span<const TypeId> types) {
  std::vector<std::string> names;
  for (TypeId t : types) names.emplace_back(model::TypeName(t));
  return absl::StrJoin(names, ", ");
}

}  // namespace

int64_t DateBin(int64_t stride_ns, int64_t ts, int64_t origin) {
  __int128 delta = static_cast<__int128>(ts) - origin;
  __int128 q = delta / stride_ns;
  if (delta % stride_ns != 0 && delta < 0) --q;
  __int128 result = static_cast<__int128>(origin) + q * stride_ns;
  if (result < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(result);
}

absl::StatusOr<int64_t> DateTrunc(std::string_view unit, int64_t ts) {
  CS_ASSIGN_OR_RETURN(TimeUnit u, ParseUnit(unit));
  return TruncTo(u, ts);
}

bool IsScalarFunction(std::string_view name) {
  return GetRegistry().contains(absl::AsciiStrToLower(base::AsAbsl(name)));
}

absl::StatusOr<BoundScalarFunction> LookupScalarFunction(std::string_view name,
                                                         std::span<const TypeId> arg_types) {
  std::string lower = absl::AsciiStrToLower(base::AsAbsl(name));
  const Registry& registry = GetRegistry();
  auto it = registry.find(lower);
  if (it == registry.end()) {
    return absl::NotFoundError(base::StrCat("unknown function: ", name));
  }
  const FunctionDef& def = it->second;
  BoundScalarFunction out;
  out.name = lower;
  out.strict = def.strict;
  switch (def.variadic) {
    case FunctionDef::Variadic::kCommonType: {
      if (arg_types.empty()) {
        return absl::InvalidArgumentError(base::StrCat("function ", lower, "() needs arguments"));
      }
      absl::StatusOr<TypeId> common =
          CommonSuperType(lower, std::vector<TypeId>(arg_types.begin(), arg_types.end()));
      if (!common.ok()) {
        return absl::InvalidArgumentError(
            base::StrCat("function ", lower, "(", TypeList(arg_types),
                         ") does not exist: ", common.status().message()));
      }
      out.arg_types.assign(arg_types.size(), *common);
      out.result_type = *common;
      out.kernel = def.variadic_kernel;
      return out;
    }
    case FunctionDef::Variadic::kAllStrings:
      if (arg_types.empty()) {
        return absl::InvalidArgumentError(base::StrCat("function ", lower, "() needs arguments"));
      }
      out.arg_types.assign(arg_types.size(), TypeId::kString);
      out.result_type = TypeId::kString;
      out.kernel = def.variadic_kernel;
      return out;
    case FunctionDef::Variadic::kNone:
      break;
  }
  for (const Signature& s : def.signatures) {
    if (s.params.size() != arg_types.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < s.params.size() && ok; ++i) ok = Accepts(s.params[i], arg_types[i]);
    if (!ok) continue;
    out.arg_types = s.params;
    out.result_type = s.result;
    out.kernel = s.kernel;
    return out;
  }
  std::vector<std::string> expected;
  for (const Signature& s : def.signatures) {
    expected.push_back(base::StrCat(lower, "(", TypeList(s.params), ")"));
  }
  return absl::InvalidArgumentError(base::StrCat("function ", lower, "(", TypeList(arg_types),
                                                 ") does not exist; expected ",
                                                 absl::StrJoin(expected, " or ")));
}

}  // namespace cardinalsin::exec
