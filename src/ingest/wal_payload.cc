#include "ingest/wal_payload.h"

#include <bit>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "proto/wire.h"

namespace cardinalsin::ingest {

void EncodeWalPayload(std::string_view tenant, const std::vector<ValidatedSeries>& series,
                      std::string* out) {
  out->clear();
  proto::Writer writer(out);
  writer.Bytes(1, tenant);
  for (const ValidatedSeries& s : series) {
    size_t series_at = writer.BeginLen(2);
    for (const model::Label& label : s.labels) {
      size_t label_at = writer.BeginLen(1);
      writer.Bytes(1, label.name);
      writer.Bytes(2, label.value);
      writer.EndLen(label_at);
    }
    size_t ts_at = writer.BeginLen(2);
    int64_t previous = 0;
    for (int64_t t : s.timestamps_ns) {
      // Wrapping subtraction: zigzag of the two's-complement difference round-trips any pair.
      uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(previous);
      writer.RawVarint((delta << 1) ^ (0 - (delta >> 63)));
      previous = t;
    }
    writer.EndLen(ts_at);
    size_t values_at = writer.BeginLen(3);
    for (double v : s.values) {
      uint64_t bits = std::bit_cast<uint64_t>(v);
      out->append(reinterpret_cast<const char*>(&bits), 8);
    }
    writer.EndLen(values_at);
    writer.Fixed64(4, s.id);
    writer.EndLen(series_at);
  }
}

namespace {

absl::Status DecodeSeries(std::string_view bytes, ValidatedSeries* series) {
  proto::Reader reader(bytes);
  bool has_values = false;
  while (!reader.done()) {
    CS_ASSIGN_OR_RETURN(proto::Field field, reader.Next());
    if (field.number == 1 && field.type == proto::WireType::kLen) {
      proto::Reader label_reader(field.bytes);
      model::Label label;
      while (!label_reader.done()) {
        CS_ASSIGN_OR_RETURN(proto::Field f, label_reader.Next());
        if (f.number == 1 && f.type == proto::WireType::kLen) label.name = f.bytes;
        if (f.number == 2 && f.type == proto::WireType::kLen) label.value = f.bytes;
      }
      series->labels.push_back(label);
    } else if (field.number == 2 && field.type == proto::WireType::kLen) {
      proto::PackedReader packed(field.bytes);
      uint64_t previous = 0;
      while (!packed.done()) {
        CS_ASSIGN_OR_RETURN(uint64_t zigzag, packed.NextVarint());
        uint64_t delta = (zigzag >> 1) ^ (0 - (zigzag & 1));
        previous += delta;
        series->timestamps_ns.push_back(static_cast<int64_t>(previous));
      }
    } else if (field.number == 3 && field.type == proto::WireType::kLen) {
      if (field.bytes.size() % 8 != 0)
        return absl::DataLossError("WAL payload: values not a multiple of 8 bytes");
      proto::PackedReader packed(field.bytes);
      while (!packed.done()) {
        CS_ASSIGN_OR_RETURN(uint64_t bits, packed.NextFixed64());
        series->values.push_back(std::bit_cast<double>(bits));
      }
      has_values = true;
    } else if (field.number == 4 && field.type == proto::WireType::kI64) {
      series->id = field.varint;
    }
  }
  if (series->timestamps_ns.size() != series->values.size() ||
      (!has_values && !series->timestamps_ns.empty())) {
    return absl::DataLossError(
        absl::StrFormat("WAL payload: %d timestamps but %d values in a series",
                        series->timestamps_ns.size(), series->values.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeWalPayload(std::string_view payload, std::string_view* tenant,
                              std::vector<ValidatedSeries>* series) {
  series->clear();
  *tenant = {};
  proto::Reader reader(payload);
  while (!reader.done()) {
    absl::StatusOr<proto::Field> field = reader.Next();
    if (!field.ok())
      return absl::DataLossError(absl::StrCat("WAL payload: ", field.status().message()));
    if (field->number == 1 && field->type == proto::WireType::kLen) {
      *tenant = field->bytes;
    } else if (field->number == 2 && field->type == proto::WireType::kLen) {
      ValidatedSeries s;
      absl::Status status = DecodeSeries(field->bytes, &s);
      if (!status.ok()) return absl::DataLossError(absl::StrCat("WAL payload: ", status.message()));
      series->push_back(std::move(s));
    }
  }
  if (tenant->empty()) return absl::DataLossError("WAL payload: missing tenant");
  return absl::OkStatus();
}

}  // namespace cardinalsin::ingest
