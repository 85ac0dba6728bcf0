#pragma once
/// braid::optim: optimizers, learning-rate schedules, gradient clipping.
#include "braid/optim/adagrad.hpp"
#include "braid/optim/adam.hpp"
#include "braid/optim/clip_grad.hpp"
#include "braid/optim/optimizer.hpp"
#include "braid/optim/param_groups.hpp"
#include "braid/optim/rmsprop.hpp"
#include "braid/optim/scheduler.hpp"
#include "braid/optim/sgd.hpp"
