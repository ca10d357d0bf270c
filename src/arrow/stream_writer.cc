#include "arrow/stream_writer.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "arrow/internal/ipc_common.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::arrow {
namespace {

namespace fb = internal::fb;
using model::TypeId;

// The body of one message: its buffers in the specification's order, each either a view of
// column memory (valid for the duration of the write) or bytes packed here.
class Body {
 public:
  void AddView(std::string_view bytes) {
    buffers_.push_back(fb::Buffer(offset_, static_cast<int64_t>(bytes.size())));
    views_.push_back(bytes);
    offset_ += internal::AlignUp(static_cast<int64_t>(bytes.size()));
  }
  template <typename T>
  void AddValues(const T* data, size_t count) {
    AddView(std::string_view(reinterpret_cast<const char*>(data), count * sizeof(T)));
  }
  // Takes ownership of packed bytes.
  void AddOwned(std::string bytes) {
    owned_.push_back(std::move(bytes));  // a deque: earlier elements never move
    AddView(owned_.back());
  }
  void AddEmpty() { AddView({}); }

  const std::vector<fb::Buffer>& buffers() const { return buffers_; }
  const std::vector<std::string_view>& views() const { return views_; }
  int64_t length() const { return offset_; }

 private:
  std::vector<fb::Buffer> buffers_;
  std::vector<std::string_view> views_;
  std::deque<std::string> owned_;
  int64_t offset_ = 0;
};

// LSB-first bit packing of `count` 0/1 bytes, as Arrow's validity bitmaps and Bool values want.
std::string PackBits(const uint8_t* bytes, size_t count) {
  std::string out((count + 7) / 8, '\0');
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    uint8_t b = 0;
    for (int k = 0; k < 8; ++k) b |= static_cast<uint8_t>((bytes[i + k] != 0) << k);
    out[i / 8] = static_cast<char>(b);
  }
  for (; i < count; ++i) {
    if (bytes[i] != 0) out[i / 8] = static_cast<char>(out[i / 8] | (1 << (i % 8)));
  }
  return out;
}

// Appends the validity bitmap of rows [begin, end) (an empty buffer when none is null) and
// returns the null count.
int64_t AddValidity(const model::Column& column, size_t begin, size_t end, Body& body) {
  const std::vector<uint8_t>& validity = column.validity();
  if (validity.empty()) {
    body.AddEmpty();
    return 0;
  }
  const int64_t nulls =
      std::count(validity.begin() + static_cast<ptrdiff_t>(begin),
                 validity.begin() + static_cast<ptrdiff_t>(end), static_cast<uint8_t>(0));
  if (nulls == 0) {
    body.AddEmpty();
  } else {
    body.AddOwned(PackBits(validity.data() + begin, end - begin));
  }
  return nulls;
}

// Appends Utf8 offsets and data for `values` [begin, end), with offsets rebased to zero. The data
// buffer is a view of `values`, which must outlive the body.
// REQUIRES: the range's bytes fit kMaxUtf8Bytes (checked by the caller).
void AddUtf8(const model::StringVector& values, size_t begin, size_t end, Body& body) {
  const std::vector<uint64_t>& offsets = values.offsets();
  std::string packed((end - begin + 1) * sizeof(int32_t), '\0');
  const uint64_t base = offsets[begin];
  for (size_t i = begin; i <= end; ++i) {
    const auto rebased = static_cast<int32_t>(offsets[i] - base);
    std::memcpy(packed.data() + (i - begin) * sizeof(int32_t), &rebased, sizeof(int32_t));
  }
  body.AddOwned(std::move(packed));
  body.AddView(std::string_view(values.bytes()).substr(base, offsets[end] - base));
}

// Frames a finished Message flatbuffer and its body and hands both to `emit`.
template <typename EmitFn>
absl::Status EmitMessage(const flatbuffers::FlatBufferBuilder& fbb, const Body* body,
                         EmitFn&& emit) {
  const auto fb_size = static_cast<int64_t>(fbb.GetSize());
  // The 8-byte prefix plus the padded metadata keeps the body 8-byte aligned.
  const int64_t metadata_size = internal::AlignUp(8 + fb_size) - 8;
  std::string header(static_cast<size_t>(8 + metadata_size), '\0');
  const uint32_t continuation = internal::kContinuation;
  const auto size32 = static_cast<int32_t>(metadata_size);
  std::memcpy(header.data(), &continuation, 4);
  std::memcpy(header.data() + 4, &size32, 4);
  std::memcpy(header.data() + 8, fbb.GetBufferPointer(), static_cast<size_t>(fb_size));
  CS_RETURN_IF_ERROR(emit(header));
  if (body == nullptr) return absl::OkStatus();
  static constexpr char kZeros[internal::kAlignment] = {};
  for (std::string_view view : body->views()) {
    if (!view.empty()) CS_RETURN_IF_ERROR(emit(view));
    const size_t pad =
        static_cast<size_t>(internal::AlignUp(static_cast<int64_t>(view.size()))) - view.size();
    if (pad > 0) CS_RETURN_IF_ERROR(emit(std::string_view(kZeros, pad)));
  }
  return absl::OkStatus();
}

