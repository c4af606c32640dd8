#include "flags/ofrep_flag_source.hpp"

#include <fmt/format.h>

#include <cmath>
#include <random>
#include <type_traits>
#include <utility>
#include <variant>

#include "client/http_client.hpp"
#include "client/propagation.hpp"
#include "client/request_observer.hpp"
#include "client/response.hpp"
#include "core/clock.hpp"
#include "net/event_loop.hpp"

namespace loadgen::flags {

namespace {

constexpr std::size_t kMaxShownValue = 80;

enum class Conversion { kValue, kCodeDefault, kMismatch };

// int_value: JSON integers, and numbers with an integral value within int64 range.
Conversion to_int(const OfrepValue& v, std::int64_t& out) {
  if (std::holds_alternative<std::monostate>(v)) return Conversion::kCodeDefault;
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out = *i;
    return Conversion::kValue;
  }
  if (const auto* d = std::get_if<double>(&v)) {
    // [-2^63, 2^63): the doubles that convert to int64 exactly.
    if (std::isfinite(*d) && std::trunc(*d) == *d && *d >= -9223372036854775808.0 &&
        *d < 9223372036854775808.0) {
      out = static_cast<std::int64_t>(*d);
      return Conversion::kValue;
    }
  }
  return Conversion::kMismatch;
}

// bool_value: JSON booleans, and the numbers 0 and 1.
Conversion to_bool(const OfrepValue& v, bool& out) {
  if (std::holds_alternative<std::monostate>(v)) return Conversion::kCodeDefault;
  if (const auto* b = std::get_if<bool>(&v)) {
    out = *b;
    return Conversion::kValue;
  }
  std::int64_t n = 0;
  if (to_int(v, n) == Conversion::kValue && (n == 0 || n == 1)) {
    out = n == 1;
    return Conversion::kValue;
  }
  return Conversion::kMismatch;
}

std::string describe(const OfrepValue& v) {
  std::string s = std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "(none)";
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          return fmt::format("{}", x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return fmt::format("\"{}\"", x);
        } else {
          return x.text;
        }
      },
      v);
  if (s.size() > kMaxShownValue) {
    s.resize(kMaxShownValue);
    s += "...";
  }
  return s;
}

std::string with_details(std::string_view code, std::string_view details) {
  if (details.empty()) return std::string(code);
  return fmt::format("{}: {}", code, details);
}

}  // namespace

struct OfrepFlagSource::Entry {
  std::string key;
  std::string path;                            // /ofrep/v1/evaluate/flags/<key, percent-encoded>
  std::unique_ptr<client::HttpClient> client;  // one per key: one fetch per key in flight
  client::RequestTrace trace;  // the latest caller's trace context, copied (it may go away)
  bool in_flight = false;
  bool has_result = false;
  std::int64_t fetched_ns = 0;  // monotonic time the latest fetch ended
  OfrepResult result;
  std::string message;  // the warning text for result's error, without the default
};

OfrepFlagSource::OfrepFlagSource(net::EventLoop& loop, const OfrepConfig& cfg, core::LogSink* log,
                                 client::RequestObserver* observer,
                                 core::RateLimitedWarning* shared_warnings)
    : loop_(loop),
      cfg_(cfg),
      body_(ofrep_request_body(cfg.targeting_key)),
      observer_(observer),
      own_warnings_(log, cfg.warn_interval),
      warnings_(shared_warnings ? shared_warnings : &own_warnings_),
      rng_(std::random_device{}() ^ static_cast<std::uint64_t>(core::wall_ns())) {
  auto base = ofrep_base_url(cfg_);
  if (base) {
    client_cfg_.set_base(std::move(*base));
    origin_ = client_cfg_.base_origin;
  } else {
    base_error_ = base.error().message;
    origin_ = cfg_.host;
  }
  client_cfg_.connect_timeout = cfg_.timeout;
  client_cfg_.timeout = cfg_.timeout;
  client_cfg_.max_redirects = 0;
}

OfrepFlagSource::~OfrepFlagSource() = default;

OfrepFlagSource::Entry& OfrepFlagSource::entry_for(std::string_view key) {
  if (auto it = entries_.find(key); it != entries_.end()) return *it->second;
  auto e = std::make_unique<Entry>();
  e->key.assign(key);
  e->path = ofrep_evaluate_path(key);
  Entry& ref = *e;
  entries_.emplace(ref.key, std::move(e));
  return ref;
}

bool OfrepFlagSource::would_fetch(std::string_view key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() || needs_fetch(*it->second);
}

bool OfrepFlagSource::needs_fetch(const Entry& e) const {
  if (e.in_flight) return false;
  if (!e.has_result) return true;
  return core::mono_ns() - e.fetched_ns >= std::chrono::nanoseconds(cfg_.cache_ttl).count();
}

