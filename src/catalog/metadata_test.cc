#include "catalog/metadata.h"

#include "base/clock.h"
#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/in_memory_object_store.h"

namespace cardinalsin::catalog {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

FamilyMetadata Family(std::string name, model::MetricType type, std::string help,
                      std::string unit = "") {
  return {std::move(name), type, std::move(help), std::move(unit)};
}

TEST(MetadataTest, RoundTripsEveryTypeAndOddText) {
  std::vector<FamilyMetadata> families;
  for (model::MetricType t :
       {model::MetricType::kUnknown, model::MetricType::kCounter, model::MetricType::kGauge,
        model::MetricType::kHistogram, model::MetricType::kGaugeHistogram,
        model::MetricType::kSummary, model::MetricType::kInfo, model::MetricType::kStateset}) {
    families.push_back(Family(base::StrCat("m_", MetricTypeName(t)), t,
                              "Help with \"quotes\", \\ and\nnewline; ünïcode", "seconds"));
  }
  CS_ASSERT_OK_AND_ASSIGN(std::vector<FamilyMetadata> back,
                          DecodeMetadata(EncodeMetadata("ing-1", families)));
  EXPECT_EQ(back, families);
}

TEST(MetadataTest, DecodeRejectsMalformedObjectsNamingTheProblem) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[]", "not a JSON object"},
      {"{", "not a JSON object"},
      {R"({"version":2,"families":[]})", "unsupported version"},
      {R"({"version":1})", "\"families\""},
      {R"({"version":1,"families":[1]})", "not an object"},
      {R"({"version":1,"families":[{"family":"x","type":"gauge","help":""}]})", "\"unit\""},
      {R"({"version":1,"families":[{"family":"x","type":"meter","help":"","unit":""}]})",
       "unknown type \"meter\""},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeMetadata(c.json),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.json;
  }
}

TEST(MetadataTest, TenantMetadataIsTheUnionOverWriters) {
  io::InMemoryObjectStore store(base::SystemClock());
  CS_ASSERT_OK_AND_ASSIGN(std::vector<FamilyMetadata> none, ReadTenantMetadata(store, "t1"));
  EXPECT_THAT(none, IsEmpty());
  CS_ASSERT_OK_AND_ASSIGN(none, ReadWriterMetadata(store, "t1", "a"));
  EXPECT_THAT(none, IsEmpty());

  const FamilyMetadata up = Family("up", model::MetricType::kGauge, "Target is up.");
  const FamilyMetadata req = Family("req_total", model::MetricType::kCounter, "Requests.");
  const FamilyMetadata req_other = Family("req_total", model::MetricType::kCounter, "Other help.");
  CS_ASSERT_OK(WriteWriterMetadata(store, "t1", "a", std::vector{up, req}));
  CS_ASSERT_OK(WriteWriterMetadata(store, "t1", "b", std::vector{req, req_other}));
  CS_ASSERT_OK(WriteWriterMetadata(store, "t2", "a", std::vector{up}));
  CS_ASSERT_OK_AND_ASSIGN(std::vector<FamilyMetadata> all, ReadTenantMetadata(store, "t1"));
  EXPECT_THAT(all, ElementsAre(req_other, req, up));  // sorted: "Other help." < "Requests."
  CS_ASSERT_OK_AND_ASSIGN(std::vector<FamilyMetadata> own, ReadWriterMetadata(store, "t1", "b"));
  EXPECT_THAT(own, ElementsAre(req, req_other));  // as written

  // A writer's object is replaced whole.
  CS_ASSERT_OK(WriteWriterMetadata(store, "t1", "b", std::vector{req}));
  CS_ASSERT_OK_AND_ASSIGN(all, ReadTenantMetadata(store, "t1"));
  EXPECT_THAT(all, ElementsAre(req, up));

  // A corrupt object is an error naming it, not silently skipped.
  CS_ASSERT_OK(store.Put(MetadataKey("t1", "c"), "garbage").status());
  EXPECT_THAT(ReadTenantMetadata(store, "t1"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("t1/metadata/c.json")));
}

}  // namespace
}  // namespace cardinalsin::catalog
