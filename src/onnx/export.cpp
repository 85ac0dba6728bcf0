// ONNX export: a runtime::Graph as an ONNX ModelProto (opset 17). Graph
// inputs become ONNX inputs, constants initializers, and each node is
// written by its op's translation (export_*.cpp, one table keyed by OpId).
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <mutex>

#include "braid/onnx/onnx.hpp"
#include "braid/ops/ops.hpp"
#include "onnx/export_ctx.hpp"

namespace braid {
const char* version();  // braid/braid.hpp; defined in braid_core
}

namespace braid::onnx {
namespace detail {

pb::TensorProto_DataType onnx_dtype(DType t) {
  switch (t) {
    case DType::Bool: return pb::TensorProto_DataType_BOOL;
    case DType::UInt8: return pb::TensorProto_DataType_UINT8;
    case DType::Int8: return pb::TensorProto_DataType_INT8;
    case DType::Int32: return pb::TensorProto_DataType_INT32;
    case DType::Int64: return pb::TensorProto_DataType_INT64;
    case DType::Float16: return pb::TensorProto_DataType_FLOAT16;
    case DType::BFloat16: return pb::TensorProto_DataType_BFLOAT16;
    case DType::Float32: return pb::TensorProto_DataType_FLOAT;
    case DType::Float64: return pb::TensorProto_DataType_DOUBLE;
  }
  return pb::TensorProto_DataType_UNDEFINED;
}

// -- Writer ---------------------------------------------------------------------------

std::string Writer::fresh(const std::string& hint) {
  std::string name = hint;
  for (int k = 1; used_.count(name); ++k) name = fmt::format("{}_{}", hint, k);
  used_.insert(name);
  return name;
}

std::string Writer::initializer(const Tensor& t, const std::string& hint) {
  std::string name = fresh(hint);
  named_initializer(t, name);
  return name;
}

void Writer::named_initializer(const Tensor& t0, const std::string& name) {
  // raw_data is little-endian, as braid's storage is on the hosts it builds for.
  static_assert(std::endian::native == std::endian::little);
  Tensor t = t0.contiguous();
  pb::TensorProto* p = g_->add_initializer();
  p->set_name(name);
  p->set_data_type(onnx_dtype(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  if (t.numel() > 0)
    p->set_raw_data(static_cast<const char*>(t.raw_data()),
                    static_cast<size_t>(t.numel()) * dtype_size(t.dtype()));
}

std::string Writer::ints(const std::vector<int64_t>& v) {
  std::string key = fmt::format("i:{}", fmt::join(v, ","));
  for (const auto& [k, name] : shared_)
    if (k == key) return name;
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Int64);
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(int64_t));
  std::string name = initializer(t, "const_ints");
  shared_.emplace_back(key, name);
  return name;
}

std::string Writer::scalar(double v, DType dt) {
  std::string key = fmt::format("s:{}:{}", dtype_name(dt), v);
  for (const auto& [k, name] : shared_)
    if (k == key) return name;
  std::string name = initializer(full({}, v, dt), "const_scalar");
  shared_.emplace_back(key, name);
  return name;
}

// -- Ctx ------------------------------------------------------------------------------

namespace {
bool bit(uint32_t mask, size_t i) { return i < 32 && (mask >> i & 1u); }

std::optional<DType> promote_opt(std::optional<DType> a, std::optional<DType> b) {
  if (!a) return b;
  if (!b) return a;
  return promote_types(*a, *b);
}
std::optional<DType> combine_categories(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}
}  // namespace

Ctx::Ctx(Writer& w, const runtime::Graph& g, int index)
    : w_(w), g_(g), n_(g.nodes[static_cast<size_t>(index)]), index_(index) {
  // The dispatcher's promotion (src/ops/dispatch.cpp, result_type_of), on the
  // recorded dtypes: the graph keeps the inputs as the caller passed them.
  const OpDef& d = op_def(n_.op);
  promoted_.resize(n_.inputs.size(), DType::Float32);
  std::optional<DType> dim_t, zero_t, wrapped_t;
  for (size_t i = 0; i < n_.inputs.size(); ++i) {
    if (!has(i)) continue;
    const runtime::Value& v = value(i);
    promoted_[i] = v.dtype;
    if (!bit(d.promote_mask, i)) continue;
    if (v.is_constant() && v.data.impl().wrapped_number)
      wrapped_t = promote_opt(wrapped_t, is_floating(v.dtype) ? DType::Float32 : v.dtype);
    else if (v.shape.empty())
      zero_t = promote_opt(zero_t, v.dtype);
    else
      dim_t = promote_opt(dim_t, v.dtype);
  }
  if (d.promote_mask) {
    DType rt =
        combine_categories(dim_t, combine_categories(zero_t, wrapped_t)).value_or(DType::Float32);
    if ((d.traits & kIntToFloat) && !is_floating(rt)) rt = DType::Float32;
    for (size_t i = 0; i < n_.inputs.size(); ++i)
      if (has(i) && bit(d.promote_mask, i)) promoted_[i] = rt;
  }
  cast_cache_.resize(n_.inputs.size());
}

const char* Ctx::op() const { return op_def(n_.op).name.data(); }

std::string Ctx::raw(size_t i) const {
  BRAID_CHECK(has(i), ValueError, "onnx", "internal: node input {} is absent", i);
  return value(i).name;
}

std::string Ctx::in(size_t i) {
  const runtime::Value& v = value(i);
  if (v.dtype == promoted_[i]) return raw(i);
  if (!cast_cache_[i].empty()) return cast_cache_[i];
  // A constant (a number written in the code) is stored cast; a value gets a Cast.
  cast_cache_[i] = v.is_constant() ? w_.initializer(to(v.data, promoted_[i]), v.name + "_cast")
                                   : cast(raw(i), promoted_[i]);
  return cast_cache_[i];
}

std::string Ctx::out(size_t i) const { return g_.values[n_.outputs[i]].name; }

bool Ctx::out_used(size_t i) const {
  int id = n_.outputs[i];
  for (int o : g_.outputs)
    if (o == id) return true;
  for (const runtime::Node& n : g_.nodes)
    for (int x : n.inputs)
      if (x == id) return true;
  return false;
}

int64_t Ctx::dim(const char* name, int64_t rank) const {
  int64_t d = i(name);
  int64_t r = std::max<int64_t>(rank, 1);
  if (d < 0) d += r;
  if (d < 0 || d >= r) fail("{}={} is out of range for rank {}", name, i(name), rank);
  return d;
}

pb::NodeProto* Ctx::add(const char* op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs) {
  pb::NodeProto* p = w_.graph()->add_node();
  p->set_op_type(op);
  p->set_name(w_.fresh(fmt::format("{}_{}", this->op(), index_)));
  if (!n_.scope.empty()) p->set_doc_string(n_.scope);
  for (auto& s : inputs) p->add_input(std::move(s));
  for (auto& s : outputs) p->add_output(std::move(s));
  return p;
}

std::string Ctx::emit(const char* op, std::vector<std::string> inputs, pb::NodeProto** node) {
  std::string o = w_.fresh(fmt::format("{}_{}", n_.outputs.empty() ? "t" : out(0), op));
  pb::NodeProto* p = add(op, std::move(inputs), {o});
  if (node) *node = p;
  return o;
}

std::string Ctx::cast(const std::string& x, DType to) {
  pb::NodeProto* p;
  std::string o = emit("Cast", {x}, &p);
  set_attr(p, "to", static_cast<int64_t>(onnx_dtype(to)));
  return o;
}

void Ctx::fail_msg(const std::string& what) const {
  throw ValueError(fmt::format("[onnx] node {} ({}){}: {}", index_, op(),
                               n_.scope.empty() ? "" : " in " + n_.scope, what));
}

void set_attr(pb::NodeProto* n, const char* name, int64_t v) {
  pb::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(pb::AttributeProto_AttributeType_INT);
  a->set_i(v);
}
void set_attr(pb::NodeProto* n, const char* name, double v) {
  pb::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(pb::AttributeProto_AttributeType_FLOAT);
  a->set_f(static_cast<float>(v));
}
void set_attr(pb::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
  pb::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(pb::AttributeProto_AttributeType_INTS);
  for (int64_t x : v) a->add_ints(x);
}
void set_attr(pb::NodeProto* n, const char* name, const std::string& v) {
  pb::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(pb::AttributeProto_AttributeType_STRING);
  a->set_s(v);
}

// -- table ----------------------------------------------------------------------------

const Table& table() {
  static const Table t = [] {
    Table t{};
    add_elementwise(t);
    add_shape_ops(t);
    add_reductions(t);
    add_network_ops(t);
    add_sequence_ops(t);
    add_losses(t);
    return t;
  }();
  return t;
}

bool has_translation(OpId id) { return table()[static_cast<size_t>(id)] != nullptr; }

void check_model_bytes(const std::string& bytes, bool full) {
  pb::ModelProto m;
  BRAID_CHECK(m.ParseFromString(bytes), ValueError, "onnx", "the bytes are not an ONNX model");
  try {
    pb::checker::check_model(m);
    // Strict shape inference also checks each node's input types and the
    // declared output shapes against what ONNX infers.
    if (full)
      pb::shape_inference::InferShapes(m, pb::OpSchemaRegistry::Instance(),
                                       pb::ShapeInferenceOptions(true, 1, true));
  } catch (const std::exception& e) {
    throw ValueError(fmt::format("[onnx] the checker refuses the model: {}", e.what()));
  }
}

namespace {
void set_type(pb::ValueInfoProto* vi, const runtime::Value& v, bool batch_param,
              bool batch_unknown) {
  vi->set_name(v.name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx_dtype(v.dtype));
  auto* sh = tt->mutable_shape();
  for (size_t d = 0; d < v.shape.size(); ++d) {
    auto* dim = sh->add_dim();
    if (d == 0 && batch_param)
      dim->set_dim_param("batch");
    else if (!(d == 0 && batch_unknown))
      dim->set_dim_value(v.shape[d]);
  }
}
}  // namespace

}  // namespace detail

std::string export_onnx_bytes(const runtime::Graph& g, const ExportOptions& options) {
  using namespace detail;
  runtime::validate(g);
  BRAID_CHECK(options.opset >= 17 && options.opset <= 17, ValueError, "onnx",
              "the exporter writes opset 17; got opset={}", options.opset);
  pb::ModelProto model;
  model.set_ir_version(8);  // ONNX 1.12 / opset 17
  model.set_producer_name(options.producer_name);
  model.set_producer_version(braid::version());
  auto* op = model.add_opset_import();
  op->set_domain("");
  op->set_version(options.opset);
  pb::GraphProto* gp = model.mutable_graph();
  gp->set_name(options.graph_name);
  Writer w(gp);
  for (const runtime::Value& v : g.values) w.take(v.name);

  // Attributes holding the traced batch size (Node::batch_attrs, the
  // attention reshapes) are written as the traced numbers, so such a graph
  // exports with a fixed batch rather than a symbolic one.
  bool free_batch = g.dynamic_batch;
  for (const runtime::Node& n : g.nodes) free_batch = free_batch && n.batch_attrs.empty();
  int64_t batch = -1;
  for (int id : g.inputs) {
    const runtime::Value& v = g.values[static_cast<size_t>(id)];
    if (free_batch && !v.shape.empty()) batch = v.shape[0];
    set_type(gp->add_input(), v, free_batch && !v.shape.empty(), false);
  }
  // Constants a node reads become initializers, named as their values.
  std::vector<bool> read(g.values.size(), false);
  for (const runtime::Node& n : g.nodes)
    for (int x : n.inputs)
      if (x >= 0) read[static_cast<size_t>(x)] = true;
  for (int o : g.outputs) read[static_cast<size_t>(o)] = true;
  for (size_t i = 0; i < g.values.size(); ++i) {
    const runtime::Value& v = g.values[i];
    if (!v.is_constant() || !read[i]) continue;
    w.named_initializer(v.data, v.name);
  }

  const Table& t = table();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Ctx c(w, g, static_cast<int>(i));
    TranslateFn fn = t[static_cast<size_t>(g.nodes[i].op)];
    const OpDef& d = op_def(g.nodes[i].op);
    if (!fn)
      c.fail("the op has no ONNX form{}",
             d.onnx_note.empty() ? std::string() : fmt::format(" ({})", d.onnx_note));
    fn(c);
  }

