// Object store throughput: puts then gets of N objects of one size from T threads, through the
// same ObjectStore configuration the services use. Prints one JSON line per phase:
//   {"store":"aws","phase":"put","object_bytes":8388608,"objects":32,"threads":4,
//    "seconds":1.23,"ops_per_s":26.0,"mib_per_s":208.1}
// Run by bench/object_store.sh next to the boto3 peer (bench/peers/s3_boto3_bench.py).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "io/object_store_config.h"

namespace cardinalsin {
namespace {

struct Options {
  io::ObjectStoreConfig store;
  size_t object_bytes = 4096;
  int objects = 1000;
  int threads = 4;
  std::string prefix = "bench";
  // When set, also measure the floor for the local store: plain POSIX files under this directory
  // with the same durability (write, fsync, rename, fsync directory) but no locks or ETags.
  std::string raw_posix_dir;
  // Which client runs first. Large writes are dominated by page-cache state (the second client
  // reuses pages the first freed), so bench/object_store.sh alternates this across rounds.
  bool floor_first = true;
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `op(i)` for i in [0, n) on `threads` threads; returns false if any call failed.
template <typename Op>
bool RunParallel(int n, int threads, Op op) {
  std::atomic<int> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n && ok; i = next++) {
        absl::Status status = op(i);
        if (!status.ok()) {
          std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
          ok = false;
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return ok;
}

absl::Status RawPut(const std::string& dir, int i, const std::string& payload) {
  const std::string tmp = absl::StrFormat("%s/tmp-%06d", dir, i);
  const std::string final_path = absl::StrFormat("%s/%06d", dir, i);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return absl::InternalError("open " + tmp);
  bool ok = ::write(fd, payload.data(), payload.size()) == static_cast<ssize_t>(payload.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), final_path.c_str()) != 0) return absl::InternalError("write");
  int dfd = ::open(dir.c_str(), O_RDONLY);
  ::fsync(dfd);
  ::close(dfd);
  return absl::OkStatus();
}

absl::Status RawGet(const std::string& dir, int i, size_t size) {
  const std::string path = absl::StrFormat("%s/%06d", dir, i);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return absl::InternalError("open " + path);
  std::string buffer(size, '\0');
  ssize_t n = ::pread(fd, buffer.data(), size, 0);
  ::close(fd);
  return n == static_cast<ssize_t>(size) ? absl::OkStatus() : absl::DataLossError("short read");
}

void Report(const Options& o, const char* client, const char* phase, double seconds) {
  std::printf(
      "{\"store\":\"%s\",\"client\":\"%s\",\"phase\":\"%s\",\"object_bytes\":%zu,"
      "\"objects\":%d,\"threads\":%d,\"seconds\":%.4f,\"ops_per_s\":%.1f,\"mib_per_s\":%.2f}\n",
      o.store.cloud_provider.c_str(), client, phase, o.object_bytes, o.objects, o.threads, seconds,
      o.objects / seconds, o.objects * static_cast<double>(o.object_bytes) / (1 << 20) / seconds);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"Object store put/get throughput"};
  io::AddObjectStoreOptions(app, o.store);
  app.add_option("--object-bytes", o.object_bytes, "Size of each object")->capture_default_str();
  app.add_option("--objects", o.objects, "Number of objects")->capture_default_str();
  app.add_option("--threads", o.threads, "Concurrent requests")->capture_default_str();
  app.add_option("--prefix", o.prefix, "Key prefix")->capture_default_str();
  app.add_option("--raw-posix-dir", o.raw_posix_dir, "Also measure plain POSIX files here");
  app.add_option("--floor-first", o.floor_first, "Measure plain POSIX files before the store");
  CLI11_PARSE(app, argc, argv);

  if (absl::Status s = io::ResolveObjectStoreConfig(o.store); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  base::SeededRandom random;
  auto store = io::OpenObjectStore(o.store, base::SystemClock(), random);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  std::string payload(o.object_bytes, '\0');
  std::mt19937_64 rng(42);
  for (char& c : payload) c = static_cast<char>(rng());
  const std::string prefix = absl::StrFormat("%s/%d-%d", o.prefix, o.object_bytes, ::getpid());
  auto key = [&](int i) { return absl::StrFormat("%s/%06d", prefix, i); };

  auto measure_floor = [&]() -> bool {
    if (o.raw_posix_dir.empty()) return true;
    ::mkdir(o.raw_posix_dir.c_str(), 0755);
    auto start = std::chrono::steady_clock::now();
    if (!RunParallel(o.objects, o.threads,
                     [&](int i) { return RawPut(o.raw_posix_dir, i, payload); })) {
      return false;
    }
    Report(o, "raw-posix", "put", Seconds(start));
    start = std::chrono::steady_clock::now();
    if (!RunParallel(o.objects, o.threads,
                     [&](int i) { return RawGet(o.raw_posix_dir, i, o.object_bytes); })) {
      return false;
    }
    Report(o, "raw-posix", "get", Seconds(start));
    for (int i = 0; i < o.objects; ++i) {
      ::unlink(absl::StrFormat("%s/%06d", o.raw_posix_dir, i).c_str());
    }
    return true;
  };
  if (o.floor_first && !measure_floor()) return 1;

  auto start = std::chrono::steady_clock::now();
  if (!RunParallel(o.objects, o.threads,
                   [&](int i) { return (*store)->Put(key(i), payload).status(); })) {
    return 1;
  }
  Report(o, "cardinalsin", "put", Seconds(start));

  start = std::chrono::steady_clock::now();
  if (!RunParallel(o.objects, o.threads, [&](int i) -> absl::Status {
        absl::StatusOr<std::string> got = (*store)->Get(key(i));
        if (!got.ok()) return got.status();
        if (got->size() != payload.size()) return absl::DataLossError("short read");
        return absl::OkStatus();
      })) {
    return 1;
  }
  Report(o, "cardinalsin", "get", Seconds(start));

  RunParallel(o.objects, o.threads, [&](int i) { return (*store)->Delete(key(i)); });
  if (!o.floor_first && !measure_floor()) return 1;

  return 0;
}

}  // namespace
}  // namespace cardinalsin

int main(int argc, char** argv) { return cardinalsin::Main(argc, argv); }
