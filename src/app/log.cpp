#include "app/log.hpp"

#include <unistd.h>

#include <ctime>

namespace loadgen::app {

namespace {
std::string_view level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARNING";
    case Level::kError: return "ERROR";
    case Level::kCritical: return "CRITICAL";
  }
  return "INFO";
}
}  // namespace

Log::~Log() {
  if (out_ != stderr && out_ != nullptr) std::fclose(out_);
}

bool Log::configure(std::string_view level, const std::string& logfile) {
  if (level == "DEBUG") level_ = Level::kDebug;
  else if (level == "WARNING") level_ = Level::kWarning;
  else if (level == "ERROR") level_ = Level::kError;
  else if (level == "CRITICAL") level_ = Level::kCritical;
  else level_ = Level::kInfo;
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
    case core::LogLevel::kDebug: write(Level::kDebug, message); return;
    case core::LogLevel::kInfo: write(Level::kInfo, message); return;
    case core::LogLevel::kWarning: write(Level::kWarning, message); return;
    case core::LogLevel::kError: write(Level::kError, message); return;
  }
}

void Log::write(Level level, std::string_view message) {
  if (level < level_) return;
  std::lock_guard lock(mu_);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  localtime_r(&ts.tv_sec, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  fmt::print(out_, "[{},{:03}] {}/{}/loadgen: {}\n", when, ts.tv_nsec / 1'000'000, hostname_,
             level_name(level), message);
  std::fflush(out_);
}

}  // namespace loadgen::app
