#pragma once
/// IDX files (the MNIST format), plain or gzip-compressed, and the MNIST and
/// Fashion-MNIST loaders built on them.
#include <string>

#include "braid/core/tensor.hpp"

namespace braid::data {

/// Reads an IDX file; gzip files (detected by content, not by name) are
/// decompressed on the fly. The element type follows the header's type code:
/// 0x08 uint8, 0x09 int8, 0x0B int16 (read as int32: braid has no int16),
/// 0x0C int32, 0x0D float32, 0x0E float64. A 1-D uint8 file is a label file
/// (magic 0x00000801) and comes back as int64, the class-index type that
/// cross_entropy takes; images (0x00000803) come back as uint8 (N, rows, cols).
/// Throws IOError, with the path, for: a missing or unreadable file, a bad
/// magic number (the value found), an unsupported type code, a size that
/// does not match the dims (expected and actual bytes), and a truncated or
/// corrupt gzip stream.
Tensor read_idx(const std::string& path);

/// Writes `t` as an IDX file, gzip-compressed when `path` ends in ".gz", to a
/// temporary name renamed into place. int64 is written as uint8 (IDX has no
/// 64-bit type), so every value must be in [0, 255]. Throws DTypeError,
/// ValueError, IOError.
void write_idx(const std::string& path, const Tensor& t);

/// The four MNIST-format tensors: images uint8 (n, 28, 28), labels int64 (n).
struct MnistSplits {
  Tensor train_images, train_labels, test_images, test_labels;
};

/// MNIST from `root`, or when root is "" from $BRAID_MNIST_DIR, else from
/// <repo>/.cache/mnist (where scripts/fetch_mnist.sh puts it). Each file is
/// looked for as e.g. train-images-idx3-ubyte and train-images-idx3-ubyte.gz.
/// Throws IOError listing every path tried and how to get the data.
MnistSplits load_mnist(const std::string& root = "");

/// Fashion-MNIST, as installed by Debian's dataset-fashion-mnist package
/// (`scripts/setup.sh demo`). Same files, names and errors as load_mnist.
MnistSplits load_fashion_mnist(const std::string& root = "/usr/share/datasets/fashion-mnist");

}  // namespace braid::data
