#include "admin_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "io/object_store_config.h"

namespace cardinalsin::cmd {
namespace {

struct StoreArgs {
  std::string prefix;
  std::string key;
  std::string file = "-";
  bool create_only = false;
  bool recursive = false;
};

absl::StatusOr<std::unique_ptr<io::ObjectStore>> Open(CommonOptions& options,
                                                      base::Random& random) {
  CS_RETURN_IF_ERROR(base::InitLogging(options.log));
  CS_RETURN_IF_ERROR(io::ResolveObjectStoreConfig(options.object_store));
  return io::OpenObjectStore(options.object_store, base::SystemClock(), random);
}

std::string FormatMeta(const io::ObjectMeta& meta) {
  return absl::StrFormat(
      "%12d  %s  %s  %s", meta.size,
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", meta.last_modified, absl::UTCTimeZone()), meta.etag,
      meta.key);
}

absl::Status RunLs(io::ObjectStore& store, const StoreArgs& args) {
  io::ListOptions options{.prefix = args.prefix, .delimiter = args.recursive ? "" : "/"};
  while (true) {
    CS_ASSIGN_OR_RETURN(io::ListPage page, store.List(options));
    for (const std::string& prefix : page.common_prefixes) {
      std::printf("%12s  %-20s  %s  %s\n", "PRE", "", "", prefix.c_str());
    }
    for (const io::ObjectMeta& meta : page.objects) std::printf("%s\n", FormatMeta(meta).c_str());
    if (page.next_continuation_token.empty()) return absl::OkStatus();
    options.continuation_token = page.next_continuation_token;
  }
}

absl::Status RunPut(io::ObjectStore& store, const StoreArgs& args) {
  std::string data;
  if (args.file == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(args.file, std::ios::binary);
    if (!in) return absl::NotFoundError("cannot open " + args.file);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  absl::StatusOr<io::ObjectMeta> meta;
  if (args.create_only) {
    meta = store.Put(args.key, data, {.mode = io::PutMode::kCreateIfAbsent});
  } else {
    meta = io::PutLarge(store, args.key, data);
  }
  if (!meta.ok()) return meta.status();
  std::printf("%s\n", FormatMeta(*meta).c_str());
  return absl::OkStatus();
}

}  // namespace

// `admin catalog ...`, in admin_catalog.cc.
void AddAdminCatalogCommand(CLI::App& admin, CommonOptions& options, int* exit_code);

void AddAdminCommand(CLI::App& app, CommonOptions& options, int* exit_code) {
  CLI::App* admin = app.add_subcommand("admin", "Operator tools (object store inspection)");
  admin->require_subcommand(1);
  AddCommonOptions(*admin, 0, options);
  CLI::App* store_cmd = admin->add_subcommand("store", "Inspect or change the object store");
  store_cmd->require_subcommand(1);
  // Let the common flags (registered on `admin`) also follow the subcommand words.
  store_cmd->fallthrough();

  auto args = std::make_shared<StoreArgs>();
  auto random = std::make_shared<base::SeededRandom>();
  auto run = [&options, exit_code, random](auto body) {
    return [&options, exit_code, random, body] {
      absl::StatusOr<std::unique_ptr<io::ObjectStore>> store = Open(options, *random);
      absl::Status status = store.ok() ? body(**store) : store.status();
      if (!status.ok()) {
        std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
        *exit_code = 1;
      }
    };
  };

  CLI::App* ls = store_cmd->add_subcommand("ls", "List objects under a prefix");
  ls->add_option("prefix", args->prefix, "Key prefix")->capture_default_str();
  ls->add_flag("-r,--recursive", args->recursive, "List every key instead of one level");
  ls->callback(run([args](io::ObjectStore& s) { return RunLs(s, *args); }));

  CLI::App* head = store_cmd->add_subcommand("head", "Show an object's size, time and ETag");
  head->add_option("key", args->key, "Object key")->required();
  head->callback(run([args](io::ObjectStore& s) -> absl::Status {
    CS_ASSIGN_OR_RETURN(io::ObjectMeta meta, s.Head(args->key));
    std::printf("%s\n", FormatMeta(meta).c_str());
    return absl::OkStatus();
  }));

  CLI::App* cat = store_cmd->add_subcommand("cat", "Write an object's bytes to stdout");
  cat->add_option("key", args->key, "Object key")->required();
  cat->callback(run([args](io::ObjectStore& s) -> absl::Status {
    CS_ASSIGN_OR_RETURN(std::string data, s.Get(args->key));
    std::fwrite(data.data(), 1, data.size(), stdout);
    return absl::OkStatus();
  }));

  CLI::App* put = store_cmd->add_subcommand("put", "Upload a file (or stdin) as an object");
  put->add_option("key", args->key, "Object key")->required();
  put->add_option("file", args->file, "File to upload, - for stdin")->capture_default_str();
  put->add_flag("--create-only", args->create_only, "Fail if the key exists (If-None-Match: *)");
  put->callback(run([args](io::ObjectStore& s) { return RunPut(s, *args); }));

  CLI::App* rm = store_cmd->add_subcommand("rm", "Delete an object");
  rm->add_option("key", args->key, "Object key")->required();
  rm->callback(run([args](io::ObjectStore& s) { return s.Delete(args->key); }));

  for (CLI::App* sub : {ls, head, cat, put, rm}) sub->fallthrough();

  AddAdminCatalogCommand(*admin, options, exit_code);
}

}  // namespace cardinalsin::cmd