core::Task<void> OfrepFlagSource::refresh(Entry& e, const client::RequestTrace* trace) {
  e.in_flight = true;
  if (trace != nullptr && trace->propagation != nullptr) {
    e.trace = *trace;
    e.trace.rng = &rng_;
  } else {
    e.trace = client::RequestTrace{};
  }
  OfrepResult result;
  std::string message;
  if (!base_error_.empty()) {
    result.error = EvalError::kConfig;
    result.error_code = "PROVIDER_FATAL";
    message = fmt::format("flag '{}': {}", e.key, base_error_);
  } else {
    if (!e.client) {
      e.client = std::make_unique<client::HttpClient>(loop_, client_cfg_, observer_);
      e.client->set_trace(&e.trace);
    }
    client::RequestOptions opts;
    opts.json = body_;
    opts.allow_redirects = false;
    client::Response r;
    try {
      r = co_await e.client->post(e.path, opts);
    } catch (...) {
      // Only a cancelled client throws, and nobody cancels this one; keep the entry usable.
      e.in_flight = false;
      throw;
    }
    switch (r.outcome()) {
      case client::Outcome::kOk:
      case client::Outcome::kHttpStatus:
      case client::Outcome::kTooManyRedirects:
      case client::Outcome::kCheckFailed:
        result = parse_ofrep_response(r.status_code(), r.text());
        break;
      case client::Outcome::kConnectTimeout:
      case client::Outcome::kReadTimeout:
        result.error = EvalError::kTimeout;
        result.error_code = "GENERAL";
        result.error_details = std::string(r.error());
        break;
      case client::Outcome::kResolve:
      case client::Outcome::kConnectRefused:
      case client::Outcome::kConnect:
      case client::Outcome::kTls:
      case client::Outcome::kReset:
      case client::Outcome::kMalformed:
      case client::Outcome::kIncomplete:
      case client::Outcome::kBodyTooLarge:
      case client::Outcome::kCancelled:
        result.error = EvalError::kTransport;
        result.error_code = "GENERAL";
        result.error_details = std::string(r.error());
        break;
    }
    switch (result.error) {
      case EvalError::kNone:
        break;
      case EvalError::kTransport:
      case EvalError::kTimeout:
        message = fmt::format("flag '{}': flagd at {} did not answer ({})", e.key, origin_,
                              result.error_details);
        break;
      case EvalError::kHttpStatus:
        message =
            fmt::format("flag '{}': flagd at {} answered {}", e.key, origin_, result.error_details);
        break;
      case EvalError::kMalformed:
        message =
            fmt::format("flag '{}': the answer of flagd at {} is not an OFREP evaluation ({})",
                        e.key, origin_, result.error_details);
        break;
      case EvalError::kFlagNotFound:
        message = fmt::format("flag '{}' is not defined in flagd at {} ({})", e.key, origin_,
                              with_details(result.error_code, result.error_details));
        break;
      case EvalError::kFlagError:
        message = fmt::format("flag '{}': flagd at {} could not evaluate it ({})", e.key, origin_,
                              with_details(result.error_code, result.error_details));
        break;
      case EvalError::kTypeMismatch:
      case EvalError::kConfig:
        message = fmt::format("flag '{}': {}", e.key, result.error_details);
        break;
    }
  }
  e.result = std::move(result);
  e.message = std::move(message);
  e.has_result = true;
  e.fetched_ns = core::mono_ns();
  e.in_flight = false;
}

bool OfrepFlagSource::settle(const Entry& e, bool from_cache, bool value_usable,
                             std::string_view wanted, const OfrepValue& default_value) {
  last_.key.assign(e.key);
  last_.from_cache = from_cache;
  last_.variant.clear();
  last_.error_message.clear();
  if (!e.has_result) {
    // The first fetch of this key is in flight elsewhere: the default, without waiting.
    last_.reason.assign("ERROR");
    last_.error_code.assign("PROVIDER_NOT_READY");
    last_.error_message.assign("the first evaluation of this flag is still waiting for flagd");
    return false;
  }
  EvalError error = e.result.error;
  if (error == EvalError::kNone && !value_usable) error = EvalError::kTypeMismatch;
  if (error == EvalError::kNone) {
    last_.variant.assign(e.result.variant);
    // OpenFeature: a value served from the provider's cache has the reason CACHED.
    last_.reason.assign(from_cache ? std::string_view("CACHED")
                                   : std::string_view(e.result.reason));
    last_.error_code.clear();
    return true;
  }
  last_.reason.assign("ERROR");
  std::string message;
  if (error == EvalError::kTypeMismatch) {
    last_.error_code.assign("TYPE_MISMATCH");
    message = fmt::format("flag '{}': flagd's value {} is not {} (TYPE_MISMATCH)", e.key,
                          describe(e.result.value), wanted);
  } else {
    last_.error_code.assign(e.result.error_code);
    message = e.message;
  }
  last_.error_message = message;
  message += fmt::format("; using the default value {}", describe(default_value));
  warnings_->warn(fmt::format("flag:{}:{}", e.key, to_string(error)), message, core::mono_ns());
  return false;
}

core::Task<std::int64_t> OfrepFlagSource::int_value(std::string_view key,
                                                    std::int64_t default_value,
                                                    const client::RequestTrace* trace) {
  Entry& e = entry_for(key);
  bool from_cache = true;
  if (needs_fetch(e)) {
    from_cache = false;
    co_await refresh(e, trace);
  }
  std::int64_t value = default_value;
  Conversion c = Conversion::kCodeDefault;
  if (e.has_result && e.result.ok()) c = to_int(e.result.value, value);
  const bool ok =
      settle(e, from_cache, c != Conversion::kMismatch, "an integer", OfrepValue(default_value));
  co_return ok&& c == Conversion::kValue ? value : default_value;
}

core::Task<bool> OfrepFlagSource::bool_value(std::string_view key, bool default_value,
                                             const client::RequestTrace* trace) {
  Entry& e = entry_for(key);
  bool from_cache = true;
  if (needs_fetch(e)) {
    from_cache = false;
    co_await refresh(e, trace);
  }
  bool value = default_value;
  Conversion c = Conversion::kCodeDefault;
  if (e.has_result && e.result.ok()) c = to_bool(e.result.value, value);
  const bool ok = settle(e, from_cache, c != Conversion::kMismatch, "a boolean (or 0/1)",
                         OfrepValue(default_value));
  co_return ok&& c == Conversion::kValue ? value : default_value;
}

}  // namespace loadgen::flags
