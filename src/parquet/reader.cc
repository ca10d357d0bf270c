#include "parquet/reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "codec/compression.h"
#include "parquet/bloom_filter.h"
#include "parquet/encoding.h"

namespace cardinalsin::parquet {
namespace {

constexpr uint64_t kFooterProbeBytes = 64 * 1024;
constexpr int64_t kNanosPerDay = 86'400'000'000'000;
constexpr int64_t kJulianUnixEpochDay = 2'440'588;
// No writer we know puts more than about a million values in one page; the cap bounds what a
// corrupt page header can make us allocate (16M int64 values = 128 MiB).
constexpr int32_t kMaxPageValues = 1 << 24;
// Row groups larger than this are refused: writers default to 1M rows (pyarrow, CardinalSin) or
// fewer (DuckDB), and a few kilobytes of all-null pages could otherwise claim billions of rows.
constexpr int64_t kMaxRowGroupRows = int64_t{1} << 26;
// Pages are about 1 MiB; a declared uncompressed size beyond this is corrupt or hostile, and
// would make the decompressor allocate it.
constexpr int32_t kMaxPageBytes = 1 << 28;

// Row intervals [begin, end) within a row group (or within the rows of a decode), sorted and
// disjoint.
using RowRanges = std::vector<std::pair<int64_t, int64_t>>;

absl::Status Corrupt(const ByteSource& source, std::string_view what) {
  return absl::DataLossError(absl::StrFormat("%s: corrupt Parquet file: %s", source.name(), what));
}

absl::StatusOr<codec::Compression> CompressionOf(CompressionCodec codec,
                                                 const std::string& column) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      return codec::Compression::kNone;
    case CompressionCodec::kSnappy:
      return codec::Compression::kSnappy;
    case CompressionCodec::kGzip:
      return codec::Compression::kGzip;
    case CompressionCodec::kZstd:
      return codec::Compression::kZstd;
    default:
      return absl::UnimplementedError(absl::StrFormat(
          "column '%s' uses compression codec %d, which this reader does not support", column,
          static_cast<int>(codec)));
  }
}

// How a leaf's physical values become model values.
struct LeafMapping {
  model::TypeId type;
  Type physical;
  int type_length = 0;
  int64_t timestamp_scale = 1;  // multiply int64 values by this to get nanoseconds
};

absl::StatusOr<LeafMapping> MapLeaf(const SchemaElement& e) {
  if (!e.type.has_value()) {
    return absl::UnimplementedError(
        absl::StrFormat("column '%s' is a nested group; only flat schemas are supported", e.name));
  }
  LeafMapping m{model::TypeId::kString, *e.type, e.type_length.value_or(0), 1};
  switch (*e.type) {
    case Type::kBoolean:
      m.type = model::TypeId::kBool;
      break;
    case Type::kInt32:
      m.type = model::TypeId::kInt64;
      break;
    case Type::kInt64: {
      m.type = model::TypeId::kInt64;
      if (e.logical_type && e.logical_type->kind == LogicalType::Kind::kTimestamp) {
        m.type = model::TypeId::kTimestampNs;
        switch (e.logical_type->unit) {
          case TimeUnit::kMillis:
            m.timestamp_scale = 1'000'000;
            break;
          case TimeUnit::kMicros:
            m.timestamp_scale = 1'000;
            break;
          case TimeUnit::kNanos:
            m.timestamp_scale = 1;
            break;
        }
      } else if (e.logical_type && e.logical_type->kind == LogicalType::Kind::kInteger &&
                 !e.logical_type->is_signed) {
        m.type = model::TypeId::kUInt64;
      } else if (e.converted_type == ConvertedType::kTimestampMillis) {
        m.type = model::TypeId::kTimestampNs;
        m.timestamp_scale = 1'000'000;
      } else if (e.converted_type == ConvertedType::kTimestampMicros) {
        m.type = model::TypeId::kTimestampNs;
        m.timestamp_scale = 1'000;
      } else if (e.converted_type == ConvertedType::kUint64) {
        m.type = model::TypeId::kUInt64;
      }
      break;
    }
    case Type::kInt96:
      m.type = model::TypeId::kTimestampNs;
      break;
    case Type::kFloat:
    case Type::kDouble:
      m.type = model::TypeId::kDouble;
      break;
    case Type::kByteArray:
    case Type::kFixedLenByteArray:
      m.type = model::TypeId::kString;
      break;
  }
  return m;
}

// Accumulates the dense (non-null) values of one column chunk in physical form.
struct DenseValues {
  std::vector<uint8_t> bools;
  std::vector<int64_t> ints;    // INT32 widened, INT64, INT96 converted
  std::vector<double> doubles;  // FLOAT widened, DOUBLE
  model::StringVector strings;
  // Byte arrays stay dictionary codes while every page is dictionary-encoded.
  bool strings_as_codes = true;
  std::vector<uint32_t> codes;
};

// The decoded dictionary page of a column chunk.
struct DictionaryValues {
  bool present = false;
  size_t size = 0;
  std::vector<uint8_t> bools;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  model::StringVector strings;
};

class ChunkDecoder {
 public:
  ChunkDecoder(const ByteSource& source, const std::string& column, const LeafMapping& mapping,
               bool nullable, codec::Compression compression)
      : source_(source),
        column_(column),
        mapping_(mapping),
        nullable_(nullable),
        compression_(compression) {}

  // Decodes the `num_rows` rows of the pages in `chunk`. With `keep` (ranges of positions, each
  // < num_rows; only for a non-nullable column) only those rows are materialized, in order.
  absl::StatusOr<model::Column> Decode(std::string_view chunk, int64_t num_rows,
                                       const RowRanges* keep = nullptr);

 private:
  absl::Status Fail(std::string_view what) const {
    return Corrupt(source_, absl::StrFormat("column '%s': %s", column_, what));
  }
  // A valid timestamp that nanoseconds since 1970 in int64 cannot hold (before 1677 or after
  // 2262, such as DuckDB's 'infinity' or a year-9999 sentinel).
  absl::Status OutOfRange(std::string_view what) const {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: column '%s': %s is outside the range of nanosecond timestamps (years 1677 to 2262)",
        source_.name(), column_, what));
  }
  absl::Status ReadDictionary(const PageHeader& header, std::string_view page);
  absl::Status ReadDataPage(const PageHeader& header, std::string_view page);
  absl::Status DecodeValues(Encoding encoding, std::string_view in, size_t count);
  absl::Status DecodeFixed(Encoding encoding, std::string_view in, size_t count);
  absl::Status DecodeDictionaryCodes(std::string_view in, size_t count);
  // DecodeValues for a page of `count` values of which only those in page_runs_ are kept.
  absl::Status DecodePicked(Encoding encoding, std::string_view in, size_t count);
  void MaterializeCodes();
  absl::StatusOr<std::string> Decompress(std::string_view in, size_t size) const;
  absl::StatusOr<model::Column> Finish(int64_t num_rows);

  const ByteSource& source_;
  const std::string& column_;
  const LeafMapping mapping_;
  const bool nullable_;
  const codec::Compression compression_;
  DictionaryValues dictionary_;
  DenseValues dense_;
  std::vector<uint8_t> validity_;  // per row, only when nullable_
  size_t nulls_ = 0;
  int64_t rows_ = 0;
  // Row selection (Decode's `keep`): the rows it keeps, the next range to use, and the current
  // page's kept rows relative to the page. Scratch buffers are reused from page to page.
  const RowRanges* keep_ = nullptr;
  size_t keep_rows_ = 0;
  size_t keep_next_ = 0;
  RowRanges page_runs_;
  size_t page_picked_ = 0;  // rows in page_runs_
  std::vector<uint32_t> page_codes_;
  std::vector<uint32_t> page_defs_;  // definition levels of the current page
  DenseValues page_values_;
};

absl::StatusOr<std::string> ChunkDecoder::Decompress(std::string_view in, size_t size) const {
  if (size > static_cast<size_t>(kMaxPageBytes)) {
    return Fail(absl::StrFormat("page declares %d uncompressed bytes, more than the %d accepted",
                                size, kMaxPageBytes));
  }
  std::string out;
  absl::Status status = codec::Decompress(compression_, in, size, &out);
  if (!status.ok()) return Fail(std::string(status.message()));
  return out;
}

absl::Status ChunkDecoder::ReadDictionary(const PageHeader& header, std::string_view page) {
  if (!header.dictionary_page_header) return Fail("dictionary page without its header");
  if (dictionary_.present) return Fail("second dictionary page");
  const int32_t n = header.dictionary_page_header->num_values;
  if (n < 0 || header.uncompressed_page_size < 0) return Fail("negative dictionary size");
  if (n > kMaxPageValues) {
    return Fail(absl::StrFormat("dictionary page claims %d values, more than the %d accepted", n,
                                kMaxPageValues));
  }
  CS_ASSIGN_OR_RETURN(std::string raw, Decompress(page, header.uncompressed_page_size));
  // Dictionary values are PLAIN-encoded; decode them with the same machinery as data pages.
  DenseValues saved = std::move(dense_);
  dense_ = DenseValues();
  dense_.strings_as_codes = false;
  CS_RETURN_IF_ERROR(DecodeValues(Encoding::kPlain, raw, static_cast<size_t>(n)));
  dictionary_.present = true;
  dictionary_.size = static_cast<size_t>(n);
  dictionary_.bools = std::move(dense_.bools);
  dictionary_.ints = std::move(dense_.ints);
  dictionary_.doubles = std::move(dense_.doubles);
  dictionary_.strings = std::move(dense_.strings);
  dense_ = std::move(saved);
  return absl::OkStatus();
}

