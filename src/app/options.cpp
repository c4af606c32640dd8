// Command line, environment and config-file parsing (see options.hpp). CLI11 only tokenizes the
// command line into raw strings; every source then goes through the same conversion and
// validation below, so messages name the source and all problems are reported together.
#include "app/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "app/options_help.hpp"
#include "app/options_sources.hpp"
#include "core/redact.hpp"
#include "core/strings.hpp"
#include "core/timespan.hpp"
#include "core/version.hpp"
#include "http/url.hpp"
#include "plan/stages.hpp"
#include "scenario/wait_time.hpp"
#include "stats/threshold.hpp"

namespace loadgen::app {
namespace {

using namespace options_detail;  // NOLINT(google-build-using-namespace): this file's helpers

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// How a setting is named in cross-option messages.
std::string describe(const Setting& s) {
  switch (s.kind) {
    case SourceKind::kCli:
      return s.origin;
    case SourceKind::kEnv:
      return fmt::format("{} (environment)", s.origin);
    case SourceKind::kConfigFile:
      return fmt::format("{}:{} ({})", s.origin, s.line, s.key);
  }
  return s.origin;
}

// The reason in a core error message of the form "<what>: '<text>' is <reason>", plus its hint.
std::string reason_of(const core::Error& e, std::string_view what, std::string_view text) {
  const std::string prefix = fmt::format("{}: '{}' is ", what, text);
  std::string reason = e.message.compare(0, prefix.size(), prefix) == 0
                           ? e.message.substr(prefix.size())
                           : e.message;
  if (!e.hint.empty()) reason += "; " + e.hint;
  return reason;
}

// ---- value conversion ------------------------------------------------------------------------

// configargparse (1.5.3, convert_item_to_command_line_arg) accepts exactly these, case-insensitive,
// for flags in env vars and config files; anything else is an error there too. Unlike
// configargparse, an explicit false also overrides a true from a lower-precedence source.
std::optional<bool> parse_bool(std::string_view v) {
  const std::string l = to_lower(trim(v));
  if (l == "true" || l == "yes" || l == "1") return true;
  if (l == "false" || l == "no" || l == "0") return false;
  return std::nullopt;
}

template <class Int>
bool parse_integer(std::string_view v, Int& out) {
  v = trim(v);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return !v.empty() && ec == std::errc() && ptr == v.data() + v.size();
}

// An int in [lo, hi]; reports "not an integer", "negative" or "out of range (lo..hi)".
void convert_int(const Setting& s, Problems& p, int lo, int hi, int& out) {
  const std::string& v = s.values.back();
  long long n = 0;
  if (!parse_integer(v, n)) {
    // Digits beyond long long: an integer all the same, only out of range.
    std::string_view t = trim(v);
    if (!t.empty() && (t.front() == '+' || t.front() == '-')) t.remove_prefix(1);
    const bool digits =
        !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    p.bad_value(s, v, digits ? fmt::format("out of range ({}..{})", lo, hi) : "not an integer");
  } else if (n < lo) {
    p.bad_value(s, v, lo == 0 ? "negative" : fmt::format("out of range ({}..{})", lo, hi));
  } else if (n > hi) {
    p.bad_value(s, v, fmt::format("out of range ({}..{})", lo, hi));
  } else {
    out = static_cast<int>(n);
  }
}

void convert_bool(const Setting& s, Problems& p, bool& out) {
  const std::string& v = s.values.back();
  if (auto b = parse_bool(v)) {
    out = *b;
  } else {
    p.bad_value(s, v, "not a boolean (true/false, yes/no, 1/0)");
  }
}

void convert_timespan(const Setting& s, Problems& p, std::optional<std::chrono::seconds>& out) {
  const std::string& v = s.values.back();
  auto r = core::parse_timespan(v, s.origin);
  if (r) {
    out = *r;
  } else {
    p.bad_value(s, v, reason_of(r.error(), s.origin, v));
  }
}

void convert_duration(const Setting& s, Problems& p, std::chrono::milliseconds& out) {
  const std::string& v = s.values.back();
  auto r = core::parse_duration(v, s.origin);
  if (!r) {
    p.bad_value(s, v, reason_of(r.error(), s.origin, v));
  } else if (r->count() == 0) {
    p.bad_value(s, v, "zero (must be > 0)");
  } else {
    out = std::chrono::ceil<std::chrono::milliseconds>(*r);
  }
}

// A byte size: a number (decimals allowed with a unit) and an optional unit, case-insensitive:
// B/bytes, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024). Bounded to 1 TiB.
void convert_byte_size(const Setting& s, Problems& p, std::uint64_t& out) {
  const std::string& v = s.values.back();
  const std::string_view t = trim(v);
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const std::string_view number = t.substr(0, i);
  const std::string unit = to_lower(trim(t.substr(i)));
  static constexpr std::array<std::pair<std::string_view, double>, 11> kUnits = {
      {{"", 1.0},
       {"b", 1.0},
       {"bytes", 1.0},
       {"kb", 1e3},
       {"mb", 1e6},
       {"gb", 1e9},
       {"tb", 1e12},
       {"kib", 1024.0},
       {"mib", 1048576.0},
       {"gib", 1073741824.0},
       {"tib", 1099511627776.0}}};
  const auto* u =
      std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& e) { return e.first == unit; });
  double n = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size()) {
    p.bad_value(s, v, "not a size (e.g. 16MiB, 512KiB, 1GB, 4096)");
  } else if (u == kUnits.end()) {
    p.bad_value(s, v,
                fmt::format("not a size: unknown unit '{}' (B, KB, MB, GB, KiB, MiB, GiB)",
                            trim(t.substr(i))));
  } else if (n * u->second < 1.0) {
    p.bad_value(s, v, "zero (must be at least 1 byte)");
  } else if (n * u->second > 1099511627776.0) {
    p.bad_value(s, v, "too large (at most 1TiB)");
  } else {
    out = static_cast<std::uint64_t>(n * u->second);
  }
}

