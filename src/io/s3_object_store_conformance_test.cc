// Runs the ObjectStore conformance suite against a real S3 server, configured by the environment
// that test/harness/rgw.sh writes (CS_TEST_S3_ENDPOINT, CS_TEST_S3_BUCKET, CS_TEST_S3_REGION,
// CS_TEST_S3_ACCESS_KEY_ID, CS_TEST_S3_SECRET_ACCESS_KEY, CS_TEST_S3_ETAG_QUOTING). Only the RGW
// harness runs this binary, so missing variables are a failure, not a skip.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "io/object_store_conformance.h"
#include "io/s3_object_store.h"

namespace cardinalsin::io::testing {
namespace {

absl::StatusOr<std::unique_ptr<ObjectStore>> CreateFromEnvironment() {
  S3Config config;
  std::string missing;
  auto env = [&](const char* name, std::string* out, bool required) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') {
      *out = value;
    } else if (required) {
      base::StrAppend(&missing, missing.empty() ? "" : ", ", name);
    }
  };
  std::string quoting;
  env("CS_TEST_S3_ENDPOINT", &config.endpoint, true);
  env("CS_TEST_S3_BUCKET", &config.bucket, true);
  env("CS_TEST_S3_REGION", &config.region, false);
  env("CS_TEST_S3_ACCESS_KEY_ID", &config.access_key_id, true);
  env("CS_TEST_S3_SECRET_ACCESS_KEY", &config.secret_access_key, true);
  env("CS_TEST_S3_ETAG_QUOTING", &quoting, false);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(base::StrCat(
        "the S3 conformance test needs ", missing,
        " set; run it through test/harness/rgw.sh (eval \"$(test/harness/rgw.sh start DIR)\")"));
  }
  if (!quoting.empty() && quoting != "quoted" && quoting != "unquoted") {
    return absl::InvalidArgumentError(
        base::StrCat("CS_TEST_S3_ETAG_QUOTING must be quoted or unquoted, not '", quoting, "'"));
  }
  config.quote_etag_in_if_match = quoting != "unquoted";
  static base::SeededRandom random;
  CS_ASSIGN_OR_RETURN(std::unique_ptr<S3ObjectStore> store,
                      S3ObjectStore::Create(std::move(config), base::SystemClock(), random));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

// S3-specific checks beyond the shared suite, against the same server.
class S3ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ObjectStore>> store = CreateFromEnvironment();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    prefix_ = base::StrCat("s3-server-test/", random_.Next(), "/");
  }
  void TearDown() override {
    if (store_ == nullptr) return;
    absl::StatusOr<std::vector<ObjectMeta>> left = ListAll(*store_, prefix_);
    if (!left.ok()) return;
    for (const ObjectMeta& meta : *left) (void)store_->Delete(meta.key);
  }

  base::SeededRandom random_;
  std::unique_ptr<ObjectStore> store_;
  std::string prefix_;
};

// Continuation tokens must survive keys that need URL encoding (the token may be derived from the
// last key) and every page boundary must be exact, with and without a delimiter.
TEST_F(S3ServerTest, PaginationAcrossKeysThatNeedEncoding) {
  const std::vector<std::string> names = {"a b", "a+b",         "a%2Bb",   "a%b",     "a&b=c",
                                          "a~b", "caf\xc3\xa9", "d/x y/1", "d/x+y/2", "z%20"};
  std::vector<std::string> expected;
  for (const std::string& name : names) {
    expected.push_back(prefix_ + name);
    CS_ASSERT_OK(store_->Put(expected.back(), name));
  }
  std::sort(expected.begin(), expected.end());
  for (int max_keys : {1, 2, 3}) {
    std::vector<std::string> seen;
    ListOptions options{.prefix = prefix_, .max_keys = max_keys};
    for (int page = 0; page < 50; ++page) {
      CS_ASSERT_OK_AND_ASSIGN(ListPage result, store_->List(options));
      for (const ObjectMeta& meta : result.objects) seen.push_back(meta.key);
      if (result.next_continuation_token.empty()) break;
      options.continuation_token = result.next_continuation_token;
    }
    EXPECT_EQ(seen, expected) << "max_keys " << max_keys;
  }
  std::vector<std::string> rolled;
  ListOptions options{.prefix = prefix_, .delimiter = "/", .max_keys = 1};
  for (int page = 0; page < 50; ++page) {
    CS_ASSERT_OK_AND_ASSIGN(ListPage result, store_->List(options));
    for (const ObjectMeta& meta : result.objects) rolled.push_back(meta.key);
    for (const std::string& common : result.common_prefixes) rolled.push_back(common);
    if (result.next_continuation_token.empty()) break;
    options.continuation_token = result.next_continuation_token;
  }
  std::vector<std::string> expected_rolled;
  for (const std::string& key : expected) {
    if (key.find('/', prefix_.size()) == std::string::npos) expected_rolled.push_back(key);
  }
  expected_rolled.push_back(prefix_ + "d/");
  std::sort(expected_rolled.begin(), expected_rolled.end());
  EXPECT_EQ(rolled, expected_rolled);
  // start_after with a key that needs encoding.
  CS_ASSERT_OK_AND_ASSIGN(ListPage tail,
                          store_->List({.prefix = prefix_, .start_after = prefix_ + "a+b"}));
  ASSERT_FALSE(tail.objects.empty());
  EXPECT_GT(tail.objects.front().key, prefix_ + "a+b");
}

