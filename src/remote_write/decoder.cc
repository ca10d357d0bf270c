#include "remote_write/decoder.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "base/strings.h"
#include "codec/compression.h"
#include "proto/wire.h"
#include "remote_write/internal/fields.h"

namespace cardinalsin::remote_write {
namespace {

namespace f = internal;
using proto::WireType;

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / kNanosPerMilli;
constexpr int64_t kMinMillis = std::numeric_limits<int64_t>::min() / kNanosPerMilli;

std::string_view WireTypeName(WireType type) {
  switch (type) {
    case WireType::kVarint:
      return "VARINT";
    case WireType::kI64:
      return "I64";
    case WireType::kLen:
      return "LEN";
    case WireType::kStartGroup:
      return "SGROUP";
    case WireType::kEndGroup:
      return "EGROUP";
    case WireType::kI32:
      return "I32";
  }
  return "unknown";
}

// A known field with another wire type than the specification's is malformed (protobuf parsers
// reject it too), not an unknown field to skip.
absl::Status CheckType(const proto::Field& field, WireType want) {
  if (field.type == want) return absl::OkStatus();
  return absl::InvalidArgumentError(base::StrCat("field ", field.number, " has wire type ",
                                                 WireTypeName(field.type), ", want ",
                                                 WireTypeName(want)));
}

// Errors carry the version, the path of the message being decoded, where that message starts in
// the request, and the problem (whose own "at byte N" is relative to that message).
class ErrorContext {
 public:
  ErrorContext(std::string_view version, std::string_view request)
      : version_(version), request_(request) {}

  absl::Status Error(std::string_view path, std::string_view message,
                     std::string_view problem) const {
    return absl::InvalidArgumentError(
        base::StrCat(version_, ": ", path, " (message at request byte ",
                     message.data() - request_.data(), "): ", problem));
  }
  absl::Status Error(std::string_view path, std::string_view message,
                     const absl::Status& problem) const {
    return Error(path, message,
                 std::string_view(problem.message().data(), problem.message().size()));
  }

 private:
  std::string_view version_;
  std::string_view request_;
};

std::string SeriesPath(size_t series) { return base::StrCat("timeseries[", series, "]"); }
std::string SeriesPath(size_t series, std::string_view field, size_t index) {
  return base::StrCat("timeseries[", series, "].", field, "[", index, "]");
}

// Fast paths for the encodings every mainstream sender produces (fields in number order, short
// lengths). They accept exactly what the general decoders would decode to the same result, and
// decline everything else, which then takes the general path.

// Label: 0x0a <len < 128> name 0x12 <len < 128> value.
bool DecodeLabelFast(std::string_view bytes, model::Label* label) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  if (size < 4 || p[0] != 0x0a || p[1] >= 0x80) return false;
  const size_t name_size = p[1];
  if (name_size + 4 > size) return false;
  const uint8_t* q = p + 2 + name_size;
  if (q[0] != 0x12 || q[1] >= 0x80 || name_size + 4 + q[1] != size) return false;
  label->name = bytes.substr(2, name_size);
  label->value = bytes.substr(name_size + 4);
  return true;
}

// Sample: 0x09 <8 bytes> 0x10 <varint>.
bool DecodeSampleFast(std::string_view bytes, int64_t* timestamp_ms, double* value) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  if (size < 11 || size > 20 || p[0] != 0x09 || p[9] != 0x10) return false;
  uint64_t ts = 0;
  for (size_t i = 10, shift = 0; i < size; ++i, shift += 7) {
    ts |= static_cast<uint64_t>(p[i] & 0x7f) << shift;
    if ((p[i] & 0x80) == 0) {
      if (i + 1 != size) return false;
      uint64_t bits;
      std::memcpy(&bits, p + 1, 8);
      *value = std::bit_cast<double>(bits);
      *timestamp_ms = static_cast<int64_t>(ts);
      return true;
    }
  }
  return false;
}

