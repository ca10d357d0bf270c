// File: status_macros.h
//
// Early-return helpers for absl::Status / absl::StatusOr<T> (the pinned Abseil 20220623 has none).
//
//   CS_RETURN_IF_ERROR(file->Sync());
//   CS_ASSIGN_OR_RETURN(auto file, fs.OpenForAppend(path));
//
// Both evaluate their argument exactly once. They work in functions returning absl::Status or any
// absl::StatusOr<T>.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CS_INTERNAL_CONCAT_INNER(a, b) a##b
#define CS_INTERNAL_CONCAT(a, b) CS_INTERNAL_CONCAT_INNER(a, b)

#define CS_RETURN_IF_ERROR(expr)                                              \
  do {                                                                        \
    if (::absl::Status cs_internal_status = (expr); !cs_internal_status.ok()) \
      return cs_internal_status;                                              \
  } while (false)

#define CS_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#define CS_ASSIGN_OR_RETURN(lhs, expr) \
  CS_INTERNAL_ASSIGN_OR_RETURN(CS_INTERNAL_CONCAT(cs_internal_statusor_, __LINE__), lhs, expr)
