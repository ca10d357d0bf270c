#include "otlp/naming.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace cardinalsin::otlp {
namespace {

struct MetricNameCase {
  std::string name;
  std::string unit;
  NameKind kind;
  std::string want;
};

TEST(TranslateMetricNameTest, Table) {
  const MetricNameCase cases[] = {
      {"process.cpu.time", "s", NameKind::kMonotonicCounter, "process_cpu_time_seconds_total"},
      {"http.server.request.duration", "s", NameKind::kHistogram,
       "http_server_request_duration_seconds"},
      {"system.memory.usage", "By", NameKind::kNonMonotonicCounter, "system_memory_usage_bytes"},
      {"heap", "KiBy", NameKind::kGauge, "heap_kibibytes"},
      {"latency", "ms", NameKind::kSummary, "latency_milliseconds"},
      {"cpu.utilization", "1", NameKind::kGauge, "cpu_utilization_ratio"},
      // `_ratio` is for gauges only; a counter of unit 1 gets no unit suffix.
      {"requests", "1", NameKind::kMonotonicCounter, "requests_total"},
      {"queue.fill", "1", NameKind::kNonMonotonicCounter, "queue_fill"},
      {"throughput", "By/s", NameKind::kGauge, "throughput_bytes_per_second"},
      {"rate", "{packet}/s", NameKind::kGauge, "rate_per_second"},
      {"events", "{event}", NameKind::kMonotonicCounter, "events_total"},
      {"odd", "1/{x}", NameKind::kGauge, "odd"},
      {"weird.unit", "foo.bar", NameKind::kGauge, "weird_unit_foo_bar"},
      {"per.unknown", "By/fortnight", NameKind::kGauge, "per_unknown_bytes_per_fortnight"},
      {"spaces", " s ", NameKind::kGauge, "spaces_seconds"},
      // Suffixes already present are not repeated; `total` and `ratio` move to the end.
      {"duration_seconds", "s", NameKind::kGauge, "duration_seconds"},
      {"requests_total", "", NameKind::kMonotonicCounter, "requests_total"},
      {"total.requests", "", NameKind::kMonotonicCounter, "requests_total"},
      {"ratio.of.things", "1", NameKind::kGauge, "of_things_ratio"},
      {"bytes.total", "By", NameKind::kMonotonicCounter, "bytes_total"},
      // Invalid characters split tokens; runs of them and of underscores collapse.
      {"a..b__c-d/e", "", NameKind::kGauge, "a_b_c_d_e"},
      {"ns:metric.x", "", NameKind::kGauge, "ns:metric_x"},
      {"_leading", "", NameKind::kGauge, "leading"},
      {"2xx.count", "", NameKind::kGauge, "_2xx_count"},
      {"caf\xc3\xa9.hits", "", NameKind::kGauge, "caf_hits"},
      {"...", "", NameKind::kGauge, ""},
      {"", "s", NameKind::kGauge, "seconds"},
      {"", "", NameKind::kGauge, ""},
  };
  for (const MetricNameCase& c : cases) {
    EXPECT_EQ(TranslateMetricName(c.name, c.unit, c.kind), c.want)
        << c.name << " [" << c.unit << "]";
  }
}

TEST(TranslateUnitTest, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"s", "seconds"},
      {"ms", "milliseconds"},
      {"us", "microseconds"},
      {"ns", "nanoseconds"},
      {"min", "minutes"},
      {"h", "hours"},
      {"d", "days"},
      {"By", "bytes"},
      {"KiBy", "kibibytes"},
      {"MiBy", "mebibytes"},
      {"GiBy", "gibibytes"},
      {"TiBy", "tibibytes"},
      {"KBy", "kilobytes"},
      {"MBy", "megabytes"},
      {"GBy", "gigabytes"},
      {"TBy", "terabytes"},
      {"m", "meters"},
      {"V", "volts"},
      {"A", "amperes"},
      {"J", "joules"},
      {"W", "watts"},
      {"g", "grams"},
      {"Cel", "celsius"},
      {"Hz", "hertz"},
      {"%", "percent"},
      {"1", ""},
      {"", ""},
      {"{thing}", ""},
      {"m/s", "meters_per_second"},
      {"1/h", "per_hour"},
      {"By/w", "bytes_per_week"},
      {"/", ""},
      {"x/mo", "x_per_month"},
      {"x/y", "x_per_year"},
      {"x/d", "x_per_day"},
      {"x/m", "x_per_minute"},
  };
  for (const auto& [unit, want] : cases) EXPECT_EQ(TranslateUnit(unit), want) << unit;
}

TEST(TranslateLabelNameTest, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"http.request.method", "http_request_method"},
      {"service.instance.id", "service_instance_id"},
      {"already_fine", "already_fine"},
      {"CamelCase9", "CamelCase9"},
      {"0x", "key_0x"},
      {"9.lives", "key_9_lives"},
      {"a..b", "a_b"},
      {"a__b", "a_b"},
      {"_private", "_private"},
      {"__reserved__", "__reserved__"},
      {"__a.b__", "__a_b__"},
      {"__x", "_x"},
      {"caf\xc3\xa9", "caf_"},
      {"k8s.pod.name", "k8s_pod_name"},
      {"", ""},
      {"_", ""},
      {"...", ""},
      {"__", ""},
  };
  for (const auto& [key, want] : cases) EXPECT_EQ(TranslateLabelName(key), want) << key;
}

TEST(FormatFloatTest, Table) {
  const std::pair<double, std::string> cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {0.1, "0.1"},
      {0.25, "0.25"},
      {2.5, "2.5"},
      {1e-5, "0.00001"},
      {1e21, "1000000000000000000000"},
      {123456789.125, "123456789.125"},
      {0.1 + 0.2, "0.30000000000000004"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& [value, want] : cases) EXPECT_EQ(FormatFloat(value), want) << value;
  // The extremes fit the buffer and round-trip.
  for (double value :
       {std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
        std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::min()}) {
    std::string text = FormatFloat(value);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

}  // namespace
}  // namespace cardinalsin::otlp
