// The braid_train library (see include/braid/train/train.hpp).
#include "braid/train/train.hpp"
