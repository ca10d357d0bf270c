#include "parquet/thrift_compact.h"

#include <bit>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace cardinalsin::parquet::thrift {
namespace {

// Field-header type codes that differ from the element-type codes: bool fields carry their
// value in the type nibble.
constexpr uint8_t kFieldBoolTrue = 1;
constexpr uint8_t kFieldBoolFalse = 2;

constexpr uint32_t kMaxContainerSize = static_cast<uint32_t>(std::numeric_limits<int32_t>::max());

}  // namespace

std::string ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kStop:
      return "stop";
    case ValueType::kBool:
      return "bool";
    case ValueType::kI8:
      return "i8";
    case ValueType::kI16:
      return "i16";
    case ValueType::kI32:
      return "i32";
    case ValueType::kI64:
      return "i64";
    case ValueType::kDouble:
      return "double";
    case ValueType::kBinary:
      return "binary";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kMap:
      return "map";
    case ValueType::kStruct:
      return "struct";
    case ValueType::kUuid:
      return "uuid";
  }
  return absl::StrCat("type(", static_cast<int>(type), ")");
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void CompactWriter::BeginStruct() {
  field_id_stack_.push_back(last_field_id_);
  last_field_id_ = 0;
}

void CompactWriter::EndStruct() {
  CS_DCHECK(!field_id_stack_.empty());
  WriteByte(0);
  last_field_id_ = field_id_stack_.back();
  field_id_stack_.pop_back();
}

void CompactWriter::WriteFieldHeaderByte(int16_t id, uint8_t type_code) {
  CS_DCHECK(!field_id_stack_.empty());
  const int delta = static_cast<int>(id) - static_cast<int>(last_field_id_);
  if (delta > 0 && delta <= 15) {
    WriteByte(static_cast<uint8_t>((delta << 4) | type_code));
  } else {
    // The spec encodes an i16 field id as a zigzag i32 varint.
    WriteByte(type_code);
    AppendVarint(ZigZagEncode32(id), out_);
  }
  last_field_id_ = id;
}

void CompactWriter::WriteFieldHeader(int16_t id, ValueType type) {
  CS_DCHECK(type != ValueType::kStop && type != ValueType::kBool);
  WriteFieldHeaderByte(id, static_cast<uint8_t>(type));
}

void CompactWriter::WriteBoolField(int16_t id, bool value) {
  WriteFieldHeaderByte(id, value ? kFieldBoolTrue : kFieldBoolFalse);
}

void CompactWriter::WriteBool(bool value) { WriteByte(value ? 1 : 2); }

void CompactWriter::WriteI8(int8_t value) { WriteByte(static_cast<uint8_t>(value)); }

void CompactWriter::WriteI16(int16_t value) { AppendVarint(ZigZagEncode32(value), out_); }

void CompactWriter::WriteI32(int32_t value) { AppendVarint(ZigZagEncode32(value), out_); }

void CompactWriter::WriteI64(int64_t value) { AppendVarint(ZigZagEncode64(value), out_); }

void CompactWriter::WriteDouble(double value) {
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    WriteByte(static_cast<uint8_t>(bits >> (8 * i)));
  }
}

void CompactWriter::WriteBinary(std::string_view value) {
  AppendVarint(value.size(), out_);
  out_->append(value);
}

void CompactWriter::WriteListHeader(ValueType element_type, size_t size) {
  CS_DCHECK(element_type != ValueType::kStop);
  CS_DCHECK(size <= kMaxContainerSize);
  const auto code = static_cast<uint8_t>(element_type);
  if (size < 15) {
    WriteByte(static_cast<uint8_t>((size << 4) | code));
  } else {
    WriteByte(0xF0 | code);
    AppendVarint(size, out_);
  }
}

void CompactWriter::WriteMapHeader(ValueType key_type, ValueType value_type, size_t size) {
  CS_DCHECK(key_type != ValueType::kStop && value_type != ValueType::kStop);
  CS_DCHECK(size <= kMaxContainerSize);
  if (size == 0) {
    WriteByte(0);
    return;
  }
  AppendVarint(size, out_);
  WriteByte(static_cast<uint8_t>((static_cast<uint8_t>(key_type) << 4) |
                                 static_cast<uint8_t>(value_type)));
}

