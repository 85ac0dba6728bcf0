#include "braid/core/tensor.hpp"

#include "braid/core/grad_mode.hpp"
#include "braid/core/node.hpp"
#include "braid/core/strided.hpp"

namespace braid {

namespace {
// Helpers are templates so `if constexpr` discards the branches that do not
// apply to T (inside a dispatch lambda it would not).
template <class T>
Scalar to_scalar(T v) {
  if constexpr (std::is_same_v<T, bool>)
    return Scalar(v);
  else if constexpr (std::is_integral_v<T>)
    return Scalar(static_cast<int64_t>(v));
  else
    return Scalar(static_cast<double>(v));
}
template <class T>
void store(void* p, double v) {
  if constexpr (std::is_same_v<T, bool>)
    static_cast<bool*>(p)[0] = v != 0;
  else
    static_cast<T*>(p)[0] = static_cast<T>(v);
}
template <class Out, class In>
Out convert(In v) {
  if constexpr (std::is_same_v<Out, bool>)
    return static_cast<double>(v) != 0;
  else if constexpr (std::is_integral_v<In>)
    return static_cast<Out>(v);
  else
    return static_cast<Out>(static_cast<double>(v));
}
}  // namespace

namespace detail {
double load_as_double(const void* p, DType dt) {
  double v = 0;
  BRAID_DISPATCH_ALL(dt, "load",
                     [&] { v = static_cast<double>(static_cast<const scalar_t*>(p)[0]); });
  return v;
}
void store_from_double(void* p, DType dt, double v) {
  BRAID_DISPATCH_ALL(dt, "store", [&] { store<scalar_t>(p, v); });
}
}  // namespace detail

namespace {
constexpr size_t kMaxRank = 16;
void check_rank(std::string_view op, const Shape& shape) {
  BRAID_CHECK(shape.size() <= kMaxRank, ShapeError, op,
              "at most {} dims are supported; got shape {}", kMaxRank, shape_str(shape));
  for (int64_t s : shape)
    BRAID_CHECK(s >= 0, ShapeError, op, "sizes must be non-negative; got shape {}",
                shape_str(shape));
}
}  // namespace

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim("size", d, dim())]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim("stride", d, dim())]; }

