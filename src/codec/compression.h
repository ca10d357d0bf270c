// File: compression.h
//
// Block compression for Parquet pages and other framed payloads: Snappy (raw block format), GZIP
// (an RFC 1952 gzip stream, as Parquet's GZIP codec means) and Zstandard (one or more frames).
// Every call is one-shot over a whole buffer: the caller frames its data and stores the
// uncompressed size itself (a Parquet page header does).
//
//   std::string page;
//   CS_RETURN_IF_ERROR(codec::Compress(Compression::kZstd, raw, &page));
//   std::string raw_again;
//   CS_RETURN_IF_ERROR(codec::Decompress(Compression::kZstd, page, raw.size(), &raw_again));
//
// Decompression never trusts the input: it produces exactly `uncompressed_size` bytes or fails
// with DataLossError, and never writes (or allocates) more than `uncompressed_size` bytes, so a
// decompression bomb is bounded by what the caller says it expects. Because `uncompressed_size`
// usually comes from untrusted metadata too, callers should cap it (for example by a maximum page
// size) before calling.
//
// Thread-safety: all functions are thread-safe. Zstandard contexts are cached per thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cardinalsin::codec {

enum class Compression {
  kNone,
  kSnappy,
  kGzip,
  kZstd,
};

// "none", "snappy", "gzip" or "zstd".
std::string_view CompressionName(Compression compression);

// Appends the compressed form of `in` to `*out`.
//
// `level`: 0 selects the codec's default (gzip 6, zstd 3); otherwise gzip takes 1..9 and zstd
// takes ZSTD_minCLevel()..ZSTD_maxCLevel() (negative levels are zstd's fast modes). Snappy and
// kNone ignore it.
//
// Returns InvalidArgumentError for a level out of range, ResourceExhaustedError if a codec
// cannot allocate its state, InternalError if a codec library fails unexpectedly. On error,
// `*out` keeps its original contents.
[[nodiscard]] absl::Status Compress(Compression compression, std::string_view in, std::string* out,
                                    int level = 0);

// Appends exactly `uncompressed_size` decompressed bytes of `in` to `*out`.
//
// kGzip accepts a gzip stream (RFC 1952, several concatenated members allowed) and also a
// zlib-wrapped stream (RFC 1950), which some writers emit. kZstd accepts one or more frames, with
// or without a content size. kNone requires in.size() == uncompressed_size.
//
// Returns DataLossError, naming the codec, when `in` is corrupt or truncated or decompresses to
// a size other than `uncompressed_size` (both sizes are in the message when known). On error,
// `*out` keeps its original contents.
[[nodiscard]] absl::Status Decompress(Compression compression, std::string_view in,
                                      size_t uncompressed_size, std::string* out);

}  // namespace cardinalsin::codec
