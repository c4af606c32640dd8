// The per-option conversion (see options_convert.hpp): one case per OptionId, each turning a
// raw setting into its Options field or into a problem.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "app/options_convert.hpp"
#include "core/timespan.hpp"
#include "plan/stages.hpp"
#include "scenario/wait_time.hpp"
#include "stats/threshold.hpp"

namespace loadgen::app::options_detail {
namespace {

constexpr std::array<std::string_view, 5> kLogLevels = {"DEBUG", "INFO", "WARNING", "ERROR",
                                                        "CRITICAL"};
constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST", "PUT",    "DELETE",
                                                      "PATCH", "HEAD", "OPTIONS"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

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

}  // namespace loadgen::app::options_detail
