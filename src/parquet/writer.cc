#include "parquet/writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "parquet/bloom_filter.h"
#include "parquet/encoding.h"

namespace cardinalsin::parquet {
namespace {

constexpr char kChunkFormatVersion[] = "1";
#ifndef CS_VERSION
#define CS_VERSION "dev"
#endif

Type PhysicalType(model::TypeId type) {
  switch (type) {
    case model::TypeId::kBool:
      return Type::kBoolean;
    case model::TypeId::kInt64:
    case model::TypeId::kUInt64:
    case model::TypeId::kTimestampNs:
      return Type::kInt64;
    case model::TypeId::kDouble:
      return Type::kDouble;
    case model::TypeId::kString:
      return Type::kByteArray;
  }
  return Type::kByteArray;
}

CompressionCodec CodecOf(codec::Compression compression) {
  switch (compression) {
    case codec::Compression::kNone:
      return CompressionCodec::kUncompressed;
    case codec::Compression::kSnappy:
      return CompressionCodec::kSnappy;
    case codec::Compression::kGzip:
      return CompressionCodec::kGzip;
    case codec::Compression::kZstd:
      return CompressionCodec::kZstd;
  }
  return CompressionCodec::kUncompressed;
}

SchemaElement LeafElement(const model::Field& field) {
  SchemaElement e;
  e.name = field.name;
  e.type = PhysicalType(field.type);
  e.repetition_type =
      field.nullable ? FieldRepetitionType::kOptional : FieldRepetitionType::kRequired;
  switch (field.type) {
    case model::TypeId::kString:
      e.converted_type = ConvertedType::kUtf8;
      e.logical_type = LogicalType::String();
      break;
    case model::TypeId::kTimestampNs:
      e.logical_type = LogicalType::Timestamp(/*is_adjusted_to_utc=*/true, TimeUnit::kNanos);
      break;
    case model::TypeId::kUInt64:
      e.converted_type = ConvertedType::kUint64;
      e.logical_type = LogicalType::Integer(64, /*is_signed=*/false);
      break;
    default:
      break;
  }
  return e;
}

// Min/max over the non-null values of a page or a column chunk, in the column's sort order
// (signed for int64 and timestamps, unsigned for uint64 and strings, IEEE for doubles with NaN
// excluded as the specification requires).
class MinMax {
 public:
  explicit MinMax(model::TypeId type) : type_(type) {}

  void AddInt64(int64_t v) { Update(v, &min_i_, &max_i_); }
  void AddUInt64(uint64_t v) { Update(v, &min_u_, &max_u_); }
  void AddBool(bool v) { Update(static_cast<uint8_t>(v), &min_b_, &max_b_); }
  void AddDouble(double v) {
    if (std::isnan(v)) return;
    Update(v, &min_d_, &max_d_);
  }
  void AddString(std::string_view v) {
    const uint64_t prefix = OrderPrefix(v);
    if (!has_) {
      min_s_ = max_s_ = std::string(v);
      min_prefix_ = max_prefix_ = prefix;
      has_ = true;
      return;
    }
    // A prefix strictly between the bounds' prefixes is a value strictly between the bounds:
    // most values of a high-cardinality column are decided without comparing bytes.
    if (prefix > min_prefix_ && prefix < max_prefix_) return;
    if (prefix <= min_prefix_ && v < min_s_) {
      min_s_ = std::string(v);
      min_prefix_ = prefix;
    }
    if (prefix >= max_prefix_ && v > max_s_) {
      max_s_ = std::string(v);
      max_prefix_ = prefix;
    }
  }
  void Merge(const MinMax& o) {
    if (!o.has_) return;
    switch (type_) {
      case model::TypeId::kInt64:
      case model::TypeId::kTimestampNs:
        AddInt64(o.min_i_), AddInt64(o.max_i_);
        break;
      case model::TypeId::kUInt64:
        AddUInt64(o.min_u_), AddUInt64(o.max_u_);
        break;
      case model::TypeId::kBool:
        AddBool(o.min_b_), AddBool(o.max_b_);
        break;
      case model::TypeId::kDouble:
        AddDouble(o.min_d_), AddDouble(o.max_d_);
        break;
      case model::TypeId::kString:
        AddString(o.min_s_), AddString(o.max_s_);
        break;
    }
  }
  bool has() const { return has_; }
  // Plain-encoded bounds as Parquet statistics store them.
  std::string min() const { return Encode(true); }
  std::string max() const { return Encode(false); }
  // Three-way comparison of this page's bounds with `o`'s, for the column index boundary order.
  int CompareMin(const MinMax& o) const { return Compare(o, true); }
  int CompareMax(const MinMax& o) const { return Compare(o, false); }

