// IDX files: round trips (plain and gzip), every corruption error, and the
// MNIST loaders (on small files written here, and on the real data when present).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "data/data_test_util.hpp"

namespace braid::data {
namespace {

using testing::expect_same;
using testing::ScratchDir;
using testing::write_bytes;

Tensor images(int64_t n, int64_t rows = 28, int64_t cols = 28) {
  manual_seed(3);
  return randint(0, 256, {n, rows, cols}).to(DType::UInt8);
}

TEST(Idx, RoundTripsPlainAndGzip) {
  ScratchDir dir;
  Tensor img = images(5, 4, 3);
  Tensor labels = tensor({7, 0, 255, 3, 9});
  Tensor f32 = tensor({{1.5f, -2.25f}, {3e-8f, 1e30f}});
  Tensor f64 = tensor({{0.1, -2.0, 1e300}}, DType::Float64);
  Tensor i32 = tensor({-70000, 0, 2147483647}, DType::Int32);
  Tensor i8 = tensor({-128, 5, 127}, DType::Int8);
  for (const char* ext : {"", ".gz"}) {
    SCOPED_TRACE(ext);
    int k = 0;
    for (const Tensor& t : {img, labels, f32, f64, i32, i8}) {
      std::string p = dir.file(fmt::format("t{}{}", k++, ext));
      write_idx(p, t);
      expect_same(read_idx(p), t);
    }
  }
  // Compressed files start with gzip's magic, plain ones with IDX's.
  write_idx(dir.file("img.gz"), img);
  EXPECT_EQ(testing::read_bytes(dir.file("img.gz"))[0], 0x1f);
  write_idx(dir.file("img"), img);
  auto plain = testing::read_bytes(dir.file("img"));
  EXPECT_EQ(std::vector<unsigned char>(plain.begin(), plain.begin() + 8),
            (std::vector<unsigned char>{0, 0, 8, 3, 0, 0, 0, 5}));
  EXPECT_EQ(plain.size(), 4u + 12 + 5 * 4 * 3);
}

TEST(Idx, LabelFilesAreInt64AndImagesUint8) {
  ScratchDir dir;
  // Magic 0x00000801: one dim of uint8.
  write_bytes(dir.file("l"), {0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 9});
  Tensor l = read_idx(dir.file("l"));
  EXPECT_EQ(l.dtype(), DType::Int64);
  EXPECT_EQ(l.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 9}));
  write_bytes(dir.file("i"), {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 200, 17});
  Tensor i = read_idx(dir.file("i"));
  EXPECT_EQ(i.dtype(), DType::UInt8);
  EXPECT_EQ(i.shape(), (Shape{1, 1, 2}));
  EXPECT_EQ(i.to_vector<int>(), (std::vector<int>{200, 17}));
  // int16 (no braid dtype) widens to int32; big-endian, signed.
  write_bytes(dir.file("s"), {0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00});
  Tensor s = read_idx(dir.file("s"));
  EXPECT_EQ(s.dtype(), DType::Int32);
  EXPECT_EQ(s.to_vector<int>(), (std::vector<int>{-2, 256}));
}

