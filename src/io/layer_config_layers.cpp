// Each layer's config, both ways, side by side: what `write` puts in is
// what `read` takes out (see Note [layer config format]). Defaults in the
// readers are PyTorch's (and the constructors').
#include <algorithm>
#include <limits>

#include "braid/nn/nn.hpp"
#include "io/config_reader.hpp"

namespace braid::io::detail {

namespace {

using nlohmann::json;
using Built = std::unique_ptr<nn::Module>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kBig = 1e300;  // any finite slope / alpha

template <class L>
const L& as(const nn::Module& m) {
  return static_cast<const L&>(m);
}
json size_json(const nn::SizeArg& s) {
  if (!s.given()) return nullptr;
  if (s.is_int) return s.values[0];
  return s.values;
}
json nullable(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json nullable(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
// Element counts for the budget (ConfigLimits::max_elements), saturating.
// Each reader counts exactly the elements of the state dict it will have.
constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();
int64_t mul(std::initializer_list<int64_t> factors) {
  int64_t n = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(n, f, &n)) return kSaturated;
  return n;
}
int64_t add(std::initializer_list<int64_t> terms) {
  int64_t n = 0;
  for (int64_t t : terms)
    if (__builtin_add_overflow(n, t, &n)) return kSaturated;
  return n;
}
int64_t kernel_elements(const nn::SizeArg& k, int dims) {
  int64_t n = 1;
  for (int64_t v : k.expand(dims, "layer_from_config", "kernel_size")) n = mul({n, v});
  return n;
}
template <class L, class... A>
Built make(ConfigReader& r, A&&... args) {
  r.finish();
  return std::make_unique<L>(std::forward<A>(args)...);
}

// -- Linear, Conv ----------------------------------------------------------------------

json write_linear(const nn::Module& m, const std::string&) {
  const auto& l = as<nn::Linear>(m);
  return {
      {"in_features", l.in_features}, {"out_features", l.out_features}, {"bias", l.bias.defined()}};
}
Built read_linear(ConfigReader& r) {
  const int64_t in = r.integer("in_features", {}, 1), out = r.integer("out_features", {}, 1);
  const bool bias = r.boolean("bias", true);
  r.reserve({add({mul({out, in}), bias ? out : 0})});
  return make<nn::Linear>(r, in, out, bias);
}

json write_conv(const nn::Module& m, const std::string&) {
  const auto& c = as<nn::ConvNd>(m);
  return {{"in_channels", c.in_channels},
          {"out_channels", c.out_channels},
          {"kernel_size", c.kernel_size},
          {"stride", c.stride},
          {"padding", c.padding_string.empty() ? json(c.padding) : json(c.padding_string)},
          {"dilation", c.dilation},
          {"groups", c.groups},
          {"bias", c.bias.defined()},
          {"padding_mode", c.padding_mode}};
}
template <class L, int Dims>
Built read_conv(ConfigReader& r) {
  const int64_t in = r.integer("in_channels", {}, 1), out = r.integer("out_channels", {}, 1);
  const nn::SizeArg kernel = r.size("kernel_size", {}, Dims, 1);
  nn::ConvNdOptions o;
  o.stride = r.size("stride", nn::SizeArg(1), Dims, 1);
  o.padding = r.conv_padding("padding", Dims);
  o.dilation = r.size("dilation", nn::SizeArg(1), Dims, 1);
  o.groups = r.integer("groups", 1, 1);
  o.bias = r.boolean("bias", true);
  o.padding_mode = r.choice("padding_mode", "zeros", {"zeros", "reflect", "replicate"});
  r.reserve({add({mul({out, in / o.groups, kernel_elements(kernel, Dims)}), o.bias ? out : 0})});
  return make<L>(r, in, out, kernel, o);
}

json write_conv_transpose(const nn::Module& m, const std::string&) {
  const auto& c = as<nn::ConvTranspose2d>(m);
  return {{"in_channels", c.in_channels}, {"out_channels", c.out_channels},
          {"kernel_size", c.kernel_size}, {"stride", c.stride},
          {"padding", c.padding},         {"output_padding", c.output_padding},
          {"groups", c.groups},           {"bias", c.bias.defined()},
          {"dilation", c.dilation}};
}
Built read_conv_transpose(ConfigReader& r) {
  const int64_t in = r.integer("in_channels", {}, 1), out = r.integer("out_channels", {}, 1);
  const nn::SizeArg kernel = r.size("kernel_size", {}, 2, 1);
  nn::ConvTranspose2dOptions o;
  o.stride = r.size("stride", nn::SizeArg(1), 2, 1);
  o.padding = r.size("padding", nn::SizeArg(0), 2, 0);
  o.output_padding = r.size("output_padding", nn::SizeArg(0), 2, 0);
  o.groups = r.integer("groups", 1, 1);
  o.bias = r.boolean("bias", true);
  o.dilation = r.size("dilation", nn::SizeArg(1), 2, 1);
  r.reserve({add({mul({in, out / o.groups, kernel_elements(kernel, 2)}), o.bias ? out : 0})});
  return make<nn::ConvTranspose2d>(r, in, out, kernel, o);
}

// -- Normalisation ---------------------------------------------------------------------

json write_batch_norm(const nn::Module& m, const std::string&) {
  const auto& b = as<nn::BatchNormNd>(m);
  return {{"num_features", b.num_features},
          {"eps", b.eps},
          {"momentum", nullable(b.momentum)},
          {"affine", b.affine},
          {"track_running_stats", b.track_running_stats}};
}
template <class L>
Built read_batch_norm(ConfigReader& r) {
  const int64_t n = r.integer("num_features", {}, 1);
  nn::BatchNormOptions o;
  o.eps = r.number("eps", 1e-5, 0, kInf);
  o.momentum = r.nullable_number("momentum", 0.1, 0, 1);
  o.affine = r.boolean("affine", true);
  o.track_running_stats = r.boolean("track_running_stats", true);
  r.reserve({add({o.affine ? 2 * n : 0, o.track_running_stats ? 2 * n + 1 : 0})});
  return make<L>(r, n, o);
}

json write_layer_norm(const nn::Module& m, const std::string&) {
  const auto& l = as<nn::LayerNorm>(m);
  return {{"normalized_shape", l.normalized_shape},
          {"eps", l.eps},
          {"elementwise_affine", l.elementwise_affine}};
}
Built read_layer_norm(ConfigReader& r) {
  const std::vector<int64_t> shape = r.int_list("normalized_shape", 1, true, false);
  nn::LayerNormOptions o;
  o.eps = r.number("eps", 1e-5, 0, kInf);
  o.elementwise_affine = r.boolean("elementwise_affine", true);
  int64_t n = 1;
  for (int64_t d : shape) n = mul({n, d});
  r.reserve({o.elementwise_affine ? 2 : 0, n});
  return make<nn::LayerNorm>(r, shape, o);
}

json write_group_norm(const nn::Module& m, const std::string&) {
  const auto& g = as<nn::GroupNorm>(m);
  return {{"num_groups", g.num_groups},
          {"num_channels", g.num_channels},
          {"eps", g.eps},
          {"affine", g.affine}};
}
Built read_group_norm(ConfigReader& r) {
  const int64_t groups = r.integer("num_groups", {}, 1),
                channels = r.integer("num_channels", {}, 1);
  nn::GroupNormOptions o;
  o.eps = r.number("eps", 1e-5, 0, kInf);
  o.affine = r.boolean("affine", true);
  r.reserve({o.affine ? 2 : 0, channels});
  return make<nn::GroupNorm>(r, groups, channels, o);
}

// -- Activations, Dropout, shapes --------------------------------------------------------

json write_none(const nn::Module&, const std::string&) { return json::object(); }
template <class L>
Built read_none(ConfigReader& r) {
  return make<L>(r);
}
json write_leaky_relu(const nn::Module& m, const std::string&) {
  return {{"negative_slope", as<nn::LeakyReLU>(m).negative_slope}};
}
Built read_leaky_relu(ConfigReader& r) {
  return make<nn::LeakyReLU>(r, r.number("negative_slope", 0.01, -kBig, kBig));
}
json write_elu(const nn::Module& m, const std::string&) {
  return {{"alpha", as<nn::ELU>(m).alpha}};
}
Built read_elu(ConfigReader& r) { return make<nn::ELU>(r, r.number("alpha", 1.0, -kBig, kBig)); }
json write_gelu(const nn::Module& m, const std::string&) {
  return {{"approximate", as<nn::GELU>(m).approximate}};
}
Built read_gelu(ConfigReader& r) {
  return make<nn::GELU>(r, r.choice("approximate", "none", {"none", "tanh"}));
}
template <class L>
json write_dim(const nn::Module& m, const std::string&) {
  return {{"dim", as<L>(m).dim}};
}
template <class L>
Built read_dim(ConfigReader& r) {
  return make<L>(r, r.integer("dim", {}, -kMaxRank, kMaxRank - 1));
}
json write_dropout(const nn::Module& m, const std::string&) {
  return {{"p", as<nn::Dropout>(m).p}};
}
Built read_dropout(ConfigReader& r) { return make<nn::Dropout>(r, r.number("p", 0.5, 0, 1)); }

json write_flatten(const nn::Module& m, const std::string&) {
  const auto& f = as<nn::Flatten>(m);
  return {{"start_dim", f.start_dim}, {"end_dim", f.end_dim}};
}
Built read_flatten(ConfigReader& r) {
  const int64_t start = r.integer("start_dim", 1, -kMaxRank, kMaxRank - 1);
  return make<nn::Flatten>(r, start, r.integer("end_dim", -1, -kMaxRank, kMaxRank - 1));
}
json write_unflatten(const nn::Module& m, const std::string&) {
  const auto& u = as<nn::Unflatten>(m);
  return {{"dim", u.dim}, {"unflattened_size", u.unflattened_size}};
}
Built read_unflatten(ConfigReader& r) {
  const int64_t dim = r.integer("dim", {}, -kMaxRank, kMaxRank - 1);
  return make<nn::Unflatten>(r, dim, r.int_list("unflattened_size", 1, false, true));
}

// -- Pooling ------------------------------------------------------------------------------

json write_max_pool(const nn::Module& m, const std::string&) {
  const auto& p = as<nn::MaxPool2d>(m);
  return {{"kernel_size", size_json(p.kernel_size)},
          {"stride", size_json(p.stride)},
          {"padding", size_json(p.padding)},
          {"dilation", size_json(p.dilation)},
          {"ceil_mode", p.ceil_mode}};
}
Built read_max_pool(ConfigReader& r) {
  const nn::SizeArg kernel = r.size("kernel_size", {}, 2, 1);
  nn::MaxPool2dOptions o;
  o.stride = r.nullable_size("stride", 2, 1);
  o.padding = r.size("padding", nn::SizeArg(0), 2, 0);
  o.dilation = r.size("dilation", nn::SizeArg(1), 2, 1);
  o.ceil_mode = r.boolean("ceil_mode", false);
  return make<nn::MaxPool2d>(r, kernel, o);
}
json write_avg_pool(const nn::Module& m, const std::string&) {
  const auto& p = as<nn::AvgPool2d>(m);
  return {{"kernel_size", size_json(p.kernel_size)},
          {"stride", size_json(p.stride)},
          {"padding", size_json(p.padding)},
          {"ceil_mode", p.ceil_mode},
          {"count_include_pad", p.count_include_pad},
          {"divisor_override", nullable(p.divisor_override)}};
}
Built read_avg_pool(ConfigReader& r) {
  const nn::SizeArg kernel = r.size("kernel_size", {}, 2, 1);
  nn::AvgPool2dOptions o;
  o.stride = r.nullable_size("stride", 2, 1);
  o.padding = r.size("padding", nn::SizeArg(0), 2, 0);
  o.ceil_mode = r.boolean("ceil_mode", false);
  o.count_include_pad = r.boolean("count_include_pad", true);
  o.divisor_override = r.nullable_integer("divisor_override", 1, kMaxSize);
  return make<nn::AvgPool2d>(r, kernel, o);
}
template <class L>
json write_adaptive(const nn::Module& m, const std::string&) {
  return {{"output_size", size_json(as<L>(m).output_size)}};
}
template <class L, int Min>
Built read_adaptive(ConfigReader& r) {
  return make<L>(r, r.size("output_size", {}, 2, Min));
}

// -- Embedding, recurrent, attention -------------------------------------------------------

json write_embedding(const nn::Module& m, const std::string&) {
  const auto& e = as<nn::Embedding>(m);
  return {{"num_embeddings", e.num_embeddings},
          {"embedding_dim", e.embedding_dim},
          {"padding_idx", nullable(e.padding_idx)}};
}
Built read_embedding(ConfigReader& r) {
  const int64_t n = r.integer("num_embeddings", {}, 1), d = r.integer("embedding_dim", {}, 1);
  nn::EmbeddingOptions o;
  o.padding_idx = r.nullable_integer("padding_idx", -n, n - 1);
  r.reserve({n, d});
  return make<nn::Embedding>(r, n, d, o);
}

json write_rnn(const nn::Module& m, const std::string&) {
  const auto& l = as<nn::RNNBase>(m);
  json c = {
      {"input_size", l.input_size}, {"hidden_size", l.hidden_size}, {"num_layers", l.num_layers}};
  if (l.mode == nn::RNNBase::Mode::RnnTanh || l.mode == nn::RNNBase::Mode::RnnRelu)
    c["nonlinearity"] = l.mode == nn::RNNBase::Mode::RnnTanh ? "tanh" : "relu";
  c["bias"] = l.bias;
  c["batch_first"] = l.batch_first;
  c["dropout"] = l.dropout;
  c["bidirectional"] = l.bidirectional;
  return c;
}
template <class L, int Gates>
Built read_rnn(ConfigReader& r) {
  const int64_t in = r.integer("input_size", {}, 1), hidden = r.integer("hidden_size", {}, 1);
  nn::RNNOptions o;
  o.num_layers = r.integer("num_layers", 1, 1);
  if (Gates == 1) o.nonlinearity = r.choice("nonlinearity", "tanh", {"tanh", "relu"});
  o.bias = r.boolean("bias", true);
  o.batch_first = r.boolean("batch_first", false);
  o.dropout = r.number("dropout", 0.0, 0, 1);
  o.bidirectional = r.boolean("bidirectional", false);
  // Per layer and direction: (G h, in_k) + (G h, h) + 2 G h with bias;
  // in_k = input_size for the first layer, D h after it.
  const int64_t dirs = o.bidirectional ? 2 : 1, g = mul({Gates, hidden});
  const int64_t per_dir = add({mul({g, hidden}), o.bias ? mul({2, g}) : 0});
  r.reserve({dirs, add({mul({g, in}), per_dir})});
  r.reserve({dirs, o.num_layers - 1, add({mul({g, dirs, hidden}), per_dir})});
  return make<L>(r, in, hidden, o);
}

json write_attention(const nn::Module& m, const std::string&) {
  const auto& a = as<nn::MultiheadAttention>(m);
  return {{"embed_dim", a.embed_dim},
          {"num_heads", a.num_heads},
          {"dropout", a.dropout},
          {"bias", a.in_proj_bias.defined()},
          {"batch_first", a.batch_first}};
}
Built read_attention(ConfigReader& r) {
  const int64_t e = r.integer("embed_dim", {}, 1), heads = r.integer("num_heads", {}, 1);
  nn::MultiheadAttentionOptions o;
  o.dropout = r.number("dropout", 0.0, 0, 1);
  o.bias = r.boolean("bias", true);
  o.batch_first = r.boolean("batch_first", false);
  r.reserve({4, e, add({e, o.bias ? 1 : 0})});  // in_proj (3E, E), out_proj (E, E), biases
  return make<nn::MultiheadAttention>(r, e, heads, o);
}

// -- Transformer encoder ---------------------------------------------------------------------

json write_encoder_layer(const nn::Module& m, const std::string&) {
  const auto& t = as<nn::TransformerEncoderLayer>(m);
  const nn::TransformerEncoderLayerOptions& o = t.options;
  return {{"d_model", t.d_model},
          {"nhead", t.nhead},
          {"dim_feedforward", o.dim_feedforward},
          {"dropout", o.dropout},
          {"activation", o.activation},
          {"layer_norm_eps", o.layer_norm_eps},
          {"batch_first", o.batch_first},
          {"norm_first", o.norm_first}};
}
Built read_encoder_layer(ConfigReader& r) {
  const int64_t d = r.integer("d_model", {}, 1), heads = r.integer("nhead", {}, 1);
  nn::TransformerEncoderLayerOptions o;
  o.dim_feedforward = r.integer("dim_feedforward", 2048, 1);
  o.dropout = r.number("dropout", 0.1, 0, 1);
  o.activation = r.choice("activation", "relu", {"relu", "gelu"});
  o.layer_norm_eps = r.number("layer_norm_eps", 1e-5, 0, kInf);
  o.batch_first = r.boolean("batch_first", false);
  o.norm_first = r.boolean("norm_first", false);
  r.reserve({4, d, add({d, 1})});  // self_attn
  r.reserve({add({mul({2, o.dim_feedforward, d}), o.dim_feedforward, d, mul({4, d})})});
  return make<nn::TransformerEncoderLayer>(r, d, heads, o);
}

json write_encoder(const nn::Module& m, const std::string& path) {
  const auto& t = as<nn::TransformerEncoder>(m);
  return {{"encoder_layer",
           write_entry(t.layer(0), path.empty() ? "encoder_layer" : path + ".encoder_layer")},
          {"num_layers", t.num_layers},
          {"final_norm", t.final_norm}};
}
Built read_encoder(ConfigReader& r) {
  const json& inner = r.required("encoder_layer");
  const int64_t n = r.integer("num_layers", {}, 1);
  const bool final_norm = r.boolean("final_norm", false);
  r.finish();
  const std::string path = r.path().empty() ? "encoder_layer" : r.path() + ".encoder_layer";
  if (!inner.is_object() || inner.value("class", json()) != "TransformerEncoderLayer")
    fail(r.where(),
         "field 'encoder_layer' must be a TransformerEncoderLayer entry; got " + shown(inner));
  Built layer = build_entry(inner, path, r.depth() + 1, r.state());
  // The encoder copies the layer num_layers - 1 times.
  int64_t per_layer = 0;
  for (const Tensor& t : layer->parameters()) per_layer += t.numel();
  auto& typed = static_cast<nn::TransformerEncoderLayer&>(*layer);
  r.reserve({n - 1, per_layer});
  if (final_norm) r.reserve({2, typed.d_model});
  return std::make_unique<nn::TransformerEncoder>(std::move(typed), n, final_norm);
}

}  // namespace

const std::vector<LayerKind>& layer_kinds() {
  static const std::vector<LayerKind> kinds = {
      {"Linear", &typeid(nn::Linear), write_linear, read_linear},
      {"Conv1d", &typeid(nn::Conv1d), write_conv, read_conv<nn::Conv1d, 1>},
      {"Conv2d", &typeid(nn::Conv2d), write_conv, read_conv<nn::Conv2d, 2>},
      {"ConvTranspose2d", &typeid(nn::ConvTranspose2d), write_conv_transpose, read_conv_transpose},
      {"BatchNorm1d", &typeid(nn::BatchNorm1d), write_batch_norm, read_batch_norm<nn::BatchNorm1d>},
      {"BatchNorm2d", &typeid(nn::BatchNorm2d), write_batch_norm, read_batch_norm<nn::BatchNorm2d>},
      {"LayerNorm", &typeid(nn::LayerNorm), write_layer_norm, read_layer_norm},
      {"GroupNorm", &typeid(nn::GroupNorm), write_group_norm, read_group_norm},
      {"ReLU", &typeid(nn::ReLU), write_none, read_none<nn::ReLU>},
      {"LeakyReLU", &typeid(nn::LeakyReLU), write_leaky_relu, read_leaky_relu},
      {"ELU", &typeid(nn::ELU), write_elu, read_elu},
      {"GELU", &typeid(nn::GELU), write_gelu, read_gelu},
      {"SiLU", &typeid(nn::SiLU), write_none, read_none<nn::SiLU>},
      {"Sigmoid", &typeid(nn::Sigmoid), write_none, read_none<nn::Sigmoid>},
      {"Tanh", &typeid(nn::Tanh), write_none, read_none<nn::Tanh>},
      {"Softmax", &typeid(nn::Softmax), write_dim<nn::Softmax>, read_dim<nn::Softmax>},
      {"LogSoftmax", &typeid(nn::LogSoftmax), write_dim<nn::LogSoftmax>, read_dim<nn::LogSoftmax>},
      {"Dropout", &typeid(nn::Dropout), write_dropout, read_dropout},
      {"Flatten", &typeid(nn::Flatten), write_flatten, read_flatten},
      {"Unflatten", &typeid(nn::Unflatten), write_unflatten, read_unflatten},
      {"Identity", &typeid(nn::Identity), write_none, read_none<nn::Identity>},
      {"MaxPool2d", &typeid(nn::MaxPool2d), write_max_pool, read_max_pool},
      {"AvgPool2d", &typeid(nn::AvgPool2d), write_avg_pool, read_avg_pool},
      {"AdaptiveAvgPool2d", &typeid(nn::AdaptiveAvgPool2d), write_adaptive<nn::AdaptiveAvgPool2d>,
       read_adaptive<nn::AdaptiveAvgPool2d, 0>},
      {"AdaptiveMaxPool2d", &typeid(nn::AdaptiveMaxPool2d), write_adaptive<nn::AdaptiveMaxPool2d>,
       read_adaptive<nn::AdaptiveMaxPool2d, 1>},
      {"Embedding", &typeid(nn::Embedding), write_embedding, read_embedding},
      {"RNN", &typeid(nn::RNN), write_rnn, read_rnn<nn::RNN, 1>},
      {"LSTM", &typeid(nn::LSTM), write_rnn, read_rnn<nn::LSTM, 4>},
      {"GRU", &typeid(nn::GRU), write_rnn, read_rnn<nn::GRU, 3>},
      {"MultiheadAttention", &typeid(nn::MultiheadAttention), write_attention, read_attention},
      {"TransformerEncoderLayer", &typeid(nn::TransformerEncoderLayer), write_encoder_layer,
       read_encoder_layer},
      {"TransformerEncoder", &typeid(nn::TransformerEncoder), write_encoder, read_encoder},
  };
  return kinds;
}

}  // namespace braid::io::detail
