// The comparison workloads (bench/workloads/README.md, the contract) in libtorch C++ (Debian's
// libtorch 1.13), impl "libtorch"; bench/workloads/build_libtorch.sh builds it:
//   build/libtorch/libtorch_workloads <mode> [--threads 2] [--data DIR] [--models DIR] [--seed 0]
// modes: w1, w2, w3-mlp, w3-cnn, scale-batch, scale-width. One JSON object per line on stdout
// (a config line first), everything else on stderr.
//
// Note [reference at its best]: libtorch calls whatever libblas.so.3 and libopenblas.so.0 resolve
// to, and OpenBLAS picks its kernels from OPENBLAS_CORETYPE (this machine's environment says
// Haswell: half the GEMM rate of SkylakeX here). Both are read when the process starts, so main()
// first re-executes the program (/proc/self/exe) with LD_LIBRARY_PATH starting with the OpenMP
// OpenBLAS, OPENBLAS_CORETYPE=SkylakeX where the CPU has avx512f, and OMP_NUM_THREADS=--threads,
// unless they already hold, and glibc's MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ to 1 GiB
// (no fresh, faulting pages per big temporary: 7-8x at hidden width 1024; see torch_workloads.py,
// which does the same). --as-is keeps the environment. The config line says what was set.
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;
constexpr const char* kOpenBlasOpenMp = "/usr/lib/x86_64-linux-gnu/openblas-openmp";

struct Args {
  std::string mode;
  int threads = 2;
  std::string data = BRAID_REPO "/.cache/mnist";
  std::string models = BRAID_REPO "/build/bench-models";
  uint64_t seed = 0;
  bool as_is = false;
  int64_t steps = 0;  // smoke tests only: cut w1/w2 to N steps, shorten the rest
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "libtorch_workloads: " << what << "\n";
  std::exit(1);
}

Args parse_args(int argc, char** argv) {
  Args a;
  using Set = std::function<void(const std::string&)>;
  const std::map<std::string, Set> options{
      {"--threads", [&](const std::string& v) { a.threads = std::stoi(v); }},
      {"--data", [&](const std::string& v) { a.data = v; }},
      {"--models", [&](const std::string& v) { a.models = v; }},
      {"--seed", [&](const std::string& v) { a.seed = std::stoull(v); }},
      {"--steps", [&](const std::string& v) { a.steps = std::stoll(v); }}};
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto option = options.find(s);
    if (s == "--as-is")
      a.as_is = true;
    else if (option == options.end() && a.mode.empty() && s.rfind("--", 0) != 0)
      a.mode = s;
    else if (option == options.end())
      fail("unknown argument '" + s + "'");
    else if (i + 1 >= argc)
      fail("option " + s + " needs a value");
    else
      try {
        option->second(argv[++i]);
      } catch (const std::logic_error&) {
        fail("option " + s + " needs a number, got '" + argv[i] + "'");
      }
  }
  const std::set<std::string> modes{"w1", "w2", "w3-mlp", "w3-cnn", "scale-batch", "scale-width"};
  if (!modes.count(a.mode)) fail("unknown mode '" + a.mode + "' (w1 w2 w3-mlp w3-cnn scale-*)");
  if (a.threads < 1) fail("--threads must be >= 1");
  return a;
}

bool has_avx512f() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("flags", 0) == 0) return line.find(" avx512f") != std::string::npos;
  return false;
}

// Note [reference at its best]: restart with the best environment.
void reexec_at_best(const Args& a, char** argv) {
  if (a.as_is) return;
  bool changed = false;
  auto want = [&](const char* name, const std::string& value) {
    const char* now = std::getenv(name);
    if (now && value == now) return;
    setenv(name, value.c_str(), 1);
    changed = true;
  };
  if (access(kOpenBlasOpenMp, F_OK) == 0) {
    const char* now = std::getenv("LD_LIBRARY_PATH");
    std::string path = kOpenBlasOpenMp;
    std::stringstream rest(now ? now : "");
    for (std::string p; std::getline(rest, p, ':');)
      if (!p.empty() && p != kOpenBlasOpenMp) path += ":" + p;
    want("LD_LIBRARY_PATH", path);  // settles after one re-execution
  }
  if (has_avx512f()) want("OPENBLAS_CORETYPE", "SkylakeX");
  want("OMP_NUM_THREADS", std::to_string(a.threads));
  for (const char* k : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) want(k, "1073741824");
  if (!changed) return;
  execv("/proc/self/exe", argv);
  fail(std::string("cannot re-execute /proc/self/exe: ") + std::strerror(errno));
}

