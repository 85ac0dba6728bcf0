// libFuzzer target: runtime::from_json on arbitrary text, once with no
// constants and once with a few (so that files naming them get past the
// constant lookup). A graph that loads must validate, print, and survive
// to_json -> from_json -> to_json unchanged. Bad text must end in a braid
// error (from_json promises ValueError; any braid::Error counts as clear
// here); a crash, a sanitizer report, another exception type (a raw
// nlohmann or std exception) is a finding.
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "braid/ops/ops.hpp"
#include "braid/runtime/graph.hpp"

namespace {

using Constants = std::vector<std::pair<std::string, braid::Tensor>>;

// The names the seed corpus gives its constants (fuzz/make_corpus.cpp).
const Constants& some_constants() {
  static const Constants c = {{"fc.weight", braid::ones({3, 4})},
                              {"fc.bias", braid::zeros({3})},
                              {"scale", braid::full({1}, 2.0)},
                              {"idx", braid::tensor({0, 2}, braid::DType::Int64)}};
  return c;
}

void load(std::string_view text, const Constants& constants) {
  braid::runtime::Graph g;
  try {
    g = braid::runtime::from_json(text, constants);
  } catch (const braid::Error&) {
    return;
  }
  // Accepted: from here on nothing may throw.
  braid::runtime::validate(g);
  (void)g.str();
  const std::string once = braid::runtime::to_json(g);
  Constants kept;
  for (int id : g.constants()) kept.emplace_back(g.values[id].name, g.values[id].data);
  const std::string twice = braid::runtime::to_json(braid::runtime::from_json(once, kept));
  if (once != twice) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  load(text, {});
  load(text, some_constants());
  return 0;
}
