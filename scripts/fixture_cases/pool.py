"""Parity cases for the pool family (src/ops/pool.cpp, src/ops/resize.cpp)."""
# Star import: the case files are written in the small vocabulary common.py defines.
from .common import *  # noqa: F401,F403
import torch.nn.functional as F

aten = torch.ops.aten


def pool_attrs(k, stride=(), padding=(0,), dilation=None, ceil=False, **extra):
    a = {"kernel_size": ais(k), "stride": ais(stride), "padding": ais(padding), "ceil_mode": ab(ceil)}
    if dilation is not None:
        a["dilation"] = ais(dilation)
    a.update(extra)
    return a


def torch_pair(v, default=None):
    v = list(v) if v else default
    return v * 2 if v is not None and len(v) == 1 else v


# (name, input, kernel, stride, padding, dilation, ceil_mode)
MAX_ROWS = [
    ("k2_f32", distinct(2, 3, 6, 6), [2], [], [0], [1], False),
    ("k3s2p1_f64", distinct(2, 2, 7, 7, dtype=F64), [3], [2], [1], [1], False),
    ("ceil_f32", distinct(1, 2, 5, 5), [2], [], [0], [1], True),
    ("ceil_pad", distinct(1, 2, 6, 6), [3], [2], [1], [1], True),
    ("ceil_drops_last", distinct(1, 2, 5, 5), [2], [2], [1], [1], True),
    ("dilation_rect", distinct(2, 2, 8, 7), [2, 3], [1, 2], [1, 1], [2, 1], False),
    ("dilation_ceil", distinct(1, 3, 9, 8), [3], [2], [1], [2], True),
    ("unbatched", distinct(3, 5, 4), [2, 2], [1, 1], [0], [1], False),
    ("rect_stride", distinct(2, 3, 7, 5), [3, 2], [2, 1], [1, 0], [1], False),
    ("transposed", distinct(2, 3, 6, 5).t(), [2], [], [0], [1], False),
    ("ties_first", randint(-2, 2, 2, 2, 6, 6, dtype=F32), [3], [1], [1], [1], False),
    (
        "nan_inf",
        vals([[[[1.0, NAN, 2.0, -INF], [NAN, 0.5, -INF, -INF], [3.0, 1.0, 4.0, NAN], [0.0, 7.0, -1.0, 2.0]]]]),
        [2],
        [1],
        [0],
        [1],
        False,
    ),
    ("empty_batch", randn(0, 2, 4, 4), [2], [], [0], [1], False),
    ("mnist", distinct(1, 2, 24, 24), [2], [2], [0], [1], False),
]


@op("max_pool2d")
def _(name):
    out = []
    for nm, x, k, s, p, d, ceil in MAX_ROWS:
        fn = lambda x, k=k, s=s, p=p, d=d, ceil=ceil: F.max_pool2d(
            x, torch_pair(k), torch_pair(s), torch_pair(p), torch_pair(d), ceil, return_indices=True
        )
        out.append(case(nm, [x], fn, pool_attrs(k, s, p, d, ceil)))
    return out


def pooled_max(shape, k, s=(), p=(0,), d=(1,), ceil=False):
    """(grad, indices) inputs for max_pool2d_backward: indices of a real max_pool2d."""

    def make_idx():
        x = torch.randperm(math.prod(shape), dtype=I64).to(F64).reshape(shape)
        return F.max_pool2d(x, torch_pair(k), torch_pair(s), torch_pair(p), torch_pair(d), ceil, return_indices=True)[1]

    return gen(make_idx)


@op("max_pool2d_backward")
def _(name):
    rows = [
        ("k2_f32", (2, 3, 6, 6), [2], [], [0], [1], F32),
        ("overlap_f64", (2, 2, 7, 7), [3], [1], [1], [1], F64),
        ("dilation_ceil_unbatched", (3, 9, 8), [3], [2], [1], [2], F32),
    ]
    out = []
    for nm, shape, k, s, p, d, dt in rows:
        idx = pooled_max(shape, k, s, p, d)
        oshape = F.max_pool2d(torch.zeros(shape), torch_pair(k), torch_pair(s), torch_pair(p), torch_pair(d)).shape
        fn = lambda g, i, shape=shape, k=k, s=s, p=p, d=d: aten.max_pool2d_with_indices_backward(
            g, torch.zeros(shape, dtype=g.dtype), torch_pair(k), torch_pair(s, torch_pair(k)), torch_pair(p), torch_pair(d), False, i
        )
        out.append(case(nm, [randn(*oshape, dtype=dt), idx], fn, {"input_size": ais(shape[-2:])}))
    return out


