// braid's side of the comparison workloads (bench/workloads/README.md is the
// contract: modes, timing rules, output). One workload per process; prints
// JSON lines on stdout, everything else on stderr.
//   braid_workloads <w1|w2|w3-mlp|w3-cnn|scale-batch|scale-width|export>
//                   [--threads N] [--data DIR] [--models DIR] [--seed S]
//   braid_workloads <profile-w1|profile-w2> [--layer-by-layer] [...]: phase medians
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "braid/compile/compile.hpp"
#include "models.hpp"

using namespace braid;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string mode, data, models = "build/bench-models";
  bool compiled = false;  // w3: braid::compile(model) instead of eager calls
  // profile-*: call the layers one by one instead of through Sequential,
  // which runs Conv2d -> ReLU as one op (Note [conv + relu]): the A/B of it.
  bool layer_by_layer = false;
  int threads = 2;
  uint64_t seed = 0;
};

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2)
    throw ValueError(
        "usage: braid_workloads <mode> [--threads N] [--data DIR] [--models DIR] [--seed S]");
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--compiled" || s == "--layer-by-layer") {
      (s == "--compiled" ? a.compiled : a.layer_by_layer) = true;
      continue;
    }
    if (i + 1 >= argc) throw ValueError("braid_workloads: " + s + " needs a value");
    std::string v = argv[++i];
    if (s == "--threads")
      a.threads = std::stoi(v);
    else if (s == "--data")
      a.data = v;
    else if (s == "--models")
      a.models = v;
    else if (s == "--seed")
      a.seed = std::stoull(v);
    else
      throw ValueError("braid_workloads: unknown option " + s);
  }
  return a;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

// VmHWM of this process, MiB.
double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

struct Out {
  std::string impl, mode;
  void metric(const char* name, double value) const {
    std::printf("{\"impl\": \"%s\", \"mode\": \"%s\", \"metric\": \"%s\", \"value\": %.9g}\n",
                impl.c_str(), mode.c_str(), name, value);
  }
  void metric(const char* name, double value, int64_t param) const {
    std::printf(
        "{\"impl\": \"%s\", \"mode\": \"%s\", \"metric\": \"%s\", \"value\": %.9g, "
        "\"param\": %lld}\n",
        impl.c_str(), mode.c_str(), name, value, static_cast<long long>(param));
  }
};

// The images stay uint8 (N, 1, 28, 28), 47 MB for the training set, and each
// batch is normalised when it is used, as torchvision's ToTensor + Normalize
// do: a float copy of the whole set would be 188 MB of peak memory.
struct Mnist {
  Tensor x_train, y_train, x_test, y_test;
};

Mnist load(const std::string& dir) {
  data::MnistSplits m = data::load_mnist(dir);
  return {unsqueeze(m.train_images, 1), m.train_labels, unsqueeze(m.test_images, 1), m.test_labels};
}

// uint8 -> float, (x / 255 - 0.1307) / 0.3081 as one pass (Note [rescale]).
Tensor normalise(const Tensor& images) {
  return rescale(images, 1.0 / (255.0 * 0.3081), -0.1307 / 0.3081);
}

double accuracy(nn::Module& net, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  net.eval();
  int64_t correct = 0;
  for (int64_t i = 0; i < x.size(0); i += 1000) {
    int64_t n = std::min<int64_t>(1000, x.size(0) - i);
    correct +=
        sum(eq(argmax(net(normalise(narrow(x, 0, i, n))), 1), narrow(y, 0, i, n))).item<int64_t>();
  }
  return 100.0 * double(correct) / double(x.size(0));
}

nn::Sequential mlp(int64_t width) {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, width), nn::ReLU(), nn::Dropout(0.2),
                        nn::Linear(width, 10));
}

// w1 / w2: one epoch, the contract's loop.
void train_epoch(const Out& out, nn::Module& net, const Mnist& d, int64_t batch, uint64_t seed) {
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  data::DataLoader loader(std::make_shared<data::TensorDataset>(d.x_train, d.y_train),
                          {.batch_size = batch, .shuffle = true, .seed = seed});
  net.train();
  int64_t steps = 0;
  auto t0 = Clock::now();
  for (const data::Example& b : loader) {
    opt.zero_grad();
    Tensor loss = cross_entropy(net(normalise(b.data)), b.target);
    loss.backward();
    opt.step();
    ++steps;
  }
  double secs = seconds_since(t0);
  out.metric("epoch_s", secs);
  out.metric("step_ms", 1e3 * secs / double(steps));
  out.metric("test_acc", accuracy(net, d.x_test, d.y_test));
}

