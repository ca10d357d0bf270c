#include "io/in_memory_object_store.h"

#include "io/object_store_conformance.h"

namespace cardinalsin::io {
namespace {

using testing::ObjectStoreConformanceTest;

INSTANTIATE_TEST_SUITE_P(InMemory, ObjectStoreConformanceTest,
                         ::testing::Values(testing::ObjectStoreFactory{
                             "memory",
                             []() -> absl::StatusOr<std::unique_ptr<ObjectStore>> {
                               return std::unique_ptr<ObjectStore>(new InMemoryObjectStore());
                             }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cardinalsin::io
