#include "scan/internal/cached_source.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cardinalsin::scan::internal {

absl::Status CachedObjectSource::CheckRange(parquet::ByteRange range) const {
  if (range.offset > size_ || range.length > size_ - range.offset) {
    return absl::DataLossError(
        absl::StrFormat("%s: byte range [%d, +%d) is outside the object's %d bytes", key_,
                        range.offset, range.length, size_));
  }
  return absl::OkStatus();
}

std::optional<std::string> CachedObjectSource::FromCache(parquet::ByteRange range) {
  if (ram_) {
    if (std::shared_ptr<const std::string> hit = ram_->Lookup(key_, range.offset, range.length)) {
      ++counters_.ram_hits;
      return *hit;
    }
  }
  if (disk_) {
    if (std::optional<std::string> hit = disk_->Lookup(key_, range.offset, range.length)) {
      ++counters_.disk_hits;
      if (ram_) ram_->Insert(key_, range.offset, range.length, std::make_shared<std::string>(*hit));
      return hit;
    }
  }
  ++counters_.misses;
  return std::nullopt;
}

void CachedObjectSource::ToCache(parquet::ByteRange range, const std::string& bytes) {
  if (ram_) ram_->Insert(key_, range.offset, range.length, std::make_shared<std::string>(bytes));
  if (disk_) disk_->Insert(key_, range.offset, range.length, bytes);
}

absl::StatusOr<std::string> CachedObjectSource::Fetch(parquet::ByteRange range) {
  ++counters_.requests;
  CS_ASSIGN_OR_RETURN(std::string bytes, store_.GetRange(key_, range.offset, range.length));
  if (bytes.size() != range.length) {
    return absl::DataLossError(
        absl::StrFormat("%s: ranged read [%d, +%d) returned %d bytes (object shorter than the "
                        "catalog says?)",
                        key_, range.offset, range.length, bytes.size()));
  }
  counters_.bytes_fetched += static_cast<int64_t>(bytes.size());
  return bytes;
}

absl::StatusOr<std::string> CachedObjectSource::Read(parquet::ByteRange range) {
  CS_RETURN_IF_ERROR(CheckRange(range));
  if (range.length == 0) return std::string();
  counters_.bytes_read += static_cast<int64_t>(range.length);
  if (std::optional<std::string> hit = FromCache(range)) return std::move(*hit);
  CS_ASSIGN_OR_RETURN(std::string bytes, Fetch(range));
  ToCache(range, bytes);
  return bytes;
}

absl::StatusOr<std::vector<std::string>> CachedObjectSource::ReadRanges(
    std::span<const parquet::ByteRange> ranges, uint64_t max_gap) {
  std::vector<std::string> out(ranges.size());
  std::vector<size_t> missing;
  for (size_t i = 0; i < ranges.size(); ++i) {
    CS_RETURN_IF_ERROR(CheckRange(ranges[i]));
    if (ranges[i].length == 0) continue;
    counters_.bytes_read += static_cast<int64_t>(ranges[i].length);
    if (std::optional<std::string> hit = FromCache(ranges[i])) {
      out[i] = std::move(*hit);
    } else {
      missing.push_back(i);
    }
  }
  std::sort(missing.begin(), missing.end(),
            [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
  size_t i = 0;
  while (i < missing.size()) {
    // Grow one GET while the next missing range starts within max_gap of its end.
    const uint64_t begin = ranges[missing[i]].offset;
    uint64_t end = begin + ranges[missing[i]].length;
    size_t j = i + 1;
    while (j < missing.size() && ranges[missing[j]].offset <= end + max_gap) {
      end = std::max(end, ranges[missing[j]].offset + ranges[missing[j]].length);
      ++j;
    }
    CS_ASSIGN_OR_RETURN(std::string merged, Fetch({begin, end - begin}));
    for (size_t k = i; k < j; ++k) {
      const parquet::ByteRange& r = ranges[missing[k]];
      out[missing[k]] = merged.substr(r.offset - begin, r.length);
      ToCache(r, out[missing[k]]);
    }
    i = j;
  }
  return out;
}

}  // namespace cardinalsin::scan::internal
