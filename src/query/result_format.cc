#include "query/result_format.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <variant>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/check.h"
#include "base/json_string.h"
#include "base/status_macros.h"

namespace cardinalsin::query {

std::optional<ResultFormat> ParseResultFormat(std::string_view name) {
  auto equals = [name](std::string_view want) {
    if (name.size() != want.size()) {
      return false;
    }
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
      if (c != want[i]) {
        return false;
      }
    }
    return true;
  };
  if (equals("json")) {
    return ResultFormat::kJson;
  }
  if (equals("csv")) {
    return ResultFormat::kCsv;
  }
  if (equals("arrow")) {
    return ResultFormat::kArrow;
  }
  if (equals("ndjson")) {
    return ResultFormat::kNdjson;
  }
  return std::nullopt;
}

std::string_view ResultFormatName(ResultFormat format) {
  switch (format) {
    case ResultFormat::kJson:
      return "json";
    case ResultFormat::kCsv:
      return "csv";
    case ResultFormat::kArrow:
      return "arrow";
    case ResultFormat::kNdjson:
      return "ndjson";
  }
  return "json";
}

std::string_view ResultContentType(ResultFormat format) {
  switch (format) {
    case ResultFormat::kJson:
      return "application/json";
    case ResultFormat::kCsv:
      return "text/csv; charset=utf-8";
    case ResultFormat::kArrow:
      return "application/vnd.apache.arrow.stream";
    case ResultFormat::kNdjson:
      return "application/x-ndjson";
  }
  return "application/json";
}

