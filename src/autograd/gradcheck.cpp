// gradcheck: autograd's Jacobian against central differences, in float64.
#include <cmath>

#include "braid/autograd/autograd.hpp"
#include "braid/core/strided.hpp"
#include "braid/ops/ops.hpp"

namespace braid::autograd {

namespace {
// Offsets (in elements) of every logical element of t, row-major.
std::vector<int64_t> offsets(const Tensor& t) {
  std::vector<int64_t> o;
  detail::for_each_offset(t.shape(), t.strides(), t.storage_offset(),
                          [&](int64_t x) { o.push_back(x); });
  return o;
}
double* base_ptr(const Tensor& t) { return static_cast<double*>(t.storage()->data()); }

std::vector<Tensor> float_outputs(const Fn& fn, const std::vector<Tensor>& in) {
  std::vector<Tensor> out;
  for (Tensor& t : fn(in))
    if (t.defined() && t.is_floating_point()) out.push_back(t);
  return out;
}

GradcheckResult check(const Fn& fn, const std::vector<Tensor>& inputs, double eps, double atol,
                      double rtol) {
  GradcheckResult res;
  std::vector<size_t> diff;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) {
      BRAID_CHECK(inputs[i].dtype() == DType::Float64, DTypeError, "gradcheck",
                  "inputs that require grad must be float64; input {} is {}", i,
                  dtype_name(inputs[i].dtype()));
      diff.push_back(i);
    }
  std::vector<Tensor> outs = float_outputs(fn, inputs);
  std::vector<Tensor> diff_in;
  for (size_t i : diff) diff_in.push_back(inputs[i]);
  for (size_t oi = 0; oi < outs.size(); ++oi) {
    const Tensor out = outs[oi];
    int64_t n_out = out.numel();
    // Numeric Jacobian columns: d out / d in[k] by central differences.
    std::vector<std::vector<std::vector<double>>> num(diff.size());
    for (size_t d = 0; d < diff.size(); ++d) {
      const Tensor& x = inputs[diff[d]];
      double* p = base_ptr(x);
      for (int64_t off : offsets(x)) {
        double orig = p[off];
        std::vector<double> plus, minus;
        // Grad mode stays on: for gradgradcheck, fn itself runs a backward.
        p[off] = orig + eps;
        plus = float_outputs(fn, inputs)[oi].to_vector<double>();
        p[off] = orig - eps;
        minus = float_outputs(fn, inputs)[oi].to_vector<double>();
        p[off] = orig;
        std::vector<double> col(n_out);
        for (int64_t j = 0; j < n_out; ++j) col[j] = (plus[j] - minus[j]) / (2 * eps);
        num[d].push_back(std::move(col));
      }
    }
    // Analytic rows: one backward per output element.
    for (int64_t j = 0; j < n_out; ++j) {
      Tensor seed = zeros(out.shape(), out.dtype());
      static_cast<double*>(seed.raw_data())[j] = 1.0;
      if (!out.requires_grad()) {
        for (size_t d = 0; d < diff.size(); ++d)
          for (size_t k = 0; k < num[d].size(); ++k)
            if (std::fabs(num[d][k][j]) > atol) {
              res.ok = false;
              res.message =
                  fmt::format("output {} does not require grad but numeric d/d input {} is {}", oi,
                              diff[d], num[d][k][j]);
              return res;
            }
        continue;
      }
      std::vector<Tensor> g = grad({out}, diff_in, {seed}, true, false, true);
      for (size_t d = 0; d < diff.size(); ++d) {
        std::vector<double> row =
            g[d].defined() ? g[d].to_vector<double>() : std::vector<double>(num[d].size(), 0.0);
        for (size_t k = 0; k < row.size(); ++k) {
          double a = row[k], nu = num[d][k][j], err = std::fabs(a - nu);
          res.max_abs_err = std::max(res.max_abs_err, err);
          if (err > atol + rtol * std::fabs(nu) && res.ok) {
            res.ok = false;
            res.message = fmt::format(
                "output {} element {}: d/d input {} element {}: analytic {} vs numeric {}", oi, j,
                diff[d], k, a, nu);
          }
        }
      }
    }
  }
  return res;
}
}  // namespace

GradcheckResult gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, double eps, double atol,
                          double rtol) {
  return check(fn, inputs, eps, atol, rtol);
}

GradcheckResult gradgradcheck(const Fn& fn, const std::vector<Tensor>& inputs, double eps,
                              double atol, double rtol) {
  // The function under test becomes "inputs -> gradient of sum(outputs * w)"
  // with a fixed random-free weight w, so its gradient is fn's second derivative.
  Fn first = [&](const std::vector<Tensor>& in) {
    std::vector<Tensor> outs = float_outputs(fn, in);
    std::vector<Tensor> diff_in;
    for (const Tensor& t : in)
      if (t.defined() && t.requires_grad()) diff_in.push_back(t);
    std::vector<Tensor> seeds;
    for (const Tensor& o : outs)
      seeds.push_back(add(ones_like(o), arange(o.numel()).to(o.dtype()).reshape(o.shape()) * 0.1));
    std::vector<Tensor> live, live_seeds;
    for (size_t i = 0; i < outs.size(); ++i)
      if (outs[i].requires_grad()) {
        live.push_back(outs[i]);
        live_seeds.push_back(seeds[i]);
      }
    if (live.empty()) return std::vector<Tensor>{};
    std::vector<Tensor> g = grad(live, diff_in, live_seeds, true, true, true);
    std::vector<Tensor> r;
    for (Tensor& t : g)
      if (t.defined()) r.push_back(t);
    return r;
  };
  return check(first, inputs, eps, atol, rtol);
}

}  // namespace braid::autograd
