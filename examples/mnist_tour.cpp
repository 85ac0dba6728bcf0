// The MNIST tour: the workflow people run to compare PyTorch and Keras,
// done in C++ with braid, both ways. `make demo` runs it on the real data.
//   1 setup  2 data  3 models (Sequential and subclassed)  4 train (fit and a
//   custom loop)  5 inspect  6 save and load  7 inference speed  8 summary table
// Options: --mlp-epochs N (5), --cnn-epochs N (1), --threads N (all cores),
//          --data DIR (MNIST IDX files; default .cache/mnist), --quick (subset run).
#include <braid/braid.hpp>

#include "models.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

using namespace braid;
using Clock = std::chrono::steady_clock;

// -- 3. The two networks of the comparison, each both ways: examples/models.hpp --------
using examples::CNN;
using examples::cnn_sequential;
using examples::MLP;
using examples::mlp_sequential;

// -- small helpers for the report ------------------------------------------------------

struct Args {
  int mlp_epochs = 5, cnn_epochs = 1, threads = 0;
  std::string data;
  bool quick = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mnist_tour: %s needs a value\n", s.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (s == "--mlp-epochs")
      a.mlp_epochs = std::stoi(next());
    else if (s == "--cnn-epochs")
      a.cnn_epochs = std::stoi(next());
    else if (s == "--threads")
      a.threads = std::stoi(next());
    else if (s == "--data")
      a.data = next();
    else if (s == "--quick")
      a.quick = true;
    else {
      std::fprintf(stderr,
                   "usage: mnist_tour [--mlp-epochs N] [--cnn-epochs N] [--threads N] "
                   "[--data DIR] [--quick]\n");
      std::exit(2);
    }
  }
  return a;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void heading(const char* title) { std::cout << "\n== " << title << " ==\n"; }

// Test accuracy in eval mode, without a graph.
double accuracy(nn::Module& net, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  net.eval();
  int64_t correct = 0;
  for (int64_t i = 0; i < x.size(0); i += 1000) {
    int64_t n = std::min<int64_t>(1000, x.size(0) - i);
    Tensor pred = argmax(net(narrow(x, 0, i, n)), 1);
    correct += sum(eq(pred, narrow(y, 0, i, n))).item<int64_t>();
  }
  return double(correct) / double(x.size(0));
}

// -- 4b. The PyTorch way: a custom training loop -----------------------------------------

double custom_loop(nn::Module& net, const Tensor& x, const Tensor& y, int epochs,
                   int64_t batch_size) {
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x, y),
                          {.batch_size = batch_size, .shuffle = true, .seed = 1});
  auto t0 = Clock::now();
  net.train();
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double total = 0;
    int64_t steps = 0;
    for (const data::Example& batch : loader) {
      opt.zero_grad();
      Tensor loss = cross_entropy(net(batch.data), batch.target);
      loss.backward();
      opt.step();
      total += loss.item<float>();
      ++steps;
    }
    std::printf("  epoch %d/%d: mean loss %.4f (%.1f s)\n", epoch, epochs, total / steps,
                seconds_since(t0));
  }
  return seconds_since(t0);
}

// -- 7. Inference speed: median latency at batch 1, throughput at batch 256 -----------

struct Speed {
  double latency_ms, images_per_s;
};

Speed inference_speed(nn::Module& net, const Tensor& x, int reps) {
  NoGradGuard no_grad;
  net.eval();
  Tensor one = narrow(x, 0, 0, 1), big = narrow(x, 0, 0, 256);
  for (int i = 0; i < 5; ++i) net(one), net(big);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> lat, thr;
  for (int i = 0; i < reps; ++i) {
    auto t = Clock::now();
    net(one);
    lat.push_back(seconds_since(t));
  }
  for (int i = 0; i < std::max(3, reps / 20); ++i) {
    auto t = Clock::now();
    net(big);
    thr.push_back(256 / seconds_since(t));
  }
  return {median(lat) * 1e3, median(thr)};
}

struct Row {
  std::string network, front_door;
  int epochs;
  double accuracy, train_s;
};

