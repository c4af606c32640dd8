// The request path allocates nothing in steady state (ARCHITECTURE.md: "Nothing on it ...
// allocates per request in steady state"): a real worker thread runs the built-in `get`
// scenario against a loopback server; after a warm-up, this binary's global operator new counts
// every allocation (malloc, so operator new and coroutine frames
// too) the worker thread makes during a window of at least kWindow requests, with
// trace headers and CLIENT spans on and off. Its own binary: it interposes malloc and free.
// LOADGEN_ALLOC_TRACE=1 prints the stack of the first allocations in the window (stderr).
#include <execinfo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "engine/worker.hpp"
#include "scenario/scenario.hpp"
#include "test_server.hpp"

// Sanitizer runtimes own malloc: there the tests are skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOADGEN_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define LOADGEN_COUNT_MALLOC 0
#endif
#endif
#ifndef LOADGEN_COUNT_MALLOC
#define LOADGEN_COUNT_MALLOC 1
#endif

namespace {

// Only the worker thread counts (marked when it makes its user), only while the window is open.
thread_local bool t_counted = false;
std::atomic<bool> g_window{false};
std::atomic<std::uint64_t> g_allocs{0};
bool g_trace = false;
thread_local bool t_in_trace = false;

[[maybe_unused]] void note_alloc() {  // unused where a sanitizer owns malloc
  if (!t_counted || !g_window.load(std::memory_order_relaxed)) return;
  const std::uint64_t n = g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (g_trace && n < 8 && !t_in_trace) {
    t_in_trace = true;
    void* frames[32];
    const int depth = backtrace(frames, 32);
    static const char kHead[] = "--- allocation on the worker thread in the window:\n";
    (void)!write(2, kHead, sizeof kHead - 1);
    backtrace_symbols_fd(frames, depth, 2);
    t_in_trace = false;
  }
}

}  // namespace

#if LOADGEN_COUNT_MALLOC
// malloc and friends, interposed for the whole process (operator new, coroutine frames and
// C libraries all end here); glibc's own entry points do the work.
extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t n);
void* __libc_memalign(std::size_t align, std::size_t n);
void __libc_free(void* p);

void* malloc(std::size_t n) {
  note_alloc();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_alloc();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_alloc();
  return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
  note_alloc();
  return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
  note_alloc();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  note_alloc();
  void* p = __libc_memalign(align, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}
#endif

namespace loadgen::engine {
namespace {

using namespace std::chrono_literals;
using testing::ReceivedRequest;
using testing::TestServer;

constexpr std::size_t kUsers = 50;     // as bench/vs-wrk
constexpr std::size_t kWarmup = 3000;  // requests before the window (buffers, pools, names)
constexpr std::size_t kWindow = 2000;  // requests in the window, at least

struct Result {
  std::uint64_t allocs = 0;
  std::size_t requests = 0;
};

Result run(bool traced) {
  TestServer server([](const ReceivedRequest&) { return testing::http_reply(200, "hello"); });
  client::ClientConfig client_cfg;
  auto url = http::parse_url(server.base_url());
  EXPECT_TRUE(url.ok());
  client_cfg.set_base(*url);
  scenario::TraceSettings trace;  // W3C traceparent + baggage, every trace sampled

  scenario::Scenario sc = scenario::make_get_scenario(scenario::GetScenarioSettings{});
  scenario::UserClass& cls = sc.user_classes.at(0);
  // Users are made on the worker thread: that marks it as the counted one.
  cls.make = [inner = cls.make] {
    t_counted = true;
    return inner();
  };

  WorkerConfig cfg;
  cfg.client = &client_cfg;
  if (traced) {
    cfg.trace = &trace;
    cfg.span_capacity = 1'000'000;
  }
  Result res;
  {
    Worker w(0, cfg);
    w.start();
    std::vector<SpawnOrder> orders;
    for (std::uint64_t id = 1; id <= kUsers; ++id) orders.push_back(SpawnOrder{&cls, id, id});
    w.spawn(std::move(orders));
    EXPECT_TRUE(server.wait_for([&] { return server.request_count() >= kWarmup; }, 30s));
    // Drain the spans once, as the exporter does: the worker keeps room for as many as last
    // time, so the window (shorter than the warm-up) needs no regrowth.
    if (traced) {
      EXPECT_GT(w.take_spans().get().client->records.size(), kWindow);
    }
    const std::size_t before = server.request_count();
    g_window.store(true);
    EXPECT_TRUE(server.wait_for([&] { return server.request_count() >= before + kWindow; }, 30s));
    g_window.store(false);
    res.requests = server.request_count() - before;
    res.allocs = g_allocs.exchange(0);
    w.stop_all(false);
    EXPECT_TRUE(server.wait_for([&] { return w.alive() == 0; }, 10s));
    w.shutdown();
  }
  return res;
}

class SteadyStateAllocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* v = std::getenv("LOADGEN_ALLOC_TRACE");
    g_trace = v != nullptr && *v == '1';
    if (!LOADGEN_COUNT_MALLOC) GTEST_SKIP() << "a sanitizer owns malloc";
  }
};

TEST_F(SteadyStateAllocTest, NoAllocationPerRequestWithoutTracing) {
  const Result r = run(false);
  EXPECT_GE(r.requests, kWindow);
  EXPECT_EQ(r.allocs, 0u) << "over " << r.requests << " requests";
}

TEST_F(SteadyStateAllocTest, NoAllocationPerRequestWithTraceHeadersAndSpans) {
  const Result r = run(true);
  EXPECT_GE(r.requests, kWindow);
  EXPECT_EQ(r.allocs, 0u) << "over " << r.requests << " requests";
}

// The counter sees the worker thread's allocations (the test can fail): a window that spans
// the users' start counts the allocations that starting them makes.
TEST_F(SteadyStateAllocTest, CountsTheWorkerThreadsAllocations) {
  TestServer server([](const ReceivedRequest&) { return testing::http_reply(200, "hello"); });
  client::ClientConfig client_cfg;
  client_cfg.set_base(*http::parse_url(server.base_url()));
  scenario::Scenario sc = scenario::make_get_scenario(scenario::GetScenarioSettings{});
  scenario::UserClass& cls = sc.user_classes.at(0);
  cls.make = [inner = cls.make] {
    t_counted = true;
    g_window.store(true);
    return inner();
  };
  WorkerConfig cfg;
  cfg.client = &client_cfg;
  Worker w(0, cfg);
  w.start();
  w.spawn({SpawnOrder{&cls, 1, 1}});
  EXPECT_TRUE(server.wait_for([&] { return server.request_count() >= 10; }, 10s));
  g_window.store(false);
  EXPECT_GT(g_allocs.exchange(0), 0u);
  w.stop_all(false);
  EXPECT_TRUE(server.wait_for([&] { return w.alive() == 0; }, 10s));
  w.shutdown();
}

}  // namespace
}  // namespace loadgen::engine
