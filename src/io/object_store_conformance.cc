#include "io/object_store_conformance.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "base/testing/status_matchers.h"

namespace cardinalsin::io::testing {
namespace {

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::vector<std::string> Keys(const std::vector<ObjectMeta>& metas) {
  std::vector<std::string> keys;
  for (const ObjectMeta& m : metas) keys.push_back(m.key);
  return keys;
}

}  // namespace

void ObjectStoreConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<ObjectStore>> store = GetParam().create();
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(store).value();
  std::random_device rd;
  prefix_ =
      absl::StrFormat("conformance/%s-%08x%08x/",
                      ::testing::UnitTest::GetInstance()->current_test_info()->name(), rd(), rd());
}

void ObjectStoreConformanceTest::TearDown() {
  if (store_ == nullptr) return;
  absl::StatusOr<std::vector<ObjectMeta>> left = ListAll(*store_, prefix_);
  if (!left.ok()) return;
  for (const ObjectMeta& meta : *left) (void)store_->Delete(meta.key);
}

TEST_P(ObjectStoreConformanceTest, PutGetHeadRoundTrip) {
  const std::string data = RandomBytes(100'003, 1) + std::string("\0tail", 5);
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta put, store_->Put(Key("a/b/object.bin"), data));
  EXPECT_EQ(put.key, Key("a/b/object.bin"));
  EXPECT_EQ(put.size, data.size());
  EXPECT_FALSE(put.etag.empty());
  EXPECT_EQ(put.etag.front() == '"', false) << "etags are returned unquoted";
  EXPECT_THAT(store_->Get(Key("a/b/object.bin")), IsOkAndHolds(data));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta head, store_->Head(Key("a/b/object.bin")));
  EXPECT_EQ(head.size, data.size());
  EXPECT_EQ(head.etag, put.etag);
}

TEST_P(ObjectStoreConformanceTest, EmptyObject) {
  CS_ASSERT_OK(store_->Put(Key("empty"), ""));
  EXPECT_THAT(store_->Get(Key("empty")), IsOkAndHolds(""));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta head, store_->Head(Key("empty")));
  EXPECT_EQ(head.size, 0u);
}

TEST_P(ObjectStoreConformanceTest, MissingKeys) {
  EXPECT_THAT(store_->Get(Key("missing")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetRange(Key("missing"), 0, 10), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Head(Key("missing")), StatusIs(absl::StatusCode::kNotFound));
  CS_EXPECT_OK(store_->Delete(Key("missing")));
  // Operators read these messages: every store says "not found" and names the key.
  absl::Status status = store_->Get(Key("missing")).status();
  EXPECT_NE(status.message().find("not found"), std::string::npos) << status;
  EXPECT_NE(status.message().find(Key("missing")), std::string::npos) << status;
}

TEST_P(ObjectStoreConformanceTest, OverwriteReplacesContentAndEtag) {
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta first, store_->Put(Key("k"), "one"));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta second, store_->Put(Key("k"), "two!"));
  EXPECT_NE(first.etag, second.etag);
  EXPECT_THAT(store_->Get(Key("k")), IsOkAndHolds("two!"));
  EXPECT_EQ(store_->Head(Key("k"))->size, 4u);
}

