#include "io/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace cardinalsin::io {
namespace {

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// SigV4 "Trimall": strip leading and trailing spaces and collapse inner runs of spaces to one.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : absl::StripAsciiWhitespace(base::AsAbsl(value))) {
    if (c == ' ' || c == '\t') {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure or a broken OpenSSL build; an all-zero digest then
  // makes the server reject the request, which is the right outcome.
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) len = 0;
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &len) == nullptr) {
    len = 0;
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string UriEncodePath(std::string_view path) {
  if (path.empty()) return "/";
  return UriEncode(path, /*keep_slash=*/true);
}

std::string CanonicalQueryString(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  return absl::StrJoin(encoded, "&", [](std::string* out, const auto& p) {
    base::StrAppend(out, p.first, "=", p.second);
  });
}

SigV4Output SignV4(const SigV4Input& input) {
  const std::string amz_date = absl::FormatTime("%Y%m%dT%H%M%SZ", input.time, absl::UTCTimeZone());
  const std::string date = amz_date.substr(0, 8);

  SigV4Output out;
  out.headers.emplace_back("x-amz-date", amz_date);
  out.headers.emplace_back("x-amz-content-sha256", std::string(input.payload_hash));
  if (!input.credentials.session_token.empty()) {
    out.headers.emplace_back("x-amz-security-token", input.credentials.session_token);
  }

  // Lower-cased name -> trimmed values; repeated headers are joined with ',' in the order given.
  std::map<std::string, std::string> canonical;
  auto add = [&](std::string_view name, std::string_view value) {
    std::string key = absl::AsciiStrToLower(base::AsAbsl(name));
    std::string v = CanonicalHeaderValue(value);
    auto [it, inserted] = canonical.try_emplace(std::move(key), v);
    if (!inserted) base::StrAppend(&it->second, ",", v);
  };
  for (const auto& [name, value] : input.headers) add(name, value);
  for (const auto& [name, value] : out.headers) add(name, value);

  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : canonical) {
    base::StrAppend(&canonical_headers, name, ":", value, "\n");
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }

  out.canonical_request = base::StrCat(input.method, "\n", UriEncodePath(input.path), "\n",
                                       CanonicalQueryString(input.query), "\n", canonical_headers,
                                       "\n", signed_headers, "\n", input.payload_hash);

  const std::string scope =
      base::StrCat(date, "/", input.region, "/", input.service, "/aws4_request");
  out.string_to_sign = base::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n",
                                    Sha256Hex(out.canonical_request));

  std::string key = HmacSha256(base::StrCat("AWS4", input.credentials.secret_access_key), date);
  key = HmacSha256(key, input.region);
  key = HmacSha256(key, input.service);
  key = HmacSha256(key, "aws4_request");
  out.signature = HexEncode(HmacSha256(key, out.string_to_sign));

  out.headers.emplace_back(
      "Authorization",
      base::StrCat("AWS4-HMAC-SHA256 Credential=", input.credentials.access_key_id, "/", scope,
                   ",SignedHeaders=", signed_headers, ",Signature=", out.signature));
  return out;
}

}  // namespace cardinalsin::io