absl::Status ChunkDecoder::DecodeDictionaryCodes(std::string_view in, size_t count) {
  if (!dictionary_.present) return Fail("dictionary-encoded page without a dictionary page");
  const bool as_codes =
      (mapping_.physical == Type::kByteArray || mapping_.physical == Type::kFixedLenByteArray) &&
      dense_.strings_as_codes;
  if (as_codes) {  // the common case: indices decoded in place at the end of the codes
    const size_t start = dense_.codes.size();
    dense_.codes.resize(start + count);
    absl::Status status = DecodeDictionaryIndices(
        in, dictionary_.size, std::span<uint32_t>(dense_.codes.data() + start, count));
    if (!status.ok()) return Fail(std::string(status.message()));
    return absl::OkStatus();
  }
  std::vector<uint32_t>& codes = page_codes_;
  codes.resize(count);
  absl::Status status = DecodeDictionaryIndices(in, dictionary_.size, codes);
  if (!status.ok()) return Fail(std::string(status.message()));
  // Looked up into the grown output directly (no per-value capacity checks).
  auto lookup = [&](auto& out, const auto& dictionary) {
    const size_t start = out.size();
    out.resize(start + count);
    auto* to = out.data() + start;
    const auto* from = dictionary.data();
    for (size_t i = 0; i < count; ++i) to[i] = from[codes[i]];
  };
  switch (mapping_.physical) {
    case Type::kByteArray:
    case Type::kFixedLenByteArray:
      for (uint32_t c : codes) dense_.strings.Append(dictionary_.strings.Get(c));
      break;
    case Type::kBoolean:
      lookup(dense_.bools, dictionary_.bools);
      break;
    case Type::kFloat:
    case Type::kDouble:
      lookup(dense_.doubles, dictionary_.doubles);
      break;
    default:
      lookup(dense_.ints, dictionary_.ints);
      break;
  }
  return absl::OkStatus();
}

void ChunkDecoder::MaterializeCodes() {
  if (!dense_.strings_as_codes) return;
  for (uint32_t c : dense_.codes) dense_.strings.Append(dictionary_.strings.Get(c));
  dense_.codes.clear();
  dense_.strings_as_codes = false;
}

absl::Status ChunkDecoder::DecodeFixed(Encoding encoding, std::string_view in, size_t count) {
  size_t consumed = 0;
  absl::Status status;
  auto widen_ints = [&](const auto& values) {
    for (auto v : values) dense_.ints.push_back(static_cast<int64_t>(v));
  };
  switch (mapping_.physical) {
    case Type::kInt32: {
      std::vector<int32_t> v(count);
      if (encoding == Encoding::kPlain)
        status = DecodePlain<int32_t>(in, v, &consumed);
      else if (encoding == Encoding::kDeltaBinaryPacked)
        status = DecodeDeltaBinaryPackedInt32(in, v, &consumed);
      else if (encoding == Encoding::kByteStreamSplit)
        status = DecodeByteStreamSplit<int32_t>(in, v);
      else
        return Fail(
            absl::StrFormat("encoding %d is not valid for INT32", static_cast<int>(encoding)));
      widen_ints(v);
      break;
    }
    case Type::kInt64: {
      // Decoded in place at the end of the (reserved) output: no page-sized temporary to fill
      // and copy. On failure the whole chunk fails, so the partly written tail does not matter.
      if (encoding != Encoding::kPlain && encoding != Encoding::kDeltaBinaryPacked &&
          encoding != Encoding::kByteStreamSplit) {
        return Fail(
            absl::StrFormat("encoding %d is not valid for INT64", static_cast<int>(encoding)));
      }
      const size_t start = dense_.ints.size();
      dense_.ints.resize(start + count);
      std::span<int64_t> v(dense_.ints.data() + start, count);
      if (encoding == Encoding::kPlain)
        status = DecodePlain<int64_t>(in, v, &consumed);
      else if (encoding == Encoding::kDeltaBinaryPacked)
        status = DecodeDeltaBinaryPackedInt64(in, v, &consumed);
      else
        status = DecodeByteStreamSplit<int64_t>(in, v);
      break;
    }
    case Type::kFloat: {
      std::vector<float> v(count);
      if (encoding == Encoding::kPlain)
        status = DecodePlain<float>(in, v, &consumed);
      else if (encoding == Encoding::kByteStreamSplit)
        status = DecodeByteStreamSplit<float>(in, v);
      else
        return Fail(
            absl::StrFormat("encoding %d is not valid for FLOAT", static_cast<int>(encoding)));
      for (float f : v) dense_.doubles.push_back(f);
      break;
    }
    case Type::kDouble: {
      if (encoding != Encoding::kPlain && encoding != Encoding::kByteStreamSplit) {
        return Fail(
            absl::StrFormat("encoding %d is not valid for DOUBLE", static_cast<int>(encoding)));
      }
      const size_t start = dense_.doubles.size();  // decoded in place, as for INT64
      dense_.doubles.resize(start + count);
      std::span<double> v(dense_.doubles.data() + start, count);
      if (encoding == Encoding::kPlain)
        status = DecodePlain<double>(in, v, &consumed);
      else
        status = DecodeByteStreamSplit<double>(in, v);
      break;
    }
    case Type::kInt96: {
      if (encoding != Encoding::kPlain) return Fail("INT96 values must be PLAIN");
      if (in.size() < count * 12) return Fail("INT96 page shorter than its values");
      for (size_t i = 0; i < count; ++i) {
        int64_t nanos_of_day;
        int32_t julian_day;
        std::memcpy(&nanos_of_day, in.data() + i * 12, 8);
        std::memcpy(&julian_day, in.data() + i * 12 + 8, 4);
        int64_t nanos;
        if (__builtin_mul_overflow(int64_t{julian_day} - kJulianUnixEpochDay, kNanosPerDay,
                                   &nanos) ||
            __builtin_add_overflow(nanos, nanos_of_day, &nanos)) {
          return OutOfRange(absl::StrFormat("INT96 timestamp on Julian day %d", julian_day));
        }
        dense_.ints.push_back(nanos);
      }
      break;
    }
    case Type::kBoolean: {
      std::vector<uint8_t> v(count);
      if (encoding == Encoding::kPlain)
        status = DecodePlainBoolean(in, v, &consumed);
      else if (encoding == Encoding::kRle)
        status = DecodeRleBoolean(in, v, &consumed);
      else
        return Fail(
            absl::StrFormat("encoding %d is not valid for BOOLEAN", static_cast<int>(encoding)));
      dense_.bools.insert(dense_.bools.end(), v.begin(), v.end());
      break;
    }
    default:
      return Fail("unexpected physical type");
  }
  if (!status.ok()) return Fail(std::string(status.message()));
  return absl::OkStatus();
}

absl::Status ChunkDecoder::DecodeValues(Encoding encoding, std::string_view in, size_t count) {
  if (encoding == Encoding::kRleDictionary || encoding == Encoding::kPlainDictionary) {
    return DecodeDictionaryCodes(in, count);
  }
  if (mapping_.physical != Type::kByteArray && mapping_.physical != Type::kFixedLenByteArray) {
    return DecodeFixed(encoding, in, count);
  }
  MaterializeCodes();
  size_t consumed = 0;
  absl::Status status;
  if (mapping_.physical == Type::kFixedLenByteArray) {
    if (mapping_.type_length <= 0) return Fail("FIXED_LEN_BYTE_ARRAY without a type length");
    if (encoding == Encoding::kPlain) {
      status =
          DecodePlainFixedLenByteArray(in, count, mapping_.type_length, &dense_.strings, &consumed);
    } else if (encoding == Encoding::kByteStreamSplit) {
      status = DecodeByteStreamSplitFixedLen(in, count, mapping_.type_length, &dense_.strings);
    } else {
      return Fail(absl::StrFormat("encoding %d is not supported for FIXED_LEN_BYTE_ARRAY",
                                  static_cast<int>(encoding)));
    }
  } else if (encoding == Encoding::kPlain) {
    status = DecodePlainByteArray(in, count, &dense_.strings, &consumed);
  } else if (encoding == Encoding::kDeltaLengthByteArray) {
    status = DecodeDeltaLengthByteArray(in, count, &dense_.strings, &consumed);
  } else if (encoding == Encoding::kDeltaByteArray) {
    status = DecodeDeltaByteArray(in, count, &dense_.strings, &consumed);
  } else {
    return Fail(
        absl::StrFormat("encoding %d is not valid for BYTE_ARRAY", static_cast<int>(encoding)));
  }
  if (!status.ok()) return Fail(std::string(status.message()));
  return absl::OkStatus();
}

