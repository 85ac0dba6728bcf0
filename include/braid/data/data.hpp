#pragma once
/// braid::data: datasets, readers (MNIST IDX, CSV), transforms, DataLoader.
