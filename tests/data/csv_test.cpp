// read_csv: targets by name and index, quoting, and errors that name the line and column.
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "data/data_test_util.hpp"

namespace braid::data {
namespace {

using testing::ScratchDir;
using testing::write_text;

TEST(Csv, HeaderAndTargetByName) {
  ScratchDir dir;
  std::string p = dir.file("iris.csv");
  write_text(p,
             "sepal, petal ,species\r\n"
             "5.1,1.4,0\r\n"
             "\r\n"
             " 6.3 , \"2.5\",2\r\n"
             "+1e-3,-7,1\n");
  Example e = read_csv(p, {.target = "species", .target_dtype = DType::Int64});
  EXPECT_EQ(e.data.shape(), (Shape{3, 2}));
  EXPECT_EQ(e.data.dtype(), DType::Float32);
  EXPECT_EQ(e.data.to_vector<float>(), (std::vector<float>{5.1f, 1.4f, 6.3f, 2.5f, 1e-3f, -7.f}));
  EXPECT_EQ(e.target.dtype(), DType::Int64);
  EXPECT_EQ(e.target.to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 1}));
  // The names are trimmed, so " petal " is "petal".
  Example f = read_csv(p, {.target = "petal"});
  EXPECT_EQ(f.target.to_vector<float>(), (std::vector<float>{1.4f, 2.5f, -7.f}));
  EXPECT_EQ(f.data.to_vector<float>(), (std::vector<float>{5.1f, 0, 6.3f, 2, 1e-3f, 1}));
}

TEST(Csv, NoHeaderTargetByIndexAndDelimiter) {
  ScratchDir dir;
  std::string p = dir.file("t.tsv");
  write_text(p, "1\t2\t3\n4\t5\t6\n");
  Example all = read_csv(p, {.header = false, .delimiter = '\t'});
  EXPECT_EQ(all.data.shape(), (Shape{2, 3}));
  EXPECT_FALSE(all.target.defined());
  Example last = read_csv(p, {.header = false, .delimiter = '\t', .target = -1});
  EXPECT_EQ(last.data.to_vector<float>(), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(last.target.to_vector<float>(), (std::vector<float>{3, 6}));
  Example first = read_csv(p, {.header = false, .delimiter = '\t', .target = 0});
  EXPECT_EQ(first.target.to_vector<float>(), (std::vector<float>{1, 4}));
}

TEST(Csv, QuotedFieldsWithDelimitersAndQuotes) {
  ScratchDir dir;
  std::string p = dir.file("q.csv");
  write_text(p, "\"a,b\",\"say \"\"x\"\"\"\n1,2\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p, {.target = "a"}), ValueError,
                         "[read_csv] '" + p +
                             "': no column named 'a' for the target; the header has: a,b, "
                             "say \"x\"");
  EXPECT_EQ(read_csv(p, {.target = "a,b"}).target.to_vector<float>(), (std::vector<float>{1}));
}

TEST(Csv, ErrorsNameTheLineAndColumn) {
  ScratchDir dir;
  std::string p = dir.file("bad.csv");
  BRAID_EXPECT_THROW_MSG(read_csv(p), IOError, "[read_csv] cannot open '" + p + "': no such file");
  write_text(p, "x,y\n1,2\n3,abc\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p), ValueError,
                         "[read_csv] '" + p + "' line 3, column 2 ('y'): 'abc' is not a number");
  write_text(p, "1,2\n3,\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p, {.header = false}), ValueError,
                         "[read_csv] '" + p + "' line 2, column 2: the field is empty");
  write_text(p, "x,y\n1,2\n\n3,4,5\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p), ValueError,
                         "[read_csv] '" + p + "' line 4: 3 fields, but line 1 has 2");
  write_text(p, "x,y\n1,\"2\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p), ValueError,
                         "[read_csv] '" + p + "' line 2: a quoted field is not closed");
  write_text(p, "x,y\n1,2.5\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p, {.target = "y", .target_dtype = DType::Int64}), ValueError,
                         "[read_csv] '" + p +
                             "' line 2, column 2 ('y'): the target is int64 but '2.5' is not a "
                             "whole number");
  BRAID_EXPECT_THROW_MSG(read_csv(p, {.target = 2}), ValueError,
                         "[read_csv] '" + p + "': target column 2 is out of range for 2 columns");
  BRAID_EXPECT_THROW_MSG(
      read_csv(p, {.header = false, .target = "y"}), ValueError,
      "[read_csv] '" + p + "': target column 'y' is a name, which needs header = true");
  BRAID_EXPECT_THROW_MSG(read_csv(p, {.target = 0, .target_dtype = DType::UInt8}), DTypeError,
                         "[read_csv] target_dtype must be float32, float64 or int64; got uint8");
  write_text(p, "x,y\n");
  BRAID_EXPECT_THROW_MSG(read_csv(p), ValueError, "[read_csv] '" + p + "' has no data rows");
}

}  // namespace
}  // namespace braid::data