// Median time of one W1 train step at the given batch and width.
double step_ms(const Mnist& d, int64_t batch, int64_t width) {
  nn::Sequential net = mlp(width);
  net.train();
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  int64_t offset = 0;
  auto step = [&] {
    if (offset + batch > d.x_train.size(0)) offset = 0;
    Tensor x = normalise(narrow(d.x_train, 0, offset, batch)),
           y = narrow(d.y_train, 0, offset, batch);
    offset += batch;
    opt.zero_grad();
    Tensor loss = cross_entropy(net(x), y);
    loss.backward();
    opt.step();
  };
  for (int i = 0; i < 10; ++i) step();
  std::vector<double> t;
  auto start = Clock::now();
  while (t.size() < 50 || seconds_since(start) < 0.3) {
    auto t0 = Clock::now();
    step();
    t.push_back(seconds_since(t0));
  }
  return 1e3 * percentile(t, 0.5);
}

// profile-w1 / profile-w2: where a W1 (W2) step's time goes, phase by phase
// (medians over the epoch): fetching and normalising the batch, forward +
// loss, backward, Adam; and the first step's time.
void profile(const Out& out, const Mnist& d, uint64_t seed, bool w2, bool layer_by_layer) {
  nn::Sequential net = w2 ? examples::cnn_sequential() : examples::mlp_sequential();
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  data::DataLoader loader(std::make_shared<data::TensorDataset>(d.x_train, d.y_train),
                          {.batch_size = w2 ? 128 : 64, .shuffle = true, .seed = seed});
  auto forward = [&](const Tensor& x) {
    if (!layer_by_layer) return net(x);
    Tensor h = x;
    for (nn::Module* m : net.children()) h = (*m)(h);
    return h;
  };
  net.train();
  std::vector<double> t[4];
  auto it = loader.begin();
  while (it != loader.end()) {
    auto t0 = Clock::now();
    Tensor x = normalise(it->data), y = it->target;
    auto t1 = Clock::now();
    opt.zero_grad();
    Tensor loss = cross_entropy(forward(x), y);
    auto t2 = Clock::now();
    loss.backward();
    auto t3 = Clock::now();
    opt.step();
    auto t4 = Clock::now();
    ++it;
    auto t5 = Clock::now();
    auto us = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count() * 1e6; };
    t[0].push_back(us(t0, t1) + us(t4, t5)), t[1].push_back(us(t1, t2));
    t[2].push_back(us(t2, t3)), t[3].push_back(us(t3, t4));
  }
  const char* names[] = {"batch_us", "forward_us", "backward_us", "adam_us"};
  for (int i = 0; i < 4; ++i) out.metric(names[i], percentile(t[i], 0.5));
  // The first step pays the process's start-up costs (first touches, any
  // JIT compilation): Note [own gemm].
  out.metric("first_step_us", t[0][0] + t[1][0] + t[2][0] + t[3][0]);
}

// w3: batch-1 latency and batch-256 throughput of `run` on test images.
void inference(const Out& out, const std::function<Tensor(const Tensor&)>& run, const Mnist& d,
               int min_b1_calls) {
  Tensor one = normalise(narrow(d.x_test, 0, 0, 1)), big = normalise(narrow(d.x_test, 0, 0, 256));
  for (int i = 0; i < 50; ++i) run(one);
  std::vector<double> t;
  auto start = Clock::now();
  while (int(t.size()) < min_b1_calls || seconds_since(start) < 1.0) {
    auto t0 = Clock::now();
    run(one);
    t.push_back(seconds_since(t0));
  }
  out.metric("b1_median_us", 1e6 * percentile(t, 0.5));
  out.metric("b1_p99_us", 1e6 * percentile(t, 0.99));
  for (int i = 0; i < 5; ++i) run(big);
  t.clear();
  start = Clock::now();
  while (t.size() < 20 || seconds_since(start) < 1.0) {
    auto t0 = Clock::now();
    run(big);
    t.push_back(seconds_since(t0));
  }
  out.metric("b256_images_per_s", 256.0 / percentile(t, 0.5));
}

