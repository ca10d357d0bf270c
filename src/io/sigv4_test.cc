#include "io/sigv4.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::io {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Pair;

// The worked examples in the S3 API reference ("Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk") all use these inputs.
constexpr std::string_view kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

AwsCredentials ExampleCredentials() {
  return {.access_key_id = "AKIAIOSFODNN7EXAMPLE",
          .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          .session_token = ""};
}

absl::Time ExampleTime() {
  return absl::FromCivil(absl::CivilSecond(2013, 5, 24, 0, 0, 0), absl::UTCTimeZone());
}

SigV4Input ExampleInput(std::string_view method, std::string_view path, QueryParams query,
                        HttpHeaders extra_headers, std::string_view payload_hash) {
  HttpHeaders headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  for (auto& h : extra_headers) headers.push_back(std::move(h));
  return {.method = method,
          .path = path,
          .query = std::move(query),
          .headers = std::move(headers),
          .payload_hash = payload_hash,
          .credentials = ExampleCredentials(),
          .region = "us-east-1",
          .service = "s3",
          .time = ExampleTime()};
}

std::string AuthorizationOf(const SigV4Output& out) {
  for (const auto& [name, value] : out.headers) {
    if (name == "Authorization") return value;
  }
  return "";
}

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), kEmptyHash);
  EXPECT_EQ(Sha256Hex("Welcome to Amazon S3."),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

TEST(HmacSha256Test, Rfc4231TestCase2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SigV4Test, AwsExampleGetObject) {
  SigV4Output out =
      SignV4(ExampleInput("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, kEmptyHash));
  EXPECT_EQ(
      out.canonical_request,
      "GET\n/test.txt\n\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(out.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(out.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(AuthorizationOf(out),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_THAT(out.headers, ElementsAre(Pair("x-amz-date", "20130524T000000Z"),
                                       Pair("x-amz-content-sha256", std::string(kEmptyHash)),
                                       Pair("Authorization", AuthorizationOf(out))));
}

TEST(SigV4Test, AwsExamplePutObject) {
  const std::string payload_hash = Sha256Hex("Welcome to Amazon S3.");
  SigV4Output out = SignV4(ExampleInput(
      "PUT", "/test$file.text", {},
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      payload_hash));
  EXPECT_EQ(
      out.canonical_request,
      "PUT\n/test%24file.text\n\n"
      "date:Fri, 24 May 2013 00:00:00 GMT\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
      "x-amz-date:20130524T000000Z\n"
      "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(out.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(out.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, AwsExampleGetBucketLifecycle) {
  SigV4Output out = SignV4(ExampleInput("GET", "/", {{"lifecycle", ""}}, {}, kEmptyHash));
  EXPECT_EQ(
      out.canonical_request,
      "GET\n/\nlifecycle=\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(out.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(out.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Test, AwsExampleListObjects) {
  // Given out of order on purpose: canonicalisation sorts them.
  SigV4Output out =
      SignV4(ExampleInput("GET", "", {{"prefix", "J"}, {"max-keys", "2"}}, {}, kEmptyHash));
  EXPECT_EQ(
      out.canonical_request,
      "GET\n/\nmax-keys=2&prefix=J\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(out.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(out.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, SessionTokenIsAddedAndSigned) {
  SigV4Input in = ExampleInput("GET", "/test.txt", {}, {}, kEmptyHash);
  in.credentials.session_token = "token/with+chars=";
  SigV4Output out = SignV4(in);
  EXPECT_THAT(out.headers, Contains(Pair("x-amz-security-token", "token/with+chars=")));
  EXPECT_THAT(out.canonical_request,
              ::testing::HasSubstr("\nx-amz-security-token:token/with+chars=\n"));
  EXPECT_THAT(AuthorizationOf(out),
              ::testing::HasSubstr(
                  "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
  // The token changes the signature.
  EXPECT_NE(out.signature, SignV4(ExampleInput("GET", "/test.txt", {}, {}, kEmptyHash)).signature);
}

TEST(SigV4Test, UnsignedPayload) {
  SigV4Output out = SignV4(ExampleInput("GET", "/k", {}, {}, kUnsignedPayload));
  EXPECT_THAT(out.headers, Contains(Pair("x-amz-content-sha256", "UNSIGNED-PAYLOAD")));
  EXPECT_TRUE(out.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndRepeatedNamesJoined) {
  SigV4Output out = SignV4(ExampleInput(
      "GET", "/k", {},
      {{"X-Custom", "  a   b  c "}, {"x-custom", "second"}, {"IF-MATCH", "\"etag\""}}, kEmptyHash));
  EXPECT_THAT(out.canonical_request, ::testing::HasSubstr("\nif-match:\"etag\"\n"));
  EXPECT_THAT(out.canonical_request, ::testing::HasSubstr("\nx-custom:a b c,second\n"));
  EXPECT_THAT(out.canonical_request,
              ::testing::HasSubstr("\nhost;if-match;x-amz-content-sha256;x-amz-date;x-custom\n"));
}

TEST(CanonicalQueryStringTest, ListObjectsV2PrefixSlashIsEncoded) {
  EXPECT_EQ(CanonicalQueryString({{"list-type", "2"}, {"prefix", "d/"}}),
            "list-type=2&prefix=d%2F");
}

TEST(CanonicalQueryStringTest, SortedByEncodedName) {
  EXPECT_EQ(
      CanonicalQueryString(
          {{"list-type", "2"}, {"max-keys", "1000"}, {"delimiter", "/"}, {"encoding-type", "url"}}),
      "delimiter=%2F&encoding-type=url&list-type=2&max-keys=1000");
}

TEST(CanonicalQueryStringTest, ValuelessParameterGetsEquals) {
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
}

TEST(CanonicalQueryStringTest, UploadPartParameters) {
  EXPECT_EQ(CanonicalQueryString({{"uploadId", "2~abc+/="}, {"partNumber", "10"}}),
            "partNumber=10&uploadId=2~abc%2B%2F%3D");
}

TEST(CanonicalQueryStringTest, SameNameSortedByValue) {
  EXPECT_EQ(CanonicalQueryString({{"a", "z"}, {"a", "b"}, {"A", "c"}}), "A=c&a=b&a=z");
}

TEST(CanonicalQueryStringTest, EncodesReservedSpaceAndUtf8) {
  EXPECT_EQ(CanonicalQueryString({{"prefix", "a b+c*~é"}}), "prefix=a%20b%2Bc%2A~%C3%A9");
  EXPECT_EQ(CanonicalQueryString({}), "");
}

TEST(UriEncodePathTest, EncodesSegmentsAndKeepsSlashes) {
  EXPECT_EQ(UriEncodePath("/bucket/dir/a b+c$%.txt"), "/bucket/dir/a%20b%2Bc%24%25.txt");
  EXPECT_EQ(UriEncodePath("/bucket/t/_catalog/log/0007.json"), "/bucket/t/_catalog/log/0007.json");
  EXPECT_EQ(UriEncodePath(""), "/");
  EXPECT_EQ(UriEncodePath("/b/caf\xc3\xa9"), "/b/caf%C3%A9");
}

TEST(UriEncodePathTest, DoesNotDoubleEncode) {
  // A key that already contains "%2F" is encoded once: its '%' becomes %25.
  EXPECT_EQ(UriEncodePath("/b/a%2Fb"), "/b/a%252Fb");
}

}  // namespace
}  // namespace cardinalsin::io
