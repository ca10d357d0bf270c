#include "io/local_object_store.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "io/object_store_conformance.h"

namespace cardinalsin::io {
namespace {

using testing::ObjectStoreConformanceTest;

using ::cardinalsin::base::testing::IsOkAndHolds;
using ::cardinalsin::base::testing::StatusIs;

std::string NewTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cs-local-store-XXXXXX").string();
  char* dir = ::mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreConformanceTest,
                         ::testing::Values(testing::ObjectStoreFactory{
                             "local",
                             []() -> absl::StatusOr<std::unique_ptr<ObjectStore>> {
                               CS_ASSIGN_OR_RETURN(auto store,
                                                   LocalObjectStore::Open(NewTempDir()));
                               return std::unique_ptr<ObjectStore>(std::move(store));
                             }}),
                         [](const auto& info) { return info.param.name; });

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = NewTempDir();
    CS_ASSERT_OK_AND_ASSIGN(store_, LocalObjectStore::Open(root_));
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreTest, ObjectsArePlainFilesUnderTheRoot) {
  CS_ASSERT_OK(store_->Put("default/data/2026/11/24/10/L0-x.parquet", "PAR1"));
  std::ifstream in(root_ + "/default/data/2026/11/24/10/L0-x.parquet");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "PAR1");
}

// Objects of a megabyte or more are written with O_DIRECT where the file system has it, through
// an aligned buffer a megabyte at a time: sizes around those boundaries must come back exactly,
// on a file system with O_DIRECT (the temp dir) and on one without (tmpfs, when present).
TEST_F(LocalObjectStoreTest, LargeObjectsRoundTripWithAndWithoutDirectWrites) {
  std::vector<std::string> roots = {root_};
  std::string shm_root;
  if (std::filesystem::is_directory("/dev/shm")) {
    std::string pattern = "/dev/shm/cs-local-store-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) roots.push_back(shm_root = pattern);
  }
  for (const std::string& root : roots) {
    CS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalObjectStore> store, LocalObjectStore::Open(root));
    for (size_t size : {size_t{1} << 20, (size_t{1} << 20) + 1, (size_t{5} << 19) + 123,
                        size_t{3} << 20, (size_t{1} << 20) - 1}) {
      std::string data(size, '\0');
      for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + size) >> 3);
      const std::string key = absl::StrFormat("big/%d.bin", size);
      CS_ASSERT_OK(store->Put(key, data));
      EXPECT_EQ(std::filesystem::file_size(root + "/" + key), size) << root;
      std::ifstream in(root + "/" + key, std::ios::binary);
      const std::string content((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
      EXPECT_TRUE(content == data) << root << " size " << size;
    }
  }
  if (!shm_root.empty()) std::filesystem::remove_all(shm_root);
}

TEST_F(LocalObjectStoreTest, ReservedNamesAndPrefixConflicts) {
  EXPECT_THAT(store_->Put(".tmp/x", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Put(".locks", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  CS_ASSERT_OK(store_->Put("a/b", "x"));
  EXPECT_THAT(store_->Put("a", "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Put("a/b/c", "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Head("a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Get("a/b"), IsOkAndHolds("x"));
}

TEST_F(LocalObjectStoreTest, DeleteRemovesEmptyDirectoriesAndListSkipsInternals) {
  CS_ASSERT_OK(store_->Put("t/x/y/z", "x"));
  CS_ASSERT_OK(store_->Delete("t/x/y/z"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/t"));
  CS_ASSERT_OK(store_->Put("k", "v"));
  CS_ASSERT_OK_AND_ASSIGN(ListPage page, store_->List({}));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "k");
}

TEST_F(LocalObjectStoreTest, OpenRemovesStaleTempFilesOnly) {
  const std::string stale = root_ + "/.tmp/123-0-dead";
  const std::string fresh = root_ + "/.tmp/123-1-beef";
  std::ofstream(stale) << "partial";
  std::ofstream(fresh) << "partial";
  base::FakeClock clock(absl::Now() + absl::Hours(2));
  std::filesystem::last_write_time(
      fresh, std::filesystem::file_time_type::clock::now() + std::chrono::hours(2));
  CS_ASSERT_OK(LocalObjectStore::Open(root_, clock).status());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(fresh));
}

TEST_F(LocalObjectStoreTest, EtagsOfSuccessiveVersionsNeverRepeat) {
  // Same size every time, written as fast as possible: the etag must still change.
  std::set<std::string> etags;
  for (int i = 0; i < 200; ++i) {
    CS_ASSERT_OK_AND_ASSIGN(ObjectMeta meta, store_->Put("k", absl::StrFormat("%04d", i)));
    EXPECT_TRUE(etags.insert(meta.etag).second) << "etag repeated at version " << i;
  }
}

// Runs `body(i)` in `n` forked processes at once and returns their exit codes.
template <typename Body>
std::vector<int> RunInProcesses(int n, Body body) {
  std::vector<pid_t> pids;
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // Start together once the parent closes the pipe.
      ::_exit(body(i));
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 100);
  }
  return codes;
}

TEST_F(LocalObjectStoreTest, CreateIfAbsentIsAtomicAcrossProcesses) {
  for (int round = 0; round < 5; ++round) {
    const std::string key = absl::StrFormat("log/%05d.json", round);
    std::vector<int> codes = RunInProcesses(8, [&](int i) {
      auto store = LocalObjectStore::Open(root_);
      if (!store.ok()) return 3;
      auto r = (*store)->Put(key, base::StrCat("p", i), {.mode = PutMode::kCreateIfAbsent});
      if (r.ok()) return 0;
      return r.status().code() == absl::StatusCode::kFailedPrecondition ? 1 : 2;
    });
    EXPECT_EQ(std::count(codes.begin(), codes.end(), 0), 1) << "round " << round;
    EXPECT_EQ(std::count(codes.begin(), codes.end(), 1), 7) << "round " << round;
  }
}

TEST_F(LocalObjectStoreTest, CompareAndSwapIsAtomicAcrossProcesses) {
  // Each process increments a counter 25 times with CAS retries; no increment may be lost.
  CS_ASSERT_OK(store_->Put("counter", "0"));
  constexpr int kProcesses = 8, kIncrements = 25;
  std::vector<int> codes = RunInProcesses(kProcesses, [&](int) {
    auto store = LocalObjectStore::Open(root_);
    if (!store.ok()) return 3;
    for (int done = 0; done < kIncrements;) {
      auto head = (*store)->Head("counter");
      auto value = (*store)->Get("counter");
      if (!head.ok() || !value.ok()) return 2;
      // The value read may be newer than the etag; the CAS below then fails and we retry.
      auto r = (*store)->Put("counter", std::to_string(std::atoi(value->c_str()) + 1),
                             {.mode = PutMode::kUpdateIfMatch, .if_match_etag = head->etag});
      if (r.ok()) {
        ++done;
      } else if (r.status().code() != absl::StatusCode::kFailedPrecondition) {
        return 2;
      }
    }
    return 0;
  });
  for (int code : codes) EXPECT_EQ(code, 0);
  EXPECT_THAT(store_->Get("counter"), IsOkAndHolds(std::to_string(kProcesses * kIncrements)));
}

}  // namespace
}  // namespace cardinalsin::io
