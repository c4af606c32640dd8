// LogSink: where modules below `app` send operational messages (flagd unreachable, exporter
// errors, ...). The app implements it (console format, --loglevel, later OTLP logs).
// Thread-safe: workers and exporter threads call it. RateLimitedWarning keeps a failing
// dependency from drowning the console: the first occurrence, then one line per interval
// with the number of repeats.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace loadgen::core {

enum class LogLevel { kDebug = 10, kInfo = 20, kWarning = 30, kError = 40 };

class LogSink {
 public:
  virtual void log(LogLevel level, std::string_view message) = 0;

 protected:
  ~LogSink() = default;
};

// Rate limits warnings per key (e.g. "flag:loadGeneratorTraffic:connect_refused"): one line
// per key per interval; the next line says how many were suppressed meanwhile. Thread-safe.
class RateLimitedWarning {
 public:
  static constexpr std::size_t kMaxKeys = 1000;  // beyond: keys share the state "(other)"

  explicit RateLimitedWarning(LogSink* sink,
                              std::chrono::nanoseconds interval = std::chrono::seconds(30))
      : sink_(sink), interval_ns_(interval.count()) {}

  // Logs `message` now if `key` was not logged within the interval; otherwise counts it and
  // the next logged line says how many were suppressed. `occurrences` > 1 stands for that many
  // identical events reported at once (e.g. tallied by a worker): the others count as
  // suppressed.
  void warn(std::string_view key, std::string_view message, std::int64_t now_ns,
            std::uint64_t occurrences = 1) {
    if (!sink_ || occurrences == 0) return;
    std::string line;
    {
      std::lock_guard lock(mu_);
      auto it = state_.find(std::string(key));
      if (it == state_.end()) {
        it = state_.size() < kMaxKeys ? state_.emplace(std::string(key), State{}).first
                                      : state_.emplace("(other)", State{}).first;
      }
      State& st = it->second;
      if (st.last_ns != 0 && now_ns - st.last_ns < interval_ns_) {
        st.suppressed += occurrences;
        return;
      }
      st.suppressed += occurrences - 1;
      line = st.suppressed > 0
                 ? fmt::format("{} ({} similar messages suppressed)", message, st.suppressed)
                 : std::string(message);
      st.last_ns = now_ns;
      st.suppressed = 0;
    }
    sink_->log(LogLevel::kWarning, line);
  }

 private:
  struct State {
    std::int64_t last_ns = 0;
    std::uint64_t suppressed = 0;
  };
  LogSink* sink_;
  std::int64_t interval_ns_;
  std::mutex mu_;
  std::unordered_map<std::string, State> state_;
};

}  // namespace loadgen::core
