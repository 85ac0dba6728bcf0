// TensorBoard event files: CRC-32C, TFRecord framing and SummaryWriter. The
// files are decoded with the classes protoc generates from src/log/event.proto
// (an implementation independent of the writer's hand-written encoder) and
// the PNGs with libpng.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "core/test_util.hpp"
#include "tensorboard/event.pb.h"

namespace braid {
namespace {

namespace fs = std::filesystem;
using braid::testing::read_file;
using braid::testing::TempDir;
using braid::testing::write_file;
namespace tb = tensorboard;

std::vector<tensorflow::Event> decode_all(const fs::path& path) {
  std::vector<tensorflow::Event> events;
  for (const std::string& rec : tb::read_records(path)) {
    tensorflow::Event e;
    EXPECT_TRUE(e.ParseFromString(rec)) << "record " << events.size() << " is not an Event";
    events.push_back(e);
  }
  return events;
}

// Decodes PNG bytes to 8-bit pixels, row-major and interleaved.
std::vector<uint8_t> decode_png(const std::string& bytes, int& h, int& w, int& c) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) << img.message;
  h = static_cast<int>(img.height);
  w = static_cast<int>(img.width);
  c = static_cast<int>(PNG_IMAGE_PIXEL_CHANNELS(img.format));
  std::vector<uint8_t> px(PNG_IMAGE_SIZE(img));
  EXPECT_TRUE(png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) << img.message;
  return px;
}