nn::Sequential load_net(const std::string& dir, const std::string& name) {
  nn::Sequential net = name == "mlp" ? examples::mlp_sequential() : examples::cnn_sequential();
  nn::StateDict file = io::load_safetensors(dir + "/" + name + ".safetensors");
  nn::StateDict state;  // the model file also holds graph constants: keep the state-dict keys
  for (const auto& item : net.state_dict()) state.insert(item.first, file.at(item.first));
  net.load_state_dict(state);
  net.eval();
  return net;
}

// Checks the model against the output braid wrote at export (the same check
// every other harness makes).
void check_io(const std::function<Tensor(const Tensor&)>& net, const std::string& dir,
              const std::string& name) {
  nn::StateDict io = io::load_safetensors(dir + "/" + name + "_io.safetensors");
  NoGradGuard no_grad;
  double diff = max(abs(net(io.at("input")) - io.at("output"))).item<float>();
  BRAID_CHECK(diff <= 1e-4, ValueError, "braid_workloads",
              "{}: output differs from {}_io.safetensors by {}", name, name, diff);
}

// The ONNX files are made from the model files by the `braid export` CLI
// (bench/workloads.py does it): this harness links braid's training,
// compile and io layers but not the ONNX exporter, so a training run loads
// neither it nor protobuf (2.8 MB resident at start-up), as any braid
// program that does not use ONNX.
void export_models(const Args& a, const Mnist& d) {
  std::filesystem::create_directories(a.models);
  Tensor input = normalise(narrow(d.x_test, 0, 0, 8));
  for (std::string name : {"mlp", "cnn"}) {
    manual_seed(a.seed);
    nn::Sequential net = name == "mlp" ? examples::mlp_sequential() : examples::cnn_sequential();
    net.eval();
    std::string base = a.models + "/" + name;
    io::save_model(net, input, base + ".safetensors");
    NoGradGuard no_grad;
    nn::StateDict check;
    check.insert("input", input);
    check.insert("output", net(input));
    io::save_safetensors(check, base + "_io.safetensors");
    std::fprintf(stderr, "braid_workloads: wrote %s.safetensors and %s_io.safetensors\n",
                 base.c_str(), base.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  set_num_threads(a.threads);
  manual_seed(a.seed);
  Out out{a.compiled ? "braid-compiled" : "braid-eager", a.mode};
#ifdef BRAID_HAVE_DNNL
  const char* kernels = "braid + oneDNN";
#else
  const char* kernels = "braid portable";
#endif
  std::printf(
      "{\"impl\": \"%s\", \"mode\": \"%s\", \"config\": {\"threads\": %d, \"version\": \"%s\", "
      "\"kernels\": \"%s\"}}\n",
      out.impl.c_str(), a.mode.c_str(), a.threads, version(), kernels);
  Mnist d = load(a.data);
  if (a.mode == "export") {
    export_models(a, d);
  } else if (a.mode == "w1" || a.mode == "w2") {
    nn::Sequential net = a.mode == "w1" ? examples::mlp_sequential() : examples::cnn_sequential();
    train_epoch(out, net, d, a.mode == "w1" ? 64 : 128, a.seed);
  } else if (a.mode == "w3-mlp" || a.mode == "w3-cnn") {
    std::string name = a.mode.substr(3);
    nn::Sequential net = load_net(a.models, name);
    NoGradGuard no_grad;
    const int min_calls = name == "mlp" ? 2000 : 500;
    if (a.compiled) {
      CompiledModule fast = compile(net, normalise(narrow(d.x_test, 0, 0, 8)));
      check_io([&](const Tensor& x) { return fast(x); }, a.models, name);
      inference(
          out, [&](const Tensor& x) { return fast(x); }, d, min_calls);
    } else {
      check_io([&](const Tensor& x) { return net(x); }, a.models, name);
      inference(
          out, [&](const Tensor& x) { return net(x); }, d, min_calls);
    }
  } else if (a.mode == "profile-w1" || a.mode == "profile-w2") {
    profile(out, d, a.seed, a.mode == "profile-w2", a.layer_by_layer);
  } else if (a.mode == "scale-batch") {
    for (int64_t b = 1; b <= 1024; b *= 2) out.metric("step_ms", step_ms(d, b, 128), b);
  } else if (a.mode == "scale-width") {
    for (int64_t w = 128; w <= 4096; w *= 2) out.metric("step_ms", step_ms(d, 64, w), w);
  } else {
    throw ValueError("braid_workloads: unknown mode " + a.mode);
  }
  out.metric("peak_rss_mb", peak_rss_mb());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "braid_workloads: %s\n", e.what());
  return 1;
}
