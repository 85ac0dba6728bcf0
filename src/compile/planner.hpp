#pragma once
// Internal to make_plan: plan.cpp decides how each node runs, plan_memory.cpp
// where each value lives, plan_steps.cpp builds the steps.
#include <optional>

#include "compile/plan.hpp"

namespace braid::kernels {
class ConvChain;
}

namespace braid::compiler::detail {

/// How a graph node runs.
enum class Kind : uint8_t {
  Fallback,     ///< the registry op
  Alias,        ///< a view of contiguous memory: no step, a pointer offset
  Linear,       ///< LinearStep (with the group's activations)
  Conv,         ///< ConvStep (likewise)
  MaxPool,      ///< MaxPoolStep
  Elementwise,  ///< ElementwiseStep over the group
  Member,       ///< run by the step of a later node of its group
  ConvChain,    ///< ConvChainStep: convs (+relu) and a max pool, one oneDNN chain
};

/// Where a value lives during a call.
enum class Loc : uint8_t {
  None,    ///< nowhere: inside a fused step, or never read
  Const,   ///< a constant's contiguous data
  Input,   ///< the caller's input `index`
  Arena,   ///< the arena, at arena_off
  Output,  ///< the returned tensor `index`
  Alias,   ///< bytes `off` into value `root`'s memory
  Env,     ///< a tensor in Frame::env (made and read by fallback steps)
};

struct ValueInfo {
  Shape shape;
  DType dtype = DType::Float32;
  Loc loc = Loc::None;
  int root = -1;
  int64_t off = 0;
  int index = -1;
  int64_t bytes = 0;
  int def = -1, last = -1;  ///< step that makes it, last step that needs it
  int64_t arena_off = 0;
  bool raw_ok = false;       ///< readable through a raw pointer without a copy
  bool materialise = false;  ///< a fallback's result some raw step reads
};

/// One operation of a fused elementwise loop, by value ids.
struct EwOp {
  UnaryOp op;
  int other = -1;  ///< binary: the operand's value
  bool lhs = true;
  int64_t inner = 1, period = 0;
  bool is_scalar = false;
  float scalar = 0;
};

/// What one step-making node (the last of its group) does.
/// A max_pool2d node's window per axis (height, width), defaults filled.
struct PoolWindow {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};
PoolWindow pool_window(const runtime::Node& n);

struct Decision {
  Kind kind = Kind::Fallback;
  std::vector<int> nodes;     ///< the group, in order (just this node when alone)
  std::vector<UnaryOp> acts;  ///< Linear/Conv: the activations after the product
  bool pool_relu = false;     ///< MaxPool: relu on the pooled values (moved from the producer)
  int ew_in = -1;             ///< Elementwise: the value the loop starts from
  std::vector<EwOp> ew;
  std::shared_ptr<kernels::ConvChain> chain;  ///< ConvChain: made at plan time
  int chain_in = -1;                          ///< ConvChain: the first conv's input
  std::string chain_what;                     ///< ConvChain: its layers, for the report
};

class Planner {
 public:
  Planner(PlanContext& ctx, std::span<const Tensor> inputs);
  std::unique_ptr<Plan> build();

 private:
  // plan.cpp
  void probe();
  void decide();
  bool product_ok(int node) const;
  bool pool_ok(int node) const;
  std::optional<Decision> elementwise(const std::vector<int>& nodes) const;
  std::vector<int> raw_reads(const Decision& d) const;
  // plan_chain.cpp
  kernels::ConvGeom conv_geom(int node) const;
  bool pool_2x2(int node) const;
  void chain_convs();
  // plan_memory.cpp
  void locate();
  void lifetimes();
  void place();
  std::pair<int, int64_t> root_of(int v) const;
  // plan_steps.cpp
  Ref ref(int v) const;
  std::unique_ptr<Step> make_step(const Decision& d);
  std::unique_ptr<Step> linear_step(const Decision& d);
  std::unique_ptr<Step> conv_step(const Decision& d);
  std::unique_ptr<Step> pool_step(const Decision& d);
  std::unique_ptr<Step> chain_step(const Decision& d);
  std::unique_ptr<Step> elementwise_step(const Decision& d);
  std::unique_ptr<Step> fallback_step(const Decision& d);
  std::string describe_plan() const;

  PlanContext& ctx_;
  const runtime::Graph& g_;
  std::span<const Tensor> inputs_;
  int64_t batch_ = -1;
  std::unique_ptr<Plan> plan_;
  std::vector<ValueInfo> v_;
  std::vector<int> producer_;   ///< node making each value, -1 for inputs/constants
  std::vector<int> readers_;    ///< how many nodes read each value (+1 per graph output)
  std::vector<Kind> kind_;      ///< per node
  std::vector<Decision> dec_;   ///< per node; meaningful where kind_ is not Member/Alias
  std::vector<int> step_of_;    ///< per node: its step (Member: its group's), -1 none
  std::vector<int> step_node_;  ///< per step: the node that made it (-1: output copy)
  std::vector<std::pair<int, int>> copies_;  ///< (value, output index) copied at the end
};

}  // namespace braid::compiler::detail
