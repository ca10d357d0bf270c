#include "promapi/internal/json.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "promapi/internal/parse_query.h"
#include "promql/parser.h"

namespace cardinalsin::promapi::internal {
namespace {

std::string Timestamp(int64_t ms) {
  std::string out;
  AppendTimestamp(&out, ms);
  return out;
}

std::string ValueText(double v) {
  std::string out;
  AppendSampleValueText(&out, v);
  return out;
}

TEST(Json, TimestampsAreSecondsWithMillisecondDecimals) {
  EXPECT_EQ(Timestamp(1'700'000'000'123), "1700000000.123");
  EXPECT_EQ(Timestamp(1'700'000'000'100), "1700000000.100");
  EXPECT_EQ(Timestamp(1'700'000'000'001), "1700000000.001");
  EXPECT_EQ(Timestamp(1'700'000'000'000), "1700000000");
  EXPECT_EQ(Timestamp(0), "0");
  EXPECT_EQ(Timestamp(-1'500), "-1.500");
  EXPECT_EQ(Timestamp(std::numeric_limits<int64_t>::min()), "-9223372036854775.808");
}

TEST(Json, ValuesInGoShortestFixedNotation) {
  EXPECT_EQ(ValueText(1.5), "1.5");
  EXPECT_EQ(ValueText(42), "42");
  EXPECT_EQ(ValueText(0.1), "0.1");
  EXPECT_EQ(ValueText(1e-7), "0.0000001");
  EXPECT_EQ(ValueText(1e21), "1000000000000000000000");
  EXPECT_EQ(ValueText(-0.0), "-0");
  EXPECT_EQ(ValueText(std::nan("")), "NaN");
  EXPECT_EQ(ValueText(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(ValueText(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(ValueText(std::numeric_limits<double>::denorm_min()).size(), 326u);
  EXPECT_EQ(ValueText(std::numeric_limits<double>::max()).size(), 309u);
}

TEST(Json, QueryDataShapes) {
  std::string out;
  AppendQueryData(&out, promql::Scalar{1'000, 2.5});
  EXPECT_EQ(out, R"({"resultType":"scalar","result":[1,"2.5"]})");
  out.clear();
  AppendQueryData(&out, promql::String{1'500, "hi"});
  EXPECT_EQ(out, R"({"resultType":"string","result":[1.500,"hi"]})");
  out.clear();
  promql::Vector vector = {{{{"__name__", "up"}, {"job", "a"}}, 1'000, 1},
                           {{{"job", "b"}}, 1'000, std::nan("")}};
  AppendQueryData(&out, vector);
  EXPECT_EQ(out, R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},)"
                 R"("value":[1,"1"]},{"metric":{"job":"b"},"value":[1,"NaN"]}]})");
  out.clear();
  promql::Matrix matrix = {{{{"job", "a"}}, {{1'000, 1}, {2'000, 2}}}, {{}, {}}};
  AppendQueryData(&out, matrix);
  EXPECT_EQ(out,
            R"({"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1,"1"],[2,"2"]]},)"
            R"({"metric":{},"values":[]}]})");
  out.clear();
  AppendQueryData(&out, promql::Vector{});
  EXPECT_EQ(out, R"({"resultType":"vector","result":[]})");
}

TEST(ParseQueryJson, TranslatesTheTreeLikePrometheus) {
  struct Case {
    std::string query;
    std::string json;
  };
  const Case cases[] = {
      {"1.5", R"({"type":"numberLiteral","val":"1.5"})"},
      {R"("a")", R"({"type":"stringLiteral","val":"a"})"},
      {R"(up{job="a"} offset 5m)",
       R"({"matchers":[{"name":"__name__","type":"=","value":"up"},)"
       R"({"name":"job","type":"=","value":"a"}],"name":"up","offset":300000,)"
       R"("startOrEnd":null,"timestamp":null,"type":"vectorSelector"})"},
      {"rate(x[5m] @ 10)",
       R"({"args":[{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x",)"
       R"("offset":0,"range":300000,"startOrEnd":null,"timestamp":10000,)"
       R"("type":"matrixSelector"}],"func":{"argTypes":["matrix"],"name":"rate",)"
       R"("returnType":"vector","variadic":0},"type":"call"})"},
      {"sum by (job) (-x)",
       R"({"expr":{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],)"
       R"("name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},)"
       R"("op":"-","type":"unaryExpr"},"grouping":["job"],"op":"sum","param":null,)"
       R"("type":"aggregation","without":false})"},
      {"a / on(b) group_left(c) d",
       R"({"bool":false,"lhs":{"matchers":[{"name":"__name__","type":"=","value":"a"}],)"
       R"("name":"a","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},)"
       R"("matching":{"card":"many-to-one","include":["c"],"labels":["b"],"on":true},"op":"/",)"
       R"("rhs":{"matchers":[{"name":"__name__","type":"=","value":"d"}],"name":"d",)"
       R"("offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},)"
       R"("type":"binaryExpr"})"},
      {"(1 > bool 2)",
       R"({"expr":{"bool":true,"lhs":{"type":"numberLiteral","val":"1"},"matching":null,)"
       R"("op":">","rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"},)"
       R"("type":"parenExpr"})"},
      {"x[1h:1m] @ end()",
       R"({"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x",)"
       R"("offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},)"
       R"("offset":0,"range":3600000,"startOrEnd":"end","step":60000,"timestamp":null,)"
       R"("type":"subquery"})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    absl::StatusOr<promql::ExprPtr> expr = promql::ParseExpr(c.query);
    ASSERT_TRUE(expr.ok()) << expr.status();
    std::string out;
    AppendAstJson(&out, **expr);
    EXPECT_EQ(out, c.json);
  }
}

}  // namespace
}  // namespace cardinalsin::promapi::internal
