// transport.cpp: see transport.hpp (not written yet).
#include "cluster/transport.hpp"