// Sample (both versions): value 1 (double), timestamp 2 (int64 ms).
absl::Status DecodeSample(std::string_view bytes, int64_t* timestamp_ms, double* value) {
  if (DecodeSampleFast(bytes, timestamp_ms, value)) return absl::OkStatus();
  *timestamp_ms = 0;
  *value = 0;
  proto::Reader reader(bytes);
  while (!reader.done()) {
    CS_ASSIGN_OR_RETURN(proto::Field field, reader.Next());
    if (field.number == f::kSampleValue) {
      CS_RETURN_IF_ERROR(CheckType(field, WireType::kI64));
      *value = field.AsDouble();
    } else if (field.number == f::kSampleTimestamp) {
      CS_RETURN_IF_ERROR(CheckType(field, WireType::kVarint));
      *timestamp_ms = field.AsInt64();
    }
  }
  return absl::OkStatus();
}

// Label (1.0): name 1, value 2.
absl::Status DecodeLabel(std::string_view bytes, model::Label* label) {
  if (DecodeLabelFast(bytes, label)) return absl::OkStatus();
  *label = {};
  proto::Reader reader(bytes);
  while (!reader.done()) {
    CS_ASSIGN_OR_RETURN(proto::Field field, reader.Next());
    if (field.number == f::v1::kLabelName) {
      CS_RETURN_IF_ERROR(CheckType(field, WireType::kLen));
      label->name = field.bytes;
    } else if (field.number == f::v1::kLabelValue) {
      CS_RETURN_IF_ERROR(CheckType(field, WireType::kLen));
      label->value = field.bytes;
    }
  }
  return absl::OkStatus();
}

model::MetricType ToMetricType(uint64_t type) {
  // Both versions number the types alike; values this build does not know are proto3 open-enum
  // values and mean "unknown".
  return type <= static_cast<uint64_t>(model::MetricType::kStateset)
             ? static_cast<model::MetricType>(type)
             : model::MetricType::kUnknown;
}

// Per-request scratch space, reused across series so that decoding allocates little per series.
struct Scratch {
  std::vector<std::string_view> label_messages;     // 1.0 Label messages of the series
  std::vector<uint32_t> refs;                       // 2.0 labels_refs of the series
  std::vector<std::pair<int64_t, double>> samples;  // decoded, timestamps in ns
};

// Decodes the series' Sample message into `scratch`, or counts it as out of range.
absl::Status AddSample(const ErrorContext& context, size_t series, size_t index,
                       std::string_view bytes, Scratch& scratch, uint64_t* out_of_range) {
  int64_t timestamp_ms;
  double value;
  if (absl::Status status = DecodeSample(bytes, &timestamp_ms, &value); !status.ok()) {
    return context.Error(SeriesPath(series, "samples", index), bytes, status);
  }
  if (timestamp_ms > kMaxMillis || timestamp_ms < kMinMillis) {
    ++*out_of_range;
  } else {
    scratch.samples.emplace_back(timestamp_ms * kNanosPerMilli, value);
  }
  return absl::OkStatus();
}

// Reports what a series could not store, naming it by its metric name.
void RejectParts(model::SampleBatch* out, size_t series, std::string_view name, uint64_t histograms,
                 uint64_t out_of_range) {
  if (histograms != 0) {
    out->Reject(histograms,
                base::StrCat(SeriesPath(series), " (", name, "): ", histograms,
                             " native histogram samples: native histograms are not supported"));
  }
  if (out_of_range != 0) {
    out->Reject(out_of_range,
                base::StrCat(SeriesPath(series), " (", name, "): ", out_of_range,
                             " samples with timestamps outside the representable range "
                             "(1677-09-21 to 2262-04-11)"));
  }
}

