// worker_node.cpp: see worker_node.hpp (not written yet).
#include "cluster/worker_node.hpp"