namespace {

// ---- Scalars ------------------------------------------------------------------------------------

template <typename Int>
void AppendInt(std::string* out, Int value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

// Shortest round-trip text of a finite double, with ".0" added when it would read as an integer,
// so that clients keep the float type ("10.0", "-0.0").
void AppendFiniteDouble(std::string* out, double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  out->append(text);
  if (text.find_first_of(".e") == std::string_view::npos) {
    out->append(".0");
  }
}

void AppendTwoDigits(char* at, unsigned value) {
  at[0] = static_cast<char>('0' + value / 10);
  at[1] = static_cast<char>('0' + value % 10);
}

// ---- Column access ------------------------------------------------------------------------------

// A column reduced to what the text encoders need: the storage kind and raw pointers, so that the
// per-value work is one switch on a small enum.
struct ColumnView {
  enum class Kind { kBool, kInt64, kTimestamp, kUInt64, kDouble, kString, kDictString };
  Kind kind = Kind::kInt64;
  const uint8_t* validity = nullptr;  // null: no nulls
  const uint8_t* bools = nullptr;
  const int64_t* int64s = nullptr;
  const uint64_t* uint64s = nullptr;
  const double* doubles = nullptr;
  const model::StringVector* strings = nullptr;  // plain values, or the dictionary
  const uint32_t* codes = nullptr;

  bool IsNull(size_t row) const { return validity != nullptr && validity[row] == 0; }
  std::string_view String(size_t row) const {
    return strings->Get(kind == Kind::kDictString ? codes[row] : row);
  }
};

// Picks the view by storage rather than by TypeId, so that a type added to model/types.h with an
// existing storage (an int64-backed duration, say) still encodes, as that storage.
ColumnView ViewOf(const model::Column& column) {
  ColumnView view;
  if (!column.validity().empty()) {
    view.validity = column.validity().data();
  }
  std::visit(
      [&](const auto& storage) {
        using Storage = std::decay_t<decltype(storage)>;
        if constexpr (std::is_same_v<Storage, std::vector<uint8_t>>) {
          view.kind = ColumnView::Kind::kBool;
          view.bools = storage.data();
        } else if constexpr (std::is_same_v<Storage, std::vector<int64_t>>) {
          view.kind = column.type() == model::TypeId::kTimestampNs ? ColumnView::Kind::kTimestamp
                                                                   : ColumnView::Kind::kInt64;
          view.int64s = storage.data();
        } else if constexpr (std::is_same_v<Storage, std::vector<uint64_t>>) {
          view.kind = ColumnView::Kind::kUInt64;
          view.uint64s = storage.data();
        } else if constexpr (std::is_same_v<Storage, std::vector<double>>) {
          view.kind = ColumnView::Kind::kDouble;
          view.doubles = storage.data();
        } else if constexpr (std::is_same_v<Storage, model::StringVector>) {
          view.kind = ColumnView::Kind::kString;
          view.strings = &storage;
        } else {
          static_assert(std::is_same_v<Storage, model::DictionaryStrings>);
          view.kind = ColumnView::Kind::kDictString;
          view.strings = &storage.dictionary;
          view.codes = storage.codes.data();
        }
      },
      column.storage());
  return view;
}

void AppendJsonValue(std::string* out, const ColumnView& column, size_t row) {
  if (column.IsNull(row)) {
    out->append("null");
    return;
  }
  switch (column.kind) {
    case ColumnView::Kind::kBool:
      out->append(column.bools[row] != 0 ? "true" : "false");
      return;
    case ColumnView::Kind::kInt64:
    case ColumnView::Kind::kTimestamp:
      AppendInt(out, column.int64s[row]);
      return;
    case ColumnView::Kind::kUInt64:
      AppendInt(out, column.uint64s[row]);
      return;
    case ColumnView::Kind::kDouble: {
      double value = column.doubles[row];
      if (std::isfinite(value)) {
        AppendFiniteDouble(out, value);
      } else {
        out->append("null");
      }
      return;
    }
    case ColumnView::Kind::kString:
    case ColumnView::Kind::kDictString:
      base::AppendJsonString(out, column.String(row));
      return;
  }
}

void AppendCsvString(std::string* out, std::string_view text) {
  if (!text.empty() && text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') {
      out->push_back('"');
    }
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvValue(std::string* out, const ColumnView& column, size_t row) {
  if (column.IsNull(row)) {
    return;
  }
  switch (column.kind) {
    case ColumnView::Kind::kBool:
      out->append(column.bools[row] != 0 ? "true" : "false");
      return;
    case ColumnView::Kind::kInt64:
      AppendInt(out, column.int64s[row]);
      return;
    case ColumnView::Kind::kTimestamp:
      AppendIsoTimestamp(out, column.int64s[row]);
      return;
    case ColumnView::Kind::kUInt64:
      AppendInt(out, column.uint64s[row]);
      return;
    case ColumnView::Kind::kDouble: {
      double value = column.doubles[row];
      if (std::isnan(value)) {
        out->append("NaN");
      } else if (std::isinf(value)) {
        out->append(value > 0 ? "Infinity" : "-Infinity");
      } else {
        AppendFiniteDouble(out, value);
      }
      return;
    }
    case ColumnView::Kind::kString:
    case ColumnView::Kind::kDictString:
      AppendCsvString(out, column.String(row));
      return;
  }
}

}  // namespace

void AppendIsoTimestamp(std::string* out, int64_t ns) {
  constexpr int64_t kNsPerSecond = 1'000'000'000;
  constexpr int64_t kSecondsPerDay = 86'400;
  // Floor division, so that instants before 1970 keep a positive fraction.
  int64_t seconds = ns / kNsPerSecond;
  int64_t fraction = ns % kNsPerSecond;
  if (fraction < 0) {
    fraction += kNsPerSecond;
    --seconds;
  }
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  // Days since 1970-01-01 to a proleptic Gregorian date: shift the epoch to 0000-03-01 so that
  // the leap day ends each 400-year era's years, then peel off eras, years and months.
  int64_t z = days + 719'468;
  int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  int64_t day_of_era = z - era * 146'097;  // [0, 146096]
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t month_index = (5 * day_of_year + 2) / 153;  // March = 0
  unsigned day = static_cast<unsigned>(day_of_year - (153 * month_index + 2) / 5 + 1);
  unsigned month = static_cast<unsigned>(month_index < 10 ? month_index + 3 : month_index - 9);
  int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

  // int64 nanoseconds span years 1677..2262, so the year always has four digits.
  char buffer[32];
  unsigned y = static_cast<unsigned>(year);
  AppendTwoDigits(buffer, y / 100);
  AppendTwoDigits(buffer + 2, y % 100);
  buffer[4] = '-';
  AppendTwoDigits(buffer + 5, month);
  buffer[7] = '-';
  AppendTwoDigits(buffer + 8, day);
  buffer[10] = 'T';
  unsigned sod = static_cast<unsigned>(second_of_day);
  AppendTwoDigits(buffer + 11, sod / 3600);
  buffer[13] = ':';
  AppendTwoDigits(buffer + 14, sod / 60 % 60);
  buffer[16] = ':';
  AppendTwoDigits(buffer + 17, sod % 60);
  buffer[19] = '.';
  uint64_t f = static_cast<uint64_t>(fraction);
  for (int i = 28; i >= 20; --i) {
    buffer[i] = static_cast<char>('0' + f % 10);
    f /= 10;
  }
  buffer[29] = 'Z';
  out->append(buffer, 30);
}

absl::Status ValidateResult(const SqlResult& result) {
  for (size_t i = 0; i < result.batches.size(); ++i) {
    const model::RecordBatch& batch = result.batches[i];
    if (!(batch.schema() == result.schema)) {
      return absl::InternalError(
          absl::StrFormat("result batch %d has a schema different from the result's schema", i));
    }
    if (absl::Status status = batch.Validate(); !status.ok()) {
      return absl::InternalError(
          absl::StrFormat("result batch %d is invalid: %s", i, status.message()));
    }
  }
  return absl::OkStatus();
}

ResultEncoder::ResultEncoder(ResultFormat format, const SqlResult& result, EncodeOptions options)
    : format_(format), result_(result), options_(options) {}

ResultEncoder::~ResultEncoder() = default;

absl::Status ResultEncoder::EncodeSome(std::string* out, size_t target_bytes) {
  CS_DCHECK(!done());
  if (format_ == ResultFormat::kArrow) {
    absl::Status status = EncodeArrow(out);
    if (!status.ok()) {
      phase_ = Phase::kDone;
    }
    return status;
  }
  size_t start = out->size();
  if (phase_ == Phase::kHeader) {
    EncodeHeader(out);
    phase_ = Phase::kRows;
  }
  if (phase_ == Phase::kRows) {
    size_t written = out->size() - start;
    EncodeRows(out, target_bytes > written ? target_bytes - written : 0);
    if (batch_ == result_.batches.size()) {
      phase_ = Phase::kFooter;
    }
  }
  if (phase_ == Phase::kFooter) {
    EncodeFooter(out);
    phase_ = Phase::kDone;
  }
  return absl::OkStatus();
}

void ResultEncoder::EncodeHeader(std::string* out) {
  const std::vector<model::Field>& fields = result_.schema.fields();
  switch (format_) {
    case ResultFormat::kJson:
      out->append("{\"columns\":[");
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
          out->push_back(',');
        }
        base::AppendJsonString(out, fields[i].name);
      }
      out->append("],\"data\":[");
      return;
    case ResultFormat::kCsv:
      if (fields.empty()) {
        return;
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
          out->push_back(',');
        }
        AppendCsvString(out, fields[i].name);
      }
      out->append("\r\n");
      return;
    case ResultFormat::kNdjson:
    case ResultFormat::kArrow:
      return;
  }
}

