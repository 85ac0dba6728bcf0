#include "braid/data/transforms.hpp"

#include <cstring>

#include "braid/ops/ops.hpp"
#include "data/util.hpp"

namespace braid::data {

Tensor Transform::operator()(const Tensor& x) const {
  DataRng rng(0, {0, 0});
  return (*this)(x, rng);
}

Transform compose(std::vector<Transform> transforms) {
  return Transform([ts = std::move(transforms)](const Tensor& x, DataRng& rng) {
    Tensor y = x;
    for (const Transform& t : ts) y = t(y, rng);
    return y;
  });
}

Transform to_float() {
  return Transform([](const Tensor& x) { return x.to(DType::Float32); });
}

Transform scale(double factor) {
  return Transform([factor](const Tensor& x) {
    Tensor f = x.dtype() == DType::Float64 ? x : x.to(DType::Float32);
    return f * factor;
  });
}

Transform normalize(std::vector<double> mean, std::vector<double> std) {
  BRAID_CHECK(!mean.empty() && mean.size() == std.size(), ShapeError, "normalize",
              "mean and std need the same number of channels (>= 1); got {} and {}", mean.size(),
              std.size());
  for (double s : std)
    BRAID_CHECK(s > 0, ValueError, "normalize", "std must be > 0; got [{}]", fmt::join(std, ", "));
  return Transform([mean, std](const Tensor& x) {
    BRAID_CHECK(x.is_floating_point(), DTypeError, "normalize",
                "x must be floating (apply to_float first); got {}", dtype_name(x.dtype()));
    int64_t c = static_cast<int64_t>(mean.size());
    if (c == 1) return (x - mean[0]) / std[0];
    BRAID_CHECK(x.dim() >= 1 && x.size(0) == c, ShapeError, "normalize",
                "{} means and stds need x of shape (C={}, ...); got {}", c, c,
                shape_str(x.shape()));
    Shape per(static_cast<size_t>(x.dim()), 1);
    per[0] = c;
    Tensor m = tensor(mean, per).to(x.dtype()), s = tensor(std, per).to(x.dtype());
    return (x - m) / s;
  });
}

Transform random_crop(std::array<int64_t, 2> size, int64_t padding) {
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
  const int64_t height = size[0], width = size[1];
  BRAID_CHECK(height > 0 && width > 0 && padding >= 0, ValueError, "random_crop",
              "size must be > 0 and padding >= 0; got size ({}, {}), padding {}", height, width,
              padding);
  return Transform([height, width, padding](const Tensor& in, DataRng& rng) {
    BRAID_CHECK(in.dim() == 2 || in.dim() == 3, ShapeError, "random_crop",
                "x must be (H, W) or (C, H, W); got {}", shape_str(in.shape()));
    Tensor x = in.contiguous();
    int64_t h = x.size(-2), w = x.size(-1), ph = h + 2 * padding, pw = w + 2 * padding;
    BRAID_CHECK(
        height <= ph && width <= pw, ShapeError, "random_crop",
        "the window ({}, {}) is larger than the padded image ({}, {}); got x {}, padding {}",
        height, width, ph, pw, shape_str(x.shape()), padding);
    // Offsets into the padded image; both are drawn even when one has no choice.
    int64_t oy = rng.randint(0, ph - height + 1) - padding;
    int64_t ox = rng.randint(0, pw - width + 1) - padding;
    Shape shape = x.shape();
    shape[shape.size() - 2] = height;
    shape[shape.size() - 1] = width;
    Tensor out = zeros(shape, x.dtype());
    size_t es = x.element_size();
    int64_t channels = x.dim() == 3 ? x.size(0) : 1;
    int64_t x0 = std::max<int64_t>(0, -ox), x1 = std::min<int64_t>(width, w - ox);
    auto* src = static_cast<const char*>(x.raw_data());
    auto* dst = static_cast<char*>(out.raw_data());
    for (int64_t c = 0; c < channels && x0 < x1; ++c)
      for (int64_t y = 0; y < height; ++y) {
        int64_t sy = y + oy;
        if (sy < 0 || sy >= h) continue;  // padding rows stay zero
        std::memcpy(dst + ((c * height + y) * width + x0) * es,
                    src + ((c * h + sy) * w + x0 + ox) * es, static_cast<size_t>(x1 - x0) * es);
      }
    return out;
  });
}

Transform random_horizontal_flip(double p) {
  BRAID_CHECK(p >= 0 && p <= 1, ValueError, "random_horizontal_flip", "p must be in [0, 1]; got {}",
              p);
  return Transform([p](const Tensor& x, DataRng& rng) {
    BRAID_CHECK(x.dim() >= 1, ShapeError, "random_horizontal_flip",
                "x must have a dim to flip; got {}", shape_str(x.shape()));
    return rng.uniform() < p ? flip(x, {-1}) : x;
  });
}

MappedDataset::MappedDataset(std::shared_ptr<const Dataset> base, Transform data, Transform target)
    : base_(std::move(base)) {
  BRAID_CHECK(base_ != nullptr, ValueError, "MappedDataset", "the base dataset is null");
  fn_ = [data = std::move(data), target = std::move(target)](const Example& e, DataRng& rng) {
    return Example{data(e.data, rng),
                   target && e.target.defined() ? target(e.target, rng) : e.target};
  };
}

MappedDataset::MappedDataset(std::shared_ptr<const Dataset> base, ExampleFn fn)
    : base_(std::move(base)), fn_(std::move(fn)) {
  BRAID_CHECK(base_ != nullptr, ValueError, "MappedDataset", "the base dataset is null");
  BRAID_CHECK(static_cast<bool>(fn_), ValueError, "MappedDataset", "the transform is empty");
}

Example MappedDataset::draw(int64_t i, const DrawContext& ctx) const {
  detail::check_index("MappedDataset", i, size());
  DataRng rng(ctx.seed, {static_cast<uint64_t>(ctx.epoch), static_cast<uint64_t>(i)});
  return fn_(base_->draw(i, ctx), rng);
}

}  // namespace braid::data