absl::Status ChunkDecoder::ReadDataPage(const PageHeader& header, std::string_view page) {
  int32_t num_values = 0;
  Encoding encoding;
  std::string_view levels;
  std::string values_storage;
  std::string_view values;
  bool v1_page = false;  // v1 pages keep length-prefixed levels inside the values
  if (header.type == PageType::kDataPage) {
    if (!header.data_page_header) return Fail("data page without its header");
    num_values = header.data_page_header->num_values;
    encoding = header.data_page_header->encoding;
    if (header.uncompressed_page_size < 0) return Fail("negative page size");
    CS_ASSIGN_OR_RETURN(values_storage, Decompress(page, header.uncompressed_page_size));
    values = values_storage;
    v1_page = true;
  } else {
    if (!header.data_page_header_v2) return Fail("data page v2 without its header");
    const DataPageHeaderV2& v2 = *header.data_page_header_v2;
    num_values = v2.num_values;
    encoding = v2.encoding;
    if (v2.repetition_levels_byte_length != 0) return Fail("repeated (nested) values");
    if (v2.definition_levels_byte_length < 0 ||
        static_cast<size_t>(v2.definition_levels_byte_length) > page.size()) {
      return Fail("definition levels longer than the page");
    }
    levels = page.substr(0, v2.definition_levels_byte_length);
    std::string_view rest = page.substr(v2.definition_levels_byte_length);
    const int64_t values_size =
        int64_t{header.uncompressed_page_size} - v2.definition_levels_byte_length;
    if (values_size < 0) return Fail("page sizes inconsistent with its levels");
    if (v2.is_compressed) {
      CS_ASSIGN_OR_RETURN(values_storage, Decompress(rest, static_cast<size_t>(values_size)));
      values = values_storage;
    } else {
      values = rest;
    }
  }
  if (num_values < 0) return Fail("negative value count");
  if (num_values > kMaxPageValues) {
    return Fail(absl::StrFormat("page claims %d values, more than the %d this reader accepts",
                                num_values, kMaxPageValues));
  }

  size_t non_null = static_cast<size_t>(num_values);
  if (nullable_) {
    std::vector<uint32_t>& defs = page_defs_;
    defs.resize(static_cast<size_t>(num_values));
    absl::Status status;
    if (v1_page) {
      size_t consumed = 0;
      status = DecodeRleBitPackedWithLength(values, 1, defs, &consumed);
      values.remove_prefix(std::min(consumed, values.size()));
    } else {
      status = DecodeRleBitPacked(levels, 1, defs);
    }
    if (!status.ok()) return Fail(std::string(status.message()));
    const size_t start = validity_.size();
    validity_.resize(start + defs.size());
    uint8_t* out = validity_.data() + start;
    non_null = 0;
    for (size_t i = 0; i < defs.size(); ++i) {
      const uint8_t valid = defs[i] == 1;
      out[i] = valid;
      non_null += valid;
    }
    nulls_ += defs.size() - non_null;
  }
  if (keep_ != nullptr) {  // non-nullable: non_null == num_values
    const int64_t begin = rows_, end = begin + num_values;
    page_runs_.clear();
    page_picked_ = 0;
    // A range may go on into the next page: it is only passed once it ends in this one.
    for (; keep_next_ < keep_->size() && (*keep_)[keep_next_].first < end; ++keep_next_) {
      const auto [lo, hi] = (*keep_)[keep_next_];
      const int64_t a = std::max(lo, begin), b = std::min(hi, end);
      if (a < b) {
        page_runs_.push_back({a - begin, b - begin});
        page_picked_ += static_cast<size_t>(b - a);
      }
      if (hi > end) break;
    }
    rows_ += num_values;
    return DecodePicked(encoding, values, non_null);
  }
  rows_ += num_values;
  return DecodeValues(encoding, values, non_null);
}

absl::Status ChunkDecoder::DecodePicked(Encoding encoding, std::string_view in, size_t count) {
  if (page_picked_ == 0) return absl::OkStatus();  // nothing wanted from this page
  if (page_picked_ == count) return DecodeValues(encoding, in, count);
  // Calls f(p) for each kept position p of the page.
  auto each = [&](auto f) {
    for (const auto& [a, b] : page_runs_) {
      for (int64_t p = a; p < b; ++p) f(static_cast<size_t>(p));
    }
  };
  const bool strings =
      mapping_.physical == Type::kByteArray || mapping_.physical == Type::kFixedLenByteArray;
  if ((encoding == Encoding::kRleDictionary || encoding == Encoding::kPlainDictionary) &&
      (!strings || dense_.strings_as_codes)) {
    // Unpack the codes (bit-packed, so all of them) but look up only the kept ones.
    if (!dictionary_.present) return Fail("dictionary-encoded page without a dictionary page");
    page_codes_.resize(count);
    absl::Status status = DecodeDictionaryIndices(in, dictionary_.size, page_codes_);
    if (!status.ok()) return Fail(std::string(status.message()));
    switch (mapping_.physical) {
      case Type::kByteArray:
      case Type::kFixedLenByteArray:
        for (const auto& [a, b] : page_runs_) {
          dense_.codes.insert(dense_.codes.end(), page_codes_.begin() + a, page_codes_.begin() + b);
        }
        break;
      case Type::kBoolean:
        each([&](size_t p) { dense_.bools.push_back(dictionary_.bools[page_codes_[p]]); });
        break;
      case Type::kFloat:
      case Type::kDouble:
        each([&](size_t p) { dense_.doubles.push_back(dictionary_.doubles[page_codes_[p]]); });
        break;
      default:
        each([&](size_t p) { dense_.ints.push_back(dictionary_.ints[page_codes_[p]]); });
        break;
    }
    return absl::OkStatus();
  }
  if (encoding == Encoding::kByteStreamSplit &&
      (mapping_.physical == Type::kDouble || mapping_.physical == Type::kInt64)) {
    // Byte k of value i is at in[k * count + i]: assemble just the kept values.
    if (in.size() != count * 8) {
      return Fail(absl::StrFormat("BYTE_STREAM_SPLIT page of %d values of 8 bytes has %d bytes",
                                  count, in.size()));
    }
    const auto* bytes = reinterpret_cast<const uint8_t*>(in.data());
    auto gather = [&](auto& out) {
      const size_t start = out.size();
      out.resize(start + page_picked_);
      auto* to = reinterpret_cast<uint8_t*>(out.data() + start);
      for (const auto& [a, b] : page_runs_) {
        for (int64_t p = a; p < b; ++p, to += 8) {
          for (size_t k = 0; k < 8; ++k) to[k] = bytes[k * count + static_cast<size_t>(p)];
        }
      }
    };
    if (mapping_.physical == Type::kDouble) {
      gather(dense_.doubles);
    } else {
      gather(dense_.ints);
    }
    return absl::OkStatus();
  }
  // Other encodings: decode the whole page into the scratch values, then move the kept ones.
  page_values_.bools.clear();
  page_values_.ints.clear();
  page_values_.doubles.clear();
  page_values_.strings = model::StringVector();
  page_values_.codes.clear();
  page_values_.strings_as_codes = dense_.strings_as_codes;
  std::swap(dense_, page_values_);
  absl::Status status = DecodeValues(encoding, in, count);
  std::swap(dense_, page_values_);
  CS_RETURN_IF_ERROR(status);
  auto pick = [&](const auto& from, auto& to) -> absl::Status {
    if (from.size() != count) {
      return Fail(
          absl::StrFormat("page decoded %d values, its header says %d", from.size(), count));
    }
    for (const auto& [a, b] : page_runs_) to.insert(to.end(), from.begin() + a, from.begin() + b);
    return absl::OkStatus();
  };
  switch (mapping_.type) {
    case model::TypeId::kBool:
      return pick(page_values_.bools, dense_.bools);
    case model::TypeId::kDouble:
      return pick(page_values_.doubles, dense_.doubles);
    case model::TypeId::kString:
      if (page_values_.strings_as_codes) return pick(page_values_.codes, dense_.codes);
      MaterializeCodes();
      if (page_values_.strings.size() != count) {
        return Fail(absl::StrFormat("page decoded %d values, its header says %d",
                                    page_values_.strings.size(), count));
      }
      each([&](size_t p) { dense_.strings.Append(page_values_.strings.Get(p)); });
      return absl::OkStatus();
    default:
      return pick(page_values_.ints, dense_.ints);
  }
}

