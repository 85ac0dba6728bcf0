#pragma once
/// Tensor: a handle with value semantics over shared, strided storage.
/// Copying a Tensor shares the buffer (like PyTorch); views never copy.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "braid/core/attrs.hpp"
#include "braid/core/dtype.hpp"
#include "braid/core/error.hpp"
#include "braid/core/scalar.hpp"
#include "braid/core/shape.hpp"
#include "braid/core/storage.hpp"

namespace braid {

class Tensor;
/// A gradient hook: gets the gradient, returns a replacement or an undefined
/// Tensor to keep it.
using TensorHook = std::function<Tensor(const Tensor&)>;

namespace detail {
struct Node;  // a backward node, see braid/core/node.hpp

/// What autograd knows about one tensor. Absent for most inference tensors.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<Tensor> grad;          ///< accumulated gradient (leaves, retain_grad)
  std::shared_ptr<Node> grad_fn;         ///< the node that made this tensor; null for leaves
  uint32_t output_nr = 0;                ///< which output of grad_fn this is
  std::weak_ptr<Node> grad_accumulator;  ///< leaves: the node backward accumulates into
  std::vector<TensorHook> hooks;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;  ///< in elements
  DType dtype = DType::Float32;
  /// A number written in the call (`x + 2`): it takes part in type promotion
  /// only when it is of a higher category (PyTorch's wrapped number).
  bool wrapped_number = false;
  std::unique_ptr<AutogradMeta> autograd;

  AutogradMeta& autograd_meta() {
    if (!autograd) autograd = std::make_unique<AutogradMeta>();
    return *autograd;
  }
};
}  // namespace detail

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

  // -- metadata ------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  /// Size of one dim; negative dims count from the end. Throws IndexError.
  int64_t size(int64_t dim) const;
  const Shape& strides() const { return impl().strides; }
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t numel() const { return numel_of(impl().shape); }
  DType dtype() const { return impl().dtype; }
  int64_t storage_offset() const { return impl().offset; }
  size_t element_size() const { return dtype_size(dtype()); }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  /// Views of one buffer share their storage (and its version counter).
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  uint32_t version() const { return impl().storage->version(); }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // -- data ------------------------------------------------------------------
  /// Pointer to the first element (offset applied). Throws DTypeError when T
  /// is not this tensor's element type.
  template <class T>
  T* data_ptr() const {
    check_dtype(dtype_of<T>, "data_ptr");
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;
  /// The single value of a one-element tensor. Throws ValueError otherwise.
  Scalar item() const;
  template <class T>
  T item() const {
    return item().to<T>();
  }
  /// The values, converted to T, in row-major order (any strides).
  template <class T>
  std::vector<T> to_vector() const;

  // -- autograd state (engine in braid/autograd) ----------------------------
  bool requires_grad() const { return impl().autograd && impl().autograd->requires_grad; }
  /// Marks a leaf as a parameter whose gradient backward() accumulates.
  /// Throws DTypeError for non-float tensors, AutogradError for non-leaves.
  Tensor& requires_grad_(bool on = true);
  /// The accumulated gradient; undefined until backward() reached this tensor.
  Tensor grad() const;
  void set_grad(const Tensor& g);
  /// Name of the op that produced this tensor ("mul", "matmul"), or "" for a leaf.
  std::string grad_fn_name() const;
  const std::shared_ptr<detail::Node>& grad_fn() const;
  bool is_leaf() const { return !impl().autograd || !impl().autograd->grad_fn; }
  /// Keep .grad() on a non-leaf after backward.
  Tensor& retain_grad();
  bool retains_grad() const { return impl().autograd && impl().autograd->retains_grad; }
  /// Runs `hook` on this tensor's gradient during backward (before accumulation).
  void register_hook(TensorHook hook);
  /// Backpropagates from this tensor. A non-scalar needs `gradient`.
  /// Defined in braid_autograd.
  void backward(const Tensor& gradient = {}, bool retain_graph = false,
                bool create_graph = false) const;

  // -- methods that call ops (defined in braid_ops; see braid/ops/ops.hpp) ---
  Tensor to(DType dtype) const;
  Tensor contiguous() const;
  Tensor clone() const;
  /// Same data, cut off from the graph (shares storage and version counter).
  Tensor detach() const;
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze(std::vector<int64_t> dims = {}) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor sum(std::vector<int64_t> dims = {}, bool keepdim = false) const;
  Tensor mean(std::vector<int64_t> dims = {}, bool keepdim = false) const;
  Tensor abs() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor pow(Scalar exponent) const;
  Tensor matmul(const Tensor& other) const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;

  // In-place: bump the version counter; see Note [version counter].
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(Scalar other);
  Tensor& mul_(Scalar other);
  Tensor& clamp_(Scalar lo, Scalar hi);
  Tensor& fill_(Scalar value);
  Tensor& zero_();
  /// Copies `src` (broadcast, cast) into this tensor's elements.
  Tensor& copy_(const Tensor& src);

  /// PyTorch-style text: values (summarised when large), shape, dtype, requires_grad.
  std::string str() const;

  detail::TensorImpl& impl() const {
    if (!impl_) [[unlikely]]
      throw ValueError("[tensor] the tensor is undefined (default-constructed or moved from)");
    return *impl_;
  }
  const std::shared_ptr<detail::TensorImpl>& impl_ptr() const { return impl_; }

 private:
  void check_dtype(DType want, const char* what) const;
  std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// A nested list of numbers for `tensor({{1, 2}, {3, 4}})`.
class NestedList {
 public:
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  NestedList(T v) : value_(v), leaf_(true) {}  // NOLINT: one conversion, so braces nest
  NestedList(std::initializer_list<NestedList> items) : items_(items), leaf_(false) {}
  bool leaf() const { return leaf_; }
  Scalar value() const { return value_; }
  const std::vector<NestedList>& items() const { return items_; }

 private:
  Scalar value_;
  std::vector<NestedList> items_;
  bool leaf_;
};

// -- making tensors ---------------------------------------------------------
/// Uninitialised, contiguous.
Tensor empty(const Shape& shape, DType dtype = DType::Float32);
/// As above, taking the shape over (the dispatcher's path: one copy fewer).
Tensor empty(Shape&& shape, DType dtype = DType::Float32);
/// From nested braces: dtype float32 if any value is a float, else int64 (bool
/// if all are bool), unless `dtype` is given. Throws ShapeError if ragged.
Tensor tensor(const NestedList& values, std::optional<DType> dtype = std::nullopt);
/// Copies `values`; `shape` defaults to 1-D.
template <class T>
Tensor tensor(const std::vector<T>& values, const Shape& shape = {});
/// Wraps an existing buffer without copying; `deleter` runs when the last view dies.
Tensor from_blob(void* data, const Shape& shape, DType dtype,
                 std::function<void(void*)> deleter = {});
/// A view of `base`'s storage with the given geometry. Throws IndexError when
/// the view would reach outside the storage.
Tensor as_strided(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);
/// 0-dim tensor from a number; `wrapped` marks it as written in a call.
Tensor scalar_tensor(Scalar v, std::optional<DType> dtype = std::nullopt, bool wrapped = false);

}  // namespace braid
