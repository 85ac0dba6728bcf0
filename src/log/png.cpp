// PNG encoding (see png.hpp).
#include "log/png.hpp"

#include <png.h>

#include "braid/core/error.hpp"

namespace braid::tensorboard::detail {

std::string encode_png(const std::vector<uint8_t>& hwc, int height, int width, int channels) {
  BRAID_ASSERT(channels >= 1 && channels <= 4);
  BRAID_ASSERT(hwc.size() == size_t(height) * size_t(width) * size_t(channels));
  static constexpr png_uint_32 kFormats[] = {PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB,
                                             PNG_FORMAT_RGBA};
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = kFormats[channels - 1];
  const png_int_32 stride = width * channels;
  // First call sizes the output, second writes it (libpng's documented idiom).
  png_alloc_size_t size = 0;
  bool ok = png_image_write_to_memory(&image, nullptr, &size, 0, hwc.data(), stride, nullptr);
  std::string out(size, '\0');
  ok = ok && png_image_write_to_memory(&image, out.data(), &size, 0, hwc.data(), stride, nullptr);
  const std::string why = image.message;
  png_image_free(&image);
  BRAID_CHECK(ok, IOError, "SummaryWriter.add_image", "PNG encoding of a {}x{}x{} image failed: {}",
              height, width, channels, why);
  out.resize(size);
  return out;
}

}  // namespace braid::tensorboard::detail
