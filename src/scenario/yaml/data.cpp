// Data sets of the YAML format (`data:`): inline lists, and CSV or JSON files named relative to
// the scenario file. Loaded once; users pick rows with choice(name).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scenario/yaml/compiler.hpp"
#include "scenario/yaml/loader_parts.hpp"

namespace loadgen::scenario::yaml {

namespace {

using Json = nlohmann::json;

// Compact JSON; invalid UTF-8 (from a CSV file or the YAML text) becomes U+FFFD instead of
// throwing.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Value json_value(const Json& j) {
  Value v;
  if (j.is_string()) {
    v.text = j.get<std::string>();
  } else if (j.is_number()) {
    v.kind = ValueKind::kNumber;
    v.text = dump(j);
  } else if (j.is_boolean()) {
    v.kind = ValueKind::kBool;
    v.text = dump(j);
  } else {
    v.kind = ValueKind::kJson;
    v.text = dump(j);
  }
  return v;
}

// Records from a JSON array of objects (columns: the union of keys, in first-seen order).
bool records_from_json(const Json& arr, Dataset& d, std::string& why) {
  bool objects = false, scalars = false;
  for (const auto& item : arr) (item.is_object() ? objects : scalars) = true;
  if (objects && scalars) {
    why = "mixes objects with other values";
    return false;
  }
  if (!objects) {
    for (const auto& item : arr) d.rows.push_back({json_value(item)});
    return true;
  }
  d.records = true;
  for (const auto& item : arr)
    for (auto it = item.begin(); it != item.end(); ++it)
      if (std::find(d.columns.begin(), d.columns.end(), it.key()) == d.columns.end())
        d.columns.push_back(it.key());
  for (const auto& item : arr) {
    std::vector<Value> row;
    for (const auto& c : d.columns) {
      const auto it = item.find(c);
      row.push_back(it == item.end() ? Value{ValueKind::kJson, "null", 0, 0} : json_value(*it));
    }
    d.rows.push_back(std::move(row));
    d.row_json.push_back(dump(item));
  }
  return true;
}

// RFC 4180 CSV: the first line names the columns; quoted fields may hold commas, quotes ("")
// and line breaks.
bool parse_csv(std::string_view text, std::vector<std::vector<std::string>>& rows,
               std::string& why) {
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, in_quotes = false, any = false;
  std::size_t line = 1;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    quoted = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = any = true;
    } else if (c == ',') {
      end_field();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      if (any || !field.empty()) {
        end_field();
        rows.push_back(std::move(row));
      }
      row.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (in_quotes) {
    why = fmt::format("line {}: a quoted field is not closed", line);
    return false;
  }
  if (any || !field.empty()) {
    end_field();
    rows.push_back(std::move(row));
  }
  return true;
}

}  // namespace

