#include "wal/wal.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wal/record.h"

namespace cardinalsin::wal {
namespace {

namespace fs = std::filesystem;
using base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Records = std::vector<std::pair<uint64_t, std::string>>;

class TempDir {
 public:
  TempDir() {
    const char* root = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(root != nullptr ? root : "/tmp") + "/wal_test.XXXXXX";
    path_ = ::mkdtemp(pattern.data());
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A deterministic payload whose length varies with `i` (0 to 99 bytes).
std::string Payload(uint64_t i) {
  std::string s = absl::StrFormat("record-%d:", i);
  s.resize(i % 100, static_cast<char>('a' + i % 26));
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string EncodeRecord(uint64_t seq, std::string_view payload) {
  std::string record(kHeaderSize, '\0');
  EncodeRecordHeader(seq, payload, record.data());
  record.append(payload);
  return record;
}

std::vector<std::string> SegmentNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("segment-", 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string SegmentPath(const std::string& dir, int id) {
  return absl::StrFormat("%s/segment-%06d.wal", dir, id);
}

WalOptions Options(const std::string& dir, SyncMode mode = SyncMode::kNone,
                   uint64_t max_segment_size = 0) {
  return WalOptions{.dir = dir, .sync = {.mode = mode}, .max_segment_size = max_segment_size};
}

Records ReplayAll(Wal& wal) {
  Records records;
  const absl::Status status = wal.Replay([&](uint64_t seq, std::string_view payload) {
    records.emplace_back(seq, std::string(payload));
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

Records ReopenAndReplay(const WalOptions& options) {
  auto wal = Wal::Open(options);
  EXPECT_TRUE(wal.ok()) << wal.status();
  if (!wal.ok()) return {};
  return ReplayAll(**wal);
}

Records Expected(uint64_t first, uint64_t last) {
  Records records;
  for (uint64_t i = first; i <= last; ++i) records.emplace_back(i, Payload(i));
  return records;
}

// Writes records 1..n with Payload(i) and closes the WAL.
void WriteRecords(const WalOptions& options, uint64_t n) {
  auto wal = Wal::Open(options);
  ASSERT_TRUE(wal.ok()) << wal.status();
  for (uint64_t i = 1; i <= n; ++i) {
    auto seq = (*wal)->Append(Payload(i));
    ASSERT_TRUE(seq.ok()) << seq.status();
    ASSERT_EQ(*seq, i);
  }
}

// Injects failures into the write path. Thread-safe.
class FaultFileOps : public FileOps {
 public:
  // The next PWritev writes at most `partial` bytes (if > 0); the one after that (or, with
  // partial == 0, the next one) fails with `error`.
  void FailNextWrite(int error, size_t partial) {
    std::lock_guard lock(mu_);
    write_error_ = error;
    partial_ = partial;
  }
  void FailSyncs(int error) { sync_error_ = error; }
  void FailTruncates(int error) { truncate_error_ = error; }

  int PWritev(int fd, const struct iovec* iov, int iovcnt, off_t offset, size_t* written) override {
    std::lock_guard lock(mu_);
    if (write_error_ == 0) return FileOps::PWritev(fd, iov, iovcnt, offset, written);
    if (partial_ > 0) {
      std::vector<iovec> trimmed;
      size_t budget = partial_;
      for (int i = 0; i < iovcnt && budget > 0; ++i) {
        const size_t take = std::min(budget, iov[i].iov_len);
        trimmed.push_back({iov[i].iov_base, take});
        budget -= take;
      }
      partial_ = 0;
      return FileOps::PWritev(fd, trimmed.data(), static_cast<int>(trimmed.size()), offset,
                              written);
    }
    const int error = write_error_;
    write_error_ = 0;
    return error;
  }
  int DataSync(int fd) override {
    if (const int error = sync_error_.load(); error != 0) return error;
    return FileOps::DataSync(fd);
  }
  int Truncate(int fd, off_t length) override {
    if (const int error = truncate_error_.load(); error != 0) return error;
    return FileOps::Truncate(fd, length);
  }

 private:
  std::mutex mu_;
  int write_error_ = 0;  // guarded by mu_
  size_t partial_ = 0;   // guarded by mu_
  std::atomic<int> sync_error_{0};
  std::atomic<int> truncate_error_{0};
};

TEST(WalTest, RoundTripAcrossRotations) {
  TempDir dir;
  const WalOptions options = Options(dir.path(), SyncMode::kEveryWrite, 300);
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    EXPECT_THAT(ReplayAll(*wal), ElementsAre());
    for (uint64_t i = 1; i <= 60; ++i) {
      CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append(Payload(i)));
      EXPECT_EQ(seq, i);
    }
    EXPECT_EQ(wal->last_seq(), 60u);
    EXPECT_EQ(wal->synced_seq(), 60u);
    const Wal::Stats stats = wal->stats();
    EXPECT_EQ(stats.records, 60u);
    EXPECT_GT(stats.rotations, 5u);
    EXPECT_EQ(stats.segments, stats.rotations + 1);
    EXPECT_EQ(SegmentNames(dir.path()).size(), stats.segments);
  }
  for (const std::string& name : SegmentNames(dir.path())) {
    EXPECT_LE(fs::file_size(dir.path() + "/" + name), 300u) << name;
  }
  EXPECT_EQ(ReopenAndReplay(options), Expected(1, 60));
  // Appends continue the sequence after a reopen.
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append("after reopen"));
  EXPECT_EQ(seq, 61u);
}

TEST(WalTest, OversizedRecordGoesAloneIntoAFreshSegment) {
  TempDir dir;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path(), SyncMode::kOnRotation, 100)));
  CS_ASSERT_OK(wal->Append("small").status());
  CS_ASSERT_OK(wal->Append(std::string(500, 'x')).status());
  CS_ASSERT_OK(wal->Append("small again").status());
  EXPECT_THAT(SegmentNames(dir.path()),
              ElementsAre("segment-000001.wal", "segment-000002.wal", "segment-000003.wal"));
  EXPECT_EQ(fs::file_size(SegmentPath(dir.path(), 1)), kHeaderSize + 5);
  EXPECT_EQ(fs::file_size(SegmentPath(dir.path(), 2)), kHeaderSize + 500);
  EXPECT_EQ(fs::file_size(SegmentPath(dir.path(), 3)), kHeaderSize + 11);
}

TEST(WalTest, EmptyDirectoryIsCreatedWithFirstSegmentAndLock) {
  TempDir dir;
  const std::string wal_dir = dir.path() + "/a/b/wal";
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(wal_dir)));
  EXPECT_THAT(SegmentNames(wal_dir), ElementsAre("segment-000001.wal"));
  EXPECT_TRUE(fs::exists(wal_dir + "/LOCK"));
  EXPECT_EQ(wal->last_seq(), 0u);
  EXPECT_EQ(wal->flushed_seq(), 0u);
}

TEST(WalTest, EmptyPayloadsRoundTrip) {
  TempDir dir;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path())));
    CS_ASSERT_OK(wal->Append("").status());
    CS_ASSERT_OK(wal->Append("x").status());
    CS_ASSERT_OK(wal->Append("").status());
  }
  EXPECT_EQ(ReopenAndReplay(Options(dir.path())), (Records{{1, ""}, {2, "x"}, {3, ""}}));
}

