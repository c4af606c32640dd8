// The YAML scenario interpreter: a YamlUser holds its variables and reusable render buffers;
// run() walks a block of steps. A request renders URL, name, headers and body into the user's
// buffers (their capacity is kept, so the steady state allocates nothing), and keeps the
// response body only when a check or extract reads it.
#include "scenario/yaml/runtime.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "scenario/span_scope.hpp"

namespace loadgen::scenario::yaml {

namespace {

using Json = nlohmann::json;

// Compact JSON; invalid UTF-8 (from a CSV file or the YAML text) becomes U+FFFD instead of
// throwing.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

const Json* json_at(const Json& doc, const std::vector<std::string>& path) {
  const Json* j = &doc;
  for (const std::string& key : path) {
    if (j->is_object()) {
      const auto it = j->find(key);
      if (it == j->end()) return nullptr;
      j = &*it;
    } else if (j->is_array()) {
      std::size_t i = 0;
      const auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), i);
      if (ec != std::errc() || p != key.data() + key.size() || i >= j->size()) return nullptr;
      j = &(*j)[i];
    } else {
      return nullptr;
    }
  }
  return j;
}

void json_to_value(const Json& j, Value& v) {
  if (j.is_string()) {
    v.kind = ValueKind::kString;
    v.text = j.get_ref<const std::string&>();
  } else if (j.is_number()) {
    v.kind = ValueKind::kNumber;
    v.text = dump(j);
  } else if (j.is_boolean()) {
    v.kind = ValueKind::kBool;
    v.text = j.get<bool>() ? "true" : "false";
  } else {
    v.kind = ValueKind::kJson;
    v.text = dump(j);
  }
}

