// The braid_log library (see include/braid/log/log.hpp).
#include "braid/log/log.hpp"
