// Compiles the steps of the YAML format (docs/scenario-yaml.md, "Steps") into program.hpp's
// Step: requests with checks and extracts, set, span/task_span, attributes, log, baggage,
// flag, repeat, if, sleep, stop_user, interrupt, reschedule, call.
#include <fmt/format.h>

#include <algorithm>

#include "core/json_string.hpp"
#include "core/timespan.hpp"
#include "scenario/yaml/compiler.hpp"

namespace loadgen::scenario::yaml {

namespace {

constexpr std::string_view kActions[] = {
    "request", "get",   "post",      "put",        "patch",      "delete",  "head", "options",
    "set",     "span",  "task_span", "attributes", "log",        "baggage", "flag", "repeat",
    "if",      "sleep", "stop_user", "interrupt",  "reschedule", "call"};

const std::initializer_list<std::string_view> kRequestOptions = {
    "url",  "name", "query", "headers", "json",
    "form", "body", "check", "extract", "allow_redirects"};

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

std::vector<std::string_view> action_names() {
  return std::vector<std::string_view>(std::begin(kActions), std::end(kActions));
}

}  // namespace

Block Compiler::compile_block(const YAML::Node& seq, std::string_view what) {
  Block out;
  if (!seq || seq.IsNull()) return out;
  if (!seq.IsSequence()) {
    error(seq, fmt::format("{} must be a list of steps", what));
    return out;
  }
  for (const auto& step : seq) compile_step(step, out);
  return out;
}

void Compiler::compile_step(const YAML::Node& n, Block& out) {
  if (!spend(n)) return;
  if (!n.IsMap()) {
    error(n, "a step must be a mapping such as {get: /path} or {log: text}");
    return;
  }
  // The action: exactly one key naming what the step does.
  std::string action;
  YAML::Node value;
  YAML::Node action_key;
  // `attributes` next to `span`/`task_span` is the span's, not an action of its own.
  const bool span_step = n["span"] || n["task_span"];
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (std::find(std::begin(kActions), std::end(kActions), k) == std::end(kActions)) continue;
    if (span_step && k == "attributes") continue;
    if (!action.empty()) {
      error(it->first, fmt::format("a step has one action, this one has '{}' and '{}'", action, k));
      return;
    }
    action = k;
    value = it->second;
    action_key = it->first;
  }
  if (action.empty()) {
    std::string hint;
    if (n.begin() != n.end()) {
      const std::string first = n.begin()->first.as<std::string>();
      const std::string near = closest(first, action_names());
      if (!near.empty()) hint = fmt::format(" ('{}': did you mean '{}'?)", first, near);
    }
    error(n, fmt::format("a step needs an action (request, get, post, set, span, log, flag, "
                         "repeat, if, sleep, ...){}",
                         hint));
    return;
  }
  Step s;
  const auto method = http::parse_method(action);
  if (action == "request" || method) {
    auto r = std::make_unique<RequestStep>();
    bool ok = false;
    if (action == "request") {
      if (check_map(n, "request step", {"request"}) &&
          check_map(value, "request",
                    {"method", "url", "name", "query", "headers", "json", "form", "body", "check",
                     "extract", "allow_redirects"})) {
        std::string m = "GET";
        if (value["method"] && get_string(value["method"], "method", m) && !http::parse_method(m))
          error(value["method"], fmt::format("unknown method '{}' (GET, HEAD, POST, PUT, DELETE, "
                                             "PATCH or OPTIONS)",
                                             m));
        if (!value["url"])
          error(value, "request needs a url");
        else
          ok = compile_request(value, value["url"],
                               http::parse_method(m).value_or(http::Method::kGet), value, *r);
      }
    } else if (value.IsMap()) {
      if (check_map(n, fmt::format("{} step", action), {action}) &&
          check_map(value, action, kRequestOptions)) {
        if (!value["url"])
          error(value, fmt::format("{} needs a url", action));
        else
          ok = compile_request(value, value["url"], *method, value, *r);
      }
    } else {
      std::vector<std::string_view> keys{action};
      // The step's other keys are the request's options.
      bool keys_ok = true;
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string k = it->first.as<std::string>();
        if (k == action || k == "url") {
          if (k == "url") {
            error(it->first, "give the url as the method's value ({get: /path})");
            keys_ok = false;
          }
          continue;
        }
        if (std::find(kRequestOptions.begin(), kRequestOptions.end(), k) == kRequestOptions.end()) {
          std::vector<std::string_view> all(kRequestOptions.begin(), kRequestOptions.end());
          const std::string near = closest(k, all);
          error(it->first, near.empty() ? fmt::format("unknown key '{}' in a {} step", k, action)
                                        : fmt::format("unknown key '{}' in a {} step (did you "
                                                      "mean '{}'?)",
                                                      k, action, near));
          keys_ok = false;
        }
      }
      ok = compile_request(n, value, *method, n, *r) && keys_ok;
    }
    if (!ok) return;
    s.kind = Step::Kind::kRequest;
    s.request = std::move(r);
  } else if (action == "set") {
    if (!check_map(n, "set step", {"set"})) return;
    if (!value.IsMap()) {
      error(value, "set takes a mapping of variable: value");
      return;
    }
    s.kind = Step::Kind::kSet;
    for (auto it = value.begin(); it != value.end(); ++it) {
      Template t;
      const std::string name = it->first.as<std::string>();
      if (compile(it->second, fmt::format("set {}", name), t))
        s.sets.emplace_back(declare_variable(name), std::move(t));
    }
  } else if (action == "span" || action == "task_span") {
    if (!check_map(n, fmt::format("{} step", action), {action, "attributes", "steps"})) return;
    s.kind = Step::Kind::kSpan;
    s.task_span = action == "task_span";
    if (!get_string(value, fmt::format("{} name", action), s.span_name)) return;
    if (s.span_name.empty()) error(value, fmt::format("{} needs a name", action));
    if (n["attributes"]) compile_attributes(n["attributes"], s.attributes);
    s.body = compile_block(n["steps"], fmt::format("{} steps", action));
  } else if (action == "attributes") {
    if (!check_map(n, "attributes step", {"attributes"})) return;
    s.kind = Step::Kind::kAttributes;
    compile_attributes(value, s.attributes);
  } else if (action == "log") {
    if (!check_map(n, "log step", {"log", "level"})) return;
    s.kind = Step::Kind::kLog;
    if (!compile(value, "log", s.text)) return;
    if (const auto lv = n["level"]) {
      std::string l;
      if (!get_string(lv, "level", l)) return;
      if (l == "debug")
        s.level = Step::Level::kDebug;
      else if (l == "info")
        s.level = Step::Level::kInfo;
      else if (l == "warning")
        s.level = Step::Level::kWarning;
      else if (l == "error")
        s.level = Step::Level::kError;
      else
        error(lv, fmt::format("unknown log level '{}' (debug, info, warning or error)", l));
    }
  } else if (action == "baggage") {
    if (!check_map(n, "baggage step", {"baggage"})) return;
    if (!value.IsMap()) {
      error(value, "baggage takes a mapping of key: value");
      return;
    }
    s.kind = Step::Kind::kBaggage;
    for (auto it = value.begin(); it != value.end(); ++it) {
      Template t;
      if (compile(it->second, "baggage value", t))
        s.baggage.emplace_back(it->first.as<std::string>(), std::move(t));
    }
  } else if (action == "flag") {
    if (!check_map(n, "flag step", {"flag", "type", "default", "into"})) return;
    s.kind = Step::Kind::kFlag;
    uses_flags_ = true;
    if (!get_string(value, "flag key", s.flag_key)) return;
    std::string type = "int";
    if (n["type"] && !get_string(n["type"], "type", type)) return;
    if (type == "bool" || type == "boolean") {
      s.flag_bool = true;
      if (n["default"] && !get_bool(n["default"], "default", s.flag_bool_default)) return;
    } else if (type == "int" || type == "integer") {
      if (n["default"] && !get_int(n["default"], "default", s.flag_int_default)) return;
    } else {
      error(n["type"], fmt::format("unknown flag type '{}' (int or bool)", type));
      return;
    }
    s.slot = UINT32_MAX;
    if (n["into"]) {
      std::string var;
      if (!get_string(n["into"], "into", var)) return;
      s.slot = declare_variable(var);
    }
  } else if (action == "repeat") {
    if (!check_map(n, "repeat step", {"repeat", "steps"})) return;
    s.kind = Step::Kind::kRepeat;
    if (!compile(value, "repeat", s.text)) return;
    if (s.text.is_literal()) {
      std::int64_t count = 0;
      if (!get_int(value, "repeat", count)) return;
      if (count < 0) error(value, "repeat must not be negative");
    }
    if (!n["steps"]) error(n, "repeat needs steps");
    s.body = compile_block(n["steps"], "repeat steps");
  } else if (action == "if") {
    if (!check_map(n, "if step", {"if", "then", "else"})) return;
    s.kind = Step::Kind::kIf;
    if (!compile_condition(value, s.condition)) return;
    if (!n["then"]) error(n, "if needs then: steps");
    s.body = compile_block(n["then"], "then");
    s.else_body = compile_block(n["else"], "else");
  } else if (action == "sleep") {
    if (!check_map(n, "sleep step", {"sleep"})) return;
    s.kind = Step::Kind::kSleep;
    std::string text;
    if (!get_string(value, "sleep", text)) return;
    auto d = core::parse_duration(text, "sleep");
    if (!d.ok()) {
      error(value, d.error().message);
      return;
    }
    if (d->count() < 0 || d->count() > 86'400'000'000'000) {
      error(value, "sleep must lie between 0 and one day");
      return;
    }
    s.sleep = *d;
  } else if (action == "stop_user" || action == "reschedule") {
    if (!check_map(n, fmt::format("{} step", action), {action})) return;
    bool yes = true;
    if (!get_bool(value, action, yes)) return;
    if (!yes) return;  // `stop_user: false` does nothing
    s.kind = action == "stop_user" ? Step::Kind::kStopUser : Step::Kind::kReschedule;
  } else if (action == "interrupt") {
    if (!check_map(n, "interrupt step", {"interrupt"})) return;
    s.kind = Step::Kind::kInterrupt;
    if (value.IsMap()) {
      if (!check_map(value, "interrupt", {"reschedule"})) return;
      if (value["reschedule"] && !get_bool(value["reschedule"], "reschedule", s.reschedule)) return;
    } else {
      bool yes = true;
      if (!get_bool(value, "interrupt", yes)) return;
      if (!yes) return;
    }
  } else if (action == "call") {
    if (!check_map(n, "call step", {"call"})) return;
    std::string name;
    if (!get_string(value, "call", name)) return;
    const YAML::Node& defines = defines_;
    const YAML::Node target =
        defines.IsMap() ? defines[name] : YAML::Node(YAML::NodeType::Undefined);
    if (!target.IsDefined()) {
      std::vector<std::string> names;
      if (defines_ && defines_.IsMap())
        for (auto it = defines_.begin(); it != defines_.end(); ++it)
          names.push_back(it->first.as<std::string>());
      const std::string near = closest(name, {names.begin(), names.end()});
      error(value, near.empty() ? fmt::format("call: no define named '{}'", name)
                                : fmt::format("call: no define named '{}' (did you mean '{}'?)",
                                              name, near));
      return;
    }
    if (std::find(calls_.begin(), calls_.end(), name) != calls_.end()) {
      error(value, fmt::format("call: '{}' calls itself ({} -> {})", name,
                               fmt::join(calls_, " -> "), name));
      return;
    }
    // Inlined: the define's steps compiled in place (a define is a macro, not a function).
    calls_.push_back(name);
    Block inner = compile_block(target, fmt::format("define {}", name));
    calls_.pop_back();
    for (auto& st : inner) out.push_back(std::move(st));
    return;
  }
  out.push_back(std::move(s));
}

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
        const YAML::Node& v = it->second;
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
        const YAML::Node& v = it->second;
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
    const YAML::Node& v = it->second;
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

