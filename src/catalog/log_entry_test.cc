#include "catalog/log_entry.h"

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "catalog/testing/commit_load.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::catalog {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::cardinalsin::catalog::testing::TestChunk;
using ::testing::HasSubstr;

LogEntry SampleEntry() {
  ChunkSummary add = TestChunk("t", "a", -5);
  add.labels["caf\xc3\xa9"] = {"\xe2\x82\xac", "\xe2\x82\xac"};
  return LogEntry{.seq = 7,
                  .writer = "ingester-1",
                  .committed_at_ns = 1'700'000'000'000'000'000,
                  .actions = {add, RemovedChunk{"t/data/old.parquet", 123},
                              WatermarkAction{"ingester-1", UINT64_MAX}}};
}

TEST(LogEntryTest, RoundTrip) {
  LogEntry entry = SampleEntry();
  CS_ASSERT_OK_AND_ASSIGN(std::string body, EncodeLogEntry(entry));
  EXPECT_THAT(DecodeLogEntry(body, "k", 7), base::testing::IsOkAndHolds(entry));
}

// The field names are the format (docs/format/catalog.md); other tools parse them.
TEST(LogEntryTest, FieldNamesFollowTheFormat) {
  CS_ASSERT_OK_AND_ASSIGN(std::string body, EncodeLogEntry(SampleEntry()));
  nlohmann::json json = nlohmann::json::parse(body);
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["seq"], 7);
  EXPECT_EQ(json["writer"], "ingester-1");
  EXPECT_EQ(json["committed_at_ns"], 1'700'000'000'000'000'000);
  ASSERT_EQ(json["actions"].size(), 3u);
  const nlohmann::json& add = json["actions"][0]["add"];
  EXPECT_EQ(add["path"], "t/data/2026/11/24/10/a.parquet");
  for (const char* field : {"level", "min_time_ns", "max_time_ns", "row_count", "series_count",
                            "size_bytes", "min_metric", "max_metric", "labels", "created_at_ns"}) {
    EXPECT_TRUE(add.contains(field)) << field;
  }
  EXPECT_EQ(add["min_time_ns"], -5);
  EXPECT_EQ(add["labels"]["job"]["min"], "node");
  EXPECT_EQ(add["labels"]["caf\xc3\xa9"]["max"], "\xe2\x82\xac");
  EXPECT_EQ(json["actions"][1]["remove"]["path"], "t/data/old.parquet");
  EXPECT_EQ(json["actions"][1]["remove"]["removed_at_ns"], 123);
  EXPECT_EQ(json["actions"][2]["watermark"]["writer"], "ingester-1");
  EXPECT_EQ(json["actions"][2]["watermark"]["wal_seq"], UINT64_MAX);
}

TEST(LogEntryTest, InvalidUtf8CannotBeEncoded) {
  LogEntry entry = SampleEntry();
  entry.writer = "\xc3";
  EXPECT_THAT(EncodeLogEntry(entry), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LogEntryTest, DecodeRejectsMalformedEntries) {
  const std::string head = R"({"version":1,"seq":1,"writer":"w","committed_at_ns":5,"actions":)";
  const std::string add =
      R"({"path":"t/data/a","level":0,"min_time_ns":1,"max_time_ns":2,"row_count":1,)"
      R"("series_count":1,"size_bytes":1,"min_metric":"a","max_metric":"b","labels":{},)"
      R"("created_at_ns":3})";
  CS_ASSERT_OK(DecodeLogEntry(head + "[{\"add\":" + add + "}]}", "k", 1));
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{\"version\":1", "not valid JSON"},
      {"null", "expected an object"},
      {R"({"seq":1})", "missing field \"version\""},
      {R"({"version":0})", "version 0"},
      {R"({"version":"1"})", "non-negative integer"},
      {R"({"version":1,"seq":-1})", "non-negative integer"},
      {R"({"version":1,"seq":1.5})", "non-negative integer"},
      {R"({"version":1,"seq":1,"writer":3})", "must be a string"},
      {R"({"version":1,"seq":1,"writer":"w","committed_at_ns":9223372036854775808})",
       "int64 range"},
      {head + "{}}", "must be an array"},
      {head + "[5]}", "exactly one action kind"},
      {head + R"([{"add":{},"remove":{}}])" + "}", "exactly one action kind"},
      {head + R"([{"add":{}}])" + "}", "actions[0].add: missing field \"path\""},
      {head + R"([{"delete":{}}])" + "}", "unknown action kind \"delete\" in commit seq 1"},
      {head + R"([{"remove":{"path":"p"}}])" + "}", "missing field \"removed_at_ns\""},
      {head + R"([{"watermark":{"writer":"w","wal_seq":-3}}])" + "}", "non-negative"},
      {head + "[{\"add\":" + add.substr(0, add.size() - 1) + R"(,"labels":{"a":{"min":"x"}}}}]})",
       "missing field \"max\""},
      {head + "[{\"add\":" + R"({"path":"p","level":-1})" + "}]}", "level -1"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LogEntry> got = DecodeLogEntry(c.body, "t/_catalog/log/x.json", 1);
    EXPECT_THAT(got, StatusIs(absl::StatusCode::kDataLoss)) << c.body;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.message)) << c.body;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("t/_catalog/log/x.json")) << c.body;
  }
}

