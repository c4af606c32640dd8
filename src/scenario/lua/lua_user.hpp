// LuaUser: a simulated user of a Lua scenario: a coroutine (lua_newthread) of its worker's
// interpreter, anchored in the registry, with a `self` table for its state. A task resumes the
// coroutine; whatever must wait (a request, sleep(), flag()) yields a request for the event loop
// here, and the coroutine is resumed with the result once the C++ side's co_await is done.
// Worker thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "client/response.hpp"
#include "http/method.hpp"
#include "http/request_writer.hpp"
#include "scenario/lua/interpreter.hpp"
#include "scenario/user.hpp"

struct lua_State;

namespace loadgen::scenario::lua {

// A Lua error in a task: the message and the Lua traceback (the exceptions report shows it).
struct LuaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A SpanScope built in place from the prvalue User::start_span()/start_task_span() return.
struct SpanBox {
  template <class F>
  explicit SpanBox(F&& f) : scope(f()) {}
  SpanScope scope;
};

class LuaUser final : public User {
 public:
  // `interp` null: `error` says why this thread has no interpreter; every task then fails.
  LuaUser(std::shared_ptr<Interpreter> interp, const ClassModel& cls, int class_index,
          std::string error = {});
  ~LuaUser() override;

  core::Task<> on_start() override;
  core::Task<> on_stop() override;
  // Runs the task function in `slot` (TaskDef::fn of the loader's classes).
  core::Task<> run_slot(int slot);

  // ---- for the bindings (bindings.cpp), while this user's coroutine runs ----
  enum class Op : std::uint8_t { kNone, kRequest, kSleep, kFlagInt, kFlagBool };
  struct Pending {
    Op op = Op::kNone;
    http::Method method = http::Method::kGet;
    std::string url, name, body, json;
    std::vector<std::string> header_text;  // name, value, name, value...
    std::vector<http::Header> headers;     // views into header_text
    bool catch_response = false;
    bool allow_redirects = true;
    bool keep_body = false;
    double sleep_s = 0;
    std::string flag_key;
    std::int64_t flag_default = 0;
  };
  Pending& pending() { return pending_; }
  // The user's coroutine: what may yield to the event loop (not a coroutine the task created).
  lua_State* thread() const { return co_; }
  // Responses of the current task, by handle (a response table's _h).
  client::Response* response(double handle);
  // span()/task_span(): the depth of the opened span (1 = outermost of this user).
  int open_span(std::string_view name, bool task_span);
  SpanScope* span_at(int depth);
  void close_span(int depth);
  std::uint32_t task_generation() const { return generation_; }

 private:
  void reset_thread();
  core::Task<> resume_loop(int slot);
  core::Task<int> perform();
  void push_response(client::Response r);
  [[noreturn]] void raise_error();
  void end_task();

  std::shared_ptr<Interpreter> interp_;
  const ClassModel* cls_;
  int class_index_;
  std::string open_error_;
  lua_State* co_ = nullptr;
  int thread_ref_ = -2;  // LUA_NOREF
  int self_ref_ = -2;
  bool co_clean_ = false;
  std::uint32_t generation_ = 1;
  Pending pending_;
  std::vector<client::Response> responses_;
  std::vector<std::unique_ptr<SpanBox>> spans_;
};

}  // namespace loadgen::scenario::lua