// --header fields that would frame the request body: loadgen always frames the body it sends
// with its own Content-Length (RFC 9112 §6.1-6.3); a second framing could desynchronize the
// connection (request smuggling), so they are refused instead of silently dropped.
std::string_view framing_header(std::string_view h) {
  const std::string name = to_lower(trim(h.substr(0, h.find(':'))));
  if (name == "content-length") return "Content-Length";
  if (name == "transfer-encoding") return "Transfer-Encoding";
  return {};
}

// Light URL check through http::parse_url; the reason is the tail of its message.
void convert_host(const Setting& s, Problems& p, std::string& out) {
  const std::string& v = s.values.back();
  if (v.empty()) {
    out.clear();
    return;
  }
  auto r = http::parse_url(v);
  if (r) {
    out = v;
    return;
  }
  const std::string& m = r.error().message;
  const std::size_t at = m.rfind("': ");
  const std::string reason = at == std::string::npos ? m : m.substr(at + 3);
  // user:password@ (basic auth, as Locust takes it from the host) is never echoed.
  p.bad_value(s, core::redact_userinfo(v),
              fmt::format("not an http:// or https:// URL: {}", reason));
}

bool is_tchar(char c) {
  // RFC 9110 §5.6.2 token characters.
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_ctl(std::string_view v, bool allow_tab) {
  return std::any_of(v.begin(), v.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f;
  });
}

// "Name: value": a token, a colon, then a field value without CR, LF or NUL (RFC 9110 §5.5).
bool valid_header(std::string_view h) {
  const std::size_t colon = h.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  const std::string_view name = h.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar)) return false;
  return !has_ctl(h.substr(colon + 1), /*allow_tab=*/true);
}

// A path for the request line (RFC 9112 §3.2.1 origin-form): starts with '/', no spaces or CTLs.
bool valid_path(std::string_view v) {
  return !v.empty() && v.front() == '/' && v.find(' ') == std::string_view::npos &&
         !has_ctl(v, /*allow_tab=*/false);
}