absl::StatusOr<model::Column> ChunkDecoder::Finish(int64_t num_rows) {
  if (rows_ != num_rows) {
    return Fail(
        absl::StrFormat("pages hold %d values, the row group has %d rows", rows_, num_rows));
  }
  const size_t n = keep_ != nullptr ? keep_rows_ : static_cast<size_t>(num_rows);
  size_t dense_count = 0;
  switch (mapping_.type) {
    case model::TypeId::kBool:
      dense_count = dense_.bools.size();
      break;
    case model::TypeId::kDouble:
      dense_count = dense_.doubles.size();
      break;
    case model::TypeId::kString:
      dense_count = dense_.strings_as_codes ? dense_.codes.size() : dense_.strings.size();
      break;
    default:
      dense_count = dense_.ints.size();
      break;
  }
  const size_t expected = n - nulls_;
  if (dense_count != expected) {
    return Fail(absl::StrFormat("decoded %d values for %d non-null rows", dense_count, expected));
  }
  // Spread dense values over the rows; null rows get a default.
  auto spread = [&](auto& dense, auto fill) {
    using V = std::decay_t<decltype(dense)>;
    if (nulls_ == 0) return std::move(dense);
    V out;
    out.reserve(n);
    size_t k = 0;
    for (size_t r = 0; r < n; ++r) out.push_back(validity_[r] ? dense[k++] : fill);
    return out;
  };
  model::Column column = model::Column::Empty(mapping_.type);
  switch (mapping_.type) {
    case model::TypeId::kBool:
      column = model::Column::FromBool(spread(dense_.bools, uint8_t{0}));
      break;
    case model::TypeId::kDouble:
      column = model::Column::FromDouble(spread(dense_.doubles, 0.0));
      break;
    case model::TypeId::kInt64:
      column = model::Column::FromInt64(model::TypeId::kInt64, spread(dense_.ints, int64_t{0}));
      break;
    case model::TypeId::kUInt64: {
      std::vector<int64_t> ints = spread(dense_.ints, int64_t{0});
      column = model::Column::FromUInt64(std::vector<uint64_t>(ints.begin(), ints.end()));
      break;
    }
    case model::TypeId::kTimestampNs: {
      std::vector<int64_t> ints = spread(dense_.ints, int64_t{0});
      if (mapping_.timestamp_scale != 1) {
        for (int64_t& v : ints) {
          int64_t scaled;
          if (__builtin_mul_overflow(v, mapping_.timestamp_scale, &scaled)) {
            return OutOfRange(absl::StrFormat("timestamp %d (in the file's unit)", v));
          }
          v = scaled;
        }
      }
      column = model::Column::FromInt64(model::TypeId::kTimestampNs, std::move(ints));
      break;
    }
    case model::TypeId::kString: {
      // An all-null chunk has an empty dictionary; its null rows cannot hold a valid code.
      if (dense_.strings_as_codes && dictionary_.present && dictionary_.size > 0) {
        column = model::Column::FromDictionary(std::move(dictionary_.strings),
                                               spread(dense_.codes, uint32_t{0}));
      } else if (dense_.strings_as_codes) {
        // No dictionary values were referenced (every row is null): plain empty strings.
        model::StringVector empty;
        for (size_t r = 0; r < n; ++r) empty.Append("");
        column = model::Column::FromStrings(std::move(empty));
      } else if (nulls_ == 0) {
        column = model::Column::FromStrings(std::move(dense_.strings));
      } else {
        model::StringVector out;
        size_t k = 0;
        for (size_t r = 0; r < n; ++r) out.Append(validity_[r] ? dense_.strings.Get(k++) : "");
        column = model::Column::FromStrings(std::move(out));
      }
      break;
    }
  }
  if (nulls_ > 0) {
    column.SetValidity(std::move(validity_));
  }
  return column;
}

absl::StatusOr<model::Column> ChunkDecoder::Decode(std::string_view chunk, int64_t num_rows,
                                                   const RowRanges* keep) {
  dense_.strings_as_codes =
      mapping_.physical == Type::kByteArray || mapping_.physical == Type::kFixedLenByteArray;
  if (keep != nullptr) {
    if (nullable_) return absl::InternalError("row selection while decoding a nullable column");
    int64_t previous = 0;
    for (const auto& [lo, hi] : *keep) {
      if (lo < previous || hi <= lo || hi > num_rows) {
        return absl::InternalError("row selection not sorted or beyond the decoded rows");
      }
      keep_rows_ += static_cast<size_t>(hi - lo);
      previous = hi;
    }
    keep_ = keep;
  }
  // Size the outputs once: growing them page by page costs copies and page faults. The row
  // count is the file's claim, so the reservation is bounded by the bytes at hand plus one
  // default row group (1 Mi rows): delta- and RLE-encoded columns (timestamps, dictionary
  // codes) hold far more than 8 values per byte and would otherwise regrow.
  const size_t rows =
      keep != nullptr ? keep_rows_
                      : static_cast<size_t>(std::min<int64_t>(
                            num_rows, static_cast<int64_t>(chunk.size()) * 8 + (int64_t{1} << 20)));
  switch (mapping_.type) {
    case model::TypeId::kBool:
      dense_.bools.reserve(rows);
      break;
    case model::TypeId::kDouble:
      dense_.doubles.reserve(rows);
      break;
    case model::TypeId::kString:
      dense_.codes.reserve(rows);
      break;
    default:
      dense_.ints.reserve(rows);
      break;
  }
  if (nullable_) validity_.reserve(rows);
  size_t pos = 0;
  while (rows_ < num_rows) {
    if (pos >= chunk.size()) {
      return Fail(absl::StrFormat("column chunk ends after %d of %d rows", rows_, num_rows));
    }
    size_t header_size = 0;
    absl::StatusOr<PageHeader> header = DecodePageHeader(chunk.substr(pos), &header_size);
    if (!header.ok()) return Fail(std::string(header.status().message()));
    pos += header_size;
    if (header->compressed_page_size < 0 ||
        static_cast<size_t>(header->compressed_page_size) > chunk.size() - pos) {
      return Fail(absl::StrFormat("page at chunk offset %d claims %d bytes, %d remain", pos,
                                  header->compressed_page_size, chunk.size() - pos));
    }
    std::string_view page = chunk.substr(pos, header->compressed_page_size);
    pos += header->compressed_page_size;
    switch (header->type) {
      case PageType::kDictionaryPage:
        CS_RETURN_IF_ERROR(ReadDictionary(*header, page));
        break;
      case PageType::kDataPage:
      case PageType::kDataPageV2:
        CS_RETURN_IF_ERROR(ReadDataPage(*header, page));
        break;
      default:
        break;  // Index pages carry nothing we need.
    }
  }
  return Finish(num_rows);
}

// column.Take(rows), without per-value capacity checks for the fixed-width columns without
// nulls that filter columns usually are (timestamps).
model::Column Gather(const model::Column& column, std::span<const uint32_t> rows) {
  if (!column.validity().empty()) return column.Take(rows);
  auto gather = [&](const auto& values) {
    std::decay_t<decltype(values)> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out[i] = values[rows[i]];
    return out;
  };
  switch (column.type()) {
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs:
      return model::Column::FromInt64(column.type(), gather(column.int64s()));
    case model::TypeId::kDouble:
      return model::Column::FromDouble(gather(column.doubles()));
    case model::TypeId::kUInt64:
      return model::Column::FromUInt64(gather(column.uint64s()));
    default:
      return column.Take(rows);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ParquetReader>> ParquetReader::Open(ByteSource& source) {
  const uint64_t size = source.size();
  if (size < 12) return Corrupt(source, absl::StrFormat("%d bytes is too small", size));
  const uint64_t probe = std::min(size, kFooterProbeBytes);
  CS_ASSIGN_OR_RETURN(std::string tail, source.Read({size - probe, probe}));
  if (tail.compare(tail.size() - 4, 4, "PAR1") != 0) {
    return Corrupt(source, "no PAR1 magic at the end (not Parquet, or truncated)");
  }
  uint32_t footer_size;
  std::memcpy(&footer_size, tail.data() + tail.size() - 8, 4);
  if (footer_size > size - 12) {
    return Corrupt(source,
                   absl::StrFormat("footer of %d bytes does not fit in %d", footer_size, size));
  }
  std::string footer;
  if (footer_size + 8 <= probe) {
    footer = tail.substr(tail.size() - 8 - footer_size, footer_size);
  } else {
    CS_ASSIGN_OR_RETURN(footer, source.Read({size - 8 - footer_size, footer_size}));
  }
  absl::StatusOr<FileMetaData> metadata = DecodeFileMetaData(footer);
  if (!metadata.ok()) return Corrupt(source, std::string(metadata.status().message()));

  // Flat schemas only: a root followed by its leaves.
  if (metadata->schema.empty()) return Corrupt(source, "empty schema");
  const int32_t leaves = metadata->schema[0].num_children.value_or(0);
  if (leaves < 0 || static_cast<size_t>(leaves) + 1 != metadata->schema.size()) {
    for (size_t i = 1; i < metadata->schema.size(); ++i) {
      if (metadata->schema[i].num_children.value_or(0) > 0) {
        return absl::UnimplementedError(
            absl::StrFormat("%s: column '%s' is nested; only flat schemas are supported",
                            source.name(), metadata->schema[i].name));
      }
    }
    return Corrupt(source, "schema element count does not match the root's children");
  }
  std::vector<model::Field> fields;
  std::vector<int> leaf_of_field;
  for (int32_t i = 0; i < leaves; ++i) {
    const SchemaElement& e = metadata->schema[i + 1];
    if (e.repetition_type == FieldRepetitionType::kRepeated) {
      return absl::UnimplementedError(absl::StrFormat(
          "%s: column '%s' is repeated; only flat schemas are supported", source.name(), e.name));
    }
    absl::StatusOr<LeafMapping> mapping = MapLeaf(e);
    if (!mapping.ok()) {
      return absl::Status(mapping.status().code(),
                          absl::StrFormat("%s: %s", source.name(), mapping.status().message()));
    }
    fields.push_back({e.name, mapping->type, e.repetition_type != FieldRepetitionType::kRequired});
    leaf_of_field.push_back(i);
  }
  int64_t total_rows = 0;
  for (const RowGroup& rg : metadata->row_groups) {
    if (rg.columns.size() != static_cast<size_t>(leaves)) {
      return Corrupt(source, absl::StrFormat("row group has %d column chunks for %d columns",
                                             rg.columns.size(), leaves));
    }
    if (rg.num_rows < 0) return Corrupt(source, "negative row count in a row group");
    if (rg.num_rows > kMaxRowGroupRows) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "%s: a row group of %d rows exceeds the %d rows this reader accepts per row group",
          source.name(), rg.num_rows, kMaxRowGroupRows));
    }
    total_rows += rg.num_rows;
    for (const ColumnChunk& chunk : rg.columns) {
      if (!chunk.meta_data) return Corrupt(source, "column chunk without metadata");
      const ColumnMetaData& m = *chunk.meta_data;
      const int64_t start = m.dictionary_page_offset.value_or(m.data_page_offset);
      if (start < 0 || m.data_page_offset < 0 || m.total_compressed_size < 0 ||
          static_cast<uint64_t>(start) > size ||
          static_cast<uint64_t>(m.total_compressed_size) > size - start) {
        return Corrupt(source, "column chunk byte range lies outside the file");
      }
    }
  }
  if (total_rows != metadata->num_rows) {
    return Corrupt(source, absl::StrFormat("row groups hold %d rows, the footer says %d",
                                           total_rows, metadata->num_rows));
  }
  auto parsed = std::make_shared<const Footer>(
      Footer{std::move(*metadata), model::Schema(std::move(fields)), std::move(leaf_of_field)});
  return std::unique_ptr<ParquetReader>(new ParquetReader(source, std::move(parsed)));
}

