// Test-only bridge between JSON lines and CardinalSin's Arrow IPC stream codec (src/arrow/), for
// test/e2e/test_arrow_interop.py, where pyarrow is the oracle.
//
//   arrow_tool write --schema 'ts:timestamp_ns!,job:string' --in rows.jsonl --out s.arrows
//                    [--strings dictionary|plain] [--dictionary-columns job,...]
//                    [--batch-rows N] [--max-utf8-bytes N]
//   arrow_tool read s.arrows       one JSON object per row on stdout
//   arrow_tool schema s.arrows     {"fields": [{"name", "type", "nullable"}], "batches": [rows...],
//                                   "dictionary_columns": [...]} on stdout
//
// Types: bool, int64, uint64, double, string, timestamp_ns; a '!' after the type means
// non-nullable. JSON values: null, true/false, integers, strings; doubles as numbers, or "NaN",
// "Infinity", "-Infinity", and "NaN:<16 hex digits>" for a NaN other than 0x7ff8000000000000 (so
// payloads such as the Prometheus staleness marker round-trip). `--dictionary-columns` builds those
// string columns dictionary-encoded in memory before writing, with one dictionary that grows from
// batch to batch; `--batch-rows` writes the rows as several batches. Errors go to stderr as "error:
// <message>" with exit status 1.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"
#include "arrow/stream_reader.h"
#include "arrow/stream_writer.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace cardinalsin {
namespace {

using json = nlohmann::ordered_json;
using model::TypeId;

constexpr uint64_t kQuietNaNBits = 0x7ff8000000000000ULL;

json DoubleToJson(double d) {
  if (std::isnan(d)) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    if (bits == kQuietNaNBits) return "NaN";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "NaN:%016llx", static_cast<unsigned long long>(bits));
    return buf;
  }
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

absl::StatusOr<double> JsonToDouble(const json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return INFINITY;
  if (s == "-Infinity") return -INFINITY;
  if (s.size() == 20 && s.rfind("NaN:", 0) == 0) {
    uint64_t bits = 0;
    for (char c : s.substr(4)) {
      const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                        : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                                                                    : -1;
      if (digit < 0) return absl::InvalidArgumentError("bad NaN payload: " + s);
      bits = bits << 4 | static_cast<uint64_t>(digit);
    }
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  return absl::InvalidArgumentError("double expected: " + s);
}

const char* TypeSpelling(TypeId type) {
  switch (type) {
    case TypeId::kBool:
      return "bool";
    case TypeId::kInt64:
      return "int64";
    case TypeId::kUInt64:
      return "uint64";
    case TypeId::kDouble:
      return "double";
    case TypeId::kString:
      return "string";
    case TypeId::kTimestampNs:
      return "timestamp_ns";
  }
  return "?";
}

absl::StatusOr<model::Schema> ParseSchema(const std::string& spec) {
  std::vector<model::Field> fields;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    std::vector<std::string> kv = absl::StrSplit(part, ':');
    if (kv.size() != 2) return absl::InvalidArgumentError("bad schema entry: " + std::string(part));
    model::Field field{kv[0], TypeId::kString, true};
    std::string type = kv[1];
    if (!type.empty() && type.back() == '!') {
      field.nullable = false;
      type.pop_back();
    }
    bool known = false;
    for (TypeId id : {TypeId::kBool, TypeId::kInt64, TypeId::kUInt64, TypeId::kDouble,
                      TypeId::kString, TypeId::kTimestampNs}) {
      if (type == TypeSpelling(id)) {
        field.type = id;
        known = true;
      }
    }
    if (!known) return absl::InvalidArgumentError("unknown type: " + type);
    fields.push_back(field);
  }
  return model::Schema(std::move(fields));
}

// The dictionary of one --dictionary-columns column, shared by all batches and growing as new
// values appear (as an ingest buffer's label dictionaries do), so the writer sends deltas.
struct GrowingDictionary {
  model::StringVector values;
  absl::flat_hash_map<std::string, uint32_t> codes;
};

