// File: parquet_mutator.h
//
// A structure-aware mutator for whole Parquet files, for libFuzzer's LLVMFuzzerCustomMutator.
// Byte-level mutation rarely gets past a Parquet file's framing: making a page header claim a
// large value count lengthens its varint, which shifts the page body past its column chunk's
// recorded size, and the reader rejects the file before the interesting code runs. This mutator
// decodes the footer with our own metadata codec, changes one field (of the footer, of a page
// header, of a column or offset index, or of a bloom filter header), re-encodes what it changed,
// and moves every file offset and chunk size that the change shifted, so the result stays
// well-framed and the mutation reaches the decoders behind the framing.
//
//   std::minstd_rand rng(seed);
//   std::optional<std::string> mutated = parquet_fuzz::MutateParquet(file, rng);  // nullopt: not
//                                                                                // a Parquet file
//
// Deterministic for a given input and generator state (libFuzzer's seed).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "parquet/metadata.h"

namespace cardinalsin::parquet_fuzz {

using Rng = std::minstd_rand;
namespace pq = ::cardinalsin::parquet;

// Boundary values and small steps; arithmetic in the unsigned type, so the mutator itself has no
// undefined behaviour.
template <typename T>
T MutateInt(T v, Rng& rng) {
  using U = std::make_unsigned_t<T>;
  const U u = static_cast<U>(v);
  switch (rng() % 10) {
    case 0:
      return 0;
    case 1:
      return static_cast<T>(static_cast<U>(u + 1));
    case 2:
      return static_cast<T>(static_cast<U>(u - 1));
    case 3:
      return std::numeric_limits<T>::max();
    case 4:
      return std::numeric_limits<T>::min();
    case 5:
      return static_cast<T>(static_cast<U>(u * 2));
    case 6:
      return static_cast<T>(static_cast<U>(u + static_cast<U>(rng() % 64) - U{32}));
    case 7:
      return static_cast<T>(static_cast<U>(U{1} << (rng() % (sizeof(T) * 8 - 1))));
    case 8:
      return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(rng() % 16)));
    default:
      return static_cast<T>(static_cast<U>(rng()));
  }
}

template <>
inline bool MutateInt<bool>(bool v, Rng& rng) {
  return !v;
}

// Enums: mostly small values (the known ones and a few past them), sometimes anything.
template <typename E>
E MutateEnum(E v, Rng& rng) {
  using I = std::underlying_type_t<E>;
  if (rng() % 4 == 0) return static_cast<E>(MutateInt(static_cast<I>(v), rng));
  return static_cast<E>(static_cast<I>(rng() % 17));
}

inline void MutateBytes(std::string* s, Rng& rng) {
  switch (rng() % 4) {
    case 0:
      if (!s->empty()) (*s)[rng() % s->size()] ^= static_cast<char>(1 << (rng() % 8));
      break;
    case 1:
      s->resize(rng() % (s->size() + 1));
      break;
    case 2:
      s->push_back(static_cast<char>(rng()));
      break;
    default:
      s->assign(rng() % 13, static_cast<char>(rng() % 2 ? 0xFF : 0x00));
      break;
  }
}

// x += d with wrap-around: fields may already hold extreme values from earlier mutations.
inline void WrapAdd(int64_t& x, int64_t d) {
  x = static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(d));
}

