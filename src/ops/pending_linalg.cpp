// TEMPORARY placeholders while the linalg family is written; replaced by src/ops/linalg.cpp.
#include "ops/common.hpp"
namespace braid::detail {
OpDef make_def_matmul() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[matmul] not implemented yet"); }; return d; }
OpDef make_def_linear() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[linear] not implemented yet"); }; return d; }
OpDef make_def_bmm() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[bmm] not implemented yet"); }; return d; }
OpDef make_def_outer() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[outer] not implemented yet"); }; return d; }
}
namespace braid {
Tensor matmul(const Tensor& a, const Tensor& b) { return detail::call1(OpId::matmul, {a, b}); }
}
