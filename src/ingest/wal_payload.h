// File: wal_payload.h
//
// The payload of one WAL record (docs/format/wal.md describes the record around it): the accepted
// series of one write call for one tenant, in protobuf wire format so that it is compact,
// versionable by field numbers and decoded with the same zero-copy reader as remote write.
//
//   message WalWrite {            // docs/format/wal.md, "Payload"
//     string tenant = 1;
//     repeated Series series = 2;
//   }
//   message Series {
//     repeated Label labels = 1;          // sorted by name, `__name__` included
//     repeated sint64 timestamps = 2;     // packed; first absolute ns, then deltas
//     repeated fixed64 values = 3;        // packed; IEEE 754 bits (NaN payloads kept)
//     fixed64 series_id = 4;
//   }
//   message Label { string name = 1; string value = 2; }
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ingest/series_validation.h"

namespace cardinalsin::ingest {

void EncodeWalPayload(std::string_view tenant, const std::vector<ValidatedSeries>& series,
                      std::string* out);

// Decodes a payload. Label views point into `payload`, which must outlive `series`.
absl::Status DecodeWalPayload(std::string_view payload, std::string_view* tenant,
                              std::vector<ValidatedSeries>* series);

}  // namespace cardinalsin::ingest
