#pragma once
// Helpers shared by braid_data's sources (not installed).
#include <cstdint>
#include <string_view>

#include "braid/core/error.hpp"

namespace braid::data::detail {

inline void check_index(std::string_view op, int64_t i, int64_t size) {
  BRAID_CHECK(i >= 0 && i < size, IndexError, op,
              "index {} is out of range for a dataset of size {}", i, size);
}

}  // namespace braid::data::detail