bool to_number(std::string_view s, double& d) {
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  d = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

class YamlUser final : public User {
 public:
  YamlUser(std::shared_ptr<const Program> p, const ClassProgram* cls)
      : program_(std::move(p)), cls_(cls) {}

  core::Task<> on_start() override {
    env_.vars = &vars_;
    env_.counters = &counters_;
    env_.datasets = &program_->datasets;
    env_.rng = &rng();
    env_.session_id = session_id();
    env_.user_id = id();
    vars_.resize(program_->variables.size());
    counters_.assign(program_->counters, 0);
    for (const auto& [slot, t] : cls_->initial) assign(slot, t);
    co_await run(cls_->on_start);
  }
  core::Task<> on_stop() override { co_await run(cls_->on_stop); }

  core::Task<> run(const Block& block);

 private:
  // Renders the request into the user's buffers: the URL to request, and `o`.
  std::string_view prepare(const RequestStep& r, client::RequestOptions& o);
  core::Task<> request(const RequestStep& r);
  void assign(std::uint32_t slot, const Template& t) {
    t.evaluate(env_, scratch_);
    std::swap(vars_[slot], scratch_);
  }
  bool holds(const Condition& c);
  // Checks and extracts of a caught response; the first failure's message is returned.
  bool verdict(const RequestStep& r, client::Response& resp, std::string& why);
  std::string_view render(const Template& t, std::string& buf, Escape e = Escape::kNone) {
    if (t.is_literal()) return t.literal();
    buf.clear();
    t.render(env_, buf, e);
    return buf;
  }
  void set_attribute(SpanScope& span, const SpanAttribute& a) {
    a.value.evaluate(env_, scratch_);
    switch (scratch_.kind) {
      case ValueKind::kNumber: {
        std::int64_t i = 0;
        const auto& t = scratch_.text;
        const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
        double d = 0;
        if (ec == std::errc() && p == t.data() + t.size())
          span.set(a.key, i);
        else if (to_number(t, d))
          span.set(a.key, d);
        else
          span.set(a.key, std::string_view(t));
        return;
      }
      case ValueKind::kBool:
        span.set(a.key, scratch_.text == "true");
        return;
      case ValueKind::kRow:
        buf_.clear();
        append_value(env_, scratch_, buf_, Escape::kNone);
        span.set(a.key, std::string_view(buf_));
        return;
      case ValueKind::kString:
      case ValueKind::kJson:
        span.set(a.key, std::string_view(scratch_.text));
        return;
    }
  }

  std::shared_ptr<const Program> program_;
  const ClassProgram* cls_;
  TemplateEnv env_;
  std::vector<Value> vars_;
  std::vector<std::int64_t> counters_;
  Value scratch_;
  std::vector<SpanScope*> spans_;  // open span steps, innermost last
  // Render buffers, reused request after request.
  std::string url_, name_, body_, buf_, why_;
  std::vector<std::string> header_values_;
  std::vector<http::Header> headers_;
};

// Pops the span stack when a span step's scope ends (normally or by an exception).
struct SpanStackGuard {
  std::vector<SpanScope*>& stack;
  ~SpanStackGuard() { stack.pop_back(); }
};

bool YamlUser::holds(const Condition& c) {
  const std::string_view v = render(c.value, buf_);
  switch (c.op) {
    case Condition::Op::kEmpty:
      return v.empty();
    case Condition::Op::kNotEmpty:
      return !v.empty();
    default:
      break;
  }
  const std::string_view o = render(c.operand, why_);
  switch (c.op) {
    case Condition::Op::kEquals:
      return v == o;
    case Condition::Op::kNotEquals:
      return v != o;
    default:
      break;
  }
  double a = 0, b = 0;
  if (!to_number(v, a) || !to_number(o, b)) return false;  // not numbers: the test fails
  switch (c.op) {
    case Condition::Op::kGt:
      return a > b;
    case Condition::Op::kGe:
      return a >= b;
    case Condition::Op::kLt:
      return a < b;
    case Condition::Op::kLe:
      return a <= b;
    default:
      return false;
  }
}

bool YamlUser::verdict(const RequestStep& r, client::Response& resp, std::string& why) {
  std::optional<Json> doc;
  auto json = [&]() -> const Json* {
    if (!doc) doc = Json::parse(resp.text(), nullptr, false);
    return doc->is_discarded() ? nullptr : &*doc;
  };
  for (const Check& c : r.checks) {
    switch (c.kind) {
      case Check::Kind::kStatus: {
        bool ok = false;
        for (int s : c.statuses) ok = ok || s == resp.status_code();
        if (!ok) {
          why = c.statuses.size() == 1
                    ? fmt::format("expected status {}, got {}", c.statuses[0], resp.status_code())
                    : fmt::format("expected status in [{}], got {}", fmt::join(c.statuses, ", "),
                                  resp.status_code());
          return false;
        }
        break;
      }
      case Check::Kind::kHeader: {
        const std::string_view v = resp.header(c.name);
        if (!c.must_exist) {
          if (!v.empty()) {
            why = fmt::format("header {} present", c.name);
            return false;
          }
          break;
        }
        if (v.empty()) {
          why = fmt::format("header {} missing", c.name);
          return false;
        }
        if (c.equals) {
          const std::string_view want = render(*c.equals, buf_);
          if (v != want) {
            why = fmt::format("header {} is '{}', expected '{}'", c.name, v, want);
            return false;
          }
        }
        if (c.contains) {
          const std::string_view want = render(*c.contains, buf_);
          if (v.find(want) == std::string_view::npos) {
            why = fmt::format("header {} ('{}') does not contain '{}'", c.name, v, want);
            return false;
          }
        }
        break;
      }
      case Check::Kind::kBodyContains:
      case Check::Kind::kBodyNotContains: {
        const std::string_view want = render(*c.contains, buf_);
        const bool found = resp.text().find(want) != std::string_view::npos;
        if (found != (c.kind == Check::Kind::kBodyContains)) {
          why = found ? fmt::format("body contains '{}'", want)
                      : fmt::format("body does not contain '{}'", want);
          return false;
        }
        break;
      }
      case Check::Kind::kJson: {
        const Json* d = json();
        if (d == nullptr) {
          why = "body is not JSON";
          return false;
        }
        const Json* j = json_at(*d, c.path);
        if (!c.must_exist) {
          if (j != nullptr) {
            why = fmt::format("JSON path {} present", c.path_text);
            return false;
          }
          break;
        }
        if (j == nullptr) {
          why = fmt::format("JSON path {} not found", c.path_text);
          return false;
        }
        if (c.equals || c.contains) {
          json_to_value(*j, scratch_);
          if (c.equals) {
            const std::string_view want = render(*c.equals, buf_);
            if (scratch_.text != want) {
              why = fmt::format("JSON {} is '{}', expected '{}'", c.path_text, scratch_.text, want);
              return false;
            }
          }
          if (c.contains) {
            const std::string_view want = render(*c.contains, buf_);
            if (scratch_.text.find(want) == std::string::npos) {
              why = fmt::format("JSON {} ('{}') does not contain '{}'", c.path_text, scratch_.text,
                                want);
              return false;
            }
          }
        }
        break;
      }
    }
  }
  for (const Extract& e : r.extracts) {
    Value& v = vars_[e.slot];
    bool found = true;
    switch (e.kind) {
      case Extract::Kind::kJson: {
        const Json* d = json();
        const Json* j = d != nullptr ? json_at(*d, e.path) : nullptr;
        if (j != nullptr)
          json_to_value(*j, v);
        else
          found = false;
        break;
      }
      case Extract::Kind::kHeader: {
        const std::string_view h = resp.header(e.header);
        found = !h.empty();
        v.kind = ValueKind::kString;
        v.text.assign(h);
        break;
      }
      case Extract::Kind::kBody:
        v.kind = ValueKind::kString;
        v.text.assign(resp.text());
        break;
      case Extract::Kind::kStatus:
        v.kind = ValueKind::kNumber;
        v.text = std::to_string(resp.status_code());
        break;
    }
    if (!found) {
      if (e.default_value) {
        assign(e.slot, *e.default_value);
        continue;
      }
      why = fmt::format(
          "extract {}: {} not found", program_->variables[e.slot],
          e.kind == Extract::Kind::kJson ? "JSON path " + e.path_text : "header " + e.header);
      return false;
    }
  }
  return true;
}

std::string_view YamlUser::prepare(const RequestStep& r, client::RequestOptions& o) {
  std::string_view url;
  if (r.query.empty()) {
    url = render(r.url, url_);
  } else {
    url_.clear();
    r.url.render(env_, url_);
    char sep = url_.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [key, value] : r.query) {
      url_ += sep;
      append_escaped(key, url_, Escape::kUrl);
      url_ += '=';
      value.render(env_, url_, Escape::kUrl);
      sep = '&';
    }
    url = url_;
  }
  if (!r.name.empty()) o.name = render(r.name, name_);
  if (header_values_.size() < r.headers.size() + 1) header_values_.resize(r.headers.size() + 1);
  headers_.clear();
  for (std::size_t i = 0; i < r.headers.size(); ++i)
    headers_.push_back({r.headers[i].first, render(r.headers[i].second, header_values_[i])});
  switch (r.body_kind) {
    case RequestStep::BodyKind::kNone:
      break;
    case RequestStep::BodyKind::kRaw:
      o.body = render(r.body, body_);
      break;
    case RequestStep::BodyKind::kJson:
      o.json = render(r.body, body_);
      break;
    case RequestStep::BodyKind::kForm:
      o.body = render(r.body, body_);
      headers_.push_back({"Content-Type", "application/x-www-form-urlencoded"});
      break;
  }
  o.headers = headers_;
  o.allow_redirects = r.allow_redirects;
  o.response_body = r.keep_body ? client::ResponseBody::kKeep : client::ResponseBody::kDiscard;
  o.catch_response = !r.checks.empty() || !r.extracts.empty();
  return url;
}