TEST(Crc32c, KnownAnswers) {
  EXPECT_EQ(tb::crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(tb::crc32c(""), 0u);
  // RFC 3720 (iSCSI) appendix B.4 test vectors.
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0');
  for (int i = 0; i < 32; ++i) up[i] = static_cast<char>(i);
  EXPECT_EQ(tb::crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(tb::crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(tb::crc32c(up), 0x46DD794Eu);
}

TEST(Crc32c, AcceleratedAndTablePathsAgreeAndExtend) {
  std::string data(300, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + 7) % 251);
  for (size_t start : {0, 1, 3, 7})
    for (size_t n : {0, 1, 5, 8, 9, 63, 64, 100, 290}) {
      const char* p = data.data() + start;
      EXPECT_EQ(tb::crc32c(p, n), tb::detail::crc32c_portable(p, n)) << start << "+" << n;
    }
  const uint32_t whole = tb::crc32c(data);
  EXPECT_EQ(tb::crc32c(data.data() + 100, 200, tb::crc32c(data.data(), 100)), whole);
}

TEST(TfRecord, FramingLayout) {
  const std::string rec = tb::frame_record("abc");
  ASSERT_EQ(rec.size(), 19u);
  EXPECT_EQ(rec.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(rec[at + i]);
    return v;
  };
  const uint32_t len_crc = tb::crc32c(rec.data(), 8);
  EXPECT_EQ(u32(8), ((len_crc >> 15) | (len_crc << 17)) + 0xa282ead8u);
  EXPECT_EQ(rec.substr(12, 3), "abc");
  EXPECT_EQ(u32(15), tb::mask_crc(tb::crc32c("abc")));
}

TEST(SummaryWriter, WritesScalarsHistogramsAndImagesThatProtobufDecodes) {
  const TempDir dir("log_all");
  fs::path file;
  {
    tb::SummaryWriter w(dir / "run" / "train");
    file = w.path();
    w.add_scalar("loss", 0.5, 0);
    w.add_scalar("loss", 0.0, 1);  // a zero must still be written (oneof)
    w.add_scalar("accuracy", -2.25, 1234567890123);
    w.add_histogram("weights", tensor({{0., 1., 2., 3., 4.}, {5., 6., 7., 8., 9.}}), 3, 5);
    w.add_histogram("const", tensor({2.5f, 2.5f, 2.5f}), 4);
    // (3, 2, 2) RGB floats, (2, 3) uint8 gray.
    w.add_image(
        "rgb",
        tensor({{{0.f, 1.f}, {0.5f, 2.f}}, {{1.f, 0.f}, {0.25f, -1.f}}, {{0.f, 0.f}, {1.f, 1.f}}}),
        5);
    w.add_image("gray", tensor(std::vector<uint8_t>{0, 10, 20, 200, 250, 255}, {2, 3}), 6);
  }
  EXPECT_EQ(file.parent_path(), dir / "run" / "train");
  const std::string name = file.filename().string();
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(name.substr(name.size() - std::string(host).size()), host) << name;

  const auto events = decode_all(file);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_NEAR(events[0].wall_time(), static_cast<double>(std::time(nullptr)), 60);
  for (size_t i = 1; i < events.size(); ++i) {
    ASSERT_TRUE(events[i].has_summary()) << i;
    ASSERT_EQ(events[i].summary().value_size(), 1) << i;
    EXPECT_GE(events[i].wall_time(), events[0].wall_time());
  }
  auto value = [&](size_t i) -> const tensorflow::Summary::Value& {
    return events[i].summary().value(0);
  };
  EXPECT_EQ(value(1).tag(), "loss");
  EXPECT_EQ(value(1).value_case(), tensorflow::Summary::Value::kSimpleValue);
  EXPECT_EQ(value(1).simple_value(), 0.5f);
  EXPECT_EQ(events[1].step(), 0);
  EXPECT_EQ(value(2).value_case(), tensorflow::Summary::Value::kSimpleValue);
  EXPECT_EQ(value(2).simple_value(), 0.0f);
  EXPECT_EQ(events[2].step(), 1);
  EXPECT_EQ(value(3).tag(), "accuracy");
  EXPECT_EQ(value(3).simple_value(), -2.25f);
  EXPECT_EQ(events[3].step(), 1234567890123);

  const auto& h = value(4).histo();
  EXPECT_EQ(value(4).tag(), "weights");
  EXPECT_EQ(events[4].step(), 3);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 9);
  EXPECT_EQ(h.num(), 10);
  EXPECT_EQ(h.sum(), 45);
  EXPECT_EQ(h.sum_squares(), 285);
  ASSERT_EQ(h.bucket_limit_size(), 5);
  ASSERT_EQ(h.bucket_size(), 5);
  const double limits[] = {1.8, 3.6, 5.4, 7.2, 9};
  for (int i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(h.bucket_limit(i), limits[i]) << i;
    EXPECT_EQ(h.bucket(i), 2) << i;
  }
  const auto& hc = value(5).histo();
  EXPECT_EQ(hc.min(), 2.5);
  EXPECT_EQ(hc.max(), 2.5);
  EXPECT_EQ(hc.num(), 3);
  ASSERT_EQ(hc.bucket_size(), 1);
  EXPECT_EQ(hc.bucket_limit(0), 2.5);
  EXPECT_EQ(hc.bucket(0), 3);

  const auto& rgb = value(6).image();
  EXPECT_EQ(value(6).tag(), "rgb");
  EXPECT_EQ(rgb.height(), 2);
  EXPECT_EQ(rgb.width(), 2);
  EXPECT_EQ(rgb.colorspace(), 3);
  int ph, pw, pc;
  // Pixel (y, x) = (R, G, B) from the three planes; out-of-range floats clamp.
  EXPECT_EQ(decode_png(rgb.encoded_image_string(), ph, pw, pc),
            (std::vector<uint8_t>{0, 255, 0, 255, 0, 0, 128, 64, 255, 255, 0, 255}));
  EXPECT_EQ(ph, 2);
  EXPECT_EQ(pw, 2);
  EXPECT_EQ(pc, 3);
  const auto& gray = value(7).image();
  EXPECT_EQ(gray.colorspace(), 1);
  EXPECT_EQ(gray.height(), 2);
  EXPECT_EQ(gray.width(), 3);
  EXPECT_EQ(decode_png(gray.encoded_image_string(), ph, pw, pc),
            (std::vector<uint8_t>{0, 10, 20, 200, 250, 255}));
  EXPECT_EQ(pc, 1);
}

TEST(SummaryWriter, ReaderNamesTheOffsetOfACorruptRecord) {
  const TempDir dir("log_corrupt");
  fs::path file;
  {
    tb::SummaryWriter w(dir.path());
    file = w.path();
    w.add_scalar("a", 1, 1);
    w.add_scalar("b", 2, 2);
  }
  const std::string good = read_file(file);
  const auto recs = tb::read_records(file);
  ASSERT_EQ(recs.size(), 3u);
  const size_t second = 16 + recs[0].size();  // offset of record 1
  const std::string where = file.string() + ": record 1 at offset " + std::to_string(second);

  std::string bad = good;
  bad[second + 12 + 3] ^= 0x20;  // a byte of record 1's data
  write_file(file, bad);
  BRAID_EXPECT_THROW_HAS(tb::read_records(file), IOError, where + ": data CRC mismatch");

  bad = good;
  bad[second + 1] ^= 0x01;  // its length
  write_file(file, bad);
  BRAID_EXPECT_THROW_HAS(tb::read_records(file), IOError, where + ": length CRC mismatch");

  bad = good;
  bad[second + 8] ^= 0x01;  // the stored CRC of its length
  write_file(file, bad);
  BRAID_EXPECT_THROW_HAS(tb::read_records(file), IOError, where + ": length CRC mismatch");

  write_file(file, good.substr(0, good.size() - 2));  // torn last record
  BRAID_EXPECT_THROW_HAS(tb::read_records(file), IOError,
                         "record 2 at offset " + std::to_string(second + 16 + recs[1].size()) +
                             ": length " + std::to_string(recs[2].size()) +
                             " runs past the end of the file");
  write_file(file, good.substr(0, second + 5));
  BRAID_EXPECT_THROW_HAS(tb::read_records(file), IOError, where + ": truncated header");
  BRAID_EXPECT_THROW_HAS(tb::read_records(dir / "missing"), IOError, "cannot open the file");
}

TEST(SummaryWriter, BadInputThrowsAndWritesNothing) {
  const TempDir dir("log_bad");
  tb::SummaryWriter w(dir.path());
  w.add_scalar("ok", 1, 0);
  w.flush();
  const auto size = fs::file_size(w.path());
  BRAID_EXPECT_THROW_MSG(w.add_scalar("", 1, 0), ValueError,
                         "[SummaryWriter.add_scalar] the tag must not be empty");
  BRAID_EXPECT_THROW_MSG(w.add_histogram("h", empty({0, 3}), 0), ValueError,
                         "[SummaryWriter.add_histogram] values for 'h' are empty (shape (0, 3))");
  BRAID_EXPECT_THROW_HAS(w.add_histogram("h", tensor({1.0, std::nan(""), 2.0}), 0), ValueError,
                         "values for 'h' contain nan");
  BRAID_EXPECT_THROW_MSG(w.add_histogram("h", tensor({1.0}), 0, 0), ValueError,
                         "[SummaryWriter.add_histogram] bins must be at least 1; got 0");
  BRAID_EXPECT_THROW_MSG(
      w.add_image("im", tensor(std::vector<float>(20), {5, 2, 2}), 0), ShapeError,
      "[SummaryWriter.add_image] 'im' must be (C, H, W) with C in 1..4 or (H, W); got shape "
      "(5, 2, 2)");
  BRAID_EXPECT_THROW_HAS(w.add_image("im", empty({1, 0, 2}), 0), ShapeError,
                         "1 to 2^20 rows and columns");
  BRAID_EXPECT_THROW_MSG(
      w.add_image("im", tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2}), 0), DTypeError,
      "[SummaryWriter.add_image] 'im' must be uint8 or floating point in [0, 1]; got int64");
  w.flush();
  EXPECT_EQ(fs::file_size(w.path()), size);
  EXPECT_EQ(tb::read_records(w.path()).size(), 2u);
  w.close();
  BRAID_EXPECT_THROW_HAS(w.add_scalar("x", 1, 0), ValueError, "is closed");
}

