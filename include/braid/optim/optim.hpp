#pragma once
/// braid::optim: optimizers, learning-rate schedules, gradient clipping.
#include "braid/optim/optimizer.hpp"
