#include "braid/nn/container.hpp"

namespace braid::nn {

Module& ModuleList::operator[](int64_t i) const {
  const int64_t n = int64_t(size());
  BRAID_CHECK(i >= -n && i < n, IndexError, "ModuleList", "index {} is out of range for {} modules",
              i, n);
  return *items_[size_t(i < 0 ? i + n : i)];
}

bool ModuleDict::contains(std::string_view key) const {
  for (const auto& [k, m] : items_)
    if (k == key) return true;
  return false;
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, m] : items_) out.push_back(k);
  return out;
}

}  // namespace braid::nn
