// The braid_io library (see include/braid/io/io.hpp).
#include "braid/io/io.hpp"