flatbuffers::Offset<fb::Message> FinishMessage(flatbuffers::FlatBufferBuilder& fbb,
                                               fb::MessageHeader type,
                                               flatbuffers::Offset<void> header,
                                               int64_t body_length) {
  auto message = fb::CreateMessage(fbb, fb::MetadataVersion::V5, type, header, body_length);
  fbb.Finish(message);
  return message;
}

// Bytes of row `row` of a string column, plain or dictionary.
size_t StringLength(const model::Column& column, size_t row) { return column.StringAt(row).size(); }

// Splits rows [0, rows) into ranges whose utf8 columns each hold at most `limit` value bytes.
absl::StatusOr<std::vector<std::pair<size_t, size_t>>> SplitRows(
    const model::RecordBatch& batch, const std::vector<size_t>& utf8_columns, int64_t limit) {
  const size_t rows = batch.num_rows();
  bool fits = true;
  for (size_t c : utf8_columns) {
    const model::Column& column = batch.column(c);
    int64_t total = 0;
    if (column.is_dictionary()) {
      for (size_t r = 0; r < rows; ++r) total += static_cast<int64_t>(StringLength(column, r));
    } else {
      total = static_cast<int64_t>(column.strings().bytes().size());
    }
    fits = fits && total <= limit;
  }
  if (fits) return std::vector<std::pair<size_t, size_t>>{{0, rows}};

  std::vector<std::pair<size_t, size_t>> ranges;
  std::vector<int64_t> used(utf8_columns.size(), 0);
  size_t begin = 0;
  for (size_t r = 0; r < rows; ++r) {
    bool overflow = false;
    for (size_t k = 0; k < utf8_columns.size(); ++k) {
      const auto len = static_cast<int64_t>(StringLength(batch.column(utf8_columns[k]), r));
      if (len > limit) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "arrow writer: field '%s' row %d holds %d bytes, more than one utf8 batch may (%d)",
            batch.schema().field(utf8_columns[k]).name, r, len, limit));
      }
      overflow = overflow || used[k] + len > limit;
    }
    if (overflow) {
      ranges.emplace_back(begin, r);
      begin = r;
      std::fill(used.begin(), used.end(), 0);
    }
    for (size_t k = 0; k < utf8_columns.size(); ++k) {
      used[k] += static_cast<int64_t>(StringLength(batch.column(utf8_columns[k]), r));
    }
  }
  ranges.emplace_back(begin, rows);
  return ranges;
}

// Dictionary-encodes a plain string column (the null rows' empty slot values included).
model::DictionaryStrings EncodePlain(const model::StringVector& values) {
  model::DictionaryStrings out;
  absl::flat_hash_map<std::string_view, uint32_t> codes;
  out.codes.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string_view value = values.Get(i);
    auto [it, inserted] = codes.try_emplace(value, static_cast<uint32_t>(codes.size()));
    if (inserted) out.dictionary.Append(value);
    out.codes.push_back(it->second);
  }
  return out;
}

bool IsPrefix(const model::StringVector& prefix, const model::StringVector& of) {
  if (prefix.size() > of.size()) return false;
  return std::equal(prefix.offsets().begin(), prefix.offsets().end(), of.offsets().begin()) &&
         std::string_view(of.bytes()).substr(0, prefix.bytes().size()) == prefix.bytes();
}

}  // namespace

StreamWriter::StreamWriter(std::string* out, WriterOptions options)
    : StreamWriter(
          [out](std::string_view bytes) {
            out->append(bytes);
            return absl::OkStatus();
          },
          options) {}

StreamWriter::StreamWriter(Sink sink, WriterOptions options)
    : sink_(std::move(sink)), options_(options) {
  options_.max_utf8_bytes_per_batch =
      std::clamp<int64_t>(options_.max_utf8_bytes_per_batch, 1, kMaxUtf8Bytes);
}

absl::Status StreamWriter::Emit(std::string_view bytes) {
  bytes_written_ += static_cast<int64_t>(bytes.size());
  return sink_(bytes);
}

absl::Status StreamWriter::Track(absl::Status status) {
  if (!status.ok()) state_ = State::kFailed;
  return status;
}

