// Writes the fuzzers' seed corpus: a handful of valid files made by braid's
// own writers, and near-valid ones (one field wrong each), so that mutation
// starts next to every check of the readers. Each file is < 4 KB.
// Usage: fuzz_make_corpus <fuzz/corpus>  (fuzz/make_corpus.sh runs it)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "braid/data/idx.hpp"
#include "braid/io/safetensors.hpp"
#include "braid/ops/ops.hpp"
#if BRAID_FUZZ_GRAPH
#include <nlohmann/json.hpp>

#include "braid/io/model_file.hpp"
#include "braid/nn/activation.hpp"
#include "braid/nn/linear.hpp"
#include "braid/nn/sequential.hpp"
#include "braid/runtime/graph.hpp"
#endif

namespace fs = std::filesystem;
using namespace braid;

namespace {

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}
std::string u64le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
// A safetensors file with this header text and data (header length as given,
// else the header's true size).
std::string st_raw(const std::string& header, const std::string& data, int64_t len = -1) {
  return u64le(len < 0 ? header.size() : uint64_t(len)) + header + data;
}

void safetensors(const fs::path& dir) {
  nn::StateDict mixed;
  mixed.insert("fc.weight", arange(0, 6, 1, DType::Float32).reshape({2, 3}));
  mixed.insert("fc.bias", tensor({0.5, -1.0}, DType::Float64));
  mixed.insert("mask", tensor({1, 0, 1}).to(DType::Bool));
  mixed.insert("steps", tensor({7}, DType::Int64));
  mixed.insert("h", tensor({1.5, 2.0}).to(DType::Float16));
  mixed.insert("b", tensor({1.5, 2.0}).to(DType::BFloat16));
  mixed.insert("u", tensor({255, 0}).to(DType::UInt8));
  mixed.insert("i8", tensor({-3}).to(DType::Int8));
  mixed.insert("i32", tensor({-70000}, DType::Int32));
  io::save_safetensors(mixed, dir / "mixed.safetensors", {{"format", "pt"}, {"braid", "0.1"}});

  nn::StateDict odd;
  odd.insert("scalar", scalar_tensor(3.0f));
  odd.insert("empty", empty({0, 4}));
  odd.insert("x", ones({1, 1, 2}));
  io::save_safetensors(odd, dir / "scalar_and_empty.safetensors");
  io::save_safetensors({}, dir / "no_tensors.safetensors");
  // What fuzz_safetensors loads into its Linear(4, 3): valid, then a wrong shape.
  nn::StateDict fc;
  fc.insert("weight", arange(0, 12, 1, DType::Float32).reshape({3, 4}));
  fc.insert("bias", ones({3}));
  io::save_safetensors(fc, dir / "linear.safetensors");
  fc.insert("extra", ones({1}));
  io::save_safetensors(fc, dir / "linear_extra_key.safetensors");
  nn::StateDict wrong;
  wrong.insert("weight", ones({4, 3}));
  wrong.insert("bias", ones({3}));
  io::save_safetensors(wrong, dir / "linear_wrong_shape.safetensors");

  // Near-valid: each breaks one rule the reader checks.
  const std::string two = std::string("\0\0\x80?\0\0\0@", 8);  // F32 1, 2
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  write(dir / "truncated.safetensors", read(dir / "mixed.safetensors").substr(0, 200));
  write(dir / "header_too_long.safetensors", st_raw(ok, two, 4096));
  write(dir / "overlap.safetensors",
        st_raw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
               two));
  write(dir / "shape_mismatch.safetensors",
        st_raw(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", two));
  write(dir / "zero_dim.safetensors",
        st_raw(R"({"a":{"dtype":"F32","shape":[0,3,2],"data_offsets":[0,0]},)"
               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
               two));
  write(dir / "unsupported_dtype.safetensors",
        st_raw(R"({"a":{"dtype":"I16","shape":[4],"data_offsets":[0,8]}})", two));
  write(dir / "duplicate_key.safetensors", st_raw(R"({"a":{"dtype":"F32","shape":[2],)"
                                                  R"("data_offsets":[0,8]},"a":{"dtype":"F32",)"
                                                  R"("shape":[2],"data_offsets":[0,8]}})",
                                                  two));
  write(
      dir / "bad_bool.safetensors",
      st_raw(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\1\2", 2)));
  write(dir / "bad_metadata.safetensors",
        st_raw(R"({"__metadata__":{"k":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
               two));
}

void idx(const fs::path& dir) {
  auto p = [&](const char* name) { return (dir / name).string(); };
  data::write_idx(p("images.idx"), arange(0, 18, 1, DType::UInt8).reshape({2, 3, 3}));
  data::write_idx(p("images.idx.gz"), arange(0, 18, 1, DType::UInt8).reshape({2, 3, 3}));
  data::write_idx(p("labels.idx"), tensor({3, 1, 4, 1, 5}));
  data::write_idx(p("labels.idx.gz"), tensor({3, 1, 4, 1, 5}));
  data::write_idx(p("int8.idx"), tensor({-128, 0, 127}).to(DType::Int8));
  data::write_idx(p("int32.idx"), tensor({{-70000, 1}, {2, 3}}, DType::Int32));
  data::write_idx(p("float32.idx"), tensor({{1.5f, -2.0f}}));
  data::write_idx(p("float64.idx.gz"), tensor({0.1, 1e300}, DType::Float64));
  // int16 (0x0B) has no writer: big-endian -2, 300.
  write(dir / "int16.idx", std::string("\0\0\x0b\x01\0\0\0\x02\xff\xfe\x01\x2c", 12));
  // Near-valid: a lying header and a cut gzip stream.
  write(dir / "short_data.idx", read(dir / "images.idx").substr(0, 20));
  write(dir / "huge_dims.idx", std::string("\0\0\x08\x02\x00\x10\0\0\x00\x10\0\0\1\2\3", 15));
  write(dir / "bad_type.idx", std::string("\0\0\x0a\x01\0\0\0\x01\7", 9));
  const std::string gz = read(dir / "images.idx.gz");
  write(dir / "truncated.idx.gz", gz.substr(0, gz.size() - 6));
}

#if BRAID_FUZZ_GRAPH
// Graphs built by hand from registry ops, written by runtime::to_json. The
// constant names match fuzz_graph_json's (fc.weight, fc.bias, scale).
std::string mlp_graph(bool bias) {
  runtime::Graph g;
  const int x = g.add_value("x", {2, 1, 2, 2}, DType::Float32);
  const int w = g.add_value("fc.weight", {3, 4}, DType::Float32, ones({3, 4}));
  const int b = bias ? g.add_value("fc.bias", {3}, DType::Float32, zeros({3})) : -1;
  const int k = g.add_value("scale", {1}, DType::Float32, full({1}, 2.0));
  const int flat = g.add_value("1", {2, 4}, DType::Float32);
  const int lin = g.add_value("2", {2, 3}, DType::Float32);
  const int act = g.add_value("3", {2, 3}, DType::Float32);
  const int mul = g.add_value("4", {2, 3}, DType::Float32);
  const int red = g.add_value("5", {2}, DType::Float32);
  const int out = g.add_value("6", {2}, DType::Float64);
  g.nodes.push_back(
      {OpId::flatten, {{"start_dim", int64_t{1}}, {"end_dim", int64_t{-1}}}, {x}, {flat}, ""});
  g.nodes.push_back({OpId::linear, {}, {flat, w, b}, {lin}, "fc"});
  g.nodes.push_back({OpId::leaky_relu, {{"negative_slope", 0.1}}, {lin}, {act}, "act"});
  g.nodes.push_back({OpId::mul, {}, {act, k}, {mul}, ""});
  g.nodes.push_back(
      {OpId::sum, {{"dims", std::vector<int64_t>{1}}, {"keepdim", false}}, {mul}, {red}, ""});
  g.nodes.push_back({OpId::to, {{"dtype", std::string("float64")}}, {red}, {out}, ""});
  g.inputs = {x};
  g.outputs = {out};
  g.dynamic_batch = bias;
  if (!bias) g.static_reason = "traced at one batch size";
  runtime::validate(g);
  return runtime::to_json(g);
}

// Replaces every string equal to `from` with `to`, and reverses every array
// under a key named `reverse` (the node list: uses before definitions).
void edit(nlohmann::json& j, const std::string& from, const std::string& to,
          const std::string& reverse) {
  if (j.is_string() && j.get<std::string>() == from) j = to;
  if (j.is_object())
    for (auto& [key, v] : j.items()) {
      if (key == reverse && v.is_array()) std::reverse(v.begin(), v.end());
      edit(v, from, to, reverse);
    }
  if (j.is_array())
    for (auto& v : j) edit(v, from, to, reverse);
}

void graph_json(const fs::path& dir) {
  const std::string mlp = mlp_graph(true);
  write(dir / "mlp.json", mlp);
  write(dir / "mlp_no_bias.json", mlp_graph(false));
  write(dir / "truncated.json", mlp.substr(0, mlp.size() / 2));
  auto edited = [&](const char* from, const char* to, const char* reverse) {
    nlohmann::json j = nlohmann::json::parse(mlp);
    edit(j, from, to, reverse);
    return j.dump();
  };
  write(dir / "unknown_op.json", edited("leaky_relu", "leaky_relu9", ""));
  write(dir / "nodes_reversed.json", edited("", "", "nodes"));
  write(dir / "unknown_constant.json", edited("scale", "shift", ""));
}

// Model files as io::save_model writes them, from a traced Sequential and
// from the hand-made graph, plus near-valid ones: the graph JSON cut short,
// a constant dropped, and a file without the braid metadata.
void model_file(const fs::path& dir, const fs::path& graph_dir) {
  nn::Sequential mlp(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
  io::save_model(mlp, ones({2, 4}), dir / "mlp.safetensors");
  const io::SafetensorsContents c = io::read_safetensors(dir / "mlp.safetensors");
  // The traced graph is also a good JSON seed.
  write(graph_dir / "traced_mlp.json", c.metadata.at("braid.graph"));
  runtime::Graph g = runtime::from_json(
      mlp_graph(true),
      {{"fc.weight", ones({3, 4})}, {"fc.bias", zeros({3})}, {"scale", full({1}, 2.0)}});
  io::save_model(g, dir / "hand_made.safetensors");

  io::Metadata meta = c.metadata;
  meta["braid.graph"] = meta["braid.graph"].substr(0, meta["braid.graph"].size() / 2);
  io::save_safetensors(c.tensors, dir / "graph_cut.safetensors", meta);
  nn::StateDict fewer;
  for (const auto& [name, t] : c.tensors)
    if (fewer.size() + 1 < c.tensors.size()) fewer.insert(name, t);
  io::save_safetensors(fewer, dir / "constant_missing.safetensors", c.metadata);
  io::save_safetensors(c.tensors, dir / "no_metadata.safetensors");
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  auto fresh = [&](const char* target) {
    fs::remove_all(root / target);
    fs::create_directories(root / target);
    return root / target;
  };
  safetensors(fresh("fuzz_safetensors"));
  idx(fresh("fuzz_idx"));
#if BRAID_FUZZ_GRAPH
  graph_json(fresh("fuzz_graph_json"));
  model_file(fresh("fuzz_model_file"), root / "fuzz_graph_json");
#endif
  return 0;
}
