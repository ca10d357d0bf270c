// File: s3_object_store.h
//
// ObjectStore over the Amazon S3 REST API (API version 2006-03-01) with libcurl, for AWS S3 and
// S3-compatible servers (Ceph RGW, MinIO). Requests are signed with our own SigV4 (sigv4.h).
//
//   CS_ASSIGN_OR_RETURN(auto store, S3ObjectStore::Create({.endpoint = "http://127.0.0.1:7480",
//                                                          .bucket = "cardinalsin",
//                                                          .access_key_id = "...",
//                                                          .secret_access_key = "...",
//                                                          .quote_etag_in_if_match = false},
//                                                         clock, random));
//
// Operations: Get/GetRange/Head/Put/Delete map to the object REST calls; List is ListObjectsV2
// with encoding-type=url; multipart uploads use CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload and AbortMultipartUpload. Conditional puts send `If-None-Match: *`
// (kCreateIfAbsent) or `If-Match: <etag>` (kUpdateIfMatch), quoted unless the endpoint needs
// unquoted ETags (Ceph RGW answers 412 to a quoted If-Match).
//
// Errors follow object_store.h's contract; every message names the operation, bucket and key
// (plus the S3 error Code and Message when the server sent them):
//   403 -> PermissionDenied; 404 NoSuchKey/NoSuchUpload -> NotFound; 404 NoSuchBucket -> NotFound
//   naming the bucket; 412 -> FailedPrecondition (and If-Match on a missing key, which is 404 on
//   AWS and 412 on RGW); 416 and other 4xx -> InvalidArgument; 507 / QuotaExceeded ->
//   ResourceExhausted; a malformed response -> Internal.
// Retries: connection errors, timeouts, 500, 502, 503 (SlowDown), 504, 429, 400 RequestTimeout and
// 409 ConditionalRequestConflict/OperationAborted are retried up to `max_attempts` in total with
// full-jitter exponential backoff (sleeping on the injected Clock); a 200 CompleteMultipartUpload
// that carries an InternalError or SlowDown <Error> body is retried too. What survives the retries
// is Unavailable, or DeadlineExceeded for timeouts. When a conditional Put or a Complete gets an
// ambiguous failure (the request may have been applied) and its retry then fails the condition,
// the store checks with a HEAD whether its own bytes are in place (ETag == MD5 of the body for a
// Put) and reports success if so, so a lost response cannot turn a won compare-and-swap into a
// reported loss.
//
// Outcome of a put that fails with Unavailable or DeadlineExceeded is unknown (it may have been
// applied), as with any S3 client. When a CompleteMultipartUpload answer has no ETag (Ceph RGW 16
// sends <ETag></ETag>), the ETag is taken from a HEAD of the new object.
//
// Multipart uploads: UploadPart and Complete after Complete or Abort return FailedPrecondition;
// Abort is idempotent (an already gone upload is fine) and runs from the destructor of an
// unfinished upload.
//
// Connections: a mutex-protected pool of curl easy handles keeps keep-alive connections for reuse
// across requests and threads. libcurl is initialised once per process (curl_global_init).
//
// Thread-safety: safe for concurrent use by any number of threads (and processes). The Clock and
// Random passed to Create() must outlive the store; a MultipartUpload must not outlive its store.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "io/object_store.h"
#include "io/sigv4.h"

namespace cardinalsin::io {

struct S3Config {
  // "http://host:port" or "https://host[:port]", no path; empty =
  // https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  // Empty access key and secret mean anonymous (unsigned) requests.
  std::string access_key_id, secret_access_key, session_token;  // session token optional
  bool path_style = true;              // false = virtual-host style (<bucket>.<host>)
  bool quote_etag_in_if_match = true;  // Ceph RGW needs false (it 412s quoted If-Match etags)
  int max_attempts = 6;                // total tries for retryable failures
  absl::Duration initial_backoff = absl::Milliseconds(50), max_backoff = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(5), request_timeout = absl::Seconds(60);
};

class S3ObjectStore final : public ObjectStore {
 public:
  // Validates `config` (InvalidArgument naming the bad field) and sets up the connection pool. Does
  // not contact the server. `clock` (request dates, backoff sleeps) and `random` (jitter) must
  // outlive the store.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<S3ObjectStore>> Create(S3Config config,
                                                                             base::Clock& clock,
                                                                             base::Random& random);
  ~S3ObjectStore() override;

  S3ObjectStore(const S3ObjectStore&) = delete;
  S3ObjectStore& operator=(const S3ObjectStore&) = delete;

  // "s3://<bucket>" plus " at <endpoint>" for a custom endpoint.
  std::string Describe() const override;
  absl::StatusOr<std::string> Get(std::string_view key) override;
  absl::StatusOr<std::string> GetRange(std::string_view key, uint64_t offset,
                                       uint64_t length) override;
  absl::StatusOr<ObjectMeta> Head(std::string_view key) override;
  absl::StatusOr<ObjectMeta> Put(std::string_view key, std::string_view data,
                                 const PutOptions& options = {}) override;
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<ListPage> List(const ListOptions& options) override;
  absl::StatusOr<std::unique_ptr<MultipartUpload>> StartMultipartUpload(
      std::string_view key) override;

  const S3Config& config() const { return config_; }

 private:
  friend class S3MultipartUpload;
  class HandlePool;
  struct Request;
  struct Response;
  struct Attempted;

  S3ObjectStore(S3Config config, std::string scheme, std::string host, base::Clock& clock,
                base::Random& random);

  // Sends `request` once. A transport failure is returned as a status (DeadlineExceeded for
  // timeouts, Unavailable for connection errors, Internal otherwise); any HTTP answer is a
  // Response.
  // `*maybe_applied` tells whether a failed request may still have reached the server.
  absl::StatusOr<Response> SendOnce(const Request& request, bool* maybe_applied);
  // Sends `request` with retries (see the header comment) and returns the last HTTP answer, which
  // may be an error status for the caller to map, or the status of the last transport failure.
  absl::StatusOr<Attempted> Send(const Request& request);
  // Maps a non-success HTTP answer to a status naming `op` and `key`.
  absl::Status ErrorFor(std::string_view op, std::string_view key, const Attempted& result) const;
  // The object's modification time from a write response (Last-Modified, else Date, else now).
  absl::Time ResponseTime(const Response& response) const;
  // "S3 <op> s3://bucket/key: " for messages.
  std::string Context(std::string_view op, std::string_view key) const;
  absl::Duration Backoff(int retry);

  const S3Config config_;
  const AwsCredentials credentials_;
  const std::string scheme_;  // "http" or "https"
  const std::string host_;    // Host header value: authority, with "<bucket>." for virtual-host
  base::Clock& clock_;
  base::Random& random_;
  std::unique_ptr<HandlePool> handles_;
};

}  // namespace cardinalsin::io