TEST(WalTest, PayloadOverOneGibIsRejected) {
  TempDir dir;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path())));
  // Untouched anonymous pages: a valid 1 GiB + 1 range that costs no memory.
  const size_t size = size_t{kMaxPayloadBytes} + 1;
  void* pages =
      ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(pages, MAP_FAILED);
  EXPECT_THAT(wal->Write(std::string_view(static_cast<const char*>(pages), size)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ::munmap(pages, size);
  EXPECT_EQ(wal->last_seq(), 0u);
  EXPECT_EQ(fs::file_size(SegmentPath(dir.path(), 1)), 0u);
}

TEST(WalTest, ReplayHonoursFlushedSeqAfterReopen) {
  TempDir dir;
  const WalOptions options = Options(dir.path(), SyncMode::kEveryWrite);
  WriteRecords(options, 10);
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    EXPECT_EQ(ReplayAll(*wal), Expected(1, 10));
    CS_ASSERT_OK(wal->MarkFlushed(6));
    EXPECT_EQ(wal->flushed_seq(), 6u);
  }
  EXPECT_EQ(ReadFile(dir.path() + "/flushed_seq"), std::string("\x06\0\0\0\0\0\0\0", 8));
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  EXPECT_EQ(wal->flushed_seq(), 6u);
  EXPECT_EQ(ReplayAll(*wal), Expected(7, 10));
  CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append("next"));
  EXPECT_EQ(seq, 11u);
}

