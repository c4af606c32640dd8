// `load:` (stages, arrival rate, max users) and `thresholds:` of a YAML scenario: what the file
// says about the run, stored for the app (each overridden by its command-line counterpart).
#include <fmt/format.h>

#include "core/timespan.hpp"
#include "scenario/yaml/loader_parts.hpp"

namespace loadgen::scenario::yaml {

namespace {

bool duration_seconds(Compiler& c, const YAML::Node& n, double& out) {
  std::string text;
  if (!c.get_string(n, "duration", text)) return false;
  auto d = core::parse_duration(text, "duration");
  if (!d.ok()) {
    c.error(n, d.error().message);
    return false;
  }
  if (d->count() <= 0) {
    c.error(n, "duration must be positive");
    return false;
  }
  out = static_cast<double>(d->count()) / 1e9;
  return true;
}

// A rate: 10, 10.5 or "10/s", "600/m".
bool rate(Compiler& c, const YAML::Node& n, std::string_view what, double& out) {
  if (n.IsScalar()) {
    std::string s = n.Scalar();
    double per = 1;
    if (s.size() > 2 && s[s.size() - 2] == '/') {
      const char u = s.back();
      per = u == 's' ? 1 : u == 'm' ? 60 : u == 'h' ? 3600 : 0;
      s.resize(s.size() - 2);
    }
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (per > 0 && !s.empty() && end == s.c_str() + s.size() && v >= 0 && v < 1e9) {
      out = v / per;
      return true;
    }
  }
  c.error(n, fmt::format("{} must be a rate such as 10, 2.5 or \"100/s\", \"600/m\"", what));
  return false;
}

void stages(Compiler& c, const YAML::Node& n, bool arrival, std::vector<plan::Stage>& out) {
  if (!n.IsSequence()) {
    c.error(n, "stages must be a list of {duration, users, spawn_rate}");
    return;
  }
  for (const auto& st : n) {
    const bool ok = arrival
                        ? c.check_map(st, "arrival stage", {"duration", "target", "rate"})
                        : c.check_map(st, "stage", {"duration", "users", "target", "spawn_rate"});
    if (!ok) continue;
    plan::Stage s;
    s.origin = c.origin(st);
    if (!st["duration"]) {
      c.error(st, "a stage needs a duration");
    } else {
      duration_seconds(c, st["duration"], s.duration_s);
    }
    const char* target_key = arrival ? "rate" : "users";
    const YAML::Node t = st[target_key] ? st[target_key] : st["target"];
    if (st[target_key] && st["target"]) {
      c.error(st, fmt::format("give {} or target, not both", target_key));
    } else if (!t) {
      c.error(st, fmt::format("a stage needs {} (or target)", target_key));
    } else if (arrival) {
      rate(c, t, "rate", s.target);
    } else {
      std::uint64_t users = 0;
      if (c.get_uint(t, "users", users)) s.target = static_cast<double>(users);
    }
    if (!arrival && st["spawn_rate"]) {
      double r = 0;
      if (c.get_double(st["spawn_rate"], "spawn_rate", r)) {
        if (r <= 0)
          c.error(st["spawn_rate"], "spawn_rate must be positive");
        else
          s.spawn_rate = r;
      }
    }
    out.push_back(std::move(s));
  }
}

}  // namespace

void compile_load(Compiler& c, const YAML::Node& load, Scenario::Load& out) {
  if (!load || load.IsNull()) return;
  if (!c.check_map(load, "load", {"stages", "arrival_rate", "arrival_stages", "max_users"})) return;
  if (load["stages"]) stages(c, load["stages"], false, out.stages);
  if (load["arrival_stages"]) stages(c, load["arrival_stages"], true, out.arrival_stages);
  if (load["arrival_rate"]) {
    double r = 0;
    if (rate(c, load["arrival_rate"], "arrival_rate", r)) {
      if (r <= 0)
        c.error(load["arrival_rate"], "arrival_rate must be positive");
      else
        out.arrival_rate = r;
    }
  }
  if (load["max_users"]) {
    std::uint64_t m = 0;
    if (c.get_uint(load["max_users"], "max_users", m, 1))
      out.max_users = static_cast<std::int64_t>(m);
  }
  if (load["stages"] && (load["arrival_rate"] || load["arrival_stages"]))
    c.error(load,
            "stages (closed model) and arrival_rate/arrival_stages (open model) exclude "
            "each other");
  if (load["arrival_rate"] && load["arrival_stages"])
    c.error(load, "give arrival_rate or arrival_stages, not both");
  if (load["max_users"] && !load["arrival_rate"] && !load["arrival_stages"])
    c.error(load["max_users"],
            "max_users is the open model's pool: it needs arrival_rate or "
            "arrival_stages");
}

void compile_thresholds(Compiler& c, const YAML::Node& thresholds,
                        std::vector<Scenario::Threshold>& out) {
  if (!thresholds || thresholds.IsNull()) return;
  if (!thresholds.IsSequence()) {
    c.error(thresholds, "thresholds must be a list of \"p95<300ms\" or {threshold, abort_on_fail}");
    return;
  }
  for (const auto& t : thresholds) {
    Scenario::Threshold th;
    th.origin = c.origin(t);
    if (t.IsScalar()) {
      th.expression = t.Scalar();
    } else {
      if (!c.check_map(t, "threshold", {"threshold", "abort_on_fail"})) continue;
      if (!t["threshold"]) {
        c.error(t, "a threshold needs threshold: EXPRESSION");
        continue;
      }
      if (!c.get_string(t["threshold"], "threshold", th.expression)) continue;
      th.origin = c.origin(t["threshold"]);
      if (t["abort_on_fail"] && !c.get_bool(t["abort_on_fail"], "abort_on_fail", th.abort_on_fail))
        continue;
    }
    if (th.expression.empty()) {
      c.error(t, "a threshold must not be empty");
      continue;
    }
    out.push_back(std::move(th));
  }
}

}  // namespace loadgen::scenario::yaml
