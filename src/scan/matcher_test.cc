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

// Regexes that are alternations of literals become finite sets, which dictionaries are probed
// with instead of trying the regex on every value; matching is unchanged.
TEST(StringMatcherTest, LiteralAlternationsBecomeExactSets) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> finite = {
      {"host_(1|2|13)", {"host_1", "host_13", "host_2"}},
      {"a|b|a", {"a", "b"}},
      {"(?:GET|POST)/x\\.y", {"GET/x.y", "POST/x.y"}},
      {"", {""}},
      {"a|", {"", "a"}},
      {"(a|b)(c|d)", {"ac", "ad", "bc", "bd"}},
      {"x(a|(b|c))y", {"xay", "xby", "xcy"}},
      {"a\\|b", {"a|b"}},
  };
  const std::vector<std::string> infinite = {"a.b", "a+", "(a|b)*", "(?i)a",    "\\d",   "[ab]",
                                             "^a",  "a$", "a{2}",   "(?P<n>a)", "(a|b)?"};
  const std::vector<std::string> values = {
      "",       "a",       "b",       "ac",  "bd", "a|b", "ab", "host_1", "host_13",
      "host_3", "GET/x.y", "GET/xzy", "xby", "xy", "aa",  "A",  "7",      "x"};
  auto check = [&](const std::string& pattern, bool expect_set) {
    SCOPED_TRACE(pattern);
    CS_ASSERT_OK_AND_ASSIGN(
        StringMatcher m,
        StringMatcher::ForLabel({.name = "l", .op = LabelOp::kRegex, .values = {pattern}}));
    EXPECT_EQ(m.exact_set().has_value(), expect_set);
    re2::RE2 re(pattern);
    ASSERT_TRUE(re.ok());
    for (const std::string& v : values) EXPECT_EQ(m.Matches(v), re2::RE2::FullMatch(v, re)) << v;
    EXPECT_EQ(m.matches_absent(), re2::RE2::FullMatch("", re));
    CS_ASSERT_OK_AND_ASSIGN(
        StringMatcher metric,
        StringMatcher::ForMetric({.kind = MetricCondition::Kind::kRegex, .values = {pattern}}));
    EXPECT_EQ(metric.exact_set().has_value(), expect_set);
    for (const std::string& v : values) {
      EXPECT_EQ(metric.Matches(v), re2::RE2::FullMatch(v, re)) << v;
    }
  };
  for (const auto& [pattern, set] : finite) {
    check(pattern, true);
    CS_ASSERT_OK_AND_ASSIGN(
        StringMatcher m,
        StringMatcher::ForLabel({.name = "l", .op = LabelOp::kRegex, .values = {pattern}}));
    EXPECT_EQ(*m.exact_set(), set) << pattern;
  }
  for (const std::string& pattern : infinite) check(pattern, false);
  // Partial matches and negations stay regexes.
  CS_ASSERT_OK_AND_ASSIGN(
      StringMatcher partial,
      StringMatcher::ForLabel(
          {.name = "l", .op = LabelOp::kRegex, .values = {"a|b"}, .full_match = false}));
  EXPECT_FALSE(partial.exact_set().has_value());
  EXPECT_TRUE(partial.Matches("xax"));
  CS_ASSERT_OK_AND_ASSIGN(
      StringMatcher negated,
      StringMatcher::ForLabel({.name = "l", .op = LabelOp::kNotRegex, .values = {"a|b"}}));
  EXPECT_FALSE(negated.Matches("a"));
  EXPECT_TRUE(negated.Matches("c"));
  // More alternatives than are worth a set: a regex again.
  std::string many = "(0|1|2|3|4|5|6|7|8|9)(0|1|2|3|4|5|6|7|8|9)(0|1|2|3|4|5|6|7|8|9)";
  CS_ASSERT_OK_AND_ASSIGN(
      StringMatcher big,
      StringMatcher::ForLabel({.name = "l", .op = LabelOp::kRegex, .values = {many}}));
  EXPECT_FALSE(big.exact_set().has_value());
  EXPECT_TRUE(big.Matches("123"));
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