TEST(WalTest, MarkFlushedDeletesOnlyFullyFlushedNonCurrentSegments) {
  TempDir dir;
  // Each record is 22 + 10 bytes; three fit in a 100-byte segment.
  const WalOptions options = Options(dir.path(), SyncMode::kEveryWrite, 100);
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  for (int i = 1; i <= 10; ++i) CS_ASSERT_OK(wal->Append("0123456789").status());
  ASSERT_THAT(SegmentNames(dir.path()), ElementsAre("segment-000001.wal", "segment-000002.wal",
                                                    "segment-000003.wal", "segment-000004.wal"));
  CS_ASSERT_OK(wal->MarkFlushed(5));  // segment 2 (4..6) is only partly flushed
  EXPECT_THAT(SegmentNames(dir.path()),
              ElementsAre("segment-000002.wal", "segment-000003.wal", "segment-000004.wal"));
  CS_ASSERT_OK(wal->MarkFlushed(3));  // lower: ignored
  EXPECT_EQ(wal->flushed_seq(), 5u);
  CS_ASSERT_OK(wal->MarkFlushed(10));  // everything, but segment 4 is current
  EXPECT_THAT(SegmentNames(dir.path()), ElementsAre("segment-000004.wal"));
  EXPECT_EQ(wal->stats().segments, 1u);
  EXPECT_THAT(wal->MarkFlushed(11), StatusIs(absl::StatusCode::kInvalidArgument));
  wal.reset();

  CS_ASSERT_OK_AND_ASSIGN(wal, Wal::Open(options));
  EXPECT_EQ(wal->flushed_seq(), 10u);
  EXPECT_EQ(wal->last_seq(), 10u);
  EXPECT_THAT(ReplayAll(*wal), ElementsAre());
  CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append("0123456789"));
  EXPECT_EQ(seq, 11u);
  EXPECT_THAT(SegmentNames(dir.path()), ElementsAre("segment-000004.wal"));
}

// Truncates the last record at every byte offset (a crash mid-append), reopens, and checks that
// the valid prefix survives, that the tail is cut off, and that a new record appended after the
// repair is readable after another reopen (defect 16 of the original).
TEST(WalTest, TornTailAtEveryByteOffsetOfTheLastRecord) {
  TempDir scratch;
  const std::string segment_name = "segment-000001.wal";
  const uint64_t last_start = 2 * kHeaderSize + Payload(1).size() + Payload(2).size();
  const uint64_t full_size = last_start + kHeaderSize + Payload(3).size();
  for (uint64_t cut = last_start; cut < full_size; ++cut) {
    SCOPED_TRACE(cut);
    const std::string dir = absl::StrFormat("%s/cut%d", scratch.path(), cut);
    const WalOptions options = Options(dir);
    WriteRecords(options, 3);
    ASSERT_EQ(fs::file_size(dir + "/" + segment_name), full_size);
    fs::resize_file(dir + "/" + segment_name, cut);
    {
      CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
      EXPECT_EQ(fs::file_size(dir + "/" + segment_name), last_start);
      EXPECT_EQ(wal->last_seq(), 2u);
      EXPECT_EQ(ReplayAll(*wal), Expected(1, 2));
      CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append("new"));
      EXPECT_EQ(seq, 3u);
    }
    Records expected = Expected(1, 2);
    expected.emplace_back(3, "new");
    EXPECT_EQ(ReopenAndReplay(options), expected);
  }
}

