#pragma once
/// braid::optim: optimizers, learning-rate schedules, gradient clipping.
