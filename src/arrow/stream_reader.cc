#include "arrow/stream_reader.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "arrow/internal/ipc_common.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::arrow {
namespace {

namespace fb = internal::fb;
using Plan = StreamReader::FieldPlan;
using model::TypeId;

// Metadata bigger than this is refused before it is copied (real schemas are a few KiB; the
// flatbuffers verifier also refuses buffers of 2 GiB and more).
constexpr int64_t kMaxMetadataBytes = int64_t{64} << 20;

template <typename T>
T Load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

std::string TypeDescription(const fb::Field& field) {
  switch (field.type_type()) {
    case fb::Type::Int: {
      const fb::Int* t = field.type_as_Int();
      if (t == nullptr) return "Int";
      return absl::StrFormat("Int(bit_width=%d, signed=%s)", t->bit_width(),
                             t->is_signed() ? "true" : "false");
    }
    case fb::Type::FloatingPoint: {
      const fb::FloatingPoint* t = field.type_as_FloatingPoint();
      return absl::StrFormat("FloatingPoint(%s)",
                             t == nullptr ? "HALF" : fb::EnumNamePrecision(t->precision()));
    }
    case fb::Type::UnionType:
      return "Union";
    case fb::Type::Struct_:
      return "Struct";
    default: {
      const char* name = fb::EnumNameType(field.type_type());
      if (name == nullptr || *name == '\0') {
        return absl::StrFormat("unknown type id %d", static_cast<int>(field.type_type()));
      }
      return name;
    }
  }
}

absl::StatusOr<int> IntWidth(const fb::Int* t, const std::string& what) {
  if (t == nullptr) return absl::DataLossError(absl::StrFormat("%s: Int type table missing", what));
  switch (t->bit_width()) {
    case 8:
    case 16:
    case 32:
    case 64:
      return t->bit_width();
    default:
      return absl::DataLossError(
          absl::StrFormat("%s: Int bit width %d is not 8, 16, 32 or 64", what, t->bit_width()));
  }
}

// The decode plan of one schema field, or an error naming the field and its type.
absl::StatusOr<Plan> PlanField(const fb::Field& field, const std::string& name) {
  const std::string what = absl::StrFormat("field '%s'", name);
  auto unsupported = [&](const std::string& type) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: unsupported Arrow type %s (supported: Bool, Int, FloatingPoint "
                        "SINGLE/DOUBLE, Utf8, LargeUtf8, Timestamp, dictionary of Utf8)",
                        what, type));
  };
  if (field.children() != nullptr && field.children()->size() > 0 &&
      field.type_type() != fb::Type::Struct_ && field.type_type() != fb::Type::List &&
      field.type_type() != fb::Type::LargeList) {
    return absl::DataLossError(
        absl::StrFormat("%s: a %s field with child fields", what, TypeDescription(field)));
  }
  Plan plan;
  switch (field.type_type()) {
    case fb::Type::Bool:
      plan.kind = Plan::Kind::kBool;
      break;
    case fb::Type::Int: {
      CS_ASSIGN_OR_RETURN(plan.bit_width, IntWidth(field.type_as_Int(), what));
      plan.kind = Plan::Kind::kInt;
      plan.is_signed = field.type_as_Int()->is_signed();
      break;
    }
    case fb::Type::FloatingPoint: {
      const fb::FloatingPoint* t = field.type_as_FloatingPoint();
      if (t == nullptr ||
          (t->precision() != fb::Precision::SINGLE && t->precision() != fb::Precision::DOUBLE)) {
        return unsupported(TypeDescription(field));
      }
      plan.kind = Plan::Kind::kFloat;
      plan.bit_width = t->precision() == fb::Precision::SINGLE ? 32 : 64;
      break;
    }
    case fb::Type::Utf8:
      plan.kind = Plan::Kind::kUtf8;
      break;
    case fb::Type::LargeUtf8:
      plan.kind = Plan::Kind::kLargeUtf8;
      break;
    case fb::Type::Timestamp: {
      const fb::Timestamp* t = field.type_as_Timestamp();
      if (t == nullptr) return absl::DataLossError(what + ": Timestamp type table missing");
      plan.kind = Plan::Kind::kTimestamp;
      switch (t->unit()) {
        case fb::TimeUnit::SECOND:
          plan.ns_per_unit = 1'000'000'000;
          break;
        case fb::TimeUnit::MILLISECOND:
          plan.ns_per_unit = 1'000'000;
          break;
        case fb::TimeUnit::MICROSECOND:
          plan.ns_per_unit = 1'000;
          break;
        case fb::TimeUnit::NANOSECOND:
          plan.ns_per_unit = 1;
          break;
        default:
          return absl::DataLossError(
              absl::StrFormat("%s: unknown Timestamp unit %d", what, static_cast<int>(t->unit())));
      }
      break;
    }
    default:
      return unsupported(TypeDescription(field));
  }
  if (const fb::DictionaryEncoding* dict = field.dictionary(); dict != nullptr) {
    if (plan.kind != Plan::Kind::kUtf8 && plan.kind != Plan::Kind::kLargeUtf8) {
      return unsupported("dictionary of " + TypeDescription(field));
    }
    plan.dictionary = true;
    plan.dictionary_id = dict->id();
    if (dict->index_type() != nullptr) {
      CS_ASSIGN_OR_RETURN(plan.index_bit_width,
                          IntWidth(dict->index_type(), what + " dictionary index"));
      plan.index_signed = dict->index_type()->is_signed();
    }
  }
  return plan;
}