// Flips one bit in every byte of one record. At the end of the log that is a torn tail, cut off
// on open; with a valid record after it, Open must refuse (DataLoss naming segment and offset).
TEST(WalTest, FlippedBitIsATornTailOnlyAtTheEnd) {
  TempDir scratch;
  const uint64_t second_start = kHeaderSize + Payload(1).size();
  const uint64_t third_start = second_start + kHeaderSize + Payload(2).size();
  const uint64_t full_size = third_start + kHeaderSize + Payload(3).size();
  int case_number = 0;
  for (const bool in_last : {true, false}) {
    const uint64_t start = in_last ? third_start : second_start;
    const uint64_t end = in_last ? full_size : third_start;
    for (uint64_t position = start; position < end; ++position) {
      SCOPED_TRACE(absl::StrFormat("%s record, byte %d", in_last ? "last" : "middle", position));
      const std::string dir = absl::StrFormat("%s/case%d", scratch.path(), case_number++);
      const WalOptions options = Options(dir);
      WriteRecords(options, 3);
      const std::string path = SegmentPath(dir, 1);
      std::string bytes = ReadFile(path);
      bytes[position] = static_cast<char>(bytes[position] ^ (1 << (position % 8)));
      WriteFile(path, bytes);
      auto wal = Wal::Open(options);
      if (in_last) {
        ASSERT_TRUE(wal.ok()) << wal.status();
        EXPECT_EQ(ReplayAll(**wal), Expected(1, 2));
        EXPECT_EQ(fs::file_size(path), third_start);
      } else {
        EXPECT_THAT(wal, StatusIs(absl::StatusCode::kDataLoss));
        EXPECT_THAT(wal.status().message(), HasSubstr(path));
        EXPECT_THAT(wal.status().message(),
                    HasSubstr(absl::StrFormat("at offset %d", second_start)));
        EXPECT_EQ(ReadFile(path), bytes) << "a refused WAL must not be modified";
      }
    }
  }
}

// Random damage (overwritten bytes, cuts, appended garbage including headers that declare huge
// lengths) must never crash Open or make Replay skip a record: either Open refuses with DataLoss
// or FailedPrecondition, or Replay returns a prefix of what was written.
TEST(WalTest, RandomDamageYieldsAPrefixOrARefusal) {
  TempDir scratch;
  std::mt19937_64 rng(7);
  for (int iteration = 0; iteration < 150; ++iteration) {
    SCOPED_TRACE(iteration);
    const std::string dir = absl::StrFormat("%s/it%d", scratch.path(), iteration);
    const WalOptions options = Options(dir, SyncMode::kNone, 400);
    const uint64_t n = 1 + rng() % 20;
    WriteRecords(options, n);
    const std::vector<std::string> names = SegmentNames(dir);
    const std::string path = dir + "/" + names[rng() % names.size()];
    std::string bytes = ReadFile(path);
    switch (rng() % 4) {
      case 0:  // overwrite a few bytes
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4) && !bytes.empty(); ++k) {
          bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        break;
      case 1:  // cut
        bytes.resize(bytes.empty() ? 0 : rng() % bytes.size());
        break;
      case 2: {  // a plausible header declaring a huge payload
        std::string header = EncodeRecord(1000, "");
        header[kLengthOffset + 3] = static_cast<char>(0x30 + rng() % 0x20);
        bytes.insert(bytes.empty() ? 0 : rng() % bytes.size(), header);
        break;
      }
      default:  // random garbage
        for (int k = 0; k < 1 + static_cast<int>(rng() % 64); ++k) {
          bytes.push_back(static_cast<char>(rng()));
        }
        break;
    }
    WriteFile(path, bytes);
    auto wal = Wal::Open(options);
    if (!wal.ok()) {
      EXPECT_TRUE(wal.status().code() == absl::StatusCode::kDataLoss ||
                  wal.status().code() == absl::StatusCode::kFailedPrecondition)
          << wal.status();
      continue;
    }
    const Records replayed = ReplayAll(**wal);
    ASSERT_LE(replayed.size(), n);
    EXPECT_EQ(replayed, Expected(1, replayed.size()));
  }
}

TEST(WalTest, DamageInANonLastSegmentFollowedByValidSegmentsIsDataLoss) {
  TempDir dir;
  const WalOptions options = Options(dir.path(), SyncMode::kNone, 100);
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    for (int i = 1; i <= 7; ++i) CS_ASSERT_OK(wal->Append("0123456789").status());
  }
  ASSERT_EQ(SegmentNames(dir.path()).size(), 3u);
  // Cut the last record of segment 1 short: a torn tail, but segments 2 and 3 follow.
  const std::string first = SegmentPath(dir.path(), 1);
  fs::resize_file(first, fs::file_size(first) - 3);
  auto wal = Wal::Open(options);
  EXPECT_THAT(wal, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(wal.status().message(), HasSubstr(first));
  EXPECT_THAT(wal.status().message(), HasSubstr(SegmentPath(dir.path(), 2)));
}

