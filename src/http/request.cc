#include "http/request.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cardinalsin::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

absl::StatusOr<std::string> Decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(
            absl::StrFormat("malformed percent-escape \"%s\" at offset %d in \"%s\"",
                            text.substr(i, 3), i, text.substr(0, 200)));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The media type of a Content-Type value: the part before ';', trimmed.
std::string_view MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
    type.remove_prefix(1);
  }
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.remove_suffix(1);
  }
  return type;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  return Decode(text, /*plus_is_space=*/false);
}

absl::StatusOr<QueryParams> ParseUrlEncoded(std::string_view text) {
  QueryParams params;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    CS_ASSIGN_OR_RETURN(std::string name, Decode(raw_name, /*plus_is_space=*/true));
    CS_ASSIGN_OR_RETURN(std::string value, Decode(raw_value, /*plus_is_space=*/true));
    params.emplace(std::move(name), std::move(value));
  }
  return params;
}

std::string_view TargetPath(std::string_view target) {
  // Absolute-form (RFC 9112 section 3.2.2): drop the scheme and authority.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() &&
        EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      size_t slash = target.find_first_of("/?#");
      if (slash == std::string_view::npos || target[slash] != '/') {
        return "/";
      }
      target = target.substr(slash);
      break;
    }
  }
  return target.substr(0, target.find_first_of("?#"));
}

absl::StatusOr<Request> Request::Create(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  std::string_view target_view = request.target;
  CS_ASSIGN_OR_RETURN(request.path, PercentDecode(TargetPath(target_view)));
  if (request.path.empty()) {
    request.path = "/";
  }
  target_view = target_view.substr(0, target_view.find('#'));
  if (size_t question = target_view.find('?'); question != std::string_view::npos) {
    CS_ASSIGN_OR_RETURN(request.query, ParseUrlEncoded(target_view.substr(question + 1)));
  }
  return request;
}

std::optional<std::string> Request::Param(std::string_view name) const {
  auto it = query.find(name);
  if (it == query.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<std::string> Request::Params(std::string_view name) const {
  std::vector<std::string> values;
  auto [first, last] = query.equal_range(name);
  for (auto it = first; it != last; ++it) {
    values.push_back(it->second);
  }
  return values;
}

bool Request::IsFormPost() const {
  if (method != "POST") {
    return false;
  }
  std::optional<std::string_view> type = headers.Get("Content-Type");
  return type.has_value() &&
         EqualsIgnoreCase(MediaType(*type), "application/x-www-form-urlencoded");
}

absl::StatusOr<QueryParams> Request::FormAndQuery() const {
  QueryParams merged = query;
  if (IsFormPost()) {
    absl::StatusOr<QueryParams> form = ParseUrlEncoded(body);
    if (!form.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid form body: %s", form.status().message()));
    }
    // multimap::insert places each value after existing ones with the same name, so query-string
    // values stay first.
    for (auto& [name, value] : *form) {
      merged.emplace(name, std::move(value));
    }
  }
  return merged;
}

absl::StatusOr<std::vector<std::string>> Request::FormOrQuery(std::string_view name) const {
  CS_ASSIGN_OR_RETURN(QueryParams merged, FormAndQuery());
  std::vector<std::string> values;
  auto [first, last] = merged.equal_range(name);
  for (auto it = first; it != last; ++it) {
    values.push_back(it->second);
  }
  return values;
}

}  // namespace cardinalsin::http