// One closure per mutable field of a struct tree.
class Sites {
 public:
  template <typename T>
  void Int(T* p) {
    fns_.push_back([p](Rng& rng) { *p = MutateInt(*p, rng); });
  }
  template <typename T>
  void OptInt(std::optional<T>* p) {
    fns_.push_back([p](Rng& rng) {
      if (p->has_value() && rng() % 5 == 0) {
        p->reset();
      } else {
        *p = MutateInt(p->value_or(T{}), rng);
      }
    });
  }
  template <typename E>
  void Enum(E* p) {
    fns_.push_back([p](Rng& rng) { *p = MutateEnum(*p, rng); });
  }
  template <typename E>
  void OptEnum(std::optional<E>* p) {
    fns_.push_back([p](Rng& rng) {
      if (p->has_value() && rng() % 5 == 0) {
        p->reset();
      } else {
        *p = MutateEnum(p->value_or(E{}), rng);
      }
    });
  }
  void Bytes(std::string* p) {
    fns_.push_back([p](Rng& rng) { MutateBytes(p, rng); });
  }
  void OptBytes(std::optional<std::string>* p) {
    fns_.push_back([p](Rng& rng) {
      if (!p->has_value()) p->emplace();
      MutateBytes(&**p, rng);
    });
  }
  template <typename T>
  void Vector(std::vector<T>* p) {  // drop, duplicate or clear elements
    fns_.push_back([p](Rng& rng) {
      if (p->empty()) return;
      const size_t i = rng() % p->size();
      switch (rng() % 3) {
        case 0:
          p->erase(p->begin() + static_cast<std::ptrdiff_t>(i));
          break;
        case 1:
          p->push_back((*p)[i]);
          break;
        default:
          p->resize(rng() % (p->size() + 1));
          break;
      }
    });
  }
  void Add(std::function<void(Rng&)> fn) { fns_.push_back(std::move(fn)); }

  bool Apply(Rng& rng) {
    if (fns_.empty()) return false;
    fns_[rng() % fns_.size()](rng);
    return true;
  }

 private:
  std::vector<std::function<void(Rng&)>> fns_;
};

inline void AddStatistics(Sites& s, pq::Statistics* st) {
  s.OptBytes(&st->min);
  s.OptBytes(&st->max);
  s.OptBytes(&st->min_value);
  s.OptBytes(&st->max_value);
  s.OptInt(&st->null_count);
  s.OptInt(&st->nan_count);
}

inline void AddFileMetaData(Sites& s, pq::FileMetaData* m) {
  s.Int(&m->num_rows);
  s.Vector(&m->row_groups);
  s.Vector(&m->schema);
  for (pq::SchemaElement& e : m->schema) {
    s.OptEnum(&e.type);
    s.OptInt(&e.type_length);
    s.OptEnum(&e.repetition_type);
    s.OptInt(&e.num_children);
    s.OptEnum(&e.converted_type);
    s.Add([&e](Rng& rng) {
      pq::LogicalType t =
          e.logical_type.value_or(pq::LogicalType::Timestamp(true, pq::TimeUnit::kNanos));
      switch (rng() % 4) {
        case 0:
          t.kind = MutateEnum(t.kind, rng);
          break;
        case 1:
          t.unit = static_cast<pq::TimeUnit>(rng() % 5);
          break;
        case 2:
          t.is_signed = !t.is_signed;
          t.bit_width = static_cast<int8_t>(rng());
          break;
        default:
          e.logical_type.reset();
          return;
      }
      e.logical_type = t;
    });
  }
  for (pq::RowGroup& rg : m->row_groups) {
    s.Int(&rg.num_rows);
    s.Vector(&rg.columns);
    for (pq::ColumnChunk& c : rg.columns) {
      s.OptInt(&c.offset_index_offset);
      s.OptInt(&c.offset_index_length);
      s.OptInt(&c.column_index_offset);
      s.OptInt(&c.column_index_length);
      if (!c.meta_data) continue;
      pq::ColumnMetaData& md = *c.meta_data;
      s.Enum(&md.type);
      s.Enum(&md.codec);
      s.Int(&md.num_values);
      s.Int(&md.total_compressed_size);
      s.Int(&md.data_page_offset);
      s.OptInt(&md.dictionary_page_offset);
      s.OptInt(&md.bloom_filter_offset);
      s.OptInt(&md.bloom_filter_length);
      if (md.statistics) AddStatistics(s, &*md.statistics);
    }
  }
}