TypeId ModelType(const Plan& plan) {
  switch (plan.kind) {
    case Plan::Kind::kBool:
      return TypeId::kBool;
    case Plan::Kind::kInt:
      return plan.is_signed ? TypeId::kInt64 : TypeId::kUInt64;
    case Plan::Kind::kFloat:
      return TypeId::kDouble;
    case Plan::Kind::kUtf8:
    case Plan::Kind::kLargeUtf8:
      return TypeId::kString;
    case Plan::Kind::kTimestamp:
      return TypeId::kTimestampNs;
  }
  return TypeId::kString;
}

// One message: its verified metadata (in the reader's aligned scratch) and its body.
struct Message {
  const fb::Message* metadata = nullptr;
  std::string_view body;
  size_t offset = 0;  // of the message in the stream, for errors
};

// Element i of a vector of structs. The verifier only guarantees such a vector 4-byte alignment,
// and FieldNode and Buffer hold int64s: copying out avoids misaligned loads.
template <typename T>
T LoadStruct(const flatbuffers::Vector<const T*>& vector, size_t i) {
  T value;
  std::memcpy(static_cast<void*>(&value), vector.Data() + i * sizeof(T), sizeof(T));
  return value;
}

// Reads integer i of a little-endian array of `width`-byte integers.
int64_t LoadSigned(const char* data, int width, size_t i) {
  switch (width) {
    case 1:
      return Load<int8_t>(data + i);
    case 2:
      return Load<int16_t>(data + 2 * i);
    case 4:
      return Load<int32_t>(data + 4 * i);
    default:
      return Load<int64_t>(data + 8 * i);
  }
}
uint64_t LoadUnsigned(const char* data, int width, size_t i) {
  switch (width) {
    case 1:
      return Load<uint8_t>(data + i);
    case 2:
      return Load<uint16_t>(data + 2 * i);
    case 4:
      return Load<uint32_t>(data + 4 * i);
    default:
      return Load<uint64_t>(data + 8 * i);
  }
}

// Walks the nodes and buffers of one RecordBatch table over its body, checking every bound.
class BatchDecoder {
 public:
  BatchDecoder(const fb::RecordBatch& batch, std::string_view body, std::string context)
      : batch_(batch), body_(body), context_(std::move(context)) {}

  absl::Status Error(const std::string& what) const {
    return absl::DataLossError(absl::StrFormat("%s: %s", context_, what));
  }

  absl::StatusOr<fb::FieldNode> NextNode(int64_t expected_length, const std::string& field) {
    const auto* nodes = batch_.nodes();
    if (nodes == nullptr || next_node_ >= nodes->size()) {
      return Error(absl::StrFormat("no field node for field '%s'", field));
    }
    const auto node = LoadStruct<fb::FieldNode>(*nodes, next_node_++);
    if (node.length() != expected_length) {
      return Error(absl::StrFormat("field '%s' has %d rows, the batch %d", field, node.length(),
                                   expected_length));
    }
    if (node.null_count() < 0 || node.null_count() > node.length()) {
      return Error(absl::StrFormat("field '%s' null count %d outside [0, %d]", field,
                                   node.null_count(), node.length()));
    }
    return node;
  }

