#include "http/internal/body_decoding.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace cardinalsin::http::internal {
namespace {

constexpr size_t kOutputStep = 64 << 10;

// Owns a z_stream for inflation.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ok_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ok_) {
      inflateEnd(&stream_);
    }
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool Initialized() const { return ok_; }
  z_stream& Stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

const char* EncodingName(BodyEncoding encoding) {
  return encoding == BodyEncoding::kGzip ? "gzip" : "deflate";
}

absl::StatusOr<std::string> Inflate(std::string_view body, BodyEncoding encoding, int window_bits,
                                    size_t max_bytes) {
  Inflater inflater(window_bits);
  if (!inflater.Initialized()) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  z_stream& zs = inflater.Stream();
  std::string out;
  size_t consumed = 0;  // bytes of `body` handed to zlib so far
  bool stream_end = false;
  while (true) {
    if (zs.avail_in == 0 && consumed < body.size()) {
      size_t n = std::min<size_t>(body.size() - consumed, UINT_MAX);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + consumed));
      zs.avail_in = static_cast<uInt>(n);
      consumed += n;
    }
    // Allow one byte past the limit so that "exactly max_bytes" is distinguishable from "more".
    size_t room = max_bytes - out.size() + 1;
    size_t step = std::min(kOutputStep, room);
    size_t old_size = out.size();
    out.resize(old_size + step);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    zs.avail_out = static_cast<uInt>(step);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old_size + (step - zs.avail_out));
    if (out.size() > max_bytes) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "decoded %s request body exceeds the %d-byte limit", EncodingName(encoding), max_bytes));
    }
    if (rc == Z_STREAM_END) {
      stream_end = true;
      bool more_input = zs.avail_in > 0 || consumed < body.size();
      // A gzip body may hold several members (RFC 1952 section 2.2); decode them all.
      if (more_input && encoding == BodyEncoding::kGzip) {
        if (inflateReset(&zs) != Z_OK) {
          return absl::InternalError("zlib inflateReset failed");
        }
        stream_end = false;
        continue;
      }
      if (more_input) {
        return absl::InvalidArgumentError(
            absl::StrFormat("invalid %s request body: trailing data after the compressed stream",
                            EncodingName(encoding)));
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == body.size()) {
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid %s request body: %s", EncodingName(encoding),
                          zs.msg != nullptr ? zs.msg : "corrupt data"));
    }
  }
  if (!stream_end) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid %s request body: truncated stream", EncodingName(encoding)));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> DecodeBody(std::string_view body, BodyEncoding encoding,
                                       size_t max_bytes) {
  max_bytes = std::min(max_bytes, SIZE_MAX - 1);  // Inflate() needs max_bytes + 1 to fit
  if (encoding == BodyEncoding::kGzip) {
    return Inflate(body, encoding, 16 + MAX_WBITS, max_bytes);
  }
  absl::StatusOr<std::string> zlib = Inflate(body, encoding, MAX_WBITS, max_bytes);
  if (zlib.ok() || !absl::IsInvalidArgument(zlib.status())) {
    return zlib;
  }
  // RFC 9110 says "deflate" means the zlib format, but some clients send raw deflate data.
  absl::StatusOr<std::string> raw = Inflate(body, encoding, -MAX_WBITS, max_bytes);
  if (raw.ok() || !absl::IsInvalidArgument(raw.status())) {
    return raw;
  }
  return zlib.status();
}

}  // namespace cardinalsin::http::internal
