// File: wire.h
//
// Protocol Buffers wire format (https://protobuf.dev/programming-guides/encoding/), by hand:
// a zero-copy reader for the ingest hot path (remote write, OTLP) and a writer for the load
// generator and tests. No generated code and no .proto files: each decoder names its field
// numbers from the public specification.
//
//   proto::Reader reader(body);
//   while (!reader.done()) {
//     CS_ASSIGN_OR_RETURN(proto::Field field, reader.Next());
//     if (field.number == 1 && field.type == proto::WireType::kLen) Parse(field.bytes);
//   }
//   CS_RETURN_IF_ERROR(reader.status());
//
// Strings and sub-messages are views into the input, which must outlive them.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cardinalsin::proto {

enum class WireType : uint8_t {
  kVarint = 0,
  kI64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kI32 = 5
};

// One decoded field. `varint` holds VARINT values and the raw bits of I64/I32 values;
// `bytes` holds LEN payloads.
struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t varint = 0;
  std::string_view bytes;

  double AsDouble() const { return std::bit_cast<double>(varint); }
  float AsFloat() const { return std::bit_cast<float>(static_cast<uint32_t>(varint)); }
  int64_t AsInt64() const { return static_cast<int64_t>(varint); }
  int64_t AsSint64() const { return static_cast<int64_t>((varint >> 1) ^ (~(varint & 1) + 1)); }
  bool AsBool() const { return varint != 0; }
};

// Reads one message's fields in order. Groups (wire types 3 and 4, deprecated since proto2) and
// field number 0 are errors; a truncated varint or length is an error naming the byte offset.
class Reader {
 public:
  explicit Reader(std::string_view data)
      : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return pos_ >= end_; }
  size_t offset() const { return static_cast<size_t>(pos_ - begin_); }

  absl::StatusOr<Field> Next() {
    Field field;
    uint64_t tag;
    if (!ReadVarint(&tag)) return Truncated("tag");
    field.number = static_cast<uint32_t>(tag >> 3);
    field.type = static_cast<WireType>(tag & 7);
    if (field.number == 0 || (tag >> 3) > 0x1fffffff) return Corrupt("invalid field number");
    switch (field.type) {
      case WireType::kVarint:
        if (!ReadVarint(&field.varint)) return Truncated("varint");
        break;
      case WireType::kI64:
        if (end_ - pos_ < 8) return Truncated("fixed64");
        std::memcpy(&field.varint, pos_, 8);  // little-endian hosts only (static_assert below)
        pos_ += 8;
        break;
      case WireType::kI32: {
        if (end_ - pos_ < 4) return Truncated("fixed32");
        uint32_t bits;
        std::memcpy(&bits, pos_, 4);
        field.varint = bits;
        pos_ += 4;
        break;
      }
      case WireType::kLen: {
        uint64_t length;
        if (!ReadVarint(&length)) return Truncated("length");
        if (length > static_cast<uint64_t>(end_ - pos_)) return Truncated("length-delimited field");
        field.bytes = std::string_view(pos_, length);
        pos_ += length;
        break;
      }
      default:
        return Corrupt("unsupported wire type " + std::to_string(static_cast<int>(field.type)));
    }
    return field;
  }

 private:
  static_assert(std::endian::native == std::endian::little);

  bool ReadVarint(uint64_t* out) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && pos_ < end_; shift += 7) {
      uint8_t byte = static_cast<uint8_t>(*pos_++);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = result;
        return true;
      }
    }
    return false;
  }
  absl::Status Truncated(std::string_view what) const {
    return absl::InvalidArgumentError("protobuf: truncated or overlong " + std::string(what) +
                                      " at byte " + std::to_string(offset()));
  }
  absl::Status Corrupt(std::string_view what) const {
    return absl::InvalidArgumentError("protobuf: " + std::string(what) + " at byte " +
                                      std::to_string(offset()));
  }

  const char* begin_;
  const char* pos_;
  const char* end_;
};

// Iterates a packed repeated scalar field (the payload of one LEN field).
// Packed varints: `while (!packed.done()) { CS_ASSIGN_OR_RETURN(uint64_t v, packed.NextVarint());
// }`
class PackedReader {
 public:
  explicit PackedReader(std::string_view data)
      : pos_(data.data()), end_(data.data() + data.size()) {}
  bool done() const { return pos_ >= end_; }

  absl::StatusOr<uint64_t> NextVarint() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && pos_ < end_; shift += 7) {
      uint8_t byte = static_cast<uint8_t>(*pos_++);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return result;
    }
    return absl::InvalidArgumentError("protobuf: truncated packed varint");
  }
  absl::StatusOr<uint64_t> NextFixed64() {
    if (end_ - pos_ < 8) return absl::InvalidArgumentError("protobuf: truncated packed fixed64");
    uint64_t bits;
    std::memcpy(&bits, pos_, 8);
    pos_ += 8;
    return bits;
  }

 private:
  const char* pos_;
  const char* end_;
};

// Appends fields to a string. Nested messages: encode the child into its own Writer (or reserve
// with BeginLen/EndLen) and add it with Bytes().
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Varint(uint32_t number, uint64_t value) {
    Tag(number, WireType::kVarint);
    RawVarint(value);
  }
  void Sint64(uint32_t number, int64_t value) {
    Varint(number, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
  }
  void Double(uint32_t number, double value) { Fixed64(number, std::bit_cast<uint64_t>(value)); }
  void Fixed64(uint32_t number, uint64_t bits) {
    Tag(number, WireType::kI64);
    out_->append(reinterpret_cast<const char*>(&bits), 8);
  }
  void Fixed32(uint32_t number, uint32_t bits) {
    Tag(number, WireType::kI32);
    out_->append(reinterpret_cast<const char*>(&bits), 4);
  }
  void Bytes(uint32_t number, std::string_view bytes) {
    Tag(number, WireType::kLen);
    RawVarint(bytes.size());
    out_->append(bytes);
  }

  // For nested messages without a temporary: BeginLen reserves a 5-byte length (enough for
  // 4 GiB... minus one), EndLen fills it in as a padded varint, which every decoder accepts.
  size_t BeginLen(uint32_t number) {
    Tag(number, WireType::kLen);
    size_t at = out_->size();
    out_->append(5, '\0');
    return at;
  }
  void EndLen(size_t at) {
    uint64_t length = out_->size() - at - 5;
    for (int i = 0; i < 5; ++i) {
      (*out_)[at + i] = static_cast<char>((length & 0x7f) | (i < 4 ? 0x80 : 0));
      length >>= 7;
    }
  }

  void RawVarint(uint64_t value) {
    while (value >= 0x80) {
      out_->push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_->push_back(static_cast<char>(value));
  }

 private:
  void Tag(uint32_t number, WireType type) {
    RawVarint((static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(type));
  }

  std::string* out_;
};

}  // namespace cardinalsin::proto