inline void AddPageHeader(Sites& s, pq::PageHeader* h) {
  s.Enum(&h->type);
  s.Int(&h->uncompressed_page_size);
  s.Int(&h->compressed_page_size);
  if (pq::DataPageHeader* d = h->data_page_header ? &*h->data_page_header : nullptr) {
    s.Int(&d->num_values);
    s.Enum(&d->encoding);
    s.Enum(&d->definition_level_encoding);
    s.Enum(&d->repetition_level_encoding);
  }
  if (pq::DictionaryPageHeader* d =
          h->dictionary_page_header ? &*h->dictionary_page_header : nullptr) {
    s.Int(&d->num_values);
    s.Enum(&d->encoding);
  }
  if (pq::DataPageHeaderV2* d = h->data_page_header_v2 ? &*h->data_page_header_v2 : nullptr) {
    s.Int(&d->num_values);
    s.Int(&d->num_nulls);
    s.Int(&d->num_rows);
    s.Enum(&d->encoding);
    s.Int(&d->definition_levels_byte_length);
    s.Int(&d->repetition_levels_byte_length);
    s.Int(&d->is_compressed);
  }
  // Swap the kind of page-specific header (a data page carrying a v2 header, and so on).
  s.Add([h](Rng& rng) {
    switch (rng() % 3) {
      case 0:
        if (!h->data_page_header) h->data_page_header.emplace();
        h->data_page_header->num_values = static_cast<int32_t>(rng() % 100);
        break;
      case 1:
        if (!h->dictionary_page_header) h->dictionary_page_header.emplace();
        break;
      default:
        if (!h->data_page_header_v2) h->data_page_header_v2.emplace();
        h->data_page_header_v2->num_values = static_cast<int32_t>(rng() % 100);
        break;
    }
  });
}

inline void AddColumnIndex(Sites& s, pq::ColumnIndex* ci) {
  s.Add([ci](Rng& rng) {
    if (!ci->null_pages.empty()) ci->null_pages.flip();
  });
  s.Vector(&ci->min_values);
  s.Vector(&ci->max_values);
  for (std::string& v : ci->min_values) s.Bytes(&v);
  for (std::string& v : ci->max_values) s.Bytes(&v);
  s.Enum(&ci->boundary_order);
  s.Add([ci](Rng& rng) {
    if (ci->null_counts && rng() % 3 == 0) {
      ci->null_counts.reset();
    } else {
      ci->null_counts.emplace(rng() % 4, MutateInt(int64_t{1}, rng));
    }
  });
}

inline void AddOffsetIndex(Sites& s, pq::OffsetIndex* oi) {
  s.Vector(&oi->page_locations);
  for (pq::PageLocation& l : oi->page_locations) {
    s.Int(&l.offset);
    s.Int(&l.compressed_page_size);
    s.Int(&l.first_row_index);
  }
}

// Every absolute file offset in the footer, for shifting after a splice.
inline void ForEachOffset(pq::FileMetaData& m, const std::function<void(int64_t&)>& fn) {
  for (pq::RowGroup& rg : m.row_groups) {
    if (rg.file_offset) fn(*rg.file_offset);
    for (pq::ColumnChunk& c : rg.columns) {
      if (c.offset_index_offset) fn(*c.offset_index_offset);
      if (c.column_index_offset) fn(*c.column_index_offset);
      if (!c.meta_data) continue;
      pq::ColumnMetaData& md = *c.meta_data;
      fn(md.data_page_offset);
      if (md.index_page_offset) fn(*md.index_page_offset);
      if (md.dictionary_page_offset) fn(*md.dictionary_page_offset);
      if (md.bloom_filter_offset) fn(*md.bloom_filter_offset);
    }
  }
}

// Where a column chunk's pages start, as the reader computes it.
inline int64_t ChunkStart(const pq::ColumnMetaData& md) {
  int64_t start = md.data_page_offset;
  if (md.dictionary_page_offset && *md.dictionary_page_offset > 0 &&
      *md.dictionary_page_offset < start) {
    start = *md.dictionary_page_offset;
  }
  return start;
}

