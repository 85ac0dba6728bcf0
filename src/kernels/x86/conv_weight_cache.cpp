// See conv_weight_cache.hpp and Note [cached weight reorders].
#include "kernels/x86/conv_weight_cache.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

namespace braid::kernels {
namespace {

struct Cached {
  const Storage* storage;  // identity only; `alive` says whether it still exists
  std::weak_ptr<Storage> alive;
  const float* data;
  uint32_t version;
  dnnl::memory::desc inner;
  Tensor copy;
};

// A few weights per convolution layer: a model's worth. Oldest out first.
constexpr size_t kMaxCached = 64;

std::mutex& cache_mutex() {
  static std::mutex m;
  return m;
}
std::vector<Cached>& cache() {
  static std::vector<Cached> c;
  return c;
}

Tensor reorder_now(const dnnl::engine& engine, dnnl::stream& stream, const dnnl::reorder& convert,
                   const dnnl::memory::desc& user_desc, const dnnl::memory::desc& inner,
                   const float* user) {
  Tensor out =
      empty({static_cast<int64_t>((inner.get_size() + sizeof(float) - 1) / sizeof(float))});
  dnnl::memory src(user_desc, engine, const_cast<float*>(user));  // read only
  dnnl::memory dst(inner, engine, out.raw_data());
  convert.execute(stream, src, dst);
  stream.wait();
  return out;
}

}  // namespace

Tensor weights_in_layout(const dnnl::engine& engine, dnnl::stream& stream,
                         const dnnl::reorder& convert, const dnnl::memory::desc& user_desc,
                         const dnnl::memory::desc& inner, const float* user, const Tensor* owner) {
  if (!owner) return reorder_now(engine, stream, convert, user_desc, inner, user);
  const Storage* storage = owner->storage().get();
  const uint32_t version = owner->version();
  auto matches = [&](const Cached& c) {
    return c.storage == storage && c.data == user && c.inner == inner;
  };
  {
    std::lock_guard<std::mutex> lock(cache_mutex());
    auto& c = cache();
    auto it = std::find_if(c.begin(), c.end(), matches);
    // The same address may belong to a new storage: `alive` must be this one.
    if (it != c.end() && it->version == version && it->alive.lock().get() == storage)
      return it->copy;
  }
  Tensor copy = reorder_now(engine, stream, convert, user_desc, inner, user);
  std::lock_guard<std::mutex> lock(cache_mutex());
  auto& c = cache();
  std::erase_if(c, [&](const Cached& e) { return matches(e) || e.alive.expired(); });
  if (c.size() >= kMaxCached) c.erase(c.begin());
  c.push_back({storage, owner->storage(), user, version, inner, copy});
  return copy;
}

size_t cached_weight_count() {
  std::lock_guard<std::mutex> lock(cache_mutex());
  return cache().size();
}

}  // namespace braid::kernels