core::Task<> YamlUser::request(const RequestStep& r) {
  client::RequestOptions o;
  const std::string_view url = prepare(r, o);
  client::Response resp = co_await client().request(r.method, url, o);
  // No response (connect error, timeout): the transport's error is the verdict.
  if (!o.catch_response || resp.status_code() == 0) co_return;
  why_.clear();
  if (!verdict(r, resp, why_)) {
    resp.failure(why_);
  } else if (resp.status_code() != 0 && !r.checks.empty() &&
             r.checks.front().kind == Check::Kind::kStatus) {
    resp.success();  // an explicit status check passed (e.g. an expected 404)
  }
}

core::Task<> YamlUser::run(const Block& block) {
  for (const Step& s : block) {
    switch (s.kind) {
      case Step::Kind::kRequest:
        if (s.request->checks.empty() && s.request->extracts.empty()) {
          // The common case, without a coroutine frame of its own (as fast as a built-in).
          client::RequestOptions o;
          const std::string_view url = prepare(*s.request, o);
          co_await client().request(s.request->method, url, o);
        } else {
          co_await request(*s.request);
        }
        break;
      case Step::Kind::kSet:
        for (const auto& [slot, t] : s.sets) assign(slot, t);
        break;
      case Step::Kind::kSpan: {
        auto span = s.task_span ? start_task_span(s.span_name) : start_span(s.span_name);
        spans_.push_back(&span);
        SpanStackGuard guard{spans_};
        for (const SpanAttribute& a : s.attributes) set_attribute(span, a);
        co_await run(s.body);
        break;
      }
      case Step::Kind::kAttributes:
        if (!spans_.empty())
          for (const SpanAttribute& a : s.attributes) set_attribute(*spans_.back(), a);
        break;
      case Step::Kind::kLog: {
        core::LogLevel level = core::LogLevel::kInfo;
        switch (s.level) {
          case Step::Level::kDebug:
            level = core::LogLevel::kDebug;
            break;
          case Step::Level::kInfo:
            level = core::LogLevel::kInfo;
            break;
          case Step::Level::kWarning:
            level = core::LogLevel::kWarning;
            break;
          case Step::Level::kError:
            level = core::LogLevel::kError;
            break;
        }
        if (log_enabled(level)) emit_log(level, std::string(render(s.text, buf_)));
        break;
      }
      case Step::Kind::kBaggage:
        for (const auto& [key, t] : s.baggage) set_baggage(key, render(t, buf_));
        break;
      case Step::Kind::kFlag: {
        Value v;
        if (s.flag_bool) {
          const bool b = co_await flags().bool_value(s.flag_key, s.flag_bool_default);
          v.kind = ValueKind::kBool;
          v.text = b ? "true" : "false";
        } else {
          const std::int64_t i = co_await flags().int_value(s.flag_key, s.flag_int_default);
          v.kind = ValueKind::kNumber;
          v.text = std::to_string(i);
        }
        if (s.slot < vars_.size()) vars_[s.slot] = std::move(v);
        break;
      }
      case Step::Kind::kRepeat: {
        const std::string_view n_text = render(s.text, buf_);
        std::int64_t n = 0;
        const auto [p, ec] = std::from_chars(n_text.data(), n_text.data() + n_text.size(), n);
        if (ec != std::errc() || p != n_text.data() + n_text.size()) {
          double d = 0;
          n = to_number(n_text, d) ? static_cast<std::int64_t>(d) : 0;
        }
        for (std::int64_t i = 0; i < n && !stopping(); ++i) co_await run(s.body);
        break;
      }
      case Step::Kind::kIf: {
        const bool yes = holds(s.condition);
        co_await run(yes ? s.body : s.else_body);
        break;
      }
      case Step::Kind::kSleep:
        co_await sleep(s.sleep);
        break;
      case Step::Kind::kStopUser:
        throw StopUser{};
      case Step::Kind::kInterrupt:
        throw InterruptTaskSet{s.reschedule};
      case Step::Kind::kReschedule:
        throw RescheduleTask{};
    }
  }
}

}  // namespace

std::function<core::Task<>(User&)> block_function(std::shared_ptr<const Program> program,
                                                  const Block* block) {
  return [program = std::move(program), block](User& u) {
    return static_cast<YamlUser&>(u).run(*block);
  };
}

std::function<std::unique_ptr<User>()> user_factory(std::shared_ptr<const Program> program,
                                                    const ClassProgram* cls) {
  return [program = std::move(program), cls]() -> std::unique_ptr<User> {
    return std::make_unique<YamlUser>(program, cls);
  };
}

}  // namespace loadgen::scenario::yaml