 private:
  template <typename T>
  void Update(T v, T* lo, T* hi) {
    if (!has_ || v < *lo) *lo = v;
    if (!has_ || v > *hi) *hi = v;
    has_ = true;
  }
  template <typename T>
  static std::string Bytes(T v) {
    std::string s(sizeof(T), '\0');
    std::memcpy(s.data(), &v, sizeof(T));
    return s;
  }
  std::string Encode(bool lower) const {
    switch (type_) {
      case model::TypeId::kInt64:
      case model::TypeId::kTimestampNs:
        return Bytes(lower ? min_i_ : max_i_);
      case model::TypeId::kUInt64:
        return Bytes(lower ? min_u_ : max_u_);
      case model::TypeId::kBool:
        return Bytes(lower ? min_b_ : max_b_);
      case model::TypeId::kDouble: {
        double v = lower ? min_d_ : max_d_;
        // The specification asks for -0.0 as a zero minimum and +0.0 as a zero maximum.
        if (v == 0.0) v = lower ? -0.0 : 0.0;
        return Bytes(v);
      }
      case model::TypeId::kString:
        return lower ? min_s_ : max_s_;
    }
    return {};
  }
  template <typename T>
  static int Cmp(T a, T b) {
    return a < b ? -1 : (b < a ? 1 : 0);
  }
  int Compare(const MinMax& o, bool lower) const {
    switch (type_) {
      case model::TypeId::kInt64:
      case model::TypeId::kTimestampNs:
        return lower ? Cmp(min_i_, o.min_i_) : Cmp(max_i_, o.max_i_);
      case model::TypeId::kUInt64:
        return lower ? Cmp(min_u_, o.min_u_) : Cmp(max_u_, o.max_u_);
      case model::TypeId::kBool:
        return lower ? Cmp(min_b_, o.min_b_) : Cmp(max_b_, o.max_b_);
      case model::TypeId::kDouble:
        return lower ? Cmp(min_d_, o.min_d_) : Cmp(max_d_, o.max_d_);
      case model::TypeId::kString:
        return lower ? Cmp(min_s_, o.min_s_) : Cmp(max_s_, o.max_s_);
    }
    return 0;
  }

  model::TypeId type_;
  bool has_ = false;
  int64_t min_i_ = 0, max_i_ = 0;
  uint64_t min_u_ = 0, max_u_ = 0;
  uint8_t min_b_ = 0, max_b_ = 0;
  double min_d_ = 0, max_d_ = 0;
  std::string min_s_, max_s_;
  // The first 8 bytes of min_s_ / max_s_ as OrderPrefix gives them.
  uint64_t min_prefix_ = 0, max_prefix_ = 0;

