#include "model/column.h"

#include <cmath>
#include <limits>

#include "base/testing/status_matchers.h"
#include "model/record_batch.h"

namespace cardinalsin::model {
namespace {

TEST(StringVectorTest, AppendAndGet) {
  StringVector v = StringVector::Of({"", "a", "héllo", std::string(1000, 'x')});
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.Get(0), "");
  EXPECT_EQ(v.Get(2), "héllo");
  EXPECT_EQ(v.Get(3).size(), 1000u);
}

TEST(ColumnTest, DictionaryAndPlainStringsCompareByValue) {
  Column dict = Column::FromDictionary(StringVector::Of({"api", "db"}), {0, 0, 1, 0});
  Column plain = Column::FromStrings(StringVector::Of({"api", "api", "db", "api"}));
  EXPECT_EQ(dict.size(), 4u);
  EXPECT_EQ(dict.StringAt(2), "db");
  EXPECT_TRUE(dict.Equals(plain));
  EXPECT_TRUE(dict.DecodeDictionary().Equals(plain));
  EXPECT_FALSE(dict.DecodeDictionary().is_dictionary());
}

TEST(ColumnTest, TakeKeepsValidityAndEncoding) {
  Column c = Column::FromDictionary(StringVector::Of({"a", "b"}), {0, 1, 1, 0});
  c.SetValidity({1, 0, 1, 1});
  EXPECT_EQ(c.null_count(), 1u);
  const uint32_t selection[] = {3, 1, 2};
  Column t = c.Take(selection);
  EXPECT_TRUE(t.is_dictionary());
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.StringAt(0), "a");
  EXPECT_FALSE(t.IsValid(1));
  EXPECT_EQ(t.StringAt(2), "b");
}

TEST(ColumnTest, DoublesCompareBitwiseSoNaNAndSignedZerosAreExact) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Column a = Column::FromDouble({nan, inf, -inf, 0.0});
  EXPECT_TRUE(a.Equals(Column::FromDouble({nan, inf, -inf, 0.0})));
  EXPECT_FALSE(a.Equals(Column::FromDouble({nan, inf, -inf, -0.0})));
}

TEST(ColumnTest, NullSlotsAreIgnoredByEquals) {
  Column a = Column::FromInt64(TypeId::kInt64, {1, 2, 3});
  Column b = Column::FromInt64(TypeId::kInt64, {1, 99, 3});
  a.SetValidity({1, 0, 1});
  b.SetValidity({1, 0, 1});
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(Column::FromInt64(TypeId::kTimestampNs, {1, 2, 3})));
}

TEST(RecordBatchTest, ValidateNamesTheProblem) {
  Schema schema = MetricsSchema({"job"});
  ASSERT_EQ(schema.size(), 5u);
  EXPECT_EQ(schema.field(4).name, "job");
  std::vector<Column> columns = {
      Column::FromInt64(TypeId::kTimestampNs, {1, 2}),
      Column::FromDictionary(StringVector::Of({"up"}), {0, 0}),
      Column::FromDouble({1.0, 2.0}),
      Column::FromUInt64({7, 7}),
      Column::FromStrings(StringVector::Of({"api", ""})),
  };
  columns[4].SetValidity({1, 0});
  RecordBatch batch(schema, columns);
  CS_EXPECT_OK(batch.Validate());
  EXPECT_EQ(batch.num_rows(), 2u);

  std::vector<Column> wrong = columns;
  wrong[2] = Column::FromDouble({1.0});
  absl::Status status = RecordBatch(schema, wrong).Validate();
  EXPECT_EQ(status.message(), "column 'value': 1 rows, first column has 2");

  wrong = columns;
  wrong[1].SetValidity({0, 1});
  EXPECT_EQ(RecordBatch(schema, wrong).Validate().message(),
            "column 'metric_name': nulls in a non-nullable field");

  wrong = columns;
  wrong[1] = Column::FromDictionary(StringVector::Of({"up"}), {0, 1});
  EXPECT_EQ(RecordBatch(schema, wrong).Validate().message(),
            "column 'metric_name': dictionary code 1 out of range 1");
}

TEST(SchemaTest, ReservedNamesAndSortedLabels) {
  EXPECT_TRUE(IsReservedColumnName("value"));
  EXPECT_FALSE(IsReservedColumnName("job"));
  Schema s = MetricsSchema({"zone", "instance", "job"});
  EXPECT_EQ(s.field(4).name, "instance");
  EXPECT_EQ(s.field(6).name, "zone");
  EXPECT_EQ(s.IndexOf("job"), 5u);
  EXPECT_EQ(s.IndexOf("nope"), std::nullopt);
}

}  // namespace
}  // namespace cardinalsin::model

namespace cardinalsin::model {
namespace {

TEST(ConcatTest, MergesDictionariesAndValidity) {
  Column a = Column::FromDictionary(StringVector::Of({"x", "y"}), {0, 1});
  Column b = Column::FromDictionary(StringVector::Of({"y", "z"}), {1, 0});
  b.SetValidity({1, 0});
  const Column pieces[] = {a, b};
  Column c = Concat(TypeId::kString, pieces);
  ASSERT_TRUE(c.is_dictionary());
  EXPECT_EQ(c.dictionary().dictionary.size(), 3u);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c.StringAt(0), "x");
  EXPECT_EQ(c.StringAt(2), "z");
  EXPECT_FALSE(c.IsValid(3));
  EXPECT_TRUE(c.IsValid(0));

  const Column numbers[] = {Column::FromDouble({1.0}), Column::FromDouble({2.0, 3.0})};
  EXPECT_TRUE(Concat(TypeId::kDouble, numbers).Equals(Column::FromDouble({1.0, 2.0, 3.0})));
  const Column mixed[] = {a, Column::FromStrings(StringVector::Of({"q"}))};
  Column m = Concat(TypeId::kString, mixed);
  EXPECT_FALSE(m.is_dictionary());
  EXPECT_EQ(m.StringAt(2), "q");
}

}  // namespace
}  // namespace cardinalsin::model