TEST(SummaryWriter, FlushesOnRequestAndAfterMaxQueue) {
  const TempDir dir("log_flush");
  tb::SummaryWriterOptions options;  // (designated initialisers warn in g++ 12)
  options.max_queue = 3;
  options.flush_secs = 1e9;
  tb::SummaryWriter w(dir.path(), options);
  const auto header = fs::file_size(w.path());  // the file_version record is flushed at once
  EXPECT_EQ(tb::read_records(w.path()).size(), 1u);
  w.add_scalar("x", 1, 0);
  w.add_scalar("x", 2, 1);
  EXPECT_EQ(fs::file_size(w.path()), header) << "buffered until max_queue";
  w.add_scalar("x", 3, 2);
  EXPECT_EQ(tb::read_records(w.path()).size(), 4u);
  w.add_scalar("x", 4, 3);
  w.flush();
  EXPECT_EQ(tb::read_records(w.path()).size(), 5u);
  // A second writer in the same second gets its own file.
  tb::SummaryWriter w2(dir.path(), {.filename_suffix = ".v2"});
  EXPECT_NE(w2.path(), w.path());
  EXPECT_EQ(w2.path().filename().string().substr(w2.path().filename().string().size() - 3), ".v2");
}

TEST(SummaryWriter, ConcurrentAddsProduceWholeRecords) {
  const TempDir dir("log_threads");
  fs::path file;
  {
    tb::SummaryWriter w(dir.path());
    file = w.path();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&w, t] {
        for (int i = 0; i < 50; ++i) w.add_scalar("t" + std::to_string(t), i, i);
      });
    for (auto& th : threads) th.join();
  }
  std::set<std::pair<std::string, int64_t>> seen;
  const auto events = decode_all(file);
  ASSERT_EQ(events.size(), 201u);
  for (size_t i = 1; i < events.size(); ++i) {
    const auto& v = events[i].summary().value(0);
    EXPECT_EQ(v.simple_value(), static_cast<float>(events[i].step()));
    seen.insert({v.tag(), events[i].step()});
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(SummaryWriter, UnusableLogdirIsAnIOError) {
  const TempDir dir("log_notadir");
  write_file(dir / "file", "x");
  BRAID_EXPECT_THROW_HAS(tb::SummaryWriter(dir / "file"), IOError,
                         "cannot create the log directory");
}

}  // namespace
}  // namespace braid
