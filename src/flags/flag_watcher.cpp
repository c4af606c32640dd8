#include "flags/flag_watcher.hpp"

#include <pthread.h>

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "core/task.hpp"
#include "flags/ofrep_flag_source.hpp"
#include "net/event_loop.hpp"

namespace loadgen::flags {

struct FlagWatcher::State {
  explicit State(const OfrepConfig& cfg, core::LogSink* log)
      : loop(net::TlsOptions{}), source(loop, cfg, log, nullptr) {}
  net::EventLoop loop;
  OfrepFlagSource source;  // created, used and destroyed with the loop's thread stopped
  net::Sleeper sleeper;
  bool stop = false;  // loop thread only
};

namespace {

core::Task<> poll(FlagWatcher& w, FlagWatcher::State& s, std::atomic<std::int64_t>& out,
                  std::atomic<std::uint64_t>& polls) {
  while (!s.stop) {
    out.store(co_await s.source.int_value(w.key(), 0, nullptr), std::memory_order_relaxed);
    polls.fetch_add(1, std::memory_order_relaxed);
    if (s.stop) break;
    co_await s.loop.sleep(s.sleeper, std::chrono::seconds(1));
  }
}

}  // namespace

FlagWatcher::FlagWatcher(OfrepConfig cfg, std::string key, core::LogSink* log)
    : key_(std::move(key)), state_(std::make_unique<State>(cfg, log)) {
  State& s = *state_;
  s.loop.post([this, &s, log] {
    core::spawn(poll(*this, s, value_, polls_), [&s, log, key = key_](std::exception_ptr e) {
      if (e && log) {  // never expected (the source does not throw); said, not silent
        std::string what = "unknown error";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          what = x.what();
        } catch (...) {
        }
        log->log(core::LogLevel::kError,
                 "flag " + key + ": the watch stopped (" + what + "); its value stays as it was");
      }
      s.loop.stop();
    });
  });
  thread_ = std::thread([&s] {
    pthread_setname_np(pthread_self(), "flag-watch");
    s.loop.run();
  });
}

FlagWatcher::~FlagWatcher() {
  State& s = *state_;
  s.loop.post([&s] {
    s.stop = true;
    s.loop.wake(s.sleeper);
  });
  thread_.join();  // the poll ends (a fetch in flight ends within the OFREP timeout)
  s.loop.forget(s.sleeper);
}

}  // namespace loadgen::flags
