#include "server/router.hpp"

#include <utility>

namespace loadgen::server {

Router& Router::add(std::string method, std::string path, Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(path), false, std::move(handler)});
  return *this;
}

Router& Router::add_prefix(std::string method, std::string prefix, Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(prefix), true, std::move(handler)});
  return *this;
}

Router& Router::set_not_found_body(std::string body) {
  not_found_body_ = std::move(body);
  return *this;
}

Response Router::route(const Request& req) const {
  // The best match for the path: an exact route, else the longest prefix; then its methods.
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    const bool hit =
        r.prefix ? req.path.compare(0, r.path.size(), r.path) == 0 : req.path == r.path;
    if (!hit) continue;
    if (best == nullptr || (!r.prefix && best->prefix) ||
        (r.prefix == best->prefix && r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  if (best == nullptr) {
    Response resp;
    resp.status = 404;
    resp.content_type = "text/plain; charset=utf-8";
    resp.body = not_found_body_;
    return resp;
  }
  std::string allow;
  for (const Route& r : routes_) {
    if (r.prefix != best->prefix || r.path != best->path) continue;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      return r.handler(req);
    }
    if (allow.find(r.method) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow += r.method;
      if (r.method == "GET") allow += ", HEAD";
    }
  }
  Response resp;
  resp.status = 405;
  resp.content_type = "text/plain; charset=utf-8";
  resp.allow = allow;
  resp.body = "method not allowed; allowed: " + allow + "\n";
  return resp;
}

}  // namespace loadgen::server
