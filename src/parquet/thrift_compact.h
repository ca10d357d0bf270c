// File: thrift_compact.h
//
// A hand-written codec for the Apache Thrift Compact Protocol (the encoding of all Parquet
// metadata), written from the public specification
// (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md). Only the
// parts Parquet needs: structs, unions, lists, sets, maps and the base types. There is no message
// framing and no libthrift.
//
// Wire summary (details in the .cc):
//   varint      unsigned LEB128, at most 10 bytes
//   i8          one byte; i16 / i32 / i64 are zigzag varints
//   double      8 bytes, little-endian IEEE 754 (unlike the binary protocol)
//   binary      varint length, then the bytes (strings are UTF-8 binaries)
//   field       short form `ddddtttt` (d = id delta 1..15) or long form `0000tttt` + zigzag i16 id;
//               bool fields fold their value into tttt (1 = true, 2 = false) and have no payload
//   struct      fields, then a 0x00 stop byte; field id deltas restart at 0 in each struct
//   list / set  `sssstttt` when size < 15, else `1111tttt` + varint size; bool elements are one
//               byte each (1 = true; 0 or 2 = false)
//   map         0x00 when empty, else varint size + `kkkkvvvv`
//
// CompactWriter appends to a std::string and cannot fail; its REQUIRES are programmer errors.
// CompactReader reads untrusted bytes: every length is checked against the bytes left, varints
// are at most 10 bytes and must fit the type read, nesting is limited to kMaxDepth, and a list,
// set or map may not claim more elements than there are bytes left (every element takes at least
// one byte), so a corrupt size can never cause a large allocation. Errors are DataLossError
// naming what was being read and the byte offset within the reader's input.
//
//   std::string out;
//   thrift::CompactWriter w(&out);
//   w.BeginStruct();
//   w.WriteI32Field(1, 42);
//   w.WriteFieldHeader(2, thrift::ValueType::kList);
//   w.WriteListHeader(thrift::ValueType::kBinary, 1);
//   w.WriteBinary("a");
//   w.EndStruct();
//
//   thrift::CompactReader r(out);
//   CS_RETURN_IF_ERROR(r.BeginStruct());
//   while (true) {
//     CS_ASSIGN_OR_RETURN(thrift::FieldHeader field, r.ReadFieldHeader());
//     if (field.type == thrift::ValueType::kStop) break;
//     CS_RETURN_IF_ERROR(r.SkipField(field));  // or read the fields you know
//   }
//   r.EndStruct();
//
// Thread-safety: none; each reader and writer is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cardinalsin::parquet::thrift {

// The value types of the compact protocol. The enumerator values are the element-type codes
// written in list, set and map headers. kBool is written as 1, as Apache Thrift's Java and C++
// libraries (and hence parquet-mr and Arrow) do; readers accept 1 and 2.
enum class ValueType : uint8_t {
  kStop = 0,  // only as a field type: the end of a struct
  kBool = 1,
  kI8 = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
  kUuid = 13,  // 16 raw bytes; never used by Parquet, but skippable
};

// "i32", "struct", ... for messages; "type(N)" for values outside the enum.
std::string ValueTypeName(ValueType type);

constexpr uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}
constexpr uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr int32_t ZigZagDecode32(uint32_t v) {
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Appends `v` as an unsigned LEB128 varint (1 to 10 bytes).
void AppendVarint(uint64_t v, std::string* out);

// Appends compact-protocol values to a string.
//
// Ownership: does not own `out`, which must outlive the writer. Bytes are appended after
// whatever `out` already holds.
class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  CompactWriter(const CompactWriter&) = delete;
  CompactWriter& operator=(const CompactWriter&) = delete;

  // Starts a struct (or union): the top-level one, a struct field's value after its header, or a
  // list element. Field id deltas restart for the new struct.
  void BeginStruct();
  // Writes the stop byte and returns to the enclosing struct's field ids.
  // REQUIRES: a matching BeginStruct().
  void EndStruct();

  // Writes a field header: the short form when the id is 1..15 above the previous field's id in
  // this struct, else the long form (any id, including decreasing or negative ones).
  // REQUIRES: inside a struct; type is not kStop or kBool (use WriteBoolField).
  void WriteFieldHeader(int16_t id, ValueType type);
  // A bool field: the value is folded into the header; there is no payload.
  void WriteBoolField(int16_t id, bool value);

  // Values: field payloads (after WriteFieldHeader) or container elements.
  void WriteBool(bool value);  // container elements only: one byte, 1 or 2
  void WriteI8(int8_t value);
  void WriteI16(int16_t value);
  void WriteI32(int32_t value);
  void WriteI64(int64_t value);
  void WriteDouble(double value);
  void WriteBinary(std::string_view value);
  // REQUIRES: element_type is not kStop; size <= INT32_MAX. Then write `size` elements.
  void WriteListHeader(ValueType element_type, size_t size);
  void WriteSetHeader(ValueType element_type, size_t size) { WriteListHeader(element_type, size); }
  // REQUIRES: neither type is kStop; size <= INT32_MAX. Then write `size` key, value pairs.
  void WriteMapHeader(ValueType key_type, ValueType value_type, size_t size);

  // Header plus value.
  void WriteI8Field(int16_t id, int8_t value);
  void WriteI16Field(int16_t id, int16_t value);
  void WriteI32Field(int16_t id, int32_t value);
  void WriteI64Field(int16_t id, int64_t value);
  void WriteDoubleField(int16_t id, double value);
  void WriteBinaryField(int16_t id, std::string_view value);

  // Structs begun and not yet ended.
  size_t depth() const { return field_id_stack_.size(); }  // NOLINT(readability-identifier-naming)

 private:
  void WriteByte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void WriteFieldHeaderByte(int16_t id, uint8_t type_code);

  std::string* const out_;
  int16_t last_field_id_ = 0;
  // The enclosing structs' last field ids.
  std::vector<int16_t> field_id_stack_;
};

