#include "http/response.h"

#include <utility>

namespace cardinalsin::http {

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

Response Response::Empty(int status) {
  Response response;
  response.status = status;
  return response;
}

Response Response::Stream(int status, std::string content_type, StreamProducer producer) {
  Response response;
  response.status = status;
  if (!content_type.empty()) {
    response.headers.Set("Content-Type", std::move(content_type));
  }
  response.stream = std::move(producer);
  return response;
}

}  // namespace cardinalsin::http
