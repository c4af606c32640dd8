// Log: loadgen's operational messages, in Locust's format
// "[2026-11-27 15:00:00,123] host/INFO/loadgen.main: message", to stderr or --logfile,
// filtered by --loglevel. Thread-safe (workers report through core::LogSink).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/log_sink.hpp"

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
  void info(fmt::format_string<A...> f, A&&... a) { write(Level::kInfo, fmt::format(f, std::forward<A>(a)...)); }
  template <class... A>
  void warning(fmt::format_string<A...> f, A&&... a) { write(Level::kWarning, fmt::format(f, std::forward<A>(a)...)); }
  template <class... A>
  void error(fmt::format_string<A...> f, A&&... a) { write(Level::kError, fmt::format(f, std::forward<A>(a)...)); }
  template <class... A>
  void debug(fmt::format_string<A...> f, A&&... a) {
    if (level_ <= Level::kDebug) write(Level::kDebug, fmt::format(f, std::forward<A>(a)...));
  }

  void write(Level level, std::string_view message);
  void log(core::LogLevel level, std::string_view message) override;

 private:
  Level level_ = Level::kInfo;
  std::FILE* out_ = stderr;
  std::string hostname_;
  std::mutex mu_;
};

}  // namespace loadgen::app
