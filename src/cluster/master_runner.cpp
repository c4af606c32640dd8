// master_runner.cpp: see master_runner.hpp (not written yet).
#include "cluster/master_runner.hpp"