TEST_F(S3ServerTest, HeadAndListAgreeWithPut) {
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta put, store_->Put(prefix_ + "meta", "12345"));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta head, store_->Head(prefix_ + "meta"));
  CS_ASSERT_OK_AND_ASSIGN(ListPage page, store_->List({.prefix = prefix_ + "meta"}));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(head.etag, put.etag);
  EXPECT_EQ(page.objects[0].etag, put.etag);
  EXPECT_EQ(page.objects[0].size, 5u);
  EXPECT_NE(head.last_modified, absl::InfinitePast());
  EXPECT_LE(absl::AbsDuration(head.last_modified - page.objects[0].last_modified),
            absl::Seconds(1));
  EXPECT_LE(absl::AbsDuration(head.last_modified - put.last_modified), absl::Seconds(2));
}

TEST_F(S3ServerTest, GetRangeOfEmptyObjectIsEmpty) {
  CS_ASSERT_OK(store_->Put(prefix_ + "empty", ""));
  EXPECT_THAT(store_->GetRange(prefix_ + "empty", 0, 10), base::testing::IsOkAndHolds(""));
}

TEST_F(S3ServerTest, MultipartErrors) {
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<MultipartUpload> upload,
                          store_->StartMultipartUpload(prefix_ + "mp"));
  EXPECT_THAT(upload->UploadPart(0, "x"),
              base::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(upload->UploadPart(10001, "x"),
              base::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(upload->Complete(), base::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  // A non-last part below 5 MiB is refused by S3 at completion (EntityTooSmall).
  CS_ASSERT_OK(upload->UploadPart(1, "small"));
  CS_ASSERT_OK(upload->UploadPart(2, "small"));
  EXPECT_THAT(upload->Complete(), base::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  CS_ASSERT_OK(upload->Abort());
  CS_ASSERT_OK(upload->Abort());  // idempotent
  EXPECT_THAT(upload->UploadPart(1, "x"),
              base::testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Head(prefix_ + "mp"), base::testing::StatusIs(absl::StatusCode::kNotFound));
}

TEST(S3ServerErrorsTest, WrongCredentialsArePermissionDenied) {
  ASSERT_NE(std::getenv("CS_TEST_S3_ENDPOINT"), nullptr) << "run through test/harness/rgw.sh";
  ASSERT_NE(std::getenv("CS_TEST_S3_BUCKET"), nullptr) << "run through test/harness/rgw.sh";
  base::SeededRandom random;
  CS_ASSERT_OK_AND_ASSIGN(auto store,
                          S3ObjectStore::Create({.endpoint = std::getenv("CS_TEST_S3_ENDPOINT"),
                                                 .bucket = std::getenv("CS_TEST_S3_BUCKET"),
                                                 .access_key_id = "CSWRONGKEY",
                                                 .secret_access_key = "wrong-secret"},
                                                base::SystemClock(), random));
  absl::StatusOr<std::string> got = store->Get("any/key");
  EXPECT_THAT(got, base::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr("any/key"));
}

TEST(S3ServerErrorsTest, MissingBucketIsNotFoundNamingTheBucket) {
  ASSERT_NE(std::getenv("CS_TEST_S3_ENDPOINT"), nullptr) << "run through test/harness/rgw.sh";
  absl::StatusOr<std::unique_ptr<ObjectStore>> base_store = CreateFromEnvironment();
  ASSERT_TRUE(base_store.ok()) << base_store.status();
  S3Config config = static_cast<S3ObjectStore&>(**base_store).config();
  config.bucket = "cs-no-such-bucket";
  base::SeededRandom random;
  CS_ASSERT_OK_AND_ASSIGN(auto store, S3ObjectStore::Create(config, base::SystemClock(), random));
  absl::StatusOr<std::string> got = store->Get("k");
  EXPECT_THAT(got, base::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr("cs-no-such-bucket"));
  EXPECT_THAT(store->List({}), base::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->Delete("k"), base::testing::StatusIs(absl::StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformanceTest,
                         ::testing::Values(ObjectStoreFactory{"s3", &CreateFromEnvironment}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cardinalsin::io::testing