// Rows [begin, end) of `rows` as a batch; throws nlohmann's exceptions on ill-typed values (the
// caller catches them).
absl::StatusOr<model::RecordBatch> ToBatch(
    const model::Schema& schema, const std::vector<json>& rows, size_t begin, size_t end,
    absl::flat_hash_map<std::string, GrowingDictionary>& dictionaries) {
  std::vector<model::Column> columns;
  const size_t n = end - begin;
  for (const model::Field& field : schema.fields()) {
    static const json kNull;
    auto value_of = [&](size_t i) -> const json& {
      auto it = rows[begin + i].find(field.name);
      return it == rows[begin + i].end() ? kNull : *it;
    };
    std::vector<uint8_t> validity(n, 1);
    bool any_null = false;
    for (size_t i = 0; i < n; ++i) {
      if (value_of(i).is_null()) {
        validity[i] = 0;
        any_null = true;
      }
    }
    model::Column column = model::Column::Empty(field.type);
    switch (field.type) {
      case TypeId::kBool: {
        std::vector<uint8_t> v(n, 0);
        for (size_t i = 0; i < n; ++i) v[i] = validity[i] && value_of(i).get<bool>();
        column = model::Column::FromBool(std::move(v));
        break;
      }
      case TypeId::kInt64:
      case TypeId::kTimestampNs: {
        std::vector<int64_t> v(n, 0);
        for (size_t i = 0; i < n; ++i) v[i] = validity[i] ? value_of(i).get<int64_t>() : 0;
        column = model::Column::FromInt64(field.type, std::move(v));
        break;
      }
      case TypeId::kUInt64: {
        std::vector<uint64_t> v(n, 0);
        for (size_t i = 0; i < n; ++i) v[i] = validity[i] ? value_of(i).get<uint64_t>() : 0;
        column = model::Column::FromUInt64(std::move(v));
        break;
      }
      case TypeId::kDouble: {
        std::vector<double> v(n, 0.0);
        for (size_t i = 0; i < n; ++i) {
          if (validity[i]) {
            CS_ASSIGN_OR_RETURN(v[i], JsonToDouble(value_of(i)));
          }
        }
        column = model::Column::FromDouble(std::move(v));
        break;
      }
      case TypeId::kString: {
        if (auto dict = dictionaries.find(field.name); dict != dictionaries.end()) {
          GrowingDictionary& d = dict->second;
          std::vector<uint32_t> v(n, 0);
          for (size_t i = 0; i < n; ++i) {
            const std::string s = validity[i] ? value_of(i).get<std::string>() : std::string();
            auto [it, inserted] = d.codes.try_emplace(s, static_cast<uint32_t>(d.codes.size()));
            if (inserted) d.values.Append(s);
            v[i] = it->second;
          }
          column = model::Column::FromDictionary(d.values, std::move(v));
        } else {
          model::StringVector v;
          for (size_t i = 0; i < n; ++i) {
            v.Append(validity[i] ? value_of(i).get<std::string>() : std::string());
          }
          column = model::Column::FromStrings(std::move(v));
        }
        break;
      }
    }
    if (any_null) column.SetValidity(std::move(validity));
    columns.push_back(std::move(column));
  }
  model::RecordBatch batch(schema, std::move(columns));
  CS_RETURN_IF_ERROR(batch.Validate());
  return batch;
}

json CellToJson(const model::Column& c, size_t r) {
  if (!c.IsValid(r)) return nullptr;
  switch (c.type()) {
    case TypeId::kBool:
      return c.bools()[r] != 0;
    case TypeId::kInt64:
    case TypeId::kTimestampNs:
      return c.int64s()[r];
    case TypeId::kUInt64:
      return c.uint64s()[r];
    case TypeId::kDouble:
      return DoubleToJson(c.doubles()[r]);
    case TypeId::kString:
      return std::string(c.StringAt(r));
  }
  return nullptr;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
  return 1;
}

