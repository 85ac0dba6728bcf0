#pragma once
/// Network ops: pooling, padding and resizing (src/ops/pool.cpp, src/ops/resize.cpp).
/// PyTorch 1.13 semantics. Spatial arguments (kernel_size, stride, padding,
/// dilation, output_size) take one int for both dims or one per dim (H, W),
/// as PyTorch's int-or-tuple arguments do. Pooling takes x as (N, C, H, W)
/// or unbatched (C, H, W) and works on float32/float64 (float16/bfloat16
/// compute in float32).
#include <optional>
#include <string>
#include <vector>

#include "braid/core/tensor.hpp"
#include "braid/ops/ops.hpp"

namespace braid {

// -- max pooling ---------------------------------------------------------------
// Every field has an initializer (even `= {}`): g++ -Wextra warns about
// designated initializers that skip a field without one.
struct MaxPool2dOptions {
  std::vector<int64_t> stride = {};  ///< empty: kernel_size
  std::vector<int64_t> padding = {0};
  std::vector<int64_t> dilation = {1};
  bool ceil_mode = false;
};
/// Max over each window. x: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) with
/// OH = floor((H + 2 padding - dilation (k - 1) - 1) / stride) + 1 (ceil with
/// ceil_mode, keeping the last window's start inside input + left padding).
/// NaN propagates; ties go to the first maximum. Throws ShapeError for a bad
/// rank, an empty C/H/W or an output size below 1; ValueError for a
/// non-positive kernel/stride/dilation, negative padding, padding over half
/// the kernel or a wrong list length; DTypeError for integer x.
Tensor max_pool2d(const Tensor& x, const std::vector<int64_t>& kernel_size,
                  const MaxPool2dOptions& options = {});
/// As max_pool2d, also returning each maximum's int64 position in its
/// flattened H * W input plane (PyTorch's return_indices=True).
ValuesIndices max_pool2d_with_indices(const Tensor& x, const std::vector<int64_t>& kernel_size,
                                      const MaxPool2dOptions& options = {});
/// Gradient of max_pool2d and adaptive_max_pool2d: grad (.., OH, OW) added
/// into zeros (.., H, W) at `indices` (same shape as grad, values in
/// [0, H * W)). input_size: (H, W). Throws ShapeError, IndexError.
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices,
                           const std::vector<int64_t>& input_size);

// -- average pooling -------------------------------------------------------------
struct AvgPool2dOptions {
  std::vector<int64_t> stride = {};  ///< empty: kernel_size
  std::vector<int64_t> padding = {0};
  bool ceil_mode = false;
  /// Count the zero padding in each window's divisor (not what ceil_mode adds past it).
  bool count_include_pad = true;
  /// Divide every window's sum by this instead (must not be 0).
  std::optional<int64_t> divisor_override = {};
};
/// Mean over each window; shapes as max_pool2d (dilation 1). x may also be
/// int64 (integer division, as PyTorch). Throws as max_pool2d, and
/// ValueError for divisor_override = 0.
Tensor avg_pool2d(const Tensor& x, const std::vector<int64_t>& kernel_size,
                  const AvgPool2dOptions& options = {});
/// The adjoint of avg_pool2d (its gradient): grad (.., OH, OW) -> (.., H, W)
/// with input_size = (H, W). Throws ShapeError when grad is not the pooled shape.
Tensor avg_pool2d_backward(const Tensor& grad, const std::vector<int64_t>& input_size,
                           const std::vector<int64_t>& kernel_size,
                           const AvgPool2dOptions& options = {});

// -- adaptive pooling -------------------------------------------------------------
/// Output (i, j) averages rows [floor(i H / OH), ceil((i + 1) H / OH)) and
/// the same rule for columns. x: (N, C, H, W) or (C, H, W) -> (.., OH, OW).
/// Throws ShapeError for a bad rank or an empty H/W, ValueError for a
/// negative output size or a wrong list length.
Tensor adaptive_avg_pool2d(const Tensor& x, const std::vector<int64_t>& output_size);
/// The adjoint of adaptive_avg_pool2d: grad (.., OH, OW) -> (.., H, W).
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const std::vector<int64_t>& input_size);
/// Max over the adaptive windows (NaN propagates); an empty C is an error too.
Tensor adaptive_max_pool2d(const Tensor& x, const std::vector<int64_t>& output_size);
/// As adaptive_max_pool2d, with int64 positions in each flattened H * W plane.
ValuesIndices adaptive_max_pool2d_with_indices(const Tensor& x,
                                               const std::vector<int64_t>& output_size);

// -- padding and resizing ---------------------------------------------------------
/// Pads the last len(pads) / 2 dims; pads lists the last dim first:
/// {left, right, top, bottom, front, back}. mode "constant" fills `value`
/// (any rank; negative pads crop), "reflect" mirrors without repeating the
/// edge, "replicate" repeats the edge; these two pad 1, 2 or 3 dims of a
/// tensor with 1 or 2 more dims (a pad must be below the dim's size for
/// reflect). Throws ValueError (odd or too long pads, unknown mode, a value
/// with a non-constant mode), ShapeError (a negative or, for
/// reflect/replicate, empty result; reflect pads too large).
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode = "constant",
           Scalar value = 0);

struct InterpolateOptions {
  /// Output spatial size: one int for every spatial dim, or one per dim.
  std::vector<int64_t> size = {};
  /// Or a scale per spatial dim (one for all): the output is floor(in * scale),
  /// and the source positions use the scale as given, as PyTorch does.
  std::vector<double> scale_factor = {};
  std::string mode = "nearest";  ///< "nearest" or "bilinear"
  /// bilinear only: map the corner pixels' centres onto each other.
  std::optional<bool> align_corners = {};
  /// true: compute the output size from scale_factor, then use the sizes'
  /// ratio instead of the scale (PyTorch's recompute_scale_factor).
  std::optional<bool> recompute_scale_factor = {};
};
/// Resizes the spatial dims. x: (N, C, H, W) ("nearest", "bilinear") or
/// (N, C, L) ("nearest") -> same with the new size. Nearest takes
/// floor(o * in / out) (PyTorch's "nearest", not "nearest-exact"). Throws
/// ValueError (both or neither of size and scale_factor, wrong lengths,
/// align_corners with nearest, unknown mode), ShapeError (a rank the mode
/// does not take, an empty input or output dim), DTypeError (integer x).
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

}  // namespace braid
