// message.cpp: see message.hpp (not written yet).
#include "cluster/message.hpp"
