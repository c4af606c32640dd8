// dispatch_dump: drives plan::Dispatcher from a scenario on stdin and prints what it returns,
// for tests/integration/test_dispatch_locust.py, which runs Locust 2.12's own UsersDispatcher
// on the same scenario. One input line, one output line (JSON):
//   class NAME WEIGHT FIXED_COUNT   -> []          (every class before anything else)
//   workers [ID...]                 -> []          (set_workers)
//   dispatch TARGET RATE            -> {"interval": step_interval_s}
//   next N                          -> [d1, ..., dN] (a distribution or null per call)
//   drain                           -> [d1, ..., null] (until null; at most 1,000,000 calls)
// A distribution is {"worker": {"Class": n, ...}, ...}.
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "plan/dispatch.hpp"

namespace {

using loadgen::plan::Dispatcher;
using loadgen::plan::Distribution;

std::string to_json(const std::optional<Distribution>& d, const std::vector<std::string>& workers,
                    const std::vector<std::string>& classes) {
  if (!d) return "null";
  std::string out = "{";
  for (std::size_t w = 0; w < d->size(); ++w) {
    if (w > 0) out += ',';
    out += '"' + workers[w] + "\":{";
    for (std::size_t c = 0; c < classes.size(); ++c) {
      if (c > 0) out += ',';
      out += '"' + classes[c] + "\":" + std::to_string((*d)[w][c]);
    }
    out += '}';
  }
  return out + '}';
}

}  // namespace

int main() {
  std::vector<std::string> names;
  std::vector<loadgen::plan::ClassPicker::ClassInfo> classes;
  std::unique_ptr<Dispatcher> dispatcher;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    in >> op;
    if (op == "class") {
      std::string name;
      unsigned weight = 0, fixed = 0;
      in >> name >> weight >> fixed;
      names.push_back(name);
      classes.push_back({weight, fixed});
      std::cout << "[]\n";
      continue;
    }
    if (!dispatcher) {
      if (auto ok = Dispatcher::check_classes(classes); !ok) {
        std::cerr << ok.error().message << "\n";
        return 2;
      }
      dispatcher = std::make_unique<Dispatcher>(classes, names);
    }
    if (op == "workers") {
      std::vector<std::string> ids;
      for (std::string id; in >> id;) ids.push_back(id);
      dispatcher->set_workers(ids);
      std::cout << "[]\n";
    } else if (op == "dispatch") {
      std::int64_t target = 0;
      double rate = 1;
      in >> target >> rate;
      dispatcher->new_dispatch(target, rate);
      std::cout.precision(17);
      std::cout << "{\"interval\":" << dispatcher->step_interval_s() << "}\n";
    } else if (op == "next" || op == "drain") {
      long n = 1000000;
      if (op == "next") in >> n;
      std::string out = "[";
      for (long i = 0; i < n; ++i) {
        const auto d = dispatcher->next();
        if (i > 0) out += ',';
        out += to_json(d, dispatcher->workers(), names);
        if (!d && op == "drain") break;
      }
      std::cout << out << "]\n";
    } else {
      std::cerr << "unknown op: " << line << "\n";
      return 2;
    }
    std::cout.flush();
  }
  return 0;
}