# (name, input, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_ROWS = [
    ("k2_f32", randn(2, 3, 6, 6), [2], [], [0], False, True, None),
    ("k3s2p1_incl_f64", randn(2, 2, 7, 7, dtype=F64), [3], [2], [1], False, True, None),
    ("k3s2p1_excl", randn(2, 2, 7, 7), [3], [2], [1], False, False, None),
    ("ceil_incl", randn(1, 2, 6, 6), [3], [2], [1], True, True, None),
    ("ceil_excl", randn(1, 2, 6, 6), [3], [2], [1], True, False, None),
    ("ceil_nopad", randn(1, 2, 5, 5), [2], [], [0], True, True, None),
    ("divisor", randn(2, 2, 5, 6), [3, 2], [1, 2], [1, 1], False, True, 5),
    ("divisor_neg_ceil", randn(1, 2, 5, 6), [2], [2], [1], True, False, -3),
    ("unbatched_rect", randn(3, 7, 5), [3, 2], [2, 1], [1, 0], False, True, None),
    ("transposed", randn(2, 3, 6, 5).t(), [2], [1], [0], False, True, None),
    ("i64", randint(-50, 50, 2, 2, 5, 5), [2], [2], [1], True, True, None),
    ("empty_batch", randn(0, 2, 4, 4), [2], [], [0], False, True, None),
]


def avg_attrs(k, s, p, ceil, incl, div):
    a = pool_attrs(k, s, p, None, ceil, count_include_pad=ab(incl))
    if div is not None:
        a["divisor_override"] = ai(div)
    return a


@op("avg_pool2d")
def _(name):
    out = []
    for nm, x, k, s, p, ceil, incl, div in AVG_ROWS:
        fn = lambda x, k=k, s=s, p=p, ceil=ceil, incl=incl, div=div: F.avg_pool2d(
            x, torch_pair(k), torch_pair(s), torch_pair(p), ceil, incl, div
        )
        out.append(case(nm, [x], fn, avg_attrs(k, s, p, ceil, incl, div)))
    return out


@op("avg_pool2d_backward")
def _(name):
    out = []
    for nm, x, k, s, p, ceil, incl, div in AVG_ROWS:
        if nm in ("i64", "transposed", "empty_batch"):
            continue
        shape = x.make().shape
        oshape = F.avg_pool2d(torch.zeros(shape), torch_pair(k), torch_pair(s), torch_pair(p), ceil, incl, div).shape
        dt = F64 if nm.endswith("f64") else F32
        fn = lambda g, shape=shape, k=k, s=s, p=p, ceil=ceil, incl=incl, div=div: aten.avg_pool2d_backward(
            g, torch.zeros(shape, dtype=g.dtype), torch_pair(k), torch_pair(s, []), torch_pair(p), ceil, incl, div
        )
        a = avg_attrs(k, s, p, ceil, incl, div)
        a["input_size"] = ais(shape[-2:])
        out.append(case(nm, [randn(*oshape, dtype=dt)], fn, a))
    return out


ADAPTIVE_ROWS = [
    ("down_f32", randn(2, 3, 7, 5), [3, 2]),
    ("one_int_f64", randn(2, 2, 9, 6, dtype=F64), [4]),
    ("global", randn(2, 3, 5, 4), [1]),
    ("same", randn(1, 2, 5, 5), [5, 5]),
    ("up", randn(1, 2, 3, 4), [7, 9]),
    ("unbatched", randn(3, 6, 6), [4, 3]),
    ("transposed", randn(2, 2, 6, 5).t(), [3]),
    ("empty_out", randn(2, 2, 4, 4), [0, 0]),
]


@op("adaptive_avg_pool2d")
def _(name):
    return [
        case(nm, [x], lambda x, o=o: F.adaptive_avg_pool2d(x, torch_pair(o)), {"output_size": ais(o)})
        for nm, x, o in ADAPTIVE_ROWS
    ]


