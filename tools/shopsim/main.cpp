// shopsim: serves the Astronomy Shop API on one port and flagd's OFREP API on another, prints
// "PORT <n>" and "OFREP_PORT <m>" once listening, and exits 0 on SIGINT/SIGTERM.
// Exit codes: 0 clean stop, 1 start-up failure (bad flag file, port in use), 2 bad usage.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "flags.hpp"
#include "net/event_loop.hpp"
#include "options.hpp"
#include "server/http_server.hpp"
#include "shop.hpp"

namespace {

using namespace loadgen::shopsim;
namespace net = loadgen::net;
namespace server = loadgen::server;

int fail(const loadgen::core::Error& e, int code) {
  std::fprintf(stderr, "shopsim: %s\n", e.message.c_str());
  if (!e.hint.empty()) std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
  return code;
}

// A listen error named after the options that chose the address.
loadgen::core::Error with_flag(const std::string& flags, loadgen::core::Error e) {
  e.message = flags + " " + e.message;
  return e;
}

// Written to a temporary name and renamed, so a reader never sees half the file.
bool write_port_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    if (parsed.error().code == "help") {
      std::printf("%s", parsed.error().message.c_str());
      return 0;
    }
    return fail(parsed.error(), 2);
  }
  const Options& opt = *parsed;
  const std::uint64_t seed = opt.seed ? *opt.seed : std::random_device{}();

  // SIGINT/SIGTERM are taken by sigwait below, on this thread only: block them before any
  // thread starts (threads inherit the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // One event loop per thread, each with its own listening sockets on the shared ports
  // (SO_REUSEPORT: the kernel spreads connections across the loops).
  const bool reuse_port = opt.threads > 1;
  std::vector<std::unique_ptr<net::EventLoop>> loops;
  for (unsigned i = 0; i < opt.threads; ++i) loops.push_back(std::make_unique<net::EventLoop>());
  Shop shop(opt.knobs, seed);
  FlagService flags(*loops[0], opt.flags_file);
  if (auto st = flags.start(); !st) return fail(st.error(), 1);

  server::ServerOptions server_options;
  server_options.name = "shopsim";
  std::vector<std::unique_ptr<server::HttpServer>> servers;  // shop, ofrep per loop
  std::uint16_t port = opt.port;
  std::uint16_t ofrep_port = opt.ofrep_port;
  for (auto& loop : loops) {
    servers.push_back(std::make_unique<server::HttpServer>(
        *loop, [&shop](const Request& r) { return shop.handle(r); }, server_options));
    auto bound = servers.back()->listen(opt.host, port, reuse_port);
    if (!bound) return fail(with_flag("--host/--port", bound.error()), 1);
    port = *bound;
    servers.push_back(std::make_unique<server::HttpServer>(
        *loop, [&flags](const Request& r) { return flags.handle(r); }, server_options));
    auto ofrep_bound = servers.back()->listen(opt.host, ofrep_port, reuse_port);
    if (!ofrep_bound) return fail(with_flag("--host/--ofrep-port", ofrep_bound.error()), 1);
    ofrep_port = *ofrep_bound;
  }

  const std::string lines =
      "PORT " + std::to_string(port) + "\nOFREP_PORT " + std::to_string(ofrep_port) + "\n";
  if (!opt.port_file.empty() && !write_port_file(opt.port_file, lines)) {
    return fail({"io", "--port-file " + opt.port_file + ": cannot write", ""}, 1);
  }
  std::fputs(lines.c_str(), stdout);
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (auto& loop : loops) threads.emplace_back([&loop] { loop->run(); });
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  // Each loop ends its servers (and loop 0 the flag polling), then stops once they are done.
  for (std::size_t i = 0; i < loops.size(); ++i) {
    net::EventLoop* loop = loops[i].get();
    server::HttpServer* shop_server = servers[2 * i].get();
    server::HttpServer* ofrep_server = servers[2 * i + 1].get();
    loop->post([i, loop, shop_server, ofrep_server, &flags] {
      if (i == 0) flags.stop();
      auto pending = std::make_shared<int>(2);
      auto done = [loop, pending] {
        if (--*pending == 0) loop->post([loop] { loop->stop(); });
      };
      shop_server->shutdown(done);
      ofrep_server->shutdown(done);
    });
  }
  for (std::thread& t : threads) t.join();
  return 0;
}
