#include "app/app_metrics.hpp"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "core/clock.hpp"
#include "otel/metrics/instrument.hpp"

namespace loadgen::app {

namespace {

namespace om = otel::metrics;

std::int64_t open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  std::int64_t n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

// Resident set size (bytes) and thread count from /proc/self/status.
std::pair<std::int64_t, std::int64_t> rss_and_threads() {
  std::ifstream f("/proc/self/status");
  std::string line;
  std::int64_t rss = -1, threads = -1;
  while (std::getline(f, line)) {
    std::istringstream is(line);
    std::string key;
    is >> key;
    if (key == "VmRSS:") {
      is >> rss;
      rss *= 1024;
    } else if (key == "Threads:") {
      is >> threads;
    }
  }
  return {rss, threads};
}

otel::NumberDataPoint point(otel::Attributes attrs, double v, bool integer, std::uint64_t start,
                            std::uint64_t now) {
  otel::NumberDataPoint p;
  p.attributes = std::move(attrs);
  p.start_time_unix_nano = start;
  p.time_unix_nano = now;
  if (integer) {
    p.value = static_cast<std::int64_t>(v);
  } else {
    p.value = v;
  }
  return p;
}

otel::Metric named(const std::string& name, const std::string& unit, const std::string& desc,
                   decltype(otel::Metric::data) data) {
  otel::Metric m;
  m.name = name;
  m.unit = unit;
  m.description = desc;
  m.data = std::move(data);
  return m;
}

}  // namespace

std::vector<double> CpuUtilization::sample(const std::vector<std::int64_t>& cpu_ns,
                                           std::int64_t mono_ns) {
  std::vector<double> out(cpu_ns.size(), -1.0);
  // A window shorter than kMinWindowNs (e.g. a scrape right after an export) says little: no
  // figure, and the window goes on from the previous sample.
  if (prev_mono_ >= 0 && mono_ns - prev_mono_ < kMinWindowNs && prev_cpu_.size() == cpu_ns.size())
    return out;
  if (prev_mono_ >= 0 && mono_ns > prev_mono_ && prev_cpu_.size() == cpu_ns.size()) {
    const auto wall = static_cast<double>(mono_ns - prev_mono_);
    for (std::size_t i = 0; i < cpu_ns.size(); ++i) {
      if (cpu_ns[i] < 0 || prev_cpu_[i] < 0 || cpu_ns[i] < prev_cpu_[i]) continue;
      out[i] = static_cast<double>(cpu_ns[i] - prev_cpu_[i]) / wall;
    }
  }
  prev_cpu_ = cpu_ns;
  prev_mono_ = mono_ns;
  return out;
}

AppMetricSource::AppMetricSource(engine::DrivenRunner& runner, const otel::MetricsConfig& config,
                                 Telemetry telemetry, std::uint64_t start_unix_nano)
    : runner_(runner),
      eng_(runner.engine()),
      config_(config),
      telemetry_(std::move(telemetry)),
      start_ns_(start_unix_nano),
      last_collect_ns_(start_unix_nano) {}

otel::Metric AppMetricSource::counter(const std::string& name, const std::string& unit,
                                      const std::string& desc,
                                      std::vector<std::pair<otel::Attributes, double>> values,
                                      std::uint64_t now, bool integer) {
  const auto temporality =
      om::temporality_for(config_.temporality, om::InstrumentKind::kObservableCounter);
  const bool delta = temporality == otel::AggregationTemporality::kDelta;
  otel::Sum sum;
  sum.aggregation_temporality = temporality;
  sum.is_monotonic = true;
  for (auto& [attrs, v] : values) {
    double value = v;
    if (delta) {
      std::string key = name;
      for (const auto& a : attrs)
        if (const auto* s = std::get_if<std::string>(&a.value.v)) key += "|" + *s;
      double& prev = previous_[key];
      value = v - prev;
      prev = v;
    }
    sum.data_points.push_back(
        point(std::move(attrs), value, integer, delta ? last_collect_ns_ : start_ns_, now));
  }
  return named(name, unit, desc, std::move(sum));
}

otel::Metric AppMetricSource::updown(const std::string& name, const std::string& unit,
                                     const std::string& desc, double value, std::uint64_t now,
                                     bool integer) {
  // Observable UpDownCounter: cumulative under every preference (the spec's table).
  otel::Sum sum;
  sum.aggregation_temporality = otel::AggregationTemporality::kCumulative;
  sum.is_monotonic = false;
  sum.data_points.push_back(point({}, value, integer, start_ns_, now));
  return named(name, unit, desc, std::move(sum));
}

otel::Metric AppMetricSource::gauge(const std::string& name, const std::string& unit,
                                    const std::string& desc,
                                    std::vector<std::pair<otel::Attributes, double>> values,
                                    std::uint64_t now, bool integer) {
  otel::Gauge g;
  for (auto& [attrs, v] : values)
    g.data_points.push_back(point(std::move(attrs), v, integer, 0, now));
  return named(name, unit, desc, std::move(g));
}

void AppMetricSource::collect(std::vector<otel::Metric>& out, std::uint64_t now) {
  if (eng_) {
    for (auto& m : eng_->collect_metrics(now)) out.push_back(std::move(m));
  }

  out.push_back(updown("loadgen.users.active", "{user}", "Simulated users running now.",
                       static_cast<double>(runner_.alive()), now, true));
  out.push_back(
      gauge("loadgen.users.target", "{user}", "The user count the run is ramping to or holding.",
            {{{}, static_cast<double>(target_.load(std::memory_order_relaxed))}}, now, true));
  if (eng_) {
    out.push_back(counter("loadgen.users.spawned", "{user}",
                          "Users started since the start of the run.",
                          {{{}, static_cast<double>(eng_->users_started())}}, now, true));
    out.push_back(counter("loadgen.users.stopped", "{user}",
                          "Users whose run ended (stopped, killed or StopUser) since the start.",
                          {{{}, static_cast<double>(eng_->users_stopped())}}, now, true));
    // The workers' keep-alive connections and their pools (net::ConnectionPool).
    const auto c = eng_->connection_stats();
    auto one = [](std::uint64_t v) {
      return std::vector<std::pair<otel::Attributes, double>>{{{}, static_cast<double>(v)}};
    };
    out.push_back(counter("loadgen.connections.opened", "{connection}",
                          "Connections the workers opened (TCP connect, and TLS handshake).",
                          one(c.opened), now, true));
    out.push_back(counter("loadgen.connections.reused", "{request}",
                          "Requests sent on a connection that had carried a request before.",
                          one(c.reused), now, true));
    out.push_back(counter("loadgen.connections.pool.taken", "{connection}",
                          "Idle connections a request took from its worker's pool.", one(c.taken),
                          now, true));
    out.push_back(counter("loadgen.connections.pool.returned", "{connection}",
                          "Idle connections users handed back to the pool before a long wait.",
                          one(c.returned), now, true));
    out.push_back(counter("loadgen.connections.pool.replaced", "{connection}",
                          "Pooled connections found closed by the server, replaced by another.",
                          one(c.replaced), now, true));
    out.push_back(updown("loadgen.connections.open", "{connection}",
                         "Connections the workers hold open now (in use, held or pooled).",
                         static_cast<double>(c.open), now, true));
    out.push_back(updown("loadgen.connections.pool.idle", "{connection}",
                         "Idle connections in the workers' pools now.",
                         static_cast<double>(c.pooled), now, true));
  }
  if (eng_ && eng_->open_model()) {
    out.push_back(counter(
        "loadgen.iterations.dropped", "{iteration}",
        "Open model: arrivals that found no free user and no room in the pool (--max-users).",
        {{{}, static_cast<double>(eng_->iterations_dropped())}}, now, true));
  }
  out.push_back(gauge("loadgen.requests.rate", "{request}/s",
                      "Current requests per second (the stats table's Aggregated current RPS).",
                      {{{}, rps_.load(std::memory_order_relaxed)}}, now, false));
  out.push_back(
      gauge("loadgen.failures.rate", "{request}/s",
            "Current failures per second (the stats table's Aggregated current failures/s).",
            {{{}, fail_per_s_.load(std::memory_order_relaxed)}}, now, false));

  // The event loops' CPU: a loop near 100 % is the generator's own bottleneck.
  const std::vector<std::int64_t> cpu = eng_ ? eng_->worker_cpu_ns() : std::vector<std::int64_t>{};
  const std::vector<double> util = loop_cpu_.sample(cpu, core::mono_ns());
  {
    std::vector<std::pair<otel::Attributes, double>> times, utils;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      otel::Attributes a{
          {"thread.name", {engine::worker_thread_name(static_cast<std::uint32_t>(i))}}};
      if (util[i] >= 0) utils.emplace_back(a, util[i]);
      if (cpu[i] >= 0) times.emplace_back(std::move(a), static_cast<double>(cpu[i]) * 1e-9);
    }
    if (!times.empty())
      out.push_back(counter("loadgen.eventloop.cpu.time", "s",
                            "CPU time used by each worker's event-loop thread.", std::move(times),
                            now, false));
    if (!utils.empty())
      out.push_back(gauge("loadgen.eventloop.utilization", "1",
                          "CPU time of each event-loop thread over the wall time since the "
                          "previous collection (1 = always busy: the generator is the bottleneck).",
                          std::move(utils), now, false));
  }
  auto value_of = [](const std::function<std::uint64_t()>& f) {
    return f ? static_cast<double>(f()) : 0.0;
  };
  out.push_back(
      counter("loadgen.telemetry.dropped", "{item}",
              "Spans and log records dropped by full buffers or queues.",
              {{{{"loadgen.signal", {std::string("traces")}}}, value_of(telemetry_.spans_dropped)},
               {{{"loadgen.signal", {std::string("logs")}}}, value_of(telemetry_.logs_dropped)}},
              now, true));
  out.push_back(counter(
      "loadgen.telemetry.export.failures", "{export}", "Exports that failed after their retries.",
      {{{{"loadgen.signal", {std::string("traces")}}}, value_of(telemetry_.span_export_failures)},
       {{{"loadgen.signal", {std::string("logs")}}}, value_of(telemetry_.log_export_failures)}},
      now, true));

