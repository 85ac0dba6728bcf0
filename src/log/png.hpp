#pragma once
// PNG encoding for SummaryWriter::add_image, through libpng's simplified API.
#include <cstdint>
#include <string>
#include <vector>

namespace braid::tensorboard::detail {

/// PNG bytes of an 8-bit image stored row-major with interleaved channels
/// (height, width, channels); channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
/// Throws IOError if libpng fails.
std::string encode_png(const std::vector<uint8_t>& hwc, int height, int width, int channels);

}  // namespace braid::tensorboard::detail
