// The braid model file (Note [model file]): every example model round-trips
// and runs without its class; the file is plain safetensors; hostile files
// get clear errors.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "models.hpp"

namespace braid {
namespace {

using testing::TempDir;

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * ca.element_size()) == 0;
}

template <class M>
void round_trip(M& m, const Shape& example, const Shape& other, const char* name) {
  TempDir dir(std::string("model_") + name);
  auto path = dir.path() / "m.safetensors";
  m.train();
  io::save_model(m, randn(example), path, {.metadata = {{"author", "test"}}});
  EXPECT_TRUE(m.is_training()) << "save_model must restore the module's mode";
  io::LoadedModel loaded = io::load_model(path);
  EXPECT_EQ(loaded.metadata().at("author"), "test");
  EXPECT_EQ(loaded.metadata().at("braid.module"), m.str());
  EXPECT_EQ(loaded.input_names(), std::vector<std::string>{"input"});
  m.eval();
  NoGradGuard no_grad;
  for (const Shape& s : {example, other}) {
    Tensor x = randn(s);
    EXPECT_TRUE(same_bits(loaded({x})[0], m(x))) << name << " at " << shape_str(s);
  }
  // The file is plain safetensors holding the whole state dict by name.
  auto contents = io::read_safetensors(path);
  for (const auto& [k, t] : m.state_dict()) {
    bool found = false;
    for (const auto& [k2, t2] : contents.tensors) found = found || (k2 == k && same_bits(t, t2));
    EXPECT_TRUE(found) << k;
  }
}

TEST(ModelFile, MnistModelsBothWays) {
  manual_seed(11);
  auto mlp = examples::mlp_sequential();
  round_trip(mlp, {4, 1, 28, 28}, {1, 1, 28, 28}, "mlp_seq");
  examples::MLP mlp2;
  round_trip(mlp2, {4, 1, 28, 28}, {9, 1, 28, 28}, "mlp");
  auto cnn = examples::cnn_sequential();
  round_trip(cnn, {2, 1, 28, 28}, {1, 1, 28, 28}, "cnn_seq");
  examples::CNN cnn2;
  round_trip(cnn2, {2, 1, 28, 28}, {3, 1, 28, 28}, "cnn");
}

TEST(ModelFile, BatchNormCnn) {
  manual_seed(12);
  auto net = examples::fashion_cnn();
  net(randn({8, 1, 28, 28}) * 3 + 1);  // moves the running statistics
  round_trip(net, {2, 1, 28, 28}, {5, 1, 28, 28}, "bn_cnn");
}

// Models whose forward takes two inputs are traced with a function, then saved.
template <class F>
void round_trip_graph(F&& fn, nn::Module& m, const std::vector<Tensor>& inputs,
                      const std::vector<std::string>& names, const char* name) {
  graph::TraceOptions o{.input_names = names};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  runtime::Graph g = graph::trace(fn, inputs, o);
  TempDir dir(std::string("model_") + name);
  io::save_model(g, dir.path() / "m.safetensors");
  io::LoadedModel loaded = io::load_model(dir.path() / "m.safetensors");
  EXPECT_EQ(loaded.input_names(), names);
  NoGradGuard no_grad;
  EXPECT_TRUE(same_bits(loaded(inputs)[0], fn(inputs)[0])) << name;
}

TEST(ModelFile, LstmAndTransformer) {
  manual_seed(13);
  examples::LstmClassifier lstm;
  lstm.eval();
  round_trip_graph(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{lstm.logits(in[0], in[1])}; },
      lstm, {randn({12, 4, 2}), tensor(std::vector<int64_t>{12, 5, 1, 8})}, {"x", "lengths"},
      "lstm");
  examples::TransformerModel tr;
  tr.eval();
  Tensor tokens = randint(0, tr.kVocab, {2, tr.kLen});
  Tensor padding = arange(tr.kLen).unsqueeze(0) >= tensor(std::vector<int64_t>{10, 6}).unsqueeze(1);
  round_trip_graph(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{tr.logits(in[0], in[1])}; },
      tr, {tokens, padding}, {"tokens", "padding"}, "transformer");
}

// -- hostile files --------------------------------------------------------------------

