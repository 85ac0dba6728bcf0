// The steps' run functions (steps.hpp): kernels on raw pointers, no tensor
// made and nothing allocated except in FallbackStep and the oneDNN
// convolution's own workspace (from the caching allocator).
#include "compile/steps.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "braid/core/error.hpp"
#include "braid/core/parallel.hpp"
#include "kernels/portable/copy.hpp"
#include "kernels/portable/gemm.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/conv_chain_dnnl.hpp"
#include "kernels/x86/conv_dnnl.hpp"
#include "kernels/x86/gemm_dnnl.hpp"
#include "kernels/x86/linear_dnnl.hpp"
#include "kernels/x86/pool_x86.hpp"
#endif

namespace braid::compiler {

namespace {
std::string acts_str(const std::vector<UnaryOp>& acts) {
  std::string s;
  for (const UnaryOp& u : acts) {
    s += " +";
    s += pw_name(u);
  }
  return s;
}

// Rows (or planes) of `len` elements per parallel chunk: ~32k elements.
int64_t rows_grain(int64_t len) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, len)); }
}  // namespace

// -- linear --------------------------------------------------------------------------

void LinearStep::run(Frame& f) const {
  const float* xp = x.get<const float>(f);
  float* yp = y.get<float>(f);
  if (packed) {
    small_gemm(*packed, xp, m, k, yp, acts, get_num_threads());
    return;
  }
#ifdef BRAID_HAVE_DNNL
  if (matmul) {
    matmul->run(xp, yp);
    return;
  }
#endif
  // As the eager linear: y = x @ W^T through the same GEMM call (W^T read in
  // place with unit row stride), then bias and activations row by row.
  kernels::GemmArgs a;
  a.m = m, a.n = n, a.k = k;
  a.a_rs = k, a.a_cs = 1;
  a.b_rs = 1, a.b_cs = k;
  a.c_rs = n, a.c_cs = 1;
  const float* wp = w.get<const float>(f);
#ifdef BRAID_HAVE_DNNL
  if (!kernels::gemm_x86(a, xp, wp, yp)) kernels::gemm_portable<float>(a, xp, wp, yp);
#else
  kernels::gemm_portable<float>(a, xp, wp, yp);
#endif
  const float* bp = bias.defined() ? bias.get<const float>(f) : nullptr;
  if (!bp && acts.empty()) return;
  parallel_for(m, rows_grain(n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) apply_epilogue(acts, bp, yp + r * n, n);
  });
}

std::string LinearStep::describe() const {
  std::string how = packed ? "small-batch kernel" : "GEMM + epilogue";
#ifdef BRAID_HAVE_DNNL
  if (matmul) how = "packed " + matmul->describe();
#endif
  return fmt::format("linear {}->{}, {} rows{}{} ({})", k, n, m, bias.defined() ? " +bias" : "",
                     acts_str(acts), how);
}

// -- conv2d --------------------------------------------------------------------------

void ConvStep::run(Frame& f) const {
  const float* xp = x.get<const float>(f);
  const float* wp = w.get<const float>(f);
  const float* bp = bias.get<const float>(f);
  float* yp = y.get<float>(f);
#ifdef BRAID_HAVE_DNNL
  if (!kernels::conv2d_forward_x86(g, xp, wp, bp, yp))
    kernels::conv2d_forward_portable<float>(g, xp, wp, bp, yp);
#else
  kernels::conv2d_forward_portable<float>(g, xp, wp, bp, yp);
#endif
  if (acts.empty()) return;
  const int64_t plane = g.oh * g.ow;
  parallel_for(g.n * g.c_out, rows_grain(plane), [&](int64_t p0, int64_t p1) {
    apply_epilogue(acts, nullptr, yp + p0 * plane, (p1 - p0) * plane);
  });
}

std::string ConvStep::describe() const {
  return fmt::format("conv2d {}->{} {}x{} on {}x{}, batch {}{}", g.c_in, g.c_out, g.kh, g.kw, g.h,
                     g.w, g.n, acts_str(acts));
}

// -- conv chains ---------------------------------------------------------------------

void ConvChainStep::run(Frame& f) const {
#ifdef BRAID_HAVE_DNNL
  chain->run(x.get<const float>(f), y.get<float>(f));
#else
  (void)f;
  BRAID_ASSERT(false && "conv chains are made only with oneDNN");
#endif
}

std::string ConvChainStep::describe() const {
#ifdef BRAID_HAVE_DNNL
  return fmt::format("conv chain: {} ({})", what, chain->describe());
#else
  return what;
#endif
}

// -- max pooling ---------------------------------------------------------------------

namespace {
// 2x2, stride 2 over one (2 oh, 2 ow)-sized plane of row length w: the
// comparisons of pool.cpp's max_plane, branch-free so the row vectorises.
// Starting from the first tap rather than -inf gives the same result (a tap
// of -inf loses to -inf either way).
void pool_pairs(const float* __restrict x, float* __restrict out, int64_t oh, int64_t ow,
                int64_t w) {
  for (int64_t i = 0; i < oh; ++i) {
    const float* r0 = x + 2 * i * w;
    const float* r1 = r0 + w;
    float* o = out + i * ow;
    for (int64_t j = 0; j < ow; ++j) {
      const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
      float m = a;
      const bool tb = b > m || b != b;
      m = tb ? b : m;
      const bool tc = c > m || c != c;
      m = tc ? c : m;
      const bool td = d > m || d != d;
      m = td ? d : m;
      o[j] = m;
    }
  }
}
}  // namespace

