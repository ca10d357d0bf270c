// File: testing/bytes.h
//
// Byte-building helpers for the parquet module's tests only.
#pragma once

#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace cardinalsin::parquet::testing {

// Bytes from a list of small integers: Bytes({0x15, 0x02}).
inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// A heap copy without spare capacity, so ASan flags any read past its end (a std::string
// always has a terminating NUL after its last byte).
class ExactCopy {
 public:
  explicit ExactCopy(std::string_view bytes) : data_(new char[bytes.size()]), size_(bytes.size()) {
    std::memcpy(data_.get(), bytes.data(), bytes.size());
  }
  // NOLINTNEXTLINE(readability-identifier-naming)
  std::string_view view() const { return std::string_view(data_.get(), size_); }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_;
};

}  // namespace cardinalsin::parquet::testing
