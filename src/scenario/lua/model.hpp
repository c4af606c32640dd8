// The user classes of a Lua scenario file as plain data (what the prelude's compile() returns):
// built once per interpreter; the loader turns it into scenario::UserClass, and every worker's
// interpreter finds the same task functions under the same slots. No Lua types here.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario/wait_time.hpp"

namespace loadgen::scenario::lua {

struct SetModel;

struct TaskModel {
  std::string name;
  unsigned weight = 1;
  std::vector<std::string> tags;
  int slot = 0;                   // the task function (0: a task set)
  std::shared_ptr<SetModel> set;  // a nested taskset{}
};

struct SetModel {
  std::string name;
  bool sequential = false;
  std::optional<WaitTime> wait_time;
  int on_start = 0;  // 0: none
  int on_stop = 0;
  std::vector<TaskModel> tasks;
};

struct ClassModel {
  std::string name;
  unsigned weight = 1;
  unsigned fixed_count = 0;
  std::string host;
  std::optional<WaitTime> wait_time;  // unset: constant(0)
  bool sequential = false;
  int on_start = 0;
  int on_stop = 0;
  std::vector<TaskModel> tasks;
  int line = 0;  // of the user{} call
};

struct Model {
  std::vector<ClassModel> classes;
  int slots = 0;  // number of task functions
  // A hash of the classes (names, weights, tags, slots) and of every slot's function (lines and
  // bytecode): equal in every interpreter that runs the same file the same way.
  std::size_t signature = 0;
};

// A loaded scenario file, shared read-only by the loader and every worker's interpreter.
struct Script {
  std::string path;    // as given to -f
  std::string dir;     // its directory, for data.json("...")
  std::string source;  // read once: every interpreter runs the same text
  // The file mentions response bodies (.body, .text, :json(, ["body"]) or sets keep_bodies =
  // true: bodies are then kept; otherwise every body is streamed away (client::ResponseBody)
  // unless a request says keep_body = true, and reading one is a Lua error saying so.
  bool reads_responses = false;
  Model model;
};

}  // namespace loadgen::scenario::lua
