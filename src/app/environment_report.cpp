// Environment (see environment.hpp) after the runner stopped: the final CSV, the summary
// tables, the JSON and HTML reports, the thresholds' verdict, and finish(): the final telemetry
// flush and the closing counters (Connections:, Spans:, Metrics:, Log records:).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include "app/environment.hpp"
#include "app/final_flush.hpp"
#include "core/clock.hpp"
#include "core/version.hpp"
#include "report/console.hpp"
#include "report/csv.hpp"
#include "report/html.hpp"
#include "report/json.hpp"
#include "report/thresholds.hpp"
#include "telemetry/log_pipeline.hpp"
#include "telemetry/metrics_pipeline.hpp"
#include "telemetry/trace_pipeline.hpp"
#include "web/api.hpp"

namespace loadgen::app {
namespace {

std::string exception_report(const engine::ExceptionCounts& exceptions) {
  if (exceptions.empty()) return {};
  std::string out = "Exception report\n";
  out += fmt::format("{:>12} | {}\n", "# occurrences", "Exception");
  for (const auto& [key, n] : exceptions) {
    const auto& [cls, task, msg] = key;
    out += fmt::format("{:>12} | {}.{}: {}\n", n, cls, task, msg);
  }
  return out;
}

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  return static_cast<bool>(f);
}

}  // namespace

report::ThresholdReport Environment::threshold_report() const {
  return report::ThresholdReport::evaluate(thresholds_, stats(), aborted_by());
}

std::string Environment::thresholds_json() const {
  if (thresholds_.empty()) return "[]";
  const engine::RunnerSnapshot snap = runner_->snapshot();
  const stats::Aggregate empty(core::wall_seconds());
  return report::thresholds_json(report::ThresholdReport::evaluate(
      thresholds_, snap.stats ? *snap.stats : empty, aborted_by()));
}

bool Environment::write_final_csv() {
  if (app_metrics_)  // the final export's rates: as the final stats table has them
    app_metrics_->set_current_rates(stats().current_rps(stats().total()),
                                    stats().current_fail_per_sec(stats().total()));
  // Reports and summary come before the telemetry flush (a dead collector cannot hold them).
  if (core::Status st = write_csv(true); !st) {
    log_.error("--csv: the final reports could not be written: {}", st.error().message);
    return false;
  }
  return true;
}

std::string Environment::summary(int name_width) const {
  std::string out = report::format_stats_table(stats(), false, name_width);
  out += '\n';
  out += report::format_percentiles_table(stats(), name_width);
  out += '\n';
  out += report::format_error_report(stats(), name_width);
  out += exception_report(runner_->exceptions());
  if (eng_ && eng_->open_model()) {
    // k6's dropped_iterations: arrivals the pool could not serve (docs/load-models.md).
    out +=
        fmt::format("Dropped iterations: {} (arrivals that found all --max-users {} users busy)\n",
                    eng_->iterations_dropped(), eng_->target());
  }
  out += report::format_thresholds_table(threshold_report());
  out += loop_load_.summary();
  return out;
}

bool Environment::write_json() {
  bool ok = true;
  if (o_.json) {
    const std::string js = report::format_json_summary(stats());
    // stdout carries nothing but this report: one that cannot be written (a closed pipe, a
    // full disk) is lost data, said and counted as such.
    errno = 0;
    const bool written =
        std::fwrite(js.data(), 1, js.size(), stdout) == js.size() && std::fflush(stdout) == 0;
    if (!written) {
      log_.error("--json: cannot write the report to stdout: {}",
                 errno != 0 ? std::strerror(errno) : "write failed");
      std::clearerr(stdout);
      ok = false;
    }
  }
  if (!o_.json_file.empty() && !write_file(o_.json_file, report::format_json_summary(stats()))) {
    log_.error("--json-file: cannot write '{}': {}", o_.json_file, std::strerror(errno));
    ok = false;
  }
  std::optional<report::ConnectionFigures> conns;
  if (eng_ != nullptr) {
    const auto c = eng_->connection_stats();
    conns = report::ConnectionFigures{.opened = c.opened,
                                      .reused = c.reused,
                                      .taken = c.taken,
                                      .returned = c.returned,
                                      .replaced = c.replaced,
                                      .peak_open = c.peak_open,
                                      .open = c.open,
                                      .pooled = c.pooled};
  }
  if (!o_.summary_json.empty() &&
      !write_file(o_.summary_json, report::format_summary_json(stats(), threshold_report(),
                                                               conns ? &*conns : nullptr))) {
    log_.error("--summary-json: cannot write '{}': {}", o_.summary_json, std::strerror(errno));
    ok = false;
  }
  return ok;
}

