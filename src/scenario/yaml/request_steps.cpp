// Compiles a request step's options (docs/scenario-yaml.md, "Requests"): URL, query, name,
// headers, JSON/form/raw bodies, checks and extracts; the body is kept only when one reads it.
#include <fmt/format.h>

#include <algorithm>

#include "core/json_string.hpp"
#include "scenario/yaml/compiler.hpp"

namespace loadgen::scenario::yaml {

namespace {

// A query or form value: its literal text percent-encoded now, its expressions when rendered.
Template url_escaped(const Template& t) {
  Template out;
  for (const Segment& seg : t.segments()) {
    if (seg.kind == Segment::Kind::kLiteral) {
      std::string esc;
      append_escaped(seg.text, esc, Escape::kUrl);
      out.append_literal(esc);
    } else {
      out.append(seg);
    }
  }
  return out;
}

}  // namespace

bool Compiler::compile_request(const YAML::Node& opts, const YAML::Node& url, http::Method method,
                               const YAML::Node& at, RequestStep& r) {
  (void)at;
  r.method = method;
  const std::size_t errors_before = errors_.size();
  compile(url, "url", r.url);
  if (r.url.is_literal() && r.url.literal().empty()) error(url, "url must not be empty");
  if (const auto q = opts["query"]) {
    if (!q.IsMap()) {
      error(q, "query takes a mapping of name: value");
    } else {
      for (auto it = q.begin(); it != q.end(); ++it) {
        Template t;
        if (compile(it->second, "query value", t, Escape::kUrl))
          r.query.emplace_back(it->first.as<std::string>(), url_escaped(t));
      }
    }
  }
  if (const auto nm = opts["name"]) compile(nm, "name", r.name);
  if (const auto h = opts["headers"]) {
    if (!h.IsMap()) {
      error(h, "headers takes a mapping of name: value");
    } else {
      for (auto it = h.begin(); it != h.end(); ++it) {
        Template t;
        const std::string name = it->first.as<std::string>();
        if (name.empty() || name.find_first_of(" :\r\n\t") != std::string::npos)
          error(it->first, fmt::format("'{}' is not a valid header name", name));
        else if (compile(it->second, "header value", t))
          r.headers.emplace_back(name, std::move(t));
      }
    }
  }
  int bodies = 0;
  if (const auto j = opts["json"]) {
    ++bodies;
    r.body_kind = RequestStep::BodyKind::kJson;
    if (j.IsScalar())
      compile(j, "json", r.body);  // raw JSON text (a template)
    else
      compile_json(j, r.body);
  }
  if (const auto f = opts["form"]) {
    ++bodies;
    r.body_kind = RequestStep::BodyKind::kForm;
    if (!f.IsMap()) {
      error(f, "form takes a mapping of field: value");
    } else {
      bool first = true;
      for (auto it = f.begin(); it != f.end(); ++it) {
        if (!first) r.body.append_literal("&");
        first = false;
        std::string key;
        append_escaped(it->first.as<std::string>(), key, Escape::kUrl);
        r.body.append_literal(key + "=");
        Template v;
        if (compile(it->second, "form value", v, Escape::kUrl)) {
          const Template escaped = url_escaped(v);
          for (const Segment& seg : escaped.segments()) r.body.append(seg);
        }
      }
    }
  }
  if (const auto b = opts["body"]) {
    ++bodies;
    r.body_kind = RequestStep::BodyKind::kRaw;
    compile(b, "body", r.body);
  }
  if (bodies > 1) error(opts, "give one of json, form and body");
  if (const auto c = opts["check"]) compile_checks(c, r);
  if (const auto e = opts["extract"]) compile_extracts(e, r);
  if (const auto ar = opts["allow_redirects"]) get_bool(ar, "allow_redirects", r.allow_redirects);
  return errors_.size() == errors_before;
}

std::vector<std::string> Compiler::json_path(const YAML::Node& at, std::string_view text) {
  // "items.0.id", "$.items[0].id", "items[0].id" → {"items", "0", "id"}
  std::vector<std::string> out;
  std::string_view s = text;
  if (!s.empty() && s.front() == '$') s.remove_prefix(1);
  if (!s.empty() && s.front() == '.') s.remove_prefix(1);
  std::string cur;
  bool bad = s.empty();
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' || c == '[') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      if (c == '.' && (i + 1 == s.size() || s[i + 1] == '.')) bad = true;
    } else if (c == ']') {
      if (cur.empty() ||
          !std::all_of(cur.begin(), cur.end(), [](char d) { return d >= '0' && d <= '9'; }))
        bad = true;
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  if (bad || out.empty()) {
    error(at, fmt::format("'{}' is not a JSON path (e.g. items.0.id or $.items[0].id)", text));
    out.clear();
  }
  return out;
}

void Compiler::compile_checks(const YAML::Node& n, RequestStep& r) {
  if (!check_map(n, "check", {"status", "header", "body_contains", "body_not_contains", "json"}))
    return;
  if (const auto st = n["status"]) {
    Check c;
    c.kind = Check::Kind::kStatus;
    auto add = [&](const YAML::Node& v) {
      std::uint64_t code = 0;
      if (!get_uint(v, "status", code)) return;
      if (code < 100 || code > 599)
        error(v, fmt::format("status {} is not an HTTP status code (100-599)", code));
      else
        c.statuses.push_back(static_cast<int>(code));
    };
    if (st.IsSequence())
      for (const auto& v : st) add(v);
    else
      add(st);
    if (!c.statuses.empty()) r.checks.insert(r.checks.begin(), std::move(c));
  }
  if (const auto h = n["header"]) {
    if (!h.IsMap()) {
      error(h, "check header takes a mapping of name: expected value");
    } else {
      for (auto it = h.begin(); it != h.end(); ++it) {
        Check c;
        c.kind = Check::Kind::kHeader;
        c.name = it->first.as<std::string>();
        const YAML::Node v = it->second;  // a copy: it-> is a temporary proxy
        if (v.IsMap()) {
          if (!check_map(v, "header check", {"equals", "contains", "exists"})) continue;
          if (v["exists"] && !get_bool(v["exists"], "exists", c.must_exist)) continue;
          if (v["equals"] && compile(v["equals"], "equals", c.equals.emplace())) {
          }
          if (v["contains"] && compile(v["contains"], "contains", c.contains.emplace())) {
          }
        } else if (!v.IsNull()) {
          compile(v, "header value", c.equals.emplace());
        }
        r.checks.push_back(std::move(c));
      }
    }
  }
  for (const char* key : {"body_contains", "body_not_contains"}) {
    if (const auto b = n[key]) {
      auto add = [&](const YAML::Node& v) {
        Check c;
        c.kind = std::string_view(key) == "body_contains" ? Check::Kind::kBodyContains
                                                          : Check::Kind::kBodyNotContains;
        if (compile(v, key, c.contains.emplace())) r.checks.push_back(std::move(c));
      };
      if (b.IsSequence())
        for (const auto& v : b) add(v);
      else
        add(b);
      r.keep_body = true;
    }
  }
  if (const auto j = n["json"]) {
    if (!j.IsMap()) {
      error(j, "check json takes a mapping of path: expected value");
    } else {
      r.keep_body = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        Check c;
        c.kind = Check::Kind::kJson;
        c.path_text = it->first.as<std::string>();
        c.path = json_path(it->first, c.path_text);
        if (c.path.empty()) continue;
        const YAML::Node v = it->second;  // a copy: it-> is a temporary proxy
        if (v.IsMap()) {
          if (!check_map(v, "json check", {"equals", "contains", "exists"})) continue;
          if (v["exists"] && !get_bool(v["exists"], "exists", c.must_exist)) continue;
          if (v["equals"]) compile(v["equals"], "equals", c.equals.emplace());
          if (v["contains"]) compile(v["contains"], "contains", c.contains.emplace());
        } else if (!v.IsNull()) {
          compile(v, "json value", c.equals.emplace());
        }
        r.checks.push_back(std::move(c));
      }
    }
  }
}

void Compiler::compile_extracts(const YAML::Node& n, RequestStep& r) {
  if (!n.IsMap()) {
    error(n,
          "extract takes a mapping of variable: {json: path} | {header: name} | {body: true} "
          "| {status: true}");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string var = it->first.as<std::string>();
    const YAML::Node v = it->second;  // a copy: it-> is a temporary proxy
    if (!check_map(v, fmt::format("extract {}", var),
                   {"json", "header", "body", "status", "default"}))
      continue;
    Extract e;
    e.slot = declare_variable(var);
    int kinds = 0;
    if (v["json"]) {
      ++kinds;
      e.kind = Extract::Kind::kJson;
      if (get_string(v["json"], "json", e.path_text)) e.path = json_path(v["json"], e.path_text);
      if (e.path.empty()) continue;
      r.keep_body = true;
    }
    if (v["header"]) {
      ++kinds;
      e.kind = Extract::Kind::kHeader;
      if (!get_string(v["header"], "header", e.header)) continue;
    }
    if (v["body"]) {
      ++kinds;
      e.kind = Extract::Kind::kBody;
      r.keep_body = true;
    }
    if (v["status"]) {
      ++kinds;
      e.kind = Extract::Kind::kStatus;
    }
    if (kinds != 1) {
      error(v, fmt::format("extract {} needs exactly one of json, header, body, status", var));
      continue;
    }
    if (v["default"] && !compile(v["default"], "default", e.default_value.emplace())) continue;
    r.extracts.push_back(std::move(e));
  }
}

bool Compiler::compile_json(const YAML::Node& n, Template& out) {
  if (!spend(n)) return false;
  if (n.IsMap()) {
    out.append_literal("{");
    bool first = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = first ? "" : ",";
      first = false;
      core::append_json_string(key, it->first.as<std::string>());
      key += ':';
      out.append_literal(key);
      if (!compile_json(it->second, out)) return false;
    }
    out.append_literal("}");
    return true;
  }
  if (n.IsSequence()) {
    out.append_literal("[");
    bool first = true;
    for (const auto& item : n) {
      if (!first) out.append_literal(",");
      first = false;
      if (!compile_json(item, out)) return false;
    }
    out.append_literal("]");
    return true;
  }
  if (n.IsNull()) {
    out.append_literal("null");
    return true;
  }
  const std::string& text = n.Scalar();
  if (text.find("{{") != std::string::npos) {
    Template t;
    if (!compile(n, "json value", t, Escape::kJsonValue)) return false;
    if (t.single_expression()) {
      out.append(t.segments()[0]);  // typed: "quantity": 5, "user": "..."
      return true;
    }
    Template inner;
    compile(n, "json value", inner, Escape::kJsonString);
    out.append_literal("\"");
    for (const Segment& seg : inner.segments()) {
      if (seg.kind == Segment::Kind::kLiteral) {
        std::string esc;
        append_escaped(seg.text, esc, Escape::kJsonString);
        out.append_literal(esc);
      } else {
        out.append(seg);
      }
    }
    out.append_literal("\"");
    return true;
  }
  const Value v = scalar_value(n);
  std::string lit;
  if (v.kind == ValueKind::kString)
    core::append_json_string(lit, v.text);
  else
    lit = v.text;
  out.append_literal(lit);
  return true;
}

}  // namespace loadgen::scenario::yaml