TEST(WalTest, TornTailFollowedOnlyByAnEmptySegmentIsRepaired) {
  TempDir dir;
  const WalOptions options = Options(dir.path());
  WriteRecords(options, 3);
  const std::string first = SegmentPath(dir.path(), 1);
  fs::resize_file(first, fs::file_size(first) - 1);
  WriteFile(SegmentPath(dir.path(), 2), "");  // e.g. a crash right after a rotation
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    EXPECT_EQ(ReplayAll(*wal), Expected(1, 2));
    EXPECT_THAT(SegmentNames(dir.path()), ElementsAre("segment-000001.wal"));
    CS_ASSERT_OK(wal->Append(Payload(3)).status());
  }
  EXPECT_EQ(ReopenAndReplay(options), Expected(1, 3));
}

TEST(WalTest, SequenceGapBetweenSegmentsIsDataLossUnlessFlushed) {
  TempDir dir;
  const WalOptions options = Options(dir.path(), SyncMode::kNone, 100);
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    for (int i = 1; i <= 7; ++i) CS_ASSERT_OK(wal->Append("0123456789").status());
  }
  ASSERT_EQ(SegmentNames(dir.path()).size(), 3u);
  fs::remove(SegmentPath(dir.path(), 2));  // records 4..6
  auto wal = Wal::Open(options);
  EXPECT_THAT(wal, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(wal.status().message(), HasSubstr("records 4..6 are missing"));
  EXPECT_THAT(wal.status().message(), HasSubstr(SegmentPath(dir.path(), 3)));

  // If the missing records were flushed, the gap is harmless.
  WriteFile(dir.path() + "/flushed_seq", std::string("\x06\0\0\0\0\0\0\0", 8));
  CS_ASSERT_OK_AND_ASSIGN(auto reopened, Wal::Open(options));
  EXPECT_EQ(ReplayAll(*reopened), (Records{{7, "0123456789"}}));
}

TEST(WalTest, SequenceRegressionIsDataLoss) {
  TempDir dir;
  WriteFile(SegmentPath(dir.path(), 1), EncodeRecord(1, "a") + EncodeRecord(2, "b"));
  WriteFile(SegmentPath(dir.path(), 2), EncodeRecord(2, "again"));
  auto wal = Wal::Open(Options(dir.path()));
  EXPECT_THAT(wal, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(wal.status().message(), HasSubstr("regression"));
  EXPECT_THAT(wal.status().message(), HasSubstr(SegmentPath(dir.path(), 2)));
}

TEST(WalTest, LostUnsyncedRecordsBelowFlushedSeqDoNotReuseSequenceNumbers) {
  TempDir dir;
  const WalOptions options = Options(dir.path());
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    for (uint64_t i = 1; i <= 5; ++i) CS_ASSERT_OK(wal->Append(Payload(i)).status());
    CS_ASSERT_OK(wal->MarkFlushed(5));
  }
  // A power failure in mode none lost records 4 and 5 from the page cache.
  fs::resize_file(SegmentPath(dir.path(), 1),
                  3 * kHeaderSize + Payload(1).size() + Payload(2).size() + Payload(3).size());
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    EXPECT_THAT(ReplayAll(*wal), ElementsAre());
    CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append("six"));
    EXPECT_EQ(seq, 6u);
  }
  EXPECT_EQ(ReopenAndReplay(options), (Records{{6, "six"}}));
}

TEST(WalTest, IncarnationIsStableAcrossReopensAndNewForANewDirectory) {
  TempDir dir;
  std::string first;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path())));
    first = wal->incarnation();
    EXPECT_THAT(first, ::testing::MatchesRegex("[0-9a-f]{16}"));
    CS_ASSERT_OK(wal->Append("one").status());
  }
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path())));
    EXPECT_EQ(wal->incarnation(), first);
  }
  // A wiped directory numbers from 1 again, under a new incarnation.
  fs::remove_all(dir.path());
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path())));
  EXPECT_NE(wal->incarnation(), first);
  CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append("again"));
  EXPECT_EQ(seq, 1u);
}

TEST(WalTest, DamagedIncarnationFileIsRefused) {
  TempDir dir;
  { CS_ASSERT_OK(Wal::Open(Options(dir.path())).status()); }
  std::ofstream(fs::path(dir.path()) / "incarnation", std::ios::trunc) << "not-an-id\n";
  EXPECT_THAT(Wal::Open(Options(dir.path())).status(),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("incarnation")));
}

// Counts fdatasync calls per file descriptor's target (by inode), to see which segments synced.
class CountingFileOps : public FileOps {
 public:
  int DataSync(int fd) override {
    ++syncs;
    return FileOps::DataSync(fd);
  }
  std::atomic<int> syncs{0};
};

