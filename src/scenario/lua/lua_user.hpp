// LuaUser: a simulated user of a Lua scenario: a coroutine (lua_newthread) of its worker's
// interpreter, anchored in the registry, with a `self` table for its state. A task resumes the
// coroutine; whatever must wait (a request, sleep(), flag()) yields a request for the event loop
// here, and the coroutine is resumed with the result once the C++ side's co_await is done.
// Worker thread only.
#pragma once

#include <cstdint>
#include <deque>
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
  // A response of the current task, by a response table's _g (task generation) and _i (index);
  // null with `why` set when it is gone (its task ended, another user's, or released).
  struct Held {
    client::Response response;
    bool body_kept = false;  // the request kept its body (keep_body, keep_bodies, a guess)
  };
  Held* response(double generation, double index, const char*& why);
  // How many responses of a task stay readable: the older ones are released (and a pending
  // catch_response verdict recorded), so a task that loops holds a bounded amount.
  static constexpr std::size_t kLiveResponses = 100;
  // span()/task_span(): the depth of the opened span (1 = outermost of this user).
  int open_span(std::string_view name, bool task_span);
  SpanScope* span_at(int depth);
  void close_span(int depth);

 private:
  void reset_thread();
  core::Task<> resume_loop(int slot);
  core::Task<int> perform();
  void push_response(client::Response r, bool body_kept);
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
  // Unique among the tasks of all the users of this thread (so of this interpreter): a response
  // table of another user or of an ended task is refused, never read as one of this task's.
  std::uint64_t generation_ = 0;
  Pending pending_;
  std::deque<Held> responses_;        // the task's last kLiveResponses
  std::uint64_t first_response_ = 0;  // index in the task of responses_.front()
  std::vector<std::unique_ptr<SpanBox>> spans_;
};

}  // namespace loadgen::scenario::lua