// Replaces body[pos, pos + old_size) with `bytes` and moves what lies after it: offsets past the
// splice, and the size of the column chunk that contains it.
inline void Splice(std::string& body, pq::FileMetaData& m, size_t pos, size_t old_size,
                   const std::string& bytes) {
  body.replace(pos, old_size, bytes);
  const int64_t delta = static_cast<int64_t>(bytes.size()) - static_cast<int64_t>(old_size);
  if (delta == 0) return;
  const auto at = static_cast<int64_t>(pos);
  for (pq::RowGroup& rg : m.row_groups) {
    for (pq::ColumnChunk& c : rg.columns) {
      if (!c.meta_data) continue;
      pq::ColumnMetaData& md = *c.meta_data;
      const int64_t start = ChunkStart(md);
      // start <= at < start + total_compressed_size, without overflow.
      if (start <= at && md.total_compressed_size > 0 &&
          static_cast<uint64_t>(at) - static_cast<uint64_t>(start) <
              static_cast<uint64_t>(md.total_compressed_size)) {
        WrapAdd(md.total_compressed_size, delta);
        WrapAdd(md.total_uncompressed_size, delta);
      }
    }
  }
  ForEachOffset(m, [&](int64_t& offset) {
    if (offset > at) WrapAdd(offset, delta);
  });
}

// A random column chunk with metadata, or null.
inline pq::ColumnMetaData* PickChunk(pq::FileMetaData& m, Rng& rng,
                                     pq::ColumnChunk** chunk = nullptr) {
  std::vector<pq::ColumnChunk*> all;
  for (pq::RowGroup& rg : m.row_groups) {
    for (pq::ColumnChunk& c : rg.columns) {
      if (c.meta_data) all.push_back(&c);
    }
  }
  if (all.empty()) return nullptr;
  pq::ColumnChunk* c = all[rng() % all.size()];
  if (chunk != nullptr) *chunk = c;
  return &*c->meta_data;
}

inline bool InBody(const std::string& body, int64_t offset, int64_t length) {
  return offset >= 0 && length >= 0 && static_cast<uint64_t>(offset) <= body.size() &&
         static_cast<uint64_t>(length) <= body.size() - static_cast<uint64_t>(offset);
}

inline bool MutatePageHeader(std::string& body, pq::FileMetaData& m, Rng& rng) {
  pq::ColumnMetaData* md = PickChunk(m, rng);
  if (md == nullptr) return false;
  const int64_t start = ChunkStart(*md);
  if (!InBody(body, start, 0)) return false;
  const size_t end = InBody(body, start, md->total_compressed_size)
                         ? static_cast<size_t>(start + md->total_compressed_size)
                         : body.size();
  std::vector<std::pair<size_t, size_t>> pages;  // (offset, header size)
  for (size_t pos = static_cast<size_t>(start); pos < end && pages.size() < 64;) {
    size_t header_size = 0;
    absl::StatusOr<pq::PageHeader> h =
        pq::DecodePageHeader(std::string_view(body).substr(pos, end - pos), &header_size);
    if (!h.ok()) break;
    pages.emplace_back(pos, header_size);
    if (h->compressed_page_size < 0) break;
    pos += header_size + static_cast<size_t>(h->compressed_page_size);
  }
  if (pages.empty()) return false;
  const auto [pos, header_size] = pages[rng() % pages.size()];
  size_t ignored = 0;
  absl::StatusOr<pq::PageHeader> h =
      pq::DecodePageHeader(std::string_view(body).substr(pos, end - pos), &ignored);
  if (!h.ok()) return false;
  Sites sites;
  AddPageHeader(sites, &*h);
  sites.Apply(rng);
  std::string bytes;
  pq::AppendPageHeader(*h, &bytes);
  Splice(body, m, pos, header_size, bytes);
  return true;
}

inline bool MutateColumnIndex(std::string& body, pq::FileMetaData& m, Rng& rng) {
  pq::ColumnChunk* c = nullptr;
  if (PickChunk(m, rng, &c) == nullptr || !c->column_index_offset || !c->column_index_length ||
      !InBody(body, *c->column_index_offset, *c->column_index_length)) {
    return false;
  }
  const auto pos = static_cast<size_t>(*c->column_index_offset);
  const auto size = static_cast<size_t>(*c->column_index_length);
  absl::StatusOr<pq::ColumnIndex> ci =
      pq::DecodeColumnIndex(std::string_view(body).substr(pos, size));
  if (!ci.ok()) return false;
  Sites sites;
  AddColumnIndex(sites, &*ci);
  sites.Apply(rng);
  const std::string bytes = pq::EncodeColumnIndex(*ci);
  *c->column_index_length = static_cast<int32_t>(bytes.size());
  Splice(body, m, pos, size, bytes);
  return true;
}

