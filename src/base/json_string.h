// File: json_string.h
//
// JSON string literals written straight into a std::string (hot paths: query results, API bodies,
// log lines). One escaping rule for the whole code base: `"` and `\` escaped, control characters
// as \b \f \n \r \t or \u00XX, every invalid UTF-8 byte (bad lead byte, missing continuation,
// overlong form, surrogate, above U+10FFFF) replaced by \ufffd as Go's encoding/json does, so
// the output is always valid JSON; valid UTF-8 is copied as is.
//
//   std::string out;
//   base::AppendJsonString(&out, "say \"hi\"");   // "say \"hi\""
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cardinalsin::base {

// Appends `text` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, std::string_view text);

// Appends the escaped text without the quotes.
void AppendJsonEscaped(std::string* out, std::string_view text);

// Length of the valid UTF-8 sequence at the start of `s` (s[0] >= 0x80), or 0 when it is not
// one. REQUIRES: !s.empty().
size_t Utf8SequenceLength(std::string_view s);

}  // namespace cardinalsin::base
