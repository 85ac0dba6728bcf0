// TEMPORARY placeholders while the reduce family is written; replaced by src/ops/reduce.cpp.
#include "ops/common.hpp"
namespace braid::detail {
OpDef make_def_sum() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[sum] not implemented yet"); }; return d; }
OpDef make_def_mean() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[mean] not implemented yet"); }; return d; }
OpDef make_def_prod() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[prod] not implemented yet"); }; return d; }
OpDef make_def_amax() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[amax] not implemented yet"); }; return d; }
OpDef make_def_amin() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[amin] not implemented yet"); }; return d; }
OpDef make_def_max() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[max] not implemented yet"); }; return d; }
OpDef make_def_min() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[min] not implemented yet"); }; return d; }
OpDef make_def_argmax() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[argmax] not implemented yet"); }; return d; }
OpDef make_def_argmin() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[argmin] not implemented yet"); }; return d; }
OpDef make_def_var() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[var] not implemented yet"); }; return d; }
OpDef make_def_std() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[std] not implemented yet"); }; return d; }
OpDef make_def_norm() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[norm] not implemented yet"); }; return d; }
OpDef make_def_logsumexp() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[logsumexp] not implemented yet"); }; return d; }
OpDef make_def_softmax() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[softmax] not implemented yet"); }; return d; }
OpDef make_def_log_softmax() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[log_softmax] not implemented yet"); }; return d; }
OpDef make_def_cumsum() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[cumsum] not implemented yet"); }; return d; }
OpDef make_def_all() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[all] not implemented yet"); }; return d; }
OpDef make_def_any() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[any] not implemented yet"); }; return d; }
}
namespace braid {
Tensor sum(const Tensor& x, std::vector<int64_t>, bool, std::optional<DType>) { return detail::call1(OpId::sum, {x}); }
Tensor mean(const Tensor& x, std::vector<int64_t>, bool) { return detail::call1(OpId::mean, {x}); }
Tensor argmax(const Tensor& x, std::optional<int64_t>, bool) { return detail::call1(OpId::argmax, {x}); }
}
