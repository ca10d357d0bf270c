// File: response.h
//
// What a handler returns: a status code, headers and either a body held in memory or a streaming
// body producer sent with chunked transfer encoding (for Server-Sent Events and large results).
//
//   return Response::Text(200, "OK");
//   return Response::Json(400, R"({"status":"error"})");
//   return Response::Empty(204);
//
//   // Streaming: the producer is called repeatedly on a server io thread until it returns false.
//   auto rows = std::make_shared<RowCursor>(...);
//   return Response::Stream(200, "text/event-stream", [rows](std::string* chunk) {
//     return rows->NextBatchAsText(chunk);  // false at the end
//   });
//
// Thread-safety: a plain value. The server calls `stream` from one thread at a time.
#pragma once

#include <functional>
#include <string>

#include "http/headers.h"

namespace cardinalsin::http {

// Produces the next piece of a streaming body into `*chunk` (which arrives empty) and returns
// true, or returns false at the end of the body (anything left in `*chunk` is then discarded). An
// empty chunk with `true` sends nothing and asks again, which lets a producer that waits with a
// timeout keep checking Request::ShuttingDown(). The producer runs on a server io thread and may
// block, but each call should return within a few seconds so that Server::Stop() can end the
// stream.
using StreamProducer = std::function<bool(std::string* chunk)>;

struct Response {
  // text/plain; charset=utf-8.
  static Response Text(int status, std::string body);
  // application/json.
  static Response Json(int status, std::string body);
  // No body and no Content-Type.
  static Response Empty(int status);
  // A chunked response whose body comes from `producer` (HTTP/1.0 clients get the raw bytes and
  // the connection is closed at the end). `content_type` may be empty.
  static Response Stream(int status, std::string content_type, StreamProducer producer);

  int status = 200;
  Headers headers;
  std::string body;  // ignored when `stream` is set
  StreamProducer stream;
};

}  // namespace cardinalsin::http