struct Saved {
  TempDir dir{"model_hostile"};
  io::SafetensorsContents contents;
  Saved() {
    manual_seed(14);
    nn::Sequential m(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
    io::save_model(m, randn({2, 3}), dir.path() / "good.safetensors");
    contents = io::read_safetensors(dir.path() / "good.safetensors");
  }
  // Writes a copy whose graph JSON was changed by `edit`, and returns the
  // error load_model gives.
  template <class Edit>
  std::string error_with(Edit edit) {
    auto meta = contents.metadata;
    auto j = nlohmann::json::parse(meta.at("braid.graph"));
    const std::string before = meta.at("braid.graph");
    edit(j, meta);
    if (meta.count("braid.graph") && meta["braid.graph"] == before) meta["braid.graph"] = j.dump();
    auto path = dir.path() / "bad.safetensors";
    io::save_safetensors(contents.tensors, path, meta);
    try {
      io::load_model(path);
    } catch (const IOError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST(ModelFile, HostileGraphs) {
  Saved s;
  using J = nlohmann::json;
  using M = io::Metadata;
  EXPECT_NE(s.error_with([](J& j, M&) {
               j["nodes"][1]["op"] = "frobnicate";
             }).find("unknown op 'frobnicate'"),
            std::string::npos)
      << s.error_with([](J& j, M&) { j["nodes"][1]["op"] = "frobnicate"; });
  // A node reading its own output, and one reading a later node's: cycles.
  EXPECT_NE(s.error_with([](J& j, M&) {
               j["nodes"][1]["inputs"][0] = j["nodes"][1]["outputs"][0];
             }).find("not produced before the node"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) {
               j["nodes"][0]["inputs"][0] = j["nodes"][2]["outputs"][0];
             }).find("not produced before the node"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) { j["nodes"][0]["inputs"][0] = 999; }).find("out of range"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) {
               j["values"][1]["name"] = "no.such.tensor";
             }).find("constant %no.such.tensor has no tensor in the file"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) {
               j["values"][1]["shape"] = {5, 5};
             }).find("recorded as"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) { j["values"][0]["dtype"] = "float99"; }).find("float99"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) {
               j["nodes"][0]["attrs"] = {{"x", {{"weird", 1}}}};
             }).find("unknown attribute kind"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) { j.erase("nodes"); }).find("malformed graph"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J& j, M&) { j["version"] = 7; }).find("newer"), std::string::npos);
  EXPECT_NE(s.error_with([](J&, M& m) { m["braid.graph"] = "{not json"; }).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J&, M& m) { m.erase("braid.graph"); }).find("no 'braid.graph'"),
            std::string::npos);
  EXPECT_NE(s.error_with([](J&, M& m) { m["braid.format"] = "module"; }).find("not 'model'"),
            std::string::npos);
}

TEST(ModelFile, PlainStateDictIsNotAModel) {
  TempDir dir("model_plain");
  nn::Linear lin(2, 2);
  io::save(lin, dir.path() / "w.safetensors");
  try {
    io::load_model(dir.path() / "w.safetensors");
    FAIL() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("not 'model'"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, ReservedMetadataKeysAndWrongInputs) {
  TempDir dir("model_reserved");
  nn::Linear lin(3, 2);
  EXPECT_THROW(io::save_model(lin, randn({1, 3}), dir.path() / "m.safetensors",
                              {.metadata = {{"braid.graph", "mine"}}}),
               ValueError);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));
  io::save_model(lin, randn({4, 3}), dir.path() / "m.safetensors");
  auto m = io::load_model(dir.path() / "m.safetensors");
  EXPECT_EQ(m({randn({7, 3})})[0].shape(), (Shape{7, 2}));  // batch is free
  EXPECT_THROW(m({randn({7, 4})}), ShapeError);
  EXPECT_THROW(m({randn({7, 3}).to(DType::Float64)}), DTypeError);
  EXPECT_THROW(m({randn({7, 3}), randn({7, 3})}), ValueError);
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(ModelFile, SequentialLoadsBackTrainable) {
  manual_seed(15);
  testing::TempDir dir("model_seq");
  auto net = examples::fashion_cnn();
  net(randn({4, 1, 28, 28}));  // running statistics away from their start
  io::save_model(net, randn({2, 1, 28, 28}), dir.path() / "m.safetensors");
  nn::Sequential back = io::load_sequential(dir.path() / "m.safetensors");
  EXPECT_EQ(back.str(), net.str());
  net.eval();
  back.eval();
  Tensor x = randn({3, 1, 28, 28});
  {
    NoGradGuard no_grad;
    EXPECT_TRUE(same_bits(back(x), net(x)));
  }
  back.train();
  Tensor loss = cross_entropy(back(x), tensor(std::vector<int64_t>{1, 2, 3}));
  loss.backward();
  for (const auto& [k, p] : back.named_parameters()) EXPECT_TRUE(p.grad().defined()) << k;

  examples::MLP custom;  // a user's class has no layer config
  io::save_model(custom, randn({1, 1, 28, 28}), dir.path() / "c.safetensors");
  EXPECT_THROW(io::load_sequential(dir.path() / "c.safetensors"), IOError);
  EXPECT_NO_THROW(io::load_model(dir.path() / "c.safetensors"));
}

}  // namespace
}  // namespace braid