std::unique_ptr<ParquetReader> ParquetReader::Open(ByteSource& source,
                                                   std::shared_ptr<const Footer> footer) {
  return std::unique_ptr<ParquetReader>(new ParquetReader(source, std::move(footer)));
}

std::string ParquetReader::KeyValue(const std::string& key) const {
  for (const auto& kv : metadata_.key_value_metadata) {
    if (kv.key == key) return kv.value.value_or("");
  }
  return "";
}

absl::StatusOr<std::vector<size_t>> ParquetReader::ResolveColumns(
    const std::vector<std::string>& columns) const {
  std::vector<size_t> fields;
  if (columns.empty()) {
    for (size_t i = 0; i < schema_.size(); ++i) fields.push_back(i);
    return fields;
  }
  for (const std::string& name : columns) {
    std::optional<size_t> i = schema_.IndexOf(name);
    if (!i) return absl::NotFoundError(absl::StrFormat("%s: no column '%s'", source_.name(), name));
    fields.push_back(*i);
  }
  return fields;
}

absl::StatusOr<model::Column> ParquetReader::DecodeChunk(size_t field, const ColumnMetaData& meta,
                                                         std::string_view bytes, int64_t rows,
                                                         const RowRanges* keep) const {
  const SchemaElement& element = metadata_.schema[leaf_of_field_[field] + 1];
  CS_ASSIGN_OR_RETURN(LeafMapping mapping, MapLeaf(element));
  CS_ASSIGN_OR_RETURN(codec::Compression compression, CompressionOf(meta.codec, element.name));
  ChunkDecoder decoder(source_, element.name, mapping, schema_.field(field).nullable, compression);
  return decoder.Decode(bytes, rows, keep);
}

absl::StatusOr<model::RecordBatch> ParquetReader::ReadRowGroup(
    int row_group, const std::vector<std::string>& columns) const {
  return ReadRowGroup(row_group, columns, {}, nullptr);
}

absl::StatusOr<model::RecordBatch> ParquetReader::ReadAll(
    const std::vector<std::string>& columns) const {
  return Scan(columns, {}, nullptr);
}

namespace {

// A statistics bound decoded into the predicate's value domain; nullopt when the bytes do not fit
// the column (wrong size) or the column's type cannot be pruned.
std::optional<ColumnPredicate::Value> DecodeBound(const LeafMapping& m, const std::string& bytes) {
  switch (m.type) {
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs: {
      if (m.physical == Type::kInt32 && bytes.size() == 4) {
        int32_t v;
        std::memcpy(&v, bytes.data(), 4);
        return int64_t{v};
      }
      if (m.physical != Type::kInt64 || bytes.size() != 8) return std::nullopt;
      int64_t v;
      std::memcpy(&v, bytes.data(), 8);
      // Guard the scale multiplication against overflow: such bounds cannot prune.
      if (m.timestamp_scale != 1 &&
          (v > INT64_MAX / m.timestamp_scale || v < INT64_MIN / m.timestamp_scale)) {
        return std::nullopt;
      }
      return v * m.timestamp_scale;
    }
    case model::TypeId::kUInt64: {
      if (bytes.size() != 8) return std::nullopt;
      uint64_t v;
      std::memcpy(&v, bytes.data(), 8);
      return v;
    }
    case model::TypeId::kDouble: {
      if (m.physical == Type::kFloat && bytes.size() == 4) {
        float f;
        std::memcpy(&f, bytes.data(), 4);
        return static_cast<double>(f);
      }
      if (bytes.size() != 8) return std::nullopt;
      double d;
      std::memcpy(&d, bytes.data(), 8);
      if (std::isnan(d)) return std::nullopt;
      return d;
    }
    case model::TypeId::kString:
      if (m.physical != Type::kByteArray) return std::nullopt;
      return bytes;
    case model::TypeId::kBool:
      return std::nullopt;
  }
  return std::nullopt;
}

// -1, 0, 1 when both values hold the same alternative; nullopt otherwise.
std::optional<int> CompareValues(const ColumnPredicate::Value& a, const ColumnPredicate::Value& b) {
  if (a.index() != b.index()) return std::nullopt;
  return std::visit(
      [&](const auto& x) -> std::optional<int> {
        const auto& y = std::get<std::decay_t<decltype(x)>>(b);
        return x < y ? -1 : (y < x ? 1 : 0);
      },
      a);
}

// False only when no value in [lo, hi] can satisfy `predicate`.
bool RangeMayMatch(const ColumnPredicate::Value& lo, const ColumnPredicate::Value& hi,
                   const ColumnPredicate& predicate) {
  if (predicate.min) {
    std::optional<int> c = CompareValues(hi, *predicate.min);
    if (c && *c < 0) return false;
  }
  if (predicate.max) {
    std::optional<int> c = CompareValues(lo, *predicate.max);
    if (c && *c > 0) return false;
  }
  if (!predicate.any_of.empty()) {
    for (const ColumnPredicate::Value& v : predicate.any_of) {
      std::optional<int> above = CompareValues(v, lo);
      std::optional<int> below = CompareValues(v, hi);
      if (!above || !below || (*above >= 0 && *below <= 0)) return true;
    }
    return false;
  }
  if (predicate.single_value_matches) {
    const auto* a = std::get_if<std::string>(&lo);
    const auto* b = std::get_if<std::string>(&hi);
    // Writers that truncate statistics round max up, so min == max is one exact value.
    if (a != nullptr && b != nullptr && *a == *b) return predicate.single_value_matches(*a);
  }
  return true;
}

uint64_t BloomHashOf(const ColumnPredicate::Value& v, const LeafMapping& m, bool* ok) {
  *ok = true;
  if (const auto* s = std::get_if<std::string>(&v)) return HashBytes(*s);
  if (const auto* u = std::get_if<uint64_t>(&v)) return HashInt64(static_cast<int64_t>(*u));
  if (const auto* i = std::get_if<int64_t>(&v)) {
    if (m.physical == Type::kInt64 && m.timestamp_scale == 1) return HashInt64(*i);
  }
  if (const auto* d = std::get_if<double>(&v)) {
    if (m.physical == Type::kDouble && *d != 0.0) return HashDouble(*d);  // ±0 hash differently
  }
  *ok = false;
  return 0;
}

RowRanges Intersect(const RowRanges& a, const RowRanges& b) {
  RowRanges out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first);
    const int64_t hi = std::min(a[i].second, b[j].second);
    if (lo < hi) out.push_back({lo, hi});
    (a[i].second < b[j].second) ? ++i : ++j;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParquetReader::SelectRowGroups(
    const std::vector<ColumnPredicate>& predicates, ScanStats* stats) const {
  std::vector<int> selected;
  for (int g = 0; g < num_row_groups(); ++g) {
    const RowGroup& rg = metadata_.row_groups[g];
    if (stats) ++stats->row_groups_total;
    bool keep = true;
    bool by_bloom = false;
    for (const ColumnPredicate& predicate : predicates) {
      std::optional<size_t> field = schema_.IndexOf(predicate.column);
      if (!field) {
        return absl::NotFoundError(
            absl::StrFormat("%s: no column '%s'", source_.name(), predicate.column));
      }
      const ColumnMetaData& meta = *rg.columns[leaf_of_field_[*field]].meta_data;
      CS_ASSIGN_OR_RETURN(LeafMapping mapping,
                          MapLeaf(metadata_.schema[leaf_of_field_[*field] + 1]));
      if (meta.statistics) {
        const Statistics& st = *meta.statistics;
        if (st.null_count && *st.null_count == meta.num_values && meta.num_values > 0) {
          keep = false;  // Only nulls: no value can satisfy the predicate.
          break;
        }
        if (st.min_value && st.max_value) {
          std::optional<ColumnPredicate::Value> lo = DecodeBound(mapping, *st.min_value);
          std::optional<ColumnPredicate::Value> hi = DecodeBound(mapping, *st.max_value);
          if (lo && hi && !RangeMayMatch(*lo, *hi, predicate)) {
            keep = false;
            break;
          }
        }
      }
      if (!predicate.any_of.empty() && meta.bloom_filter_offset && *meta.bloom_filter_offset >= 0) {
        const uint64_t offset = static_cast<uint64_t>(*meta.bloom_filter_offset);
        uint64_t length =
            meta.bloom_filter_length ? static_cast<uint64_t>(*meta.bloom_filter_length) : 0;
        if (offset >= source_.size()) continue;
        if (length == 0 || length > source_.size() - offset) {
          length = std::min<uint64_t>(source_.size() - offset, 64);  // header first
        }
        CS_ASSIGN_OR_RETURN(std::string bytes, source_.Read({offset, length}));
        size_t header_size = 0;
        absl::StatusOr<BloomFilterHeader> header = DecodeBloomFilterHeader(bytes, &header_size);
        if (!header.ok()) return Corrupt(source_, std::string(header.status().message()));
        if (header->num_bytes < 0 ||
            static_cast<uint64_t>(header->num_bytes) > source_.size() - offset - header_size) {
          return Corrupt(source_, "bloom filter larger than the file");
        }
        if (bytes.size() < header_size + static_cast<size_t>(header->num_bytes)) {
          CS_ASSIGN_OR_RETURN(bytes, source_.Read({offset, header_size + header->num_bytes}));
        }
        absl::StatusOr<SplitBlockBloomFilter> filter = SplitBlockBloomFilter::FromBytes(
            std::string_view(bytes).substr(header_size, header->num_bytes));
        if (!filter.ok()) return Corrupt(source_, std::string(filter.status().message()));
        bool any = false;
        for (const ColumnPredicate::Value& v : predicate.any_of) {
          bool hashable = false;
          const uint64_t hash = BloomHashOf(v, mapping, &hashable);
          if (!hashable || filter->MightContain(hash)) {
            any = true;
            break;
          }
        }
        if (!any) {
          keep = false;
          by_bloom = true;
          break;
        }
      }
    }
    if (keep) {
      selected.push_back(g);
    } else if (stats) {
      ++(by_bloom ? stats->row_groups_pruned_by_bloom_filter
                  : stats->row_groups_pruned_by_statistics);
    }
  }
  return selected;
}

// The page-level plan of one row group: which rows may match the predicates (from the column
// indexes of the predicate columns) and the offset indexes of the columns to read.
struct ParquetReader::RowGroupPlan {
  int row_group = 0;
  int64_t num_rows = 0;
  // Rows that may match, sorted and disjoint [begin, end) ranges.
  std::vector<std::pair<int64_t, int64_t>> selected;
  // Per schema field: its offset index, when it was read and is usable.
  std::vector<std::optional<OffsetIndex>> offset_index;

