// Template compilation and rendering (template.hpp).
#include "scenario/yaml/template.hpp"

#include <fmt/format.h>

#include <cassert>
#include <charconv>
#include <cstdio>

#include "core/clock.hpp"
#include "core/json_string.hpp"
#include "core/uuid.hpp"

namespace loadgen::scenario::yaml {

namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, std::int64_t& v) {
  s = trim(s);
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

struct FunctionName {
  std::string_view name;
  Function fn;
  int args;  // -1: a name argument
};
constexpr FunctionName kFunctions[] = {
    {"uuid", Function::kUuid, 0},
    {"random_int", Function::kRandomInt, 2},
    {"choice", Function::kChoice, -1},
    {"timestamp", Function::kTimestamp, 0},
    {"timestamp_ms", Function::kTimestampMs, 0},
    {"counter", Function::kCounter, -1},
    {"session_id", Function::kSessionId, 0},
    {"user_id", Function::kUserId, 0},
};

// Compiles one expression (the text between {{ and }}).
bool compile_expression(std::string_view expr, TemplateNames& names, Segment& seg,
                        std::string& error) {
  expr = trim(expr);
  if (expr.empty()) {
    error = "empty expression {{ }}";
    return false;
  }
  std::size_t i = 0;
  while (i < expr.size() && (is_ident(expr[i]) || (i > 0 && expr[i] == '.'))) ++i;
  const std::string_view head = expr.substr(0, i);
  if (head.empty() || !is_ident_start(head[0])) {
    error = fmt::format("'{}' is not a variable name or function call", expr);
    return false;
  }
  if (i < expr.size()) {
    // A function call: name(args)
    const std::string_view rest = trim(expr.substr(i));
    if (rest.front() != '(' || rest.back() != ')') {
      error = fmt::format("'{}' is not a variable name or function call", expr);
      return false;
    }
    const std::string_view args = trim(rest.substr(1, rest.size() - 2));
    const FunctionName* f = nullptr;
    for (const auto& c : kFunctions)
      if (c.name == head) f = &c;
    if (f == nullptr) {
      error = fmt::format(
          "unknown function '{}' (known: uuid, random_int, choice, timestamp, timestamp_ms, "
          "counter, session_id, user_id)",
          head);
      return false;
    }
    seg.kind = Segment::Kind::kFunction;
    seg.function = f->fn;
    if (f->args == 0) {
      if (!args.empty()) {
        error = fmt::format("{}() takes no arguments", head);
        return false;
      }
    } else if (f->args == 2) {
      const auto comma = args.find(',');
      if (comma == std::string_view::npos || !parse_int(args.substr(0, comma), seg.a) ||
          !parse_int(args.substr(comma + 1), seg.b)) {
        error = fmt::format("{}(a, b) takes two integers, got '{}'", head, args);
        return false;
      }
      if (seg.a > seg.b) {
        error = fmt::format("{}({}, {}): the lower bound is above the upper", head, seg.a, seg.b);
        return false;
      }
    } else {
      std::string_view arg = args;
      if (arg.size() >= 2 && (arg.front() == '\'' || arg.front() == '"') &&
          arg.back() == arg.front())
        arg = arg.substr(1, arg.size() - 2);
      bool ok = !arg.empty() && is_ident_start(arg[0]);
      for (char c : arg) ok = ok && is_ident(c);
      if (!ok) {
        error = fmt::format("{}(name) takes one name, got '{}'", head, args);
        return false;
      }
      if (f->fn == Function::kCounter) {
        seg.slot = names.counter(arg);
      } else if (!names.dataset(arg, seg.slot)) {
        error = fmt::format("choice({}): no data set named '{}'", arg, arg);
        return false;
      }
    }
    return true;
  }
  // A variable, or variable.field
  const auto dot = head.find('.');
  const std::string_view var = head.substr(0, dot);
  std::uint32_t id = 0;
  if (!names.variable(var, seg.slot)) {
    if (names.dataset(var, id)) {
      error = fmt::format("'{}' is a data set: use choice({}) to pick from it", var, var);
      return false;
    }
    const std::string hint = names.suggest(var);
    error = hint.empty() ? fmt::format("unknown variable '{}'", var)
                         : fmt::format("unknown variable '{}' (did you mean '{}'?)", var, hint);
    return false;
  }
  if (dot == std::string_view::npos) {
    seg.kind = Segment::Kind::kVar;
  } else {
    seg.kind = Segment::Kind::kField;
    seg.text = std::string(head.substr(dot + 1));
    if (seg.text.empty() || seg.text.find('.') != std::string::npos) {
      error = fmt::format("'{}': only one field level (var.field) is supported", head);
      return false;
    }
  }
  return true;
}

void append_json_inner(std::string_view s, std::string& out) {
  const std::size_t at = out.size();
  core::append_json_string(out, s);
  out.erase(at, 1);  // the opening quote
  out.pop_back();    // the closing quote
}

void append_url(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

void append_int(std::int64_t v, std::string& out) {
  char buf[24];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, p);
}

const Value* field_of(const TemplateEnv& env, const Value& row, std::string_view column) {
  if (row.kind != ValueKind::kRow || env.datasets == nullptr || row.dataset >= env.datasets->size())
    return nullptr;
  const Dataset& d = (*env.datasets)[row.dataset];
  for (std::size_t c = 0; c < d.columns.size(); ++c)
    if (d.columns[c] == column) return &d.rows[row.row][c];
  return nullptr;
}

// Evaluates a non-literal segment into `out` (reusing its buffer).
void eval_segment(const TemplateEnv& env, const Segment& s, Value& out) {
  switch (s.kind) {
    case Segment::Kind::kLiteral:
      out.kind = ValueKind::kString;
      out.text.assign(s.text);
      return;
    case Segment::Kind::kVar: {
      const Value& v = (*env.vars)[s.slot];
      out.kind = v.kind;
      out.text.assign(v.text);
      out.row = v.row;
      out.dataset = v.dataset;
      return;
    }
    case Segment::Kind::kField: {
      const Value* f = field_of(env, (*env.vars)[s.slot], s.text);
      out.kind = f != nullptr ? f->kind : ValueKind::kString;
      out.text.assign(f != nullptr ? std::string_view(f->text) : std::string_view());
      return;
    }
    case Segment::Kind::kFunction:
      break;
  }
  out.text.clear();
  switch (s.function) {
    case Function::kUuid:
      out.kind = ValueKind::kString;
      out.text = core::uuid4(*env.rng);
      return;
    case Function::kRandomInt: {
      out.kind = ValueKind::kNumber;
      const auto span = static_cast<std::uint64_t>(s.b) - static_cast<std::uint64_t>(s.a) + 1;
      const std::uint64_t r = span == 0 ? env.rng->next() : env.rng->below(span);
      append_int(static_cast<std::int64_t>(static_cast<std::uint64_t>(s.a) + r), out.text);
      return;
    }
    case Function::kChoice: {
      const Dataset& d = (*env.datasets)[s.slot];
      const auto row = static_cast<std::uint32_t>(env.rng->below(d.rows.size()));
      if (d.records) {
        out.kind = ValueKind::kRow;
        out.row = row;
        out.dataset = s.slot;
      } else {
        out.kind = d.rows[row][0].kind;
        out.text.assign(d.rows[row][0].text);
      }
      return;
    }
    case Function::kTimestamp:
      out.kind = ValueKind::kNumber;
      append_int(core::wall_ns() / 1'000'000'000, out.text);
      return;
    case Function::kTimestampMs:
      out.kind = ValueKind::kNumber;
      append_int(core::wall_ns() / 1'000'000, out.text);
      return;
    case Function::kCounter:
      out.kind = ValueKind::kNumber;
      if (env.counters->size() <= s.slot) env.counters->resize(s.slot + 1, 0);
      append_int(++(*env.counters)[s.slot], out.text);
      return;
    case Function::kSessionId:
      out.kind = ValueKind::kString;
      out.text.assign(env.session_id);
      return;
    case Function::kUserId:
      out.kind = ValueKind::kNumber;
      append_int(static_cast<std::int64_t>(env.user_id), out.text);
      return;
  }
}

}  // namespace

void append_escaped(std::string_view s, std::string& out, Escape escape) {
  switch (escape) {
    case Escape::kNone:
      out += s;
      return;
    case Escape::kJsonString:
      append_json_inner(s, out);
      return;
    case Escape::kJsonValue:
      core::append_json_string(out, s);
      return;
    case Escape::kUrl:
      append_url(s, out);
      return;
  }
}

void append_value(const TemplateEnv& env, const Value& v, std::string& out, Escape escape) {
  if (v.kind == ValueKind::kRow) {
    const Dataset* d = env.datasets != nullptr && v.dataset < env.datasets->size()
                           ? &(*env.datasets)[v.dataset]
                           : nullptr;
    const std::string_view json =
        d != nullptr && v.row < d->row_json.size() ? std::string_view(d->row_json[v.row]) : "null";
    if (escape == Escape::kJsonValue)
      out += json;
    else
      append_escaped(json, out, escape);
    return;
  }
  if (escape == Escape::kJsonValue && v.kind != ValueKind::kString) {
    out += v.text.empty() ? std::string_view("null") : std::string_view(v.text);
    return;
  }
  append_escaped(v.text, out, escape);
}

Template::Template(std::string literal) { append_literal(literal); }

bool Template::is_literal() const {
  return segments_.empty() ||
         (segments_.size() == 1 && segments_[0].kind == Segment::Kind::kLiteral);
}

const std::string& Template::literal() const {
  static const std::string kEmpty;
  return segments_.empty() ? kEmpty : segments_[0].text;
}

void Template::append(Segment s) {
  if (s.kind == Segment::Kind::kLiteral) {
    append_literal(s.text);
    return;
  }
  segments_.push_back(std::move(s));
}

void Template::append_literal(std::string_view text) {
  if (text.empty()) return;
  if (!segments_.empty() && segments_.back().kind == Segment::Kind::kLiteral) {
    segments_.back().text += text;
    return;
  }
  Segment s;
  s.text = std::string(text);
  segments_.push_back(std::move(s));
}

void Template::render(const TemplateEnv& env, std::string& out, Escape escape) const {
  // One scratch value per thread: rendering functions and fields reuses its buffer.
  thread_local Value scratch;
  for (const Segment& s : segments_) {
    const Escape e = s.escape != Escape::kNone ? s.escape : escape;
    switch (s.kind) {
      case Segment::Kind::kLiteral:
        out += s.text;
        break;
      case Segment::Kind::kVar:
        append_value(env, (*env.vars)[s.slot], out, e);
        break;
      case Segment::Kind::kField:
      case Segment::Kind::kFunction:
        eval_segment(env, s, scratch);
        append_value(env, scratch, out, e);
        break;
    }
  }
}

void Template::evaluate(const TemplateEnv& env, Value& out) const {
  if (single_expression()) {
    eval_segment(env, segments_[0], out);
    return;
  }
  if (is_literal()) {
    out.kind = literal_kind_;
    out.text.assign(literal());
    return;
  }
  out.kind = ValueKind::kString;
  out.text.clear();
  render(env, out.text);
}

bool compile_template(std::string_view text, TemplateNames& names, Template& out,
                      std::string& error, Escape escape) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append_literal(text.substr(pos));
      break;
    }
    out.append_literal(text.substr(pos, open - pos));
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      error = fmt::format("'{{{{' at offset {} has no closing '}}}}'", open);
      return false;
    }
    Segment seg;
    std::string why;
    if (!compile_expression(text.substr(open + 2, close - open - 2), names, seg, why)) {
      error = fmt::format("{} (in template at offset {})", why, open);
      return false;
    }
    seg.escape = escape;
    out.append(std::move(seg));
    pos = close + 2;
  }
  return true;
}

}  // namespace loadgen::scenario::yaml