  // process.* (process semantic conventions).
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double user =
      static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6;
  const double sys =
      static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
  out.push_back(counter("process.cpu.time", "s",
                        "Total CPU seconds broken down by different CPU modes.",
                        {{{{"cpu.mode", {std::string("user")}}}, user},
                         {{{"cpu.mode", {std::string("system")}}}, sys}},
                        now, false));
  {
    const auto total_ns = static_cast<std::int64_t>((user + sys) * 1e9);
    const double u = process_cpu_.sample({total_ns}, core::mono_ns())[0];
    cpu_set_t set;
    CPU_ZERO(&set);
    const long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                   : sysconf(_SC_NPROCESSORS_ONLN);
    if (u >= 0 && cpus > 0)
      out.push_back(gauge("process.cpu.utilization", "1",
                          "Difference in process.cpu.time since the last measurement, divided by "
                          "the elapsed time and number of CPUs available to the process.",
                          {{{}, u / static_cast<double>(cpus)}}, now, false));
  }
  const auto [rss, threads] = rss_and_threads();
  if (rss >= 0)
    out.push_back(updown("process.memory.usage", "By", "The amount of physical memory in use.",
                         static_cast<double>(rss), now, true));
  if (threads >= 0)
    out.push_back(updown("process.thread.count", "{thread}", "Process threads count.",
                         static_cast<double>(threads), now, true));
  if (const auto fds = open_fds(); fds >= 0)
    out.push_back(updown("process.unix.file_descriptor.count", "{file_descriptor}",
                         "Number of unix file descriptors in use by the process.",
                         static_cast<double>(fds), now, true));
  last_collect_ns_ = now;
}

}  // namespace loadgen::app
