#pragma once
// The conv tests' oracle: the convolution formula of kernels/portable/conv.hpp
// as plain loops in double, for the forward map and its two adjoints.
#include <cstdint>
#include <vector>

#include "braid/braid.hpp"

namespace braid::conv_test {

/// x (n, ci, h, w), weight (co, ci/g, kh, kw), y (n, co, oh, ow); ph/pw the top/left padding.
struct Geo {
  int64_t n, ci, co, g, h, w, oh, ow, kh, kw, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

/// Calls f(x_index, w_index, y_index) for every product term of the formula.
template <class F>
void for_each_term(const Geo& s, const F& f) {
  const int64_t cig = s.ci / s.g, cog = s.co / s.g;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.co; ++o)
      for (int64_t c = 0; c < cig; ++c)
        for (int64_t p = 0; p < s.kh; ++p)
          for (int64_t q = 0; q < s.kw; ++q)
            for (int64_t i = 0; i < s.oh; ++i)
              for (int64_t j = 0; j < s.ow; ++j) {
                const int64_t ih = i * s.sh - s.ph + p * s.dh, iw = j * s.sw - s.pw + q * s.dw;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                const int64_t xc = o / cog * cig + c;
                f(((n * s.ci + xc) * s.h + ih) * s.w + iw, ((o * cig + c) * s.kh + p) * s.kw + q,
                  ((n * s.co + o) * s.oh + i) * s.ow + j);
              }
}

inline std::vector<double> ref_forward(const Geo& s, const std::vector<double>& x,
                                       const std::vector<double>& w, const std::vector<double>& b) {
  std::vector<double> y(static_cast<size_t>(s.n * s.co * s.oh * s.ow), 0.0);
  for (size_t k = 0; k < y.size(); ++k)
    y[k] = b.empty() ? 0.0 : b[(k / static_cast<size_t>(s.oh * s.ow)) % s.co];
  for_each_term(s, [&](int64_t xi, int64_t wi, int64_t yi) { y[yi] += x[xi] * w[wi]; });
  return y;
}

inline std::vector<double> ref_input_grad(const Geo& s, const std::vector<double>& gy,
                                          const std::vector<double>& w) {
  std::vector<double> gx(static_cast<size_t>(s.n * s.ci * s.h * s.w), 0.0);
  for_each_term(s, [&](int64_t xi, int64_t wi, int64_t yi) { gx[xi] += gy[yi] * w[wi]; });
  return gx;
}

inline std::vector<double> ref_weight_grad(const Geo& s, const std::vector<double>& x,
                                           const std::vector<double>& gy) {
  std::vector<double> gw(static_cast<size_t>(s.co * (s.ci / s.g) * s.kh * s.kw), 0.0);
  for_each_term(s, [&](int64_t xi, int64_t wi, int64_t yi) { gw[wi] += gy[yi] * x[xi]; });
  return gw;
}

}  // namespace braid::conv_test
