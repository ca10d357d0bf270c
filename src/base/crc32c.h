// File: crc32c.h
//
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF),
// the checksum of iSCSI, ext4 metadata and SSE4.2's `crc32` instruction. Check value:
// Crc32c("123456789") == 0xE3069283.
//
//   uint32_t crc = base::Crc32c(header_bytes);
//   crc = base::Crc32cExtend(crc, payload);   // == Crc32c(header_bytes + payload)
//
// Uses the SSE4.2 instruction when the CPU has it (checked once at run time) and a portable
// slicing-by-8 table otherwise; both give identical results.
//
// Thread-safety: all functions are pure and safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cardinalsin::base {

// Returns the CRC-32C of `data[0, n)` appended to data whose CRC-32C is `crc` (0 for none), so
// Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
// REQUIRES: `data` points to `n` readable bytes (may be null when n == 0).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);

inline uint32_t Crc32cExtend(uint32_t crc, std::string_view data) {
  return Crc32cExtend(crc, data.data(), data.size());
}

inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

namespace internal {
// The two implementations behind Crc32cExtend, exposed so tests and benchmarks can compare them.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n);
// REQUIRES: Crc32cHardwareAvailable().
uint32_t Crc32cExtendHardware(uint32_t crc, const void* data, size_t n);
// True when this CPU has the SSE4.2 crc32 instruction (always false off x86-64).
bool Crc32cHardwareAvailable();
}  // namespace internal

}  // namespace cardinalsin::base
