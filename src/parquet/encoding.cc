#include "parquet/encoding.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace cardinalsin::parquet {
namespace {

// PLAIN is little-endian; decoding copies bytes straight into native values.
static_assert(std::endian::native == std::endian::little, "encoding.cc assumes little-endian");

constexpr std::string_view kRle = "RLE/bit-packed hybrid";
constexpr std::string_view kDelta = "DELTA_BINARY_PACKED";

// Spec limit on one run's length (Encodings.md#RLE, note 3).
constexpr uint64_t kMaxRunLength = (uint64_t{1} << 31) - 1;
// Runs of at least this many equal values are written as RLE runs.
constexpr size_t kMinRleRun = 8;

// DELTA_BINARY_PACKED layout written by the encoder.
constexpr size_t kDeltaBlockSize = 128;
constexpr size_t kDeltaMiniblocks = 4;
constexpr size_t kDeltaMiniblockSize = kDeltaBlockSize / kDeltaMiniblocks;
// Largest block size the decoder accepts: writers use 128 to a few thousand.
constexpr uint64_t kMaxDeltaBlockSize = uint64_t{1} << 20;

// DELTA_BYTE_ARRAY can expand enormously (every value may repeat a long prefix); refuse to
// decode one page into more than this.
constexpr uint64_t kMaxDeltaByteArrayOutput = uint64_t{1} << 32;

absl::Status Corrupt(std::string_view encoding, size_t offset, std::string_view what) {
  return absl::DataLossError(absl::StrFormat("%s: %s (at byte %d)", encoding, what, offset));
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

template <typename T>
T LoadLittleEndian(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

template <typename T>
void AppendLittleEndian(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void AppendUleb128(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

uint64_t ZigZagEncode(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

int64_t ZigZagDecode(uint64_t value) {
  return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

// Reads a ULEB128 value of at most 64 bits at in[*pos], advancing *pos. False if truncated, longer
// than 10 bytes or overflowing 64 bits.
bool ReadUleb128(std::string_view in, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= in.size()) {
      return false;
    }
    const uint8_t byte = static_cast<uint8_t>(in[(*pos)++]);
    const uint64_t bits = byte & 0x7f;
    if (shift == 63 && bits > 1) {
      return false;
    }
    result |= bits << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

constexpr uint64_t LowMask(int bit_width) {
  return bit_width >= 64 ? ~uint64_t{0} : (uint64_t{1} << bit_width) - 1;
}

// ---------------------------------------------------------------------------------------------
// Bit packing of 8-value groups (LSB first). A group of width W occupies exactly W bytes.

// Value K of a group: one unaligned 64-bit load and a shift, plus one more byte when the value
// straddles the load (only possible for W > 56). Reads in[0, W + 8).
template <int W, int K>
inline uint64_t ExtractValue(const uint8_t* in) {
  constexpr int kBit = K * W;
  constexpr int kByte = kBit / 8;
  constexpr int kShift = kBit % 8;
  uint64_t value = LoadLittleEndian<uint64_t>(in + kByte) >> kShift;
  if constexpr (kShift + W > 64) {
    value |= static_cast<uint64_t>(in[kByte + 8]) << (64 - kShift);
  }
  return value & LowMask(W);
}

// Unpacks `groups` groups of 8 values. REQUIRES: in[0, groups * W + 8) is readable.
template <int W, typename Out>
void UnpackGroups(const uint8_t* in, size_t groups, Out* out) {
  for (size_t g = 0; g < groups; ++g, in += W, out += 8) {
    if constexpr (W == 0) {
      std::fill_n(out, 8, Out{0});
    } else {
      [&]<int... K>(std::integer_sequence<int, K...>) {
        ((out[K] = static_cast<Out>(ExtractValue<W, K>(in))), ...);
      }
      (std::make_integer_sequence<int, 8>{});
    }
  }
}

template <typename Out>
using UnpackFn = void (*)(const uint8_t*, size_t, Out*);

template <typename Out, int... W>
constexpr auto MakeUnpackTable(std::integer_sequence<int, W...>) {
  return std::array<UnpackFn<Out>, sizeof...(W)>{&UnpackGroups<W, Out>...};
}

// Widths 0..64 for 64-bit outputs (DELTA_BINARY_PACKED), 0..32 otherwise (the hybrid).
template <typename Out>
constexpr auto kUnpackTable =
    MakeUnpackTable<Out>(std::make_integer_sequence<int, sizeof(Out) == 8 ? 65 : 33>{});

// Unpacks `groups` groups of width `bit_width` from `in`, of which `available` bytes may be read.
// Groups whose 8-byte read window would cross the end are unpacked from a zero-padded copy.
// REQUIRES: groups * bit_width <= available, 0 <= bit_width <= 64.
template <typename Out>
void UnpackGroupsBounded(const uint8_t* in, size_t available, int bit_width, size_t groups,
                         Out* out) {
  const UnpackFn<Out> unpack = kUnpackTable<Out>[bit_width];
  size_t direct = groups;
  if (bit_width > 0) {
    direct = std::min(groups, available >= 8 ? (available - 8) / bit_width : 0);
  }
  unpack(in, direct, out);
  for (size_t g = direct; g < groups; ++g) {
    uint8_t padded[64 + 8] = {};
    std::memcpy(padded, in + g * bit_width, bit_width);
    unpack(padded, 1, out + g * 8);
  }
}

// Packs 8 values (each < 2^bit_width) into exactly bit_width bytes at `dst`.
void PackGroup(const uint64_t* values, int bit_width, uint8_t* dst) {
  uint64_t acc = 0;
  int bits = 0;
  // Values enter the accumulator at most 32 bits at a time so it never holds more than 39.
  auto push = [&](uint64_t v, int n) {
    acc |= v << bits;
    bits += n;
    while (bits >= 8) {
      *dst++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  };
  for (int k = 0; k < 8; ++k) {
    if (bit_width <= 32) {
      push(values[k], bit_width);
    } else {
      push(values[k] & 0xffffffffu, 32);
      push(values[k] >> 32, bit_width - 32);
    }
  }
}

void AppendPackedGroup(const uint64_t* values, int bit_width, std::string* out) {
  const size_t start = out->size();
  out->resize(start + bit_width);
  PackGroup(values, bit_width, reinterpret_cast<uint8_t*>(out->data() + start));
}

// ---------------------------------------------------------------------------------------------
// RLE / bit-packing hybrid.

// `get(i)` returns value i (< 2^bit_width).
template <typename Get>
void EncodeHybrid(size_t n, Get get, int bit_width, std::string* out) {
  CS_CHECK(bit_width >= 0 && bit_width <= 32);
  const uint64_t mask = LowMask(bit_width);
  const size_t value_bytes = (bit_width + 7) / 8;

  // Writes values [begin, end) as bit-packed runs, zero-padding the last group.
  auto flush_literals = [&](size_t begin, size_t end) {
    constexpr size_t kMaxGroupsPerRun = kMaxRunLength / 8;
    while (begin < end) {
      const size_t groups = std::min((end - begin + 7) / 8, kMaxGroupsPerRun);
      AppendUleb128(out, (uint64_t{groups} << 1) | 1);
      const size_t start = out->size();
      out->resize(start + groups * bit_width);
      auto* packed = reinterpret_cast<uint8_t*>(out->data() + start);
      for (size_t g = 0; g < groups; ++g) {
        uint64_t group[8] = {};
        const size_t first = begin + g * 8;
        if (first + 8 <= end) {
          for (size_t k = 0; k < 8; ++k) group[k] = get(first + k) & mask;
        } else {
          for (size_t k = 0; first + k < end; ++k) group[k] = get(first + k) & mask;
        }
        PackGroup(group, bit_width, packed + g * bit_width);
      }
      begin = std::min(end, begin + groups * 8);
    }
  };
  auto emit_rle = [&](uint32_t value, size_t count) {
    while (count > 0) {
      const size_t run = std::min<size_t>(count, kMaxRunLength);
      AppendUleb128(out, uint64_t{run} << 1);
      for (size_t b = 0; b < value_bytes; ++b) {
        out->push_back(static_cast<char>(value >> (8 * b)));
      }
      count -= run;
    }
  };

  size_t literal_start = 0;
  size_t i = 0;
  while (i < n) {
    const uint32_t value = get(i);
    size_t j = i + 1;
    while (j < n && get(j) == value) {
      ++j;
    }
    size_t run_start = i;
    i = j;
    if (j - run_start < kMinRleRun) {
      continue;
    }
    // A bit-packed run holds whole groups of 8, so values before an RLE run are padded out to a
    // group boundary with values taken from the run itself.
    const size_t pad = (8 - (run_start - literal_start) % 8) % 8;
    if (j - run_start - pad < kMinRleRun) {
      continue;
    }
    run_start += pad;
    flush_literals(literal_start, run_start);
    emit_rle(value & static_cast<uint32_t>(mask), j - run_start);
    literal_start = j;
  }
  flush_literals(literal_start, n);
}

// If `max_value` is not null, it receives the largest value decoded (0 if none), computed per
// run so that long RLE runs cost nothing extra.
template <typename Out>
absl::Status DecodeHybrid(std::string_view in, int bit_width, std::span<Out> out,
                          std::string_view encoding, size_t base_offset,
                          uint32_t* max_value = nullptr) {
  uint32_t max_seen = 0;
  if (bit_width < 0 || bit_width > 32) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: bit width %d not in 0..32", encoding, bit_width));
  }
  const uint8_t* data = Bytes(in);
  const size_t value_bytes = (bit_width + 7) / 8;
  const size_t n = out.size();
  size_t produced = 0;
  size_t pos = 0;
  while (produced < n) {
    const size_t header_pos = pos;
    uint64_t header = 0;
    if (!ReadUleb128(in, &pos, &header)) {
      return Corrupt(
          encoding, base_offset + header_pos,
          absl::StrFormat("truncated or malformed run header after %d of %d values", produced, n));
    }
    if ((header & 1) == 0) {
      const uint64_t run = header >> 1;
      if (in.size() - pos < value_bytes) {
        return Corrupt(encoding, base_offset + pos, "truncated RLE run value");
      }
      uint32_t value = 0;
      for (size_t b = 0; b < value_bytes; ++b) {
        value |= uint32_t{data[pos + b]} << (8 * b);
      }
      pos += value_bytes;
      if ((value & ~static_cast<uint32_t>(LowMask(bit_width))) != 0) {
        return Corrupt(encoding, base_offset + pos - value_bytes,
                       absl::StrFormat("RLE value %d does not fit in %d bits", value, bit_width));
      }
      const size_t take = static_cast<size_t>(std::min<uint64_t>(run, n - produced));
      std::fill_n(out.data() + produced, take, static_cast<Out>(value));
      produced += take;
      if (take > 0) {
        max_seen = std::max(max_seen, value);
      }
      continue;
    }
    const uint64_t groups = header >> 1;
    const size_t available = in.size() - pos;
    // Only the values still wanted must be present: a final run may be cut short after them.
    const size_t wanted_groups =
        static_cast<size_t>(std::min<uint64_t>(groups, (n - produced + 7) / 8));
    const size_t wanted = std::min(wanted_groups * 8, n - produced);
    const size_t wanted_bytes = (wanted * bit_width + 7) / 8;
    if (available < wanted_bytes) {
      return Corrupt(encoding, base_offset + pos,
                     absl::StrFormat("bit-packed run needs %d bytes for %d values, %d left",
                                     wanted_bytes, wanted, available));
    }
    const size_t full_groups = wanted / 8;
    UnpackGroupsBounded(data + pos, available, bit_width, full_groups, out.data() + produced);
    if (const size_t tail = wanted % 8; tail > 0) {
      const size_t offset = full_groups * bit_width;
      uint8_t padded[32 + 8] = {};
      std::memcpy(padded, data + pos + offset, std::min<size_t>(bit_width, available - offset));
      Out values[8];
      kUnpackTable<Out>[bit_width](padded, 1, values);
      std::copy_n(values, tail, out.data() + produced + full_groups * 8);
    }
    if (max_value != nullptr) {
      // A plain loop (no early exit) that the compiler can vectorise.
      Out run_max = 0;
      for (size_t i = produced; i < produced + wanted; ++i) {
        run_max = std::max(run_max, out[i]);
      }
      max_seen = std::max<uint32_t>(max_seen, run_max);
    }
    produced += wanted;
    // groups * bit_width may exceed the input (and size_t) only for a final, cut-short run.
    if (bit_width > 0 && groups > available / bit_width) {
      pos = in.size();
    } else {
      pos += static_cast<size_t>(groups) * bit_width;
    }
  }
  if (max_value != nullptr) {
    *max_value = max_seen;
  }
  return absl::OkStatus();
}

template <typename Out>
absl::Status DecodeHybridWithLength(std::string_view in, int bit_width, std::span<Out> out,
                                    size_t* consumed, std::string_view encoding) {
  if (in.size() < 4) {
    return Corrupt(encoding, 0, "missing the 4-byte length prefix");
  }
  const uint32_t length = LoadLittleEndian<uint32_t>(Bytes(in));
  if (length > in.size() - 4) {
    return Corrupt(
        encoding, 0,
        absl::StrFormat("length prefix %d exceeds the %d bytes left", length, in.size() - 4));
  }
  CS_RETURN_IF_ERROR(DecodeHybrid(in.substr(4, length), bit_width, out, encoding, 4));
  if (consumed != nullptr) {
    *consumed = 4 + size_t{length};
  }
  return absl::OkStatus();
}

template <typename Get>
void EncodeHybridWithLength(size_t n, Get get, int bit_width, std::string* out) {
  const size_t start = out->size();
  out->append(4, '\0');
  EncodeHybrid(n, get, bit_width, out);
  const uint32_t length = static_cast<uint32_t>(out->size() - start - 4);
  std::memcpy(out->data() + start, &length, 4);
}

// ---------------------------------------------------------------------------------------------
// DELTA_BINARY_PACKED, in the unsigned type U of the physical width (uint32_t or uint64_t) so
// that all arithmetic wraps as the spec requires.

template <typename U>
void EncodeDelta(std::span<const U> values, std::string* out) {
  using S = std::make_signed_t<U>;
  const size_t n = values.size();
  AppendUleb128(out, kDeltaBlockSize);
  AppendUleb128(out, kDeltaMiniblocks);
  AppendUleb128(out, n);
  AppendUleb128(out, ZigZagEncode(n == 0 ? 0 : static_cast<S>(values[0])));
  uint64_t deltas[kDeltaBlockSize];
  for (size_t i = 1; i < n;) {
    const size_t count = std::min(kDeltaBlockSize, n - i);
    S min_delta = std::numeric_limits<S>::max();
    for (size_t k = 0; k < count; ++k) {
      const U delta = static_cast<U>(values[i + k] - values[i + k - 1]);
      deltas[k] = delta;
      min_delta = std::min(min_delta, static_cast<S>(delta));
    }
    AppendUleb128(out, ZigZagEncode(min_delta));
    for (size_t k = 0; k < count; ++k) {
      deltas[k] = static_cast<U>(static_cast<U>(deltas[k]) - static_cast<U>(min_delta));
    }
    std::fill(deltas + count, deltas + kDeltaBlockSize, 0);
    int widths[kDeltaMiniblocks] = {};
    for (size_t m = 0; m * kDeltaMiniblockSize < count; ++m) {
      const uint64_t* mini = deltas + m * kDeltaMiniblockSize;
      widths[m] = BitWidth(*std::max_element(mini, mini + kDeltaMiniblockSize));
    }
    for (int width : widths) {
      out->push_back(static_cast<char>(width));
    }
    for (size_t m = 0; m * kDeltaMiniblockSize < count; ++m) {
      for (size_t g = 0; g < kDeltaMiniblockSize / 8; ++g) {
        AppendPackedGroup(deltas + m * kDeltaMiniblockSize + g * 8, widths[m], out);
      }
    }
    i += count;
  }
}

struct DeltaHeader {
  uint64_t block_size = 0;
  uint64_t miniblocks = 0;
  uint64_t total = 0;
  int64_t first = 0;
  size_t end = 0;  // offset of the first block
};

absl::StatusOr<DeltaHeader> ReadDeltaHeader(std::string_view in, std::string_view encoding,
                                            size_t base_offset) {
  DeltaHeader h;
  size_t pos = 0;
  uint64_t first = 0;
  if (!ReadUleb128(in, &pos, &h.block_size) || !ReadUleb128(in, &pos, &h.miniblocks) ||
      !ReadUleb128(in, &pos, &h.total) || !ReadUleb128(in, &pos, &first)) {
    return Corrupt(encoding, base_offset + pos, "truncated or malformed header");
  }
  h.first = ZigZagDecode(first);
  h.end = pos;
  if (h.block_size == 0 || h.block_size % 128 != 0 || h.block_size > kMaxDeltaBlockSize) {
    return Corrupt(encoding, base_offset,
                   absl::StrFormat("block size %d is not a multiple of 128 in 128..%d",
                                   h.block_size, kMaxDeltaBlockSize));
  }
  if (h.miniblocks == 0 || h.block_size % h.miniblocks != 0 ||
      (h.block_size / h.miniblocks) % 8 != 0) {
    return Corrupt(encoding, base_offset,
                   absl::StrFormat("%d miniblocks do not divide the block size %d into multiples "
                                   "of 8 values",
                                   h.miniblocks, h.block_size));
  }
  // Every block costs at least one byte of min delta and one per miniblock width, so a count
  // the remaining bytes cannot hold is corrupt (and must not size any allocation).
  const uint64_t max_blocks = (in.size() - pos) / (1 + h.miniblocks);
  if (h.total > 1 && (h.total - 2) / h.block_size >= max_blocks) {
    return Corrupt(encoding, base_offset,
                   absl::StrFormat("header claims %d values, more than the %d bytes that follow "
                                   "can hold",
                                   h.total, in.size() - pos));
  }
  return h;
}

template <typename U>
absl::Status DecodeDelta(std::string_view in, std::span<U> out, size_t* consumed,
                         std::string_view encoding, size_t base_offset) {
  CS_ASSIGN_OR_RETURN(const DeltaHeader h, ReadDeltaHeader(in, encoding, base_offset));
  if (h.total != out.size()) {
    return Corrupt(encoding, base_offset,
                   absl::StrFormat("header holds %d values, expected %d", h.total, out.size()));
  }
  size_t pos = h.end;
  const uint8_t* data = Bytes(in);
  const size_t n = out.size();
  if (n > 0) {
    out[0] = static_cast<U>(h.first);
  }
  U previous = n > 0 ? out[0] : 0;
  size_t produced = n > 0 ? 1 : 0;
  const size_t miniblock_size = h.block_size / h.miniblocks;
  while (produced < n) {
    uint64_t min_delta_zigzag = 0;
    const size_t block_pos = pos;
    if (!ReadUleb128(in, &pos, &min_delta_zigzag)) {
      return Corrupt(encoding, base_offset + block_pos,
                     absl::StrFormat("truncated block header after %d of %d values", produced, n));
    }
    const U min_delta = static_cast<U>(ZigZagDecode(min_delta_zigzag));
    if (in.size() - pos < h.miniblocks) {
      return Corrupt(encoding, base_offset + pos, "truncated miniblock bit widths");
    }
    const uint8_t* widths = data + pos;
    pos += h.miniblocks;
    for (uint64_t m = 0; m < h.miniblocks && produced < n; ++m) {
      const int width = widths[m];
      if (width > 64) {
        return Corrupt(encoding, base_offset + (widths - data) + m,
                       absl::StrFormat("miniblock bit width %d exceeds 64", width));
      }
      const size_t miniblock_bytes = miniblock_size / 8 * width;
      if (in.size() - pos < miniblock_bytes) {
        return Corrupt(encoding, base_offset + pos,
                       absl::StrFormat("truncated miniblock: needs %d bytes, %d left",
                                       miniblock_bytes, in.size() - pos));
      }
      const size_t take = std::min(miniblock_size, n - produced);
      U* dst = out.data() + produced;
      if (width == 0) {
        for (size_t k = 0; k < take; ++k) {
          previous += min_delta;
          dst[k] = previous;
        }
      } else {
        // Unpack a few groups at a time into a small buffer, then prefix-sum.
        constexpr size_t kChunkGroups = 32;
        uint64_t buffer[kChunkGroups * 8];
        for (size_t done = 0; done < take;) {
          const size_t groups = std::min(kChunkGroups, (take - done + 7) / 8);
          const size_t offset = pos + done / 8 * width;
          UnpackGroupsBounded(data + offset, in.size() - offset, width, groups, buffer);
          const size_t count = std::min(groups * 8, take - done);
          for (size_t k = 0; k < count; ++k) {
            previous += min_delta + static_cast<U>(buffer[k]);
            dst[done + k] = previous;
          }
          done += count;
        }
      }
      produced += take;
      pos += miniblock_bytes;
    }
  }
  if (consumed != nullptr) {
    *consumed = pos;
  }
  return absl::OkStatus();
}

template <typename T>
std::span<std::make_unsigned_t<T>> AsUnsigned(std::span<T> values) {
  // Signed and unsigned variants of one integer type may alias each other.
  return {reinterpret_cast<std::make_unsigned_t<T>*>(values.data()), values.size()};
}

template <typename T>
std::span<const std::make_unsigned_t<T>> AsUnsigned(std::span<const T> values) {
  return {reinterpret_cast<const std::make_unsigned_t<T>*>(values.data()), values.size()};
}

// Decodes the lengths of a DELTA_LENGTH_BYTE_ARRAY stream and checks they are non-negative.
absl::Status DecodeLengths(std::string_view in, size_t count, std::vector<int32_t>* lengths,
                           uint64_t* total, size_t* consumed, std::string_view encoding,
                           size_t base_offset) {
  // The header is checked before sizing `lengths` by a count that comes from a page header.
  CS_ASSIGN_OR_RETURN(const DeltaHeader h, ReadDeltaHeader(in, encoding, base_offset));
  if (h.total != count) {
    return Corrupt(encoding, base_offset,
                   absl::StrFormat("header holds %d values, expected %d", h.total, count));
  }
  lengths->resize(count);
  CS_RETURN_IF_ERROR(DecodeDelta<uint32_t>(in, AsUnsigned(std::span<int32_t>(*lengths)), consumed,
                                           encoding, base_offset));
  *total = 0;
  for (size_t i = 0; i < count; ++i) {
    if ((*lengths)[i] < 0) {
      return Corrupt(encoding, base_offset,
                     absl::StrFormat("value %d has negative length %d", i, (*lengths)[i]));
    }
    *total += static_cast<uint64_t>((*lengths)[i]);
  }
  return absl::OkStatus();
}

void EncodeLengthsAndBytes(const std::vector<int32_t>& lengths, std::string_view bytes,
                           std::string* out) {
  EncodeDelta<uint32_t>(AsUnsigned(std::span<const int32_t>(lengths)), out);
  out->append(bytes);
}

// One step of an in-register byte-matrix transpose: swaps the block of `a` above the diagonal
// with the block of `b` below it.
inline void SwapBlocks(uint64_t& a, uint64_t& b, int shift, uint64_t mask) {
  const uint64_t t = ((a >> shift) ^ b) & mask;
  a ^= t << shift;
  b ^= t;
}

constexpr uint64_t kMask32 = 0x00000000ffffffffULL;
constexpr uint64_t kMask16 = 0x0000ffff0000ffffULL;
constexpr uint64_t kMask8 = 0x00ff00ff00ff00ffULL;

// Transposes the 8x8 byte matrix whose row k is r[k] (byte j at bits 8j). Its own inverse.
inline void Transpose8x8(uint64_t* r) {
  SwapBlocks(r[0], r[4], 32, kMask32);
  SwapBlocks(r[1], r[5], 32, kMask32);
  SwapBlocks(r[2], r[6], 32, kMask32);
  SwapBlocks(r[3], r[7], 32, kMask32);
  SwapBlocks(r[0], r[2], 16, kMask16);
  SwapBlocks(r[1], r[3], 16, kMask16);
  SwapBlocks(r[4], r[6], 16, kMask16);
  SwapBlocks(r[5], r[7], 16, kMask16);
  SwapBlocks(r[0], r[1], 8, kMask8);
  SwapBlocks(r[2], r[3], 8, kMask8);
  SwapBlocks(r[4], r[5], 8, kMask8);
  SwapBlocks(r[6], r[7], 8, kMask8);
}

// Transposes the two 4x4 byte matrices held in the low and high halves of r[0..3].
inline void Transpose4x4Pair(uint64_t* r) {
  SwapBlocks(r[0], r[2], 16, kMask16);
  SwapBlocks(r[1], r[3], 16, kMask16);
  SwapBlocks(r[0], r[1], 8, kMask8);
  SwapBlocks(r[2], r[3], 8, kMask8);
}

// Moves values [0, count & ~7) of `width` 8 between `values` and the 8 byte streams, eight
// values per transpose. Byte k of value i lives at streams[k * count + i].
template <bool kScatter>
void ByteStreamSplit8(uint8_t* values, uint8_t* streams, size_t count) {
  for (size_t i = 0; i + 8 <= count; i += 8) {
    uint64_t r[8];
    if constexpr (kScatter) {
      std::memcpy(r, values + i * 8, sizeof(r));
      Transpose8x8(r);
      for (int k = 0; k < 8; ++k) {
        std::memcpy(streams + k * count + i, &r[k], 8);
      }
    } else {
      for (int k = 0; k < 8; ++k) {
        std::memcpy(&r[k], streams + k * count + i, 8);
      }
      Transpose8x8(r);
      std::memcpy(values + i * 8, r, sizeof(r));
    }
  }
}

// The same for width 4. After Transpose4x4Pair on the four streams' 8-byte rows, r[k] holds value
// k in its low half and value 4 + k in its high half; values in memory pair up as (2w, 2w + 1).
template <bool kScatter>
void ByteStreamSplit4(uint8_t* values, uint8_t* streams, size_t count) {
  for (size_t i = 0; i + 8 <= count; i += 8) {
    uint64_t r[4];
    uint64_t v[4];
    if constexpr (kScatter) {
      std::memcpy(v, values + i * 4, sizeof(v));
      r[0] = (v[0] & kMask32) | (v[2] << 32);
      r[1] = (v[0] >> 32) | (v[2] & ~kMask32);
      r[2] = (v[1] & kMask32) | (v[3] << 32);
      r[3] = (v[1] >> 32) | (v[3] & ~kMask32);
      Transpose4x4Pair(r);
      for (int k = 0; k < 4; ++k) {
        std::memcpy(streams + k * count + i, &r[k], 8);
      }
    } else {
      for (int k = 0; k < 4; ++k) {
        std::memcpy(&r[k], streams + k * count + i, 8);
      }
      Transpose4x4Pair(r);
      v[0] = (r[0] & kMask32) | (r[1] << 32);
      v[1] = (r[2] & kMask32) | (r[3] << 32);
      v[2] = (r[0] >> 32) | (r[1] & ~kMask32);
      v[3] = (r[2] >> 32) | (r[3] & ~kMask32);
      std::memcpy(values + i * 4, v, sizeof(v));
    }
  }
}

// Scatters byte k of value i to stream k (encode, kScatter) or gathers it back (decode), for
// `count` values of `width` bytes between `values` and `streams`.
template <bool kScatter>
void ByteStreamSplit(uint8_t* values, uint8_t* streams, size_t count, size_t width) {
  size_t i = 0;
  if (width == 8) {
    ByteStreamSplit8<kScatter>(values, streams, count);
    i = count & ~size_t{7};
  } else if (width == 4) {
    ByteStreamSplit4<kScatter>(values, streams, count);
    i = count & ~size_t{7};
  }
  for (; i < count; ++i) {
    for (size_t k = 0; k < width; ++k) {
      if constexpr (kScatter) {
        streams[k * count + i] = values[i * width + k];
      } else {
        values[i * width + k] = streams[k * count + i];
      }
    }
  }
}

void AppendByteStreamSplit(const uint8_t* src, size_t count, size_t width, std::string* out) {
  const size_t start = out->size();
  out->resize(start + count * width);
  ByteStreamSplit<true>(const_cast<uint8_t*>(src), reinterpret_cast<uint8_t*>(out->data() + start),
                        count, width);
}

void GatherByteStreamSplit(const uint8_t* src, size_t count, size_t width, uint8_t* dst) {
  ByteStreamSplit<false>(dst, const_cast<uint8_t*>(src), count, width);
}

absl::Status CheckFixedLen(const model::StringVector& values, int type_length,
                           std::string_view encoding) {
  if (type_length < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: type length %d must be positive", encoding, type_length));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (values.Get(i).size() != static_cast<size_t>(type_length)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: value %d has %d bytes, type length is %d", encoding, i,
                          values.Get(i).size(), type_length));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int BitWidth(uint64_t max_value) { return static_cast<int>(std::bit_width(max_value)); }

// ---------------------------------------------------------------------------------------------
// RLE / bit-packing hybrid.

void EncodeRleBitPacked(std::span<const uint32_t> values, int bit_width, std::string* out) {
  EncodeHybrid(
      values.size(), [&](size_t i) { return values[i]; }, bit_width, out);
}

absl::Status DecodeRleBitPacked(std::string_view in, int bit_width, std::span<uint32_t> out) {
  return DecodeHybrid(in, bit_width, out, kRle, 0);
}

void EncodeRleBitPackedWithLength(std::span<const uint32_t> values, int bit_width,
                                  std::string* out) {
  EncodeHybridWithLength(
      values.size(), [&](size_t i) { return values[i]; }, bit_width, out);
}

absl::Status DecodeRleBitPackedWithLength(std::string_view in, int bit_width,
                                          std::span<uint32_t> out, size_t* consumed) {
  return DecodeHybridWithLength(in, bit_width, out, consumed, kRle);
}

void EncodeRleBoolean(std::span<const uint8_t> values, std::string* out) {
  EncodeHybridWithLength(
      values.size(), [&](size_t i) { return values[i] != 0 ? 1u : 0u; }, 1, out);
}

absl::Status DecodeRleBoolean(std::string_view in, std::span<uint8_t> out, size_t* consumed) {
  return DecodeHybridWithLength(in, 1, out, consumed, "RLE boolean");
}

void EncodeDictionaryIndices(std::span<const uint32_t> indices, int bit_width, std::string* out) {
  out->push_back(static_cast<char>(bit_width));
  EncodeRleBitPacked(indices, bit_width, out);
}

absl::Status DecodeDictionaryIndices(std::string_view in, size_t dictionary_size,
                                     std::span<uint32_t> out) {
  constexpr std::string_view kEncoding = "RLE_DICTIONARY indices";
  if (out.empty()) {
    return absl::OkStatus();
  }
  if (in.empty()) {
    return Corrupt(kEncoding, 0, "missing the bit width byte");
  }
  const int bit_width = static_cast<uint8_t>(in[0]);
  if (bit_width > 32) {
    return Corrupt(kEncoding, 0, absl::StrFormat("bit width %d exceeds 32", bit_width));
  }
  uint32_t max_index = 0;
  CS_RETURN_IF_ERROR(DecodeHybrid(in.substr(1), bit_width, out, kEncoding, 1, &max_index));
  if (max_index >= dictionary_size) {
    const size_t row = std::find(out.begin(), out.end(), max_index) - out.begin();
    return absl::DataLossError(
        absl::StrFormat("%s: value %d has index %d, out of range for a dictionary of %d values",
                        kEncoding, row, max_index, dictionary_size));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// PLAIN.

template <PlainFixedWidth T>
void EncodePlain(std::span<const T> values, std::string* out) {
  if (!values.empty()) {
    out->append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  }
}

template <PlainFixedWidth T>
absl::Status DecodePlain(std::string_view in, std::span<T> out, size_t* consumed) {
  const size_t needed = out.size_bytes();
  if (in.size() < needed) {
    return Corrupt("PLAIN", in.size(),
                   absl::StrFormat("%d values of %d bytes need %d bytes, only %d present",
                                   out.size(), sizeof(T), needed, in.size()));
  }
  if (needed > 0) {
    std::memcpy(out.data(), in.data(), needed);
  }
  if (consumed != nullptr) {
    *consumed = needed;
  }
  return absl::OkStatus();
}

#define CS_INSTANTIATE_FIXED_WIDTH(T)                                            \
  template void EncodePlain<T>(std::span<const T>, std::string*);                \
  template absl::Status DecodePlain<T>(std::string_view, std::span<T>, size_t*); \
  template void EncodeByteStreamSplit<T>(std::span<const T>, std::string*);      \
  template absl::Status DecodeByteStreamSplit<T>(std::string_view, std::span<T>);

void EncodePlainBoolean(std::span<const uint8_t> values, std::string* out) {
  const size_t start = out->size();
  out->resize(start + (values.size() + 7) / 8, '\0');
  uint8_t* dst = reinterpret_cast<uint8_t*>(out->data() + start);
  for (size_t i = 0; i < values.size(); ++i) {
    dst[i / 8] |= static_cast<uint8_t>((values[i] != 0 ? 1 : 0) << (i % 8));
  }
}

absl::Status DecodePlainBoolean(std::string_view in, std::span<uint8_t> out, size_t* consumed) {
  const size_t needed = (out.size() + 7) / 8;
  if (in.size() < needed) {
    return Corrupt(
        "PLAIN boolean", in.size(),
        absl::StrFormat("%d values need %d bytes, only %d present", out.size(), needed, in.size()));
  }
  const uint8_t* src = Bytes(in);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = (src[i / 8] >> (i % 8)) & 1;
  }
  if (consumed != nullptr) {
    *consumed = needed;
  }
  return absl::OkStatus();
}

void EncodePlainByteArray(const model::StringVector& values, std::string* out) {
  out->reserve(out->size() + values.size() * 4 + values.bytes().size());
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string_view value = values.Get(i);
    AppendLittleEndian(out, static_cast<uint32_t>(value.size()));
    out->append(value);
  }
}

void EncodePlainByteArray(std::span<const std::string_view> values, std::string* out) {
  for (std::string_view value : values) {
    AppendLittleEndian(out, static_cast<uint32_t>(value.size()));
    out->append(value);
  }
}

absl::Status DecodePlainByteArray(std::string_view in, size_t count, model::StringVector* out,
                                  size_t* consumed) {
  constexpr std::string_view kEncoding = "PLAIN BYTE_ARRAY";
  if (count > in.size() / 4) {
    return Corrupt(kEncoding, 0,
                   absl::StrFormat("%d values cannot fit in %d bytes", count, in.size()));
  }
  out->Reserve(count, in.size() - count * 4);
  const uint8_t* data = Bytes(in);
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    if (in.size() - pos < 4) {
      return Corrupt(kEncoding, pos, absl::StrFormat("truncated length of value %d", i));
    }
    const uint32_t length = LoadLittleEndian<uint32_t>(data + pos);
    pos += 4;
    if (length > in.size() - pos) {
      return Corrupt(kEncoding, pos - 4,
                     absl::StrFormat("value %d: length %d exceeds the %d bytes left", i, length,
                                     in.size() - pos));
    }
    out->Append(in.substr(pos, length));
    pos += length;
  }
  if (consumed != nullptr) {
    *consumed = pos;
  }
  return absl::OkStatus();
}

absl::Status EncodePlainFixedLenByteArray(const model::StringVector& values, int type_length,
                                          std::string* out) {
  CS_RETURN_IF_ERROR(CheckFixedLen(values, type_length, "PLAIN FIXED_LEN_BYTE_ARRAY"));
  out->append(values.bytes());
  return absl::OkStatus();
}

absl::Status DecodePlainFixedLenByteArray(std::string_view in, size_t count, int type_length,
                                          model::StringVector* out, size_t* consumed) {
  constexpr std::string_view kEncoding = "PLAIN FIXED_LEN_BYTE_ARRAY";
  if (type_length < 1) {
    return Corrupt(kEncoding, 0, absl::StrFormat("type length %d must be positive", type_length));
  }
  const size_t length = static_cast<size_t>(type_length);
  if (count > in.size() / length) {
    return Corrupt(kEncoding, in.size(),
                   absl::StrFormat("%d values of %d bytes need more than the %d bytes present",
                                   count, length, in.size()));
  }
  out->Reserve(count, count * length);
  for (size_t i = 0; i < count; ++i) {
    out->Append(in.substr(i * length, length));
  }
  if (consumed != nullptr) {
    *consumed = count * length;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// DELTA_BINARY_PACKED.

void EncodeDeltaBinaryPackedInt32(std::span<const int32_t> values, std::string* out) {
  EncodeDelta<uint32_t>(AsUnsigned(values), out);
}

void EncodeDeltaBinaryPackedInt64(std::span<const int64_t> values, std::string* out) {
  EncodeDelta<uint64_t>(AsUnsigned(values), out);
}

absl::Status DecodeDeltaBinaryPackedInt32(std::string_view in, std::span<int32_t> out,
                                          size_t* consumed) {
  return DecodeDelta<uint32_t>(in, AsUnsigned(out), consumed, kDelta, 0);
}

absl::Status DecodeDeltaBinaryPackedInt64(std::string_view in, std::span<int64_t> out,
                                          size_t* consumed) {
  return DecodeDelta<uint64_t>(in, AsUnsigned(out), consumed, kDelta, 0);
}

absl::StatusOr<uint64_t> DeltaBinaryPackedValueCount(std::string_view in) {
  CS_ASSIGN_OR_RETURN(const DeltaHeader header, ReadDeltaHeader(in, kDelta, 0));
  return header.total;
}

// ---------------------------------------------------------------------------------------------
// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY.

void EncodeDeltaLengthByteArray(const model::StringVector& values, std::string* out) {
  std::vector<int32_t> lengths(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    lengths[i] = static_cast<int32_t>(values.Get(i).size());
  }
  EncodeLengthsAndBytes(lengths, values.bytes(), out);
}

absl::Status DecodeDeltaLengthByteArray(std::string_view in, size_t count, model::StringVector* out,
                                        size_t* consumed) {
  constexpr std::string_view kEncoding = "DELTA_LENGTH_BYTE_ARRAY";
  std::vector<int32_t> lengths;
  uint64_t total = 0;
  size_t pos = 0;
  CS_RETURN_IF_ERROR(DecodeLengths(in, count, &lengths, &total, &pos, kEncoding, 0));
  if (total > in.size() - pos) {
    return Corrupt(
        kEncoding, pos,
        absl::StrFormat("lengths add up to %d bytes, only %d present", total, in.size() - pos));
  }
  out->Reserve(count, total);
  for (int32_t length : lengths) {
    out->Append(in.substr(pos, length));
    pos += length;
  }
  if (consumed != nullptr) {
    *consumed = pos;
  }
  return absl::OkStatus();
}

void EncodeDeltaByteArray(const model::StringVector& values, std::string* out) {
  std::vector<int32_t> prefixes(values.size());
  std::vector<int32_t> suffix_lengths(values.size());
  std::string suffixes;
  std::string_view previous;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string_view value = values.Get(i);
    const size_t limit = std::min(previous.size(), value.size());
    const size_t prefix =
        std::mismatch(value.begin(), value.begin() + limit, previous.begin()).first - value.begin();
    prefixes[i] = static_cast<int32_t>(prefix);
    suffix_lengths[i] = static_cast<int32_t>(value.size() - prefix);
    suffixes.append(value.substr(prefix));
    previous = value;
  }
  EncodeDelta<uint32_t>(AsUnsigned(std::span<const int32_t>(prefixes)), out);
  EncodeLengthsAndBytes(suffix_lengths, suffixes, out);
}

absl::Status DecodeDeltaByteArray(std::string_view in, size_t count, model::StringVector* out,
                                  size_t* consumed) {
  constexpr std::string_view kEncoding = "DELTA_BYTE_ARRAY";
  std::vector<int32_t> prefixes;
  uint64_t unused_total = 0;
  size_t prefix_end = 0;
  CS_RETURN_IF_ERROR(DecodeLengths(in, count, &prefixes, &unused_total, &prefix_end,
                                   "DELTA_BYTE_ARRAY prefix lengths", 0));
  std::vector<int32_t> suffix_lengths;
  uint64_t suffix_total = 0;
  size_t suffix_lengths_end = 0;
  CS_RETURN_IF_ERROR(DecodeLengths(in.substr(prefix_end), count, &suffix_lengths, &suffix_total,
                                   &suffix_lengths_end, "DELTA_BYTE_ARRAY suffix lengths",
                                   prefix_end));
  size_t pos = prefix_end + suffix_lengths_end;
  if (suffix_total > in.size() - pos) {
    return Corrupt(kEncoding, pos,
                   absl::StrFormat("suffix lengths add up to %d bytes, only %d present",
                                   suffix_total, in.size() - pos));
  }
  // Validate every prefix and size the output before copying anything.
  uint64_t output_bytes = 0;
  uint64_t previous_length = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t prefix = static_cast<uint64_t>(prefixes[i]);
    if (prefix > previous_length) {
      return Corrupt(kEncoding, 0,
                     absl::StrFormat("value %d: prefix length %d exceeds the previous value's "
                                     "%d bytes",
                                     i, prefix, previous_length));
    }
    previous_length = prefix + static_cast<uint64_t>(suffix_lengths[i]);
    output_bytes += previous_length;
    if (output_bytes > kMaxDeltaByteArrayOutput) {
      return Corrupt(
          kEncoding, 0,
          absl::StrFormat("values would decode to more than %d bytes", kMaxDeltaByteArrayOutput));
    }
  }
  out->Reserve(count, output_bytes);
  std::string current;
  for (size_t i = 0; i < count; ++i) {
    current.resize(prefixes[i]);
    current.append(in.substr(pos, suffix_lengths[i]));
    pos += suffix_lengths[i];
    out->Append(current);
  }
  if (consumed != nullptr) {
    *consumed = pos;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// BYTE_STREAM_SPLIT.

template <PlainFixedWidth T>
void EncodeByteStreamSplit(std::span<const T> values, std::string* out) {
  AppendByteStreamSplit(reinterpret_cast<const uint8_t*>(values.data()), values.size(), sizeof(T),
                        out);
}

template <PlainFixedWidth T>
absl::Status DecodeByteStreamSplit(std::string_view in, std::span<T> out) {
  if (in.size() != out.size_bytes()) {
    return Corrupt("BYTE_STREAM_SPLIT", 0,
                   absl::StrFormat("%d values of %d bytes need exactly %d bytes, page has %d",
                                   out.size(), sizeof(T), out.size_bytes(), in.size()));
  }
  GatherByteStreamSplit(Bytes(in), out.size(), sizeof(T), reinterpret_cast<uint8_t*>(out.data()));
  return absl::OkStatus();
}

absl::Status EncodeByteStreamSplitFixedLen(const model::StringVector& values, int type_length,
                                           std::string* out) {
  CS_RETURN_IF_ERROR(CheckFixedLen(values, type_length, "BYTE_STREAM_SPLIT"));
  AppendByteStreamSplit(Bytes(values.bytes()), values.size(), type_length, out);
  return absl::OkStatus();
}

absl::Status DecodeByteStreamSplitFixedLen(std::string_view in, size_t count, int type_length,
                                           model::StringVector* out) {
  constexpr std::string_view kEncoding = "BYTE_STREAM_SPLIT";
  if (type_length < 1) {
    return Corrupt(kEncoding, 0, absl::StrFormat("type length %d must be positive", type_length));
  }
  const size_t length = static_cast<size_t>(type_length);
  if (count > in.size() / length || count * length != in.size()) {
    return Corrupt(kEncoding, 0,
                   absl::StrFormat("%d values of %d bytes need exactly %d bytes, page has %d",
                                   count, length, count * length, in.size()));
  }
  std::string bytes(in.size(), '\0');
  GatherByteStreamSplit(Bytes(in), count, length, reinterpret_cast<uint8_t*>(bytes.data()));
  out->Reserve(count, bytes.size());
  for (size_t i = 0; i < count; ++i) {
    out->Append(std::string_view(bytes).substr(i * length, length));
  }
  return absl::OkStatus();
}

CS_INSTANTIATE_FIXED_WIDTH(int32_t)
CS_INSTANTIATE_FIXED_WIDTH(uint32_t)
CS_INSTANTIATE_FIXED_WIDTH(int64_t)
CS_INSTANTIATE_FIXED_WIDTH(uint64_t)
CS_INSTANTIATE_FIXED_WIDTH(float)
CS_INSTANTIATE_FIXED_WIDTH(double)
#undef CS_INSTANTIATE_FIXED_WIDTH

}  // namespace cardinalsin::parquet
