// File: sigv4.h
//
// AWS Signature Version 4 for S3 requests, computed by us (curl's CURLOPT_AWS_SIGV4 does not
// canonicalise the query string). Spec: "Authenticating Requests (AWS Signature Version 4)" in the
// Amazon S3 API reference, signing in the Authorization header with a single-chunk payload.
//
//   SigV4Input in{.method = "GET", .path = "/bucket/a b.txt",
//                 .query = {{"list-type", "2"}, {"prefix", "d/"}},
//                 .headers = {{"host", "127.0.0.1:7480"}},
//                 .payload_hash = Sha256Hex(""), .credentials = creds,
//                 .region = "us-east-1", .service = "s3", .time = clock.Now()};
//   SigV4Output out = SignV4(in);
//   // URL: scheme://host + UriEncodePath(in.path) + "?" + CanonicalQueryString(in.query)
//   // Send in.headers plus out.headers.
//
// Paths and query parameters are passed *unencoded*; this file encodes them exactly once, and the
// same functions must be used to build the URL that is sent, so the canonical request and the wire
// request agree byte for byte.
//
// Thread-safety: every function here is pure and safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace cardinalsin::io {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The literal payload hash for requests whose body is not covered by the signature.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional; sent as x-amz-security-token when non-empty
};

struct SigV4Input {
  std::string_view method;  // "GET", "PUT", ...
  // Unencoded absolute path, e.g. "/bucket/dir/key with space". Empty means "/".
  std::string_view path;
  // Unencoded query parameters in any order; a valueless parameter ("?uploads") has value "".
  QueryParams query;
  // Headers to sign, names in any case. Must include "host". Every header passed here is signed.
  HttpHeaders headers;
  // Lower-case hex SHA-256 of the body (Sha256Hex), or kUnsignedPayload.
  std::string_view payload_hash;
  AwsCredentials credentials;
  std::string_view region;   // e.g. "us-east-1"
  std::string_view service;  // "s3"
  absl::Time time;           // request time; formatted in UTC
};

struct SigV4Output {
  // Headers to add to the request: x-amz-date, x-amz-content-sha256, x-amz-security-token (only
  // with a session token) and Authorization, in that order.
  HttpHeaders headers;
  // Intermediate values, exposed for tests and debugging of SignatureDoesNotMatch.
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

// Signs a request. The x-amz-date, x-amz-content-sha256 and (if any) x-amz-security-token headers
// are added to the signed headers; callers must not pass them in `input.headers`.
SigV4Output SignV4(const SigV4Input& input);

// Percent-encodes every byte outside the RFC 3986 unreserved set (A-Z a-z 0-9 - _ . ~) as %XX with
// upper-case hex. With `keep_slash`, '/' is left as is (for paths).
std::string UriEncode(std::string_view s, bool keep_slash);

// The canonical (and wire) form of an absolute path: each segment UriEncode()d, '/' kept; "" ->
// "/".
std::string UriEncodePath(std::string_view path);

// The canonical (and wire) query string: each name and value UriEncode()d, pairs sorted by encoded
// name then encoded value, joined as name=value with '&' (a valueless parameter becomes "name=").
std::string CanonicalQueryString(const QueryParams& query);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace cardinalsin::io