TEST(Idx, CorruptFilesGetExactErrors) {
  ScratchDir dir;
  std::string p = dir.file("bad");
  BRAID_EXPECT_THROW_MSG(read_idx(p), IOError, "[read_idx] no such file: '" + p + "'");
  BRAID_EXPECT_THROW_MSG(read_idx(dir.str()), IOError,
                         "[read_idx] '" + dir.str() + "' is a directory, not a file");

  write_bytes(p, {1, 2, 8, 3, 0, 0});
  BRAID_EXPECT_THROW_MSG(
      read_idx(p), IOError,
      "[read_idx] '" + p +
          "': bad magic number 0x01020803; an IDX file starts with two zero bytes, a type code "
          "and the number of dims (0x00000803 for MNIST images, 0x00000801 for labels)");
  write_bytes(p, {0, 0, 0x0a, 1, 0, 0, 0, 1, 5});
  BRAID_EXPECT_THROW_MSG(read_idx(p), IOError,
                         "[read_idx] '" + p +
                             "': unsupported type code 0x0a (magic 0x00000a01); IDX type codes "
                             "are 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, "
                             "0x0e float64");
  write_bytes(p, {0, 0, 8});
  BRAID_EXPECT_THROW_MSG(read_idx(p), IOError,
                         "[read_idx] '" + p +
                             "': the file has 3 bytes, fewer than the 4 bytes of an IDX magic "
                             "number");
  write_bytes(p, {0, 0, 8, 3, 0, 0, 0, 2, 0, 0});
  BRAID_EXPECT_THROW_MSG(read_idx(p), IOError,
                         "[read_idx] '" + p +
                             "': the header declares 3 dims, which needs 16 header bytes, but the "
                             "file has 10 bytes");
  // dims (2, 3, 3) need 18 data bytes: 14 is short, 19 is long.
  std::vector<unsigned char> head = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
  for (size_t data : {14, 19}) {
    std::vector<unsigned char> bytes = head;
    bytes.resize(head.size() + data, 1);
    write_bytes(p, bytes);
    BRAID_EXPECT_THROW_MSG(read_idx(p), IOError,
                           "[read_idx] '" + p +
                               "': the header says dims (2, 3, 3) of uint8, which needs 34 bytes "
                               "(16 header + 18 data), but the file has " +
                               std::to_string(16 + data) + " bytes");
  }
}

