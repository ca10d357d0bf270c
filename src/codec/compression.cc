#include "codec/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>

#include "absl/strings/str_format.h"

namespace cardinalsin::codec {
namespace {

// zlib counts in 32-bit uInt; larger buffers are fed in slices of this size.
constexpr size_t kZlibMaxSlice = UINT_MAX;

// Deflate cannot expand data by more than about 1032:1 (a 258-byte match coded in two bits), and
// a zstd frame by more than 32768:1 (a 128 KiB RLE block in four bytes). Sizes beyond these are
// rejected before allocating, so a corrupt size field cannot make us allocate gigabytes.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr uint64_t kZstdMaxBlockSize = uint64_t{128} * 1024;

absl::Status SizeMismatch(std::string_view codec, size_t expected, size_t actual) {
  return absl::DataLossError(
      absl::StrFormat("%s: decompressed size mismatch: expected %d bytes, "
                      "got %d",
                      codec, expected, actual));
}

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
};
struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

// Creating a context costs a few hundred KiB of allocation; one per thread is reused.
ZSTD_CCtx* ThreadZstdCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> ctx(ZSTD_createCCtx());
  if (ctx == nullptr) {
    ctx.reset(ZSTD_createCCtx());
  }
  return ctx.get();
}

ZSTD_DCtx* ThreadZstdDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> ctx(ZSTD_createDCtx());
  if (ctx == nullptr) {
    ctx.reset(ZSTD_createDCtx());
  }
  return ctx.get();
}

absl::Status CompressSnappy(std::string_view in, std::string* out) {
  // The raw format stores the length as a 32-bit varint.
  if (in.size() > UINT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrFormat("snappy: input of %d bytes exceeds the 4 GiB format limit", in.size()));
  }
  const size_t old_size = out->size();
  out->resize(old_size + snappy::MaxCompressedLength(in.size()));
  size_t written = 0;
  snappy::RawCompress(in.data(), in.size(), out->data() + old_size, &written);
  out->resize(old_size + written);
  return absl::OkStatus();
}

absl::Status DecompressSnappy(std::string_view in, size_t uncompressed_size, std::string* out) {
  size_t stated = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &stated)) {
    return absl::DataLossError("snappy: corrupt length header");
  }
  if (stated != uncompressed_size) {
    return SizeMismatch("snappy", uncompressed_size, stated);
  }
  const size_t old_size = out->size();
  out->resize(old_size + uncompressed_size);
  // RawUncompress checks every copy against the stated length, which we verified above.
  if (!snappy::RawUncompress(in.data(), in.size(), out->data() + old_size)) {
    out->resize(old_size);
    return absl::DataLossError("snappy: corrupt compressed data");
  }
  return absl::OkStatus();
}

absl::Status CompressGzip(std::string_view in, std::string* out, int level) {
  if (level == 0) {
    level = Z_DEFAULT_COMPRESSION;
  }
  if (level != Z_DEFAULT_COMPRESSION && (level < 1 || level > 9)) {
    return absl::InvalidArgumentError(absl::StrFormat("gzip: level %d not in 1..9", level));
  }
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper (RFC 1952) instead of zlib's.
  int ret = deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  if (ret == Z_MEM_ERROR) {
    return absl::ResourceExhaustedError("gzip: out of memory");
  }
  if (ret != Z_OK) {
    return absl::InternalError(absl::StrFormat("gzip: deflateInit2 failed: %d", ret));
  }

  const size_t old_size = out->size();
  size_t capacity = deflateBound(&zs, in.size());
  out->resize(old_size + capacity);
  size_t consumed = 0;
  size_t produced = 0;
  while (true) {
    if (produced == capacity) {
      // deflateBound is an upper bound, but grow rather than trust it blindly.
      capacity += capacity / 2 + 64;
      out->resize(old_size + capacity);
    }
    const size_t in_slice = std::min(in.size() - consumed, kZlibMaxSlice);
    const size_t out_slice = std::min(capacity - produced, kZlibMaxSlice);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_slice);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + old_size + produced);
    zs.avail_out = static_cast<uInt>(out_slice);
    const bool last = consumed + in_slice == in.size();
    ret = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    consumed += in_slice - zs.avail_in;
    produced += out_slice - zs.avail_out;
    if (ret == Z_STREAM_END) {
      break;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      deflateEnd(&zs);
      out->resize(old_size);
      return absl::InternalError(absl::StrFormat("gzip: deflate failed: %d", ret));
    }
  }
  deflateEnd(&zs);
  out->resize(old_size + produced);
  return absl::OkStatus();
}

