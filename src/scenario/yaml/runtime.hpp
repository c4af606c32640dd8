// Runs a compiled YAML scenario (program.hpp): the User subclass its classes make, and the task
// functions that interpret a block of steps. Worker thread only, as every User.
#pragma once

#include <functional>
#include <memory>

#include "core/task.hpp"
#include "scenario/user.hpp"
#include "scenario/yaml/program.hpp"

namespace loadgen::scenario::yaml {

// A task (or hook) that runs `block` for the user; `program` keeps the block alive.
std::function<core::Task<>(User&)> block_function(std::shared_ptr<const Program> program,
                                                  const Block* block);

// Makes the users of one class: variables initialised before the class's on_start steps.
std::function<std::unique_ptr<User>()> user_factory(std::shared_ptr<const Program> program,
                                                    const ClassProgram* cls);

}  // namespace loadgen::scenario::yaml