// IDX file (big-endian magic 0x0000080N, N dims, uint8 data) -> a tensor of
// `dtype`, converted in 1 MiB chunks so that no uint8 copy of the whole file
// inflates the peak memory we report.
torch::Tensor read_idx(const std::string& path, torch::ScalarType dtype) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail("cannot read " + path + " (scripts/fetch_mnist.sh fetches it; --data DIR)");
  const auto size = static_cast<size_t>(f.tellg());
  f.seekg(0);
  auto be32 = [&] {
    unsigned char b[4] = {};
    f.read(reinterpret_cast<char*>(b), 4);
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
  };
  const uint32_t magic = be32();
  if (!f || (magic >> 8) != 0x08) fail(path + " is not a uint8 IDX file");
  std::vector<int64_t> dims;
  int64_t count = 1;
  for (uint32_t d = 0; d < (magic & 0xFF); ++d) dims.push_back(be32()), count *= dims.back();
  if (!f || size != 4 + 4 * dims.size() + size_t(count))
    fail(path + ": size does not match its IDX header");
  auto out = torch::empty(dims, dtype);
  auto flat = out.view(-1);
  std::vector<char> buf(1 << 20);
  for (int64_t i = 0; i < count; i += int64_t(buf.size())) {
    int64_t n = std::min<int64_t>(int64_t(buf.size()), count - i);
    if (!f.read(buf.data(), n)) fail("cannot read " + path);
    flat.slice(0, i, i + n).copy_(torch::from_blob(buf.data(), {n}, torch::kUInt8));
  }
  return out;
}

// (N,1,28,28) uint8 images, int64 labels. The images stay uint8 and each
// batch is normalised when it is used, as in every harness: the same data
// pipeline, so epoch times and peak memory compare like for like.
std::pair<torch::Tensor, torch::Tensor> load_mnist(const Args& a, const std::string& split) {
  auto x = read_idx(a.data + "/" + split + "-images-idx3-ubyte", torch::kUInt8);
  return {x.unsqueeze(1), read_idx(a.data + "/" + split + "-labels-idx1-ubyte", torch::kInt64)};
}

// uint8 -> float32, (x / 255 - 0.1307) / 0.3081, in place after the cast.
torch::Tensor normalise(const torch::Tensor& x) {
  return x.to(torch::kFloat32).div_(255.0f).sub_(0.1307f).div_(0.3081f);
}

// safetensors: 8-byte little-endian header length, JSON header (dtype, shape,
// data_offsets), raw data. F32 only (all the braid model files hold).
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot read " + path + " (`braid_workloads export --models DIR` writes it)");
  std::vector<char> raw(std::istreambuf_iterator<char>(f), {});  // a few MiB at most
  if (raw.size() < 8) fail(path + ": too short for safetensors");
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = n << 8 | static_cast<uint8_t>(raw[k]);
  if (8 + n > raw.size()) fail(path + ": header length " + std::to_string(n) + " past the end");
  auto header = nlohmann::json::parse(raw.begin() + 8, raw.begin() + 8 + n);
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, meta] : header.items()) {
    if (name == "__metadata__") continue;
    if (meta.at("dtype") != "F32") fail(path + ": tensor " + name + " is not F32");
    auto shape = meta.at("shape").get<std::vector<int64_t>>();
    auto offs = meta.at("data_offsets").get<std::vector<uint64_t>>();
    int64_t count = 1;
    for (auto d : shape) count *= d;
    if (offs.size() != 2 || offs[1] - offs[0] != 4 * uint64_t(count) ||
        8 + n + offs[1] > raw.size())
      fail(path + ": tensor " + name + " has bad data_offsets");
    out[name] = torch::from_blob(raw.data() + 8 + n + offs[0], shape, torch::kFloat32).clone();
  }
  return out;
}

torch::nn::Sequential mlp(int64_t width = 128) {
  namespace nn = torch::nn;
  return nn::Sequential(nn::Flatten(), nn::Linear(784, width), nn::ReLU(), nn::Dropout(0.2),
                        nn::Linear(width, 10));
}

torch::nn::Sequential cnn() {
  namespace nn = torch::nn;
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(),
                        nn::Conv2d(nn::Conv2dOptions(32, 64, 3)), nn::ReLU(),
                        nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Dropout(0.25), nn::Flatten(),
                        nn::Linear(9216, 128), nn::ReLU(), nn::Dropout(0.5), nn::Linear(128, 10));
}

torch::optim::Adam adam(torch::nn::Sequential& model) {
  return torch::optim::Adam(
      model->parameters(),
      torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(0));
}