  // Rows of page i of a column: [first_row[i], first_row[i + 1]).
  std::pair<int64_t, int64_t> PageRows(const OffsetIndex& oi, size_t i) const {
    const int64_t begin = oi.page_locations[i].first_row_index;
    const int64_t end =
        i + 1 < oi.page_locations.size() ? oi.page_locations[i + 1].first_row_index : num_rows;
    return {begin, end};
  }
};

absl::StatusOr<ParquetReader::RowGroupPlan> ParquetReader::PlanRowGroup(
    int row_group, const std::vector<size_t>& fields,
    const std::vector<ColumnPredicate>& predicates, bool offset_indexes) const {
  if (row_group < 0 || row_group >= num_row_groups()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: no row group %d (file has %d)",
                                                      source_.name(), row_group, num_row_groups()));
  }
  const RowGroup& rg = metadata_.row_groups[row_group];
  RowGroupPlan plan;
  plan.row_group = row_group;
  plan.num_rows = rg.num_rows;
  plan.selected = {{0, rg.num_rows}};
  plan.offset_index.resize(schema_.size());

  std::vector<size_t> index_columns;  // leaf columns whose indexes we need
  for (const ColumnPredicate& p : predicates) {
    std::optional<size_t> f = schema_.IndexOf(p.column);
    if (!f)
      return absl::NotFoundError(absl::StrFormat("%s: no column '%s'", source_.name(), p.column));
    index_columns.push_back(*f);
  }
  // Offset indexes of the projected columns and column indexes of the predicate columns.
  std::vector<ByteRange> index_ranges;
  std::vector<std::pair<size_t, bool>> index_owner;  // (field, is_column_index)
  auto want = [&](size_t f, bool column_index) {
    const ColumnChunk& chunk = rg.columns[leaf_of_field_[f]];
    const std::optional<int64_t>& off =
        column_index ? chunk.column_index_offset : chunk.offset_index_offset;
    const std::optional<int32_t>& len =
        column_index ? chunk.column_index_length : chunk.offset_index_length;
    if (!off || !len || *off < 0 || *len <= 0 || static_cast<uint64_t>(*off) > source_.size() ||
        static_cast<uint64_t>(*len) > source_.size() - *off) {
      return;
    }
    index_ranges.push_back({static_cast<uint64_t>(*off), static_cast<uint64_t>(*len)});
    index_owner.push_back({f, column_index});
  };
  // An offset index in the page cache is not read again.
  auto cached = [&](size_t f) {
    const std::optional<int64_t>& off = rg.columns[leaf_of_field_[f]].offset_index_offset;
    if (page_cache_ == nullptr || !off) return false;
    if (plan.offset_index[f]) return true;
    if (std::shared_ptr<const OffsetIndex> oi =
            page_cache_->offset_indexes.Get(PageCacheKey(*off))) {
      plan.offset_index[f] = *oi;
      return true;
    }
    return false;
  };
  for (size_t f : index_columns) {
    want(f, true);
    if (!cached(f)) want(f, false);
  }
  if (offset_indexes) {
    for (size_t f : fields) {
      if (!cached(f)) want(f, false);
    }
  }
  std::vector<std::optional<ColumnIndex>> column_index(schema_.size());
  if (!index_ranges.empty()) {
    CS_ASSIGN_OR_RETURN(std::vector<std::string> index_bytes, source_.ReadRanges(index_ranges));
    for (size_t k = 0; k < index_bytes.size(); ++k) {
      const auto [f, is_column_index] = index_owner[k];
      if (is_column_index) {
        absl::StatusOr<ColumnIndex> ci = DecodeColumnIndex(index_bytes[k]);
        if (!ci.ok()) return Corrupt(source_, std::string(ci.status().message()));
        column_index[f] = std::move(*ci);
      } else {
        absl::StatusOr<OffsetIndex> oi = DecodeOffsetIndex(index_bytes[k]);
        if (!oi.ok()) return Corrupt(source_, std::string(oi.status().message()));
        plan.offset_index[f] = std::move(*oi);
        if (page_cache_ != nullptr && ValidOffsetIndex(*plan.offset_index[f], plan.num_rows)) {
          page_cache_->offset_indexes.Put(
              PageCacheKey(static_cast<int64_t>(index_ranges[k].offset)),
              std::make_shared<const OffsetIndex>(*plan.offset_index[f]),
              plan.offset_index[f]->page_locations.size() * sizeof(PageLocation) + 64);
        }
      }
    }
  }
  // Unusable offset indexes are dropped: those columns are read whole.
  for (std::optional<OffsetIndex>& oi : plan.offset_index) {
    if (oi && !ValidOffsetIndex(*oi, plan.num_rows)) oi.reset();
  }
  for (size_t k = 0; k < predicates.size(); ++k) {
    const size_t f = index_columns[k];
    if (!column_index[f] || !plan.offset_index[f]) continue;
    const ColumnIndex& ci = *column_index[f];
    const OffsetIndex& oi = *plan.offset_index[f];
    if (ci.null_pages.size() != oi.page_locations.size() ||
        ci.min_values.size() != oi.page_locations.size() ||
        ci.max_values.size() != oi.page_locations.size()) {
      return Corrupt(source_, "column index and offset index disagree on the page count");
    }
    CS_ASSIGN_OR_RETURN(LeafMapping mapping, MapLeaf(metadata_.schema[leaf_of_field_[f] + 1]));
    RowRanges pages;
    for (size_t i = 0; i < oi.page_locations.size(); ++i) {
      if (ci.null_pages[i]) continue;
      std::optional<ColumnPredicate::Value> lo = DecodeBound(mapping, ci.min_values[i]);
      std::optional<ColumnPredicate::Value> hi = DecodeBound(mapping, ci.max_values[i]);
      if (lo && hi && !RangeMayMatch(*lo, *hi, predicates[k])) continue;
      auto [b, e] = plan.PageRows(oi, i);
      if (!pages.empty() && pages.back().second == b) {
        pages.back().second = e;
      } else {
        pages.push_back({b, e});
      }
    }
    plan.selected = Intersect(plan.selected, pages);
  }
  return plan;
}

