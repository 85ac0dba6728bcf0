#pragma once
/// braid::nn: modules (layers with parameters), initialisers, loss modules.
#include "braid/nn/module.hpp"
#include "braid/nn/linear.hpp"
#include "braid/nn/sequential.hpp"
