// load_mnist / load_fashion_mnist: find the four IDX files, read and check them.
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "braid/data/idx.hpp"
#include "braid/ops/ops.hpp"

namespace braid::data {
namespace {

namespace fs = std::filesystem;

struct Source {
  const char* op;     // "load_mnist"
  const char* title;  // "MNIST"
  std::string where;  // how root was chosen, for the error
  std::string how;    // how to get the data
};

// The file `stem` under root, plain or gzipped; records the paths it tried.
std::string find_file(const fs::path& root, const std::string& stem,
                      std::vector<std::string>& tried) {
  for (const char* ext : {"", ".gz"}) {
    fs::path p = root / (stem + ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
    tried.push_back(p.string());
  }
  return "";
}

void check_pair(const Source& src, const char* split, const std::string& ipath,
                const Tensor& images, const std::string& lpath, const Tensor& labels) {
  BRAID_CHECK(images.dim() == 3 && images.dtype() == DType::UInt8, IOError, src.op,
              "'{}': {} {} images must be uint8 (n, rows, cols); got {} {}", ipath, src.title,
              split, dtype_name(images.dtype()), shape_str(images.shape()));
  BRAID_CHECK(labels.dim() == 1 && labels.dtype() == DType::Int64, IOError, src.op,
              "'{}': {} {} labels must be a 1-D uint8 IDX file; got {} {}", lpath, src.title, split,
              dtype_name(labels.dtype()), shape_str(labels.shape()));
  BRAID_CHECK(images.size(0) == labels.size(0), IOError, src.op,
              "{} {} split: '{}' has {} images but '{}' has {} labels", src.title, split, ipath,
              images.size(0), lpath, labels.size(0));
  if (labels.numel() == 0) return;
  int64_t lo = min(labels).item<int64_t>(), hi = max(labels).item<int64_t>();
  BRAID_CHECK(lo >= 0 && hi <= 9, IOError, src.op,
              "'{}': {} labels are classes 0..9; got values in [{}, {}]", lpath, src.title, lo, hi);
}

MnistSplits load(const Source& src, const fs::path& root) {
  const char* stems[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::string paths[4];
  std::vector<std::string> tried, missing;
  for (int k = 0; k < 4; ++k) {
    std::vector<std::string> t;
    paths[k] = find_file(root, stems[k], t);
    if (paths[k].empty()) tried.insert(tried.end(), t.begin(), t.end());
  }
  BRAID_CHECK(tried.empty(), IOError, src.op, "{} not found in '{}' ({}); tried:\n  {}\n{}",
              src.title, root.string(), src.where, fmt::join(tried, "\n  "), src.how);
  MnistSplits s{read_idx(paths[0]), read_idx(paths[1]), read_idx(paths[2]), read_idx(paths[3])};
  check_pair(src, "train", paths[0], s.train_images, paths[1], s.train_labels);
  check_pair(src, "test", paths[2], s.test_images, paths[3], s.test_labels);
  return s;
}

}  // namespace

MnistSplits load_mnist(const std::string& root) {
  Source src{"load_mnist", "MNIST", "", ""};
  fs::path dir;
  const char* env = std::getenv("BRAID_MNIST_DIR");
  if (!root.empty()) {
    dir = root;
    src.where = "given as root";
  } else if (env && *env) {
    dir = env;
    src.where = "from $BRAID_MNIST_DIR";
  } else {
    dir = fs::path(BRAID_SOURCE_DIR) / ".cache" / "mnist";
    src.where = "the default: root \"\" and $BRAID_MNIST_DIR unset";
  }
  src.how = fmt::format(
      "Get MNIST with `scripts/fetch_mnist.sh` (from the braid repo; it puts the files in "
      "{}/.cache/mnist), or point $BRAID_MNIST_DIR or the root argument at a folder that has them.",
      BRAID_SOURCE_DIR);
  return load(src, dir);
}

MnistSplits load_fashion_mnist(const std::string& root) {
  Source src{
      "load_fashion_mnist", "Fashion-MNIST", "given as root",
      "Install it with `sudo apt-get install dataset-fashion-mnist` (or `scripts/setup.sh "
      "demo`), which puts the files in /usr/share/datasets/fashion-mnist, or pass the folder "
      "that has them."};
  return load(src, root);
}

}  // namespace braid::data
