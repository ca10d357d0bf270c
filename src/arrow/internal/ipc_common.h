// File: internal/ipc_common.h
//
// Constants of the Arrow IPC encapsulated message framing shared by the reader and the writer,
// and the include of the flatc output for internal/ipc.fbs (generated into the build tree).
#pragma once

#include <cstdint>

#include "arrow/internal/ipc_generated.h"

namespace cardinalsin::arrow::internal {

// A message is <continuation: 0xFFFFFFFF> <metadata size: int32> <flatbuffer Message, padded>
// <body>; the end-of-stream marker is the continuation followed by a zero size.
inline constexpr uint32_t kContinuation = 0xFFFFFFFFu;
// Metadata and body buffers are padded to multiples of 8 bytes.
inline constexpr int64_t kAlignment = 8;

inline constexpr int64_t AlignUp(int64_t n) { return (n + kAlignment - 1) & ~(kAlignment - 1); }

}  // namespace cardinalsin::arrow::internal