absl::Status DecompressGzip(std::string_view in, size_t uncompressed_size, std::string* out) {
  if (uncompressed_size / kMaxDeflateRatio > in.size()) {
    return absl::DataLossError(
        absl::StrFormat("gzip: %d compressed bytes cannot hold the expected %d bytes", in.size(),
                        uncompressed_size));
  }
  z_stream zs{};
  // windowBits 15 + 32 detects either a gzip or a zlib header.
  int ret = inflateInit2(&zs, 15 + 32);
  if (ret == Z_MEM_ERROR) {
    return absl::ResourceExhaustedError("gzip: out of memory");
  }
  if (ret != Z_OK) {
    return absl::InternalError(absl::StrFormat("gzip: inflateInit2 failed: %d", ret));
  }

  const size_t old_size = out->size();
  out->resize(old_size + uncompressed_size);
  auto fail = [&](absl::Status status) {
    inflateEnd(&zs);
    out->resize(old_size);
    return status;
  };
  size_t consumed = 0;
  size_t produced = 0;
  while (true) {
    const size_t in_slice = std::min(in.size() - consumed, kZlibMaxSlice);
    const size_t out_slice = std::min(uncompressed_size - produced, kZlibMaxSlice);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_slice);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + old_size + produced);
    zs.avail_out = static_cast<uInt>(out_slice);
    ret = inflate(&zs, Z_NO_FLUSH);
    consumed += in_slice - zs.avail_in;
    produced += out_slice - zs.avail_out;
    if (ret == Z_STREAM_END) {
      if (consumed == in.size()) {
        break;
      }
      // RFC 1952 allows several members back to back; anything else after the end is corrupt.
      const bool next_member = in.size() - consumed >= 2 &&
                               static_cast<uint8_t>(in[consumed]) == 0x1f &&
                               static_cast<uint8_t>(in[consumed + 1]) == 0x8b;
      if (!next_member) {
        return fail(absl::DataLossError(absl::StrFormat(
            "gzip: %d trailing bytes after the end of the stream", in.size() - consumed)));
      }
      if (inflateReset(&zs) != Z_OK) {
        return fail(absl::InternalError("gzip: inflateReset failed"));
      }
      continue;
    }
    if (ret == Z_OK) {
      continue;
    }
    if (ret == Z_BUF_ERROR) {
      // No progress was possible: either the output is full and the stream goes on, or the input
      // ended before the stream did.
      if (produced == uncompressed_size && consumed < in.size()) {
        return fail(absl::DataLossError(absl::StrFormat(
            "gzip: decompressed size mismatch: expected %d bytes, stream holds more",
            uncompressed_size)));
      }
      return fail(absl::DataLossError(
          absl::StrFormat("gzip: truncated stream: ended after %d of the expected %d bytes",
                          produced, uncompressed_size)));
    }
    if (ret == Z_MEM_ERROR) {
      return fail(absl::ResourceExhaustedError("gzip: out of memory"));
    }
    return fail(absl::DataLossError(
        absl::StrFormat("gzip: corrupt stream at compressed byte %d: %s", consumed,
                        zs.msg != nullptr ? zs.msg : "unknown error")));
  }
  inflateEnd(&zs);
  if (produced != uncompressed_size) {
    out->resize(old_size);
    return SizeMismatch("gzip", uncompressed_size, produced);
  }
  return absl::OkStatus();
}

absl::Status CompressZstd(std::string_view in, std::string* out, int level) {
  if (level == 0) {
    level = 3;
  }
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("zstd: level %d not in %d..%d", level, ZSTD_minCLevel(), ZSTD_maxCLevel()));
  }
  ZSTD_CCtx* ctx = ThreadZstdCCtx();
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError("zstd: cannot allocate a context");
  }
  const size_t old_size = out->size();
  out->resize(old_size + ZSTD_compressBound(in.size()));
  const size_t written = ZSTD_compressCCtx(ctx, out->data() + old_size, out->size() - old_size,
                                           in.data(), in.size(), level);
  if (ZSTD_isError(written)) {
    out->resize(old_size);
    return absl::InternalError(
        absl::StrFormat("zstd: compression failed: %s", ZSTD_getErrorName(written)));
  }
  out->resize(old_size + written);
  return absl::OkStatus();
}

