// Log: loadgen's operational messages, in Locust's format
// "[2026-11-27 15:00:00,123] host/INFO/loadgen.main: message", to stderr or --logfile,
// filtered by --loglevel. Thread-safe (workers report through core::LogSink).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "core/log_sink.hpp"
#include "otel/log_data.hpp"

namespace loadgen::app {

enum class Level { kDebug = 10, kInfo = 20, kWarning = 30, kError = 40, kCritical = 50 };

class Log final : public core::LogSink {
 public:
  Log() = default;
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // level: DEBUG INFO WARNING ERROR CRITICAL; logfile empty = stderr. False if the file
  // cannot be opened (then logging stays on stderr).
  bool configure(std::string_view level, const std::string& logfile);

  template <class... A>
  void info(fmt::format_string<A...> f, A&&... a) {
    write(Level::kInfo, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void warning(fmt::format_string<A...> f, A&&... a) {
    write(Level::kWarning, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void error(fmt::format_string<A...> f, A&&... a) {
    write(Level::kError, fmt::format(f, std::forward<A>(a)...));
  }
  template <class... A>
  void debug(fmt::format_string<A...> f, A&&... a) {
    if (level_ <= Level::kDebug) write(Level::kDebug, fmt::format(f, std::forward<A>(a)...));
  }

  void write(Level level, std::string_view message);
  void log(core::LogLevel level, std::string_view message) override;

  // A scenario's log record (from a worker, printed on the log pipeline's thread): Locust's
  // format with the logger "loadgen.user" and, as the demo's Python logging instrumentation
  // did, "[trace_id=… span_id=… resource.service.name=… trace_sampled=…] - " before the body.
  void write_record(const otel::LogRecord& record);
  void set_service_name(std::string name) { service_name_ = std::move(name); }
  // Every message written from now on is also handed to `hook` (as an OTel log record without
  // trace context), e.g. to export loadgen's own messages over OTLP. Called under Log's lock:
  // the hook must not log.
  void set_record_hook(std::function<void(otel::LogRecord&&)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }
  core::LogLevel core_level() const;

 private:
  std::string format_time(std::int64_t unix_ns) const;
  // Writes one line to out_ (under mu_); a failed write is dropped.
  void put(const std::string& line);

  Level level_ = Level::kInfo;
  std::string service_name_ = "loadgen";
  std::function<void(otel::LogRecord&&)> hook_;
  std::FILE* out_ = stderr;
  std::string hostname_;
  std::mutex mu_;
};

}  // namespace loadgen::app
