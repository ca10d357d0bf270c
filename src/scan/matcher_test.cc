#include "scan/internal/matcher.h"

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace cardinalsin::scan::internal {
namespace {

struct Case {
  LabelPredicate predicate;
  std::vector<std::pair<std::string, bool>> values;  // value -> matches
  bool absent;                                       // an absent label matches
};

TEST(StringMatcherTest, LabelPredicatesMatchExactly) {
  const std::vector<Case> cases = {
      {{.name = "l", .op = LabelOp::kEqual, .values = {"a"}},
       {{"a", true}, {"b", false}, {"", false}},
       false},
      {{.name = "l", .op = LabelOp::kEqual, .values = {""}}, {{"a", false}, {"", true}}, true},
      {{.name = "l", .op = LabelOp::kEqual, .values = {""}, .absent = AbsentLabel::kNoMatch},
       {{"", true}},
       false},
      {{.name = "l", .op = LabelOp::kNotEqual, .values = {"a"}}, {{"a", false}, {"b", true}}, true},
      {{.name = "l", .op = LabelOp::kNotEqual, .values = {""}}, {{"a", true}, {"", false}}, false},
      {{.name = "l", .op = LabelOp::kNotEqual, .values = {"a"}, .absent = AbsentLabel::kNoMatch},
       {{"b", true}},
       false},
      {{.name = "l", .op = LabelOp::kIn, .values = {"c", "a", "b", "z", "y", "c"}},
       {{"a", true}, {"y", true}, {"x", false}},
       false},
      {{.name = "l", .op = LabelOp::kIn, .values = {}}, {{"a", false}, {"", false}}, false},
      {{.name = "l", .op = LabelOp::kRegex, .values = {"a.c"}},
       {{"abc", true}, {"xabc", false}},
       false},
      {{.name = "l", .op = LabelOp::kRegex, .values = {".*"}}, {{"x", true}, {"a\nb", true}}, true},
      {{.name = "l", .op = LabelOp::kRegex, .values = {"b"}, .full_match = false},
       {{"abc", true}, {"ac", false}},
       false},
      {{.name = "l", .op = LabelOp::kNotRegex, .values = {"a.*"}},
       {{"abc", false}, {"b", true}},
       true},
      {{.name = "l", .op = LabelOp::kNotRegex, .values = {".*"}}, {{"b", false}}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.predicate.values.empty() ? "<empty>" : c.predicate.values[0]);
    CS_ASSERT_OK_AND_ASSIGN(StringMatcher m, StringMatcher::ForLabel(c.predicate));
    for (const auto& [value, expected] : c.values) EXPECT_EQ(m.Matches(value), expected) << value;
    EXPECT_EQ(m.matches_absent(), c.absent);
  }
}

TEST(StringMatcherTest, RangesPruneOnlyWhatCannotMatch) {
  CS_ASSERT_OK_AND_ASSIGN(StringMatcher set,
                          StringMatcher::ForMetric(MetricCondition::Exact({"cpu", "mem"})));
  EXPECT_TRUE(set.MayMatchRange("a", "d"));
  EXPECT_FALSE(set.MayMatchRange("d", "l"));
  EXPECT_TRUE(set.MayMatchRange("mem", "mem"));
  EXPECT_FALSE(set.MayMatchRange("mem0", "z"));

  CS_ASSERT_OK_AND_ASSIGN(StringMatcher prefix,
                          StringMatcher::ForMetric(MetricCondition::Prefix("node_")));
  EXPECT_TRUE(prefix.Matches("node_cpu"));
  EXPECT_FALSE(prefix.Matches("nod"));
  EXPECT_TRUE(prefix.MayMatchRange("a", "node_a"));
  EXPECT_FALSE(prefix.MayMatchRange("a", "node"));
  EXPECT_TRUE(prefix.MayMatchRange("node`", "z"));  // the successor of "node_" is kept
  EXPECT_FALSE(prefix.MayMatchRange("nodea", "z"));

  CS_ASSERT_OK_AND_ASSIGN(StringMatcher regex,
                          StringMatcher::ForMetric(MetricCondition::Regex("http_(a|b)")));
  EXPECT_TRUE(regex.Matches("http_a"));
  EXPECT_FALSE(regex.Matches("http_c"));
  EXPECT_FALSE(regex.MayMatchRange("a", "h"));
  EXPECT_TRUE(regex.MayMatchRange("http", "http_z"));
  EXPECT_FALSE(regex.MayMatchRange("i", "z"));

  CS_ASSERT_OK_AND_ASSIGN(StringMatcher unbounded,
                          StringMatcher::ForMetric(MetricCondition::Regex(".*x")));
  EXPECT_TRUE(unbounded.MayMatchRange("a", "b"));

  CS_ASSERT_OK_AND_ASSIGN(
      StringMatcher not_equal,
      StringMatcher::ForLabel({.name = "l", .op = LabelOp::kNotEqual, .values = {"a"}}));
  EXPECT_FALSE(not_equal.MayMatchRange("a", "a"));
  EXPECT_TRUE(not_equal.MayMatchRange("a", "b"));
}

TEST(StringMatcherTest, EvaluatesPlainAndDictionaryColumnsWithNulls) {
  CS_ASSERT_OK_AND_ASSIGN(
      StringMatcher m,
      StringMatcher::ForLabel({.name = "l", .op = LabelOp::kNotEqual, .values = {"b"}}));
  model::Column plain = model::Column::FromStrings(model::StringVector::Of({"a", "b", "", "b"}));
  plain.SetValidity({1, 1, 0, 1});
  model::Column dict =
      model::Column::FromDictionary(model::StringVector::Of({"b", "a"}), {1, 0, 0, 0});
  dict.SetValidity({1, 1, 0, 1});
  for (const model::Column* column : {&plain, &dict}) {
    std::vector<uint8_t> keep = {1, 1, 1, 0};
    m.Evaluate(*column, keep);
    EXPECT_EQ(keep, (std::vector<uint8_t>{1, 0, 1, 0}));
  }
}

TEST(StringMatcherTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor("a\xff"), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), std::nullopt);
  EXPECT_EQ(PrefixSuccessor(""), std::nullopt);
}

}  // namespace
}  // namespace cardinalsin::scan::internal
