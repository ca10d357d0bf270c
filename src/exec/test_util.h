// File: test_util.h
//
// Test-only helpers for the exec module's unit tests (not part of cs_exec).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "exec/value.h"
#include "model/record_batch.h"

namespace cardinalsin::exec::testing {

// One-column-per-argument batch: column i holds values[i] (all the same type per column).
inline model::RecordBatch BatchOf(const std::vector<std::vector<Scalar>>& columns,
                                  const std::vector<TypeId>& types) {
  std::vector<model::Field> fields;
  std::vector<Column> cols;
  for (size_t c = 0; c < columns.size(); ++c) {
    ColumnBuilder b(types[c]);
    for (const Scalar& s : columns[c]) b.AppendScalar(s);
    cols.push_back(b.Finish());
    fields.push_back({"c" + std::to_string(c), types[c], true});
  }
  return model::RecordBatch(model::Schema(std::move(fields)), std::move(cols));
}

// The same string column dictionary-encoded (validity kept).
inline Column ToDictionary(const Column& plain) {
  model::StringVector dict;
  std::vector<uint32_t> codes;
  std::vector<std::string> seen;
  for (size_t i = 0; i < plain.size(); ++i) {
    std::string v(plain.StringAt(i));
    size_t k = 0;
    while (k < seen.size() && seen[k] != v) ++k;
    if (k == seen.size()) {
      seen.push_back(v);
      dict.Append(v);
    }
    codes.push_back(static_cast<uint32_t>(k));
  }
  Column out = Column::FromDictionary(std::move(dict), std::move(codes));
  out.SetValidity(plain.validity());
  return out;
}

inline std::vector<Scalar> ToScalars(const Column& c) {
  std::vector<Scalar> out;
  for (size_t i = 0; i < c.size(); ++i) out.push_back(ScalarAt(c, i));
  return out;
}

// Equality that treats NaN as equal to NaN.
inline bool SameScalar(const Scalar& a, const Scalar& b) {
  if (a.type != b.type || a.is_null() != b.is_null()) return false;
  if (a.is_null()) return true;
  if (a.type == TypeId::kDouble && std::isnan(a.double_value()) && std::isnan(b.double_value())) {
    return true;
  }
  return a == b;
}

inline Scalar Null(TypeId t) { return Scalar::Null(t); }
inline Scalar I(int64_t v) { return Scalar::Int64(v); }
inline Scalar D(double v) { return Scalar::Double(v); }
inline Scalar S(std::string v) { return Scalar::String(std::move(v)); }
inline Scalar B(bool v) { return Scalar::Bool(v); }
inline Scalar T(int64_t ns) { return Scalar::Timestamp(ns); }

}  // namespace cardinalsin::exec::testing