std::string Environment::render_html(const stats::Aggregate& a,
                                     const std::vector<report::ExceptionRow>& exceptions) const {
  const report::RunInfo run{.start_wall = a.total().start_time,
                            .end_wall = core::wall_seconds(),
                            .host = o_.host,
                            .scenario = o_.scenario,
                            .users = std::max<std::int64_t>(peak_target_.load(), 0),
                            .spawn_rate = spawn_rate_.load(),
                            .version = std::string(core::kVersion),
                            .trace_link = o_.trace_link};
  const std::vector<stats::HistoryPoint> history = history_.all();
  const report::ThresholdReport thresholds =
      report::ThresholdReport::evaluate(thresholds_, a, aborted_by());
  return report::format_html_report(report::HtmlReport{a, exceptions, history, run, &thresholds});
}

bool Environment::write_html() {
  if (o_.html_file.empty()) return true;
  if (!write_file(o_.html_file, render_html(stats(), web::exception_rows(runner_->exceptions())))) {
    log_.error("--html: cannot write '{}': {}", o_.html_file, std::strerror(errno));
    return false;
  }
  return true;
}

std::string Environment::html_report() const {
  const engine::RunnerSnapshot snap = runner_->snapshot();
  const stats::Aggregate empty(core::wall_seconds());
  return render_html(snap.stats ? *snap.stats : empty, snap.exceptions
                                                           ? web::exception_rows(*snap.exceptions)
                                                           : std::vector<report::ExceptionRow>{});
}

bool Environment::failed() const {
  return stats().total().num_failures > 0 || !runner_->exceptions().empty();
}

int Environment::finish(int code, const sigset_t& signals) {
  std::vector<FlushStep> steps;
  // What an abandoned step leaves behind besides the export in flight: its queue.
  auto queued = [](std::size_t n, std::string_view what) {
    return n == 0 ? std::string() : fmt::format("{} {} queued", n, what);
  };
  if (spans_) {
    steps.push_back(FlushStep{"traces", [p = spans_.get()](auto b) { p->shutdown(b); },
                              [p = spans_.get(), queued] { return queued(p->queued(), "spans"); }});
  }
  if (metrics_) {
    // The final collection: every request of the run is in the exported histogram. It runs
    // beside the traces' and logs' final exports, so loadgen's own span/log export counters
    // in it may miss the outcome of those last exports (the summary line below has it).
    steps.push_back(FlushStep{"metrics", [p = metrics_.get()](auto b) { p->shutdown(b); }, {}});
  }
  steps.push_back(
      FlushStep{"logs", [p = logs_.get()](auto b) { p->shutdown(b); },
                [p = logs_.get(), queued] { return queued(p->queued(), "log records"); }});
  const FlushOutcome flushed = flush_all(std::move(steps), o_.flush_timeout, signals);
  if (flushed.abandoned) {
    // The pipelines' threads still run: end the process here, without destroying them. Every
    // report was written before.
    log_.warning("{}: abandoned the final telemetry flush of {}; exiting now (exit code {})",
                 flushed.signal == SIGINT    ? "Received SIGINT"
                 : flushed.signal == SIGTERM ? "Received SIGTERM"
                                             : "Still flushing well past --flush-timeout",
                 flushed.unfinished, code);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }
  // Read before the shutdown closes them: what the workers' connections did during the run.
  const std::optional<net::ConnectionStats> conns =
      eng_ != nullptr ? std::optional(eng_->connection_stats()) : std::nullopt;
  runner_->shutdown();

  std::string counters;
  if (conns && conns->opened != 0) {
    const auto& c = *conns;
    counters += fmt::format(
        "Connections: {} opened, {} requests on reused connections, {} taken from the pool, {} "
        "handed back, {} replaced (closed while pooled); at most {} open, {} at the end ({} "
        "pooled)\n",
        c.opened, c.reused, c.taken, c.returned, c.replaced, c.peak_open, c.open, c.pooled);
  }
  if (spans_) {
    const auto c = spans_->counters();
    counters += fmt::format(
        "Spans: {} exported, {} dropped, {} in failed exports ({} failed exports, {} retries)\n",
        c.exported, c.dropped, c.failed_items, c.failed_exports, c.retries);
  }
  if (metrics_) {
    const auto c = metrics_->counters();
    counters += fmt::format("Metrics: {} exports ({} data points), {} failed exports\n", c.exports,
                            c.data_points, c.failed_exports);
  }
  if (export_logs_) {
    const auto c = logs_->counters();
    counters += fmt::format(
        "Log records: {} exported, {} dropped, {} in failed exports ({} failed exports, {} "
        "retries)\n",
        c.exported, c.dropped, c.failed_items, c.failed_exports, c.retries);
  }
  std::fwrite(counters.data(), 1, counters.size(), stderr);
  std::fflush(stderr);
  log_.info("Shutting down (exit code {})", code);
  return code;
}

}  // namespace loadgen::app