void CompactWriter::WriteI8Field(int16_t id, int8_t value) {
  WriteFieldHeader(id, ValueType::kI8);
  WriteI8(value);
}

void CompactWriter::WriteI16Field(int16_t id, int16_t value) {
  WriteFieldHeader(id, ValueType::kI16);
  WriteI16(value);
}

void CompactWriter::WriteI32Field(int16_t id, int32_t value) {
  WriteFieldHeader(id, ValueType::kI32);
  WriteI32(value);
}

void CompactWriter::WriteI64Field(int16_t id, int64_t value) {
  WriteFieldHeader(id, ValueType::kI64);
  WriteI64(value);
}

void CompactWriter::WriteDoubleField(int16_t id, double value) {
  WriteFieldHeader(id, ValueType::kDouble);
  WriteDouble(value);
}

void CompactWriter::WriteBinaryField(int16_t id, std::string_view value) {
  WriteFieldHeader(id, ValueType::kBinary);
  WriteBinary(value);
}

absl::Status CompactReader::Error(size_t at, std::string_view what) const {
  return absl::DataLossError(base::StrCat("thrift compact: ", what, " at byte offset ", at));
}

absl::Status CompactReader::Truncated(size_t at, std::string_view what, size_t needed) const {
  return absl::DataLossError(base::StrCat("thrift compact: truncated ", what, " at byte offset ",
                                          at, ": needs ", needed, " bytes, ", in_.size() - at,
                                          " left"));
}

absl::StatusOr<uint64_t> CompactReader::ReadVarintFor(std::string_view what) {
  const size_t start = pos_;
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= in_.size()) {
      return Error(start, base::StrCat("truncated varint in ", what));
    }
    const auto byte = static_cast<uint8_t>(in_[pos_++]);
    // The 10th byte holds bit 63 only; anything more does not fit in 64 bits.
    if (i == 9 && byte > 1) {
      return Error(start, base::StrCat("varint overflows 64 bits in ", what));
    }
    result |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      return result;
    }
  }
  return Error(start, base::StrCat("varint longer than 10 bytes in ", what));
}

absl::StatusOr<uint64_t> CompactReader::ReadVarint() { return ReadVarintFor("varint"); }

absl::StatusOr<ValueType> CompactReader::ElementType(uint8_t code, size_t at,
                                                     bool allow_stop) const {
  switch (code) {
    case 0:
      if (allow_stop) {
        return ValueType::kStop;
      }
      break;
    case 1:
    case 2:
      return ValueType::kBool;
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
      return static_cast<ValueType>(code);
    default:
      break;
  }
  return Error(at, base::StrCat("invalid element type code ", code));
}

absl::Status CompactReader::BeginStruct() {
  if (field_id_stack_.size() >= static_cast<size_t>(kMaxDepth)) {
    return Error(pos_, base::StrCat("structs nested deeper than ", kMaxDepth));
  }
  field_id_stack_.push_back(last_field_id_);
  last_field_id_ = 0;
  return absl::OkStatus();
}

void CompactReader::EndStruct() {
  CS_DCHECK(!field_id_stack_.empty());
  last_field_id_ = field_id_stack_.back();
  field_id_stack_.pop_back();
}

absl::StatusOr<FieldHeader> CompactReader::ReadFieldHeader() {
  const size_t start = pos_;
  if (pos_ >= in_.size()) {
    return Truncated(start, "field header", 1);
  }
  const auto byte = static_cast<uint8_t>(in_[pos_++]);
  FieldHeader field;
  if (byte == 0) {
    return field;  // stop
  }

  const uint8_t type_code = byte & 0x0F;
  const int delta = byte >> 4;
  switch (type_code) {
    case kFieldBoolTrue:
      field.type = ValueType::kBool;
      field.bool_value = true;
      break;
    case kFieldBoolFalse:
      field.type = ValueType::kBool;
      field.bool_value = false;
      break;
    case 0:
      return Error(start, base::StrCat("field header 0x", absl::Hex(byte), " has type stop"));
    default: {
      if (type_code > static_cast<uint8_t>(ValueType::kUuid)) {
        return Error(start, base::StrCat("invalid field type code ", type_code));
      }
      field.type = static_cast<ValueType>(type_code);
    }
  }

  int id = 0;
  if (delta != 0) {
    id = last_field_id_ + delta;
  } else {
    CS_ASSIGN_OR_RETURN(const uint64_t raw, ReadVarintFor("field id"));
    if (raw > std::numeric_limits<uint32_t>::max()) {
      return Error(start, "field id overflows i16");
    }
    id = ZigZagDecode32(static_cast<uint32_t>(raw));
  }
  if (id < std::numeric_limits<int16_t>::min() || id > std::numeric_limits<int16_t>::max()) {
    return Error(start, base::StrCat("field id ", id, " overflows i16"));
  }
  field.id = static_cast<int16_t>(id);
  last_field_id_ = field.id;
  return field;
}

