// The rules across options (see options_convert.hpp): which settings cannot go together and
// which need another one, named as the user gave them (flag, variable or file line).
#include <fmt/format.h>

#include "app/options_convert.hpp"

namespace loadgen::app::options_detail {

void check_combinations(const Settings& settings, const Options& o, Problems& problems) {
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
}

}  // namespace loadgen::app::options_detail