@op("adaptive_avg_pool2d_backward")
def _(name):
    rows = [("down_f32", (2, 3, 7, 5), (3, 2), F32), ("up_f64", (1, 2, 3, 4), (7, 9), F64), ("unbatched", (3, 6, 6), (4, 3), F32)]
    return [
        case(
            nm,
            [randn(*shape[:-2], *o, dtype=dt)],
            lambda g, shape=shape: aten._adaptive_avg_pool2d_backward(g, torch.zeros(shape, dtype=g.dtype)),
            {"input_size": ais(shape[-2:])},
        )
        for nm, shape, o, dt in rows
    ]


@op("adaptive_max_pool2d")
def _(name):
    rows = [
        ("down_f32", distinct(2, 3, 7, 5), [3, 2]),
        ("f64", distinct(2, 2, 9, 6, dtype=F64), [4]),
        ("global", distinct(2, 3, 5, 4), [1]),
        ("up", distinct(1, 2, 3, 4), [7, 9]),
        ("unbatched", distinct(3, 6, 6), [4, 3]),
        ("transposed", distinct(2, 2, 6, 5).t(), [3]),
        ("ties", randint(-1, 2, 1, 2, 5, 5, dtype=F32), [2]),
        ("nan", vals([[[1.0, NAN, 2.0], [NAN, 5.0, -INF], [-INF, -INF, 0.0]]]), [2]),
    ]
    return [
        case(nm, [x], lambda x, o=o: F.adaptive_max_pool2d(x, torch_pair(o), return_indices=True), {"output_size": ais(o)})
        for nm, x, o in rows
    ]


# =========================== pad ===========================
@op("pad")
def _(name):
    rows = [
        ("const_last", randn(2, 3, 4, 5), [1, 2], "constant", 0),
        ("const_2d_value", randn(2, 3, 4, 5), [1, 1, 2, 0], "constant", 1.5),
        ("const_negative", randn(2, 3, 4, 5), [-1, 2, 0, -2], "constant", 0),
        ("const_crop_to_empty", randn(2, 5), [-3, -2], "constant", 0),
        ("const_all_dims_f64", randn(2, 3, 2, dtype=F64), [1, 0, 0, 1, 2, 1], "constant", -2.0),
        ("const_i64_value", randint(0, 9, 2, 4), [1, 1], "constant", 2.5),
        ("const_zero_pads", randn(3, 4), [0, 0], "constant", 0),
        ("const_transposed", randn(3, 4, 5).t(), [2, 1, 1, 2], "constant", 3.0),
        ("reflect_1d_batched", randn(2, 3, 5), [2, 4], "reflect", 0),
        ("reflect_1d_unbatched", randn(3, 5), [1, 3], "reflect", 0),
        ("reflect_2d", randn(2, 2, 4, 5), [3, 1, 2, 3], "reflect", 0),
        ("reflect_2d_unbatched_f64", randn(2, 4, 5, dtype=F64), [1, 1, 1, 1], "reflect", 0),
        ("reflect_3d", randn(1, 2, 3, 4, 5), [1, 2, 2, 1, 1, 2], "reflect", 0),
        ("reflect_negative", vals([[[0.0, 1.0, 2.0, 3.0, 4.0]]]), [-1, 2], "reflect", 0),
        ("reflect_negative_far", vals([[[0.0, 1.0, 2.0, 3.0, 4.0]]]), [-5, 4], "reflect", 0),
        ("replicate_1d", randn(2, 3, 4), [3, 1], "replicate", 0),
        ("replicate_2d", randn(2, 2, 3, 4), [2, 3, 4, 1], "replicate", 0),
        ("replicate_3d_unbatched", randn(2, 3, 2, 4), [1, 1, 2, 0, 0, 3], "replicate", 0),
        ("replicate_negative", randn(1, 2, 4, 5), [-2, 1, 1, -3], "replicate", 0),
        ("replicate_transposed", randn(2, 3, 4, 5).t(), [1, 2, 0, 1], "replicate", 0),
        ("reflect_zero_pads", randn(2, 3, 1), [0, 0], "reflect", 0),
    ]
    out = []
    for nm, x, pads, mode, value in rows:
        fn = lambda x, pads=pads, mode=mode, value=value: F.pad(x, pads, mode, value if mode == "constant" else None)
        out.append(case(nm, [x], fn, {"pad": ais(pads), "mode": astr(mode), "value": asc(value)}))
    return out


