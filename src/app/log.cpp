#include "app/log.hpp"

#include <unistd.h>

#include <ctime>
#include <variant>

#include "otel/ids.hpp"

namespace loadgen::app {

namespace {
std::string_view level_name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARNING";
    case Level::kError:
      return "ERROR";
    case Level::kCritical:
      return "CRITICAL";
  }
  return "INFO";
}
}  // namespace

Log::~Log() {
  if (out_ != stderr && out_ != nullptr) std::fclose(out_);
}

bool Log::configure(std::string_view level, const std::string& logfile) {
  if (level == "DEBUG")
    level_ = Level::kDebug;
  else if (level == "WARNING")
    level_ = Level::kWarning;
  else if (level == "ERROR")
    level_ = Level::kError;
  else if (level == "CRITICAL")
    level_ = Level::kCritical;
  else
    level_ = Level::kInfo;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) hostname_ = host;
  if (!logfile.empty()) {
    std::FILE* f = std::fopen(logfile.c_str(), "a");
    if (f == nullptr) return false;
    out_ = f;
  }
  return true;
}

void Log::log(core::LogLevel level, std::string_view message) {
  switch (level) {
    case core::LogLevel::kDebug:
      write(Level::kDebug, message);
      return;
    case core::LogLevel::kInfo:
      write(Level::kInfo, message);
      return;
    case core::LogLevel::kWarning:
      write(Level::kWarning, message);
      return;
    case core::LogLevel::kError:
      write(Level::kError, message);
      return;
  }
}

core::LogLevel Log::core_level() const {
  switch (level_) {
    case Level::kDebug:
      return core::LogLevel::kDebug;
    case Level::kInfo:
      return core::LogLevel::kInfo;
    case Level::kWarning:
      return core::LogLevel::kWarning;
    case Level::kError:
    case Level::kCritical:
      return core::LogLevel::kError;
  }
  return core::LogLevel::kInfo;
}

std::string Log::format_time(std::int64_t unix_ns) const {
  const time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{},{:03}", when, (unix_ns / 1'000'000) % 1000);
}

// A console that went away (a closed pipe: `loadgen ... 2>&1 | head`) must not end the run:
// the stats still reach the CSV/JSON files and the telemetry its exporters, so a failed write
// is dropped (fmt::print would throw, and the throw would abort the process).
void Log::put(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), out_) == line.size())
    std::fflush(out_);
  else
    std::clearerr(out_);
}

void Log::write(Level level, std::string_view message) {
  if (level < level_) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const std::int64_t now_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  std::lock_guard lock(mu_);
  put(fmt::format("[{}] {}/{}/loadgen: {}\n", format_time(now_ns), hostname_, level_name(level),
                  message));
  if (hook_) {
    otel::LogRecord r;
    r.time_unix_nano = r.observed_time_unix_nano = static_cast<std::uint64_t>(now_ns);
    switch (level) {
      case Level::kDebug:
        r.severity_number = otel::SeverityNumber::kDebug;
        break;
      case Level::kInfo:
        r.severity_number = otel::SeverityNumber::kInfo;
        break;
      case Level::kWarning:
        r.severity_number = otel::SeverityNumber::kWarn;
        break;
      case Level::kError:
        r.severity_number = otel::SeverityNumber::kError;
        break;
      case Level::kCritical:
        r.severity_number = otel::SeverityNumber::kFatal;
        break;
    }
    r.severity_text = std::string(level_name(level));
    r.body = otel::AttrValue{std::string(message)};
    hook_(std::move(r));
  }
}

void Log::write_record(const otel::LogRecord& r) {
  if (!r.event_name.empty()) return;  // Events (e.g. feature_flag.evaluation) are not log lines
  Level level = Level::kInfo;
  const auto sev = static_cast<int>(r.severity_number);
  if (sev >= 21)
    level = Level::kCritical;
  else if (sev >= 17)
    level = Level::kError;
  else if (sev >= 13)
    level = Level::kWarning;
  else if (sev >= 9)
    level = Level::kInfo;
  else
    level = Level::kDebug;
  if (level < level_) return;
  const std::string* body = r.body ? std::get_if<std::string>(&r.body->v) : nullptr;
  const bool traced = otel::is_valid(r.trace_id);
  const std::string ids = traced ? fmt::format("trace_id={} span_id={}", otel::to_hex(r.trace_id),
                                               otel::to_hex(r.span_id))
                                 : std::string("trace_id=0 span_id=0");
  std::lock_guard lock(mu_);
  put(fmt::format("[{}] {}/{}/loadgen.user: [{} resource.service.name={} trace_sampled={}] - {}\n",
                  format_time(static_cast<std::int64_t>(r.time_unix_nano)), hostname_,
                  level_name(level), ids, service_name_, (r.flags & 0x01) != 0 ? "True" : "False",
                  body ? std::string_view(*body) : std::string_view()));
}

}  // namespace loadgen::app
