#include "io/s3_xml.h"

#include <string>

#include "absl/time/civil_time.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::io {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

TEST(ParseXmlTest, ElementsTextAndAttributes) {
  CS_ASSERT_OK_AND_ASSIGN(
      XmlElement root,
      ParseXml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<!-- leading comment -->\n"
               "<Root xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" a='1'>"
               "<A>one</A><B/><A>two</A><C x=\"&lt;y&gt;\" >  spaced  </C></Root>\n"));
  EXPECT_EQ(root.name, "Root");
  ASSERT_EQ(root.children.size(), 4u);
  EXPECT_EQ(root.ChildText("A"), "one");  // the first one
  EXPECT_EQ(root.children[2].text, "two");
  ASSERT_NE(root.Child("B"), nullptr);
  EXPECT_EQ(root.Child("B")->text, "");
  EXPECT_EQ(root.ChildText("C"), "  spaced  ");  // never trimmed
  EXPECT_EQ(root.Child("Missing"), nullptr);
  EXPECT_EQ(root.ChildText("Missing"), "");
}

TEST(ParseXmlTest, DecodesEntitiesAndCharacterReferences) {
  CS_ASSERT_OK_AND_ASSIGN(XmlElement root,
                          ParseXml("<K>&amp;&lt;&gt;&quot;&apos; &#65;&#x42;&#xe9;&#8364;&#x1F600;"
                                   "<![CDATA[<raw & text>]]></K>"));
  EXPECT_EQ(root.text, "&<>\"' AB\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80<raw & text>");
}

TEST(ParseXmlTest, RejectsMalformedDocuments) {
  for (std::string_view doc : {
           "",
           "   ",
           "text",
           "<A>",
           "<A></B>",
           "<A><B></A></B>",
           "<A>&unknown;</A>",
           "<A>&amp</A>",
           "<A>& </A>",
           "<A>&#;</A>",
           "<A>&#x;</A>",
           "<A>&#0;</A>",
           "<A>&#xD800;</A>",
           "<A>&#x110000;</A>",
           "<A>&#12a;</A>",
           "<A></A><B></B>",
           "<A></A>trailing",
           "<!DOCTYPE A [<!ENTITY e \"x\">]><A>&e;</A>",
           "<A><!DOCTYPE x></A>",
           "<A x=1></A>",
           "<A x=\"1\"y=\"2\"></A>",
           "<A x=\"<\"></A>",
           "<A x=\"1></A>",
           "<1A></1A>",
           "<A><![CDATA[x</A>",
           "<A><!-- x</A>",
           "<A",
           "</A>",
       }) {
    EXPECT_THAT(ParseXml(doc), StatusIs(absl::StatusCode::kInvalidArgument)) << doc;
  }
}

TEST(ParseXmlTest, ErrorNamesTheOffset) {
  absl::StatusOr<XmlElement> root = ParseXml("<A><B>x</C></A>");
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("at byte 10"));
  EXPECT_THAT(root.status().message(), HasSubstr("</C> does not match <B>"));
}

