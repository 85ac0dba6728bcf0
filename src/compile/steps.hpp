#pragma once
// The steps of a plan (Note [compiled plan] in plan.cpp): each runs one
// graph node, or a fused group of them, on raw pointers resolved when the
// plan was made. Only the inputs' and outputs' addresses change per call;
// they are read from the Frame.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "braid/runtime/graph.hpp"
#include "compile/pointwise.hpp"
#include "compile/small_gemm.hpp"
#include "kernels/portable/conv.hpp"
#include "kernels/portable/pool.hpp"

namespace braid::kernels {
class ConvChain;
class PackedLinear;
}  // namespace braid::kernels

namespace braid::compiler {

/// What changes from call to call.
struct Frame {
  std::vector<std::byte*> io;      ///< the inputs' data, then the outputs'
  std::span<const Tensor> inputs;  ///< as the caller gave them (for fallback steps)
  std::vector<Tensor> env;         ///< values made by fallback steps, by value id
};

/// Where a value's bytes are: a fixed address (the arena, a constant), or
/// an offset into input/output `io` of the frame.
struct Ref {
  std::byte* fixed = nullptr;
  int io = -1;
  int64_t offset = 0;
  bool defined() const { return fixed != nullptr || io >= 0; }
  template <class T>
  T* get(const Frame& f) const {
    return reinterpret_cast<T*>(io < 0 ? fixed : f.io[io] + offset);
  }
};

class Step {
 public:
  virtual ~Step() = default;
  virtual void run(Frame& f) const = 0;
  /// One line for the report: "linear 784->128 +relu (small-m kernel)".
  virtual std::string describe() const = 0;
  /// Graph nodes this step runs (for the report).
  std::vector<int> nodes;
};

/// y = acts(x @ W^T + b), x (m, k) with m rows: small_gemm for few rows,
/// a oneDNN matmul with bias and ReLU fused for more (Note [packed linear],
/// kernels/x86/linear_dnnl.cpp), else the oneDNN/portable GEMM then the
/// epilogue on each row block.
struct LinearStep final : Step {
  Ref x, w, bias, y;
  int64_t m = 0, n = 0, k = 0;
  std::vector<UnaryOp> acts;
  std::shared_ptr<const PackedWeight> packed;     ///< set: use small_gemm
  std::shared_ptr<kernels::PackedLinear> matmul;  ///< set: one oneDNN matmul with the epilogue
  void run(Frame& f) const override;
  std::string describe() const override;
};

/// y = acts(conv2d(x, w) + b) through the kernels of the conv2d_forward op.
struct ConvStep final : Step {
  kernels::ConvGeom g;
  Ref x, w, bias, y;  ///< bias always defined (zeros when the node has none)
  std::vector<UnaryOp> acts;
  void run(Frame& f) const override;
  std::string describe() const override;
};

/// Convolutions with their bias and ReLU, then (optionally) a 2x2 max
/// pooling, as one oneDNN chain: Note [conv chains]
/// (kernels/x86/conv_chain_dnnl.cpp).
struct ConvChainStep final : Step {
  Ref x, y;
  std::shared_ptr<kernels::ConvChain> chain;
  std::string what;  ///< the layers, for describe()
  void run(Frame& f) const override;
  std::string describe() const override;
};

/// Max pooling without indices over (planes, h, w).
struct MaxPoolStep final : Step {
  Ref x, y;
  int64_t planes = 0;
  kernels::PoolAxis rows, cols;
  bool pairs = false;  ///< both axes read inputs 2o and 2o + 1 (2x2, stride 2)
  bool relu = false;   ///< relu on each result (Note [relu after max pooling])
  void run(Frame& f) const override;
  std::string describe() const override;
};

/// One loop over n elements: v = in; for each op, v = op(v, operand); out = v.
/// An operand is read at ((i / inner) % period) (scalar: period 1).
struct ElementwiseStep final : Step {
  struct Op {
    UnaryOp op;
    Ref other;                      ///< binary ops only
    int64_t inner = 1, period = 0;  ///< period 0: same shape as the output
    float scalar = 0;               ///< a constant single value, read at plan time
    bool is_scalar = false;
    bool lhs = true;  ///< the value in flight is the left operand
  };
  Ref in, out;
  int64_t n = 0;
  std::vector<Op> ops;
  void run(Frame& f) const override;
  std::string describe() const override;
};

/// The registry op of node `node`, on tensors: for every node no other step
/// knows. Inputs in raw memory are wrapped (no copy); outputs are kept as
/// tensors in the frame, and copied to raw memory (`dst`) where a raw step
/// or the caller reads them.
struct FallbackStep final : Step {
  struct In {
    int value = -1;  ///< -1: absent optional input
    enum Kind { Absent, Constant, Input, Raw, Env } kind = Absent;
    Tensor constant;
    int input = 0;
    Ref raw;
    Shape shape;
    DType dtype = DType::Float32;
  };
  struct Out {
    int value = 0;
    Ref dst;  ///< defined: copy the result here (it must have `shape`)
    Shape shape;
    bool keep = false;  ///< keep it in frame.env for later fallback steps
  };
  OpId op{};
  Attrs attrs;
  std::string where;  ///< "node 3 (linear) traced in fc1"
  std::vector<In> in;
  std::vector<Out> out;
  std::vector<int> release;  ///< env values whose last reader this is
  void run(Frame& f) const override;
  std::string describe() const override;
};

/// Copies a value to a graph output (when it could not be made in place).
struct CopyStep final : Step {
  Ref src, dst;
  int64_t bytes = 0;
  void run(Frame& f) const override;
  std::string describe() const override;
};

}  // namespace braid::compiler