TEST(WalTest, MakeDurableSyncsInEveryModeIncludingUnsyncedRotatedSegmentsInModeNone) {
  for (const SyncMode mode :
       {SyncMode::kEveryWrite, SyncMode::kInterval, SyncMode::kOnRotation, SyncMode::kNone}) {
    SCOPED_TRACE(static_cast<int>(mode));
    TempDir dir;
    CountingFileOps ops;
    WalOptions options = Options(dir.path(), mode, 100);
    if (mode == SyncMode::kInterval) options.sync.interval = absl::Hours(1);
    options.file_ops = &ops;
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    uint64_t last = 0;
    for (int i = 0; i < 10; ++i) {
      CS_ASSERT_OK_AND_ASSIGN(last, wal->Write("0123456789"));
    }
    ASSERT_GE(wal->stats().rotations, 2u);
    const int before = ops.syncs.load();
    CS_ASSERT_OK(wal->MakeDurable(last));
    EXPECT_EQ(wal->synced_seq(), last);
    // Mode none: every rotated segment plus the current one; the others synced at rotation.
    const int expected = mode == SyncMode::kNone ? static_cast<int>(wal->stats().rotations) + 1 : 1;
    EXPECT_EQ(ops.syncs.load() - before, expected);
    // Already durable: no further fdatasync.
    CS_ASSERT_OK(wal->MakeDurable(last));
    EXPECT_EQ(ops.syncs.load() - before, expected);
    EXPECT_THAT(wal->MakeDurable(last + 1), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(WalTest, VersionOneRecordsAreNotSupported) {
  TempDir dir;
  std::string record = EncodeRecord(1, "arrow ipc stream");
  record[kVersionOffset] = 1;
  WriteFile(SegmentPath(dir.path(), 1), record);
  auto wal = Wal::Open(Options(dir.path()));
  EXPECT_THAT(wal, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(wal.status().message(), HasSubstr("WAL record format version 1"));
  EXPECT_THAT(wal.status().message(), HasSubstr("not supported"));
  EXPECT_THAT(wal.status().message(), HasSubstr(SegmentPath(dir.path(), 1)));
}

TEST(WalTest, TwoFilesForOneSegmentIdAreRefused) {
  TempDir dir;
  WriteFile(SegmentPath(dir.path(), 1), EncodeRecord(1, "a"));
  WriteFile(dir.path() + "/segment-1.wal", EncodeRecord(1, "a"));
  EXPECT_THAT(Wal::Open(Options(dir.path())), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(WalTest, OtherFilesAreIgnoredAndSegmentNamesMayHaveMoreDigits) {
  TempDir dir;
  WriteFile(dir.path() + "/segment-0000001.wal", EncodeRecord(1, "a"));
  WriteFile(dir.path() + "/segment-000002.wal", EncodeRecord(2, "b"));
  WriteFile(dir.path() + "/segment-x.wal", "junk");
  WriteFile(dir.path() + "/segment-000003.wal.bak", "junk");
  WriteFile(dir.path() + "/notes.txt", "junk");
  EXPECT_EQ(ReopenAndReplay(Options(dir.path())), (Records{{1, "a"}, {2, "b"}}));
}

TEST(WalTest, FlushedSeqFileOfWrongSizeMeansReplayEverything) {
  TempDir dir;
  const WalOptions options = Options(dir.path());
  WriteRecords(options, 3);
  WriteFile(dir.path() + "/flushed_seq", "\x02\0\0");
  EXPECT_EQ(ReopenAndReplay(options), Expected(1, 3));
}

TEST(WalTest, GroupCommitSharesFsyncsAcrossConcurrentWriters) {
  TempDir dir;
  const WalOptions options = Options(dir.path(), SyncMode::kEveryWrite, 64 << 10);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<std::pair<uint64_t, std::string>>> appended(kThreads);
  Wal::Stats stats;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&wal, &appended, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string payload = absl::StrFormat("thread %d record %d", t, i);
          auto seq = wal->Append(payload);
          ASSERT_TRUE(seq.ok()) << seq.status();
          appended[t].emplace_back(*seq, std::move(payload));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    stats = wal->stats();
    EXPECT_EQ(wal->synced_seq(), uint64_t{kThreads * kPerThread});
  }
  std::map<uint64_t, std::string> by_seq;
  for (const auto& records : appended) {
    for (const auto& record : records) {
      EXPECT_TRUE(by_seq.emplace(record.first, record.second).second) << "duplicate seq";
    }
  }
  ASSERT_EQ(by_seq.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(by_seq.begin()->first, 1u);
  EXPECT_EQ(by_seq.rbegin()->first, uint64_t{kThreads * kPerThread});  // so contiguous
  EXPECT_EQ(stats.records, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.syncs, stats.records / 2) << "group commit should share fsyncs";
  std::printf("group commit: %llu records, %llu fsyncs\n",
              static_cast<unsigned long long>(stats.records),
              static_cast<unsigned long long>(stats.syncs));
  const Records replayed = ReopenAndReplay(options);
  EXPECT_EQ(replayed, Records(by_seq.begin(), by_seq.end()));
}

TEST(WalTest, IntervalModeSyncsInTheBackgroundWithoutFurtherWrites) {
  TempDir dir;
  base::FakeClock clock;
  WalOptions options = Options(dir.path());
  options.sync = {.mode = SyncMode::kInterval, .interval = absl::Milliseconds(2)};
  options.clock = &clock;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Write("one"));
  CS_ASSERT_OK(wal->Sync(seq));  // returns at once in interval mode
  // No further writes: the background thread alone must make the record durable.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (wal->synced_seq() < seq && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(wal->synced_seq(), seq);
  const Wal::Stats stats = wal->stats();
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_EQ(stats.last_sync, clock.Now());
}

TEST(WalTest, LongIntervalDoesNotDelayClose) {
  TempDir dir;
  WalOptions options = Options(dir.path());
  options.sync = {.mode = SyncMode::kInterval, .interval = absl::Hours(1)};
  const absl::Time start = absl::Now();
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    CS_ASSERT_OK(wal->Append("x").status());
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(ReopenAndReplay(options), (Records{{1, "x"}}));
}

TEST(WalTest, OnRotationSyncsOnlyTheOldSegmentAndNoneNeverSyncs) {
  for (const SyncMode mode : {SyncMode::kOnRotation, SyncMode::kNone}) {
    TempDir dir;
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path(), mode, 100)));
    const uint64_t syncs_at_open = wal->stats().syncs;
    for (int i = 0; i < 3; ++i) CS_ASSERT_OK(wal->Append("0123456789").status());
    EXPECT_EQ(wal->stats().syncs, syncs_at_open);
    EXPECT_EQ(wal->synced_seq(), 0u);
    CS_ASSERT_OK(wal->Append("0123456789").status());  // rotates
    EXPECT_EQ(wal->stats().rotations, 1u);
    if (mode == SyncMode::kOnRotation) {
      EXPECT_EQ(wal->stats().syncs, syncs_at_open + 1);
      EXPECT_EQ(wal->synced_seq(), 3u);
    } else {
      EXPECT_EQ(wal->stats().syncs, syncs_at_open);
      EXPECT_EQ(wal->synced_seq(), 0u);
    }
  }
}

TEST(WalTest, DiskFullLeavesTheWalUsableAndLosesNothing) {
  for (const size_t partial : {size_t{0}, size_t{5}, kHeaderSize, kHeaderSize + 7}) {
    SCOPED_TRACE(partial);
    TempDir dir;
    FaultFileOps ops;
    WalOptions options = Options(dir.path(), SyncMode::kEveryWrite);
    options.file_ops = &ops;
    {
      CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
      for (uint64_t i = 1; i <= 5; ++i) CS_ASSERT_OK(wal->Append(Payload(i)).status());
      const uintmax_t size_before = fs::file_size(SegmentPath(dir.path(), 1));
      ops.FailNextWrite(ENOSPC, partial);
      const absl::StatusOr<uint64_t> failed = wal->Append(std::string(50, 'z'));
      EXPECT_THAT(failed, StatusIs(absl::StatusCode::kResourceExhausted));
      EXPECT_EQ(failed.status().message(), "WAL disk is full");
      EXPECT_EQ(fs::file_size(SegmentPath(dir.path(), 1)), size_before);
      EXPECT_EQ(wal->stats().write_errors, 1u);
      // Space is back: the sequence continues without a hole.
      for (uint64_t i = 6; i <= 10; ++i) {
        CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Append(Payload(i)));
        EXPECT_EQ(seq, i);
      }
    }
    EXPECT_EQ(ReopenAndReplay(options), Expected(1, 10));
  }
}

TEST(WalTest, EdquotIsAlsoDiskFullAndOtherErrorsNameTheFile) {
  TempDir dir;
  FaultFileOps ops;
  WalOptions options = Options(dir.path());
  options.file_ops = &ops;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  ops.FailNextWrite(EDQUOT, 0);
  EXPECT_THAT(wal->Write("x"), StatusIs(absl::StatusCode::kResourceExhausted));
  ops.FailNextWrite(EIO, 3);
  const absl::StatusOr<uint64_t> failed = wal->Write("x");
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(failed.status().message(), HasSubstr(SegmentPath(dir.path(), 1)));
  CS_ASSERT_OK_AND_ASSIGN(const uint64_t seq, wal->Write("y"));
  EXPECT_EQ(seq, 1u);
}

TEST(WalTest, FailedTruncateAfterAFailedWriteIsStickyAndRepairedOnReopen) {
  TempDir dir;
  FaultFileOps ops;
  WalOptions options = Options(dir.path());
  options.file_ops = &ops;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
    CS_ASSERT_OK(wal->Write(Payload(1)).status());
    ops.FailTruncates(EIO);
    ops.FailNextWrite(ENOSPC, 10);
    EXPECT_THAT(wal->Write(Payload(2)), StatusIs(absl::StatusCode::kInternal));
    ops.FailTruncates(0);
    EXPECT_THAT(wal->Write(Payload(2)), StatusIs(absl::StatusCode::kInternal));
  }
  // The partial record is a torn tail.
  EXPECT_EQ(ReopenAndReplay(options), Expected(1, 1));
}

