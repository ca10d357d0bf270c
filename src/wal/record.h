// File: record.h
//
// The WAL record framing, version 2 (docs/format/wal.md): a 22-byte little-endian header
//
//   magic "CSWA" | version u8 = 2 | flags u8 = 0 | seq u64 | payload length u32 | crc32c u32
//
// followed by the payload. The CRC-32C covers header bytes [4, 18) (version, flags, seq, length)
// and then the payload, so a torn or flipped length is detected as well as a damaged payload.
//
//   char header[kHeaderSize];
//   EncodeRecordHeader(seq, payload, header);
//   ...
//   RecordHeader h;
//   if (ParseRecordHeader(header, &h) == HeaderCheck::kOk &&
//       RecordCrc(header, payload) == h.crc) { ... }
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cardinalsin::wal {

inline constexpr size_t kHeaderSize = 22;
inline constexpr std::string_view kMagic = "CSWA";
// The layout this code writes and reads. Version 1 is the Rust original's (CRC-32 IEEE over the
// payload only, Arrow IPC payload); it is recognised only to report that it is not supported.
inline constexpr uint8_t kFormatVersion = 2;
inline constexpr uint8_t kOriginalFormatVersion = 1;
// Largest payload a record may carry (1 GiB). Longer declared lengths are corruption.
inline constexpr uint32_t kMaxPayloadBytes = uint32_t{1} << 30;

// Header byte offsets.
inline constexpr size_t kVersionOffset = 4;
inline constexpr size_t kFlagsOffset = 5;
inline constexpr size_t kSeqOffset = 6;
inline constexpr size_t kLengthOffset = 14;
inline constexpr size_t kCrcOffset = 18;

struct RecordHeader {
  uint64_t seq = 0;
  uint32_t length = 0;  // payload bytes
  uint32_t crc = 0;     // as stored
};

// Writes the header of a record with sequence number `seq` and payload `payload` to
// out[0, kHeaderSize).
// REQUIRES: payload.size() <= kMaxPayloadBytes; `out` has kHeaderSize writable bytes.
void EncodeRecordHeader(uint64_t seq, std::string_view payload, char* out);

enum class HeaderCheck {
  kOk,
  kBadMagic,
  kOriginalVersion,  // version 1: the Rust original's layout
  kUnknownVersion,
  kNonzeroFlags,
  kLengthTooLarge,  // declared length > kMaxPayloadBytes
};

// Decodes and checks the fixed fields of the header in bytes[0, kHeaderSize) into *header (filled
// in whenever the magic matches). The CRC is not checked here: it needs the payload (RecordCrc).
HeaderCheck ParseRecordHeader(const char* bytes, RecordHeader* header);

// The CRC-32C a record with header bytes `header` and payload `payload` must store: over header
// bytes [4, 18) then the payload. For payloads read in pieces: RecordCrcStart, then
// base::Crc32cExtend over each piece in order.
uint32_t RecordCrcStart(const char* header);
uint32_t RecordCrc(const char* header, std::string_view payload);

}  // namespace cardinalsin::wal
