// dispatch.cpp: see dispatch.hpp (not written yet).
#include "plan/dispatch.hpp"
