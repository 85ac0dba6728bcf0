// The braid_data library; see braid/data/data.hpp.
#include "braid/data/dataset.hpp"