absl::StatusOr<std::vector<model::Column>> ParquetReader::ReadRows(
    const RowGroupPlan& plan, const std::vector<size_t>& fields,
    const std::vector<std::pair<int64_t, int64_t>>& rows, ScanStats* stats) const {
  const RowGroup& rg = metadata_.row_groups[plan.row_group];
  // For each column, the pages overlapping `rows` (all pages without an offset index), decoded
  // and trimmed to `rows`.
  std::vector<ByteRange> ranges;
  struct Read {
    size_t field;
    std::vector<size_t> pages;  // empty = whole chunk
    size_t first_range;
    size_t range_count;
    // Through the page cache: the decoded values of each of `pages`, null where the page is
    // among the ranges read (after the dictionary page when `dictionary`).
    bool cached = false;
    bool dictionary = false;
    std::vector<std::shared_ptr<const model::Column>> decoded;
  };
  std::vector<Read> reads;
  std::vector<model::Column> out;
  if (rows.empty()) {  // nothing to read; the pages still count as skipped
    for (size_t f : fields) {
      if (stats && plan.offset_index[f]) {
        stats->pages_total += static_cast<int64_t>(plan.offset_index[f]->page_locations.size());
      }
      out.push_back(model::Column::Empty(schema_.field(f).type));
    }
    return out;
  }
  int64_t out_rows = 0;
  for (const RowRanges::value_type& r : rows) out_rows += r.second - r.first;
  for (size_t f : fields) {
    const ColumnMetaData& m = *rg.columns[leaf_of_field_[f]].meta_data;
    int64_t chunk_start = m.data_page_offset;
    if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
        *m.dictionary_page_offset < chunk_start) {
      chunk_start = *m.dictionary_page_offset;
    }
    Read read{f, {}, ranges.size(), 0};
    if (plan.offset_index[f]) {
      const OffsetIndex& oi = *plan.offset_index[f];
      if (stats) stats->pages_total += static_cast<int64_t>(oi.page_locations.size());
      size_t next = 0;
      int64_t page_rows = 0;
      for (size_t i = 0; i < oi.page_locations.size(); ++i) {
        const std::pair<int64_t, int64_t> page = plan.PageRows(oi, i);
        // Pages and row ranges are both sorted by row: advance one cursor (linear, not
        // pages x ranges; the fuzzer found the quadratic version taking seconds).
        while (next < rows.size() && rows[next].second <= page.first) ++next;
        const bool overlaps = next < rows.size() && rows[next].first < page.second;
        if (!overlaps) continue;
        read.pages.push_back(i);
        page_rows += page.second - page.first;
      }
      if (stats) stats->pages_read += static_cast<int64_t>(read.pages.size());
      const model::Field& field = schema_.field(f);
      read.cached =
          page_cache_ != nullptr && !field.nullable &&
          (field.type == model::TypeId::kInt64 || field.type == model::TypeId::kUInt64 ||
           field.type == model::TypeId::kDouble || field.type == model::TypeId::kTimestampNs) &&
          page_rows >= 4 * out_rows;
      bool missing = !read.cached;
      if (read.cached) {
        for (size_t i : read.pages) {
          read.decoded.push_back(
              page_cache_->data_pages.Get(PageCacheKey(oi.page_locations[i].offset)));
          missing = missing || read.decoded.back() == nullptr;
        }
      }
      if (missing && oi.page_locations[0].offset > chunk_start) {  // dictionary page
        ranges.push_back({static_cast<uint64_t>(chunk_start),
                          static_cast<uint64_t>(oi.page_locations[0].offset - chunk_start)});
        read.dictionary = true;
      }
      for (size_t k = 0; k < read.pages.size(); ++k) {
        if (read.cached && read.decoded[k] != nullptr) {
          if (stats) ++stats->pages_from_cache;
          continue;
        }
        const PageLocation& location = oi.page_locations[read.pages[k]];
        ranges.push_back({static_cast<uint64_t>(location.offset),
                          static_cast<uint64_t>(location.compressed_page_size)});
      }
      if (read.pages.empty()) ranges.resize(read.first_range);  // nothing to read
    } else {
      ranges.push_back({static_cast<uint64_t>(chunk_start),
                        std::min(static_cast<uint64_t>(m.total_compressed_size),
                                 source_.size() - static_cast<uint64_t>(chunk_start))});
    }
    read.range_count = ranges.size() - read.first_range;
    reads.push_back(std::move(read));
  }
  CS_ASSIGN_OR_RETURN(std::vector<std::string> bytes, source_.ReadRanges(ranges));

  for (Read& read : reads) {
    const ColumnMetaData& m = *rg.columns[leaf_of_field_[read.field]].meta_data;
    if (read.cached) {
      CS_ASSIGN_OR_RETURN(
          model::Column column,
          ReadThroughPageCache(plan, read.field, m, rows, out_rows, read.pages, read.dictionary,
                               read.decoded,
                               std::span(bytes).subspan(read.first_range, read.range_count)));
      out.push_back(std::move(column));
      continue;
    }
    std::string joined;
    for (size_t k = 0; k < read.range_count; ++k) joined += bytes[read.first_range + k];
    model::Column column = model::Column::Empty(schema_.field(read.field).type);
    // Rows the decoded values cover, in order.
    RowRanges covered;
    if (read.range_count == 0) {
      covered = {};
    } else if (!read.pages.empty()) {
      for (size_t i : read.pages)
        covered.push_back(plan.PageRows(*plan.offset_index[read.field], i));
    } else {
      covered = {{0, plan.num_rows}};
    }
    int64_t covered_rows = 0;
    for (const auto& r : covered) covered_rows += r.second - r.first;
    // Positions of `rows` among the covered rows (none needed when they are the same rows).
    RowRanges keep;
    if (covered_rows != out_rows) {
      int64_t position = 0;
      size_t first = 0;  // first row range that can still overlap a covered range
      for (const auto& c : covered) {
        while (first < rows.size() && rows[first].second <= c.first) ++first;
        for (size_t k = first; k < rows.size() && rows[k].first < c.second; ++k) {
          const int64_t lo = position + (std::max(c.first, rows[k].first) - c.first);
          const int64_t hi = position + (std::min(c.second, rows[k].second) - c.first);
          if (!keep.empty() && keep.back().second == lo) {
            keep.back().second = hi;
          } else {
            keep.push_back({lo, hi});
          }
        }
        position += c.second - c.first;
      }
    }
    if (covered_rows > 0) {
      // A required column keeps just the wanted rows while decoding (no full-page column to
      // copy from); a nullable one is trimmed afterwards.
      const bool trim = covered_rows != out_rows;
      const bool trim_in_decoder = trim && !schema_.field(read.field).nullable;
      CS_ASSIGN_OR_RETURN(column, DecodeChunk(read.field, m, joined, covered_rows,
                                              trim_in_decoder ? &keep : nullptr));
      if (trim && !trim_in_decoder) {
        std::vector<uint32_t> take;
        take.reserve(static_cast<size_t>(out_rows));
        for (const auto& [lo, hi] : keep) {
          for (int64_t p = lo; p < hi; ++p) take.push_back(static_cast<uint32_t>(p));
        }
        column = column.Take(take);
      }
    }
    out.push_back(std::move(column));
  }
  return out;
}

bool ParquetReader::ValidOffsetIndex(const OffsetIndex& oi, int64_t num_rows) const {
  int64_t previous = -1;
  if (oi.page_locations.empty() || oi.page_locations[0].first_row_index != 0) return false;
  for (const PageLocation& loc : oi.page_locations) {
    if (loc.first_row_index <= previous || loc.first_row_index >= num_rows || loc.offset < 0 ||
        loc.compressed_page_size <= 0 || static_cast<uint64_t>(loc.offset) > source_.size() ||
        static_cast<uint64_t>(loc.compressed_page_size) > source_.size() - loc.offset) {
      return false;
    }
    previous = loc.first_row_index;
  }
  return true;
}

std::string ParquetReader::PageCacheKey(int64_t page_offset) const {
  return absl::StrCat(page_cache_key_, "@", page_offset);
}

absl::StatusOr<model::Column> ParquetReader::ReadThroughPageCache(
    const RowGroupPlan& plan, size_t field, const ColumnMetaData& meta, const RowRanges& rows,
    int64_t out_rows, const std::vector<size_t>& pages, bool dictionary,
    std::vector<std::shared_ptr<const model::Column>>& decoded,
    std::span<const std::string> bytes) const {
  const OffsetIndex& oi = *plan.offset_index[field];
  // Decode the pages that were not in the cache, each whole, and keep them there.
  size_t next_range = dictionary ? 1 : 0;
  std::string page_bytes;
  for (size_t k = 0; k < pages.size(); ++k) {
    if (decoded[k] != nullptr) continue;
    page_bytes.clear();
    if (dictionary) page_bytes = bytes[0];
    page_bytes += bytes[next_range++];
    const auto [begin, end] = plan.PageRows(oi, pages[k]);
    CS_ASSIGN_OR_RETURN(model::Column values, DecodeChunk(field, meta, page_bytes, end - begin));
    auto page = std::make_shared<const model::Column>(std::move(values));
    page_cache_->data_pages.Put(PageCacheKey(oi.page_locations[pages[k]].offset), page,
                                static_cast<uint64_t>(end - begin) * 8 + sizeof(model::Column));
    decoded[k] = std::move(page);
  }
  // Copy the rows asked for out of the decoded pages.
  auto gather = [&](auto values_of) {
    using Vector = std::decay_t<decltype(values_of(*decoded[0]))>;
    Vector out;
    out.reserve(static_cast<size_t>(out_rows));
    size_t next = 0;  // first row range that can still overlap the page
    for (size_t k = 0; k < pages.size(); ++k) {
      const auto [begin, end] = plan.PageRows(oi, pages[k]);
      const Vector& values = values_of(*decoded[k]);
      while (next < rows.size() && rows[next].second <= begin) ++next;
      for (size_t r = next; r < rows.size() && rows[r].first < end; ++r) {
        const int64_t lo = std::max(begin, rows[r].first), hi = std::min(end, rows[r].second);
        out.insert(out.end(), values.begin() + (lo - begin), values.begin() + (hi - begin));
      }
    }
    return out;
  };
  const model::TypeId type = schema_.field(field).type;
  switch (type) {
    case model::TypeId::kDouble:
      return model::Column::FromDouble(
          gather([](const model::Column& c) -> const std::vector<double>& { return c.doubles(); }));
    case model::TypeId::kUInt64:
      return model::Column::FromUInt64(gather(
          [](const model::Column& c) -> const std::vector<uint64_t>& { return c.uint64s(); }));
    default:
      return model::Column::FromInt64(
          type,
          gather([](const model::Column& c) -> const std::vector<int64_t>& { return c.int64s(); }));
  }
}

