// TEMPORARY placeholders while the index family is written; replaced by src/ops/index.cpp.
#include "ops/common.hpp"
namespace braid::detail {
OpDef make_def_cat() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[cat] not implemented yet"); }; return d; }
OpDef make_def_stack() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[stack] not implemented yet"); }; return d; }
OpDef make_def_split() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[split] not implemented yet"); }; return d; }
OpDef make_def_chunk() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[chunk] not implemented yet"); }; return d; }
OpDef make_def_index_select() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[index_select] not implemented yet"); }; return d; }
OpDef make_def_index_add() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[index_add] not implemented yet"); }; return d; }
OpDef make_def_gather() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[gather] not implemented yet"); }; return d; }
OpDef make_def_scatter() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[scatter] not implemented yet"); }; return d; }
OpDef make_def_scatter_add() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[scatter_add] not implemented yet"); }; return d; }
OpDef make_def_take_along_dim() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[take_along_dim] not implemented yet"); }; return d; }
OpDef make_def_nonzero() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[nonzero] not implemented yet"); }; return d; }
OpDef make_def_topk() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[topk] not implemented yet"); }; return d; }
OpDef make_def_sort() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[sort] not implemented yet"); }; return d; }
OpDef make_def_argsort() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[argsort] not implemented yet"); }; return d; }
OpDef make_def_flip() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[flip] not implemented yet"); }; return d; }
OpDef make_def_roll() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[roll] not implemented yet"); }; return d; }
OpDef make_def_tril() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[tril] not implemented yet"); }; return d; }
OpDef make_def_triu() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[triu] not implemented yet"); }; return d; }
OpDef make_def_repeat() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[repeat] not implemented yet"); }; return d; }
OpDef make_def_tile() { OpDef d; d.kind = OpKind::Composite; d.composite = [](std::span<const Tensor>, const Attrs&) -> std::vector<Tensor> { throw Error("[tile] not implemented yet"); }; return d; }
}
