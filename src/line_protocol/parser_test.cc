#include "line_protocol/parser.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/sample_batch.h"

namespace cardinalsin::line_protocol {
namespace {

using base::testing::IsOkAndHolds;
using base::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'700'000'000'123'456'789;

// "name{k=v,...} value @ts" per sample, labels in batch order (the name first by construction).
std::vector<std::string> Render(const model::SampleBatch& batch) {
  std::vector<std::string> lines;
  for (size_t s = 0; s < batch.num_series(); ++s) {
    std::string labels;
    std::string name;
    for (const model::Label& label : batch.labels(s)) {
      if (label.name == "__name__") {
        name = std::string(label.value);
        continue;
      }
      base::StrAppend(&labels, labels.empty() ? "" : ",", label.name, "=", label.value);
    }
    for (size_t i = 0; i < batch.values(s).size(); ++i) {
      lines.push_back(base::StrCat(name, "{", labels, "} ", batch.values(s)[i], " @",
                                   batch.timestamps_ns(s)[i]));
    }
  }
  return lines;
}

struct ValidCase {
  std::string name;
  std::string body;
  Precision precision;
  std::vector<std::string> want;
};

TEST(Parse, ValidLines) {
  const std::vector<ValidCase> cases = {
      {"two fields with tags",
       "cpu,host=a,cpu=0 usage_idle=92.5,usage_user=3i 1700000000000000000",
       Precision::kNanoseconds,
       {"cpu_usage_idle{host=a,cpu=0} 92.5 @1700000000000000000",
        "cpu_usage_user{host=a,cpu=0} 3 @1700000000000000000"}},
      {"no timestamp takes now", "m v=1", Precision::kSeconds, {"m_v{} 1 @1700000000123456789"}},
      {"seconds", "m v=1 1700000000", Precision::kSeconds, {"m_v{} 1 @1700000000000000000"}},
      {"milliseconds",
       "m v=1 1700000000001",
       Precision::kMilliseconds,
       {"m_v{} 1 @1700000000001000000"}},
      {"microseconds",
       "m v=1 1700000000000001",
       Precision::kMicroseconds,
       {"m_v{} 1 @1700000000000001000"}},
      {"minutes", "m v=1 2", Precision::kMinutes, {"m_v{} 1 @120000000000"}},
      {"hours", "m v=1 -1", Precision::kHours, {"m_v{} 1 @-3600000000000"}},
      {"largest nanosecond",
       "m v=1 9223372036854775807",
       Precision::kNanoseconds,
       {"m_v{} 1 @9223372036854775807"}},
      {"smallest nanosecond",
       "m v=1 -9223372036854775808",
       Precision::kNanoseconds,
       {"m_v{} 1 @-9223372036854775808"}},
      {"largest second", "m v=1 9223372036", Precision::kSeconds, {"m_v{} 1 @9223372036000000000"}},
      {"largest hour", "m v=1 2562047", Precision::kHours, {"m_v{} 1 @9223369200000000000"}},
      {"booleans",
       "m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE 1",
       Precision::kNanoseconds,
       {"m_a{} 1 @1", "m_b{} 1 @1", "m_c{} 1 @1", "m_d{} 1 @1", "m_e{} 1 @1", "m_f{} 0 @1",
        "m_g{} 0 @1", "m_h{} 0 @1", "m_i{} 0 @1", "m_j{} 0 @1"}},
      {"numbers",
       "m a=-42i,b=18446744073709551615u,c=1e3,d=-1.5E-3,e=.5,f=1.,g=-0,h=9223372036854775807i 1",
       Precision::kNanoseconds,
       {"m_a{} -42 @1", "m_b{} 1.84467e+19 @1", "m_c{} 1000 @1", "m_d{} -0.0015 @1", "m_e{} 0.5 @1",
        "m_f{} 1 @1", "m_g{} -0 @1", "m_h{} 9.22337e+18 @1"}},
      {"escapes",
       R"(my\ meas\,ure,ho\=st\ x=a\,b\ c\=d f\ 1=1,f\=2=2,f\,3=3 1)",
       Precision::kNanoseconds,
       {"my meas,ure_f 1{ho=st x=a,b c=d} 1 @1", "my meas,ure_f=2{ho=st x=a,b c=d} 2 @1",
        "my meas,ure_f,3{ho=st x=a,b c=d} 3 @1"}},
      {"backslashes",
       R"(a\\b\x,t=c\\\,d v=1 1)",
       Precision::kNanoseconds,
       {R"(a\b\x_v{t=c\,d} 1 @1)"}},
      {"equals in measurement", "a=b v=1 1", Precision::kNanoseconds, {"a=b_v{} 1 @1"}},
      {"unicode",
       "温度,房间=客厅 值=21.5 1",
       Precision::kNanoseconds,
       {"温度_值{房间=客厅} 21.5 @1"}},
      {"duplicate field: last wins",
       "m a=1,b=2,a=3 1",
       Precision::kNanoseconds,
       {"m_b{} 2 @1", "m_a{} 3 @1"}},
      {"many duplicate fields",
       "m a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,a=2,b=2 1",
       Precision::kNanoseconds,
       {"m_c{} 1 @1", "m_d{} 1 @1", "m_e{} 1 @1", "m_f{} 1 @1", "m_g{} 1 @1", "m_h{} 1 @1",
        "m_i{} 1 @1", "m_a{} 2 @1", "m_b{} 2 @1"}},
      {"crlf, comments, blank lines",
       "# comment\r\n\r\n  \t\n  # indented\nm v=1 1\r\nm v=2 2\r\n",
       Precision::kNanoseconds,
       {"m_v{} 1 @1", "m_v{} 2 @2"}},
      {"runs of spaces", "m,t=1  v=1   5  ", Precision::kNanoseconds, {"m_v{t=1} 1 @5"}},
      {"no trailing newline",
       "m v=1 1\nm v=2 2",
       Precision::kNanoseconds,
       {"m_v{} 1 @1", "m_v{} 2 @2"}},
  };
  for (const ValidCase& c : cases) {
    model::SampleBatch out;
    CS_EXPECT_OK(Parse(c.body, c.precision, kNow, &out)) << c.name;
    EXPECT_THAT(Render(out), ElementsAreArray(c.want)) << c.name;
    EXPECT_EQ(out.rejected_samples(), 0u) << c.name;
  }
}

struct InvalidCase {
  std::string body;
  std::string problem;  // after "line 1: "
};

TEST(Parse, MalformedLines) {
  const std::vector<InvalidCase> cases = {
      {"m", "missing fields"},
      {"m ", "missing fields"},
      {"m,t=1", "missing fields"},
      {",t=1 v=1", "missing measurement"},
      {" v=1", "missing fields"},  // leading blanks are skipped: "v=1" is the measurement
      {"m,t v=1", "tag \"t\" has no value"},
      {"m,t= v=1", "tag \"t\" has an empty value"},
      {"m,=x v=1", "empty tag key"},
      {"m, v=1", "empty tag key"},
      {"m v", "field \"v\" has no value"},
      {"m =1", "empty field key"},
      {"m v=1,", "empty field key"},
      {"m v=", "field \"v\": empty value"},
      {"m v=abc", "field \"v\": invalid field value \"abc\""},
      {"m v=1.2.3", "field \"v\": invalid float \"1.2.3\""},
      {"m v=+1", "field \"v\": invalid field value \"+1\""},
      {"m v=1i2", "invalid field value \"1i2\""},
      {"m v=i", "invalid integer \"i\""},
      {"m v=1.5i", "invalid integer \"1.5i\""},
      {"m v=9223372036854775808i", "integer \"9223372036854775808i\" is out of range for int64"},
      {"m v=18446744073709551616u", "is out of range for uint64"},
      {"m v=-1u", "invalid unsigned integer \"-1u\""},
      {"m v=1e400", "float \"1e400\" is out of range"},
      {"m v=nan", "invalid field value \"nan\""},
      {"m v=inf", "invalid field value \"inf\""},
      {"m v=0x10", "invalid field value \"0x10\""},
      {"m v=\"abc", "field \"v\": unterminated string"},
      {"m v=\"a\\\"", "unterminated string"},
      {"m v=\"a\"x", "unexpected \"x\" after field \"v\""},
      {"m v=1 abc", "invalid timestamp \"abc\""},
      {"m v=1 1.5", "invalid timestamp \"1.5\""},
      {"m v=1 +5", "invalid timestamp \"+5\""},
      {"m v=1 1 2", "unexpected \"2\" after the timestamp"},
      {"m v=1 9223372036854775808", "timestamp \"9223372036854775808\" is out of range"},
      {"m v=1 -9223372036854775809", "is out of range"},
  };
  for (const InvalidCase& c : cases) {
    model::SampleBatch out;
    absl::Status status = Parse(c.body, Precision::kNanoseconds, kNow, &out);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.body;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.problem)) << c.body;
    EXPECT_EQ(out.num_series(), 0u) << c.body;
    EXPECT_EQ(out.rejected_samples(), 1u) << c.body;
    EXPECT_THAT(out.rejection_reasons(),
                ElementsAre(AllOf(StartsWith("line 1: "), HasSubstr(c.problem))))
        << c.body;
  }
}