absl::Status DecodeSeriesV1(const ErrorContext& context, size_t series, std::string_view bytes,
                            Scratch& scratch, model::SampleBatch* out, DecodeStats* stats) {
  scratch.label_messages.clear();
  scratch.samples.clear();
  uint64_t histograms = 0;
  uint64_t exemplars = 0;
  uint64_t out_of_range = 0;
  size_t num_samples = 0;
  proto::Reader reader(bytes);
  while (!reader.done()) {
    absl::StatusOr<proto::Field> field = reader.Next();
    if (!field.ok()) return context.Error(SeriesPath(series), bytes, field.status());
    switch (field->number) {
      case f::v1::kSeriesLabels:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok()) {
          return context.Error(SeriesPath(series), bytes, status);
        }
        scratch.label_messages.push_back(field->bytes);
        break;
      case f::v1::kSeriesSamples:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok()) {
          return context.Error(SeriesPath(series), bytes, status);
        }
        CS_RETURN_IF_ERROR(
            AddSample(context, series, num_samples++, field->bytes, scratch, &out_of_range));
        break;
      case f::v1::kSeriesExemplars:
      case f::v1::kSeriesHistograms:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok()) {
          return context.Error(SeriesPath(series), bytes, status);
        }
        ++(field->number == f::v1::kSeriesHistograms ? histograms : exemplars);
        break;
      default:
        break;  // unknown field
    }
  }
  stats->series++;
  stats->histograms += histograms;
  stats->exemplars += exemplars;
  stats->samples += scratch.samples.size();

  // Labels are decoded (and so checked) even for a series that adds nothing.
  const bool add = !scratch.samples.empty();
  if (add) out->StartSeries();
  std::string_view name;
  for (size_t i = 0; i < scratch.label_messages.size(); ++i) {
    model::Label label;
    if (absl::Status status = DecodeLabel(scratch.label_messages[i], &label); !status.ok()) {
      return context.Error(SeriesPath(series, "labels", i), scratch.label_messages[i], status);
    }
    if (label.name == "__name__") name = label.value;
    if (add) out->AddLabel(label.name, label.value);
  }
  for (const auto& [timestamp_ns, value] : scratch.samples) out->AddSample(timestamp_ns, value);
  RejectParts(out, series, name, histograms, out_of_range);
  return absl::OkStatus();
}

absl::Status DecodeMetadataV1(const ErrorContext& context, size_t index, std::string_view bytes,
                              model::SampleBatch* out) {
  model::MetricMetadata metadata;
  proto::Reader reader(bytes);
  auto error = [&](const absl::Status& status) {
    return context.Error(base::StrCat("metadata[", index, "]"), bytes, status);
  };
  while (!reader.done()) {
    absl::StatusOr<proto::Field> field = reader.Next();
    if (!field.ok()) return error(field.status());
    switch (field->number) {
      case f::v1::kMetadataType:
        if (absl::Status status = CheckType(*field, WireType::kVarint); !status.ok())
          return error(status);
        metadata.type = ToMetricType(field->varint);
        break;
      case f::v1::kMetadataFamilyName:
      case f::v1::kMetadataHelp:
      case f::v1::kMetadataUnit:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok())
          return error(status);
        (field->number == f::v1::kMetadataFamilyName ? metadata.metric_family
         : field->number == f::v1::kMetadataHelp     ? metadata.help
                                                     : metadata.unit) = field->bytes;
        break;
      default:
        break;
    }
  }
  out->metadata.push_back(metadata);
  return absl::OkStatus();
}

// Appends one labels_refs element, checking it against the symbol table.
absl::Status AddRef(uint64_t ref, size_t num_symbols, Scratch& scratch) {
  if (ref >= num_symbols) {
    return absl::InvalidArgumentError(base::StrCat("labels_refs[", scratch.refs.size(), "] = ", ref,
                                                   " is out of range: the request has ",
                                                   num_symbols, " symbols"));
  }
  scratch.refs.push_back(static_cast<uint32_t>(ref));
  return absl::OkStatus();
}

