#include "wal/record.h"

#include <cstring>

#include "base/check.h"
#include "base/crc32c.h"

namespace cardinalsin::wal {
namespace {

void PutU32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

void PutU64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

uint64_t GetU64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

}  // namespace

void EncodeRecordHeader(uint64_t seq, std::string_view payload, char* out) {
  CS_DCHECK(payload.size() <= kMaxPayloadBytes);
  std::memcpy(out, kMagic.data(), kMagic.size());
  out[kVersionOffset] = static_cast<char>(kFormatVersion);
  out[kFlagsOffset] = 0;
  PutU64(out + kSeqOffset, seq);
  PutU32(out + kLengthOffset, static_cast<uint32_t>(payload.size()));
  PutU32(out + kCrcOffset, RecordCrc(out, payload));
}

HeaderCheck ParseRecordHeader(const char* bytes, RecordHeader* header) {
  if (std::memcmp(bytes, kMagic.data(), kMagic.size()) != 0) return HeaderCheck::kBadMagic;
  header->seq = GetU64(bytes + kSeqOffset);
  header->length = GetU32(bytes + kLengthOffset);
  header->crc = GetU32(bytes + kCrcOffset);
  const auto version = static_cast<uint8_t>(bytes[kVersionOffset]);
  if (version == kOriginalFormatVersion) return HeaderCheck::kOriginalVersion;
  if (version != kFormatVersion) return HeaderCheck::kUnknownVersion;
  if (bytes[kFlagsOffset] != 0) return HeaderCheck::kNonzeroFlags;
  if (header->length > kMaxPayloadBytes) return HeaderCheck::kLengthTooLarge;
  return HeaderCheck::kOk;
}

uint32_t RecordCrcStart(const char* header) {
  return base::Crc32cExtend(0, header + kVersionOffset, kCrcOffset - kVersionOffset);
}

uint32_t RecordCrc(const char* header, std::string_view payload) {
  return base::Crc32cExtend(RecordCrcStart(header), payload);
}

}  // namespace cardinalsin::wal