  // The first 8 bytes of `v` (zero-padded) as a big-endian number: a < b as numbers implies
  // a < b as byte strings (equal numbers decide nothing).
  static uint64_t OrderPrefix(std::string_view v) {
    uint64_t x = 0;
    std::memcpy(&x, v.data(), std::min<size_t>(v.size(), 8));
    if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
    return x;
  }
};

// A dictionary over one column chunk's non-null values: distinct values in first-seen order and
// one code per row (nulls get code 0 and are never encoded).
struct Dictionary {
  std::vector<uint32_t> codes;  // per row of the chunk
  size_t size = 0;
  std::string plain;  // PLAIN encoding of the distinct values (the dictionary page)
  // For strings, the distinct values by code. Statistics and bloom hashes read them here: in
  // first-seen order they sit in memory in about the order rows use them, where the column's own
  // dictionary (in its writer's order) would cost a cache miss per row of a high-cardinality chunk.
  model::StringVector strings;
};

template <typename T>
std::optional<Dictionary> BuildFixedDictionary(std::span<const T> values, const model::Column& col,
                                               size_t begin, size_t end, size_t limit_bytes) {
  // Doubles are keyed by their bits: NaN != NaN would break hashing, and NaN payloads (the
  // staleness marker) and signed zeros must stay distinct values.
  using Key = std::conditional_t<std::is_same_v<T, double>, uint64_t, T>;
  absl::flat_hash_map<Key, uint32_t> index;
  std::vector<T> distinct;
  Dictionary dict;
  dict.codes.resize(end - begin);
  for (size_t r = begin; r < end; ++r) {
    if (!col.IsValid(r)) continue;
    Key key;
    std::memcpy(&key, &values[r], sizeof(Key));
    auto [it, inserted] = index.try_emplace(key, static_cast<uint32_t>(distinct.size()));
    if (inserted) {
      distinct.push_back(values[r]);
      if (distinct.size() * sizeof(T) > limit_bytes) return std::nullopt;
    }
    dict.codes[r - begin] = it->second;
  }
  dict.size = distinct.size();
  EncodePlain<T>(distinct, &dict.plain);
  return dict;
}

std::optional<Dictionary> BuildStringDictionary(const model::Column& col, size_t begin, size_t end,
                                                size_t limit_bytes) {
  Dictionary dict;
  dict.codes.resize(end - begin);
  model::StringVector distinct;
  size_t bytes = 0;
  if (col.is_dictionary()) {
    // Reuse the column's dictionary, keeping only the entries this chunk uses.
    const model::DictionaryStrings& source = col.dictionary();
    std::vector<int64_t> remap(source.dictionary.size(), -1);
    for (size_t r = begin; r < end; ++r) {
      if (!col.IsValid(r)) continue;
      uint32_t code = source.codes[r];
      if (remap[code] < 0) {
        remap[code] = static_cast<int64_t>(distinct.size());
        distinct.Append(source.dictionary.Get(code));
        bytes += source.dictionary.Get(code).size() + 4;
        if (bytes > limit_bytes) return std::nullopt;
      }
      dict.codes[r - begin] = static_cast<uint32_t>(remap[code]);
    }
  } else {
    absl::flat_hash_map<std::string_view, uint32_t> index;
    for (size_t r = begin; r < end; ++r) {
      if (!col.IsValid(r)) continue;
      std::string_view v = col.StringAt(r);
      auto [it, inserted] = index.try_emplace(v, static_cast<uint32_t>(distinct.size()));
      if (inserted) {
        distinct.Append(v);
        bytes += v.size() + 4;
        if (bytes > limit_bytes) return std::nullopt;
      }
      dict.codes[r - begin] = it->second;
    }
  }
  dict.size = distinct.size();
  EncodePlainByteArray(distinct, &dict.plain);
  dict.strings = std::move(distinct);
  return dict;
}

// The encoding a column chunk uses for its data pages.
enum class ChunkEncoding { kPlain, kDictionary, kDeltaBinaryPacked, kByteStreamSplit };

Encoding ParquetEncoding(ChunkEncoding e) {
  switch (e) {
    case ChunkEncoding::kPlain:
      return Encoding::kPlain;
    case ChunkEncoding::kDictionary:
      return Encoding::kRleDictionary;
    case ChunkEncoding::kDeltaBinaryPacked:
      return Encoding::kDeltaBinaryPacked;
    case ChunkEncoding::kByteStreamSplit:
      return Encoding::kByteStreamSplit;
  }
  return Encoding::kPlain;
}

// The fallback when no dictionary is used (or it grew too large).
ChunkEncoding FallbackEncoding(const model::Field& field, ColumnEncoding requested) {
  switch (requested) {
    case ColumnEncoding::kPlain:
      return ChunkEncoding::kPlain;
    case ColumnEncoding::kDeltaBinaryPacked:
      if (field.type == model::TypeId::kInt64 || field.type == model::TypeId::kUInt64 ||
          field.type == model::TypeId::kTimestampNs) {
        return ChunkEncoding::kDeltaBinaryPacked;
      }
      return ChunkEncoding::kPlain;
    case ColumnEncoding::kByteStreamSplit:
      return field.type == model::TypeId::kDouble ? ChunkEncoding::kByteStreamSplit
                                                  : ChunkEncoding::kPlain;
    default:
      break;
  }
  switch (field.type) {
    case model::TypeId::kTimestampNs:
    case model::TypeId::kInt64:
    case model::TypeId::kUInt64:
      return ChunkEncoding::kDeltaBinaryPacked;
    case model::TypeId::kDouble:
      return ChunkEncoding::kByteStreamSplit;
    default:
      return ChunkEncoding::kPlain;
  }
}

// Appends the valid values of string rows [begin, end) to `out`, PLAIN-encoded in row order,
// and calls visit(value) on each. A row-order walk over a high-cardinality dictionary column is a
// cache miss per row (its dictionary is in its producer's order, not the rows'), so entries are
// prefetched: offsets 2 * kAhead rows on, bytes kAhead on.
template <typename Visit>
void EncodePlainStrings(const model::Column& col, size_t begin, size_t end, std::string* out,
                        Visit visit) {
  auto append = [&](std::string_view value) {
    const size_t at = out->size();
    out->resize(at + 4 + value.size());
    const uint32_t length = static_cast<uint32_t>(value.size());
    char* p = out->data() + at;
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(length >> (8 * i));
    std::memcpy(p + 4, value.data(), value.size());
    visit(value);
  };
  if (!col.is_dictionary()) {
    for (size_t r = begin; r < end; ++r) {
      if (col.IsValid(r)) append(col.StringAt(r));
    }
    return;
  }
  constexpr size_t kAhead = 8;
  const model::DictionaryStrings& dict = col.dictionary();
  const std::vector<uint64_t>& offsets = dict.dictionary.offsets();
  const char* bytes = dict.dictionary.bytes().data();
  for (size_t r = begin; r < end; ++r) {
    if (r + 2 * kAhead < end) __builtin_prefetch(&offsets[dict.codes[r + 2 * kAhead]]);
    if (r + kAhead < end) __builtin_prefetch(bytes + offsets[dict.codes[r + kAhead]]);
    if (col.IsValid(r)) append(dict.dictionary.Get(dict.codes[r]));
  }
}

// Encodes the non-null values of rows [begin, end) of `col` with `encoding` (not dictionary).
void EncodeValues(const model::Column& col, size_t begin, size_t end, ChunkEncoding encoding,
                  std::string* out) {
  auto gather = [&](const auto& values) {
    using T = typename std::decay_t<decltype(values)>::value_type;
    std::vector<T> dense;
    dense.reserve(end - begin);
    for (size_t r = begin; r < end; ++r) {
      if (col.IsValid(r)) dense.push_back(values[r]);
    }
    return dense;
  };
  switch (col.type()) {
    case model::TypeId::kBool: {
      std::vector<uint8_t> dense = gather(col.bools());
      EncodePlainBoolean(dense, out);
      return;
    }
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs: {
      std::vector<int64_t> dense = gather(col.int64s());
      if (encoding == ChunkEncoding::kDeltaBinaryPacked) {
        EncodeDeltaBinaryPackedInt64(dense, out);
      } else {
        EncodePlain<int64_t>(dense, out);
      }
      return;
    }
    case model::TypeId::kUInt64: {
      std::vector<uint64_t> dense = gather(col.uint64s());
      if (encoding == ChunkEncoding::kDeltaBinaryPacked) {
        std::vector<int64_t> as_signed(dense.begin(), dense.end());
        EncodeDeltaBinaryPackedInt64(as_signed, out);
      } else {
        EncodePlain<uint64_t>(dense, out);
      }
      return;
    }
    case model::TypeId::kDouble: {
      std::vector<double> dense = gather(col.doubles());
      if (encoding == ChunkEncoding::kByteStreamSplit) {
        EncodeByteStreamSplit<double>(dense, out);
      } else {
        EncodePlain<double>(dense, out);
      }
      return;
    }
    case model::TypeId::kString:
      EncodePlainStrings(col, begin, end, out, [](std::string_view) {});
      return;
  }
}

void AddToStats(const model::Column& col, size_t r, MinMax* stats) {
  switch (col.type()) {
    case model::TypeId::kBool:
      stats->AddBool(col.bools()[r] != 0);
      break;
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs:
      stats->AddInt64(col.int64s()[r]);
      break;
    case model::TypeId::kUInt64:
      stats->AddUInt64(col.uint64s()[r]);
      break;
    case model::TypeId::kDouble:
      stats->AddDouble(col.doubles()[r]);
      break;
    case model::TypeId::kString:
      stats->AddString(col.StringAt(r));
      break;
  }
}

uint64_t BloomHash(const model::Column& col, size_t r) {
  switch (col.type()) {
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs:
      return HashInt64(col.int64s()[r]);
    case model::TypeId::kUInt64:
      return HashInt64(static_cast<int64_t>(col.uint64s()[r]));
    case model::TypeId::kDouble:
      return HashDouble(col.doubles()[r]);
    case model::TypeId::kString:
      return HashBytes(col.StringAt(r));
    case model::TypeId::kBool:
      break;  // Parquet defines no bloom hash for BOOLEAN.
  }
  return 0;
}

Statistics ToStatistics(const MinMax& stats, int64_t null_count) {
  Statistics s;
  s.null_count = null_count;
  if (stats.has()) {
    s.min_value = stats.min();
    s.max_value = stats.max();
  }
  return s;
}

}  // namespace

ParquetWriter::ParquetWriter(model::Schema schema, WriterOptions options)
    : schema_(std::move(schema)), options_(std::move(options)), out_("PAR1") {
  metadata_.version = 2;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema_.size());
  metadata_.schema.push_back(root);
  for (const model::Field& field : schema_.fields()) metadata_.schema.push_back(LeafElement(field));
  metadata_.num_rows = 0;
}