int main(int argc, char** argv) try {
  Args args = parse(argc, argv);
  auto tour_start = Clock::now();
  std::vector<Row> rows;

  heading("1. Setup");
  if (args.threads > 0) set_num_threads(args.threads);
  manual_seed(0);
  std::printf("braid %s, %d threads, seed 0\n", version(), get_num_threads());

  heading("2. Data: load and normalise MNIST");
  data::MnistSplits mnist = data::load_mnist(args.data);
  auto normalise = [](const Tensor& images) {  // uint8 (N, 28, 28) -> float (N, 1, 28, 28)
    return unsqueeze((to(images, DType::Float32) / 255.0 - 0.1307) / 0.3081, 1);
  };
  Tensor x_train = normalise(mnist.train_images), y_train = mnist.train_labels;
  Tensor x_test = normalise(mnist.test_images), y_test = mnist.test_labels;
  if (args.quick) {  // a smoke run: a sixth of the training set
    x_train = narrow(x_train, 0, 0, 10000);
    y_train = narrow(y_train, 0, 0, 10000);
  }
  std::printf(
      "train %s %s -> x_train %s, test %s; pixels scaled to [0, 1], "
      "normalised with mean 0.1307, std 0.3081\n",
      shape_str(mnist.train_images.shape()).c_str(),
      std::string(dtype_name(mnist.train_images.dtype())).c_str(),
      shape_str(x_train.shape()).c_str(), shape_str(x_test.shape()).c_str());

  heading("3. The same network two ways");
  nn::Sequential mlp_seq = mlp_sequential();
  MLP mlp_mod;
  std::cout << "Sequential (Keras way):\n"
            << mlp_seq << "\nSubclassed Module (PyTorch way):\n"
            << mlp_mod << "\n";
  train::Model mlp(mlp_seq);
  mlp.summary({1, 28, 28});

  heading("4a. MLP: Keras way, fit()");
  mlp.compile(optim::Adam({.lr = 1e-3}), "sparse_categorical_crossentropy", {"accuracy"});
  auto t0 = Clock::now();
  mlp.fit(x_train, y_train,
          {.epochs = args.mlp_epochs,
           .batch_size = 64,
           .validation_data = {{x_test, y_test}},
           .seed = 1});
  rows.push_back({"MLP", "Sequential + fit()", args.mlp_epochs, accuracy(mlp_seq, x_test, y_test),
                  seconds_since(t0)});

  heading("4b. MLP: PyTorch way, subclassed Module + custom loop");
  double secs = custom_loop(mlp_mod, x_train, y_train, args.mlp_epochs, 64);
  rows.push_back(
      {"MLP", "Module + custom loop", args.mlp_epochs, accuracy(mlp_mod, x_test, y_test), secs});

  heading("4c. CNN: Keras way, fit()");
  nn::Sequential cnn_seq = cnn_sequential();
  train::Model cnn(cnn_seq);
  cnn.summary({1, 28, 28});
  cnn.compile(optim::Adam({.lr = 1e-3}), "sparse_categorical_crossentropy", {"accuracy"});
  t0 = Clock::now();
  cnn.fit(x_train, y_train,
          {.epochs = args.cnn_epochs,
           .batch_size = 128,
           .validation_data = {{x_test, y_test}},
           .seed = 1});
  rows.push_back({"CNN", "Sequential + fit()", args.cnn_epochs, accuracy(cnn_seq, x_test, y_test),
                  seconds_since(t0)});

  heading("4d. CNN: PyTorch way, subclassed Module + custom loop");
  CNN cnn_mod;
  std::cout << cnn_mod << "\n";
  secs = custom_loop(cnn_mod, x_train, y_train, args.cnn_epochs, 128);
  rows.push_back(
      {"CNN", "Module + custom loop", args.cnn_epochs, accuracy(cnn_mod, x_test, y_test), secs});

  heading("5. Inspect layers and parameters (the subclassed CNN)");
  int64_t total = 0;
  for (auto& [name, child] : cnn_mod.named_children())
    std::printf("  %-6s %s\n", name.c_str(), child->str().c_str());
  for (auto& [name, p] : cnn_mod.named_parameters()) {
    std::printf("  %-12s %-16s %8lld params  mean %+.4f  std %.4f\n", name.c_str(),
                shape_str(p.shape()).c_str(), (long long)p.numel(), mean(p).item<float>(),
                braid::std(p).item<float>());
    total += p.numel();
  }
  std::printf("  total %lld parameters\n", (long long)total);

  heading("6. Save and load");
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "braid_mnist_tour";
  std::filesystem::create_directories(dir);
  {
    // State dict: only the tensors; the code defines the network.
    io::save_safetensors(cnn_mod.state_dict(), (dir / "cnn_state.safetensors").string());
    CNN restored;
    restored.load_state_dict(io::load_safetensors((dir / "cnn_state.safetensors").string()));
    // Whole model: tensors plus the module tree, checked on load.
    io::save(cnn_seq, (dir / "cnn_model.safetensors").string());
    nn::Sequential restored_seq = cnn_sequential();
    io::load(restored_seq, (dir / "cnn_model.safetensors").string());
    NoGradGuard no_grad;
    cnn_mod.eval(), restored.eval(), cnn_seq.eval(), restored_seq.eval();
    Tensor probe = narrow(x_test, 0, 0, 100);
    double d1 = max(abs(cnn_mod(probe) - restored(probe))).item<float>();
    double d2 = max(abs(cnn_seq(probe) - restored_seq(probe))).item<float>();
    std::printf("  state dict  -> %s (%ju bytes), reloaded: max |diff| on 100 images %.1e\n",
                (dir / "cnn_state.safetensors").c_str(),
                std::filesystem::file_size(dir / "cnn_state.safetensors"), d1);
    std::printf("  whole model -> %s (%ju bytes), reloaded: max |diff| on 100 images %.1e\n",
                (dir / "cnn_model.safetensors").c_str(),
                std::filesystem::file_size(dir / "cnn_model.safetensors"), d2);
  }

  heading("7. Inference speed (median; eval mode, no graph)");
  for (auto [name, net] :
       {std::pair<const char*, nn::Module*>{"MLP", &mlp_seq}, {"CNN", &cnn_seq}}) {
    Speed s = inference_speed(*net, x_test, args.quick ? 50 : 200);
    std::printf("  %s: latency at batch 1 %.3f ms, throughput at batch 256 %.0f images/s\n", name,
                s.latency_ms, s.images_per_s);
  }

  heading("8. What each front door gave");
  std::printf("  %-8s %-22s %6s %14s %10s\n", "network", "front door", "epochs", "test accuracy",
              "train time");
  for (const Row& r : rows)
    std::printf("  %-8s %-22s %6d %13.2f%% %9.1fs\n", r.network.c_str(), r.front_door.c_str(),
                r.epochs, r.accuracy * 100, r.train_s);
  std::printf("  targets: MLP >= 97.50%% after 5 epochs, CNN >= 97.80%% after 1 epoch\n");
  std::printf("tour finished in %.1f s\n", seconds_since(tour_start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mnist_tour: %s\n", e.what());
  return 1;
}