TEST(Parse, TimestampOverflowAtCoarsePrecision) {
  for (auto [body, precision] : std::vector<std::pair<std::string, Precision>>{
           {"m v=1 9223372037", Precision::kSeconds},
           {"m v=1 -9223372037", Precision::kSeconds},
           {"m v=1 9223372036855", Precision::kMilliseconds},
           {"m v=1 153722868", Precision::kMinutes},
           {"m v=1 2562048", Precision::kHours}}) {
    model::SampleBatch out;
    absl::Status status = Parse(body, precision, kNow, &out);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("is out of range (1677-09-21 to 2262-04-11"))
        << body;
  }
}

TEST(Parse, BadLinesAreRejectedAloneWithTheirLineNumbers) {
  model::SampleBatch out;
  CS_ASSERT_OK(
      Parse("m v=1 1\nbroken\n# fine\nm,host=a s=\"text, with \\\"quotes\\\" and = signs\",v=2 "
            "2\nm v=x 3\n",
            Precision::kNanoseconds, kNow, &out));
  EXPECT_THAT(Render(out), ElementsAre("m_v{} 1 @1", "m_v{host=a} 2 @2"));
  EXPECT_EQ(out.rejected_samples(), 3u);
  EXPECT_THAT(
      out.rejection_reasons(),
      ElementsAre("line 2: missing fields",
                  "line 4: field \"s\" is a string; only numeric and boolean fields are stored",
                  "line 5: field \"v\": invalid field value \"x\""));
}