absl::Status ParquetWriter::Write(const model::RecordBatch& batch) {
  if (!(batch.schema() == schema_)) {
    return absl::InvalidArgumentError("batch schema differs from the writer's schema");
  }
  CS_RETURN_IF_ERROR(batch.Validate());
  const size_t step = std::max<size_t>(options_.row_group_rows, 1);
  for (size_t begin = 0; begin < batch.num_rows(); begin += step) {
    CS_RETURN_IF_ERROR(WriteRowGroup(batch, begin, std::min(batch.num_rows(), begin + step)));
  }
  return absl::OkStatus();
}

absl::Status ParquetWriter::WriteRowGroup(const model::RecordBatch& batch, size_t begin,
                                          size_t end) {
  RowGroup row_group;
  row_group.num_rows = static_cast<int64_t>(end - begin);
  row_group.file_offset = static_cast<int64_t>(out_.size());
  row_group.ordinal = static_cast<int16_t>(metadata_.row_groups.size());
  std::vector<ColumnIndex> column_indexes;
  std::vector<OffsetIndex> offset_indexes;
  std::vector<std::pair<size_t, SplitBlockBloomFilter>> blooms;  // column -> filter
  int64_t total_uncompressed = 0, total_compressed = 0;

  for (size_t c = 0; c < schema_.size(); ++c) {
    const model::Field& field = schema_.field(c);
    const model::Column& col = batch.column(c);
    auto it = options_.column_encodings.find(field.name);
    const ColumnEncoding requested =
        it == options_.column_encodings.end() ? ColumnEncoding::kAuto : it->second;

    // Choose the chunk's encoding: a dictionary when it pays, else the type's fallback.
    std::optional<Dictionary> dict;
    const size_t rows = end - begin;
    const bool want_dict =
        requested == ColumnEncoding::kDictionary ||
        (requested == ColumnEncoding::kAuto && field.type != model::TypeId::kBool);
    if (want_dict) {
      switch (field.type) {
        case model::TypeId::kString:
          dict = BuildStringDictionary(col, begin, end, options_.dictionary_page_limit);
          break;
        case model::TypeId::kInt64:
          dict = BuildFixedDictionary<int64_t>(col.int64s(), col, begin, end,
                                               options_.dictionary_page_limit);
          break;
        case model::TypeId::kTimestampNs:
          dict = BuildFixedDictionary<int64_t>(col.int64s(), col, begin, end,
                                               options_.dictionary_page_limit);
          break;
        case model::TypeId::kUInt64:
          dict = BuildFixedDictionary<uint64_t>(col.uint64s(), col, begin, end,
                                                options_.dictionary_page_limit);
          break;
        case model::TypeId::kDouble:
          dict = BuildFixedDictionary<double>(col.doubles(), col, begin, end,
                                              options_.dictionary_page_limit);
          break;
        default:
          break;
      }
      // For numbers, a dictionary only pays when values repeat a lot.
      if (dict && requested == ColumnEncoding::kAuto && field.type != model::TypeId::kString &&
          dict->size * 4 > rows) {
        dict.reset();
      }
    }
    const ChunkEncoding encoding =
        dict ? ChunkEncoding::kDictionary : FallbackEncoding(field, requested);

    ColumnMetaData meta;
    meta.type = PhysicalType(field.type);
    meta.path_in_schema = {field.name};
    meta.codec = CodecOf(options_.compression);
    meta.num_values = static_cast<int64_t>(rows);
    const int64_t chunk_start = static_cast<int64_t>(out_.size());
    int64_t chunk_uncompressed = 0;
    std::vector<Encoding> encodings;

    if (dict) {
      std::string& compressed = scratch_.compressed;
      compressed.clear();
      CS_RETURN_IF_ERROR(codec::Compress(options_.compression, dict->plain, &compressed,
                                         options_.compression_level));
      PageHeader header;
      header.type = PageType::kDictionaryPage;
      header.uncompressed_page_size = static_cast<int32_t>(dict->plain.size());
      header.compressed_page_size = static_cast<int32_t>(compressed.size());
      DictionaryPageHeader dict_header;
      dict_header.num_values = static_cast<int32_t>(dict->size);
      dict_header.encoding = Encoding::kPlain;
      header.dictionary_page_header = dict_header;
      meta.dictionary_page_offset = static_cast<int64_t>(out_.size());
      const size_t header_start = out_.size();
      AppendPageHeader(header, &out_);
      chunk_uncompressed += static_cast<int64_t>(out_.size() - header_start + dict->plain.size());
      out_ += compressed;
      encodings.push_back(Encoding::kPlain);
    }

    // Rows per page: the row cap, tightened so fixed-width pages stay near page_bytes.
    size_t page_rows = std::max<size_t>(options_.page_rows, 1);
    if (field.type != model::TypeId::kString) {
      page_rows = std::min(page_rows, std::max<size_t>(options_.page_bytes / 8, 1));
    }

    MinMax chunk_stats(field.type);
    int64_t chunk_nulls = 0;
    ColumnIndex column_index;
    column_index.null_counts.emplace();
    OffsetIndex offset_index;
    bool ascending = true, descending = true;
    std::optional<MinMax> previous;
    std::optional<SplitBlockBloomFilter> bloom;
    if (field.type != model::TypeId::kBool &&
        std::find(options_.bloom_filter_columns.begin(), options_.bloom_filter_columns.end(),
                  field.name) != options_.bloom_filter_columns.end()) {
      size_t ndv = dict ? dict->size : rows;
      bloom.emplace(SplitBlockBloomFilter::OptimalNumBytes(std::max<size_t>(ndv, 1),
                                                           options_.bloom_filter_fpp));
    }

    const size_t page_count = (rows + page_rows - 1) / page_rows;  // rows > 0 here
    // Plain string pages of a dictionary column are encoded straight from its dictionary.
    const bool plain_strings = !dict && field.type == model::TypeId::kString;
    PageScratch& scratch = scratch_;
    bool compress_column = true;  // until a page shows the codec does not pay
    for (size_t p = 0; p < page_count; ++p) {
      const size_t pb = begin + p * page_rows;
      const size_t pe = std::min(end, pb + page_rows);
      MinMax page_stats(field.type);
      std::vector<uint32_t>& levels = scratch.levels;
      levels.clear();
      int64_t nulls = 0;
      levels.reserve(pe - pb);
      std::string& values = scratch.values;
      values.clear();
      // With a dictionary, a row repeating the previous row's value adds nothing to the
      // statistics or the bloom filter (sorted chunks repeat label values for whole series).
      uint32_t previous_code = UINT32_MAX;
      if (plain_strings) {
        EncodePlainStrings(col, pb, pe, &values, [&](std::string_view value) {
          page_stats.AddString(value);
          if (bloom) bloom->Insert(HashBytes(value));
        });
      }
      for (size_t r = pb; r < pe; ++r) {
        const bool valid = col.IsValid(r);
        levels.push_back(valid ? 1 : 0);
        if (!valid) {
          ++nulls;
          continue;
        }
        if (plain_strings) continue;
        if (dict) {
          const uint32_t code = dict->codes[r - begin];
          if (code == previous_code) continue;
          previous_code = code;
          if (field.type == model::TypeId::kString) {
            const std::string_view value = dict->strings.Get(code);
            page_stats.AddString(value);
            if (bloom) bloom->Insert(HashBytes(value));
            continue;
          }
        }
        AddToStats(col, r, &page_stats);
        if (bloom) bloom->Insert(BloomHash(col, r));
      }
      std::string& level_bytes = scratch.level_bytes;
      level_bytes.clear();
      if (field.nullable) {
        if (options_.page_version == DataPageVersion::kV1) {
          EncodeRleBitPackedWithLength(levels, 1, &level_bytes);
        } else {
          EncodeRleBitPacked(levels, 1, &level_bytes);
        }
      }
      if (dict) {
        std::vector<uint32_t>& codes = scratch.codes;
        codes.clear();
        codes.reserve(pe - pb);
        for (size_t r = pb; r < pe; ++r) {
          if (col.IsValid(r)) codes.push_back(dict->codes[r - begin]);
        }
        EncodeDictionaryIndices(codes, BitWidth(dict->size > 0 ? dict->size - 1 : 0), &values);
      } else if (!plain_strings) {
        EncodeValues(col, pb, pe, encoding, &values);
      }

      PageHeader header;
      const int32_t num_values = static_cast<int32_t>(pe - pb);
      const Statistics page_statistics = ToStatistics(page_stats, nulls);
      std::string& compressed = scratch.compressed;
      compressed.clear();
      const std::string* body = &compressed;  // the page's (possibly compressed) values
      if (options_.page_version == DataPageVersion::kV1) {
        std::string& raw = scratch.raw;
        raw.assign(level_bytes).append(values);
        CS_RETURN_IF_ERROR(
            codec::Compress(options_.compression, raw, &compressed, options_.compression_level));
        header.type = PageType::kDataPage;
        header.uncompressed_page_size = static_cast<int32_t>(raw.size());
        header.compressed_page_size = static_cast<int32_t>(compressed.size());
        DataPageHeader v1;
        v1.num_values = num_values;
        v1.encoding = ParquetEncoding(encoding);
        v1.definition_level_encoding = Encoding::kRle;
        v1.repetition_level_encoding = Encoding::kRle;
        if (options_.write_statistics) v1.statistics = page_statistics;
        header.data_page_header = v1;
      } else {
        // A V2 page may be stored uncompressed (is_compressed = false). A page the codec cannot
        // shrink by an eighth is, and so are the rest of the column chunk's pages: the bit-packed
        // deltas of hash-valued series ids, say, are already as small as they get, and neither
        // the writer nor every later reader should spend time on the codec for them.
        bool page_compressed = compress_column && options_.compression != codec::Compression::kNone;
        if (page_compressed) {
          CS_RETURN_IF_ERROR(codec::Compress(options_.compression, values, &compressed,
                                             options_.compression_level));
          if (compressed.size() > values.size() - values.size() / 8) {
            page_compressed = compress_column = false;
          }
        }
        if (!page_compressed) body = &values;
        header.type = PageType::kDataPageV2;
        header.uncompressed_page_size = static_cast<int32_t>(level_bytes.size() + values.size());
        header.compressed_page_size = static_cast<int32_t>(level_bytes.size() + body->size());
        DataPageHeaderV2 v2;
        v2.num_values = num_values;
        v2.num_nulls = static_cast<int32_t>(nulls);
        v2.num_rows = num_values;
        v2.encoding = ParquetEncoding(encoding);
        v2.definition_levels_byte_length = static_cast<int32_t>(level_bytes.size());
        v2.repetition_levels_byte_length = 0;
        v2.is_compressed = page_compressed;
        if (options_.write_statistics) v2.statistics = page_statistics;
        header.data_page_header_v2 = v2;
      }

      const int64_t page_offset = static_cast<int64_t>(out_.size());
      if (p == 0) meta.data_page_offset = page_offset;
      AppendPageHeader(header, &out_);
      const int64_t header_size = static_cast<int64_t>(out_.size()) - page_offset;
      if (options_.page_version == DataPageVersion::kV2) out_ += level_bytes;
      out_ += *body;
      chunk_uncompressed += header_size + header.uncompressed_page_size;

      offset_index.page_locations.push_back(
          PageLocation{page_offset, static_cast<int32_t>(header_size + header.compressed_page_size),
                       static_cast<int64_t>(pb - begin)});
      column_index.null_pages.push_back(!page_stats.has() && nulls == num_values && num_values > 0);
      column_index.min_values.push_back(page_stats.has() ? page_stats.min() : std::string());
      column_index.max_values.push_back(page_stats.has() ? page_stats.max() : std::string());
      column_index.null_counts->push_back(nulls);
      if (page_stats.has()) {
        if (previous) {
          ascending = ascending && previous->CompareMin(page_stats) <= 0 &&
                      previous->CompareMax(page_stats) <= 0;
          descending = descending && previous->CompareMin(page_stats) >= 0 &&
                       previous->CompareMax(page_stats) >= 0;
        }
        previous = page_stats;
      }
      chunk_stats.Merge(page_stats);
      chunk_nulls += nulls;
    }
    // Null-only pages carry empty bounds and are flagged in null_pages, as the format requires.
    column_index.boundary_order =
        ascending ? BoundaryOrder::kAscending
                  : (descending ? BoundaryOrder::kDescending : BoundaryOrder::kUnordered);

    encodings.push_back(ParquetEncoding(encoding));
    if (field.nullable) encodings.push_back(Encoding::kRle);
    std::sort(encodings.begin(), encodings.end());
    encodings.erase(std::unique(encodings.begin(), encodings.end()), encodings.end());
    meta.encodings = encodings;
    meta.total_uncompressed_size = chunk_uncompressed;
    meta.total_compressed_size = static_cast<int64_t>(out_.size()) - chunk_start;
    if (options_.write_statistics) meta.statistics = ToStatistics(chunk_stats, chunk_nulls);

    ColumnChunk chunk;
    chunk.file_offset = chunk_start;
    chunk.meta_data = meta;
    row_group.columns.push_back(chunk);
    total_uncompressed += chunk_uncompressed;
    total_compressed += meta.total_compressed_size;
    column_indexes.push_back(std::move(column_index));
    offset_indexes.push_back(std::move(offset_index));
    if (bloom) blooms.emplace_back(c, std::move(*bloom));
  }

  // Bloom filters follow the row group's column chunks.
  for (auto& [c, bloom] : blooms) {
    ColumnMetaData& meta = *row_group.columns[c].meta_data;
    meta.bloom_filter_offset = static_cast<int64_t>(out_.size());
    BloomFilterHeader header;
    header.num_bytes = static_cast<int32_t>(bloom.bitset().size());
    AppendBloomFilterHeader(header, &out_);
    out_ += bloom.bitset();
    meta.bloom_filter_length = static_cast<int32_t>(out_.size() - *meta.bloom_filter_offset);
  }

  row_group.total_byte_size = total_uncompressed;
  row_group.total_compressed_size = total_compressed;
  for (const std::string& name : options_.sorting_columns) {
    if (std::optional<size_t> i = schema_.IndexOf(name)) {
      row_group.sorting_columns.push_back(SortingColumn{static_cast<int32_t>(*i), false, false});
    }
  }
  metadata_.num_rows += row_group.num_rows;
  metadata_.row_groups.push_back(std::move(row_group));
  column_indexes_.push_back(std::move(column_indexes));
  offset_indexes_.push_back(std::move(offset_indexes));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParquetWriter::Finish() && {
  if (options_.write_page_index) {
    for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
      for (size_t c = 0; c < schema_.size(); ++c) {
        ColumnChunk& chunk = metadata_.row_groups[g].columns[c];
        chunk.column_index_offset = static_cast<int64_t>(out_.size());
        out_ += EncodeColumnIndex(column_indexes_[g][c]);
        chunk.column_index_length = static_cast<int32_t>(out_.size() - *chunk.column_index_offset);
      }
    }
    for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
      for (size_t c = 0; c < schema_.size(); ++c) {
        ColumnChunk& chunk = metadata_.row_groups[g].columns[c];
        chunk.offset_index_offset = static_cast<int64_t>(out_.size());
        out_ += EncodeOffsetIndex(offset_indexes_[g][c]);
        chunk.offset_index_length = static_cast<int32_t>(out_.size() - *chunk.offset_index_offset);
      }
    }
  }
  std::vector<KeyValue> kv = {{"cardinalsin.chunk_format", kChunkFormatVersion},
                              {"cardinalsin.writer", std::string("cardinalsin ") + CS_VERSION}};
  for (const auto& [k, v] : options_.key_value_metadata) kv.push_back({k, v});
  metadata_.key_value_metadata = kv;
  metadata_.created_by = std::string("cardinalsin version ") + CS_VERSION;
  metadata_.column_orders = std::vector<ColumnOrder>(schema_.size(), ColumnOrder::kTypeOrder);
  const std::string footer = EncodeFileMetaData(metadata_);
  out_ += footer;
  const uint32_t footer_size = static_cast<uint32_t>(footer.size());
  char size_bytes[4];
  std::memcpy(size_bytes, &footer_size, 4);
  out_.append(size_bytes, 4);
  out_ += "PAR1";
  return std::move(out_);
}

absl::StatusOr<std::string> WriteParquet(const model::RecordBatch& batch,
                                         const WriterOptions& options) {
  ParquetWriter writer(batch.schema(), options);
  CS_RETURN_IF_ERROR(writer.Write(batch));
  return std::move(writer).Finish();
}

}  // namespace cardinalsin::parquet
