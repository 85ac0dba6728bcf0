// `braid summary|inspect|export|import|predict` on real files: run the built
// binary, check what it prints and writes, and its exit status.
#include <gtest/gtest.h>
#include <png.h>

#include <array>
#include <cstdio>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "tools/cli_run.hpp"

namespace braid {
namespace {

using testing_cli::CliRun;
using testing_cli::run_cli;

void write_png(const std::filesystem::path& path, const std::vector<uint8_t>& grey, int w, int h) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = w;
  img.height = h;
  img.format = PNG_FORMAT_GRAY;
  ASSERT_TRUE(png_image_write_to_file(&img, path.c_str(), 0, grey.data(), 0, nullptr));
}

struct Files {
  testing::TempDir dir{"cli_model"};
  nn::Sequential net{nn::Flatten(), nn::Linear(16, 8), nn::ReLU(), nn::Linear(8, 3)};
  std::filesystem::path model = dir.path() / "net.safetensors";
  Files() {
    manual_seed(21);
    net.eval();
    io::save_model(net, randn({2, 1, 4, 4}), model);
  }
  std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }
};

TEST(CliModel, SummaryAndInspect) {
  Files f;
  CliRun s = run_cli("summary " + f.q(f.model));
  ASSERT_EQ(s.status, 0) << s.out;
  EXPECT_NE(s.out.find("Total params: 163"), std::string::npos) << s.out;  // 16*8+8 + 8*3+3
  EXPECT_NE(s.out.find("Sequential/1"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("Batch dimension: free"), std::string::npos) << s.out;
  CliRun i = run_cli("inspect " + f.q(f.model));
  ASSERT_EQ(i.status, 0) << i.out;
  for (const char* want :
       {"1.weight", "float32", "(8, 16)", "braid.format: model", "graph:", "= linear("})
    EXPECT_NE(i.out.find(want), std::string::npos) << want << "\n" << i.out;
}

TEST(CliModel, PredictPngAndNamedInputs) {
  Files f;
  std::vector<uint8_t> pixels(16);
  for (int k = 0; k < 16; ++k) pixels[k] = static_cast<uint8_t>(k * 16);
  write_png(f.dir.path() / "x.png", pixels, 4, 4);
  CliRun p = run_cli("predict " + f.q(f.model) + " " + f.q(f.dir.path() / "x.png") + " --output " +
                     f.q(f.dir.path() / "y.safetensors"));
  ASSERT_EQ(p.status, 0) << p.out;
  EXPECT_NE(p.out.find("argmax:"), std::string::npos) << p.out;
  Tensor x = tensor(std::vector<uint8_t>(pixels), Shape{1, 1, 4, 4}).to(DType::Float32) / 255.0;
  Tensor want;
  {
    NoGradGuard no_grad;
    want = f.net(x);
  }
  Tensor got = io::load_safetensors(f.dir.path() / "y.safetensors").at("output");
  EXPECT_LT(max(abs(got - want)).item<float>(), 1e-6f);

  // The same through a .safetensors of named inputs.
  nn::StateDict in;
  in.insert("input", x);
  io::save_safetensors(in, f.dir.path() / "in.safetensors");
  CliRun p2 = run_cli("predict " + f.q(f.model) + " " + f.q(f.dir.path() / "in.safetensors"));
  ASSERT_EQ(p2.status, 0) << p2.out;
  EXPECT_NE(p2.out.find("output:"), std::string::npos) << p2.out;
}

TEST(CliModel, ExportImportRoundTrip) {
  Files f;
  auto onnx = f.dir.path() / "net.onnx", back = f.dir.path() / "back.safetensors";
  CliRun e = run_cli("export " + f.q(f.model) + " --onnx " + f.q(onnx));
  ASSERT_EQ(e.status, 0) << e.out;
  CliRun i = run_cli("import " + f.q(onnx) + " " + f.q(back));
  ASSERT_EQ(i.status, 0) << i.out;
  Tensor x = randn({1, 1, 4, 4});
  nn::StateDict in;
  in.insert("input", x);
  io::save_safetensors(in, f.dir.path() / "in.safetensors");
  for (const auto& m : {back, onnx}) {
    CliRun p = run_cli("predict " + f.q(m) + " " + f.q(f.dir.path() / "in.safetensors") +
                       " --output " + f.q(f.dir.path() / "y.safetensors"));
    ASSERT_EQ(p.status, 0) << p.out;
    Tensor got = io::load_safetensors(f.dir.path() / "y.safetensors").at("output");
    NoGradGuard no_grad;
    EXPECT_LT(max(abs(got - f.net(x))).item<float>(), 1e-5f) << m;
  }
}

TEST(CliModel, ErrorsExitNonZeroWithAMessage) {
  Files f;
  CliRun missing = run_cli("summary /no/such/file.safetensors");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find("/no/such/file.safetensors"), std::string::npos) << missing.out;
  std::vector<uint8_t> pixels(9, 7);
  write_png(f.dir.path() / "small.png", pixels, 3, 3);
  CliRun wrong = run_cli("predict " + f.q(f.model) + " " + f.q(f.dir.path() / "small.png"));
  EXPECT_NE(wrong.status, 0);
  EXPECT_NE(wrong.out.find("takes 16 values per example"), std::string::npos) << wrong.out;
  CliRun no_arg = run_cli("export " + f.q(f.model));
  EXPECT_NE(no_arg.status, 0);
  EXPECT_NE(no_arg.out.find("--onnx"), std::string::npos) << no_arg.out;
  for (const char* sub : {"summary", "inspect", "export", "import", "predict"}) {
    CliRun h = run_cli(std::string(sub) + " --help");
    EXPECT_EQ(h.status, 0) << sub;
    EXPECT_NE(h.out.find("FILE"), std::string::npos) << sub << "\n" << h.out;
  }
}

}  // namespace
}  // namespace braid
