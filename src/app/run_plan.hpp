// The run the options and the OTEL_* environment describe, built and checked before anything
// starts (usage errors are reported all at once: exit 2).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/log.hpp"
#include "app/options.hpp"
#include "engine/engine.hpp"
#include "otel/env_config.hpp"
#include "scenario/scenario.hpp"
#include "stats/threshold.hpp"

namespace loadgen::app {

// What a run is made of, built from the options and OTEL_* before anything starts.
struct RunPlan {
  engine::EngineConfig cfg;
  scenario::Scenario scenario;
  std::optional<otel::TracesConfig> traces;
  std::optional<otel::LogsConfig> logs;
  std::optional<otel::MetricsConfig> metrics;
  bool export_spans = false;  // something exports spans: record them
  bool export_logs = false;   // OTEL_LOGS_EXPORTER set (the console shows lines regardless)
  bool export_metrics = false;
  // The scenario file's thresholds, then --threshold's (both apply; docs/thresholds.md).
  std::vector<stats::Threshold> thresholds;
  // The closed model's stages (--stages, else the scenario file's); empty: -u/-r. The open
  // model is cfg.arrivals.
  std::vector<plan::Stage> stages;
  // How the load is driven, for the start's log line; empty: -u at -r.
  std::string load_summary;
};

// The scenario -f or --scenario names (built-in settings from the options and
// LOCUST_HTTP_USER_WEIGHT), with every class in it; nullopt after adding its problems.
std::optional<scenario::Scenario> load_scenario(const Options& o,
                                                const std::map<std::string, std::string>& env,
                                                std::vector<std::string>& problems);

// Keeps the classes named on the command line (Locust's positional UserClass names; every class
// when none), in the scenario's order; an unknown name is a problem naming the available ones.
// Then -T/-E filter the tasks (scenario/tags.hpp); a class left without tasks is warned about
// (Locust's words, plus the tags the scenario has) and returned by name.
std::vector<std::string> select_classes_and_tasks(scenario::Scenario& sc, const Options& o,
                                                  std::vector<std::string>& problems, Log& log);

// The scenario file's thresholds (each with its file:line:col; abort_on_fail from the file or
// an !abort suffix), then the options' (--threshold, LOADGEN_THRESHOLD, a config file's): they
// add up, one never replaces another. An invalid one adds a problem naming its origin.
std::vector<stats::Threshold> plan_thresholds(const Options& o, const scenario::Scenario& sc,
                                              std::vector<std::string>& problems);

// The load model (docs/load-models.md) from the command line, else the scenario file `sc`:
// plan.stages, or plan.cfg.arrivals, and plan.load_summary. A model given on the command line
// replaces the file's whole; --max-users also completes a file's arrival rate. Problems (both
// models in one file, an arrival rate without a pool, --max-users without one) are added.
void apply_load_model(const Options& o, const scenario::Scenario& sc, RunPlan& plan,
                      std::vector<std::string>& problems);

// The run the options and the environment describe, or nullopt after printing every usage
// error at once (exit 2). Warnings (OTEL_* fallbacks) are logged.
std::optional<RunPlan> plan_run(const Options& o, const std::map<std::string, std::string>& env,
                                Log& log);

}  // namespace loadgen::app