TEST(WalTest, FailedFsyncIsReturnedToWaitersAndIsSticky) {
  TempDir dir;
  FaultFileOps ops;
  WalOptions options = Options(dir.path(), SyncMode::kEveryWrite);
  options.file_ops = &ops;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  CS_ASSERT_OK(wal->Append("durable").status());
  ops.FailSyncs(EIO);
  constexpr int kThreads = 4;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&wal, &results, t] { results[t] = wal->Append("lost?").status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : results) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
    EXPECT_THAT(status.message(), HasSubstr("fdatasync"));
  }
  ops.FailSyncs(0);  // even if the disk recovers, the WAL stays failed
  EXPECT_THAT(wal->Write("more"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(wal->Sync(2), StatusIs(absl::StatusCode::kInternal));
  CS_EXPECT_OK(wal->Sync(1));  // was durable before the failure
  EXPECT_GE(wal->stats().sync_errors, 1u);
}

TEST(WalTest, SecondOpenOfTheSameDirectoryFailsWhileTheFirstIsOpen) {
  TempDir dir;
  {
    CS_ASSERT_OK_AND_ASSIGN(auto first, Wal::Open(Options(dir.path())));
    const auto second = Wal::Open(Options(dir.path()));
    EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(second.status().message(), HasSubstr(dir.path()));
  }
  CS_EXPECT_OK(Wal::Open(Options(dir.path())).status());
}

TEST(WalTest, ReplayIsOnceAndBeforeWrites) {
  TempDir dir;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path())));
  CS_ASSERT_OK(wal->Write("x").status());
  EXPECT_THAT(wal->Replay([](uint64_t, std::string_view) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(WalTest, ReplayStopsAtTheCallbacksError) {
  TempDir dir;
  const WalOptions options = Options(dir.path());
  WriteRecords(options, 5);
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(options));
  int calls = 0;
  EXPECT_THAT(wal->Replay([&](uint64_t seq, std::string_view) {
    ++calls;
    return seq == 3 ? absl::InvalidArgumentError("undecodable") : absl::OkStatus();
  }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(calls, 3);
}

TEST(WalTest, SyncOfAnUnwrittenRecordIsInvalid) {
  TempDir dir;
  CS_ASSERT_OK_AND_ASSIGN(auto wal, Wal::Open(Options(dir.path(), SyncMode::kEveryWrite)));
  EXPECT_THAT(wal->Sync(1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WalTest, OptionsAreValidated) {
  EXPECT_THAT(Wal::Open(WalOptions{}), StatusIs(absl::StatusCode::kInvalidArgument));
  TempDir dir;
  WalOptions options = Options(dir.path());
  options.sync.mode = SyncMode::kInterval;
  EXPECT_THAT(Wal::Open(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cardinalsin::wal