inline bool MutateOffsetIndex(std::string& body, pq::FileMetaData& m, Rng& rng) {
  pq::ColumnChunk* c = nullptr;
  if (PickChunk(m, rng, &c) == nullptr || !c->offset_index_offset || !c->offset_index_length ||
      !InBody(body, *c->offset_index_offset, *c->offset_index_length)) {
    return false;
  }
  const auto pos = static_cast<size_t>(*c->offset_index_offset);
  const auto size = static_cast<size_t>(*c->offset_index_length);
  absl::StatusOr<pq::OffsetIndex> oi =
      pq::DecodeOffsetIndex(std::string_view(body).substr(pos, size));
  if (!oi.ok()) return false;
  Sites sites;
  AddOffsetIndex(sites, &*oi);
  sites.Apply(rng);
  const std::string bytes = pq::EncodeOffsetIndex(*oi);
  *c->offset_index_length = static_cast<int32_t>(bytes.size());
  Splice(body, m, pos, size, bytes);
  return true;
}

inline bool MutateBloomFilterHeader(std::string& body, pq::FileMetaData& m, Rng& rng) {
  pq::ColumnMetaData* md = PickChunk(m, rng);
  if (md == nullptr || !md->bloom_filter_offset || !InBody(body, *md->bloom_filter_offset, 0)) {
    return false;
  }
  const auto pos = static_cast<size_t>(*md->bloom_filter_offset);
  size_t header_size = 0;
  absl::StatusOr<pq::BloomFilterHeader> h =
      pq::DecodeBloomFilterHeader(std::string_view(body).substr(pos), &header_size);
  if (!h.ok()) return false;
  h->num_bytes = MutateInt(h->num_bytes, rng);
  std::string bytes;
  pq::AppendBloomFilterHeader(*h, &bytes);
  if (md->bloom_filter_length) {
    *md->bloom_filter_length = static_cast<int32_t>(
        static_cast<uint32_t>(*md->bloom_filter_length) + static_cast<uint32_t>(bytes.size()) -
        static_cast<uint32_t>(header_size));
  }
  Splice(body, m, pos, header_size, bytes);
  return true;
}

// One structural mutation of a Parquet file, or nullopt when `file` has no decodable footer.
inline std::optional<std::string> MutateParquet(std::string_view file, Rng& rng) {
  if (file.size() < 12 || file.substr(file.size() - 4) != "PAR1") return std::nullopt;
  uint32_t footer_size;
  std::memcpy(&footer_size, file.data() + file.size() - 8, 4);
  if (footer_size > file.size() - 8) return std::nullopt;
  const size_t footer_start = file.size() - 8 - footer_size;
  absl::StatusOr<pq::FileMetaData> m =
      pq::DecodeFileMetaData(file.substr(footer_start, footer_size));
  if (!m.ok()) return std::nullopt;
  std::string body(file.substr(0, footer_start));

  bool changed = false;
  for (int attempt = 0; attempt < 4 && !changed; ++attempt) {
    switch (rng() % 6) {
      case 0:
      case 1:
        changed = MutatePageHeader(body, *m, rng);
        break;
      case 2:
        changed = MutateColumnIndex(body, *m, rng);
        break;
      case 3:
        changed = MutateOffsetIndex(body, *m, rng);
        break;
      case 4:
        changed = MutateBloomFilterHeader(body, *m, rng);
        break;
      default: {
        Sites sites;
        AddFileMetaData(sites, &*m);
        changed = sites.Apply(rng);
        break;
      }
    }
  }
  if (!changed) return std::nullopt;
  const std::string footer = pq::EncodeFileMetaData(*m);
  const auto size = static_cast<uint32_t>(footer.size());
  char size_bytes[4];
  std::memcpy(size_bytes, &size, 4);
  return body + footer + std::string(size_bytes, 4) + "PAR1";
}

}  // namespace cardinalsin::parquet_fuzz
