#pragma once
/// braid::data: datasets, readers (MNIST IDX, CSV), transforms, DataLoader.
#include "braid/data/dataset.hpp"