absl::Status DecodeSeriesV2(const ErrorContext& context, size_t series, std::string_view bytes,
                            const std::vector<std::string_view>& symbols, Scratch& scratch,
                            model::SampleBatch* out, DecodeStats* stats) {
  scratch.refs.clear();
  scratch.samples.clear();
  uint64_t histograms = 0;
  uint64_t exemplars = 0;
  uint64_t out_of_range = 0;
  size_t num_samples = 0;
  std::optional<std::string_view> metadata_bytes;
  auto error = [&](const absl::Status& status) {
    return context.Error(SeriesPath(series), bytes, status);
  };
  proto::Reader reader(bytes);
  while (!reader.done()) {
    absl::StatusOr<proto::Field> field = reader.Next();
    if (!field.ok()) return error(field.status());
    switch (field->number) {
      case f::v2::kSeriesLabelsRefs:
        // Repeated scalars may arrive packed (the norm) or one per field; parsers accept both.
        if (field->type == WireType::kLen) {
          proto::PackedReader packed(field->bytes);
          while (!packed.done()) {
            absl::StatusOr<uint64_t> ref = packed.NextVarint();
            if (!ref.ok()) return error(ref.status());
            if (absl::Status status = AddRef(*ref, symbols.size(), scratch); !status.ok())
              return error(status);
          }
        } else if (field->type == WireType::kVarint) {
          if (absl::Status status = AddRef(field->varint, symbols.size(), scratch); !status.ok()) {
            return error(status);
          }
        } else {
          return error(CheckType(*field, WireType::kLen));
        }
        break;
      case f::v2::kSeriesSamples:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok())
          return error(status);
        CS_RETURN_IF_ERROR(
            AddSample(context, series, num_samples++, field->bytes, scratch, &out_of_range));
        break;
      case f::v2::kSeriesHistograms:
      case f::v2::kSeriesExemplars:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok())
          return error(status);
        ++(field->number == f::v2::kSeriesHistograms ? histograms : exemplars);
        break;
      case f::v2::kSeriesMetadata:
        if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok())
          return error(status);
        metadata_bytes = field->bytes;  // a repeated singular message field: the last one wins
        break;
      case f::v2::kSeriesCreatedTimestamp:
        if (absl::Status status = CheckType(*field, WireType::kVarint); !status.ok())
          return error(status);
        break;
      default:
        break;
    }
  }
  if (scratch.refs.size() % 2 != 0) {
    return error(absl::InvalidArgumentError(
        base::StrCat("labels_refs has ", scratch.refs.size(),
                     " elements; name/value pairs need an even number")));
  }
  stats->series++;
  stats->histograms += histograms;
  stats->exemplars += exemplars;
  stats->samples += scratch.samples.size();

  std::string_view name;
  for (size_t i = 0; i < scratch.refs.size(); i += 2) {
    if (symbols[scratch.refs[i]] == "__name__") name = symbols[scratch.refs[i + 1]];
  }

  if (metadata_bytes.has_value()) {
    model::MetricMetadata metadata{.metric_family = name};
    proto::Reader metadata_reader(*metadata_bytes);
    auto metadata_error = [&](const absl::Status& status) {
      return context.Error(base::StrCat(SeriesPath(series), ".metadata"), *metadata_bytes, status);
    };
    bool any = false;
    while (!metadata_reader.done()) {
      absl::StatusOr<proto::Field> field = metadata_reader.Next();
      if (!field.ok()) return metadata_error(field.status());
      if (field->number != f::v2::kMetadataType && field->number != f::v2::kMetadataHelpRef &&
          field->number != f::v2::kMetadataUnitRef) {
        continue;
      }
      if (absl::Status status = CheckType(*field, WireType::kVarint); !status.ok())
        return metadata_error(status);
      if (field->number == f::v2::kMetadataType) {
        metadata.type = ToMetricType(field->varint);
      } else {
        if (field->varint >= symbols.size()) {
          return metadata_error(absl::InvalidArgumentError(base::StrCat(
              field->number == f::v2::kMetadataHelpRef ? "help_ref" : "unit_ref", " = ",
              field->varint, " is out of range: the request has ", symbols.size(), " symbols")));
        }
        (field->number == f::v2::kMetadataHelpRef ? metadata.help : metadata.unit) =
            symbols[field->varint];
      }
      any = true;
    }
    const bool same_as_last =
        !out->metadata.empty() && out->metadata.back().metric_family == metadata.metric_family &&
        out->metadata.back().type == metadata.type && out->metadata.back().help == metadata.help &&
        out->metadata.back().unit == metadata.unit;
    if (any && !same_as_last) out->metadata.push_back(metadata);
  }

  if (!scratch.samples.empty()) {
    out->StartSeries();
    for (size_t i = 0; i < scratch.refs.size(); i += 2) {
      out->AddLabel(symbols[scratch.refs[i]], symbols[scratch.refs[i + 1]]);
    }
    for (const auto& [timestamp_ns, value] : scratch.samples) out->AddSample(timestamp_ns, value);
  }
  RejectParts(out, series, name, histograms, out_of_range);
  return absl::OkStatus();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<Version> ParseContentType(std::string_view content_type) {
  auto unsupported = [&](std::string_view why) {
    return absl::UnimplementedError(
        base::StrCat("remote write: unsupported Content-Type \"", content_type, "\": ", why));
  };
  std::string_view rest = content_type;
  size_t semicolon = rest.find(';');
  std::string_view media_type = TrimSpace(rest.substr(0, semicolon));
  if (!EqualsIgnoreCase(media_type, "application/x-protobuf")) {
    return unsupported(
        "want application/x-protobuf with proto=prometheus.WriteRequest or "
        "proto=io.prometheus.write.v2.Request");
  }
  std::optional<std::string_view> proto_message;
  while (semicolon != std::string_view::npos) {
    rest.remove_prefix(semicolon + 1);
    semicolon = rest.find(';');
    std::string_view parameter = TrimSpace(rest.substr(0, semicolon));
    if (parameter.empty()) continue;
    size_t equals = parameter.find('=');
    if (equals == std::string_view::npos)
      return unsupported(base::StrCat("malformed parameter \"", parameter, "\""));
    if (!EqualsIgnoreCase(TrimSpace(parameter.substr(0, equals)), "proto")) continue;
    std::string_view value = TrimSpace(parameter.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    proto_message = value;
  }
  if (!proto_message.has_value() || *proto_message == "prometheus.WriteRequest")
    return Version::kV1;
  if (*proto_message == "io.prometheus.write.v2.Request") return Version::kV2;
  return unsupported(
      base::StrCat("proto=", *proto_message,
                   " is neither prometheus.WriteRequest nor io.prometheus.write.v2.Request"));
}

absl::Status ParseContentEncoding(std::string_view content_encoding) {
  if (EqualsIgnoreCase(TrimSpace(content_encoding), "snappy")) return absl::OkStatus();
  return absl::UnimplementedError(base::StrCat("remote write: unsupported Content-Encoding \"",
                                               content_encoding,
                                               "\": only snappy (block format) is accepted"));
}

absl::Status DecodeV1(std::string_view request, model::SampleBatch* out, DecodeStats* stats) {
  DecodeStats ignored;
  if (stats == nullptr) stats = &ignored;
  const ErrorContext context("remote write 1.0", request);
  Scratch scratch;
  size_t series = 0;
  size_t metadata = 0;
  proto::Reader reader(request);
  while (!reader.done()) {
    absl::StatusOr<proto::Field> field = reader.Next();
    if (!field.ok()) return context.Error("WriteRequest", request, field.status());
    if (field->number == f::v1::kRequestTimeseries) {
      if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok()) {
        return context.Error("WriteRequest", request, status);
      }
      CS_RETURN_IF_ERROR(DecodeSeriesV1(context, series++, field->bytes, scratch, out, stats));
    } else if (field->number == f::v1::kRequestMetadata) {
      if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok()) {
        return context.Error("WriteRequest", request, status);
      }
      CS_RETURN_IF_ERROR(DecodeMetadataV1(context, metadata++, field->bytes, out));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeV2(std::string_view request, model::SampleBatch* out, DecodeStats* stats) {
  DecodeStats ignored;
  if (stats == nullptr) stats = &ignored;
  const ErrorContext context("remote write 2.0", request);

  // Symbols may follow the series that use them, so the first pass collects them.
  std::vector<std::string_view> symbols;
  proto::Reader reader(request);
  while (!reader.done()) {
    absl::StatusOr<proto::Field> field = reader.Next();
    if (!field.ok()) return context.Error("Request", request, field.status());
    if (field->number == f::v2::kRequestSymbols || field->number == f::v2::kRequestTimeseries) {
      if (absl::Status status = CheckType(*field, WireType::kLen); !status.ok()) {
        return context.Error("Request", request, status);
      }
      if (field->number == f::v2::kRequestSymbols) symbols.push_back(field->bytes);
    }
  }
  if (!symbols.empty() && !symbols[0].empty()) {
    return context.Error(
        "Request", request,
        absl::InvalidArgumentError(base::StrCat("symbols[0] must be the empty string, not \"",
                                                symbols[0].substr(0, 64), "\"")));
  }

  Scratch scratch;
  size_t series = 0;
  proto::Reader series_reader(request);
  while (!series_reader.done()) {
    absl::StatusOr<proto::Field> field =
        series_reader.Next();  // cannot fail: the first pass read it all
    if (!field.ok()) return context.Error("Request", request, field.status());
    if (field->number == f::v2::kRequestTimeseries) {
      CS_RETURN_IF_ERROR(
          DecodeSeriesV2(context, series++, field->bytes, symbols, scratch, out, stats));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeRequest(std::string_view body, std::string_view content_type,
                           std::string_view content_encoding, size_t max_uncompressed_bytes,
                           std::string* buffer, model::SampleBatch* out, DecodeStats* stats) {
  DecodeStats ignored;
  if (stats == nullptr) stats = &ignored;
  CS_ASSIGN_OR_RETURN(Version version, ParseContentType(content_type));
  CS_RETURN_IF_ERROR(ParseContentEncoding(content_encoding));

  // The block format starts with the uncompressed length as a varint of at most 32 bits; check it
  // against the limit before allocating anything.
  proto::PackedReader preamble(body.substr(0, 5));
  absl::StatusOr<uint64_t> length = preamble.NextVarint();
  if (!length.ok() || *length > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("remote write: snappy: corrupt uncompressed-length preamble");
  }
  if (*length > max_uncompressed_bytes) {
    return absl::InvalidArgumentError(
        base::StrCat("remote write: snappy: the request decompresses to ", *length,
                     " bytes, more than the limit of ", max_uncompressed_bytes));
  }
  buffer->clear();
  if (absl::Status status = codec::Decompress(codec::Compression::kSnappy, body, *length, buffer);
      !status.ok()) {
    return absl::InvalidArgumentError(base::StrCat(
        "remote write: ", std::string_view(status.message().data(), status.message().size())));
  }
  stats->version = version;
  stats->uncompressed_bytes += *length;
  return version == Version::kV1 ? DecodeV1(*buffer, out, stats) : DecodeV2(*buffer, out, stats);
}

std::array<Header, 3> WrittenHeaders(uint64_t samples, uint64_t histograms, uint64_t exemplars) {
  return {Header{kSamplesWrittenHeader, std::to_string(samples)},
          Header{kHistogramsWrittenHeader, std::to_string(histograms)},
          Header{kExemplarsWrittenHeader, std::to_string(exemplars)}};
}

}  // namespace cardinalsin::remote_write