  absl::StatusOr<std::string_view> NextBuffer(const std::string& field) {
    const auto* buffers = batch_.buffers();
    if (buffers == nullptr || next_buffer_ >= buffers->size()) {
      return Error(absl::StrFormat("too few buffers for field '%s'", field));
    }
    const auto buffer = LoadStruct<fb::Buffer>(*buffers, next_buffer_++);
    const auto body_size = static_cast<int64_t>(body_.size());
    if (buffer.offset() < 0 || buffer.length() < 0 || buffer.offset() > body_size ||
        buffer.length() > body_size - buffer.offset()) {
      return Error(absl::StrFormat("buffer %d of field '%s' [%d, +%d) outside the %d-byte body",
                                   next_buffer_ - 1, field, buffer.offset(), buffer.length(),
                                   body_size));
    }
    return body_.substr(static_cast<size_t>(buffer.offset()), static_cast<size_t>(buffer.length()));
  }

  // The validity of `node`'s rows: empty when it has no nulls.
  absl::StatusOr<std::vector<uint8_t>> Validity(const fb::FieldNode& node,
                                                const std::string& field) {
    CS_ASSIGN_OR_RETURN(std::string_view bits, NextBuffer(field));
    if (node.null_count() == 0) return std::vector<uint8_t>();
    const auto rows = static_cast<size_t>(node.length());
    if (bits.size() < (rows + 7) / 8) {
      return Error(absl::StrFormat("field '%s' validity bitmap has %d bytes for %d rows", field,
                                   bits.size(), rows));
    }
    std::vector<uint8_t> validity(rows);
    size_t nulls = 0;
    for (size_t i = 0; i < rows; ++i) {
      validity[i] = (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1;
      nulls += validity[i] ^ 1;
    }
    if (static_cast<int64_t>(nulls) != node.null_count()) {
      return Error(absl::StrFormat("field '%s' null count %d, its bitmap has %d nulls", field,
                                   node.null_count(), nulls));
    }
    return validity;
  }

  // A buffer holding at least `rows` values of `width` bytes.
  absl::StatusOr<std::string_view> FixedWidth(int64_t rows, int width, const std::string& field) {
    CS_ASSIGN_OR_RETURN(std::string_view values, NextBuffer(field));
    if (static_cast<int64_t>(values.size() / static_cast<size_t>(width)) < rows) {
      return Error(absl::StrFormat("field '%s' values buffer has %d bytes for %d %d-byte values",
                                   field, values.size(), rows, width));
    }
    return values;
  }

  // Utf8 / LargeUtf8 values (offsets then data buffers); null rows become "".
  absl::StatusOr<model::StringVector> Strings(int64_t rows, bool large,
                                              const std::vector<uint8_t>& validity,
                                              const std::string& field) {
    CS_ASSIGN_OR_RETURN(std::string_view offsets, NextBuffer(field));
    CS_ASSIGN_OR_RETURN(std::string_view data, NextBuffer(field));
    model::StringVector out;
    if (rows == 0) return out;  // writers may leave out the single zero offset
    const int width = large ? 8 : 4;
    if (static_cast<int64_t>(offsets.size() / static_cast<size_t>(width)) <= rows) {
      return Error(absl::StrFormat("field '%s' offsets buffer has %d bytes for %d rows", field,
                                   offsets.size(), rows));
    }
    auto offset_at = [&](size_t i) { return LoadSigned(offsets.data(), width, i); };
    const int64_t first = offset_at(0);
    const int64_t last = offset_at(static_cast<size_t>(rows));
    if (first < 0 || last < first || last > static_cast<int64_t>(data.size())) {
      return Error(absl::StrFormat("field '%s' offsets [%d, %d] outside the %d-byte data buffer",
                                   field, first, last, data.size()));
    }
    out.Reserve(static_cast<size_t>(rows), static_cast<size_t>(last - first));
    int64_t begin = first;
    for (size_t i = 0; i < static_cast<size_t>(rows); ++i) {
      const int64_t end = offset_at(i + 1);
      if (end < begin || end > last) {
        return Error(
            absl::StrFormat("field '%s' offsets decrease or pass the end at row %d", field, i));
      }
      if (validity.empty() || validity[i] != 0) {
        out.Append(data.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
      } else {
        out.Append({});
      }
      begin = end;
    }
    return out;
  }

  absl::Status CheckConsumed(size_t fields) const {
    const size_t nodes = batch_.nodes() == nullptr ? 0 : batch_.nodes()->size();
    const size_t buffers = batch_.buffers() == nullptr ? 0 : batch_.buffers()->size();
    if (next_node_ != nodes || next_buffer_ != buffers) {
      return Error(absl::StrFormat("%d field nodes and %d buffers for %d fields (expected %d, %d)",
                                   nodes, buffers, fields, next_node_, next_buffer_));
    }
    return absl::OkStatus();
  }

 private:
  const fb::RecordBatch& batch_;
  std::string_view body_;
  std::string context_;
  size_t next_node_ = 0;
  size_t next_buffer_ = 0;
};

absl::Status CheckBatchHeader(const fb::RecordBatch* batch, const std::string& context) {
  if (batch == nullptr) return absl::DataLossError(context + ": record batch table missing");
  if (batch->compression() != nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: body compressed with %s; compressed Arrow IPC bodies are not supported", context,
        fb::EnumNameCompressionType(batch->compression()->codec())));
  }
  if (batch->length() < 0) {
    return absl::DataLossError(
        absl::StrFormat("%s: negative record batch length %d", context, batch->length()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status StreamReader::Fail(absl::Status status) {
  if (!status.ok()) error_ = status;
  return status;
}

// Reads the message at pos_: nullopt at the end-of-stream marker or the end of the input.
static absl::StatusOr<std::optional<Message>> ReadMessage(std::string_view stream, size_t& pos,
                                                          std::vector<uint64_t>& scratch) {
  const size_t start = pos;
  if (pos == stream.size()) return std::nullopt;
  auto truncated = [&](const char* what, size_t need) {
    return absl::DataLossError(absl::StrFormat(
        "arrow stream: message at offset %d: truncated %s (needs %d bytes, %d left)", start, what,
        need, stream.size() - pos));
  };
  if (stream.size() - pos < 4) return truncated("message prefix", 4);
  uint32_t word = Load<uint32_t>(stream.data() + pos);
  pos += 4;
  if (word == internal::kContinuation) {
    if (stream.size() - pos < 4) return truncated("metadata size", 4);
    word = Load<uint32_t>(stream.data() + pos);
    pos += 4;
  }  // else: pre-0.15 framing, the word is the size itself
  const auto metadata_size = static_cast<int32_t>(word);
  if (metadata_size == 0) return std::nullopt;  // end-of-stream marker
  if (metadata_size < 0 || metadata_size > kMaxMetadataBytes) {
    return absl::DataLossError(absl::StrFormat(
        "arrow stream: message at offset %d: bad metadata size %d", start, metadata_size));
  }
  const auto size = static_cast<size_t>(metadata_size);
  if (stream.size() - pos < size) return truncated("metadata", size);
  // The flatbuffer is read in place only if aligned; a copy keeps scalar loads aligned.
  scratch.resize((size + 7) / 8);
  std::memcpy(scratch.data(), stream.data() + pos, size);
  pos += size;
  const auto* bytes = reinterpret_cast<const uint8_t*>(scratch.data());
  flatbuffers::Verifier verifier(bytes, size);
  if (!verifier.VerifyBuffer<fb::Message>(nullptr)) {
    return absl::DataLossError(absl::StrFormat(
        "arrow stream: message at offset %d: metadata is not a valid Message flatbuffer", start));
  }
  Message message;
  message.metadata = flatbuffers::GetRoot<fb::Message>(bytes);
  message.offset = start;
  const int64_t body_length = message.metadata->body_length();
  if (body_length < 0) {
    return absl::DataLossError(absl::StrFormat(
        "arrow stream: message at offset %d: negative body length %d", start, body_length));
  }
  if (static_cast<uint64_t>(body_length) > stream.size() - pos) {
    return truncated("body", static_cast<size_t>(body_length));
  }
  message.body = stream.substr(pos, static_cast<size_t>(body_length));
  pos += static_cast<size_t>(body_length);
  if (message.metadata->version() < fb::MetadataVersion::V4) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "arrow stream: message at offset %d: metadata version %s is not supported (V4, V5 are)",
        start, fb::EnumNameMetadataVersion(message.metadata->version())));
  }
  return message;
}

absl::StatusOr<StreamReader> StreamReader::Open(std::string_view stream) {
  StreamReader reader(stream);
  CS_ASSIGN_OR_RETURN(std::optional<Message> message,
                      ReadMessage(stream, reader.pos_, reader.metadata_scratch_));
  if (!message.has_value()) {
    return absl::DataLossError("arrow stream: no schema message before the end of the stream");
  }
  const fb::Schema* schema = message->metadata->header_as_Schema();
  if (schema == nullptr) {
    return absl::DataLossError(
        absl::StrFormat("arrow stream: first message is %s, not a schema",
                        fb::EnumNameMessageHeader(message->metadata->header_type())));
  }
  if (schema->endianness() != fb::Endianness::Little) {
    return absl::InvalidArgumentError("arrow stream: big-endian streams are not supported");
  }
  if (schema->fields() == nullptr || schema->fields()->size() == 0) {
    return absl::InvalidArgumentError("arrow stream: the schema has no fields");
  }
  std::vector<model::Field> fields;
  for (const fb::Field* field : *schema->fields()) {
    std::string name = field->name() == nullptr ? std::string() : field->name()->str();
    CS_ASSIGN_OR_RETURN(Plan plan, PlanField(*field, name));
    fields.push_back(model::Field{std::move(name), ModelType(plan), field->nullable()});
    reader.plans_.push_back(plan);
  }
  reader.schema_ = model::Schema(std::move(fields));
  return reader;
}

absl::StatusOr<model::RecordBatch> StreamReader::DecodeRecordBatch(
    const fb::RecordBatch* batch, std::string_view body, const std::string& context) const {
  CS_RETURN_IF_ERROR(CheckBatchHeader(batch, context));
  const int64_t rows = batch->length();
  BatchDecoder decoder(*batch, body, context);
  std::vector<model::Column> columns;
  columns.reserve(plans_.size());
  for (size_t f = 0; f < plans_.size(); ++f) {
    const Plan& plan = plans_[f];
    const std::string& name = schema_.field(f).name;
    CS_ASSIGN_OR_RETURN(const fb::FieldNode node, decoder.NextNode(rows, name));
    CS_ASSIGN_OR_RETURN(std::vector<uint8_t> validity, decoder.Validity(node, name));
    const auto n = static_cast<size_t>(rows);
    auto valid = [&](size_t i) { return validity.empty() || validity[i] != 0; };
    model::Column column = model::Column::Empty(ModelType(plan));
    if (plan.dictionary) {
      const int width = plan.index_bit_width / 8;
      CS_ASSIGN_OR_RETURN(std::string_view indices, decoder.FixedWidth(rows, width, name));
      auto it = dictionaries_.find(plan.dictionary_id);
      if (it == dictionaries_.end()) {
        return absl::DataLossError(
            absl::StrFormat("%s: field '%s' uses dictionary %d before any dictionary batch sent it",
                            context, name, plan.dictionary_id));
      }
      const Dictionary& dict = it->second;
      // Only the entries this batch uses are copied into it, so that a large dictionary shared
      // by many small batches is not copied whole into each. The old-to-new code map is dense
      // when the dictionary has no more entries than the batch has rows (bounded by the batch),
      // a hash map otherwise.
      constexpr uint32_t kUnmapped = std::numeric_limits<uint32_t>::max();
      const bool dense = dict.values.size() <= n;
      std::vector<uint32_t> dense_remap(dense ? dict.values.size() : 0, kUnmapped);
      absl::flat_hash_map<uint64_t, uint32_t> sparse_remap;
      model::StringVector used;
      std::vector<uint32_t> codes(n, 0);
      for (size_t i = 0; i < n; ++i) {
        if (!valid(i)) continue;
        const uint64_t index = plan.index_signed
                                   ? static_cast<uint64_t>(LoadSigned(indices.data(), width, i))
                                   : LoadUnsigned(indices.data(), width, i);
        // A negative signed index wraps to a huge unsigned one and fails here too.
        if (index >= dict.values.size()) {
          return absl::DataLossError(absl::StrFormat(
              "%s: field '%s' row %d: dictionary index %d outside the %d-entry dictionary", context,
              name, i, static_cast<int64_t>(index), dict.values.size()));
        }
        if (!dict.validity.empty() && dict.validity[index] == 0) {
          if (validity.empty()) validity.assign(n, 1);
          validity[i] = 0;  // a row pointing at a null dictionary entry is null
          continue;
        }
        const auto next = static_cast<uint32_t>(used.size());
        uint32_t& code =
            dense ? dense_remap[index] : sparse_remap.try_emplace(index, kUnmapped).first->second;
        if (code == kUnmapped) {
          code = next;
          used.Append(dict.values.Get(index));
        }
        codes[i] = code;
      }
      if (used.size() == 0 && n > 0) used.Append({});  // every row is null; code 0 must exist
      column = model::Column::FromDictionary(std::move(used), std::move(codes));
    } else {
      switch (plan.kind) {
        case Plan::Kind::kBool: {
          CS_ASSIGN_OR_RETURN(std::string_view bits, decoder.NextBuffer(name));
          if (bits.size() < (n + 7) / 8) {
            return decoder.Error(absl::StrFormat(
                "field '%s' Bool values buffer has %d bytes for %d rows", name, bits.size(), n));
          }
          std::vector<uint8_t> values(n);
          for (size_t i = 0; i < n; ++i) {
            values[i] = valid(i) ? (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1 : 0;
          }
          column = model::Column::FromBool(std::move(values));
          break;
        }
        case Plan::Kind::kInt: {
          const int width = plan.bit_width / 8;
          CS_ASSIGN_OR_RETURN(std::string_view data, decoder.FixedWidth(rows, width, name));
          if (plan.is_signed) {
            std::vector<int64_t> values(n, 0);
            if (width == 8) {
              if (n > 0) std::memcpy(values.data(), data.data(), n * 8);
            } else {
              for (size_t i = 0; i < n; ++i) values[i] = LoadSigned(data.data(), width, i);
            }
            for (size_t i = 0; i < n; ++i) {
              if (!valid(i)) values[i] = 0;
            }
            column = model::Column::FromInt64(TypeId::kInt64, std::move(values));
          } else {
            std::vector<uint64_t> values(n, 0);
            for (size_t i = 0; i < n; ++i) {
              values[i] = valid(i) ? LoadUnsigned(data.data(), width, i) : 0;
            }
            column = model::Column::FromUInt64(std::move(values));
          }
          break;
        }
        case Plan::Kind::kFloat: {
          const int width = plan.bit_width / 8;
          CS_ASSIGN_OR_RETURN(std::string_view data, decoder.FixedWidth(rows, width, name));
          std::vector<double> values(n, 0.0);
          if (width == 8) {
            if (n > 0) std::memcpy(values.data(), data.data(), n * 8);
          } else {
            for (size_t i = 0; i < n; ++i) values[i] = Load<float>(data.data() + 4 * i);
          }
          for (size_t i = 0; i < n; ++i) {
            if (!valid(i)) values[i] = 0.0;
          }
          column = model::Column::FromDouble(std::move(values));
          break;
        }
        case Plan::Kind::kTimestamp: {
          CS_ASSIGN_OR_RETURN(std::string_view data, decoder.FixedWidth(rows, 8, name));
          std::vector<int64_t> values(n, 0);
          for (size_t i = 0; i < n; ++i) {
            if (!valid(i)) continue;
            const auto raw = Load<int64_t>(data.data() + 8 * i);
            if (__builtin_mul_overflow(raw, plan.ns_per_unit, &values[i])) {
              return absl::InvalidArgumentError(absl::StrFormat(
                  "%s: field '%s' row %d: timestamp %d (x%d ns) overflows int64 nanoseconds",
                  context, name, i, raw, plan.ns_per_unit));
            }
          }
          column = model::Column::FromInt64(TypeId::kTimestampNs, std::move(values));
          break;
        }
        case Plan::Kind::kUtf8:
        case Plan::Kind::kLargeUtf8: {
          CS_ASSIGN_OR_RETURN(
              model::StringVector values,
              decoder.Strings(rows, plan.kind == Plan::Kind::kLargeUtf8, validity, name));
          column = model::Column::FromStrings(std::move(values));
          break;
        }
      }
    }
    if (!validity.empty()) column.SetValidity(std::move(validity));
    columns.push_back(std::move(column));
  }
  CS_RETURN_IF_ERROR(decoder.CheckConsumed(plans_.size()));
  model::RecordBatch out(schema_, std::move(columns));
  if (absl::Status valid = out.Validate(); !valid.ok()) {
    return absl::DataLossError(base::StrCat(context, ": ", valid.message()));
  }
  return out;
}

absl::StatusOr<std::optional<model::RecordBatch>> StreamReader::Next() {
  if (!error_.ok()) return error_;
  while (!done_) {
    absl::StatusOr<std::optional<Message>> read = ReadMessage(stream_, pos_, metadata_scratch_);
    if (!read.ok()) return Fail(read.status());
    if (!read->has_value()) {
      done_ = true;
      break;
    }
    const Message& message = **read;
    const std::string context =
        absl::StrFormat("arrow stream: message at offset %d", message.offset);
    switch (message.metadata->header_type()) {
      case fb::MessageHeader::DictionaryBatch: {
        const fb::DictionaryBatch* batch = message.metadata->header_as_DictionaryBatch();
        if (batch == nullptr) return Fail(absl::DataLossError(context + ": no dictionary batch"));
        const Plan* plan = nullptr;
        for (const Plan& p : plans_) {
          if (p.dictionary && p.dictionary_id == batch->id()) plan = &p;
        }
        if (plan == nullptr) {
          return Fail(absl::DataLossError(absl::StrFormat(
              "%s: dictionary id %d belongs to no field of the schema", context, batch->id())));
        }
        if (absl::Status s = CheckBatchHeader(batch->data(), context); !s.ok()) return Fail(s);
        const std::string name = absl::StrFormat("dictionary %d", batch->id());
        BatchDecoder decoder(*batch->data(), message.body, context);
        const int64_t rows = batch->data()->length();
        absl::StatusOr<fb::FieldNode> node = decoder.NextNode(rows, name);
        if (!node.ok()) return Fail(node.status());
        absl::StatusOr<std::vector<uint8_t>> validity = decoder.Validity(*node, name);
        if (!validity.ok()) return Fail(validity.status());
        absl::StatusOr<model::StringVector> values =
            decoder.Strings(rows, plan->kind == Plan::Kind::kLargeUtf8, *validity, name);
        if (!values.ok()) return Fail(values.status());
        if (absl::Status s = decoder.CheckConsumed(1); !s.ok()) return Fail(s);
        if (batch->is_delta()) {
          auto it = dictionaries_.find(batch->id());
          if (it == dictionaries_.end()) {
            return Fail(absl::DataLossError(absl::StrFormat(
                "%s: delta for dictionary %d, which was never sent", context, batch->id())));
          }
          Dictionary& dict = it->second;
          if (!validity->empty() && dict.validity.empty()) {
            dict.validity.assign(dict.values.size(), 1);
          }
          for (size_t i = 0; i < values->size(); ++i) dict.values.Append(values->Get(i));
          if (!dict.validity.empty()) {
            if (validity->empty()) validity->assign(values->size(), 1);
            dict.validity.insert(dict.validity.end(), validity->begin(), validity->end());
          }
        } else {
          dictionaries_[batch->id()] = Dictionary{*std::move(values), *std::move(validity)};
        }
        break;
      }
      case fb::MessageHeader::RecordBatch: {
        absl::StatusOr<model::RecordBatch> batch =
            DecodeRecordBatch(message.metadata->header_as_RecordBatch(), message.body, context);
        if (!batch.ok()) return Fail(batch.status());
        return std::optional<model::RecordBatch>(*std::move(batch));
      }
      case fb::MessageHeader::Schema:
        return Fail(absl::DataLossError(context + ": a second schema message"));
      default:
        return Fail(absl::InvalidArgumentError(
            absl::StrFormat("%s: unsupported message type %s", context,
                            fb::EnumNameMessageHeader(message.metadata->header_type()))));
    }
  }
  return std::optional<model::RecordBatch>();
}

}  // namespace cardinalsin::arrow