void MaxPoolStep::run(Frame& f) const {
  const float* xp = x.get<const float>(f);
  float* yp = y.get<float>(f);
  const int64_t hw = rows.in * cols.in, ohw = rows.out() * cols.out(), w = cols.in;
#ifdef BRAID_HAVE_DNNL
  // The AVX-512 kernel: the same comparisons, so the same bits (pool_x86.hpp).
  if (pairs &&
      kernels::max_pool2x2_values_x86(xp, yp, planes, rows.in, cols.in, rows.out(), cols.out())) {
    if (relu)
      parallel_for(planes, rows_grain(ohw), [&](int64_t p0, int64_t p1) {
        apply_unary(UnaryOp{.unary = kernels::Unary::Relu}, yp + p0 * ohw, (p1 - p0) * ohw);
      });
    return;
  }
#endif
  parallel_for(planes, rows_grain(hw), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* xq = xp + p * hw;
      float* out = yp + p * ohw;
      if (pairs) {
        pool_pairs(xq, out, rows.out(), cols.out(), w);
        if (relu) apply_unary(UnaryOp{.unary = kernels::Unary::Relu}, out, ohw);
        continue;
      }
      // The comparisons of kernels/portable/pool.cpp's max_plane, in its
      // order: the first maximum wins, a NaN always does.
      for (int64_t i = 0; i < rows.out(); ++i)
        for (int64_t j = 0; j < cols.out(); ++j) {
          float m = -std::numeric_limits<float>::infinity();
          for (int64_t h = rows.start[i]; h < rows.end[i]; h += rows.step)
            for (int64_t v = cols.start[j]; v < cols.end[j]; v += cols.step) {
              const float val = xq[h * w + v];
              if (val > m || std::isnan(val)) m = val;
            }
          *out++ = m;
        }
      if (relu) apply_unary(UnaryOp{.unary = kernels::Unary::Relu}, yp + p * ohw, ohw);
    }
  });
}

std::string MaxPoolStep::describe() const {
  return fmt::format("max_pool2d {}x{} -> {}x{}, {} planes{}", rows.in, cols.in, rows.out(),
                     cols.out(), planes, relu ? " +relu" : "");
}

// -- elementwise ---------------------------------------------------------------------

void ElementwiseStep::run(Frame& f) const {
  const float* src = in.get<const float>(f);
  float* dst = out.get<float>(f);
  // Blocks of 1024 stay in L1 while every op runs over them.
  constexpr int64_t kBlock = 1024;
  parallel_for(n, 16 * kBlock, [&](int64_t b0, int64_t b1) {
    alignas(64) float tmp[kBlock];
    for (int64_t b = b0; b < b1; b += kBlock) {
      const int64_t len = std::min(kBlock, b1 - b);
      float* y = dst + b;
      if (y != src + b) std::memmove(y, src + b, static_cast<size_t>(len) * sizeof(float));
      for (const Op& o : ops) {
        if (!is_binary(o.op)) {
          apply_unary(o.op, y, len);
        } else if (o.is_scalar) {
          apply_binary_scalar(o.op, y, o.scalar, len, o.lhs);
        } else if (o.period == 0) {
          apply_binary(o.op, y, o.other.get<const float>(f) + b, len, o.lhs);
        } else {
          const float* op = o.other.get<const float>(f);
          for (int64_t i = 0; i < len; ++i) tmp[i] = op[((b + i) / o.inner) % o.period];
          apply_binary(o.op, y, tmp, len, o.lhs);
        }
      }
    }
  });
}

std::string ElementwiseStep::describe() const {
  std::string s = "elementwise";
  for (const Op& o : ops) {
    s += ' ';
    s += pw_name(o.op);
  }
  return s + fmt::format(", {} elements", n);
}

// -- fallback and copies -------------------------------------------------------------

void FallbackStep::run(Frame& f) const {
  std::vector<Tensor> args(in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    const In& a = in[k];
    switch (a.kind) {
      case In::Absent: break;
      case In::Constant: args[k] = a.constant; break;
      case In::Input: args[k] = f.inputs[a.input]; break;
      case In::Env: args[k] = f.env[a.value]; break;
      case In::Raw: args[k] = from_blob(a.raw.get<void>(f), a.shape, a.dtype); break;
    }
  }
  std::vector<Tensor> res;
  try {
    res = braid::detail::call(op, args, attrs);
  } catch (Error& e) {
    e.add_context(where);
    throw;
  }
  BRAID_CHECK(res.size() == out.size(), ValueError, "compile", "{} made {} outputs; expected {}",
              where, res.size(), out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    const Out& o = out[k];
    if (o.dst.defined()) {
      // A shape other than the planned one: the op's result depends on the
      // data (the plan is only valid for shapes fixed by the inputs' shapes).
      BRAID_CHECK(res[k].shape() == o.shape, ValueError, "compile",
                  "{} made shape {}, but the plan expected {}: its output shape depends on the "
                  "input values, which a compiled plan cannot follow; run the graph with "
                  "runtime::Executor",
                  where, shape_str(res[k].shape()), shape_str(o.shape));
      kernels::copy(from_blob(o.dst.get<void>(f), o.shape, res[k].dtype()), res[k]);
    }
    if (o.keep) f.env[o.value] = std::move(res[k]);
  }
}

std::string FallbackStep::describe() const {
  return fmt::format("{} through the op registry", op_def(op).name);
}

void CopyStep::run(Frame& f) const {
  std::memcpy(dst.get<void>(f), src.get<const void>(f), static_cast<size_t>(bytes));
}

std::string CopyStep::describe() const { return fmt::format("copy {} bytes to an output", bytes); }

}  // namespace braid::compiler