bool Compiler::compile_condition(const YAML::Node& n, Condition& c) {
  if (!check_map(n, "if",
                 {"var", "value", "equals", "not_equals", "gt", "ge", "lt", "le", "empty"}))
    return false;
  const bool has_var = static_cast<bool>(n["var"]);
  if (has_var == static_cast<bool>(n["value"])) {
    error(n, "if needs one of var: NAME or value: TEMPLATE");
    return false;
  }
  if (has_var) {
    std::string var;
    if (!get_string(n["var"], "var", var)) return false;
    std::string why;
    if (!compile_template("{{ " + var + " }}", *this, c.value, why)) {
      error(n["var"], why);
      return false;
    }
  } else if (!compile(n["value"], "value", c.value)) {
    return false;
  }
  int ops = 0;
  struct OpName {
    const char* key;
    Condition::Op op;
  };
  for (const OpName& o :
       {OpName{"equals", Condition::Op::kEquals}, OpName{"not_equals", Condition::Op::kNotEquals},
        OpName{"gt", Condition::Op::kGt}, OpName{"ge", Condition::Op::kGe},
        OpName{"lt", Condition::Op::kLt}, OpName{"le", Condition::Op::kLe}}) {
    if (const auto v = n[o.key]) {
      ++ops;
      c.op = o.op;
      if (!compile(v, o.key, c.operand)) return false;
    }
  }
  if (const auto e = n["empty"]) {
    ++ops;
    bool yes = true;
    if (!get_bool(e, "empty", yes)) return false;
    c.op = yes ? Condition::Op::kEmpty : Condition::Op::kNotEmpty;
  }
  if (ops != 1) {
    error(n, "if needs exactly one comparison: equals, not_equals, gt, ge, lt, le or empty");
    return false;
  }
  return true;
}

void Compiler::compile_attributes(const YAML::Node& n, std::vector<SpanAttribute>& out) {
  if (!n.IsMap()) {
    error(n, "attributes takes a mapping of key: value");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    SpanAttribute a;
    a.key = it->first.as<std::string>();
    if (!compile(it->second, "attribute value", a.value)) continue;
    out.push_back(std::move(a));
  }
}

}  // namespace loadgen::scenario::yaml
