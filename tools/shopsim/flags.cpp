// OFREP evaluation (open-feature/protocol service/openapi.yaml, as flagd serves it on 8016) and
// flag-file reloading. flagd answers a DISABLED flag with 404 FLAG_NOT_FOUND over OFREP (its
// OFREP layer rewrites FLAG_DISABLED to FLAG_NOT_FOUND and says "disabled" in errorDetails);
// we do the same.
#include "flags.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "trace_headers.hpp"

namespace loadgen::shopsim {

namespace {

using nlohmann::json;

constexpr std::string_view kEvalPrefix = "/ofrep/v1/evaluate/flags/";
constexpr std::size_t kMaxCountedKeys = 1000;  // evaluation counters for distinct keys

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// Evaluation-request body: empty, or an object whose "context" (if any) is an object.
bool valid_request(const std::string& body, std::string& problem) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    problem = "request body is not JSON";
    return false;
  }
  if (!doc.is_object()) {
    problem = "request body must be a JSON object";
    return false;
  }
  const auto ctx = doc.find("context");
  if (ctx != doc.end() && !ctx->is_object() && !ctx->is_null()) {
    problem = "context must be an object";
    return false;
  }
  return true;
}

}  // namespace

FlagService::FlagService(net::EventLoop& loop, std::string path)
    : loop_(loop), path_(std::move(path)) {}

core::Status FlagService::start() {
  if (path_.empty()) return core::Ok{};
  std::string problem;
  reload_if_changed(true, &problem);
  if (!problem.empty()) {
    return core::make_error("bad_flags_file", "--flags " + path_ + ": " + problem,
                            "write flagd's format: {\"flags\":{key:{\"state\",\"variants\","
                            "\"defaultVariant\"}}}");
  }
  core::spawn(poll());
  return core::Ok{};
}

void FlagService::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  loop_.wake(sleeper_);  // the poll ends at its next turn of the loop
}

core::Task<void> FlagService::poll() {
  for (;;) {
    co_await loop_.sleep(sleeper_, kPollInterval);
    {
      std::lock_guard lock(mu_);
      if (stopped_) co_return;
    }
    reload_if_changed(false, nullptr);
  }
}

std::string FlagService::check_flags(const json& doc) {
  if (!doc.is_object()) return "not a JSON object";
  const auto flags = doc.find("flags");
  if (flags == doc.end() || !flags->is_object()) return "missing \"flags\" object";
  for (const auto& [key, flag] : flags->items()) {
    if (!flag.is_object()) return "flag " + key + ": not an object";
    const auto state = flag.find("state");
    if (state == flag.end() || !state->is_string() ||
        (*state != "ENABLED" && *state != "DISABLED")) {
      return "flag " + key + ": state must be \"ENABLED\" or \"DISABLED\"";
    }
    const auto variants = flag.find("variants");
    if (variants == flag.end() || !variants->is_object() || variants->empty()) {
      return "flag " + key + ": variants must be a non-empty object";
    }
    const auto def = flag.find("defaultVariant");
    if (def == flag.end() || !def->is_string() || !variants->contains(def->get<std::string>())) {
      return "flag " + key + ": defaultVariant must name one of the variants";
    }
  }
  return {};
}

void FlagService::reload_if_changed(bool initial, std::string* problem) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (problem != nullptr) *problem = "cannot read the file";
    return;
  }
  const std::int64_t mtime =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  const auto size = static_cast<std::int64_t>(st.st_size);
  {
    std::lock_guard lock(mu_);
    if (!initial && mtime == mtime_ns_ && size == size_) return;
    mtime_ns_ = mtime;
    size_ = size;
  }
  std::ifstream in(path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const json doc = json::parse(ss.str(), nullptr, false);
  std::string p = doc.is_discarded() ? "not valid JSON" : check_flags(doc);
  std::lock_guard lock(mu_);
  if (!p.empty()) {
    ++reload_errors_;
    std::fprintf(stderr, "shopsim: flag file %s: %s; keeping the previous flags\n", path_.c_str(),
                 p.c_str());
    if (problem != nullptr) *problem = p;
    return;
  }
  flags_ = doc["flags"];
  if (!initial) ++reloads_;
  std::fprintf(stderr, "shopsim: loaded %zu flags from %s\n", flags_.size(), path_.c_str());
}

