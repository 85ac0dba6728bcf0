// The Keras 3 progress bar: time formats, metric formats, the bar, and what
// fit prints to a stream that is not a terminal.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "braid/braid.hpp"
#include "train/train_test_util.hpp"

namespace braid {
namespace {

using train::format_logs;
using train::format_time_per_unit;
using train::progbar_line;

TEST(TrainProgbar, TimePerStep) {
  EXPECT_EQ(format_time_per_unit(3.2), " 3s/step");
  EXPECT_EQ(format_time_per_unit(0.0), " 0s/step");
  EXPECT_EQ(format_time_per_unit(0.0021), " 2ms/step");
  EXPECT_EQ(format_time_per_unit(0.00005), " 50us/step");
  EXPECT_EQ(format_time_per_unit(1.0, "epoch"), " 1s/epoch");
}

TEST(TrainProgbar, LogsSortedWithFourDecimalsOrExponent) {
  EXPECT_EQ(format_logs({{"loss", 0.28741}, {"accuracy", 0.91234}, {"val_loss", 0.0001}}),
            " - accuracy: 0.9123 - loss: 0.2874 - val_loss: 1.0000e-04");
  EXPECT_EQ(format_logs({}), "");
}

TEST(TrainProgbar, Lines) {
  const std::string full = "━━━━━━━━━━━━━━━━━━━━";
  EXPECT_EQ(progbar_line(1875, 1875, 3.4, 0.0018, {{"accuracy", 0.9123}, {"loss", 0.2874}}, true),
            "1875/1875 " + full + " 3s 2ms/step - accuracy: 0.9123 - loss: 0.2874");
  // In progress: the ETA; counts right-aligned to the target's width.
  EXPECT_EQ(progbar_line(1, 100, 0.5, 0.5, {}, false), "  1/100 " + full + " 49s 500ms/step");
  EXPECT_EQ(progbar_line(10, 135, 0, 1.0, {}, false), " 10/135 " + full + " 2:05 1s/step");
  EXPECT_EQ(progbar_line(1, 3726, 0, 1.0, {}, false), "   1/3726 " + full + " 1:02:05 1s/step");
  // On a terminal: bold count and time, 6 of 20 cells green (30 %), the rest white.
  EXPECT_EQ(progbar_line(3, 10, 0, 0.01, {}, false, true),
            "\x1b[1m 3/10\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━\x1b[0m "
            "\x1b[1m0s\x1b[0m 10ms/step");
  EXPECT_EQ(progbar_line(0, 10, 0, 0, {}, false, true),
            "\x1b[1m 0/10\x1b[0m \x1b[37m" + full + "\x1b[0m \x1b[1m0s\x1b[0m 0s/step");
}

// Replaces the measured times, which tests cannot know.
std::string mask_times(const std::string& s) {
  static const std::regex t(R"(\d+s( -)? \d+(s|ms|us)/step)");
  return std::regex_replace(s, t, "<t>");
}

TEST(TrainProgbar, FitPrintsOneLinePerEpochOffATerminal) {
  auto data = testing_train::make_blobs(10, 1);
  train::Model model(testing_train::make_mlp(1));
  model.compile(testing_train::TestSGD(0.1), "sparse_categorical_crossentropy", {"accuracy"});
  std::ostringstream out;
  model.set_output(out);
  auto h = model.fit(data.x, data.y,
                     {.epochs = 2,
                      .batch_size = 4,
                      .validation_data = train::ValidationData{data.x, data.y},
                      .verbose = 1});
  std::string want;
  for (int e = 0; e < 2; ++e)
    want += fmt::format(
        "Epoch {}/2\n3/3 ━━━━━━━━━━━━━━━━━━━━ <t> - accuracy: {:.4f} - loss: {:.4f} - "
        "val_accuracy: {:.4f} - val_loss: {:.4f}\n",
        e + 1, h["accuracy"][e], h["loss"][e], h["val_accuracy"][e], h["val_loss"][e]);
  EXPECT_EQ(mask_times(out.str()), want);

  std::ostringstream out2;
  model.set_output(out2);
  h = model.fit(data.x, data.y, {.epochs = 1, .batch_size = 4, .verbose = 2});
  EXPECT_EQ(mask_times(out2.str()), fmt::format("3/3 - <t> - accuracy: {:.4f} - loss: {:.4f}\n",
                                                h["accuracy"][0], h["loss"][0]));
  std::ostringstream out3;
  model.set_output(out3);
  model.fit(data.x, data.y, {.epochs = 2, .verbose = 0});
  auto scores = model.evaluate(data.x, data.y, 32, 0);
  EXPECT_EQ(out3.str(), "");
  model.evaluate(data.x, data.y, 4, 1);
  EXPECT_EQ(mask_times(out3.str()),
            fmt::format("3/3 ━━━━━━━━━━━━━━━━━━━━ <t> - accuracy: {:.4f} - loss: {:.4f}\n",
                        scores.at("accuracy"), scores.at("loss")));
}

TEST(TrainProgbar, DynamicRedrawsInPlace) {
  std::ostringstream out;
  train::Progbar bar(out, 2, 1, /*dynamic=*/1);
  bar.update(1, {{"loss", 0.5}});
  bar.update(2, {{"loss", 0.25}}, true);
  const std::string s = out.str();
  EXPECT_EQ(s.front(), '\r');
  EXPECT_NE(s.find("\r\x1b[1m2/2\x1b[0m"), std::string::npos) << s;
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
}

}  // namespace
}  // namespace braid