bool valid_scenario(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

constexpr std::array<std::string_view, 5> kLogLevels = {"DEBUG", "INFO", "WARNING", "ERROR",
                                                        "CRITICAL"};
constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST", "PUT",    "DELETE",
                                                      "PATCH", "HEAD", "OPTIONS"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Applies one setting to `o`. Exhaustive over OptionId: a new option fails to compile (-Wswitch)
// until it is handled here.
void apply(OptionId id, const Setting& s, Options& o, Problems& p) {
  const std::string& v = s.values.empty() ? std::string() : s.values.back();
  switch (id) {
    case OptionId::kHost:
      convert_host(s, p, o.host);
      return;
    case OptionId::kUsers:
      convert_int(s, p, 0, 1'000'000'000, o.users);
      return;
    case OptionId::kSpawnRate: {
      double d = 0;
      const std::string_view t = trim(v);
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
      if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(d)) {
        p.bad_value(s, v, "not a number");
      } else if (d <= 0) {
        p.bad_value(s, v, "not greater than 0");
      } else if (d > plan::kMaxSpawnRate) {
        p.bad_value(s, v, fmt::format("too high (at most {:g} users/s)", plan::kMaxSpawnRate));
      } else {
        o.spawn_rate = d;
      }
      return;
    }
    case OptionId::kRunTime:
      convert_timespan(s, p, o.run_time);
      // Locust 2.12 main.py: `if options.run_time:` after parse_timespan, so 0 means no limit.
      if (o.run_time && o.run_time->count() == 0) o.run_time.reset();
      return;
    case OptionId::kHeadless:
      convert_bool(s, p, o.headless);
      return;
    case OptionId::kAutostart:
      convert_bool(s, p, o.autostart);
      return;
    case OptionId::kAutoquit:
      convert_int(s, p, -1, 31'536'000, o.autoquit);
      return;
    case OptionId::kStopTimeout:
      convert_timespan(s, p, o.stop_timeout);
      return;
    case OptionId::kLoglevel: {
      const std::string up = to_upper(trim(v));
      if (one_of(kLogLevels, up)) {
        o.loglevel = up;
      } else {
        p.bad_value(s, v, "not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)");
      }
      return;
    }
    case OptionId::kLogfile:
      o.logfile = v;
      return;
    case OptionId::kCsv:
      o.csv_prefix = v;
      return;
    case OptionId::kCsvFullHistory:
      convert_bool(s, p, o.csv_full_history);
      return;
    case OptionId::kPrintStats:
      convert_bool(s, p, o.print_stats);
      return;
    case OptionId::kOnlySummary:
      convert_bool(s, p, o.only_summary);
      return;
    case OptionId::kJson:
      convert_bool(s, p, o.json);
      return;
    case OptionId::kJsonFile:
      o.json_file = v;
      return;
    case OptionId::kHtml:
      o.html_file = v;
      return;
    case OptionId::kExitCodeOnError:
      convert_int(s, p, 0, 255, o.exit_code_on_error);
      return;
    case OptionId::kWebHost:
      o.web_host = v;
      return;
    case OptionId::kWebPort:
      convert_int(s, p, 0, 65535, o.web_port);
      return;
    case OptionId::kWebAuth:
      // Locust 2.12 web.py: exactly one ':' ("user:pass").
      if (std::count(v.begin(), v.end(), ':') != 1) {
        p.bad_value(s, "<redacted>", "not of the form user:pass");
      } else {
        o.web_auth = v;
      }
      return;
    case OptionId::kTlsCert:
    case OptionId::kTlsKey: {
      std::string error;
      if (!read_file(v, error)) {
        p.bad_value(s, v, fmt::format("not a readable file ({})", error));
      } else {
        (id == OptionId::kTlsCert ? o.tls_cert : o.tls_key) = v;
      }
      return;
    }
    case OptionId::kResetStats:
      convert_bool(s, p, o.reset_stats);
      return;
    case OptionId::kThreads:
      convert_int(s, p, 0, 4096, o.threads);
      return;
    case OptionId::kScenario:
      if (valid_scenario(v)) {
        o.scenario = v;
      } else {
        p.bad_value(s, v, "not a scenario name (lowercase letters, digits and '-')");
      }
      return;
    case OptionId::kPath:
      o.paths.clear();
      for (const std::string& path : s.values) {
        if (valid_path(path)) {
          o.paths.push_back(path);
        } else {
          p.bad_value(s, path, "not a path (must start with '/', without spaces)");
        }
      }
      return;
    case OptionId::kMethod: {
      const std::string up = to_upper(trim(v));
      if (one_of(kMethods, up)) {
        o.method = up;
      } else {
        p.bad_value(s, v, "not a supported method (GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS)");
      }
      return;
    }
    case OptionId::kPeople:
      o.people_file = v;
      return;
    case OptionId::kLocustfile:
      if (v.empty()) {
        p.bad_value(s, v, "empty: name a .yaml, .yml or .lua scenario file");
      } else {
        o.locustfile = v;
      }
      return;
    case OptionId::kBody:
      o.body = v;
      return;
    case OptionId::kBodyFile: {
      std::string error;
      if (auto content = read_file(v, error)) {
        o.body = std::move(*content);
      } else {
        p.bad_value(s, v, fmt::format("not a readable file ({})", error));
      }
      return;
    }
    case OptionId::kHeader:
      o.headers.clear();
      for (const std::string& h : s.values) {
        if (!valid_header(h)) {
          p.bad_value(s, h, "not a header of the form 'Name: value'");
        } else if (const auto f = framing_header(h); !f.empty()) {
          p.bad_value(s, h,
                      fmt::format("not allowed: {} frames the request body, and loadgen "
                                  "computes Content-Length from the body it sends (RFC 9112 "
                                  "§6); remove this header",
                                  f));
        } else {
          o.headers.push_back(h);
        }
      }
      return;
    case OptionId::kWaitTime: {
      // The scenario module owns the syntax; its reasons read "<what>: '<text>' <verb ...>".
      auto r = scenario::parse_wait_time(v, s.origin);
      if (!r) {
        const std::string prefix = fmt::format("{}: '{}' ", s.origin, v);
        const std::string& m = r.error().message;
        const std::string why =
            m.compare(0, prefix.size(), prefix) == 0 ? m.substr(prefix.size()) : m;
        p.bad_value(s, v, fmt::format("not a valid wait time: it {}; {}", why, r.error().hint));
        return;
      }
      o.wait_time.clear();
      for (char c : v) {
        if (!std::isspace(static_cast<unsigned char>(c))) o.wait_time += c;
      }
      return;
    }
    case OptionId::kConnectTimeout:
      convert_duration(s, p, o.connect_timeout);
      return;
    case OptionId::kTimeout:
      convert_duration(s, p, o.timeout);
      return;
    case OptionId::kInsecure:
      convert_bool(s, p, o.insecure);
      return;
    case OptionId::kMaxRedirects:
      convert_int(s, p, 0, 1000, o.max_redirects);
      return;
    case OptionId::kMaxBodySize:
      convert_byte_size(s, p, o.max_body_size);
      return;
    case OptionId::kSeed:
      if (!parse_integer(v, o.seed)) p.bad_value(s, v, "not an unsigned 64-bit integer");
      return;
    case OptionId::kLoopNap: {
      auto r = core::parse_duration(v, s.origin);
      if (!r) {
        p.bad_value(s, v, reason_of(r.error(), s.origin, v));
      } else if (*r > std::chrono::milliseconds(1)) {
        p.bad_value(s, v, "too long (at most 1ms)");
      } else {
        o.loop_nap = *r;
      }
      return;
    }
    case OptionId::kParkAfter: {
      auto r = core::parse_duration(v, s.origin);
      if (r) {
        o.park_after = *r;
      } else {
        p.bad_value(s, v, reason_of(r.error(), s.origin, v));
      }
      return;
    }
    case OptionId::kConnectionPool:
      convert_int(s, p, 0, 1'000'000, o.connection_pool);
      return;
    case OptionId::kFlushTimeout:
      convert_duration(s, p, o.flush_timeout);
      return;
    case OptionId::kTraceLink:
      if (v.find("{trace_id}") == std::string::npos) {
        p.bad_value(s, v, "missing {trace_id} (e.g. http://jaeger:16686/trace/{trace_id})");
      } else {
        o.trace_link = v;
      }
      return;
    case OptionId::kTags:
    case OptionId::kExcludeTags: {
      // Locust keeps the words as given; an empty word can match no task, so it is dropped.
      auto& out = id == OptionId::kTags ? o.tags : o.exclude_tags;
      out.clear();
      for (const std::string& t : s.values) {
        if (!t.empty()) out.push_back(t);
      }
      return;
    }
    case OptionId::kList:
      convert_bool(s, p, o.list_user_classes);
      return;
    case OptionId::kShowTaskRatio:
      convert_bool(s, p, o.show_task_ratio);
      return;
    case OptionId::kShowTaskRatioJson:
      convert_bool(s, p, o.show_task_ratio_json);
      return;
    case OptionId::kThreshold:
      o.thresholds.clear();
      o.thresholds_origin =
          s.kind == SourceKind::kConfigFile ? fmt::format("{}:{}", s.origin, s.line) : s.origin;
      for (const std::string& t : s.values) {
        stats::Threshold parsed;
        if (std::string why = stats::threshold_problem(t, parsed); !why.empty()) {
          p.bad_value(s, t, "not a threshold: " + why);
        } else {
          o.thresholds.push_back(t);
        }
      }
      return;
    case OptionId::kSummaryJson:
      o.summary_json = v;
      return;
    case OptionId::kStages:
    case OptionId::kArrivalStages: {
      const bool users = id == OptionId::kStages;
      auto r = plan::parse_stages(
          v, users ? plan::StageKind::kUsers : plan::StageKind::kArrivalRate, s.origin);
      if (!r) {
        p.bad_value(s, v, fmt::format("not valid stages: {}", r.error().message));
      } else {
        (users ? o.stages : o.arrival_stages) = std::move(*r);
      }
      return;
    }
    case OptionId::kArrivalRate: {
      auto r = plan::parse_rate(v);
      if (!r) {
        p.bad_value(s, v, r.error().message);
      } else {
        o.arrival_rate = *r;
      }
      return;
    }
    case OptionId::kMaxUsers: {
      int n = 0;
      const std::size_t before = p.size();
      convert_int(s, p, 1, 1'000'000'000, n);
      if (p.size() == before) o.max_users = n;
      return;
    }
    case OptionId::kMaster:
      convert_bool(s, p, o.master);
      return;
    case OptionId::kMasterBindHost:
      o.master_bind_host = trim(v);
      if (o.master_bind_host.empty()) p.add(fmt::format("{}: empty address", describe(s)));
      return;
    case OptionId::kMasterBindPort:
      convert_int(s, p, 0, 65535, o.master_bind_port);
      return;
    case OptionId::kExpectWorkers:
      convert_int(s, p, 1, 100'000, o.expect_workers);
      return;
    case OptionId::kExpectWorkersMaxWait: {
      int n = 0;
      const std::size_t before = p.size();
      convert_int(s, p, 0, 31'536'000, n);
      if (p.size() == before) o.expect_workers_max_wait = std::chrono::seconds(n);
      return;
    }
    case OptionId::kWorker:
      convert_bool(s, p, o.worker);
      return;
    case OptionId::kMasterHost:
      o.master_host = trim(v);
      if (o.master_host.empty()) p.add(fmt::format("{}: empty host", describe(s)));
      return;
    case OptionId::kMasterPort:
      convert_int(s, p, 1, 65535, o.master_port);
      return;
    case OptionId::kEnableRebalancing: {
      bool ignored = false;  // validated, then nothing to do: the master always rebalances
      convert_bool(s, p, ignored);
      return;
    }
  }
}

ParseResult exit_with(int code, std::string output) {
  ParseResult r;
  r.action = ParseResult::Action::kExit;
  r.exit_code = code;
  r.output = std::move(output);
  return r;
}

}  // namespace

ParseResult parse_options(int argc, const char* const* argv,
                          const std::map<std::string, std::string>& env) {
  // 1. Tokenize the command line. Values stay raw strings; conversion happens below.
  CLI::App cli{"loadgen", "loadgen"};
  cli.set_help_flag();
  cli.allow_extras();
  CLI::Option* help = cli.add_flag("-h,--help");
  CLI::Option* version = cli.add_flag("-V,--version");
  CLI::Option* config =
      cli.add_option("--config")->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::pair<const OptionSpec*, CLI::Option*>> cli_options;
  for (const OptionSpec& spec : option_specs()) {
    std::string names = spec.short_name.empty()
                            ? fmt::format("--{}", spec.long_name)
                            : fmt::format("-{},--{}", spec.short_name, spec.long_name);
    CLI::Option* opt = nullptr;
    switch (spec.kind) {
      case OptionKind::kFlag:
        opt = cli.add_flag(names);
        break;
      case OptionKind::kValue:
        opt = cli.add_option(names)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        break;
      case OptionKind::kList:
        opt = cli.add_option(names)->expected(1)->allow_extra_args(false)->multi_option_policy(
            CLI::MultiOptionPolicy::TakeAll);
        break;
      case OptionKind::kWords:
        opt = cli.add_option(names)
                  ->expected(0, CLI::detail::expected_max_vector_size)
                  ->allow_extra_args(true)
                  ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        break;
    }
    cli_options.emplace_back(&spec, opt);
  }
  try {
    cli.parse(argc, const_cast<char**>(argv));  // CLI11 2.1 takes char**; it does not write.
  } catch (const CLI::ParseError& e) {
    // CLI11 only fails on structure here (values are checked below): an option without its value.
    std::string message = e.what();
    if (e.get_name() == "ArgumentMismatch")
      message = message.substr(0, message.find(':')) + ": missing value";
    return exit_with(kUsageExitCode, fmt::format("{}\n{}\n", message, kUsageHint));
  }
  if (help->count() > 0) return exit_with(0, help_text());
  if (version->count() > 0) return exit_with(0, fmt::format("loadgen {}\n", core::kVersion));

  Problems problems;
  // Leftovers: unknown options, and positional words: Locust's user-class names (checked
  // against the scenario's classes once it is loaded). A word right after an unknown option is
  // most likely its value: one message, not two.
  bool after_unknown = false;
  bool after_dashes = false;
  std::vector<std::string> user_classes;
  for (const std::string& arg : cli.remaining()) {
    if (arg == "--" && !after_dashes) {
      after_dashes = true;
      after_unknown = false;
    } else if (!after_dashes && arg.size() > 1 && arg.front() == '-') {
      problems.add(unknown_option(std::string_view(arg).substr(0, arg.find('='))));
      after_unknown = arg.find('=') == std::string::npos;
    } else {
      if (!after_unknown) user_classes.push_back(arg);
      after_unknown = false;
    }
  }

  // 2. Config files, lowest precedence first: ~/.locust.conf, ./locust.conf, --config FILE.
  Settings settings;
  if (auto home = env.find("HOME"); home != env.end() && !home->second.empty()) {
    read_config_file(home->second + "/.locust.conf", false, settings, problems);
  }
  read_config_file("locust.conf", false, settings, problems);
  std::string config_file;
  if (config->count() > 0) {
    config_file = config->results().back();
    read_config_file(config_file, true, settings, problems);
  }

  // 3. Environment, then 4. the command line, each overriding what came before.
  read_env(env, settings);
  std::vector<std::string> env_warnings;
  unsupported_env_warnings(env, env_warnings);
  for (const auto& [spec, opt] : cli_options) {
    if (opt->count() == 0) continue;
    settings.insert_or_assign(
        spec->id,
        Setting{SourceKind::kCli, opt->results(), fmt::format("--{}", spec->long_name), 0, {}});
  }

  // 5. Convert and validate every setting, collecting all problems.
  ParseResult result;
  Options& o = result.options;
  result.warnings = std::move(env_warnings);
  o.config_file = config_file;
  o.user_classes = std::move(user_classes);
  for (const auto& [id, setting] : settings) apply(id, setting, o, problems);
  o.users_given = settings.contains(OptionId::kUsers);
  if (o.paths.empty()) o.paths.emplace_back("/");

  // Cross-option rules.
  auto body = settings.find(OptionId::kBody);
  auto body_file = settings.find(OptionId::kBodyFile);
  if (body != settings.end() && body_file != settings.end()) {
    problems.add(fmt::format("{} and {} cannot be used together", describe(body->second),
                             describe(body_file->second)));
  }
  auto tls_cert = settings.find(OptionId::kTlsCert);
  auto tls_key = settings.find(OptionId::kTlsKey);
  if ((tls_cert == settings.end()) != (tls_key == settings.end())) {
    const Setting& given = tls_cert != settings.end() ? tls_cert->second : tls_key->second;
    problems.add(fmt::format("{} needs {} too (--tls-cert and --tls-key go together)",
                             describe(given),
                             tls_cert != settings.end() ? "--tls-key" : "--tls-cert"));
  }
  auto full_history = settings.find(OptionId::kCsvFullHistory);
  if (o.csv_full_history && o.csv_prefix.empty() && full_history != settings.end()) {
    problems.add(fmt::format("{} requires --csv", describe(full_history->second)));
  }

  // One load model: --stages (closed), or --arrival-rate / --arrival-stages (open).
  auto stages = settings.find(OptionId::kStages);
  auto arrival_rate = settings.find(OptionId::kArrivalRate);
  auto arrival_stages = settings.find(OptionId::kArrivalStages);
  if (stages != settings.end() && arrival_rate != settings.end()) {
    problems.add(
        fmt::format("{} and {} cannot be used together (one is the closed model, the "
                    "other the open one; docs/load-models.md)",
                    describe(stages->second), describe(arrival_rate->second)));
  }
  if (stages != settings.end() && arrival_stages != settings.end()) {
    problems.add(
        fmt::format("{} and {} cannot be used together (one is the closed model, the "
                    "other the open one; docs/load-models.md)",
                    describe(stages->second), describe(arrival_stages->second)));
  }
  if (arrival_rate != settings.end() && arrival_stages != settings.end()) {
    problems.add(fmt::format("{} and {} cannot be used together (a constant rate, or stages)",
                             describe(arrival_rate->second), describe(arrival_stages->second)));
  }

  // Distributed runs: one role, and the rules Locust 2.12 enforces (main.py).
  auto master = settings.find(OptionId::kMaster);
  auto worker = settings.find(OptionId::kWorker);
  if (o.master && o.worker) {
    problems.add(
        fmt::format("{} and {} cannot be used together (a process is the master or a "
                    "worker)",
                    describe(master->second), describe(worker->second)));
  }
  if (o.worker) {
    if (auto t = settings.find(OptionId::kRunTime); t != settings.end()) {
      problems.add(fmt::format("{} cannot be used with --worker: the master's run time applies",
                               describe(t->second)));
    }
    for (auto id : {OptionId::kStages, OptionId::kArrivalRate, OptionId::kArrivalStages}) {
      if (auto it = settings.find(id); it != settings.end()) {
        problems.add(fmt::format("{} cannot be used with --worker: the master sets the load",
                                 describe(it->second)));
      }
    }
  }
  if (o.master) {
    for (auto id : {OptionId::kStages, OptionId::kArrivalRate, OptionId::kArrivalStages}) {
      if (auto it = settings.find(id); it != settings.end()) {
        problems.add(
            fmt::format("{} cannot be used with --master: a distributed run is the "
                        "-u/-r closed model (docs/distributed.md)",
                        describe(it->second)));
      }
    }
  }

  if (!problems.empty()) return exit_with(kUsageExitCode, problems.text());
  return result;
}

int worker_threads(const Options& o) {
  return o.threads > 0 ? o.threads
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace loadgen::app