TEST_P(ObjectStoreConformanceTest, DeleteRemoves) {
  CS_ASSERT_OK(store_->Put(Key("d/x"), "x"));
  CS_ASSERT_OK(store_->Delete(Key("d/x")));
  EXPECT_THAT(store_->Head(Key("d/x")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ListAll(*store_, Key("d/")), IsOkAndHolds(IsEmpty()));
  CS_EXPECT_OK(store_->Delete(Key("d/x")));
}

TEST_P(ObjectStoreConformanceTest, CreateIfAbsent) {
  const PutOptions create{.mode = PutMode::kCreateIfAbsent};
  CS_ASSERT_OK(store_->Put(Key("log/0001.json"), "first", create));
  EXPECT_THAT(store_->Put(Key("log/0001.json"), "second", create),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Get(Key("log/0001.json")), IsOkAndHolds("first"));
}

TEST_P(ObjectStoreConformanceTest, UpdateIfMatch) {
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta v1, store_->Put(Key("lease"), "v1"));
  CS_ASSERT_OK_AND_ASSIGN(
      ObjectMeta v2,
      store_->Put(Key("lease"), "v2", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = v1.etag}));
  EXPECT_NE(v2.etag, v1.etag);
  // The stale etag must lose and leave v2 in place.
  EXPECT_THAT(
      store_->Put(Key("lease"), "v3", {.mode = PutMode::kUpdateIfMatch, .if_match_etag = v1.etag}),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Get(Key("lease")), IsOkAndHolds("v2"));
  EXPECT_EQ(store_->Head(Key("lease"))->etag, v2.etag);
  // If-Match on a missing key fails (S3 says 404 or 412 depending on the server; both map here).
  EXPECT_THAT(store_->Put(Key("no-lease"), "x",
                          {.mode = PutMode::kUpdateIfMatch, .if_match_etag = v2.etag}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Head(Key("no-lease")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ObjectStoreConformanceTest, RangedReads) {
  const std::string data = RandomBytes(10'000, 2);
  CS_ASSERT_OK(store_->Put(Key("r"), data));
  EXPECT_THAT(store_->GetRange(Key("r"), 0, 1), IsOkAndHolds(data.substr(0, 1)));
  EXPECT_THAT(store_->GetRange(Key("r"), 1234, 4321), IsOkAndHolds(data.substr(1234, 4321)));
  EXPECT_THAT(store_->GetRange(Key("r"), 9'999, 1), IsOkAndHolds(data.substr(9'999)));
  // A range running past the end is cut short, like HTTP Range.
  EXPECT_THAT(store_->GetRange(Key("r"), 9'000, 5'000), IsOkAndHolds(data.substr(9'000)));
  EXPECT_THAT(store_->GetRange(Key("r"), 10'000, 10), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ObjectStoreConformanceTest, KeysWithSpecialCharacters) {
  const std::vector<std::string> names = {
      "sp ace/file name.txt", "plus+sign",     "percent%25and%",    "eq=amp&q?",
      "tilde~star*(paren)",   "unicode/é中文", "dots.in.name/x..y", "colon:semi;comma,"};
  for (size_t i = 0; i < names.size(); ++i) {
    CS_ASSERT_OK(store_->Put(Key(names[i]), names[i])) << names[i];
  }
  for (const std::string& name : names) {
    EXPECT_THAT(store_->Get(Key(name)), IsOkAndHolds(name)) << name;
  }
  CS_ASSERT_OK_AND_ASSIGN(std::vector<ObjectMeta> all, ListAll(*store_, prefix_));
  std::vector<std::string> expected;
  for (const std::string& name : names) expected.push_back(Key(name));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Keys(all), expected);
}

TEST_P(ObjectStoreConformanceTest, InvalidKeysRejected) {
  for (const std::string& bad :
       {std::string(""), std::string("/abs"), std::string("a//b"), std::string("a/../b"),
        std::string("trailing/"), std::string(kMaxKeyBytes + 1, 'k')}) {
    EXPECT_THAT(store_->Put(bad, "x"), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST_P(ObjectStoreConformanceTest, ListPaginationIsOrderedAndComplete) {
  std::vector<std::string> expected;
  for (int i = 0; i < 23; ++i) {
    expected.push_back(Key(absl::StrFormat("p/%03d", i)));
    CS_ASSERT_OK(store_->Put(expected.back(), "x"));
  }
  CS_ASSERT_OK(store_->Put(Key("other/zzz"), "x"));
  std::vector<std::string> seen;
  ListOptions options{.prefix = Key("p/"), .max_keys = 5};
  int pages = 0;
  while (true) {
    CS_ASSERT_OK_AND_ASSIGN(ListPage page, store_->List(options));
    ++pages;
    EXPECT_LE(page.objects.size(), 5u);
    for (const ObjectMeta& meta : page.objects) {
      seen.push_back(meta.key);
      EXPECT_EQ(meta.size, 1u);
    }
    if (page.next_continuation_token.empty()) break;
    options.continuation_token = page.next_continuation_token;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, expected);
}

TEST_P(ObjectStoreConformanceTest, ListDelimiterAndStartAfter) {
  for (const char* name : {"t/a.json", "t/b/1", "t/b/2", "t/c/d/e", "t/d.json", "tx"}) {
    CS_ASSERT_OK(store_->Put(Key(name), "x"));
  }
  CS_ASSERT_OK_AND_ASSIGN(ListPage page, store_->List({.prefix = Key("t/"), .delimiter = "/"}));
  EXPECT_THAT(Keys(page.objects), ElementsAre(Key("t/a.json"), Key("t/d.json")));
  EXPECT_THAT(page.common_prefixes, ElementsAre(Key("t/b/"), Key("t/c/")));
  EXPECT_TRUE(page.next_continuation_token.empty());

  // A prefix that ends mid-segment matches across the boundary.
  CS_ASSERT_OK_AND_ASSIGN(std::vector<ObjectMeta> t_all, ListAll(*store_, Key("t")));
  EXPECT_EQ(t_all.size(), 6u);

  // Delimited paging: common prefixes count towards max_keys and are not repeated.
  std::vector<std::string> names;
  ListOptions options{.prefix = Key("t/"), .delimiter = "/", .max_keys = 1};
  for (int i = 0; i < 10; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(ListPage p, store_->List(options));
    for (const ObjectMeta& m : p.objects) names.push_back(m.key);
    for (const std::string& cp : p.common_prefixes) names.push_back(cp);
    if (p.next_continuation_token.empty()) break;
    options.continuation_token = p.next_continuation_token;
  }
  EXPECT_THAT(names, ElementsAre(Key("t/a.json"), Key("t/b/"), Key("t/c/"), Key("t/d.json")));

  // start_after tails a sequence-numbered log.
  CS_ASSERT_OK_AND_ASSIGN(ListPage tail,
                          store_->List({.prefix = Key("t/"), .start_after = Key("t/b/1")}));
  EXPECT_THAT(Keys(tail.objects), ElementsAre(Key("t/b/2"), Key("t/c/d/e"), Key("t/d.json")));
}

TEST_P(ObjectStoreConformanceTest, MultipartRoundTrip) {
  const std::string part1 = RandomBytes(MultipartUpload::kMinPartBytes, 3);
  const std::string part2 = RandomBytes(MultipartUpload::kMinPartBytes + 17, 4);
  const std::string part3 = RandomBytes(1'000, 5);
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<MultipartUpload> upload,
                          store_->StartMultipartUpload(Key("big/chunk.parquet")));
  // Parts may arrive out of order and concurrently.
  std::thread t3([&] { CS_EXPECT_OK(upload->UploadPart(3, part3)); });
  CS_ASSERT_OK(upload->UploadPart(2, part2));
  CS_ASSERT_OK(upload->UploadPart(1, part1));
  t3.join();
  EXPECT_THAT(store_->Head(Key("big/chunk.parquet")), StatusIs(absl::StatusCode::kNotFound));
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, upload->Complete());
  EXPECT_EQ(meta.size, part1.size() + part2.size() + part3.size());
  CS_ASSERT_OK_AND_ASSIGN(std::string got, store_->Get(Key("big/chunk.parquet")));
  EXPECT_TRUE(got == part1 + part2 + part3);
  EXPECT_EQ(store_->Head(Key("big/chunk.parquet"))->size, meta.size);
}

TEST_P(ObjectStoreConformanceTest, MultipartAbortLeavesNothing) {
  CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<MultipartUpload> upload,
                          store_->StartMultipartUpload(Key("aborted")));
  CS_ASSERT_OK(upload->UploadPart(1, RandomBytes(MultipartUpload::kMinPartBytes, 6)));
  CS_ASSERT_OK(upload->Abort());
  EXPECT_THAT(store_->Head(Key("aborted")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ListAll(*store_, prefix_), IsOkAndHolds(IsEmpty()));
}

TEST_P(ObjectStoreConformanceTest, PutLargeUsesMultipart) {
  const std::string data = RandomBytes(12 << 20, 7);
  CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, PutLarge(*store_, Key("large"), data,
                                                    /*multipart_threshold=*/8 << 20,
                                                    /*part_bytes=*/5 << 20));
  EXPECT_EQ(meta.size, data.size());
  CS_ASSERT_OK_AND_ASSIGN(std::string got, store_->Get(Key("large")));
  EXPECT_TRUE(got == data);
}

TEST_P(ObjectStoreConformanceTest, ConcurrentCreateIfAbsentHasOneWinner) {
  constexpr int kWriters = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string key = Key(absl::StrFormat("race/%05d.json", round));
    std::atomic<int> wins{0}, conflicts{0}, errors{0};
    std::barrier start(kWriters);
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        start.arrive_and_wait();
        absl::StatusOr<ObjectMeta> r =
            store_->Put(key, base::StrCat("writer-", w), {.mode = PutMode::kCreateIfAbsent});
        if (r.ok()) {
          ++wins;
        } else if (r.status().code() == absl::StatusCode::kFailedPrecondition) {
          ++conflicts;
        } else {
          ++errors;
          ADD_FAILURE() << r.status();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kWriters - 1);
    EXPECT_EQ(errors.load(), 0);
  }
}

TEST_P(ObjectStoreConformanceTest, ConcurrentCompareAndSwapHasOneWinnerPerRound) {
  constexpr int kWriters = 8;
  constexpr int kRounds = 20;
  const std::string key = Key("cas/counter");
  CS_ASSERT_OK(store_->Put(key, "0"));
  std::vector<std::string> etags(kWriters);
  std::atomic<int> wins{0};
  std::vector<int> winners_per_round(kRounds, 0);
  std::barrier read_done(kWriters), write_done(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round) {
        absl::StatusOr<ObjectMeta> head = store_->Head(key);
        EXPECT_TRUE(head.ok()) << head.status();
        read_done.arrive_and_wait();  // Everyone holds the same etag before anyone writes.
        if (head.ok()) {
          absl::StatusOr<ObjectMeta> r =
              store_->Put(key, base::StrCat(round + 1, " by ", w),
                          {.mode = PutMode::kUpdateIfMatch, .if_match_etag = head->etag});
          if (r.ok()) {
            ++wins;
            __atomic_add_fetch(&winners_per_round[round], 1, __ATOMIC_SEQ_CST);
          } else {
            EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
          }
        }
        write_done.arrive_and_wait();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(winners_per_round[round], 1) << "round " << round;
  }
  EXPECT_EQ(wins.load(), kRounds);
  CS_ASSERT_OK_AND_ASSIGN(std::string final_value, store_->Get(key));
  EXPECT_EQ(final_value.substr(0, final_value.find(' ')), std::to_string(kRounds));
}

}  // namespace cardinalsin::io::testing