absl::StatusOr<model::RecordBatch> ParquetReader::ReadRowGroup(
    int row_group, const std::vector<std::string>& columns,
    const std::vector<ColumnPredicate>& predicates, ScanStats* stats) const {
  CS_ASSIGN_OR_RETURN(std::vector<size_t> fields, ResolveColumns(columns));
  // Without predicates there is nothing to prune: whole column chunks, no page index reads.
  CS_ASSIGN_OR_RETURN(RowGroupPlan plan,
                      PlanRowGroup(row_group, fields, predicates, !predicates.empty()));
  if (stats) ++stats->row_groups_read;
  CS_ASSIGN_OR_RETURN(std::vector<model::Column> out_columns,
                      ReadRows(plan, fields, plan.selected, stats));
  std::vector<model::Field> out_fields;
  for (size_t f : fields) out_fields.push_back(schema_.field(f));
  if (stats) {
    for (const RowRanges::value_type& r : plan.selected) stats->rows_read += r.second - r.first;
  }
  return model::RecordBatch(model::Schema(std::move(out_fields)), std::move(out_columns));
}

absl::StatusOr<model::RecordBatch> ParquetReader::ReadRowGroupFiltered(
    int row_group, const std::vector<std::string>& columns,
    const std::vector<ColumnPredicate>& predicates, const std::vector<std::string>& filter_columns,
    const RowFilter& filter, ScanStats* stats) const {
  CS_ASSIGN_OR_RETURN(std::vector<size_t> fields, ResolveColumns(columns));
  if (filter_columns.empty()) {  // the filter's batch would have no rows either
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: a filtered read needs at least one filter column", source_.name()));
  }
  CS_ASSIGN_OR_RETURN(std::vector<size_t> filter_fields, ResolveColumns(filter_columns));
  std::vector<size_t> every = fields;
  every.insert(every.end(), filter_fields.begin(), filter_fields.end());
  CS_ASSIGN_OR_RETURN(RowGroupPlan plan, PlanRowGroup(row_group, every, predicates, true));
  if (stats) ++stats->row_groups_read;

  // 1. The filter columns over the rows the page index left.
  int64_t candidates = 0;
  for (const RowRanges::value_type& r : plan.selected) candidates += r.second - r.first;
  if (stats) stats->rows_read += candidates;
  CS_ASSIGN_OR_RETURN(std::vector<model::Column> filter_data,
                      ReadRows(plan, filter_fields, plan.selected, stats));
  std::vector<model::Field> filter_schema;
  for (size_t f : filter_fields) filter_schema.push_back(schema_.field(f));
  model::RecordBatch filter_batch(model::Schema(std::move(filter_schema)), std::move(filter_data));
  CS_ASSIGN_OR_RETURN(std::vector<uint32_t> kept, filter(filter_batch));
  filter_data.clear();  // moved from; takes the columns back
  for (size_t i = 0; i < filter_fields.size(); ++i) {
    filter_data.push_back(std::move(filter_batch.mutable_column(i)));
  }
  // 2. The kept rows as row-group ranges: the other columns are read from their pages only.
  // Positions come in runs (consecutive positions) that map to runs of rows.
  const bool all_kept = kept.size() == static_cast<size_t>(candidates);
  RowRanges rows;
  size_t range = 0;
  int64_t range_start = 0;  // position of plan.selected[range].first among the candidates
  for (size_t i = 0; i < kept.size();) {
    if (kept[i] >= candidates || (i > 0 && kept[i] <= kept[i - 1])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: row filter returned position %d at index %d: positions must ascend and be < %d",
          source_.name(), kept[i], i, candidates));
    }
    size_t j = i + 1;  // one past the run starting at i
    while (j < kept.size() && kept[j] == kept[j - 1] + 1) ++j;
    int64_t position = kept[i];
    const int64_t run_end = int64_t{kept[j - 1]} + 1;
    if (run_end > candidates) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: row filter returned position %d: positions must be < %d",
                          source_.name(), run_end - 1, candidates));
    }
    while (position < run_end) {  // the run may span several selected ranges
      int64_t length = plan.selected[range].second - plan.selected[range].first;
      while (position >= range_start + length) {
        range_start += length;
        ++range;
        length = plan.selected[range].second - plan.selected[range].first;
      }
      const int64_t take = std::min(run_end, range_start + length) - position;
      const int64_t row = plan.selected[range].first + (position - range_start);
      if (!rows.empty() && rows.back().second == row) {
        rows.back().second += take;
      } else {
        rows.push_back({row, row + take});
      }
      position += take;
    }
    i = j;
  }
  std::vector<size_t> rest;  // projected columns that are not filter columns
  for (size_t f : fields) {
    if (std::find(filter_fields.begin(), filter_fields.end(), f) == filter_fields.end() &&
        std::find(rest.begin(), rest.end(), f) == rest.end()) {
      rest.push_back(f);
    }
  }
  CS_ASSIGN_OR_RETURN(std::vector<model::Column> rest_data, ReadRows(plan, rest, rows, stats));

  std::vector<model::Field> out_fields;
  std::vector<model::Column> out_columns;
  for (size_t f : fields) {
    out_fields.push_back(schema_.field(f));
    const bool repeated = std::count(fields.begin(), fields.end(), f) > 1;
    auto in_filter = std::find(filter_fields.begin(), filter_fields.end(), f);
    std::vector<model::Column>& from = in_filter != filter_fields.end() ? filter_data : rest_data;
    const size_t index =
        in_filter != filter_fields.end()
            ? static_cast<size_t>(in_filter - filter_fields.begin())
            : static_cast<size_t>(std::find(rest.begin(), rest.end(), f) - rest.begin());
    model::Column& column = from[index];
    if (&from == &filter_data && !all_kept) {
      out_columns.push_back(Gather(column, kept));
    } else {
      out_columns.push_back(repeated ? column : std::move(column));
    }
  }
  return model::RecordBatch(model::Schema(std::move(out_fields)), std::move(out_columns));
}

absl::StatusOr<model::RecordBatch> ParquetReader::ReadRowGroupRows(
    int row_group, const std::vector<std::string>& columns, const RowRanges& rows,
    ScanStats* stats) const {
  CS_ASSIGN_OR_RETURN(std::vector<size_t> fields, ResolveColumns(columns));
  CS_ASSIGN_OR_RETURN(RowGroupPlan plan, PlanRowGroup(row_group, fields, {}, true));
  int64_t previous_end = 0;
  int64_t total = 0;
  for (const RowRanges::value_type& r : rows) {
    if (r.first < previous_end || r.second <= r.first || r.second > plan.num_rows) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: row range [%d, %d) of row group %d: ranges must be sorted, disjoint, non-empty "
          "and within the row group's %d rows",
          source_.name(), r.first, r.second, row_group, plan.num_rows));
    }
    previous_end = r.second;
    total += r.second - r.first;
  }
  if (stats) {
    ++stats->row_groups_read;
    stats->rows_read += total;
  }
  CS_ASSIGN_OR_RETURN(std::vector<model::Column> out_columns, ReadRows(plan, fields, rows, stats));
  std::vector<model::Field> out_fields;
  for (size_t f : fields) out_fields.push_back(schema_.field(f));
  return model::RecordBatch(model::Schema(std::move(out_fields)), std::move(out_columns));
}

absl::StatusOr<model::RecordBatch> ParquetReader::Scan(
    const std::vector<std::string>& columns, const std::vector<ColumnPredicate>& predicates,
    ScanStats* stats) const {
  CS_ASSIGN_OR_RETURN(std::vector<size_t> fields, ResolveColumns(columns));
  CS_ASSIGN_OR_RETURN(std::vector<int> groups, SelectRowGroups(predicates, stats));
  std::vector<model::RecordBatch> parts;
  for (int g : groups) {
    CS_ASSIGN_OR_RETURN(model::RecordBatch part, ReadRowGroup(g, columns, predicates, stats));
    parts.push_back(std::move(part));
  }
  if (parts.size() == 1) return std::move(parts[0]);
  std::vector<model::Field> out_fields;
  for (size_t f : fields) out_fields.push_back(schema_.field(f));
  std::vector<model::Column> out;
  for (size_t c = 0; c < fields.size(); ++c) {
    std::vector<model::Column> pieces;
    for (model::RecordBatch& part : parts) pieces.push_back(part.column(c));
    out.push_back(model::Concat(out_fields[c].type, pieces));
  }
  return model::RecordBatch(model::Schema(std::move(out_fields)), std::move(out));
}

}  // namespace cardinalsin::parquet
