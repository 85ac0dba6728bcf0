// ONNX TensorProto and AttributeProto reading for the importer. Files are
// untrusted: every size is checked against the bytes that are there before
// anything is copied (issue 5 "Hostile files").
#include <cstring>
#include <limits>

#include "onnx/import_context.hpp"

namespace braid::onnx::detail {

DType dtype_from_onnx(int32_t type, const std::string& what) {
  switch (type) {
    case pb::TensorProto::FLOAT: return DType::Float32;
    case pb::TensorProto::DOUBLE: return DType::Float64;
    case pb::TensorProto::FLOAT16: return DType::Float16;
    case pb::TensorProto::BFLOAT16: return DType::BFloat16;
    case pb::TensorProto::INT64: return DType::Int64;
    case pb::TensorProto::INT32: return DType::Int32;
    case pb::TensorProto::INT8: return DType::Int8;
    case pb::TensorProto::UINT8: return DType::UInt8;
    case pb::TensorProto::BOOL: return DType::Bool;
    default: break;
  }
  const std::string name = pb::TensorProto::DataType_IsValid(type)
                               ? pb::TensorProto::DataType_Name(type)
                               : fmt::format("unknown type code {}", type);
  throw ValueError(
      fmt::format("[onnx] {}: element type {} has no braid dtype (braid has float32, "
                  "float64, float16, bfloat16, int64, int32, int8, uint8, bool)",
                  what, name));
}

namespace {
// Copies `n` typed-field values into `dst` as element type T.
template <class T, class Field>
void copy_field(const Field& f, void* dst, int64_t n) {
  T* out = static_cast<T*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(f.Get(static_cast<int>(i)));
}

// 16-bit types and small ints travel in int32_data, one value per entry
// (float16/bfloat16 as their bit patterns).
void from_int32_data(const pb::TensorProto& t, DType dt, void* dst, int64_t n) {
  const auto& f = t.int32_data();
  switch (dt) {
    case DType::Int32: copy_field<int32_t>(f, dst, n); break;
    case DType::Int8: copy_field<int8_t>(f, dst, n); break;
    case DType::UInt8: copy_field<uint8_t>(f, dst, n); break;
    case DType::Bool: {
      bool* out = static_cast<bool*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f.Get(static_cast<int>(i)) != 0;
      break;
    }
    case DType::Float16:
    case DType::BFloat16: copy_field<uint16_t>(f, dst, n); break;
    default: BRAID_ASSERT(false);
  }
}
}  // namespace

Tensor tensor_from_proto(const pb::TensorProto& t, const std::string& what) {
  BRAID_CHECK(t.data_location() != pb::TensorProto::EXTERNAL && t.external_data_size() == 0,
              ValueError, "onnx",
              "{} keeps its data in an external file; braid imports self-contained .onnx files "
              "only (save the model with all tensors inside, e.g. onnx.save(model, path, "
              "save_as_external_data=False))",
              what);
  BRAID_CHECK(!t.has_segment(), ValueError, "onnx", "{} is a segmented tensor; not supported",
              what);
  const DType dt = dtype_from_onnx(t.data_type(), what);
  Shape shape;
  int64_t numel = 1;
  constexpr int64_t kMaxNumel = int64_t{1} << 40;
  for (int64_t d : t.dims()) {
    BRAID_CHECK(d >= 0, ValueError, "onnx", "{} has a negative dim; dims={}", what,
                fmt::join(t.dims(), ", "));
    BRAID_CHECK(d == 0 || numel <= kMaxNumel / d, ValueError, "onnx",
                "{} is impossibly large; dims={}", what, fmt::join(t.dims(), ", "));
    numel *= d;
    shape.push_back(d);
  }
  Tensor out = empty(shape, dt);
  const size_t bytes = static_cast<size_t>(numel) * dtype_size(dt);
  if (t.has_raw_data()) {
    // raw_data is little-endian, which braid's storage is on every host it builds for.
    BRAID_CHECK(t.raw_data().size() == bytes, ValueError, "onnx",
                "{}: raw_data has {} bytes; dims [{}] of {} need {}", what, t.raw_data().size(),
                fmt::join(t.dims(), ", "), dtype_name(dt), bytes);
    if (bytes) std::memcpy(out.raw_data(), t.raw_data().data(), bytes);
    return out;
  }
  int64_t have = 0;
  const char* field = "";
  switch (dt) {
    case DType::Float32: have = t.float_data_size(), field = "float_data"; break;
    case DType::Float64: have = t.double_data_size(), field = "double_data"; break;
    case DType::Int64: have = t.int64_data_size(), field = "int64_data"; break;
    default: have = t.int32_data_size(), field = "int32_data"; break;
  }
  BRAID_CHECK(have == numel, ValueError, "onnx", "{}: {} has {} values; dims [{}] need {}", what,
              field, have, fmt::join(t.dims(), ", "), numel);
  switch (dt) {
    case DType::Float32: copy_field<float>(t.float_data(), out.raw_data(), numel); break;
    case DType::Float64: copy_field<double>(t.double_data(), out.raw_data(), numel); break;
    case DType::Int64: copy_field<int64_t>(t.int64_data(), out.raw_data(), numel); break;
    default: from_int32_data(t, dt, out.raw_data(), numel); break;
  }
  return out;
}

// -- attributes of the current node --------------------------------------------------

const pb::AttributeProto* Importer::attr(const std::string& name) const {
  for (const pb::AttributeProto& a : node_->attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

namespace {
const char* attr_type_name(pb::AttributeProto::AttributeType t) {
  switch (t) {
    case pb::AttributeProto::INT: return "int";
    case pb::AttributeProto::FLOAT: return "float";
    case pb::AttributeProto::STRING: return "string";
    case pb::AttributeProto::INTS: return "ints";
    case pb::AttributeProto::FLOATS: return "floats";
    case pb::AttributeProto::TENSOR: return "tensor";
    default: return "another kind";
  }
}
}  // namespace

int64_t Importer::attr_i(const std::string& name, int64_t dflt) const {
  const pb::AttributeProto* a = attr(name);
  if (!a) return dflt;
  check(a->type() == pb::AttributeProto::INT || (a->type() == 0 && a->has_i()),
        "attribute '{}' must be an int; got {}", name, attr_type_name(a->type()));
  return a->i();
}

double Importer::attr_f(const std::string& name, double dflt) const {
  const pb::AttributeProto* a = attr(name);
  if (!a) return dflt;
  if (a->type() == pb::AttributeProto::INT) return static_cast<double>(a->i());
  check(a->type() == pb::AttributeProto::FLOAT || (a->type() == 0 && a->has_f()),
        "attribute '{}' must be a float; got {}", name, attr_type_name(a->type()));
  return a->f();
}

std::string Importer::attr_s(const std::string& name, const std::string& dflt) const {
  const pb::AttributeProto* a = attr(name);
  if (!a) return dflt;
  check(a->type() == pb::AttributeProto::STRING || (a->type() == 0 && a->has_s()),
        "attribute '{}' must be a string; got {}", name, attr_type_name(a->type()));
  return a->s();
}

std::vector<int64_t> Importer::attr_ints(const std::string& name, std::vector<int64_t> dflt) const {
  const pb::AttributeProto* a = attr(name);
  if (!a) return dflt;
  check(a->type() == pb::AttributeProto::INTS || a->type() == 0,
        "attribute '{}' must be a list of ints; got {}", name, attr_type_name(a->type()));
  return {a->ints().begin(), a->ints().end()};
}

int64_t wrap_axis(const Importer& ctx, int64_t axis, int64_t rank, const char* what) {
  ctx.check(axis >= -rank && axis < rank && rank > 0, "{} {} is out of range for rank {}", what,
            axis, rank);
  return axis < 0 ? axis + rank : axis;
}

}  // namespace braid::onnx::detail
