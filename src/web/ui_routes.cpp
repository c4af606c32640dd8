#include "web/ui_routes.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/version.hpp"
#include "web/assets.hpp"

namespace loadgen::web {

namespace {

using nlohmann::json;

constexpr std::string_view kAssetPrefix = "/assets/";

server::Response text(int status, std::string body) {
  server::Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// An embedded file; the browser revalidates (a new binary serves new files at the same URL).
server::Response file_response(const EmbeddedFile& f) {
  server::Response r;
  r.content_type = std::string(content_type_for(f.name));
  r.body = std::string(f.body);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

server::Response asset(const server::Request& req) {
  const std::string_view name = std::string_view(req.path).substr(kAssetPrefix.size());
  // index.html is served at / only, so that its relative URLs resolve against the UI's root.
  const EmbeddedFile* f = name == "index.html" ? nullptr : find_embedded(name);
  return f ? file_response(*f) : text(404, "no such asset\n");
}

// The `since` query parameter (a whole number; absent: 0). False when it is not one.
bool parse_since(const std::string& query, std::uint64_t& since) {
  since = 0;
  const auto form = parse_form(query);
  if (!form) return false;
  for (const auto& [key, value] : *form) {
    if (key != "since") continue;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), since);
    if (ec != std::errc() || p != value.data() + value.size() || value.empty()) return false;
  }
  return true;
}

// Three decimals are plenty for a chart and keep a 12-hour series near 600 kB (JSON prints
// the shortest form of the rounded double).
double milli(double x) { return std::round(x * 1000) / 1000; }

json ms_or_null(double ms) { return ms < 0 ? json(nullptr) : json(milli(ms)); }

json point_json(const stats::HistoryPoint& p) {
  return json{{"t", milli(p.t)},
              {"span_s", milli(p.span_s)},
              {"users", p.users},
              {"rps", milli(p.rps)},
              {"fail_per_s", milli(p.fail_per_s)},
              {"p50", ms_or_null(p.p50_ms)},
              {"p95", ms_or_null(p.p95_ms)},
              {"spans_exported_per_s", milli(p.spans_exported_per_s)},
              {"spans_dropped_per_s", milli(p.spans_dropped_per_s)},
              {"loop_cpu_max", milli(p.loop_cpu_max)}};
}

server::Response json_body(std::string body) {
  server::Response r;
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string history_json(const stats::History::Slice& slice) {
  json points = json::array();
  for (const stats::HistoryPoint& p : slice.points) points.push_back(point_json(p));
  return json{{"next", slice.next}, {"replace", slice.replace}, {"points", std::move(points)}}
             .dump() +
         "\n";
}

std::string loadgen_json(const engine::RunnerSnapshot& snap, const ApiSettings& s) {
  json j{{"version", std::string(core::kVersion)},
         {"host", s.host},
         {"control", snap.flag_control ? "flag" : "ui"},
         {"flag_name", s.users_flag},
         {"flag_users", snap.flag_users > 0 ? json(snap.flag_users) : json(nullptr)},
         {"target_users", snap.target},
         {"trace_link", s.trace_link},
         {"users", s.users},
         {"spawn_rate", s.spawn_rate}};
  j["thresholds"] = s.thresholds ? json::parse(s.thresholds(), nullptr, false) : json::array();
  if (j["thresholds"].is_discarded()) j["thresholds"] = json::array();
  return j.dump() + "\n";
}

void add_ui_routes(server::Router& router, engine::Runner& runner,
                   std::shared_ptr<const ApiSettings> settings) {
  router.add("GET", "/", [](const server::Request&) {
    const EmbeddedFile* f = find_embedded("index.html");
    return f ? file_response(*f) : text(404, "the page is not embedded\n");
  });
  router.add_prefix("GET", std::string(kAssetPrefix), asset);
  router.add("GET", "/stats/history", [settings](const server::Request& req) {
    std::uint64_t since = 0;
    if (!parse_since(req.query, since)) return text(400, "since: not a whole number >= 0\n");
    return json_body(history_json(settings->history ? settings->history(since)
                                                    : stats::History::Slice{1, true, {}}));
  });
  router.add("GET", "/stats/loadgen", [&runner, settings](const server::Request&) {
    return json_body(loadgen_json(runner.snapshot(), *settings));
  });
}

}  // namespace loadgen::web
