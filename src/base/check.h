// File: check.h
//
// Invariant checks for our own code (STYLE.md section 4). Never use them on bytes from disk, the
// network or users: those get a Status.
//
//   CS_CHECK(cond)   always on; aborts with the condition, file and line. Only where continuing
//                    would corrupt data.
//   CS_DCHECK(cond)  debug builds only; compiled out (but still type-checked) under NDEBUG.
#pragma once

namespace cardinalsin::base::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace cardinalsin::base::internal

#define CS_CHECK(cond)                                                                  \
  do {                                                                                  \
    if (!(cond)) ::cardinalsin::base::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (false)

#ifdef NDEBUG
#define CS_DCHECK(cond)         \
  do {                          \
    if (false && (cond)) break; \
  } while (false)
#else
#define CS_DCHECK(cond) CS_CHECK(cond)
#endif
