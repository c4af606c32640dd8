// User (see user.hpp): attached to its worker's loop by the engine, stopped or killed by it, and
// its waits (sleep, and park in the open model).
#include "scenario/user.hpp"

#include <string>
#include <utility>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/uuid.hpp"
#include "otel/baggage.hpp"
#include "otel/sampler.hpp"
#include "scenario/user_detail.hpp"

namespace loadgen::scenario {

User::~User() {
  // A user abandoned while asleep (process shutdown) must leave the loop's timer heap.
  if (loop_) loop_->forget(sleeper_);
}

void User::attach(const Runtime& rt) {
  loop_ = rt.loop;
  events_ = rt.events;
  flags_ = rt.flags ? rt.flags : &user_detail::default_flags();
  class_ = rt.cls;
  id_ = rt.id;
  start_delay_ns_ = rt.start_delay_ns;
  log_settings_ = rt.log_settings;
  logs_ = rt.logs;
  rng_.reseed(rt.seed);
  client_.emplace(*rt.loop, *rt.client_config, rt.observer);
  session_id_ = core::uuid4(rng_);
  trace_settings_ = rt.trace;
  spans_ = rt.spans;
  if (trace_settings_) {
    trace_.propagation = &trace_settings_->propagation;
    trace_.rng = &rng_;
    // W3C Baggage: every request is marked synthetic and carries the user's session.
    otel::Baggage b;
    b.set("synthetic_request", "true");
    b.set("session.id", session_id_);
    trace_.baggage_header = b.header();
    // Built by appending: its capacity is up to twice its length, kept by every idle user.
    trace_.baggage_header.shrink_to_fit();
    client_->set_trace(&trace_);
    sampled_trace_state_ = otel::sampled_trace_state(trace_settings_->sampler);
  }
  last_wait_end_ns_ = core::mono_ns();
}

void User::request_stop() {
  stopping_ = true;
  loop_->wake(sleeper_);
}

void User::kill() {
  if (killed_) return;
  killed_ = true;
  stopping_ = true;
  if (client_) client_->cancel();
  loop_->wake(sleeper_);
}

core::Task<> User::sleep(std::chrono::nanoseconds d) {
  if (killed_) throw core::Cancelled{};
  if (d.count() > 0 && !stopping_) {
    client_->park_for(d);
    co_await loop_->sleep(sleeper_, d);
  }
  if (killed_) throw core::Cancelled{};
}

core::Task<> User::park() {
  if (killed_) throw core::Cancelled{};
  if (!stopping_) {
    // Idle until the next arrival, an unknown wait: the connections go back to the pool once
    // it has lasted --park-after, so a busy open model keeps its users' connections.
    const std::chrono::nanoseconds after = client_->park_after();
    bool woken = false;
    if (after.count() > 0) woken = co_await loop_->sleep(sleeper_, after);
    if (!woken && !killed_ && !stopping_) {
      client_->park();
      co_await loop_->sleep(sleeper_, std::chrono::hours(24));
    }
  }
  if (killed_) throw core::Cancelled{};
}

}  // namespace loadgen::scenario
