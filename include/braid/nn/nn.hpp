#pragma once
/// braid::nn: modules (layers with parameters), initialisers, loss modules.
#include "braid/nn/module.hpp"
#include "braid/nn/linear.hpp"
#include "braid/nn/sequential.hpp"
#include "braid/nn/rnn.hpp"
#include "braid/nn/attention.hpp"
#include "braid/nn/transformer.hpp"
