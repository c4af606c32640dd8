// Compiles the steps of the YAML format (docs/scenario-yaml.md, "Steps") into program.hpp's
// Step (a request's options: request_steps.cpp): requests, set, span/task_span, attributes, log,
// baggage, flag, repeat, if, sleep, stop_user, interrupt, reschedule, call.
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
