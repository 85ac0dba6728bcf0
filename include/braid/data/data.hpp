#pragma once
/// braid::data: datasets, readers (MNIST IDX, CSV), transforms, DataLoader.
#include "braid/data/csv.hpp"
#include "braid/data/dataloader.hpp"
#include "braid/data/dataset.hpp"
#include "braid/data/idx.hpp"
#include "braid/data/random.hpp"
#include "braid/data/tensor_dataset.hpp"
#include "braid/data/transforms.hpp"
