#include "parquet/byte_source.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cardinalsin::parquet {
namespace {

absl::Status CheckRange(const ByteSource& source, ByteRange range) {
  if (range.offset > source.size() || range.length > source.size() - range.offset) {
    return absl::DataLossError(
        absl::StrFormat("%s: byte range [%d, +%d) is outside the file's %d bytes", source.name(),
                        range.offset, range.length, source.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ByteSource::ReadRanges(std::span<const ByteRange> ranges,
                                                                uint64_t max_gap) {
  std::vector<size_t> order(ranges.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
  std::vector<std::string> out(ranges.size());
  size_t i = 0;
  while (i < order.size()) {
    // Grow a merged read while the next range starts within max_gap of the current end.
    uint64_t begin = ranges[order[i]].offset;
    uint64_t end = begin + ranges[order[i]].length;
    size_t j = i + 1;
    while (j < order.size() && ranges[order[j]].offset <= end + max_gap) {
      end = std::max(end, ranges[order[j]].offset + ranges[order[j]].length);
      ++j;
    }
    CS_ASSIGN_OR_RETURN(std::string merged, Read({begin, end - begin}));
    for (size_t k = i; k < j; ++k) {
      const ByteRange& r = ranges[order[k]];
      out[order[k]] = merged.substr(r.offset - begin, r.length);
    }
    i = j;
  }
  return out;
}

absl::StatusOr<std::string> MemoryByteSource::Read(ByteRange range) {
  CS_RETURN_IF_ERROR(CheckRange(*this, range));
  ++read_calls_;
  return std::string(data_.substr(range.offset, range.length));
}

absl::StatusOr<std::string> ObjectByteSource::Read(ByteRange range) {
  CS_RETURN_IF_ERROR(CheckRange(*this, range));
  if (range.length == 0) return std::string();
  ++read_calls_;
  CS_ASSIGN_OR_RETURN(std::string bytes, store_.GetRange(key_, range.offset, range.length));
  if (bytes.size() != range.length) {
    return absl::DataLossError(absl::StrFormat("%s: ranged read [%d, +%d) returned %d bytes", key_,
                                               range.offset, range.length, bytes.size()));
  }
  return bytes;
}

}  // namespace cardinalsin::parquet
