// The braid_data library (see include/braid/data/data.hpp).
#include "braid/data/data.hpp"