absl::Status StreamWriter::Begin(const model::Schema& schema) {
  if (state_ != State::kNew) {
    return absl::FailedPreconditionError("arrow writer: Begin() may be called only once");
  }
  if (schema.size() == 0) {
    return Track(absl::InvalidArgumentError("arrow writer: a schema needs at least one field"));
  }
  schema_ = schema;
  dictionaries_.assign(schema.size(), DictionaryField{});

  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Field>> fields;
  for (size_t i = 0; i < schema.size(); ++i) {
    const model::Field& field = schema.field(i);
    fb::Type type = fb::Type::NONE;
    flatbuffers::Offset<void> type_table;
    flatbuffers::Offset<fb::DictionaryEncoding> dictionary;
    switch (field.type) {
      case TypeId::kBool:
        type = fb::Type::Bool;
        type_table = fb::CreateBool(fbb).Union();
        break;
      case TypeId::kInt64:
      case TypeId::kUInt64:
        type = fb::Type::Int;
        type_table = fb::CreateInt(fbb, 64, field.type == TypeId::kInt64).Union();
        break;
      case TypeId::kDouble:
        type = fb::Type::FloatingPoint;
        type_table = fb::CreateFloatingPoint(fbb, fb::Precision::DOUBLE).Union();
        break;
      case TypeId::kTimestampNs:
        type = fb::Type::Timestamp;
        type_table =
            fb::CreateTimestamp(fbb, fb::TimeUnit::NANOSECOND, fbb.CreateString("UTC")).Union();
        break;
      case TypeId::kString:
        type = fb::Type::Utf8;
        type_table = fb::CreateUtf8(fbb).Union();
        if (options_.strings == WriterOptions::Strings::kDictionary) {
          // The field's position is its dictionary id: unique, and stable for the stream.
          dictionary = fb::CreateDictionaryEncoding(fbb, static_cast<int64_t>(i),
                                                    fb::CreateInt(fbb, 32, true), false,
                                                    fb::DictionaryKind::DenseArray);
        }
        break;
    }
    fields.push_back(fb::CreateField(fbb, fbb.CreateString(field.name), field.nullable, type,
                                     type_table, dictionary));
  }
  auto schema_table = fb::CreateSchema(fbb, fb::Endianness::Little, fbb.CreateVector(fields));
  FinishMessage(fbb, fb::MessageHeader::Schema, schema_table.Union(), 0);
  state_ = State::kOpen;
  return Track(EmitMessage(fbb, nullptr, [this](std::string_view b) { return Emit(b); }));
}

absl::Status StreamWriter::Write(const model::RecordBatch& batch) {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError(
        "arrow writer: Write() needs Begin() first and no Finish() or failed write before");
  }
  if (!(batch.schema() == schema_)) {
    return absl::InvalidArgumentError("arrow writer: batch schema differs from the stream schema");
  }
  if (absl::Status valid = batch.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(base::StrCat("arrow writer: ", valid.message()));
  }
  return WriteBatch(batch);
}

absl::Status StreamWriter::SendDictionary(size_t field_index,
                                          const model::StringVector& dictionary) {
  DictionaryField& state = dictionaries_[field_index];
  size_t first = 0;  // first value to send
  bool delta = false;
  if (state.sent.has_value()) {
    if (*state.sent == dictionary) return absl::OkStatus();
    if (IsPrefix(*state.sent, dictionary)) {
      first = state.sent->size();
      delta = true;
    }
  }
  const size_t count = dictionary.size() - first;
  Body body;
  body.AddEmpty();  // the dictionary's values are never null
  AddUtf8(dictionary, first, dictionary.size(), body);

  flatbuffers::FlatBufferBuilder fbb;
  const fb::FieldNode node(static_cast<int64_t>(count), 0);
  auto data =
      fb::CreateRecordBatch(fbb, static_cast<int64_t>(count), fbb.CreateVectorOfStructs(&node, 1),
                            fbb.CreateVectorOfStructs(body.buffers()));
  auto header = fb::CreateDictionaryBatch(fbb, static_cast<int64_t>(field_index), data, delta);
  FinishMessage(fbb, fb::MessageHeader::DictionaryBatch, header.Union(), body.length());
  CS_RETURN_IF_ERROR(EmitMessage(fbb, &body, [this](std::string_view b) { return Emit(b); }));
  if (delta) {
    for (size_t i = first; i < dictionary.size(); ++i) state.sent->Append(dictionary.Get(i));
  } else {
    state.sent = dictionary;
  }
  return absl::OkStatus();
}