void train_step(torch::nn::Sequential& model, torch::optim::Adam& opt, const torch::Tensor& x,
                const torch::Tensor& y) {
  // Gradients set to none (Optimizer::zero_grad would run a fill per tensor).
  for (auto& p : model->parameters()) p.mutable_grad().reset();
  torch::nn::functional::cross_entropy(model->forward(x), y).backward();
  opt.step();
}

double seconds_since(Clock::time_point t) { return Seconds(Clock::now() - t).count(); }

// Sorts v; q = 0.5: the median (mean of the middle two when even), else the nearest rank.
double quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  if (q == 0.5) return (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2;
  return v[std::max<size_t>(size_t(std::ceil(q * double(v.size()))), 1) - 1];
}

double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return NAN;
}

void emit(const Args& a, const std::string& metric, double value, Json extra = {}) {
  Json j{{"impl", "libtorch"}, {"mode", a.mode}, {"metric", metric}, {"value", value}};
  if (extra.is_object()) j.update(extra);
  std::cout << j.dump() << std::endl;
}

void config_line(const Args& a) {
  torch::mm(torch::ones({64, 64}), torch::ones({64, 64}));  // BLAS initialised before we look
  Json env;
  for (const char* k :
       {"OPENBLAS_CORETYPE", "LD_LIBRARY_PATH", "OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY",
        "LD_PRELOAD", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"})
    env[k] = std::getenv(k) ? Json(std::getenv(k)) : Json(nullptr);
  std::set<std::string> blas;  // real files of the BLAS/LAPACK libraries mapped
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    std::string file = line.substr(std::min(line.size(), line.find('/')));
    if (file.find("blas") != file.npos || file.find("lapack") != file.npos) blas.insert(file);
  }
  std::string parallel, capability;
  std::stringstream pinfo(at::get_parallel_info());
  for (std::string line; std::getline(pinfo, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    if (line.rfind("Environment variables:", 0) == 0) break;
    if (!line.empty()) parallel += (parallel.empty() ? "" : "; ") + line;
  }
  std::stringstream show(at::show_config());
  for (std::string line; std::getline(show, line);)
    if (auto k = line.find("CPU capability usage: "); k != std::string::npos)
      capability = line.substr(k + 22);
  auto conf = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  Json cfg{{"threads", at::get_num_threads()},
           {"version", TORCH_VERSION},
           {"parallel", parallel},
           {"cpu_capability", capability},
           {"blas_loaded", blas},
           {"openblas_config", conf ? Json(conf()) : Json(nullptr)},  // names the core
           {"env", env},
           {"env_fixed", !a.as_is},
           {"seed", a.seed}};
  if (a.mode != "w3-mlp" && a.mode != "w3-cnn")
    cfg["optimizer"] = "torch::optim::Adam(lr=1e-3), grads reset to none";
  std::cout << Json{{"impl", "libtorch"}, {"mode", a.mode}, {"config", cfg}}.dump() << std::endl;
}

void run_training(const Args& a, torch::nn::Sequential model, int64_t batch) {
  auto [xtr, ytr] = load_mnist(a, "train");
  auto [xte, yte] = load_mnist(a, "t10k");
  auto opt = adam(model);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(a.seed);  // the shuffle
  const int64_t n = xtr.size(0), limit = a.steps ? std::min(n, a.steps * batch) : n;
  model->train();
  int64_t steps = 0;
  auto t0 = Clock::now();
  auto perm = torch::randperm(n, gen, torch::kLong);
  for (int64_t i = 0; i < limit; i += batch, ++steps) {
    auto idx = perm.slice(0, i, std::min(i + batch, n));
    train_step(model, opt, normalise(xtr.index_select(0, idx)), ytr.index_select(0, idx));
  }
  double epoch_s = seconds_since(t0);
  model->eval();
  int64_t correct = 0;
  torch::InferenceMode guard;
  for (int64_t i = 0; i < xte.size(0); i += 1000) {
    auto predicted = model->forward(normalise(xte.slice(0, i, i + 1000))).argmax(1);
    correct += predicted.eq(yte.slice(0, i, i + 1000)).sum().item<int64_t>();
  }
  emit(a, "epoch_s", epoch_s);
  emit(a, "step_ms", epoch_s / double(steps) * 1e3);
  emit(a, "test_acc", 100.0 * double(correct) / double(xte.size(0)));
}

// Each call timed alone, seconds; at least min_calls and min_s in all. For inference the contract
// says: a first warm-up call over 1 s means 3 timed calls after that one warm-up instead.
template <class F>
std::vector<double> time_calls(F&& f, int warmup, size_t min_calls, double min_s, bool w3) {
  auto first = Clock::now();
  f();
  if (w3 && seconds_since(first) > 1.0) warmup = 1, min_calls = 3, min_s = 0;
  for (int i = 1; i < warmup; ++i) f();
  std::vector<double> times;
  auto start = Clock::now();
  while (times.size() < min_calls || seconds_since(start) < min_s) {
    auto t = Clock::now();
    f();
    times.push_back(seconds_since(t));
  }
  return times;
}

void run_inference(const Args& a, const std::string& net) {
  auto model = net == "mlp" ? mlp() : cnn();
  std::string path = a.models + "/" + net + ".safetensors";
  auto weights = read_safetensors(path);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) {
      auto it = weights.find(p.key());
      if (it == weights.end()) fail(path + " lacks " + p.key());
      if (it->second.sizes() != p.value().sizes())
        fail(path + ": " + p.key() + " has shape " + c10::str(it->second.sizes()) + ", expected " +
             c10::str(p.value().sizes()));
      p.value().copy_(it->second);
    }
  }
  model->eval();
  auto io = read_safetensors(a.models + "/" + net + "_io.safetensors");
  if (!io.count("input") || !io.count("output")) fail(net + "_io.safetensors lacks input/output");
  auto xte = load_mnist(a, "t10k").first;
  auto one = normalise(xte.slice(0, 0, 1)), big = normalise(xte.slice(0, 0, 256));
  torch::InferenceMode guard;
  auto got = model->forward(io["input"]);
  double diff = got.sizes() == io["output"].sizes()  // infinite when the shapes differ
                    ? (got - io["output"]).abs().max().item<double>()
                    : INFINITY;
  if (!(diff <= 1e-4))
    fail("libtorch " + net + " output differs from braid's " + net + "_io.safetensors: shape " +
         c10::str(got.sizes()) + ", max abs diff " + std::to_string(diff));
  std::cerr << "libtorch_workloads: " << net << " matches braid's, max abs diff " << diff << "\n";
  bool quick = a.steps > 0;
  auto lat = time_calls([&] { model->forward(one); }, 50, quick ? 20 : (net == "mlp" ? 2000 : 500),
                        quick ? 0.05 : 1.0, true);
  auto thr = time_calls([&] { model->forward(big); }, 5, quick ? 5 : 20, quick ? 0.05 : 1.0, true);
  emit(a, "b1_median_us", quantile(lat, 0.5) * 1e6);
  emit(a, "b1_p99_us", quantile(lat, 0.99) * 1e6);
  emit(a, "b256_images_per_s", 256.0 / quantile(thr, 0.5));
}

