#include "ingest/intern_table.h"

#include <algorithm>
#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace cardinalsin::ingest {
namespace {

constexpr size_t kMinSlots = 16;
constexpr size_t kBlockBytes = 256 << 10;

// The smallest power-of-two slot count that holds `entries` at most 3/4 full.
size_t SlotsFor(size_t entries) {
  size_t slots = kMinSlots;
  while (slots / 4 * 3 < entries) slots *= 2;
  return slots;
}

}  // namespace

StringInterner::StringInterner(size_t expected_strings) {
  if (expected_strings > 0) slots_.resize(SlotsFor(expected_strings));
  strings_.reserve(expected_strings);
}

uint32_t StringInterner::Tag(std::string_view s) {
  // Debian's Abseil hashes std::string_view through std::hash (slow); hash as absl::string_view.
  const uint64_t hash = absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

std::optional<uint32_t> StringInterner::Find(std::string_view s) const {
  if (slots_.empty()) return std::nullopt;
  const uint32_t tag = Tag(s);
  const size_t mask = slots_.size() - 1;
  for (size_t i = tag & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id_plus == 0) return std::nullopt;
    if (slot.tag == tag && SameBytes(strings_[slot.id_plus - 1], s)) return slot.id_plus - 1;
  }
}

uint32_t StringInterner::Intern(std::string_view s) {
  if ((strings_.size() + 1) > slots_.size() / 4 * 3) Grow();
  const uint32_t tag = Tag(s);
  const size_t mask = slots_.size() - 1;
  size_t i = tag & mask;
  for (;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id_plus == 0) break;
    if (slot.tag == tag && SameBytes(strings_[slot.id_plus - 1], s)) return slot.id_plus - 1;
  }
  if (s.size() > left_) {
    const size_t block = std::max(kBlockBytes, s.size());
    blocks_.push_back(std::make_unique<char[]>(block));
    block_bytes_ += block;
    next_ = blocks_.back().get();
    left_ = block;
  }
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  if (s.empty()) {
    strings_.emplace_back();
  } else {
    std::memcpy(next_, s.data(), s.size());
    strings_.emplace_back(next_, s.size());
    next_ += s.size();
    left_ -= s.size();
  }
  slots_[i] = {tag, id + 1};
  return id;
}

void StringInterner::Grow() {
  auto old = std::move(slots_);
  slots_.assign(std::max(kMinSlots, old.size() * 2), Slot{0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.id_plus == 0) continue;
    size_t i = slot.tag & mask;
    while (slots_[i].id_plus != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

size_t StringInterner::bytes() const {
  return block_bytes_ + strings_.capacity() * sizeof(std::string_view) +
         slots_.capacity() * sizeof(Slot);
}

SeriesIndex::SeriesIndex(size_t expected_series) {
  if (expected_series > 0) slots_.resize(SlotsFor(expected_series));
}

size_t SeriesIndex::Hash(model::SeriesId id) { return absl::Hash<uint64_t>{}(id); }

std::optional<uint32_t> SeriesIndex::Find(model::SeriesId id) const {
  if (slots_.empty()) return std::nullopt;
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(id) & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.position_plus == 0) return std::nullopt;
    if (slot.id == id) return slot.position_plus - 1;
  }
}

std::pair<uint32_t, bool> SeriesIndex::FindOrInsert(model::SeriesId id, uint32_t position) {
  if (size_ + 1 > slots_.size() / 4 * 3) Grow();
  const size_t mask = slots_.size() - 1;
  size_t i = Hash(id) & mask;
  for (;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.position_plus == 0) break;
    if (slot.id == id) return {slot.position_plus - 1, false};
  }
  slots_[i] = {id, position + 1};
  ++size_;
  return {position, true};
}

void SeriesIndex::Grow() {
  auto old = std::move(slots_);
  slots_.assign(std::max(kMinSlots, old.size() * 2), Slot{0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.position_plus == 0) continue;
    size_t i = Hash(slot.id) & mask;
    while (slots_[i].position_plus != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace cardinalsin::ingest
