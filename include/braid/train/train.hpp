#pragma once
/// braid::train: the Keras front door (compile, fit, evaluate, predict),
/// callbacks, metrics, the progress bar and summary().
#include "braid/train/callbacks.hpp"
#include "braid/train/losses.hpp"
#include "braid/train/metrics.hpp"
#include "braid/train/model.hpp"
#include "braid/train/progbar.hpp"
#include "braid/train/summary.hpp"
