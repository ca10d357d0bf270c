// loadgen_discard_sink: an HTTP/1.1 server that reads each POST body and answers 204 without
// looking at it, to measure the generator's own throughput (the sink does almost no work per
// byte, unlike an ingester or a Python server). One thread per keep-alive connection.
//
//   loadgen_discard_sink 19090 &
//   cardinalsin generate --endpoint http://127.0.0.1:19090 --samples-per-second 0 --threads 2 ...
//
// Prints the requests and body bytes it received when stopped with SIGINT/SIGTERM.
// A measurement tool, not product code: it buffers a body of up to 1 GiB (Content-Length) and
// drops a connection on anything it does not understand (no chunked encoding).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace {

std::atomic<uint64_t> g_requests{0};
std::atomic<uint64_t> g_body_bytes{0};

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr uint64_t kMaxBodyBytes = uint64_t{1} << 30;

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Content-Length from a header block (case-insensitive name), or -1.
int64_t ContentLength(std::string_view headers) {
  static constexpr std::string_view kName = "content-length:";
  size_t line = 0;
  while (line < headers.size()) {
    const size_t end = headers.find("\r\n", line);
    const std::string_view text =
        headers.substr(line, end == std::string_view::npos ? std::string_view::npos : end - line);
    if (text.size() > kName.size() && strncasecmp(text.data(), kName.data(), kName.size()) == 0) {
      return std::strtoll(std::string(text.substr(kName.size())).c_str(), nullptr, 10);
    }
    if (end == std::string_view::npos) break;
    line = end + 2;
  }
  return -1;
}

void Serve(int fd) {
  static constexpr std::string_view kReply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
  std::string buffer;
  char chunk[1 << 16];
  auto fill = [&]() {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n > 0) buffer.append(chunk, static_cast<size_t>(n));
    return n > 0;
  };
  while (true) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes || !fill()) return;
    }
    const int64_t length = ContentLength(std::string_view(buffer).substr(0, header_end));
    if (length < 0 || static_cast<uint64_t>(length) > kMaxBodyBytes) return;
    const size_t request_end = header_end + 4 + static_cast<size_t>(length);
    while (buffer.size() < request_end) {
      if (!fill()) return;
    }
    buffer.erase(0, request_end);
    g_requests.fetch_add(1, std::memory_order_relaxed);
    g_body_bytes.fetch_add(static_cast<uint64_t>(length), std::memory_order_relaxed);
    if (!WriteAll(fd, kReply)) return;
  }
}

void AcceptLoop(int listener) {
  const int one = 1;
  while (true) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread([fd] {
      Serve(fd);
      close(fd);
    }).detach();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <port>\n", argv[0]);
    return 2;
  }
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 64) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by the serving threads
  std::thread(AcceptLoop, listener).detach();
  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "requests=%llu body_bytes=%llu\n",
               static_cast<unsigned long long>(g_requests.load()),
               static_cast<unsigned long long>(g_body_bytes.load()));
  return 0;
}
