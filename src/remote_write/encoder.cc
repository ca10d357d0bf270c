#include "remote_write/encoder.h"

#include <bit>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "proto/wire.h"
#include "remote_write/internal/fields.h"

namespace cardinalsin::remote_write {
namespace {

namespace f = internal;

// Nested messages are sized before they are written so that every length is a minimal varint,
// as protobuf encoders write them: the load generator's bytes per sample should be realistic.

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

size_t TagSize(uint32_t number) { return VarintSize(uint64_t{number} << 3); }

size_t LenFieldSize(uint32_t number, size_t payload) {
  return TagSize(number) + VarintSize(payload) + payload;
}

size_t StringFieldSize(uint32_t number, std::string_view s) {
  return s.empty() ? 0 : LenFieldSize(number, s.size());
}

void LenHeader(proto::Writer& writer, uint32_t number, size_t payload) {
  writer.RawVarint((uint64_t{number} << 3) | static_cast<uint64_t>(proto::WireType::kLen));
  writer.RawVarint(payload);
}

void StringField(proto::Writer& writer, uint32_t number, std::string_view s) {
  if (!s.empty()) writer.Bytes(number, s);
}

int64_t NanosToMillis(int64_t ns) {
  int64_t ms = ns / 1'000'000;
  if (ns % 1'000'000 < 0) --ms;  // floor, so that -1 ns is -1 ms, not 0
  return ms;
}

size_t SampleSize(int64_t ms, double value) {
  size_t size = 0;
  if (std::bit_cast<uint64_t>(value) != 0) size += TagSize(f::kSampleValue) + 8;
  if (ms != 0) size += TagSize(f::kSampleTimestamp) + VarintSize(static_cast<uint64_t>(ms));
  return size;
}

void WriteSamples(proto::Writer& writer, uint32_t field, const model::SampleBatch& batch,
                  size_t series) {
  auto timestamps = batch.timestamps_ns(series);
  auto values = batch.values(series);
  for (size_t i = 0; i < timestamps.size(); ++i) {
    int64_t ms = NanosToMillis(timestamps[i]);
    LenHeader(writer, field, SampleSize(ms, values[i]));
    if (std::bit_cast<uint64_t>(values[i]) != 0) writer.Double(f::kSampleValue, values[i]);
    if (ms != 0) writer.Varint(f::kSampleTimestamp, static_cast<uint64_t>(ms));
  }
}

size_t SamplesSize(uint32_t field, const model::SampleBatch& batch, size_t series) {
  auto timestamps = batch.timestamps_ns(series);
  auto values = batch.values(series);
  size_t size = 0;
  for (size_t i = 0; i < timestamps.size(); ++i) {
    size += LenFieldSize(field, SampleSize(NanosToMillis(timestamps[i]), values[i]));
  }
  return size;
}

size_t LabelSize(const model::Label& label) {
  return StringFieldSize(f::v1::kLabelName, label.name) +
         StringFieldSize(f::v1::kLabelValue, label.value);
}

std::string_view MetricName(const model::SampleBatch& batch, size_t series) {
  for (const model::Label& label : batch.labels(series)) {
    if (label.name == "__name__") return label.value;
  }
  return {};
}

}  // namespace

std::string EncodeV1(const model::SampleBatch& batch) {
  std::string out;
  proto::Writer writer(&out);
  for (size_t s = 0; s < batch.num_series(); ++s) {
    size_t series_size = SamplesSize(f::v1::kSeriesSamples, batch, s);
    for (const model::Label& label : batch.labels(s)) {
      series_size += LenFieldSize(f::v1::kSeriesLabels, LabelSize(label));
    }
    LenHeader(writer, f::v1::kRequestTimeseries, series_size);
    for (const model::Label& label : batch.labels(s)) {
      LenHeader(writer, f::v1::kSeriesLabels, LabelSize(label));
      StringField(writer, f::v1::kLabelName, label.name);
      StringField(writer, f::v1::kLabelValue, label.value);
    }
    WriteSamples(writer, f::v1::kSeriesSamples, batch, s);
  }
  for (const model::MetricMetadata& metadata : batch.metadata) {
    auto type = static_cast<uint64_t>(metadata.type);
    size_t size = (type != 0 ? TagSize(f::v1::kMetadataType) + VarintSize(type) : 0) +
                  StringFieldSize(f::v1::kMetadataFamilyName, metadata.metric_family) +
                  StringFieldSize(f::v1::kMetadataHelp, metadata.help) +
                  StringFieldSize(f::v1::kMetadataUnit, metadata.unit);
    LenHeader(writer, f::v1::kRequestMetadata, size);
    if (type != 0) writer.Varint(f::v1::kMetadataType, type);
    StringField(writer, f::v1::kMetadataFamilyName, metadata.metric_family);
    StringField(writer, f::v1::kMetadataHelp, metadata.help);
    StringField(writer, f::v1::kMetadataUnit, metadata.unit);
  }
  return out;
}

std::string EncodeV2(const model::SampleBatch& batch) {
  std::vector<std::string_view> symbols = {""};
  absl::flat_hash_map<std::string_view, uint32_t> symbol_refs = {{"", 0}};
  auto intern = [&](std::string_view s) {
    auto [it, inserted] = symbol_refs.try_emplace(s, static_cast<uint32_t>(symbols.size()));
    if (inserted) symbols.push_back(s);
    return it->second;
  };

  absl::flat_hash_map<std::string_view, const model::MetricMetadata*> metadata_by_family;
  for (const model::MetricMetadata& metadata : batch.metadata) {
    metadata_by_family.try_emplace(metadata.metric_family, &metadata);
  }

  // First pass: intern every string, so that the symbol table (field 4) can precede the series.
  struct SeriesRefs {
    size_t first_ref;  // into `refs`
    const model::MetricMetadata* metadata;
    uint32_t help_ref;
    uint32_t unit_ref;
  };
  std::vector<uint32_t> refs;
  std::vector<SeriesRefs> series_refs(batch.num_series());
  for (size_t s = 0; s < batch.num_series(); ++s) {
    SeriesRefs& series = series_refs[s];
    series.first_ref = refs.size();
    for (const model::Label& label : batch.labels(s)) {
      refs.push_back(intern(label.name));
      refs.push_back(intern(label.value));
    }
    auto it = metadata_by_family.find(MetricName(batch, s));
    series.metadata = it == metadata_by_family.end() ? nullptr : it->second;
    if (series.metadata != nullptr) {
      series.help_ref = intern(series.metadata->help);
      series.unit_ref = intern(series.metadata->unit);
    }
  }

  std::string out;
  proto::Writer writer(&out);
  for (std::string_view symbol : symbols) {
    // Unlike an optional string, a repeated one keeps its empty elements: symbols[0] must be "".
    writer.Bytes(f::v2::kRequestSymbols, symbol);
  }
  for (size_t s = 0; s < batch.num_series(); ++s) {
    const SeriesRefs& series = series_refs[s];
    size_t num_refs = 2 * batch.labels(s).size();
    size_t refs_size = 0;
    for (size_t i = 0; i < num_refs; ++i) refs_size += VarintSize(refs[series.first_ref + i]);
    size_t metadata_size = 0;
    if (series.metadata != nullptr) {
      auto type = static_cast<uint64_t>(series.metadata->type);
      if (type != 0) metadata_size += TagSize(f::v2::kMetadataType) + VarintSize(type);
      if (series.help_ref != 0)
        metadata_size += TagSize(f::v2::kMetadataHelpRef) + VarintSize(series.help_ref);
      if (series.unit_ref != 0)
        metadata_size += TagSize(f::v2::kMetadataUnitRef) + VarintSize(series.unit_ref);
    }
    size_t series_size =
        (num_refs != 0 ? LenFieldSize(f::v2::kSeriesLabelsRefs, refs_size) : 0) +
        SamplesSize(f::v2::kSeriesSamples, batch, s) +
        (series.metadata != nullptr ? LenFieldSize(f::v2::kSeriesMetadata, metadata_size) : 0);

    LenHeader(writer, f::v2::kRequestTimeseries, series_size);
    if (num_refs != 0) {
      LenHeader(writer, f::v2::kSeriesLabelsRefs, refs_size);
      for (size_t i = 0; i < num_refs; ++i) writer.RawVarint(refs[series.first_ref + i]);
    }
    WriteSamples(writer, f::v2::kSeriesSamples, batch, s);
    if (series.metadata != nullptr) {
      LenHeader(writer, f::v2::kSeriesMetadata, metadata_size);
      auto type = static_cast<uint64_t>(series.metadata->type);
      if (type != 0) writer.Varint(f::v2::kMetadataType, type);
      if (series.help_ref != 0) writer.Varint(f::v2::kMetadataHelpRef, series.help_ref);
      if (series.unit_ref != 0) writer.Varint(f::v2::kMetadataUnitRef, series.unit_ref);
    }
  }
  return out;
}

}  // namespace cardinalsin::remote_write