Response FlagService::evaluate(const std::string& key, const std::string& body) {
  std::string problem;
  if (!valid_request(body, problem)) {
    return json_response(
        400, {{"key", key}, {"errorCode", "INVALID_CONTEXT"}, {"errorDetails", problem}});
  }
  std::lock_guard lock(mu_);
  if (evaluations_.size() < kMaxCountedKeys || evaluations_.count(key) != 0) ++evaluations_[key];
  const auto it = flags_.find(key);
  if (it == flags_.end()) {
    return json_response(404, {{"key", key},
                               {"errorCode", "FLAG_NOT_FOUND"},
                               {"errorDetails", "flag: " + key + " not found"}});
  }
  if ((*it)["state"] == "DISABLED") {
    return json_response(404, {{"key", key},
                               {"errorCode", "FLAG_NOT_FOUND"},
                               {"errorDetails", "flag: " + key + " is disabled"}});
  }
  const std::string variant = (*it)["defaultVariant"].get<std::string>();
  return json_response(200, {{"key", key},
                             {"value", (*it)["variants"][variant]},
                             {"variant", variant},
                             {"reason", "STATIC"},
                             {"metadata", json::object()}});
}

// OFREP bulk evaluation: {"flags":[success or failure objects]} for every ENABLED flag.
Response FlagService::evaluate_all(const std::string& body) {
  std::string problem;
  if (!valid_request(body, problem)) {
    return json_response(400, {{"errorCode", "INVALID_CONTEXT"}, {"errorDetails", problem}});
  }
  std::lock_guard lock(mu_);
  json list = json::array();
  for (const auto& [key, flag] : flags_.items()) {
    if (flag["state"] != "ENABLED") continue;
    const std::string variant = flag["defaultVariant"].get<std::string>();
    list.push_back({{"key", key},
                    {"value", flag["variants"][variant]},
                    {"variant", variant},
                    {"reason", "STATIC"},
                    {"metadata", json::object()}});
  }
  return json_response(200, {{"flags", std::move(list)}});
}

Response FlagService::handle(const Request& req) {
  {
    std::lock_guard lock(mu_);
    ++requests_total_;
  }
  const std::string& path = req.path;
  if (path.size() > kEvalPrefix.size() && path.compare(0, kEvalPrefix.size(), kEvalPrefix) == 0) {
    if (req.method != "POST") return json_response(405, {{"error", "use POST"}});
    {
      // Evaluations are traced requests too: count well-formed traceparent headers, and the
      // evaluations marked synthetic in their baggage (synthetic_request=true).
      const auto tp = req.headers_named("traceparent");
      const auto bg = req.headers_named("baggage");
      const bool synthetic = !bg.empty() && check_baggage(bg).synthetic;
      std::lock_guard lock(mu_);
      ++evaluation_requests_;
      if (!tp.empty()) {
        ++traceparent_present_;
        if (tp.size() == 1 && check_traceparent(tp.front()).valid) ++traceparent_valid_;
      }
      if (synthetic) ++baggage_synthetic_;
    }
    return evaluate(path.substr(kEvalPrefix.size()), req.body);
  }
  if (path == "/ofrep/v1/evaluate/flags") {
    if (req.method != "POST") return json_response(405, {{"error", "use POST"}});
    return evaluate_all(req.body);
  }
  if (path == "/__flags") {
    if (req.method != "POST") return json_response(405, {{"error", "use POST"}});
    const json doc = json::parse(req.body, nullptr, false);
    const std::string p = doc.is_discarded() ? "not valid JSON" : check_flags(doc);
    if (!p.empty()) return json_response(400, {{"error", p}});
    std::lock_guard lock(mu_);
    flags_ = doc["flags"];
    return json_response(200, {{"flags", flags_.size()}});
  }
  if (path == "/__stats") {
    if (req.method != "GET") return json_response(405, {{"error", "use GET"}});
    std::lock_guard lock(mu_);
    return json_response(
        200, {{"evaluations", evaluations_},
              {"requests_total", requests_total_},
              {"evaluation_requests", evaluation_requests_},
              {"traceparent", {{"present", traceparent_present_}, {"valid", traceparent_valid_}}},
              {"baggage", {{"synthetic", baggage_synthetic_}}},
              {"reloads", reloads_},
              {"reload_errors", reload_errors_},
              {"flags", flags_.size()}});
  }
  if (path == "/__reset") {
    if (req.method != "POST") return json_response(405, {{"error", "use POST"}});
    std::lock_guard lock(mu_);
    evaluations_.clear();
    requests_total_ = 0;
    traceparent_present_ = traceparent_valid_ = 0;
    evaluation_requests_ = baggage_synthetic_ = 0;
    return json_response(200, {{"reset", true}});
  }
  return json_response(404, {{"error", "not found"}});
}

}  // namespace loadgen::shopsim
