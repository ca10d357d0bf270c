// Test-only bridge between JSON lines and CardinalSin's Parquet codec, for the interop tests in
// test/e2e/test_parquet_interop.py (pyarrow and DuckDB are the oracles).
//
//   parquet_tool write --schema 'timestamp:timestamp_ns!,job:string' --in rows.jsonl --out
//   f.parquet
//                      [--compression zstd|snappy|none] [--page-version 1|2] [--row-group-rows N]
//                      [--page-rows N] [--encoding col=plain|dictionary|delta|bss] [--bloom col]
//   parquet_tool read f.parquet [--columns a,b]     one JSON object per row on stdout
//   parquet_tool schema f.parquet                   the model schema and row-group count as JSON
//
// JSON values: null, true/false, integers, strings; doubles as numbers with 17 significant
// digits, or the strings "NaN", "Infinity", "-Infinity" (with the payload as "NaN:<hex>" when it is
// not the default quiet NaN, so staleness markers round-trip). A '!' after a type means
// non-nullable.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "parquet/reader.h"
#include "parquet/writer.h"

namespace cardinalsin {
namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kDefaultNaNBits = 0x7ff8000000000000ULL;

json DoubleToJson(double d) {
  if (std::isnan(d)) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    if (bits == kDefaultNaNBits) return "NaN";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "NaN:%016llx", static_cast<unsigned long long>(bits));
    return buf;
  }
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

absl::StatusOr<double> JsonToDouble(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return absl::InvalidArgumentError("double expected: " + v.dump());
  const std::string s = v.get<std::string>();
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return INFINITY;
  if (s == "-Infinity") return -INFINITY;
  if (s.rfind("NaN:", 0) == 0) {
    uint64_t bits = std::stoull(s.substr(4), nullptr, 16);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  return absl::InvalidArgumentError("double expected: " + s);
}

absl::StatusOr<model::Schema> ParseSchema(const std::string& spec) {
  std::vector<model::Field> fields;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    std::vector<std::string> kv = absl::StrSplit(part, ':');
    if (kv.size() != 2) return absl::InvalidArgumentError("bad schema entry: " + std::string(part));
    model::Field f{kv[0], model::TypeId::kString, true};
    std::string type = kv[1];
    if (!type.empty() && type.back() == '!') {
      f.nullable = false;
      type.pop_back();
    }
    if (type == "bool")
      f.type = model::TypeId::kBool;
    else if (type == "int64")
      f.type = model::TypeId::kInt64;
    else if (type == "uint64")
      f.type = model::TypeId::kUInt64;
    else if (type == "double")
      f.type = model::TypeId::kDouble;
    else if (type == "string")
      f.type = model::TypeId::kString;
    else if (type == "timestamp_ns")
      f.type = model::TypeId::kTimestampNs;
    else
      return absl::InvalidArgumentError("unknown type: " + type);
    fields.push_back(f);
  }
  return model::Schema(std::move(fields));
}