TEST(ParseXmlTest, LimitsNestingDepth) {
  std::string ok_doc, deep_doc;
  for (int i = 0; i < kMaxXmlDepth; ++i) ok_doc += "<a>";
  for (int i = 0; i < kMaxXmlDepth; ++i) ok_doc += "</a>";
  CS_EXPECT_OK(ParseXml(ok_doc));
  for (int i = 0; i < 100000; ++i) deep_doc += "<a>";
  EXPECT_THAT(ParseXml(deep_doc), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(XmlEscapeTest, EscapesAllFive) {
  EXPECT_EQ(XmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  CS_ASSERT_OK_AND_ASSIGN(XmlElement root, ParseXml("<x>" + XmlEscape("<&'\">") + "</x>"));
  EXPECT_EQ(root.text, "<&'\">");
}

TEST(UrlDecodeTest, DecodesEscapesAndPlus) {
  EXPECT_THAT(UrlDecode("a%2Fb%20c+d%2bE%c3%A9", true), IsOkAndHolds("a/b c d+E\xC3\xA9"));
  EXPECT_THAT(UrlDecode("a+b", false), IsOkAndHolds("a+b"));
  EXPECT_THAT(UrlDecode("", true), IsOkAndHolds(""));
  EXPECT_THAT(UrlDecode("%", true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(UrlDecode("ab%2", true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(UrlDecode("%zz", true), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StripEtagQuotesTest, StripsOnePair) {
  EXPECT_EQ(StripEtagQuotes("\"abc\""), "abc");
  EXPECT_EQ(StripEtagQuotes("abc"), "abc");
  EXPECT_EQ(StripEtagQuotes("\""), "\"");
  EXPECT_EQ(StripEtagQuotes("\"\""), "");
}

TEST(ParseIso8601Test, S3Timestamps) {
  EXPECT_THAT(ParseIso8601("2009-10-12T17:50:30.000Z"),
              IsOkAndHolds(Utc(2009, 10, 12, 17, 50, 30)));
  EXPECT_THAT(ParseIso8601("2023-01-02T03:04:05Z"), IsOkAndHolds(Utc(2023, 1, 2, 3, 4, 5)));
  EXPECT_THAT(ParseIso8601("2023-01-02T03:04:05.250Z"),
              IsOkAndHolds(Utc(2023, 1, 2, 3, 4, 5) + absl::Milliseconds(250)));
  EXPECT_THAT(ParseIso8601("yesterday"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseS3ErrorTest, AwsStyleError) {
  CS_ASSERT_OK_AND_ASSIGN(
      S3ErrorDocument error,
      ParseS3Error("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<Error>\n"
                   "  <Code>NoSuchKey</Code>\n"
                   "  <Message>The resource you requested does not exist</Message>\n"
                   "  <Resource>/mybucket/myfoto.jpg</Resource>\n"
                   "  <RequestId>4442587FB7D0A2F9</RequestId>\n"
                   "</Error>"));
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The resource you requested does not exist");
  EXPECT_EQ(error.resource, "/mybucket/myfoto.jpg");
  EXPECT_EQ(error.request_id, "4442587FB7D0A2F9");
}

TEST(ParseS3ErrorTest, RgwStyleErrorWithoutMessage) {
  CS_ASSERT_OK_AND_ASSIGN(
      S3ErrorDocument error,
      ParseS3Error("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
                   "<BucketName>missing</BucketName><RequestId>tx0000-abc</RequestId>"
                   "<HostId>1234-default-default</HostId></Error>"));
  EXPECT_EQ(error.code, "NoSuchBucket");
  EXPECT_EQ(error.message, "");
  EXPECT_EQ(error.bucket_name, "missing");
}

TEST(ParseS3ErrorTest, RejectsOtherDocuments) {
  EXPECT_THAT(ParseS3Error("<CompleteMultipartUploadResult/>"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseS3Error("<html>Bad Gateway</html"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseS3Error(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

constexpr std::string_view kListTruncated =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>bucket</Name>\n"
    "  <Prefix>t%2F</Prefix>\n"
    "  <Delimiter>%2F</Delimiter>\n"
    "  <MaxKeys>3</MaxKeys>\n"
    "  <EncodingType>url</EncodingType>\n"
    "  <KeyCount>3</KeyCount>\n"
    "  <IsTruncated>true</IsTruncated>\n"
    "  "
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\n"
    "  <Contents>\n"
    "    <Key>t%2Fa+b%2Bc.txt</Key>\n"
    "    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
    "    <Size>434234</Size>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "  </Contents>\n"
    "  <Contents>\n"
    "    <Key>t%2Fcaf%C3%A9</Key>\n"
    "    <LastModified>2023-01-02T03:04:05Z</LastModified>\n"
    "    <ETag>\"0f343b0931126a20f133d67c2b018a3b-2\"</ETag>\n"
    "    <Size>0</Size>\n"
    "  </Contents>\n"
    "  <CommonPrefixes><Prefix>t%2Fdir%2F</Prefix></CommonPrefixes>\n"
    "</ListBucketResult>\n";

TEST(ParseListObjectsV2ResultTest, UrlEncodedTruncatedPage) {
  CS_ASSERT_OK_AND_ASSIGN(ListPage page, ParseListObjectsV2Result(kListTruncated));
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "t/a b+c.txt");
  EXPECT_EQ(page.objects[0].size, 434234u);
  EXPECT_EQ(page.objects[0].etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(page.objects[0].last_modified, Utc(2009, 10, 12, 17, 50, 30));
  EXPECT_EQ(page.objects[1].key, "t/caf\xC3\xA9");
  EXPECT_EQ(page.objects[1].size, 0u);
  EXPECT_EQ(page.objects[1].etag, "0f343b0931126a20f133d67c2b018a3b-2");
  EXPECT_THAT(page.common_prefixes, ElementsAre("t/dir/"));
  // Opaque: not URL-decoded ('+', '/' and '=' survive).
  EXPECT_EQ(page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ParseListObjectsV2ResultTest, PlainLastPage) {
  CS_ASSERT_OK_AND_ASSIGN(
      ListPage page, ParseListObjectsV2Result(
                         "<ListBucketResult><Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount>"
                         "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                         "<Contents><Key>a+b&amp;c</Key><Size>5</Size><ETag>\"e\"</ETag>"
                         "<LastModified>2023-01-02T03:04:05.000Z</LastModified></Contents>"
                         "</ListBucketResult>"));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "a+b&c");  // no EncodingType: taken literally
  EXPECT_EQ(page.next_continuation_token, "");
  EXPECT_TRUE(page.common_prefixes.empty());
}

TEST(ParseListObjectsV2ResultTest, EmptyResult) {
  CS_ASSERT_OK_AND_ASSIGN(
      ListPage page,
      ParseListObjectsV2Result("<ListBucketResult><Name>b</Name><Prefix>none/</Prefix>"
                               "<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
                               "<IsTruncated>false</IsTruncated></ListBucketResult>"));
  EXPECT_TRUE(page.objects.empty());
  EXPECT_TRUE(page.common_prefixes.empty());
  EXPECT_EQ(page.next_continuation_token, "");
}

TEST(ParseListObjectsV2ResultTest, RejectsBadDocuments) {
  for (std::string_view doc : {
           "<ListAllMyBucketsResult/>",
           "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
           "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
           "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>1</Size>"
           "<LastModified>never</LastModified></Contents></ListBucketResult>",
           "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key>"
           "<Size>1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><EncodingType>base64</EncodingType></ListBucketResult>",
           "<ListBucketResult><CommonPrefixes></CommonPrefixes></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key>",
       }) {
    EXPECT_THAT(ParseListObjectsV2Result(doc), StatusIs(absl::StatusCode::kInvalidArgument)) << doc;
  }
}

TEST(ParseInitiateMultipartUploadResultTest, ReturnsUploadId) {
  EXPECT_THAT(
      ParseInitiateMultipartUploadResult(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<Bucket>example-bucket</Bucket><Key>example-object</Key>"
          "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
          "</InitiateMultipartUploadResult>"),
      IsOkAndHolds("VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"));
  EXPECT_THAT(ParseInitiateMultipartUploadResult("<InitiateMultipartUploadResult><Bucket>b</Bucket>"
                                                 "</InitiateMultipartUploadResult>"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseCompleteMultipartUploadResultTest, ReturnsUnquotedEtag) {
  EXPECT_THAT(
      ParseCompleteMultipartUploadResult(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>"
          "<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
          "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
          "</CompleteMultipartUploadResult>"),
      IsOkAndHolds("3858f62230ac3c915f300c664312c11f-9"));
  EXPECT_THAT(ParseCompleteMultipartUploadResult(
                  "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag></ETag>"
                  "</CompleteMultipartUploadResult>"),
              IsOkAndHolds(""));
  // A 200 response can carry an error document instead.
  constexpr std::string_view kError =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try "
      "again.</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>";
  EXPECT_THAT(ParseCompleteMultipartUploadResult(kError),
              StatusIs(absl::StatusCode::kInvalidArgument));
  CS_ASSERT_OK_AND_ASSIGN(S3ErrorDocument error, ParseS3Error(kError));
  EXPECT_EQ(error.code, "InternalError");
}

TEST(BuildCompleteMultipartUploadTest, ListsPartsWithQuotedEtags) {
  const std::string body = BuildCompleteMultipartUpload(
      {{1, "a54357aff0632cce46d942af68356b38"}, {2, "0c78aef83f66abc1fa1e8477f296d394"}});
  EXPECT_THAT(body, HasSubstr("<Part><PartNumber>1</PartNumber>"
                              "<ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
                              "<Part><PartNumber>2</PartNumber>"));
  // Round-trips through our own reader.
  CS_ASSERT_OK_AND_ASSIGN(XmlElement root, ParseXml(body));
  EXPECT_EQ(root.name, "CompleteMultipartUpload");
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[1].ChildText("ETag"), "\"0c78aef83f66abc1fa1e8477f296d394\"");
}

}  // namespace
}  // namespace cardinalsin::io
