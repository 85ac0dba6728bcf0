#pragma once
// Test helper: export a graph to ONNX, check it with onnx's checker (strict
// shape inference included), run it in ONNX Runtime (tests/onnx/ort_run.js,
// onnxruntime-node from scripts/fetch_onnxruntime.sh) and compare with the
// executor. ONNX Runtime missing is a failure, not a skip: make test
// installs it.
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "braid/braid.hpp"
#include "braid/onnx/onnx.hpp"
#include "braid/runtime/executor.hpp"
#include "onnx/export_internal.hpp"

namespace braid::testing {

/// A fresh directory under the system's temp dir, removed on destruction.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static std::atomic<int> n{0};
    path =
        std::filesystem::temp_directory_path() / fmt::format("braid_onnx_{}_{}", ::getpid(), n++);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Runs the exported model in ONNX Runtime on `inputs` (named as the graph's
/// inputs); returns the outputs by the graph's output names.
inline std::vector<Tensor> run_in_ort(const runtime::Graph& g, const std::string& bytes,
                                      const std::vector<Tensor>& inputs) {
  TempDir dir;
  std::filesystem::path model = dir.path / "model.onnx", in = dir.path / "in.safetensors",
                        out = dir.path / "out.safetensors";
  {
    std::ofstream f(model, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  nn::StateDict feeds;
  for (size_t i = 0; i < inputs.size(); ++i)
    feeds.insert(g.values[g.inputs[i]].name, inputs[i].contiguous());
  io::save_safetensors(feeds, in);
  std::string script = std::string(BRAID_SOURCE_DIR) + "/tests/onnx/ort_run.js";
  std::string cmd = fmt::format("node '{}' '{}' '{}' '{}' 2>&1", script, model.string(),
                                in.string(), out.string());
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    ADD_FAILURE() << "ONNX Runtime did not run the model (" << cmd << " exited " << rc
                  << "). The ONNX tests need node and npm's onnxruntime-node in .cache/node: "
                     "run scripts/fetch_onnxruntime.sh (make test does).";
    return {};
  }
  nn::StateDict got = io::load_safetensors(out);
  std::vector<Tensor> outs;
  for (int id : g.outputs) {
    const Tensor* t = got.find(g.values[id].name);
    if (!t) {
      ADD_FAILURE() << "ONNX Runtime gave no output " << g.values[id].name;
      return {};
    }
    outs.push_back(*t);
  }
  return outs;
}

/// The largest |a - b| over the largest |b| (at least 1): one number per model.
inline double relative_max_diff(const Tensor& a, const Tensor& b) {
  if (a.numel() == 0) return 0;
  Tensor a64 = a.to(DType::Float64), b64 = b.to(DType::Float64);
  double diff = amax(abs(a64 - b64)).item<double>();
  double scale = std::max(1.0, amax(abs(b64)).item<double>());
  return diff / scale;
}

/// Exports g, checks the model, runs it in ONNX Runtime on `inputs` and
/// compares every output with the executor's (relative max diff <= tol;
/// integer and bool outputs exactly). Returns the largest difference.
inline double expect_ort_matches(const runtime::Graph& g, const std::vector<Tensor>& inputs,
                                 const std::string& what, double tol = 1e-5) {
  std::string bytes = onnx::export_onnx_bytes(g);
  if (const char* dump = std::getenv("BRAID_ONNX_DUMP")) {  // to look at a failing model
    std::ofstream f(fmt::format("{}/{}.onnx", dump, what), std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_NO_THROW(onnx::detail::check_model_bytes(bytes, /*full=*/true)) << what;
  std::vector<Tensor> want;
  {
    NoGradGuard no_grad;
    want = runtime::run(g, inputs);
  }
  std::vector<Tensor> got = run_in_ort(g, bytes, inputs);
  if (got.size() != want.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string name = g.values[g.outputs[i]].name;
    EXPECT_EQ(got[i].shape(), want[i].shape()) << what << ": output " << name;
    EXPECT_EQ(got[i].dtype(), want[i].dtype()) << what << ": output " << name;
    if (got[i].shape() != want[i].shape() || got[i].dtype() != want[i].dtype()) continue;
    double d = relative_max_diff(got[i], want[i]);
    if (!want[i].is_floating_point()) {
      EXPECT_EQ(d, 0) << what << ": output " << name << " differs";
    } else {
      EXPECT_LE(d, tol) << what << ": output " << name << "\n onnx: " << got[i]
                        << "\n braid: " << want[i];
    }
    worst = std::max(worst, d);
  }
  std::cout << "[onnx] " << what << ": " << g.nodes.size() << " braid nodes, ORT max diff " << worst
            << "\n";
  return worst;
}

}  // namespace braid::testing
