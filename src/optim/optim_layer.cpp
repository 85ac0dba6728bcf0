// The braid_optim library (see include/braid/optim/optim.hpp).
#include "braid/optim/optim.hpp"