absl::Status StreamWriter::WriteBatch(const model::RecordBatch& batch) {
  const bool dictionary_strings = options_.strings == WriterOptions::Strings::kDictionary;
  // Dictionary-mode string columns: the dictionary and codes to write, borrowed from the column
  // or encoded here.
  std::vector<model::DictionaryStrings> encoded(batch.num_columns());
  std::vector<const model::DictionaryStrings*> dictionary_of(batch.num_columns(), nullptr);
  std::vector<size_t> utf8_columns;
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const model::Column& column = batch.column(c);
    if (column.type() != TypeId::kString) continue;
    if (!dictionary_strings) {
      utf8_columns.push_back(c);
      continue;
    }
    if (column.is_dictionary()) {
      dictionary_of[c] = &column.dictionary();
    } else {
      encoded[c] = EncodePlain(column.strings());
      dictionary_of[c] = &encoded[c];
    }
    // The reader concatenates deltas into one utf8 array: the whole dictionary must fit one.
    const model::StringVector& dictionary = dictionary_of[c]->dictionary;
    if (dictionary.bytes().size() > static_cast<uint64_t>(kMaxUtf8Bytes) ||
        dictionary.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "arrow writer: the dictionary of field '%s' holds %d values in %d bytes; a utf8 "
          "dictionary holds at most %d bytes",
          schema_.field(c).name, dictionary.size(), dictionary.bytes().size(), kMaxUtf8Bytes));
    }
  }
  CS_ASSIGN_OR_RETURN(auto ranges,
                      SplitRows(batch, utf8_columns, options_.max_utf8_bytes_per_batch));

  // Nothing was written so far: the errors above leave the stream as it was. From here on only
  // the sink can fail, and a failure leaves the stream cut short, so it fails the writer.
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    if (dictionary_of[c] != nullptr) {
      CS_RETURN_IF_ERROR(Track(SendDictionary(c, dictionary_of[c]->dictionary)));
    }
  }
  for (const auto& [begin, end] : ranges) {
    Body body;
    std::deque<model::StringVector> decoded;  // dictionary columns written as utf8
    std::vector<fb::FieldNode> nodes;
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const model::Column& column = batch.column(c);
      const int64_t nulls = AddValidity(column, begin, end, body);
      nodes.emplace_back(static_cast<int64_t>(end - begin), nulls);
      switch (column.type()) {
        case TypeId::kBool:
          body.AddOwned(PackBits(column.bools().data() + begin, end - begin));
          break;
        case TypeId::kInt64:
        case TypeId::kTimestampNs:
          body.AddValues(column.int64s().data() + begin, end - begin);
          break;
        case TypeId::kUInt64:
          body.AddValues(column.uint64s().data() + begin, end - begin);
          break;
        case TypeId::kDouble:
          body.AddValues(column.doubles().data() + begin, end - begin);
          break;
        case TypeId::kString:
          if (dictionary_of[c] != nullptr) {
            // uint32 codes below 2^31 (SendDictionary bounds the dictionary) are their int32
            // indices bit for bit.
            body.AddValues(dictionary_of[c]->codes.data() + begin, end - begin);
          } else if (column.is_dictionary()) {
            // Decoded into `decoded`, which outlives the body as AddUtf8 requires.
            size_t bytes = 0;
            for (size_t r = begin; r < end; ++r) bytes += column.StringAt(r).size();
            decoded.emplace_back().Reserve(end - begin, bytes);
            for (size_t r = begin; r < end; ++r) decoded.back().Append(column.StringAt(r));
            AddUtf8(decoded.back(), 0, decoded.back().size(), body);
          } else {
            AddUtf8(column.strings(), begin, end, body);
          }
          break;
      }
    }
    flatbuffers::FlatBufferBuilder fbb;
    auto header = fb::CreateRecordBatch(fbb, static_cast<int64_t>(end - begin),
                                        fbb.CreateVectorOfStructs(nodes),
                                        fbb.CreateVectorOfStructs(body.buffers()));
    FinishMessage(fbb, fb::MessageHeader::RecordBatch, header.Union(), body.length());
    CS_RETURN_IF_ERROR(
        Track(EmitMessage(fbb, &body, [this](std::string_view b) { return Emit(b); })));
  }
  return absl::OkStatus();
}

absl::Status StreamWriter::Finish() {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError(
        "arrow writer: Finish() needs Begin() first and no Finish() or failed write before");
  }
  state_ = State::kFinished;
  const uint32_t eos[2] = {internal::kContinuation, 0};
  return Track(Emit(std::string_view(reinterpret_cast<const char*>(eos), sizeof(eos))));
}

absl::StatusOr<std::string> WriteStream(const model::Schema& schema,
                                        std::span<const model::RecordBatch> batches,
                                        WriterOptions options) {
  std::string out;
  StreamWriter writer(&out, options);
  CS_RETURN_IF_ERROR(writer.Begin(schema));
  for (const model::RecordBatch& batch : batches) CS_RETURN_IF_ERROR(writer.Write(batch));
  CS_RETURN_IF_ERROR(writer.Finish());
  return out;
}

}  // namespace cardinalsin::arrow
