#include "scan/unflushed_source.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "arrow/stream_reader.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "model/types.h"
#include "nlohmann/json.hpp"

namespace cardinalsin::scan {
namespace {

std::once_flag curl_init_once;

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

struct Response {
  std::string body;
  std::optional<std::string> catalog_seq;
  uint64_t max_bytes = 0;
  bool too_large = false;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const size_t n = size * count;
  if (response->body.size() + n > response->max_bytes) {
    response->too_large = true;
    return 0;  // aborts the transfer
  }
  response->body.append(data, n);
  return n;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  const std::string_view name = HttpUnflushedSource::kCatalogSeqHeader;
  if (line.size() > name.size() && line[name.size()] == ':' &&
      strncasecmp(line.data(), name.data(), name.size()) == 0) {
    std::string_view value = line.substr(name.size() + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    response->catalog_seq = std::string(value);
  }
  return n;
}

std::string Escape(CURL* curl, std::string_view text) {
  char* escaped = curl_easy_escape(curl, text.data(), static_cast<int>(text.size()));
  if (!escaped) return std::string();
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

}  // namespace

absl::StatusOr<IngesterEndpoint> ParseIngesterRegistration(std::string_view key,
                                                           std::string_view body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ingester registration %s: not a JSON object", std::string(key)));
  }
  auto id = json.find("id");
  auto url = json.find("url");
  auto updated = json.find("updated_at_ns");
  if (id == json.end() || !id->is_string() || url == json.end() || !url->is_string() ||
      updated == json.end() || !updated->is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ingester registration %s: needs string \"id\", string \"url\" and integer "
                        "\"updated_at_ns\"",
                        std::string(key)));
  }
  IngesterEndpoint endpoint{id->get<std::string>(), url->get<std::string>(),
                            updated->get<int64_t>()};
  if (endpoint.url.rfind("http://", 0) != 0 && endpoint.url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ingester registration %s: url \"%s\" is not http(s)", std::string(key), endpoint.url));
  }
  while (!endpoint.url.empty() && endpoint.url.back() == '/') endpoint.url.pop_back();
  return endpoint;
}

absl::StatusOr<UnflushedRows> DecodeScanResponse(std::string ingester, std::string_view body,
                                                 std::string_view catalog_seq_header) {
  UnflushedRows rows;
  rows.ingester = std::move(ingester);
  if (!absl::SimpleAtoi(base::AsAbsl(catalog_seq_header), &rows.catalog_seq)) {
    return absl::DataLossError(
        absl::StrFormat("ingester %s: %s header \"%s\" is not an unsigned integer", rows.ingester,
                        HttpUnflushedSource::kCatalogSeqHeader, catalog_seq_header));
  }
  absl::StatusOr<arrow::StreamReader> reader = arrow::StreamReader::Open(body);
  if (!reader.ok()) {
    return absl::Status(
        reader.status().code(),
        absl::StrFormat("ingester %s: scan answer: %s", rows.ingester, reader.status().message()));
  }
  const model::Schema& schema = reader->schema();
  struct Required {
    std::string_view name;
    model::TypeId type;
  };
  for (Required r : {Required{model::kTimestampColumn, model::TypeId::kTimestampNs},
                     Required{model::kMetricNameColumn, model::TypeId::kString},
                     Required{model::kValueColumn, model::TypeId::kDouble},
                     Required{model::kSeriesIdColumn, model::TypeId::kUInt64}}) {
    std::optional<size_t> index = schema.IndexOf(r.name);
    if (!index || schema.field(*index).type != r.type) {
      return absl::DataLossError(
          absl::StrFormat("ingester %s: scan answer lacks a %s column of type %s", rows.ingester,
                          r.name, model::TypeName(r.type)));
    }
  }
  for (const model::Field& field : schema.fields()) {
    if (!model::IsReservedColumnName(field.name) && field.type != model::TypeId::kString) {
      return absl::DataLossError(
          absl::StrFormat("ingester %s: scan answer label column '%s' is %s, not string",
                          rows.ingester, field.name, model::TypeName(field.type)));
    }
  }
  while (true) {
    absl::StatusOr<std::optional<model::RecordBatch>> batch = reader->Next();
    if (!batch.ok()) {
      return absl::Status(
          batch.status().code(),
          absl::StrFormat("ingester %s: scan answer: %s", rows.ingester, batch.status().message()));
    }
    if (!*batch) break;
    if ((*batch)->num_rows() > 0) rows.batches.push_back(std::move(**batch));
  }
  return rows;
}

