// flagd stand-in: flags in flagd's file format, evaluated over OFREP
// (POST /ofrep/v1/evaluate/flags/{key}) on shopsim's second port, reloaded when the flag file's
// mtime changes (polled every 200 ms). Targeting rules are out of scope: an ENABLED flag always
// resolves to its defaultVariant (reason STATIC).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.hpp"
#include "core/task.hpp"
#include "net/event_loop.hpp"
#include "server/message.hpp"

namespace loadgen::shopsim {

using server::Request;
using server::Response;

class FlagService {
 public:
  static constexpr std::chrono::milliseconds kPollInterval{200};

  // `path` may be empty (flags only from POST /__flags). The file is polled on `loop`.
  FlagService(net::EventLoop& loop, std::string path);

  // Loads the file once (an unreadable or malformed file is an error at start-up) and starts
  // polling it. stop() ends the polling; both on the loop's thread (start() also before run).
  core::Status start();
  void stop();

  // The OFREP port's handler: OFREP evaluation, POST /__flags, GET /__stats, POST /__reset.
  Response handle(const Request& req);

 private:
  // Checks a flagd-format document; empty string when valid, else the problem.
  static std::string check_flags(const nlohmann::json& doc);
  core::Task<void> poll();
  void reload_if_changed(bool initial, std::string* problem);
  Response evaluate(const std::string& key, const std::string& body);
  Response evaluate_all(const std::string& body);

  net::EventLoop& loop_;
  net::Sleeper sleeper_;
  std::string path_;
  std::mutex mu_;
  nlohmann::json flags_ = nlohmann::json::object();  // the "flags" object
  std::int64_t mtime_ns_ = -1;
  std::int64_t size_ = -1;
  std::map<std::string, std::uint64_t> evaluations_;  // bounded by the flag keys asked for
  std::uint64_t requests_total_ = 0;
  std::uint64_t evaluation_requests_ = 0;  // POST /ofrep/v1/evaluate/flags/{key}
  std::uint64_t baggage_synthetic_ = 0;    // ... whose baggage says synthetic_request=true
  std::uint64_t traceparent_present_ = 0;  // evaluation requests carrying traceparent
  std::uint64_t traceparent_valid_ = 0;    // ... exactly one, well-formed
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_errors_ = 0;
  bool stopped_ = false;
};

}  // namespace loadgen::shopsim
