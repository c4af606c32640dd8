#include "client/http_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <coroutine>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "client/exchange.hpp"
#include "client/request_observer.hpp"
#include "client/string_pool.hpp"
#include "core/base64.hpp"
#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/strings.hpp"
#include "http/response_parser.hpp"
#include "net/connection.hpp"
#include "net/event_loop.hpp"
#include "otel/baggage.hpp"
#include "otel/ids.hpp"
#include "otel/trace_context.hpp"

namespace loadgen::client {

using net::Connection;
using net::EventLoop;

namespace {

using core::iequals;

// Sent on every request after User-Agent unless the request's own headers override them.
constexpr std::pair<std::string_view, std::string_view> kFixedDefaults[] = {
    {"Accept-Encoding", "gzip, deflate"}, {"Accept", "*/*"}, {"Connection", "keep-alive"}};

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

HttpClient::HttpClient(EventLoop& loop, const ClientConfig& config, RequestObserver* observer)
    : loop_(loop), config_(config), observer_(observer) {}

HttpClient::~HttpClient() = default;

void HttpClient::cancel() {
  cancelled_ = true;
  if (primary_) primary_->abort();
  if (secondary_) secondary_->abort();
}

void HttpClient::close_connections() {
  if (primary_) primary_->close();
  if (secondary_) secondary_->close();
}

void HttpClient::park() {
  net::ConnectionPool& pool = loop_.connection_pool();
  pool.give(std::move(primary_));
  pool.give(std::move(secondary_));
}

Connection& HttpClient::connection_for(const http::Url& url) {
  const std::string& scheme = url.scheme;
  const std::string& host = url.host;
  const std::uint16_t port = url.port;
  // An open connection of this client first (keep-alive), else the loop's pool, else a new
  // one (exchange() connects it). A closed one of the same origin is connected again.
  auto pick = [&](std::unique_ptr<Connection>& slot) -> Connection& {
    if (slot && slot->is_open()) return *slot;
    if (auto pooled = loop_.connection_pool().take(scheme, host, port)) {
      slot = std::move(pooled);
    } else if (!slot) {
      slot = std::make_unique<Connection>(loop_, scheme, host, port);
    }
    return *slot;
  };
  const http::Url& b = config_.base;
  // The base URL itself (most requests) without comparing it with itself.
  if (&url == &b || (b.host == host && b.port == port && b.scheme == scheme)) {
    return pick(primary_);
  }
  if (secondary_ && !secondary_->matches(scheme, host, port)) {
    loop_.connection_pool().give(std::move(secondary_));  // another origin: keep it warm
  }
  return pick(secondary_);
}

void HttpClient::report_attempt(const Attempt& a, Response& r, std::string_view name, bool named,
                                std::int64_t start_wall_ns, std::int64_t duration_ns, int hops) {
  thread_local std::string url;
  url.clear();
  // Not a conditional expression: its prvalue would copy base_origin on every request.
  if (a.url == &config_.base) {
    url.append(config_.base_origin);
  } else {
    url.append(a.url->origin());
  }
  url.append(a.target);
  AttemptRecord rec{.method = a.method,
                    .name = name,
                    .url = url,
                    .server_address = a.url->host,
                    .server_port = a.url->port,
                    .status = r.status_,
                    .outcome = r.outcome_,
                    .error = r.b_->error,
                    .start_wall_ns = start_wall_ns,
                    .end_wall_ns = start_wall_ns + duration_ns,
                    .duration_ns = duration_ns,
                    .resend_count = hops,
                    .trace_id = {},
                    .span_id = {},
                    .parent_span_id = {},
                    .trace_flags = 0,
                    .trace_state = {},
                    .named = named,
                    .tls = a.url->tls()};
  if (trace_ && trace_->propagation) {
    rec.trace_state = trace_->trace_state;
    rec.trace_id = trace_->last_trace_id;
    rec.span_id = trace_->last_span_id;
    rec.parent_span_id = trace_->parent_span_id;
    rec.trace_flags = trace_->trace_flags;
  }
  // The request's trace is its last attempt's (W3C sampled flag 0x01).
  r.sampled_trace_id_ = (rec.trace_flags & 0x01) != 0 ? rec.trace_id : otel::TraceId{};
  observer_->on_attempt(rec);
}

void HttpClient::set_failure(Response& r, Outcome o, std::string_view detail) {
  r.outcome_ = o;
  std::string& error = r.buffers().error;
  error.assign(to_string(o));
  error.append(": ");
  error.append(detail);
}

namespace {

// Injects the propagators' headers for a new client span (W3C Trace Context §3.2: a new
// parent-id per outgoing request; the trace id and flags of the active trace).
template <class Add>
void add_trace_headers(RequestTrace& t, Add&& add) {
  thread_local char traceparent[otel::kTraceparentLen];
  thread_local char b3[otel::kB3SingleLen];
  thread_local otel::B3MultiValues b3multi;
  otel::SpanContext ctx;
  ctx.trace_id = otel::is_valid(t.trace_id) ? t.trace_id : otel::random_trace_id(*t.rng);
  ctx.span_id = otel::random_span_id(*t.rng);
  ctx.flags = t.trace_flags;
  t.last_trace_id = ctx.trace_id;
  t.last_span_id = ctx.span_id;
  const Propagation& p = *t.propagation;
  if (p.tracecontext) {
    otel::format_traceparent(ctx, traceparent);
    add(otel::kTraceparentHeader, std::string_view(traceparent, sizeof traceparent));
    if (!t.trace_state.empty()) add(otel::kTracestateHeader, t.trace_state);
  }
  if (p.baggage && !t.baggage_header.empty()) add(otel::kBaggageHeader, t.baggage_header);
  if (p.b3) {
    otel::format_b3_single(ctx, b3);
    add(otel::kB3SingleHeader, std::string_view(b3, sizeof b3));
  }
  if (p.b3multi) {
    b3multi = otel::format_b3_multi(ctx);
    add(otel::kB3TraceIdHeader, b3multi.trace_id_view());
    add(otel::kB3SpanIdHeader, b3multi.span_id_view());
    add(otel::kB3SampledHeader, b3multi.sampled_view());
  }
}

}  // namespace

namespace {

// The fixed default field lines (User-Agent, then kFixedDefaults), rendered once per thread
// and again when the user agent differs.
const std::string& fixed_default_lines(const std::string& user_agent) {
  thread_local std::string lines;
  thread_local std::string rendered_for;
  if (lines.empty() || rendered_for != user_agent) {
    rendered_for = user_agent;
    lines.clear();
    const auto line = [](std::string_view name, std::string_view value) {
      lines.append(name).append(": ").append(value).append("\r\n");
    };
    line("User-Agent", user_agent);
    for (const auto& [name, value] : kFixedDefaults) line(name, value);
  }
  return lines;
}

}  // namespace

void HttpClient::serialize(Attempt& a) {
  std::string& wbuf = a.resp->buffers().request;
  wbuf.clear();
  const std::string& host =
      a.url == &config_.base ? config_.base_host_header : a.url->host_header();
  if (a.user_headers.empty() && !a.json && a.body.empty() && !http::method_expects_body(a.method) &&
      a.url->userinfo.empty() && cookies_.size() == 0 && config_.default_headers.empty()) {
    // A plain request (no body and none expected, nothing of its own): its request line, Host
    // and the fixed default fields are the bytes write_request gave the last such request of
    // this thread with the same method, target, host and agent; only the trace fields and the
    // empty line are written per request. Same bytes, in the same order, as the path below.
    thread_local std::string prefix;  // without the final empty line
    thread_local http::Method prefix_method = http::Method::kGet;
    thread_local std::string prefix_target;
    thread_local std::string prefix_host;
    thread_local std::string prefix_agent;
    if (prefix.empty() || prefix_method != a.method || prefix_target != a.target ||
        prefix_host != host || prefix_agent != config_.user_agent) {
      prefix.clear();
      const http::Header block[] = {{{}, fixed_default_lines(config_.user_agent)}};
      http::write_request(prefix, a.method, a.target, host, block, {});
      prefix.resize(prefix.size() - 2);
      prefix_method = a.method;
      prefix_target.assign(a.target);
      prefix_host = host;
      prefix_agent = config_.user_agent;
    }
    http::Header trace_fields[8];
    std::size_t n = 0;
    if (trace_ && trace_->propagation) {
      add_trace_headers(*trace_, [&](std::string_view name, std::string_view value) {
        trace_fields[n++] = http::Header{name, value};
      });
    }
    http::finish_request(wbuf, prefix, std::span<const http::Header>(trace_fields, n));
    return;
  }

  thread_local std::vector<http::Header> headers;
  thread_local std::string cookie;
  thread_local std::string auth;
  headers.clear();
  auto overridden = [&](std::string_view name) {
    return std::any_of(a.user_headers.begin(), a.user_headers.end(),
                       [&](const http::Header& h) { return iequals(h.name, name); });
  };
  auto add_default = [&](std::string_view name, std::string_view value) {
    if (!overridden(name)) headers.push_back(http::Header{name, value});
  };
  if (a.user_headers.empty()) {
    // Nothing overrides the fixed defaults: their field lines go out as one block.
    headers.push_back(http::Header{{}, fixed_default_lines(config_.user_agent)});
  } else {
    add_default("User-Agent", config_.user_agent);
    for (const auto& [name, value] : kFixedDefaults) add_default(name, value);
  }
  if (a.json) add_default("Content-Type", "application/json");
  if (!a.url->userinfo.empty()) {
    auth = "Basic " + core::base64_encode(a.url->userinfo);
    add_default("Authorization", auth);
  }
  if (cookies_.size() != 0) {
    cookie.clear();
    const auto now_s = static_cast<std::int64_t>(core::wall_seconds());
    if (cookies_.header_for(*a.url, a.target, now_s, cookie)) add_default("Cookie", cookie);
  }
  for (const auto& [name, value] : config_.default_headers) add_default(name, value);
  if (trace_ && trace_->propagation) add_trace_headers(*trace_, add_default);
  headers.insert(headers.end(), a.user_headers.begin(), a.user_headers.end());
  http::write_request(wbuf, a.method, a.target, host, headers, a.body);
}

namespace {

// How a failed connect counts: the client's outcome for each of net's connect statuses.
Outcome connect_outcome(net::ConnectStatus s) {
  switch (s) {
    case net::ConnectStatus::kOk:
      return Outcome::kOk;
    case net::ConnectStatus::kCancelled:
      return Outcome::kCancelled;
    case net::ConnectStatus::kResolve:
      return Outcome::kResolve;
    case net::ConnectStatus::kTimeout:
      return Outcome::kConnectTimeout;
    case net::ConnectStatus::kRefused:
      return Outcome::kConnectRefused;
    case net::ConnectStatus::kFailed:
      return Outcome::kConnect;
    case net::ConnectStatus::kTls:
      return Outcome::kTls;
  }
  return Outcome::kConnect;
}

// Clears the connection's exchange deadline on every way out of exchange().
struct DeadlineGuard {
  Connection& c;
  ~DeadlineGuard() { c.clear_deadline(); }
};

}  // namespace

core::Task<void> HttpClient::exchange(Attempt& a) {
  Response& r = *a.resp;
  Connection& c = connection_for(*a.url);
  DeadlineGuard guard{c};
  // Parsed fields point into the read buffer and are used before the next suspension, so
  // one head per thread serves every connection (idle connections hold no field storage).
  thread_local http::ResponseHead head;
  serialize(a);
  // --timeout: from the start of writing the request to the last body byte, across a retry
  // on a fresh connection. Armed for the whole exchange; the loop's sweep marks it expired.
  std::int64_t deadline = 0;
  auto timeout_text = [this] { return format_duration(config_.timeout); };
  for (int round = 0;; ++round) {
    a.last_read_ns = 0;  // this round's reads only
    const bool reused = c.is_open();
    if (!reused) {
      net::ConnectResult cr = co_await c.connect(core::mono_ns() + config_.connect_timeout.count());
      if (cancelled_) throw core::Cancelled{};
      if (cr.status != net::ConnectStatus::kOk) {
        set_failure(r, connect_outcome(cr.status), cr.detail);
        co_return;
      }
    }
    // On a reused connection the attempt's start is the write's start (serialize() between
    // them reads no clock); after a connect, its end.
    if (deadline == 0) deadline = (reused ? a.start_ns : core::mono_ns()) + config_.timeout.count();
    c.arm_deadline(deadline);
    c.count_use();
    const net::IoResult w = co_await c.write_all(r.b_->request);
    if (cancelled_) throw core::Cancelled{};
    if (w.ec) {
      const bool timed_out = c.deadline_expired();
      c.close();
      if (timed_out) {
        set_failure(r, Outcome::kReadTimeout,
                    fmt::format("request not sent within {}", timeout_text()));
        co_return;
      }
      if (reused && round == 0) continue;  // stale keep-alive connection: retry once
      set_failure(r, Outcome::kReset, w.ec.message());
      co_return;
    }

    // Response head (RFC 9112 §2.1), skipping interim 1xx responses (RFC 9110 §15.2): they
    // count against the same deadline, so an endless stream of them ends as read_timeout.
    bool got_any = false;
    bool retry = false;
    for (;;) {
      if (c.rlen > c.rpos) {
        got_any = true;
        const auto hr = http::parse_response_head(c.rbuf.data() + c.rpos, c.rlen - c.rpos,
                                                  a.method == http::Method::kHead, head, kMaxHead);
        if (hr.kind == http::HeadResult::Kind::kDone) {
          if (head.status >= 100 && head.status < 200 && head.status != 101) {
            c.rpos += hr.consumed;
            continue;
          }
          r.b_->head.assign(c.rbuf.data() + c.rpos, hr.consumed);
          c.rpos += hr.consumed;
          break;
        }
        if (hr.kind == http::HeadResult::Kind::kError) {
          c.close();
          set_failure(r, Outcome::kMalformed, http::to_string(hr.error));
          co_return;
        }
      }
      const net::IoResult rd = co_await c.read_more(kMaxReadBuffer);
      a.last_read_ns = rd.at_ns;
      if (cancelled_) throw core::Cancelled{};
      if (rd.ec) {
        const bool timed_out = c.deadline_expired();
        c.close();
        if (timed_out) {
          set_failure(r, Outcome::kReadTimeout,
                      fmt::format("no response within {}", timeout_text()));
        } else if (net::is_message_size(rd.ec)) {
          set_failure(r, Outcome::kMalformed, http::to_string(http::ParseError::kHeadTooLarge));
        } else if (!got_any && reused && round == 0) {
          retry = true;  // closed by the server while idle: retry once on a new connection
        } else if (!got_any) {
          set_failure(
              r, Outcome::kReset,
              net::is_eof(rd.ec) ? "connection closed before any response byte" : rd.ec.message());
        } else if (net::is_eof(rd.ec)) {
          set_failure(r, Outcome::kIncomplete, "connection closed inside the response head");
        } else {
          set_failure(r, Outcome::kReset, rd.ec.message());
        }
        if (!retry) co_return;
        break;
      }
    }
    if (retry) continue;

    // What we need from the fields, taken now: the read buffer is reused for the body.
    r.status_ = head.status;
    const Coding coding = head.has_content_encoding ? parse_content_encoding(head.content_encoding)
                                                    : Coding::kIdentity;
    if (head.location.empty()) {
      a.location.clear();
    } else {
      a.location.assign(head.location);
    }
    if (head.set_cookie_count != 0) {
      const auto now_s = static_cast<std::int64_t>(core::wall_seconds());
      for (const auto& f : head.fields) {
        if (f.name.size() == 10 && iequals(f.name, "set-cookie")) {
          cookies_.store(f.value, *a.url, a.target, now_s);
        }
      }
    }
    if (head.status >= 400) {
      r.outcome_ = Outcome::kHttpStatus;
      std::string& error = r.b_->error;
      error.clear();
      fmt::format_to(std::back_inserter(error), "http_status: {} {}", head.status, head.reason);
    } else {
      r.outcome_ = Outcome::kOk;
    }
    co_await read_body(c, a,
                       BodyFraming{coding, head.body_mode, head.content_length, head.keep_alive});
    co_return;
  }
}

core::Task<Response> HttpClient::request(http::Method method, std::string_view url,
                                         RequestOptions opts) {
  if (cancelled_) throw core::Cancelled{};
  Response r;
  Response::Buffers& buf = r.buffers();
  r.method_ = method;
  const std::int64_t t0 = core::mono_ns();
  r.start_wall_ns_ = core::wall_ns_at(t0);

  Attempt a{method,
            &config_.base,
            {},
            opts.json.empty() ? opts.body : opts.json,
            !opts.json.empty(),
            opts.headers,
            opts.response_body == ResponseBody::kKeep,
            &r,
            {}};
  http::Url hop_url;
  std::string joined;  // base path prefix + path
  bool usable = true;
  if (!url.empty() && url.front() == '/') {
    if (config_.base.host.empty()) {
      set_failure(r, Outcome::kMalformed,
                  fmt::format("relative URL '{}' but no host: pass --host", url));
      usable = false;
    } else if (config_.base.target == "/" || config_.base.target.empty()) {
      a.target = url;
    } else {
      // Locust joins base_url + path; drop a duplicate slash.
      std::string_view prefix = config_.base.target;
      if (prefix.back() == '/') prefix.remove_suffix(1);
      joined.assign(prefix).append(url);
      a.target = joined;
    }
  } else {
    auto parsed = http::parse_url(url);
    if (!parsed) {
      set_failure(r, Outcome::kMalformed, parsed.error().message);
      usable = false;
    } else {
      hop_url = std::move(*parsed);
      a.url = &hop_url;
      a.target = hop_url.target;
    }
  }

  // One timeline for the request and its attempts (CLIENT spans): the first attempt starts
  // with the request, and the request ends with its last attempt, before the observer records
  // that attempt. So a single-attempt request's span lasts exactly its response time in the
  // stats (the observer's own work, or a preemption while it runs, counts in neither). Wall
  // times are the request's start plus monotonic offsets (a wall clock step moves no duration).
  std::int64_t end_mono = 0;  // the last attempt's end; 0: none made
  if (usable) {
    for (int hops = 0;; ++hops) {
      buf.head.clear();
      buf.body.clear();
      buf.error.clear();
      r.status_ = 0;
      r.bytes_ = 0;
      const std::int64_t attempt_start_mono = hops == 0 ? t0 : core::mono_ns();
      const std::int64_t attempt_start = r.start_wall_ns_ + (attempt_start_mono - t0);
      a.start_ns = attempt_start_mono;
      try {
        co_await exchange(a);
      } catch (const core::Cancelled&) {
        // The user was killed mid-request: the attempt still ends (its span, without an
        // error), the request itself is not counted.
        if (observer_) {
          r.outcome_ = Outcome::kCancelled;
          report_attempt(a, r, opts.name.empty() ? url : std::string_view(opts.name),
                         !opts.name.empty(), attempt_start, core::mono_ns() - attempt_start_mono,
                         hops);
        }
        throw;
      }
      // The completion of the read that ended the exchange, when it ended with one.
      // (A kernel receive time stamp before the attempt's start would mean the wall clock
      // was stepped since the thread's clock offset was read: the clock then.)
      end_mono = a.last_read_ns >= attempt_start_mono ? a.last_read_ns : core::mono_ns();
      if (observer_)
        report_attempt(a, r, opts.name.empty() ? url : std::string_view(opts.name),
                       !opts.name.empty(), attempt_start, end_mono - attempt_start_mono, hops);
      if (r.outcome_ != Outcome::kOk || !opts.allow_redirects || !is_redirect(r.status_) ||
          a.location.empty()) {
        break;
      }
      if (hops >= config_.max_redirects) {
        set_failure(r, Outcome::kTooManyRedirects,
                    fmt::format("more than {} redirects", config_.max_redirects));
        break;
      }
      // RFC 3986 §5.2: the base is the URI just requested; for a path under --host that is
      // the base origin with this request's target, not the base URL itself.
      http::Url requested;
      const http::Url* ref_base = a.url;
      if (a.url == &config_.base && a.target != config_.base.target) {
        requested = config_.base;
        requested.target.assign(a.target);
        ref_base = &requested;
      }
      auto next = http::resolve_reference(*ref_base, a.location);
      if (!next) {
        set_failure(r, Outcome::kMalformed,
                    fmt::format("bad Location '{}': {}", a.location, next.error().message));
        break;
      }
      // RFC 9110 §15.4: 303 → GET; 301/302 after POST → GET (what browsers and requests do).
      const int st = r.status_;
      if (a.method != http::Method::kHead &&
          (st == 303 || ((st == 301 || st == 302) && a.method == http::Method::kPost))) {
        a.method = http::Method::kGet;
        a.body = {};
        a.json = false;
      }
      hop_url = std::move(*next);
      a.url = &hop_url;
      a.target = hop_url.target;
    }
  }

  r.duration_ns_ = (end_mono != 0 ? end_mono : core::mono_ns()) - t0;
  buf.url.clear();
  if (a.url == &config_.base) {
    buf.url.append(config_.base_origin);
  } else {
    buf.url.append(a.url->origin());
  }
  buf.url.append(a.target);
  const std::string_view name = opts.name.empty() ? url : opts.name;
  if (opts.catch_response) {
    buf.name.assign(name);
    r.pending_observer_ = observer_;
  } else if (observer_) {
    observer_->on_request(RequestRecord{r.method_, name, buf.url, r.status_, r.outcome_, buf.error,
                                        r.start_wall_ns_, r.duration_ns_, r.bytes_,
                                        r.sampled_trace_id_});
  }
  co_return r;
}

}  // namespace loadgen::client
