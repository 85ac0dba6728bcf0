#include "braid/ops/registry.hpp"

#include <array>

#include "ops/defs.hpp"

namespace braid {

namespace {
std::array<OpDef, kNumOps> build_table() {
  std::array<OpDef, kNumOps> t{};
  size_t i = 0;
#define BRAID_OP(op_name)              \
  t[i] = detail::make_def_##op_name(); \
  t[i].name = #op_name;                \
  ++i;
#include "braid/ops/op_list.def"
#undef BRAID_OP
  return t;
}
const std::array<OpDef, kNumOps>& table() {
  static const std::array<OpDef, kNumOps> t = build_table();
  return t;
}
}  // namespace

const OpDef& op_def(OpId id) { return table()[static_cast<size_t>(id)]; }
std::span<const OpDef> all_ops() { return table(); }

OpId op_id(std::string_view name) {
  const auto& t = table();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].name == name) return static_cast<OpId>(i);
  throw ValueError(fmt::format("[op] unknown op '{}'; `braid ops` lists them", name));
}

}  // namespace braid
