// File: byte_source.h
//
// Random-access bytes for the Parquet reader: a file in memory, or an object read with ranged
// GETs. The reader asks for the footer first and then only the byte ranges of the pages it needs;
// ReadRanges() coalesces nearby ranges into fewer requests, because on object storage a request
// costs far more than the bytes between two close ranges.
//
//   ObjectByteSource source(store, key, size);          // size from Head() or the catalog
//   CS_ASSIGN_OR_RETURN(std::vector<std::string> parts, source.ReadRanges({{0, 4}, {100, 50}}));
//
// Thread-safety: implementations are safe for concurrent reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/object_store.h"

namespace cardinalsin::parquet {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // A name for error messages (object key or "<memory>").
  virtual const std::string& name() const = 0;
  // Exactly `range`; DataLossError naming the source when it lies outside size() or the source
  // returns fewer bytes.
  [[nodiscard]] virtual absl::StatusOr<std::string> Read(ByteRange range) = 0;
  // One string per input range, in input order. The default coalesces ranges whose gap is at most
  // `max_gap` bytes into single Read() calls.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ReadRanges(
      std::span<const ByteRange> ranges, uint64_t max_gap = 1 << 20);
  // Number of Read() calls made so far (for pruning tests and EXPLAIN statistics).
  virtual uint64_t read_calls() const = 0;
};

// Bytes held in memory (a file just written, a test fixture). Does not copy `data`, which must
// outlive the source.
class MemoryByteSource final : public ByteSource {
 public:
  explicit MemoryByteSource(std::string_view data, std::string name = "<memory>")
      : data_(data), name_(std::move(name)) {}
  uint64_t size() const override { return data_.size(); }
  const std::string& name() const override { return name_; }
  absl::StatusOr<std::string> Read(ByteRange range) override;
  uint64_t read_calls() const override { return read_calls_; }

 private:
  std::string_view data_;
  std::string name_;
  std::atomic<uint64_t> read_calls_{0};
};

// An object read through ObjectStore::GetRange. `store` must outlive the source.
class ObjectByteSource final : public ByteSource {
 public:
  ObjectByteSource(io::ObjectStore& store, std::string key, uint64_t size)
      : store_(store), key_(std::move(key)), size_(size) {}
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return key_; }
  absl::StatusOr<std::string> Read(ByteRange range) override;
  uint64_t read_calls() const override { return read_calls_; }

 private:
  io::ObjectStore& store_;
  const std::string key_;
  const uint64_t size_;
  std::atomic<uint64_t> read_calls_{0};
};

}  // namespace cardinalsin::parquet