HttpUnflushedSource::HttpUnflushedSource(io::ObjectStore* store, Options options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : base::SystemClock()) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::StatusOr<std::vector<IngesterEndpoint>> HttpUnflushedSource::ListLive(
    std::vector<std::string>* skipped) {
  if (!store_) return absl::FailedPreconditionError("ingester registry: no object store");
  CS_ASSIGN_OR_RETURN(std::vector<io::ObjectMeta> objects, io::ListAll(*store_, kRegistryPrefix));
  const int64_t oldest = absl::ToUnixNanos(clock_.Now() - options_.max_age);
  std::vector<IngesterEndpoint> live;
  for (const io::ObjectMeta& object : objects) {
    if (object.key.size() < 5 || object.key.compare(object.key.size() - 5, 5, ".json") != 0) {
      continue;
    }
    absl::StatusOr<std::string> body = store_->Get(object.key);
    if (absl::IsNotFound(body.status())) continue;  // deregistered since the listing
    if (!body.ok()) return body.status();
    absl::StatusOr<IngesterEndpoint> endpoint = ParseIngesterRegistration(object.key, *body);
    if (!endpoint.ok()) {
      if (skipped) skipped->push_back(std::string(endpoint.status().message()));
      continue;
    }
    if (endpoint->updated_at_ns >= oldest) live.push_back(*std::move(endpoint));
  }
  std::sort(live.begin(), live.end(),
            [](const IngesterEndpoint& a, const IngesterEndpoint& b) { return a.id < b.id; });
  return live;
}

absl::StatusOr<std::vector<IngesterEndpoint>> HttpUnflushedSource::CachedLive(
    std::vector<std::string>* skipped) {
  std::lock_guard lock(cache_mu_);
  const absl::Time now = clock_.Now();
  if (!cache_ || now - cache_->read_at >= options_.registry_ttl || now < cache_->read_at) {
    CachedListing listing{now, {}, {}};
    CS_ASSIGN_OR_RETURN(listing.live, ListLive(&listing.skipped));
    cache_ = std::move(listing);
  }
  if (skipped) skipped->insert(skipped->end(), cache_->skipped.begin(), cache_->skipped.end());
  return cache_->live;
}

absl::StatusOr<UnflushedResult> HttpUnflushedSource::Fetch(const UnflushedQuery& query) {
  UnflushedResult result;
  std::vector<std::pair<std::string, std::string>> targets;  // (name, base url)
  if (!options_.static_urls.empty()) {
    for (const std::string& url : options_.static_urls) targets.emplace_back(url, url);
  } else {
    CS_ASSIGN_OR_RETURN(std::vector<IngesterEndpoint> live, CachedLive(&result.failures));
    for (IngesterEndpoint& e : live) targets.emplace_back(std::move(e.id), std::move(e.url));
  }
  // All ingesters at once: the slowest one, not the sum, bounds the wait.
  std::vector<absl::StatusOr<UnflushedRows>> answers(targets.size(),
                                                     absl::UnknownError("not asked"));
  std::vector<std::thread> threads;
  threads.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] { answers[i] = Ask(targets[i].first, targets[i].second, query); });
  }
  for (std::thread& thread : threads) thread.join();
  for (absl::StatusOr<UnflushedRows>& rows : answers) {
    if (rows.ok()) {
      result.sources.push_back(*std::move(rows));
    } else {
      result.failures.push_back(std::string(rows.status().message()));
    }
  }
  return result;
}

absl::StatusOr<UnflushedRows> HttpUnflushedSource::Ask(const std::string& name,
                                                       const std::string& base_url,
                                                       const UnflushedQuery& query) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl)
    return absl::InternalError(absl::StrFormat("ingester %s: curl_easy_init failed", name));
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/internal/v1/scan?tenant=" + Escape(curl.get(), query.tenant);
  if (query.metric) url += "&metric=" + Escape(curl.get(), *query.metric);
  if (query.min_time_ns != std::numeric_limits<int64_t>::min()) {
    url += absl::StrFormat("&start_ns=%d", query.min_time_ns);
  }
  if (query.max_time_ns != std::numeric_limits<int64_t>::max()) {
    url += absl::StrFormat("&end_ns=%d", query.max_time_ns);
  }
  Response response;
  response.max_bytes = options_.max_response_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  CURLcode code = curl_easy_perform(curl.get());
  if (response.too_large) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("ingester %s (%s): scan answer exceeds %d bytes", name, base_url,
                        options_.max_response_bytes));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrFormat(
        "ingester %s (%s): %s", name, base_url,
        error_buffer[0] ? std::string(error_buffer) : std::string(curl_easy_strerror(code))));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return absl::UnavailableError(
        absl::StrFormat("ingester %s (%s): /internal/v1/scan answered HTTP %d: %s", name, base_url,
                        status, response.body.substr(0, 200)));
  }
  if (!response.catalog_seq) {
    return absl::DataLossError(absl::StrFormat("ingester %s (%s): scan answer has no %s header",
                                               name, base_url, kCatalogSeqHeader));
  }
  return DecodeScanResponse(name, response.body, *response.catalog_seq);
}

}  // namespace cardinalsin::scan