  // Outputs: an input, a constant or a repeated value goes through Identity,
  // since an ONNX output names a value some node produces, once.
  std::unordered_set<int> seen;
  for (int id : g.outputs) {
    runtime::Value v = g.values[static_cast<size_t>(id)];
    bool is_input = std::find(g.inputs.begin(), g.inputs.end(), id) != g.inputs.end();
    if (is_input || v.is_constant() || !seen.insert(id).second) {
      std::string o = w.fresh(v.name + "_out");
      pb::NodeProto* p = gp->add_node();
      p->set_op_type("Identity");
      p->set_name(w.fresh("output_identity"));
      p->add_input(v.name);
      p->add_output(o);
      v.name = o;
    }
    bool unknown = free_batch && !v.shape.empty() && v.shape[0] == batch;
    set_type(gp->add_output(), v, false, unknown);
  }
  std::string bytes;
  BRAID_CHECK(model.SerializeToString(&bytes), ValueError, "onnx",
              "the model does not serialize (over protobuf's 2 GiB limit?)");
  check_model_bytes(bytes, false);
  return bytes;
}

void export_onnx(const runtime::Graph& g, const std::filesystem::path& path,
                 const ExportOptions& options) {
  std::string bytes = export_onnx_bytes(g, options);
  // Written to a temporary name and renamed, so a crash never leaves half a file.
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    BRAID_CHECK(f.good(), IOError, "onnx", "cannot write {}", tmp.string());
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f.good()) {
      f.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw IOError(fmt::format("[onnx] cannot write {}", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw IOError(fmt::format("[onnx] cannot rename {} to {}", tmp.string(), path.string()));
  }
}

}  // namespace braid::onnx
