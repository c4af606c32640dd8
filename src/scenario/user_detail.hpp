// Internal to scenario/user*.cpp: what the user's files share beyond user.hpp.
#pragma once

#include "scenario/flag_source.hpp"

namespace loadgen::scenario::user_detail {

// Every flag at its default: the provider of a run without one (user_flags.cpp). Shared by every
// worker; its latest evaluation is per thread.
FlagSource& default_flags();

}  // namespace loadgen::scenario::user_detail
