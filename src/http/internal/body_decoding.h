// File: internal/body_decoding.h
//
// Decodes request bodies sent with `Content-Encoding: gzip` (RFC 1952, concatenated members
// allowed) or `deflate` (RFC 1950 zlib stream; a raw RFC 1951 stream is accepted too, since some
// clients send one) with zlib.
//
// Thread-safety: stateless functions, safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cardinalsin::http::internal {

enum class BodyEncoding { kGzip, kDeflate };

// Decompresses `body`. Returns ResourceExhausted when the decoded size would exceed `max_bytes`
// (decoding stops there, so a compression bomb costs at most `max_bytes` of memory), and
// InvalidArgument for corrupt or truncated data.
[[nodiscard]] absl::StatusOr<std::string> DecodeBody(std::string_view body, BodyEncoding encoding,
                                                     size_t max_bytes);

}  // namespace cardinalsin::http::internal