TEST(Idx, TruncatedAndCorruptGzip) {
  ScratchDir dir;
  std::string p = dir.file("img.gz");
  write_idx(p, images(20));
  auto bytes = testing::read_bytes(p);
  ASSERT_GT(bytes.size(), 1000u);
  write_bytes(p, std::vector<unsigned char>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  BRAID_EXPECT_THROW_MSG(read_idx(p), IOError,
                         "[read_idx] '" + p +
                             "': the gzip stream is truncated (zlib: unexpected end of file); "
                             "download the file again");
  // Damage the deflate data (after the 10-byte gzip header).
  for (size_t i = 20; i < 60; ++i) bytes[i] ^= 0x5a;
  write_bytes(p, bytes);
  BRAID_EXPECT_THROW_HAS(read_idx(p), IOError, "': the gzip data is corrupt (zlib: ");
}

TEST(Idx, WriteIdxChecksAndLeavesNoTempFile) {
  ScratchDir dir;
  BRAID_EXPECT_THROW_MSG(write_idx(dir.file("x"), tensor({300, 1})), ValueError,
                         "[write_idx] int64 is written as uint8 (IDX has no 64-bit type), so "
                         "values must be in [0, 255]; got values in [1, 300]");
  BRAID_EXPECT_THROW_MSG(write_idx(dir.file("x"), tensor({true, false})), DTypeError,
                         "[write_idx] IDX holds uint8, int8, int32, float32, float64 (and int64 "
                         "labels); got bool");
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  write_idx(dir.file("x"), tensor({1, 2}));
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.tmp")));
}

Tensor digits(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(i % 10);
  return tensor(v);
}

void write_fake_mnist(const ScratchDir& dir, bool gz, int64_t n_train, int64_t n_test) {
  std::string ext = gz ? ".gz" : "";
  write_idx(dir.file("train-images-idx3-ubyte" + ext), images(n_train));
  write_idx(dir.file("train-labels-idx1-ubyte" + ext), digits(n_train));
  write_idx(dir.file("t10k-images-idx3-ubyte" + ext), images(n_test));
  write_idx(dir.file("t10k-labels-idx1-ubyte" + ext), digits(n_test));
}

TEST(Mnist, LoadsPlainOrGzipFiles) {
  for (bool gz : {false, true}) {
    ScratchDir dir;
    write_fake_mnist(dir, gz, 6, 4);
    MnistSplits s = load_mnist(dir.str());
    EXPECT_EQ(s.train_images.shape(), (Shape{6, 28, 28}));
    EXPECT_EQ(s.train_images.dtype(), DType::UInt8);
    EXPECT_EQ(s.train_labels.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(s.test_images.shape(), (Shape{4, 28, 28}));
    EXPECT_EQ(s.test_labels.dtype(), DType::Int64);
    expect_same(load_fashion_mnist(dir.str()).test_images, s.test_images);
  }
}

TEST(Mnist, EnvVarPicksTheFolder) {
  ScratchDir dir;
  write_fake_mnist(dir, false, 2, 2);
  setenv("BRAID_MNIST_DIR", dir.str().c_str(), 1);
  MnistSplits s = load_mnist();
  unsetenv("BRAID_MNIST_DIR");
  EXPECT_EQ(s.train_images.size(0), 2);
}

TEST(Mnist, MissingFilesListEveryPathTried) {
  ScratchDir dir;
  write_fake_mnist(dir, false, 2, 2);
  std::filesystem::remove(dir.file("train-labels-idx1-ubyte"));
  std::filesystem::remove(dir.file("t10k-images-idx3-ubyte"));
  std::string d = dir.str();
  BRAID_EXPECT_THROW_MSG(
      load_mnist(d), IOError,
      "[load_mnist] MNIST not found in '" + d + "' (given as root); tried:\n  " + d +
          "/train-labels-idx1-ubyte\n  " + d + "/train-labels-idx1-ubyte.gz\n  " + d +
          "/t10k-images-idx3-ubyte\n  " + d +
          "/t10k-images-idx3-ubyte.gz\nGet MNIST with `scripts/fetch_mnist.sh` (from the braid "
          "repo; it puts the files in " BRAID_SOURCE_DIR
          "/.cache/mnist), or point $BRAID_MNIST_DIR or the root argument at a folder that has "
          "them.");
  BRAID_EXPECT_THROW_HAS(load_fashion_mnist(d + "/nowhere"), IOError,
                         "Install it with `sudo apt-get install dataset-fashion-mnist`");
}

TEST(Mnist, MismatchedCountsAndBadLabels) {
  ScratchDir dir;
  write_fake_mnist(dir, false, 3, 2);
  write_idx(dir.file("t10k-labels-idx1-ubyte"), tensor({1, 2, 3}));
  BRAID_EXPECT_THROW_MSG(load_mnist(dir.str()), IOError,
                         "[load_mnist] MNIST test split: '" + dir.file("t10k-images-idx3-ubyte") +
                             "' has 2 images but '" + dir.file("t10k-labels-idx1-ubyte") +
                             "' has 3 labels");
  write_idx(dir.file("t10k-labels-idx1-ubyte"), tensor({1, 12}));
  BRAID_EXPECT_THROW_MSG(load_mnist(dir.str()), IOError,
                         "[load_mnist] '" + dir.file("t10k-labels-idx1-ubyte") +
                             "': MNIST labels are classes 0..9; got values in [1, 12]");
}

// The real data sets, when this machine has them (scripts/setup.sh demo).
TEST(Mnist, RealMnistWhenFetched) {
  std::string root = BRAID_SOURCE_DIR "/.cache/mnist";
  if (!std::filesystem::exists(root + "/train-images-idx3-ubyte"))
    GTEST_SKIP() << "no MNIST in " << root << "; run scripts/fetch_mnist.sh";
  MnistSplits s = load_mnist(root);
  EXPECT_EQ(s.train_images.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(s.train_labels.shape(), (Shape{60000}));
  EXPECT_EQ(s.test_images.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(s.test_labels.shape(), (Shape{10000}));
  // The first training digit is a 5, the first test digit a 7.
  EXPECT_EQ(s.train_labels[0].item<int64_t>(), 5);
  EXPECT_EQ(s.test_labels[0].item<int64_t>(), 7);
}

TEST(Mnist, RealFashionMnistWhenInstalled) {
  std::string root = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(root + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "no Fashion-MNIST; run scripts/setup.sh demo";
  MnistSplits s = load_fashion_mnist();
  EXPECT_EQ(s.train_images.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(s.test_labels.shape(), (Shape{10000}));
  // Ankle boot (9) comes first in the training set.
  EXPECT_EQ(s.train_labels[0].item<int64_t>(), 9);
}

}  // namespace
}  // namespace braid::data