absl::StatusOr<model::RecordBatch> ReadJsonLines(const model::Schema& schema, std::istream& in) {
  std::vector<json> rows;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) rows.push_back(json::parse(line));
  }
  std::vector<model::Column> columns;
  for (const model::Field& field : schema.fields()) {
    std::vector<uint8_t> validity(rows.size(), 1);
    bool any_null = false;
    auto value_of = [&](size_t r) -> const json& {
      static const json kNull;
      auto it = rows[r].find(field.name);
      return it == rows[r].end() ? kNull : *it;
    };
    for (size_t r = 0; r < rows.size(); ++r) {
      if (value_of(r).is_null()) {
        validity[r] = 0;
        any_null = true;
      }
    }
    model::Column column = model::Column::Empty(field.type);
    switch (field.type) {
      case model::TypeId::kBool: {
        std::vector<uint8_t> v;
        for (size_t r = 0; r < rows.size(); ++r)
          v.push_back(validity[r] && value_of(r).get<bool>());
        column = model::Column::FromBool(std::move(v));
        break;
      }
      case model::TypeId::kInt64:
      case model::TypeId::kTimestampNs: {
        std::vector<int64_t> v;
        for (size_t r = 0; r < rows.size(); ++r)
          v.push_back(validity[r] ? value_of(r).get<int64_t>() : 0);
        column = model::Column::FromInt64(field.type, std::move(v));
        break;
      }
      case model::TypeId::kUInt64: {
        std::vector<uint64_t> v;
        for (size_t r = 0; r < rows.size(); ++r)
          v.push_back(validity[r] ? value_of(r).get<uint64_t>() : 0);
        column = model::Column::FromUInt64(std::move(v));
        break;
      }
      case model::TypeId::kDouble: {
        std::vector<double> v;
        for (size_t r = 0; r < rows.size(); ++r) {
          double d = 0;
          if (validity[r]) {
            CS_ASSIGN_OR_RETURN(d, JsonToDouble(value_of(r)));
          }
          v.push_back(d);
        }
        column = model::Column::FromDouble(std::move(v));
        break;
      }
      case model::TypeId::kString: {
        model::StringVector v;
        for (size_t r = 0; r < rows.size(); ++r) {
          v.Append(validity[r] ? value_of(r).get<std::string>() : std::string());
        }
        column = model::Column::FromStrings(std::move(v));
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
    case model::TypeId::kBool:
      return c.bools()[r] != 0;
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs:
      return c.int64s()[r];
    case model::TypeId::kUInt64:
      return c.uint64s()[r];
    case model::TypeId::kDouble:
      return DoubleToJson(c.doubles()[r]);
    case model::TypeId::kString:
      return std::string(c.StringAt(r));
  }
  return nullptr;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"JSON lines <-> Parquet through CardinalSin's codec (tests only)"};
  app.require_subcommand(1);
  std::string schema_spec, in_path, out_path, file, columns_csv, compression = "zstd";
  int page_version = 2;
  parquet::WriterOptions options;
  std::vector<std::string> encodings;

  CLI::App* write = app.add_subcommand("write");
  write->add_option("--schema", schema_spec)->required();
  write->add_option("--in", in_path)->required();
  write->add_option("--out", out_path)->required();
  write->add_option("--compression", compression);
  write->add_option("--page-version", page_version);
  write->add_option("--row-group-rows", options.row_group_rows);
  write->add_option("--page-rows", options.page_rows);
  write->add_option("--encoding", encodings);
  write->add_option("--bloom", options.bloom_filter_columns);
  CLI::App* read = app.add_subcommand("read");
  read->add_option("file", file)->required();
  read->add_option("--columns", columns_csv);
  CLI::App* schema_cmd = app.add_subcommand("schema");
  schema_cmd->add_option("file", file)->required();
  CLI11_PARSE(app, argc, argv);

  if (write->parsed()) {
    absl::StatusOr<model::Schema> schema = ParseSchema(schema_spec);
    if (!schema.ok()) return Fail(schema.status());
    std::ifstream in(in_path);
    absl::StatusOr<model::RecordBatch> batch = ReadJsonLines(*schema, in);
    if (!batch.ok()) return Fail(batch.status());
    if (compression == "zstd")
      options.compression = codec::Compression::kZstd;
    else if (compression == "snappy")
      options.compression = codec::Compression::kSnappy;
    else if (compression == "none")
      options.compression = codec::Compression::kNone;
    else
      return Fail(absl::InvalidArgumentError("unknown compression " + compression));
    options.page_version =
        page_version == 1 ? parquet::DataPageVersion::kV1 : parquet::DataPageVersion::kV2;
    for (const std::string& e : encodings) {
      std::vector<std::string> kv = absl::StrSplit(e, '=');
      if (kv.size() != 2) return Fail(absl::InvalidArgumentError("bad --encoding " + e));
      parquet::ColumnEncoding enc = parquet::ColumnEncoding::kAuto;
      if (kv[1] == "plain")
        enc = parquet::ColumnEncoding::kPlain;
      else if (kv[1] == "dictionary")
        enc = parquet::ColumnEncoding::kDictionary;
      else if (kv[1] == "delta")
        enc = parquet::ColumnEncoding::kDeltaBinaryPacked;
      else if (kv[1] == "bss")
        enc = parquet::ColumnEncoding::kByteStreamSplit;
      options.column_encodings[kv[0]] = enc;
    }
    parquet::ParquetWriter writer(*schema, options);
    if (absl::Status s = writer.Write(*batch); !s.ok()) return Fail(s);
    absl::StatusOr<std::string> bytes = std::move(writer).Finish();
    if (!bytes.ok()) return Fail(bytes.status());
    std::ofstream(out_path, std::ios::binary) << *bytes;
    return 0;
  }

  const std::string bytes = ReadFile(file);
  parquet::MemoryByteSource source(bytes, file);
  absl::StatusOr<std::unique_ptr<parquet::ParquetReader>> reader =
      parquet::ParquetReader::Open(source);
  if (!reader.ok()) return Fail(reader.status());
  if (schema_cmd->parsed()) {
    json fields = json::array();
    for (const model::Field& f : (*reader)->schema().fields()) {
      fields.push_back({{"name", f.name},
                        {"type", std::string(model::TypeName(f.type))},
                        {"nullable", f.nullable}});
    }
    std::cout << json{{"fields", fields},
                      {"num_rows", (*reader)->num_rows()},
                      {"row_groups", (*reader)->num_row_groups()}}
                     .dump()
              << "\n";
    return 0;
  }
  std::vector<std::string> columns;
  if (!columns_csv.empty()) columns = absl::StrSplit(columns_csv, ',');
  absl::StatusOr<model::RecordBatch> batch = (*reader)->ReadAll(columns);
  if (!batch.ok()) return Fail(batch.status());
  std::string out;
  for (size_t r = 0; r < batch->num_rows(); ++r) {
    json row = json::object();
    for (size_t c = 0; c < batch->num_columns(); ++c) {
      row[batch->schema().field(c).name] = CellToJson(batch->column(c), r);
    }
    out += row.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace
}  // namespace cardinalsin

int main(int argc, char** argv) { return cardinalsin::Main(argc, argv); }
