// shopsim: serves the Astronomy Shop API on one port and flagd's OFREP API on another, prints
// "PORT <n>" and "OFREP_PORT <m>" once listening, and exits 0 on SIGINT/SIGTERM.
// Exit codes: 0 clean stop, 1 start-up failure (bad flag file, port in use), 2 bad usage.
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "flags.hpp"
#include "http_server.hpp"
#include "options.hpp"
#include "shop.hpp"

namespace {

using namespace loadgen::shopsim;

int fail(const loadgen::core::Error& e, int code) {
  std::fprintf(stderr, "shopsim: %s\n", e.message.c_str());
  if (!e.hint.empty()) std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
  return code;
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

  asio::io_context io(static_cast<int>(opt.threads));
  Shop shop(opt.knobs, seed);
  FlagService flags(io, opt.flags_file);
  if (auto st = flags.start(); !st) return fail(st.error(), 1);

  HttpServer shop_server(io, [&shop](const Request& r) { return shop.handle(r); });
  HttpServer ofrep_server(io, [&flags](const Request& r) { return flags.handle(r); });
  auto port = shop_server.listen(opt.host, opt.port);
  if (!port) return fail(port.error(), 1);
  auto ofrep_port = ofrep_server.listen(opt.host, opt.ofrep_port);
  if (!ofrep_port) return fail(ofrep_port.error(), 1);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    shop_server.close();
    ofrep_server.close();
    flags.stop();
    io.stop();
  });

  const std::string lines =
      "PORT " + std::to_string(*port) + "\nOFREP_PORT " + std::to_string(*ofrep_port) + "\n";
  if (!opt.port_file.empty() && !write_port_file(opt.port_file, lines)) {
    return fail({"io", "--port-file " + opt.port_file + ": cannot write", ""}, 1);
  }
  std::fputs(lines.c_str(), stdout);
  std::fflush(stdout);

  std::vector<std::thread> extra;
  for (unsigned i = 1; i < opt.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : extra) t.join();
  return 0;
}
