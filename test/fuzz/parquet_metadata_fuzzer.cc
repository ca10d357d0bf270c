// File: parquet_metadata_fuzzer.cc
//
// libFuzzer target for the Parquet metadata decoders (parquet/metadata.h) over untrusted bytes.
// The whole input goes to each of DecodeFileMetaData, DecodePageHeader, DecodeColumnIndex,
// DecodeOffsetIndex and DecodeBloomFilterHeader. Whenever one succeeds, the struct is encoded
// again and the encoding must decode to an equal struct, consuming exactly the encoded bytes:
// anything else means an encoder and its decoder disagree, and the fuzzer abort()s.
//
// Errors from the decoders are expected and fine. Bugs are crashes, ASan / UBSan reports, leaks,
// timeouts, out-of-memory and a broken round trip.
//
//   scripts/fuzz.sh                     builds and runs every fuzzer
//   build/fuzz/parquet_metadata_fuzzer crash-<sha1>    replays one input

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parquet/metadata.h"

namespace cardinalsin::parquet {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  constexpr size_t kMaxShown = 256;
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < kMaxShown; ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  if (bytes.size() > kMaxShown) out += "...";
  return out;
}

[[noreturn]] void Violation(const char* what, const std::string& detail, std::string_view encoded) {
  std::fprintf(stderr, "parquet_metadata_fuzzer: %s: %s\n  re-encoded (%zu bytes): %s\n", what,
               detail.c_str(), encoded.size(), Hex(encoded).c_str());
  std::abort();
}

// For decoders that take a whole buffer: decode(encode(x)) == x.
template <typename T, typename EncodeFn, typename DecodeFn>
void RoundTripWhole(const char* what, const T& decoded, EncodeFn encode, DecodeFn decode) {
  const std::string encoded = encode(decoded);
  absl::StatusOr<T> again = decode(encoded);
  if (!again.ok())
    Violation(what, "re-encoding does not decode: " + again.status().ToString(), encoded);
  if (!(*again == decoded)) Violation(what, "re-encoding decodes to a different struct", encoded);
}

// For decoders that read one struct from the start of their input and report its size.
template <typename T, typename AppendFn, typename DecodeFn>
void RoundTripPrefix(const char* what, const T& decoded, size_t header_size, size_t input_size,
                     AppendFn append, DecodeFn decode) {
  if (header_size == 0 || header_size > input_size) {
    Violation(what,
              "reported size " + std::to_string(header_size) + " for " +
                  std::to_string(input_size) + " input bytes",
              {});
  }
  std::string encoded;
  append(decoded, &encoded);
  const size_t encoded_size = encoded.size();
  encoded += "trailing page bytes";  // must not be read as part of the header
  size_t again_size = 0;
  absl::StatusOr<T> again = decode(encoded, &again_size);
  if (!again.ok())
    Violation(what, "re-encoding does not decode: " + again.status().ToString(), encoded);
  if (!(*again == decoded)) Violation(what, "re-encoding decodes to a different struct", encoded);
  if (again_size != encoded_size) {
    Violation(what,
              "re-encoding is " + std::to_string(encoded_size) + " bytes, decoder consumed " +
                  std::to_string(again_size),
              encoded);
  }
}

void FuzzOne(std::string_view bytes) {
  if (absl::StatusOr<FileMetaData> m = DecodeFileMetaData(bytes); m.ok()) {
    RoundTripWhole("FileMetaData", *m, EncodeFileMetaData, DecodeFileMetaData);
  }
  {
    size_t header_size = 0;
    if (absl::StatusOr<PageHeader> h = DecodePageHeader(bytes, &header_size); h.ok()) {
      RoundTripPrefix("PageHeader", *h, header_size, bytes.size(), AppendPageHeader,
                      DecodePageHeader);
    }
  }
  if (absl::StatusOr<ColumnIndex> c = DecodeColumnIndex(bytes); c.ok()) {
    RoundTripWhole("ColumnIndex", *c, EncodeColumnIndex, DecodeColumnIndex);
  }
  if (absl::StatusOr<OffsetIndex> o = DecodeOffsetIndex(bytes); o.ok()) {
    RoundTripWhole("OffsetIndex", *o, EncodeOffsetIndex, DecodeOffsetIndex);
  }
  {
    size_t header_size = 0;
    if (absl::StatusOr<BloomFilterHeader> b = DecodeBloomFilterHeader(bytes, &header_size);
        b.ok()) {
      RoundTripPrefix("BloomFilterHeader", *b, header_size, bytes.size(), AppendBloomFilterHeader,
                      DecodeBloomFilterHeader);
    }
  }
}

}  // namespace
}  // namespace cardinalsin::parquet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cardinalsin::parquet::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