absl::Status Write(const std::string& schema_spec, const std::string& in_path,
                   const std::string& out_path, const std::string& strings,
                   const std::vector<std::string>& dictionary_columns, size_t batch_rows,
                   int64_t max_utf8_bytes) {
  CS_ASSIGN_OR_RETURN(model::Schema schema, ParseSchema(schema_spec));
  arrow::WriterOptions options;
  if (strings == "plain") {
    options.strings = arrow::WriterOptions::Strings::kPlain;
  } else if (strings != "dictionary") {
    return absl::InvalidArgumentError("--strings must be dictionary or plain");
  }
  if (max_utf8_bytes > 0) options.max_utf8_bytes_per_batch = max_utf8_bytes;
  std::ifstream in(in_path);
  if (!in) return absl::NotFoundError("cannot open " + in_path);
  std::vector<json> rows;
  std::string out;
  arrow::StreamWriter writer(&out, options);
  try {
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) rows.push_back(json::parse(line));
    }
    CS_RETURN_IF_ERROR(writer.Begin(schema));
    absl::flat_hash_map<std::string, GrowingDictionary> dictionary;
    for (const std::string& name : dictionary_columns) dictionary[name];
    const size_t step = batch_rows == 0 ? std::max<size_t>(rows.size(), 1) : batch_rows;
    size_t begin = 0;
    do {  // no rows still make one (empty) batch
      const size_t end = std::min(rows.size(), begin + step);
      CS_ASSIGN_OR_RETURN(model::RecordBatch batch, ToBatch(schema, rows, begin, end, dictionary));
      CS_RETURN_IF_ERROR(writer.Write(batch));
      begin = end;
    } while (begin < rows.size());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(std::string("bad JSON input: ") + e.what());
  }
  CS_RETURN_IF_ERROR(writer.Finish());
  std::ofstream file(out_path, std::ios::binary);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file) return absl::InternalError("cannot write " + out_path);
  return absl::OkStatus();
}

absl::Status Read(const std::string& path, bool schema_only) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CS_ASSIGN_OR_RETURN(arrow::StreamReader reader, arrow::StreamReader::Open(bytes));
  json batches = json::array();
  std::set<std::string> dictionary_columns;
  std::string rows_out;
  while (true) {
    CS_ASSIGN_OR_RETURN(std::optional<model::RecordBatch> batch, reader.Next());
    if (!batch) break;
    batches.push_back(batch->num_rows());
    for (size_t c = 0; c < batch->num_columns(); ++c) {
      if (batch->column(c).is_dictionary())
        dictionary_columns.insert(reader.schema().field(c).name);
    }
    if (schema_only) continue;
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      json row = json::object();
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        row[reader.schema().field(c).name] = CellToJson(batch->column(c), r);
      }
      rows_out += row.dump() + "\n";
    }
  }
  if (!schema_only) {
    std::cout << rows_out;
    return absl::OkStatus();
  }
  json fields = json::array();
  for (const model::Field& field : reader.schema().fields()) {
    fields.push_back(
        {{"name", field.name}, {"type", TypeSpelling(field.type)}, {"nullable", field.nullable}});
  }
  json out = {{"fields", fields}, {"batches", batches}, {"dictionary_columns", dictionary_columns}};
  std::cout << out.dump() << "\n";
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  CLI::App app{"JSON lines <-> Arrow IPC stream through CardinalSin's codec (tests only)"};
  app.require_subcommand(1);
  std::string schema_spec, in_path, out_path, file, strings = "dictionary";
  std::vector<std::string> dictionary_columns;
  size_t batch_rows = 0;
  int64_t max_utf8_bytes = 0;

  CLI::App* write = app.add_subcommand("write");
  write->add_option("--schema", schema_spec)->required();
  write->add_option("--in", in_path)->required();
  write->add_option("--out", out_path)->required();
  write->add_option("--strings", strings);
  write->add_option("--dictionary-columns", dictionary_columns)->delimiter(',');
  write->add_option("--batch-rows", batch_rows);
  write->add_option("--max-utf8-bytes", max_utf8_bytes);
  CLI::App* read = app.add_subcommand("read");
  read->add_option("file", file)->required();
  CLI::App* schema = app.add_subcommand("schema");
  schema->add_option("file", file)->required();
  CLI11_PARSE(app, argc, argv);

  absl::Status status;
  if (write->parsed()) {
    status = Write(schema_spec, in_path, out_path, strings, dictionary_columns, batch_rows,
                   max_utf8_bytes);
  } else {
    status = Read(file, schema->parsed());
  }
  return status.ok() ? 0 : Fail(status);
}

}  // namespace
}  // namespace cardinalsin

int main(int argc, char** argv) { return cardinalsin::Main(argc, argv); }
