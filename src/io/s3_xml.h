// File: s3_xml.h
//
// A small, strict XML reader for the few S3 REST API response documents S3ObjectStore needs
// (ListBucketResult from ListObjectsV2, InitiateMultipartUploadResult,
// CompleteMultipartUploadResult, Error), and the one request document it sends
// (CompleteMultipartUpload). Shapes follow the Amazon S3 API Reference, API version 2006-03-01.
//
//   CS_ASSIGN_OR_RETURN(ListPage page, ParseListObjectsV2Result(body));
//
// The reader accepts well-formed XML 1.0 without a DTD: an optional declaration, comments and
// processing instructions (skipped), elements with attributes (parsed and ignored, so xmlns does
// not matter), character data with the predefined entities (&amp; &lt; &gt; &quot; &apos;) and
// numeric character references (&#NN; &#xHH;), and CDATA sections. It rejects DOCTYPE (no entity
// expansion), unknown entities, mismatched or unclosed tags, content after the root element and
// nesting deeper than kMaxXmlDepth. Text is never trimmed: object keys may start or end with
// spaces. Parse errors are InvalidArgument naming the byte offset; callers add the request context.
//
// Thread-safety: every function here is pure and safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "io/object_store.h"

namespace cardinalsin::io {

inline constexpr int kMaxXmlDepth = 32;

// One element of a parsed document. Namespace prefixes are kept in `name` as written.
struct XmlElement {
  std::string name;
  // All character data directly inside this element (not in children), entity-decoded, in order.
  std::string text;
  std::vector<XmlElement> children;

  // The first child named `child_name`, or nullptr. The pointer is valid while `*this` lives.
  const XmlElement* Child(std::string_view child_name) const;
  // The text of the first child named `child_name`, or "" when there is none.
  std::string_view ChildText(std::string_view child_name) const;
};

// Parses a whole document and returns its root element.
[[nodiscard]] absl::StatusOr<XmlElement> ParseXml(std::string_view document);

// Escapes & < > " ' for use in XML character data or attribute values.
std::string XmlEscape(std::string_view text);

// Decodes %XX escapes (and '+' as a space when `plus_as_space`). InvalidArgument on a malformed
// escape.
[[nodiscard]] absl::StatusOr<std::string> UrlDecode(std::string_view text, bool plus_as_space);

// Removes one pair of surrounding double quotes, if present ("\"abc\"" -> "abc").
std::string_view StripEtagQuotes(std::string_view etag);

// Parses an ISO 8601 UTC timestamp as S3 writes them, e.g. "2009-10-12T17:50:30.000Z".
[[nodiscard]] absl::StatusOr<absl::Time> ParseIso8601(std::string_view text);

// The fields of an S3 <Error> document. Absent fields are empty.
struct S3ErrorDocument {
  std::string code;  // e.g. "NoSuchKey", "SlowDown", "PreconditionFailed"
  std::string message;
  std::string resource;
  std::string bucket_name;  // Ceph RGW sends BucketName
  std::string key;
  std::string request_id;
};

// Parses an <Error> document. InvalidArgument if `body` is not well-formed XML or its root is not
// <Error>.
[[nodiscard]] absl::StatusOr<S3ErrorDocument> ParseS3Error(std::string_view body);

// Parses a ListObjectsV2 <ListBucketResult>. When it declares <EncodingType>url</EncodingType>,
// Key and CommonPrefixes/Prefix are URL-decoded ('+' is a space), as the S3 reference specifies
// for encoding-type=url; the continuation token is opaque and returned as sent. ETags are returned
// without quotes. `next_continuation_token` is empty unless IsTruncated is true, and a truncated
// result without a token is rejected.
[[nodiscard]] absl::StatusOr<ListPage> ParseListObjectsV2Result(std::string_view body);

// Returns the UploadId of an <InitiateMultipartUploadResult>; InvalidArgument if missing.
[[nodiscard]] absl::StatusOr<std::string> ParseInitiateMultipartUploadResult(std::string_view body);

// Returns the unquoted ETag of a <CompleteMultipartUploadResult>, which is empty when the server
// left it out (Ceph RGW 16 sends <ETag></ETag>); InvalidArgument if the document is anything else
// (including an <Error>, which callers check for first with ParseS3Error).
[[nodiscard]] absl::StatusOr<std::string> ParseCompleteMultipartUploadResult(std::string_view body);

// Builds the CompleteMultipartUpload request body listing (part number, unquoted ETag) pairs in
// the given order; ETags are written quoted, as S3 returns them from UploadPart.
std::string BuildCompleteMultipartUpload(const std::vector<std::pair<int, std::string>>& parts);

}  // namespace cardinalsin::io