void ResultEncoder::EncodeRows(std::string* out, size_t target_bytes) {
  const size_t start = out->size();
  // NDJSON keys: each column name as a JSON string followed by ':', built once.
  std::vector<std::string> keys;
  if (format_ == ResultFormat::kNdjson) {
    for (const model::Field& field : result_.schema.fields()) {
      std::string key;
      base::AppendJsonString(&key, field.name);
      key.push_back(':');
      keys.push_back(std::move(key));
    }
  }
  std::vector<ColumnView> columns;
  while (batch_ < result_.batches.size()) {
    const model::RecordBatch& batch = result_.batches[batch_];
    const size_t rows = batch.num_rows();
    columns.clear();
    for (const model::Column& column : batch.columns()) {
      columns.push_back(ViewOf(column));
    }
    while (row_ < rows) {
      switch (format_) {
        case ResultFormat::kJson:
          if (wrote_row_) {
            out->push_back(',');
          }
          out->push_back('[');
          for (size_t c = 0; c < columns.size(); ++c) {
            if (c > 0) {
              out->push_back(',');
            }
            AppendJsonValue(out, columns[c], row_);
          }
          out->push_back(']');
          break;
        case ResultFormat::kNdjson:
          out->push_back('{');
          for (size_t c = 0; c < columns.size(); ++c) {
            if (c > 0) {
              out->push_back(',');
            }
            out->append(keys[c]);
            AppendJsonValue(out, columns[c], row_);
          }
          out->append("}\n");
          break;
        case ResultFormat::kCsv:
          for (size_t c = 0; c < columns.size(); ++c) {
            if (c > 0) {
              out->push_back(',');
            }
            AppendCsvValue(out, columns[c], row_);
          }
          out->append("\r\n");
          break;
        case ResultFormat::kArrow:
          CS_CHECK(false);  // EncodeArrow() handles Arrow; reaching here is a bug
      }
      wrote_row_ = true;
      ++row_;
      if (out->size() - start >= target_bytes) {
        if (row_ == rows) {
          ++batch_;
          row_ = 0;
        }
        return;
      }
    }
    ++batch_;
    row_ = 0;
  }
}