void compile_data(Compiler& c, const YAML::Node& data) {
  if (!data || data.IsNull()) return;
  if (!data.IsMap()) {
    c.error(data, "data must be a mapping of name: list or name: {file: path}");
    return;
  }
  for (auto it = data.begin(); it != data.end(); ++it) {
    Dataset d;
    d.name = it->first.as<std::string>();
    const YAML::Node v = it->second;  // a copy: it-> is a temporary proxy
    bool ok = true;
    if (v.IsSequence()) {
      Json arr = Json::array();
      bool maps = false;
      for (const auto& item : v) {
        if (item.IsScalar()) {
          d.rows.push_back({Compiler::scalar_value(item)});
        } else if (item.IsMap()) {
          maps = true;
          Json obj = Json::object();
          for (auto jt = item.begin(); jt != item.end(); ++jt) {
            if (!jt->second.IsScalar()) {
              c.error(jt->second, "inline records hold scalars only (use a JSON file)");
              ok = false;
              continue;
            }
            const Value sv = Compiler::scalar_value(jt->second);
            obj[jt->first.as<std::string>()] = sv.kind == ValueKind::kString
                                                   ? Json(sv.text)
                                                   : Json::parse(sv.text, nullptr, false);
          }
          arr.push_back(std::move(obj));
        } else {
          c.error(item, "a data list holds scalars or mappings");
          ok = false;
        }
      }
      if (maps && !d.rows.empty()) {
        c.error(v, fmt::format("data {} mixes mappings with scalars", d.name));
        ok = false;
      }
      std::string why;
      if (ok && maps && !records_from_json(arr, d, why)) {
        c.error(v, fmt::format("data {}: {}", d.name, why));
        ok = false;
      }
    } else if (v.IsMap()) {
      if (!c.check_map(v, fmt::format("data {}", d.name), {"file", "format"})) continue;
      std::string file, format;
      if (!v["file"]) {
        c.error(v,
                fmt::format("data {} needs file: (a CSV or JSON file) or an inline list", d.name));
        continue;
      }
      if (!c.get_string(v["file"], "file", file)) continue;
      if (v["format"] && !c.get_string(v["format"], "format", format)) continue;
      const std::filesystem::path p = std::filesystem::path(file).is_absolute()
                                          ? std::filesystem::path(file)
                                          : std::filesystem::path(c.dir()) / file;
      if (format.empty()) {
        std::string ext = p.extension().string();
        format = ext == ".csv" ? "csv" : ext == ".json" ? "json" : "";
      }
      if (format != "csv" && format != "json") {
        c.error(v["format"] ? v["format"] : v["file"],
                fmt::format("data {}: format must be csv or json", d.name));
        continue;
      }
      std::error_code ec;
      std::ifstream f(p, std::ios::binary);
      if (std::filesystem::is_directory(p, ec) || !f) {
        c.error(v["file"], fmt::format("data {}: cannot read {}", d.name, p.string()));
        continue;
      }
      std::ostringstream ss;
      ss << f.rdbuf();
      const std::string text = ss.str();
      if (format == "json") {
        const Json j = Json::parse(text, nullptr, false);
        std::string why;
        if (j.is_discarded() || !j.is_array()) {
          c.error(v["file"], fmt::format("data {}: {} is not a JSON array", d.name, p.string()));
          continue;
        }
        if (!records_from_json(j, d, why)) {
          c.error(v["file"], fmt::format("data {}: {} {}", d.name, p.string(), why));
          continue;
        }
      } else {
        std::vector<std::vector<std::string>> rows;
        std::string why;
        if (!parse_csv(text, rows, why)) {
          c.error(v["file"], fmt::format("data {}: {}: {}", d.name, p.string(), why));
          continue;
        }
        if (rows.empty()) {
          c.error(v["file"], fmt::format("data {}: {} has no header line", d.name, p.string()));
          continue;
        }
        d.records = true;
        d.columns = rows[0];
        for (std::size_t r = 1; r < rows.size(); ++r) {
          if (rows[r].size() != d.columns.size()) {
            c.error(v["file"],
                    fmt::format("data {}: {} row {} has {} fields, the header {}", d.name,
                                p.string(), r + 1, rows[r].size(), d.columns.size()));
            ok = false;
            break;
          }
          Json obj = Json::object();
          std::vector<Value> row;
          for (std::size_t k = 0; k < d.columns.size(); ++k) {
            obj[d.columns[k]] = rows[r][k];
            row.push_back(Value{ValueKind::kString, rows[r][k], 0, 0});
          }
          d.rows.push_back(std::move(row));
          d.row_json.push_back(dump(obj));
        }
      }
    } else {
      c.error(v, fmt::format("data {} must be a list or {{file: path}}", d.name));
      continue;
    }
    if (!ok) continue;
    if (d.rows.empty()) {
      c.error(v, fmt::format("data {} is empty", d.name));
      continue;
    }
    if (c.has_dataset(d.name)) {
      c.error(it->first, fmt::format("data {} is defined twice", d.name));
      continue;
    }
    c.add_dataset(std::move(d));
  }
}

}  // namespace loadgen::scenario::yaml