absl::StatusOr<bool> CompactReader::ReadBool() {
  const size_t start = pos_;
  if (pos_ >= in_.size()) {
    return Truncated(start, "bool", 1);
  }
  const auto byte = static_cast<uint8_t>(in_[pos_++]);
  // Writers disagree on false (the spec once said 0, libraries write 2); true is always 1.
  if (byte > 2) {
    return Error(start, base::StrCat("invalid bool value ", byte));
  }
  return byte == 1;
}

absl::StatusOr<int8_t> CompactReader::ReadI8() {
  if (pos_ >= in_.size()) {
    return Truncated(pos_, "i8", 1);
  }
  return static_cast<int8_t>(in_[pos_++]);
}

absl::StatusOr<int16_t> CompactReader::ReadI16() {
  const size_t start = pos_;
  CS_ASSIGN_OR_RETURN(const uint64_t raw, ReadVarintFor("i16"));
  if (raw > std::numeric_limits<uint16_t>::max()) {
    return Error(start, base::StrCat("i16 varint ", raw, " out of range"));
  }
  return static_cast<int16_t>(ZigZagDecode32(static_cast<uint32_t>(raw)));
}

absl::StatusOr<int32_t> CompactReader::ReadI32() {
  const size_t start = pos_;
  CS_ASSIGN_OR_RETURN(const uint64_t raw, ReadVarintFor("i32"));
  if (raw > std::numeric_limits<uint32_t>::max()) {
    return Error(start, base::StrCat("i32 varint ", raw, " out of range"));
  }
  return ZigZagDecode32(static_cast<uint32_t>(raw));
}

absl::StatusOr<int64_t> CompactReader::ReadI64() {
  CS_ASSIGN_OR_RETURN(const uint64_t raw, ReadVarintFor("i64"));
  return ZigZagDecode64(raw);
}

absl::StatusOr<double> CompactReader::ReadDouble() {
  if (remaining() < 8) {
    return Truncated(pos_, "double", 8);
  }
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  }
  pos_ += 8;
  return std::bit_cast<double>(bits);
}

absl::StatusOr<std::string_view> CompactReader::ReadBinary() {
  const size_t start = pos_;
  CS_ASSIGN_OR_RETURN(const uint64_t length, ReadVarintFor("binary length"));
  if (length > remaining()) {
    return Error(
        start, base::StrCat("binary length ", length, " exceeds the ", remaining(), " bytes left"));
  }
  std::string_view value = in_.substr(pos_, length);
  pos_ += length;
  return value;
}

absl::StatusOr<ListHeader> CompactReader::ReadListHeader() {
  const size_t start = pos_;
  if (pos_ >= in_.size()) {
    return Truncated(start, "list header", 1);
  }
  const auto byte = static_cast<uint8_t>(in_[pos_++]);
  ListHeader header;
  uint64_t size = byte >> 4;
  if (size == 15) {
    CS_ASSIGN_OR_RETURN(size, ReadVarintFor("list size"));
    if (size > kMaxContainerSize) {
      return Error(start, base::StrCat("list size ", size, " exceeds INT32_MAX"));
    }
  }
  // Some writers put type 0 in the header of an empty list; accept that and nothing else.
  CS_ASSIGN_OR_RETURN(header.element_type, ElementType(byte & 0x0F, start, size == 0));
  // Every element takes at least one byte, so a larger size cannot be honest. Checking here
  // keeps callers from reserving memory for billions of elements.
  if (size > remaining()) {
    return Error(start, base::StrCat("list of ", size, " elements exceeds the ", remaining(),
                                     " bytes left"));
  }
  header.size = static_cast<uint32_t>(size);
  return header;
}

