// Router: maps (method, path) to a handler. Exact paths win over prefix routes, the longest
// prefix wins; a path no route matches is 404, a path matched for other methods only is 405
// with an Allow field listing them (RFC 9110 §15.5.6). HEAD is served by a GET route.
// Thread: build it before serving; route() is const and may run on several loops at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/message.hpp"

namespace loadgen::server {

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // `method` is one token ("GET", "POST"); add the same path again for another method.
  Router& add(std::string method, std::string path, Handler handler);
  // Matches every path that starts with `prefix` (e.g. "/api/").
  Router& add_prefix(std::string method, std::string prefix, Handler handler);
  // Bodies of the 404 and 405 answers (the content type is text/plain).
  Router& set_not_found_body(std::string body);

  Response route(const Request& req) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix;
    Handler handler;
  };
  std::vector<Route> routes_;
  std::string not_found_body_ = "not found\n";
};

}  // namespace loadgen::server