absl::Status DecompressZstd(std::string_view in, size_t uncompressed_size, std::string* out) {
  // Sum the content sizes of all frames (without decoding), so a mismatch is found before
  // allocating. ZSTD_findDecompressedSize does this but is not in libzstd's stable API.
  unsigned long long stated = 0;
  for (size_t pos = 0; pos < in.size() || pos == 0;) {
    const std::string_view frame = in.substr(pos);
    const unsigned long long frame_content = ZSTD_getFrameContentSize(frame.data(), frame.size());
    const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
    if (frame_content == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(frame_size) || frame_size == 0) {
      return absl::DataLossError(
          absl::StrFormat("zstd: corrupt or truncated frame at compressed byte %d", pos));
    }
    if (frame_content == ZSTD_CONTENTSIZE_UNKNOWN) {
      stated = ZSTD_CONTENTSIZE_UNKNOWN;
    } else if (stated != ZSTD_CONTENTSIZE_UNKNOWN) {
      stated += frame_content;
      if (stated > uncompressed_size) {
        return SizeMismatch("zstd", uncompressed_size, stated);
      }
    }
    pos += frame_size;
  }
  if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != uncompressed_size) {
    return SizeMismatch("zstd", uncompressed_size, stated);
  }
  if (stated == ZSTD_CONTENTSIZE_UNKNOWN &&
      uncompressed_size / kZstdMaxBlockSize > in.size() / 4 + 1) {
    return absl::DataLossError(
        absl::StrFormat("zstd: %d compressed bytes cannot hold the expected %d bytes", in.size(),
                        uncompressed_size));
  }
  ZSTD_DCtx* ctx = ThreadZstdDCtx();
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError("zstd: cannot allocate a context");
  }
  const size_t old_size = out->size();
  out->resize(old_size + uncompressed_size);
  // The destination capacity bounds the output even when frames carry no content size.
  const size_t written =
      ZSTD_decompressDCtx(ctx, out->data() + old_size, uncompressed_size, in.data(), in.size());
  if (ZSTD_isError(written)) {
    out->resize(old_size);
    if (ZSTD_getErrorCode(written) == ZSTD_error_dstSize_tooSmall) {
      return absl::DataLossError(
          absl::StrFormat("zstd: decompressed size mismatch: expected %d bytes, stream holds more",
                          uncompressed_size));
    }
    return absl::DataLossError(
        absl::StrFormat("zstd: corrupt compressed data: %s", ZSTD_getErrorName(written)));
  }
  if (written != uncompressed_size) {
    out->resize(old_size);
    return SizeMismatch("zstd", uncompressed_size, written);
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

absl::Status Compress(Compression compression, std::string_view in, std::string* out, int level) {
  switch (compression) {
    case Compression::kNone:
      out->append(in);
      return absl::OkStatus();
    case Compression::kSnappy:
      return CompressSnappy(in, out);
    case Compression::kGzip:
      return CompressGzip(in, out, level);
    case Compression::kZstd:
      return CompressZstd(in, out, level);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown compression %d", static_cast<int>(compression)));
}

absl::Status Decompress(Compression compression, std::string_view in, size_t uncompressed_size,
                        std::string* out) {
  switch (compression) {
    case Compression::kNone:
      if (in.size() != uncompressed_size) {
        return SizeMismatch("none", uncompressed_size, in.size());
      }
      out->append(in);
      return absl::OkStatus();
    case Compression::kSnappy:
      return DecompressSnappy(in, uncompressed_size, out);
    case Compression::kGzip:
      return DecompressGzip(in, uncompressed_size, out);
    case Compression::kZstd:
      return DecompressZstd(in, uncompressed_size, out);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown compression %d", static_cast<int>(compression)));
}

}  // namespace cardinalsin::codec