void ResultEncoder::EncodeFooter(std::string* out) {
  if (format_ != ResultFormat::kJson) {
    return;
  }
  const SqlStats& stats = result_.stats;
  out->append("],\"stats\":{\"rows_read\":");
  AppendInt(out, stats.rows_scanned);
  out->append(",\"bytes_read\":");
  AppendInt(out, stats.bytes_scanned);
  out->append(",\"execution_time_ms\":");
  AppendInt(out, absl::ToInt64Milliseconds(stats.execution_time));
  out->append(",\"rows_returned\":");
  AppendInt(out, result_.num_rows());
  out->append(",\"chunks_total\":");
  AppendInt(out, stats.chunks_total);
  out->append(",\"chunks_scanned\":");
  AppendInt(out, stats.chunks_scanned);
  out->append(",\"row_groups_total\":");
  AppendInt(out, stats.row_groups_total);
  out->append(",\"row_groups_scanned\":");
  AppendInt(out, stats.row_groups_scanned);
  out->push_back('}');
  if (!result_.warnings.empty()) {
    out->append(",\"warnings\":[");
    for (size_t i = 0; i < result_.warnings.size(); ++i) {
      if (i > 0) {
        out->push_back(',');
      }
      base::AppendJsonString(out, result_.warnings[i]);
    }
    out->push_back(']');
  }
  out->push_back('}');
}

absl::Status ResultEncoder::EncodeArrow(std::string* out) {
  arrow_out_ = out;
  if (phase_ == Phase::kHeader) {
    arrow::WriterOptions writer_options;
    writer_options.strings = options_.arrow_dictionary_strings
                                 ? arrow::WriterOptions::Strings::kDictionary
                                 : arrow::WriterOptions::Strings::kPlain;
    arrow_writer_.emplace(
        [this](std::string_view bytes) {
          arrow_out_->append(bytes);
          return absl::OkStatus();
        },
        writer_options);
    CS_RETURN_IF_ERROR(arrow_writer_->Begin(result_.schema));
    phase_ = Phase::kRows;
  }
  if (phase_ == Phase::kRows && batch_ < result_.batches.size()) {
    CS_RETURN_IF_ERROR(arrow_writer_->Write(result_.batches[batch_]));
    ++batch_;
  }
  if (batch_ == result_.batches.size()) {
    CS_RETURN_IF_ERROR(arrow_writer_->Finish());
    phase_ = Phase::kDone;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeResult(ResultFormat format, const SqlResult& result,
                                         EncodeOptions options) {
  std::string out;
  ResultEncoder encoder(format, result, options);
  while (!encoder.done()) {
    CS_RETURN_IF_ERROR(encoder.EncodeSome(&out, SIZE_MAX));
  }
  return out;
}

}  // namespace cardinalsin::query
