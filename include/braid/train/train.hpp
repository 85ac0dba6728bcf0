#pragma once
/// braid::train: the Keras front door (compile, fit, evaluate, predict),
/// callbacks, metrics, the progress bar and summary().