struct FieldHeader {
  int16_t id = 0;
  ValueType type = ValueType::kStop;  // kStop: the struct has ended; id is meaningless
  bool bool_value = false;            // the value of a kBool field (it has no payload)
};

struct ListHeader {
  ValueType element_type = ValueType::kStop;  // kStop only for an empty list written that way
  uint32_t size = 0;                          // <= INT32_MAX and <= the bytes left
};

struct MapHeader {
  ValueType key_type = ValueType::kStop;    // kStop for an empty map
  ValueType value_type = ValueType::kStop;  // kStop for an empty map
  uint32_t size = 0;                        // <= INT32_MAX and 2 * size <= the bytes left
};

// Reads compact-protocol values from untrusted bytes.
//
// Ownership: does not copy `in`, which must outlive the reader and every string_view it returns.
// After an error the reader's position is unspecified; stop using it.
class CompactReader {
 public:
  // Structs, lists, sets and maps nested deeper than this are DataLoss. Parquet's deepest path
  // (FileMetaData > row_groups > RowGroup > columns > ColumnChunk > meta_data > statistics) uses
  // well under 16.
  static constexpr int kMaxDepth = 64;

  explicit CompactReader(std::string_view in) : in_(in) {}
  // A temporary string would dangle.
  explicit CompactReader(std::string&& in) = delete;

  CompactReader(const CompactReader&) = delete;
  CompactReader& operator=(const CompactReader&) = delete;

  // Enters a struct (or union): field id deltas restart. DataLoss beyond kMaxDepth.
  [[nodiscard]] absl::Status BeginStruct();
  // Reads the next field header of the current struct. Returns type kStop at the struct's end;
  // call EndStruct() then. DataLoss for an unknown type code or a field id outside int16.
  [[nodiscard]] absl::StatusOr<FieldHeader> ReadFieldHeader();
  // Leaves the struct whose stop field ReadFieldHeader() just returned.
  // REQUIRES: a matching successful BeginStruct().
  void EndStruct();

  // Values, each DataLoss if the input ends early or the value does not fit its type.
  [[nodiscard]] absl::StatusOr<bool> ReadBool();  // container elements; 1 true, 0 or 2 false
  [[nodiscard]] absl::StatusOr<int8_t> ReadI8();
  [[nodiscard]] absl::StatusOr<int16_t> ReadI16();
  [[nodiscard]] absl::StatusOr<int32_t> ReadI32();
  [[nodiscard]] absl::StatusOr<int64_t> ReadI64();
  [[nodiscard]] absl::StatusOr<double> ReadDouble();
  // The view points into the reader's input.
  [[nodiscard]] absl::StatusOr<std::string_view> ReadBinary();
  // Reads a list (or set) header. The caller reads exactly `size` elements afterwards; there is
  // no end marker. Nesting of lists is not counted towards kMaxDepth here (Skip counts it).
  [[nodiscard]] absl::StatusOr<ListHeader> ReadListHeader();
  [[nodiscard]] absl::StatusOr<ListHeader> ReadSetHeader() { return ReadListHeader(); }
  [[nodiscard]] absl::StatusOr<MapHeader> ReadMapHeader();
  // An unsigned varint of at most 10 bytes that fits in 64 bits.
  [[nodiscard]] absl::StatusOr<uint64_t> ReadVarint();

  // Skips one value of `type` in element context (a bool is one byte), recursing into structs,
  // lists, sets and maps up to kMaxDepth. DataLoss for malformed input or type kStop.
  [[nodiscard]] absl::Status Skip(ValueType type);
  // Skips the payload of the field whose header was just read (nothing for a bool field).
  [[nodiscard]] absl::Status SkipField(const FieldHeader& field);

  // Allocation accounting for decoders that build objects from the input. Every element a list
  // may claim is backed by at least one input byte, but an empty struct is one byte on the wire
  // and may be hundreds in memory; decoders report what they allocate (element counts times
  // object sizes, string lengths) so a small corrupt input cannot become gigabytes of objects.
  // Returns DataLoss once the total passes the budget: kAllocationBytesPerInputByte per input
  // byte plus kAllocationBaseBytes. Real Parquet metadata stays far below it (about 5 to 30
  // bytes of objects per input byte).
  static constexpr size_t kAllocationBytesPerInputByte = 64;
  static constexpr size_t kAllocationBaseBytes = size_t{1} << 20;
  [[nodiscard]] absl::Status ChargeAllocation(size_t bytes);

  // Bytes consumed so far, and left.
  size_t offset() const { return pos_; }                  // NOLINT(readability-identifier-naming)
  size_t remaining() const { return in_.size() - pos_; }  // NOLINT(readability-identifier-naming)

 private:
  absl::Status Error(size_t at, std::string_view what) const;
  absl::Status Truncated(size_t at, std::string_view what, size_t needed) const;
  absl::StatusOr<uint64_t> ReadVarintFor(std::string_view what);
  absl::StatusOr<ValueType> ElementType(uint8_t code, size_t at, bool allow_stop) const;
  absl::Status SkipAtDepth(ValueType type, int depth);

  std::string_view in_;
  size_t pos_ = 0;
  size_t allocated_ = 0;
  int16_t last_field_id_ = 0;
  std::vector<int16_t> field_id_stack_;
};

}  // namespace cardinalsin::parquet::thrift
