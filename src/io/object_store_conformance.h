// File: object_store_conformance.h
//
// The one behavioural test suite every ObjectStore implementation must pass (object_store.h's
// contract). A test binary instantiates it with a factory for its implementation:
//
//   INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreConformanceTest,
//                            ::testing::Values(ObjectStoreFactory{"local", [] { ... }}));
//
// Each test gets a fresh store from the factory and works under its own random key prefix, so a
// shared bucket (Ceph RGW in CI) can host many runs. Compile object_store_conformance.cc into the
// test binary (it holds the TEST_P bodies).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "io/object_store.h"

namespace cardinalsin::io::testing {

struct ObjectStoreFactory {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<ObjectStore>>()> create;
};

inline std::string PrintToString(const ObjectStoreFactory& factory) { return factory.name; }

class ObjectStoreConformanceTest : public ::testing::TestWithParam<ObjectStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // `name` under this test's private prefix.
  std::string Key(std::string_view name) const { return prefix_ + std::string(name); }

  std::unique_ptr<ObjectStore> store_;
  std::string prefix_;
};

}  // namespace cardinalsin::io::testing