TEST(LogEntryTest, NewerVersionIsFailedPrecondition) {
  absl::StatusOr<LogEntry> got = DecodeLogEntry(R"({"version":2,"future":true})", "k", 1);
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("upgrade"));
}

TEST(LogEntryTest, DeeplyNestedInputDoesNotCrash) {
  std::string deep(100000, '[');
  EXPECT_THAT(DecodeLogEntry(deep, "k", 1), StatusIs(absl::StatusCode::kDataLoss));
  deep += std::string(100000, ']');
  EXPECT_THAT(DecodeLogEntry(deep, "k", 1), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SnapshotJsonTest, RoundTripAndShape) {
  Snapshot snapshot{.seq = 42,
                    .chunks = {{TestChunk("t", "a").path, TestChunk("t", "a")},
                               {TestChunk("t", "b").path, TestChunk("t", "b", 99)}},
                    .watermarks = {{"i-1", 5}, {"i-2", 0}},
                    .removed = {{"t/data/old", 7}}};
  for (int indent : {-1, 2}) {
    CS_ASSERT_OK_AND_ASSIGN(std::string body, EncodeSnapshot(snapshot, indent));
    EXPECT_THAT(DecodeSnapshot(body, "k"), base::testing::IsOkAndHolds(snapshot));
    nlohmann::json json = nlohmann::json::parse(body);
    EXPECT_EQ(json["seq"], 42);
    ASSERT_TRUE(json["chunks"].is_array());
    EXPECT_EQ(json["chunks"][1]["min_time_ns"], 99);
    EXPECT_EQ(json["watermarks"]["i-1"], 5);
    EXPECT_EQ(json["removed"][0]["path"], "t/data/old");
  }
  EXPECT_THAT(DecodeSnapshot(R"({"version":1,"seq":1,"chunks":[{}]})", "cp"),
              StatusIs(absl::StatusCode::kDataLoss));
  CS_ASSERT_OK_AND_ASSIGN(std::string twice, EncodeSnapshot(snapshot));
  nlohmann::json json = nlohmann::json::parse(twice);
  json["chunks"][1] = json["chunks"][0];
  EXPECT_THAT(DecodeSnapshot(json.dump(), "cp"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ApplyLogEntryTest, SeqMustFollow) {
  Snapshot state{.seq = 3};
  EXPECT_THAT(ApplyLogEntry("t", {.seq = 5}, &state),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  CS_EXPECT_OK(ApplyLogEntry("t", {.seq = 4}, &state));
  EXPECT_EQ(state.seq, 4u);
}

TEST(ApplyLogEntryTest, RemovedPathCannotBeReaddedInTheSameEntry) {
  ChunkSummary a = TestChunk("t", "a");
  Snapshot state{.seq = 1, .chunks = {{a.path, a}}};
  EXPECT_THAT(ApplyLogEntry("t", {.seq = 2, .actions = {RemovedChunk{a.path, 1}, a}}, &state),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace cardinalsin::catalog