# =========================== interpolate ===========================
def interp_attrs(x_dim, size=None, scale=None, mode="nearest", align=None, recompute=None):
    a = {"mode": astr(mode)}
    if size is not None:
        a["size"] = ais(size)
    if scale is not None:
        a["scales_w"] = af(float(scale[-1]))
        if x_dim == 4:
            a["scales_h"] = af(float(scale[0]))
    if align is not None:
        a["align_corners"] = ab(align)
    if recompute is not None:
        a["recompute_scale_factor"] = ab(recompute)
    return a


@op("interpolate")
def _(name):
    rows = [
        # nearest
        ("nearest_size", randn(2, 3, 5, 4), [7, 3], None, "nearest", None, None),
        ("nearest_one_size", randn(1, 2, 4, 6), [5], None, "nearest", None, None),
        ("nearest_scale2", randn(1, 2, 3, 4), None, [2.0], "nearest", None, None),
        ("nearest_scale_odd", randn(1, 2, 7, 6), None, [1.7], "nearest", None, None),
        ("nearest_scale_pair", randn(1, 2, 6, 5), None, [0.5, 2.3], "nearest", None, None),
        ("nearest_scale_same_size", randn(1, 1, 5, 5), None, [1.1], "nearest", None, None),
        ("nearest_scale_doubles", randn(1, 1, 5, 5), None, [2.1], "nearest", None, None),
        ("nearest_scale_third", randn(1, 1, 7, 9), None, [0.34], "nearest", None, None),
        ("nearest_recompute", randn(1, 2, 7, 6), None, [1.7], "nearest", None, True),
        ("nearest_1d_size", randn(2, 3, 5), [8], None, "nearest", None, None),
        ("nearest_1d_scale_f64", randn(2, 3, 6, dtype=F64), None, [0.75], "nearest", None, None),
        ("nearest_transposed", randn(2, 3, 4, 5).t(), [6, 9], None, "nearest", None, None),
        # bilinear
        ("bilinear_size", randn(2, 3, 5, 4), [7, 3], None, "bilinear", None, None),
        ("bilinear_size_align", randn(2, 3, 5, 4), [7, 3], None, "bilinear", True, None),
        ("bilinear_scale", randn(1, 2, 4, 6), None, [1.5], "bilinear", False, None),
        ("bilinear_scale_align", randn(1, 2, 4, 6), None, [1.5], "bilinear", True, None),
        ("bilinear_scale_pair_down", randn(1, 2, 9, 7), None, [0.6, 2.3], "bilinear", None, None),
        ("bilinear_scale_same_size", randn(1, 1, 5, 5), None, [1.1], "bilinear", None, None),
        ("bilinear_recompute", randn(1, 2, 4, 6), None, [1.7], "bilinear", None, True),
        ("bilinear_f64", randn(2, 2, 5, 6, dtype=F64), [8, 4], None, "bilinear", None, None),
        ("bilinear_f64_align", randn(2, 2, 5, 6, dtype=F64), None, [1.3], "bilinear", True, None),
        ("bilinear_align_to_one", randn(1, 2, 4, 4), [1, 3], None, "bilinear", True, None),
        ("bilinear_from_one", randn(1, 2, 1, 3), [4, 5], None, "bilinear", True, None),
        ("bilinear_transposed", randn(2, 3, 4, 5).t(), [3, 8], None, "bilinear", None, None),
    ]
    out = []
    for nm, x, size, scale, mode, align, recompute in rows:
        nd = 3 if "1d" in nm else 4
        fn = lambda x, size=size, scale=scale, mode=mode, align=align, recompute=recompute: F.interpolate(
            x,
            size=None if size is None else (size[0] if len(size) == 1 else size),
            scale_factor=None if scale is None else (scale[0] if len(scale) == 1 else scale),
            mode=mode,
            align_corners=align,
            recompute_scale_factor=recompute,
        )
        out.append(case(nm, [x], fn, interp_attrs(nd, size, scale, mode, align, recompute)))
    return out