bool Tensor::is_contiguous() const {
  const auto& im = impl();
  int64_t expect = 1;
  for (size_t i = im.shape.size(); i-- > 0;) {
    if (im.shape[i] == 1) continue;
    if (im.strides[i] != expect) return false;
    expect *= im.shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const auto& im = impl();
  return static_cast<char*>(im.storage->data()) +
         im.offset * static_cast<int64_t>(dtype_size(im.dtype));
}

void Tensor::check_dtype(DType want, const char* what) const {
  BRAID_CHECK(dtype() == want, DTypeError, what, "tensor has dtype {}, asked for {}",
              dtype_name(dtype()), dtype_name(want));
}

Scalar Tensor::item() const {
  BRAID_CHECK(numel() == 1, ValueError, "item",
              "only a one-element tensor has an item; got shape {}", shape_str(shape()));
  Scalar s;
  BRAID_DISPATCH_ALL(dtype(), "item",
                     [&] { s = to_scalar(*static_cast<const scalar_t*>(raw_data())); });
  return s;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(numel()));
  const auto& im = impl();
  BRAID_DISPATCH_ALL(im.dtype, "to_vector", [&] {
    const scalar_t* base = static_cast<const scalar_t*>(im.storage->data());
    detail::for_each_offset(im.shape, im.strides, im.offset,
                            [&](int64_t o) { out.push_back(convert<T>(base[o])); });
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;
template std::vector<int8_t> Tensor::to_vector<int8_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

Tensor& Tensor::requires_grad_(bool on) {
  auto& im = impl();
  BRAID_CHECK(!on || is_floating(im.dtype), DTypeError, "requires_grad_",
              "only floating-point tensors can require grad; got dtype {}", dtype_name(im.dtype));
  BRAID_CHECK(is_leaf(), AutogradError, "requires_grad_",
              "can only change requires_grad of a leaf; this tensor comes from '{}'. Use detach()",
              grad_fn_name());
  im.autograd_meta().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& im = impl();
  if (!im.autograd || !im.autograd->grad) return {};
  return *im.autograd->grad;
}

void Tensor::set_grad(const Tensor& g) {
  if (g.defined())
    BRAID_CHECK(g.shape() == shape(), ShapeError, "set_grad",
                "grad has shape {}, tensor has shape {}", shape_str(g.shape()), shape_str(shape()));
  impl().autograd_meta().grad = g.defined() ? std::make_shared<Tensor>(g) : nullptr;
}

const std::shared_ptr<detail::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<detail::Node> kNone;
  const auto& im = impl();
  return im.autograd ? im.autograd->grad_fn : kNone;
}

std::string Tensor::grad_fn_name() const {
  const auto& fn = grad_fn();
  if (!fn) return "";
  return fn->op == detail::Node::kCustom ? fn->custom_name : std::string(fn->name);
}

Tensor& Tensor::retain_grad() {
  BRAID_CHECK(requires_grad(), AutogradError, "retain_grad",
              "the tensor does not require grad, so it will never have one");
  if (is_leaf()) return *this;
  auto& meta = impl().autograd_meta();
  if (!meta.retains_grad) meta.grad_fn->retained.emplace_back(meta.output_nr, impl_ptr());
  meta.retains_grad = true;
  return *this;
}

void Tensor::register_hook(TensorHook hook) {
  BRAID_CHECK(requires_grad(), AutogradError, "register_hook",
              "cannot register a hook on a tensor that does not require grad");
  auto& meta = impl().autograd_meta();
  if (meta.grad_fn)
    meta.grad_fn->pre_hooks.emplace_back(meta.output_nr, std::move(hook));
  else
    meta.hooks.push_back(std::move(hook));
}

// -- making tensors ------------------------------------------------------------

Tensor empty(const Shape& shape, DType dtype) { return empty(Shape(shape), dtype); }

Tensor empty(Shape&& shape, DType dtype) {
  check_rank("empty", shape);
  auto im = std::make_shared<detail::TensorImpl>();
  im->storage = std::make_shared<Storage>(static_cast<size_t>(numel_of(shape)) * dtype_size(dtype));
  im->strides = contiguous_strides(shape);
  im->shape = std::move(shape);
  im->dtype = dtype;
  return Tensor(std::move(im));
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void(void*)> deleter) {
  check_rank("from_blob", shape);
  BRAID_CHECK(data != nullptr || numel_of(shape) == 0, ValueError, "from_blob",
              "data pointer is null");
  auto im = std::make_shared<detail::TensorImpl>();
  im->storage = std::make_shared<Storage>(
      data, static_cast<size_t>(numel_of(shape)) * dtype_size(dtype), std::move(deleter));
  im->shape = shape;
  im->strides = contiguous_strides(shape);
  im->dtype = dtype;
  return Tensor(std::move(im));
}

Tensor as_strided(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  check_rank("as_strided", shape);
  BRAID_CHECK(shape.size() == strides.size(), ShapeError, "as_strided",
              "shape {} and strides {} differ in length", shape_str(shape), shape_str(strides));
  // Bounds: the lowest and highest element the view reaches must lie in storage.
  int64_t lo = offset, hi = offset;
  bool empty_view = numel_of(shape) == 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  int64_t cap = static_cast<int64_t>(base.storage()->nbytes() / base.element_size());
  BRAID_CHECK(empty_view || (lo >= 0 && hi < cap), IndexError, "as_strided",
              "view of shape {} strides {} offset {} reaches outside a storage of {} elements",
              shape_str(shape), shape_str(strides), offset, cap);
  auto im = std::make_shared<detail::TensorImpl>();
  im->storage = base.storage();
  im->shape = shape;
  im->strides = strides;
  im->offset = offset;
  im->dtype = base.dtype();
  return Tensor(std::move(im));
}

Tensor scalar_tensor(Scalar v, std::optional<DType> dtype, bool wrapped) {
  Tensor t = empty({}, dtype.value_or(v.dtype()));
  BRAID_DISPATCH_ALL(t.dtype(), "scalar_tensor",
                     [&] { *static_cast<scalar_t*>(t.raw_data()) = v.to<scalar_t>(); });
  t.impl().wrapped_number = wrapped;
  return t;
}

namespace {
void nested_shape(const NestedList& l, Shape& shape, size_t depth) {
  if (l.leaf()) return;
  if (shape.size() <= depth) shape.push_back(static_cast<int64_t>(l.items().size()));
  if (!l.items().empty()) nested_shape(l.items()[0], shape, depth + 1);
}
void nested_fill(const NestedList& l, const Shape& shape, size_t depth, std::vector<Scalar>& out) {
  if (depth == shape.size()) {
    BRAID_CHECK(l.leaf(), ShapeError, "tensor",
                "nested list is ragged: expected a number at depth {}", depth);
    out.push_back(l.value());
    return;
  }
  BRAID_CHECK(!l.leaf() && static_cast<int64_t>(l.items().size()) == shape[depth], ShapeError,
              "tensor", "nested list is ragged: expected {} items at depth {}", shape[depth],
              depth);
  for (const auto& it : l.items()) nested_fill(it, shape, depth + 1, out);
}
}  // namespace

Tensor tensor(const NestedList& values, std::optional<DType> dtype) {
  Shape shape;
  nested_shape(values, shape, 0);
  std::vector<Scalar> flat;
  nested_fill(values, shape, 0, flat);
  DType dt = DType::Bool;
  for (const Scalar& s : flat)
    dt = promote_types(dt, s.kind() == Scalar::Kind::Float ? DType::Float32 : s.dtype());
  if (flat.empty()) dt = DType::Float32;
  dt = dtype.value_or(dt);
  Tensor t = empty(shape, dt);
  BRAID_DISPATCH_ALL(dt, "tensor", [&] {
    auto* p = static_cast<scalar_t*>(t.raw_data());
    for (size_t i = 0; i < flat.size(); ++i) p[i] = flat[i].to<scalar_t>();
  });
  return t;
}

template <class T>
Tensor tensor(const std::vector<T>& values, const Shape& shape) {
  Shape s = shape.empty() ? Shape{static_cast<int64_t>(values.size())} : shape;
  BRAID_CHECK(numel_of(s) == static_cast<int64_t>(values.size()), ShapeError, "tensor",
              "{} values do not fill shape {}", values.size(), shape_str(s));
  Tensor t = empty(s, dtype_of<T>);
  T* p = static_cast<T*>(t.raw_data());
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}
template Tensor tensor(const std::vector<float>&, const Shape&);
template Tensor tensor(const std::vector<double>&, const Shape&);
template Tensor tensor(const std::vector<int64_t>&, const Shape&);
template Tensor tensor(const std::vector<int32_t>&, const Shape&);
template Tensor tensor(const std::vector<uint8_t>&, const Shape&);
template Tensor tensor(const std::vector<int8_t>&, const Shape&);
template Tensor tensor(const std::vector<bool>&, const Shape&);
template Tensor tensor(const std::vector<Half>&, const Shape&);
template Tensor tensor(const std::vector<BFloat16>&, const Shape&);

}  // namespace braid