absl::StatusOr<MapHeader> CompactReader::ReadMapHeader() {
  const size_t start = pos_;
  CS_ASSIGN_OR_RETURN(const uint64_t size, ReadVarintFor("map size"));
  MapHeader header;
  if (size == 0) {
    return header;
  }
  if (size > kMaxContainerSize) {
    return Error(start, base::StrCat("map size ", size, " exceeds INT32_MAX"));
  }
  if (pos_ >= in_.size()) {
    return Truncated(pos_, "map key and value types", 1);
  }
  const auto types = static_cast<uint8_t>(in_[pos_++]);
  CS_ASSIGN_OR_RETURN(header.key_type, ElementType(types >> 4, start, false));
  CS_ASSIGN_OR_RETURN(header.value_type, ElementType(types & 0x0F, start, false));
  if (size > remaining() / 2) {
    return Error(
        start, base::StrCat("map of ", size, " entries exceeds the ", remaining(), " bytes left"));
  }
  header.size = static_cast<uint32_t>(size);
  return header;
}

absl::Status CompactReader::ChargeAllocation(size_t bytes) {
  const size_t budget = kAllocationBaseBytes + kAllocationBytesPerInputByte * in_.size();
  if (bytes > budget - allocated_) {
    return Error(pos_, base::StrCat("decoded objects would exceed the allocation budget of ",
                                    budget, " bytes for ", in_.size(), " input bytes"));
  }
  allocated_ += bytes;
  return absl::OkStatus();
}

absl::Status CompactReader::Skip(ValueType type) {
  return SkipAtDepth(type, static_cast<int>(field_id_stack_.size()));
}

absl::Status CompactReader::SkipField(const FieldHeader& field) {
  if (field.type == ValueType::kBool) {
    return absl::OkStatus();
  }
  return Skip(field.type);
}

absl::Status CompactReader::SkipAtDepth(ValueType type, int depth) {
  switch (type) {
    case ValueType::kBool:
      return ReadBool().status();
    case ValueType::kI8:
      return ReadI8().status();
    case ValueType::kI16:
    case ValueType::kI32:
    case ValueType::kI64:
      // Skipping needs no range check beyond the varint itself.
      return ReadVarintFor(ValueTypeName(type)).status();
    case ValueType::kDouble:
      return ReadDouble().status();
    case ValueType::kBinary:
      return ReadBinary().status();
    case ValueType::kUuid:
      if (remaining() < 16) {
        return Truncated(pos_, "uuid", 16);
      }
      pos_ += 16;
      return absl::OkStatus();
    case ValueType::kList:
    case ValueType::kSet: {
      if (depth >= kMaxDepth) {
        return Error(pos_, "containers nested too deeply");
      }
      CS_ASSIGN_OR_RETURN(const ListHeader header, ReadListHeader());
      for (uint32_t i = 0; i < header.size; ++i) {
        CS_RETURN_IF_ERROR(SkipAtDepth(header.element_type, depth + 1));
      }
      return absl::OkStatus();
    }
    case ValueType::kMap: {
      if (depth >= kMaxDepth) {
        return Error(pos_, "containers nested too deeply");
      }
      CS_ASSIGN_OR_RETURN(const MapHeader header, ReadMapHeader());
      for (uint32_t i = 0; i < header.size; ++i) {
        CS_RETURN_IF_ERROR(SkipAtDepth(header.key_type, depth + 1));
        CS_RETURN_IF_ERROR(SkipAtDepth(header.value_type, depth + 1));
      }
      return absl::OkStatus();
    }
    case ValueType::kStruct: {
      if (depth >= kMaxDepth) {
        return Error(pos_, "structs nested too deeply");
      }
      // Skipped structs keep their own field-id state so deltas inside them decode correctly.
      CS_RETURN_IF_ERROR(BeginStruct());
      while (true) {
        CS_ASSIGN_OR_RETURN(const FieldHeader field, ReadFieldHeader());
        if (field.type == ValueType::kStop) {
          break;
        }
        if (field.type != ValueType::kBool) {
          CS_RETURN_IF_ERROR(SkipAtDepth(field.type, depth + 1));
        }
      }
      EndStruct();
      return absl::OkStatus();
    }
    case ValueType::kStop:
      break;
  }
  return Error(pos_, base::StrCat("cannot skip a value of type ", ValueTypeName(type)));
}

}  // namespace cardinalsin::parquet::thrift