void run_scale(const Args& a, bool by_batch) {
  auto [xtr, ytr] = load_mnist(a, "train");
  const int64_t n = xtr.size(0);
  std::vector<int64_t> params;
  for (int64_t p = by_batch ? 1 : 128; p <= (by_batch ? 1024 : 4096); p *= 2) params.push_back(p);
  for (size_t k = 0; k < params.size(); k += a.steps ? 3 : 1) {
    const int64_t p = params[k], batch = by_batch ? p : 64, width = by_batch ? 128 : p;
    torch::manual_seed(a.seed);
    auto model = mlp(width);
    auto opt = adam(model);
    model->train();
    int64_t off = 0;
    auto step = [&] {  // inputs cycle through the training images
      if (off + batch > n) off = 0;
      train_step(model, opt, normalise(xtr.slice(0, off, off + batch)),
                 ytr.slice(0, off, off + batch));
      off += batch;
    };
    auto times = time_calls(step, 10, a.steps ? 5 : 50, 0.3, false);
    emit(a, "step_ms", quantile(times, 0.5) * 1e3, Json{{"param", p}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse_args(argc, argv);
  reexec_at_best(a, argv);
  at::set_num_threads(a.threads);
  torch::manual_seed(a.seed);  // initial weights and dropout masks
  config_line(a);
  if (a.mode == "w1" || a.mode == "w2")
    run_training(a, a.mode == "w1" ? mlp() : cnn(), a.mode == "w1" ? 64 : 128);
  else if (a.mode.rfind("w3-", 0) == 0)
    run_inference(a, a.mode.substr(3));
  else
    run_scale(a, a.mode == "scale-batch");
  if (a.mode.rfind("scale", 0) != 0) emit(a, "peak_rss_mb", peak_rss_mb());
  return 0;
}
