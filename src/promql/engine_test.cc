#include "promql/engine.h"

#include <gtest/gtest.h>

namespace cardinalsin::promql {
namespace {
TEST(EngineTest, Placeholder) {}
}  // namespace
}  // namespace cardinalsin::promql