TEST(Parse, StringOnlyBodyIsNotAnError) {
  model::SampleBatch out;
  CS_ASSERT_OK(Parse("m s=\"x\"", Precision::kNanoseconds, kNow, &out));
  EXPECT_EQ(out.num_series(), 0u);
  EXPECT_EQ(out.rejected_samples(), 1u);
}

TEST(Parse, EmptyAndCommentOnlyBodies) {
  for (std::string_view body : {"", "\n\n", "# only a comment\n", "\r\n"}) {
    model::SampleBatch out;
    CS_EXPECT_OK(Parse(body, Precision::kNanoseconds, kNow, &out));
    EXPECT_EQ(out.num_series(), 0u);
    EXPECT_EQ(out.rejected_samples(), 0u);
  }
}

TEST(Parse, EscapedStringsAreOwnedByTheBatch) {
  model::SampleBatch out;
  {
    std::string body = "m,t=a\\ b v=1 1";
    CS_ASSERT_OK(Parse(body, Precision::kNanoseconds, kNow, &out));
  }  // a view of the unescaped value would dangle here; ASan would catch it
  EXPECT_EQ(out.labels(0)[1].value, "a b");
  EXPECT_EQ(out.labels(0)[0].value, "m_v");
}

TEST(Parse, LabelBudgetBoundsExpansion) {
  // 300 tags x 300 fields would be 90,000 labels from a line of ~4 KB.
  std::string line = "m";
  for (int i = 0; i < 300; ++i) base::StrAppend(&line, ",t", i, "=v");
  line += " ";
  for (int i = 0; i < 300; ++i) base::StrAppend(&line, i == 0 ? "" : ",", "f", i, "=1");
  model::SampleBatch out;
  absl::Status status = Parse(line + "\nm v=1 1\n", Precision::kNanoseconds, kNow, &out);
  CS_EXPECT_OK(status);
  EXPECT_EQ(out.num_series(), 1u);
  EXPECT_THAT(out.rejection_reasons(),
              ElementsAre(HasSubstr("line 1: 300 fields x 300 tags need")));
  // A realistic wide line fits: 30 fields x 20 tags.
  std::string wide = "kube_pod";
  for (int i = 0; i < 20; ++i) base::StrAppend(&wide, ",label_", i, "=value-", i);
  wide += " ";
  for (int i = 0; i < 30; ++i) base::StrAppend(&wide, i == 0 ? "" : ",", "field_", i, "=", i, "i");
  model::SampleBatch wide_out;
  CS_ASSERT_OK(Parse(wide, Precision::kNanoseconds, kNow, &wide_out));
  EXPECT_EQ(wide_out.num_series(), 30u);
}

TEST(ParsePrecision, Table) {
  struct Case {
    std::string_view name;
    bool v1;
    std::optional<Precision> want;
  };
  const std::vector<Case> cases = {
      {"", false, Precision::kNanoseconds},
      {"ns", false, Precision::kNanoseconds},
      {"n", false, Precision::kNanoseconds},
      {"us", false, Precision::kMicroseconds},
      {"u", false, Precision::kMicroseconds},
      {"ms", false, Precision::kMilliseconds},
      {"s", false, Precision::kSeconds},
      {"m", false, std::nullopt},
      {"h", false, std::nullopt},
      {"m", true, Precision::kMinutes},
      {"h", true, Precision::kHours},
      {"n", true, Precision::kNanoseconds},
      {"u", true, Precision::kMicroseconds},
      {"ns", true, Precision::kNanoseconds},
      {"NS", false, std::nullopt},
      {"sec", true, std::nullopt},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Precision> got = ParsePrecision(c.name, c.v1);
    if (c.want.has_value()) {
      EXPECT_THAT(got, IsOkAndHolds(*c.want)) << c.name << " v1=" << c.v1;
    } else {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument)) << c.name << " v1=" << c.v1;
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(base::StrCat("\"", c.name, "\"")))
          << c.name;
    }
  }
  EXPECT_EQ(NanosPerUnit(Precision::kHours), 3'600'000'000'000);
}

}  // namespace
}  // namespace cardinalsin::line_protocol
