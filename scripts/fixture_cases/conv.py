"""Parity cases for the conv family (src/ops/conv.cpp, src/ops/conv_primitives.cpp).

The public ops against torch.nn.functional; the primitives against their
definitions: conv2d_forward is conv2d on an input padded (or cropped) to the
given top/left padding and output size, conv2d_input_grad and
conv2d_weight_grad are torch.nn.grad.conv2d_input / conv2d_weight where the
padding is symmetric, and the autograd gradients of conv2d_forward's
definition otherwise."""
import torch
import torch.nn.functional as F

from .common import *  # noqa: F401,F403

# Sums of up to ~150 products of size ~1, in another order than PyTorch's.
ACC = {F32: (1e-5, 2e-5), F64: (1e-12, 1e-12)}


def expand(v, fn=F.conv2d):
    """A size list as torch takes it: one value per spatial dim."""
    return tuple(v) * (2 if len(v) == 1 and fn is not F.conv1d else 1)


def conv_attrs(stride=(1,), padding=(0,), dilation=(1,), groups=1):
    pad = astr(padding) if isinstance(padding, str) else ais(padding)
    return {"stride": ais(stride), "padding": pad, "dilation": ais(dilation), "groups": ai(groups)}


def conv_case(name, fn, x, w, b, dtype=F32, **kw):
    """A case of conv1d/conv2d: the same settings as torch arguments and braid attrs."""
    targs = {k: (v if isinstance(v, str) else expand(v, fn)) for k, v in kw.items() if k != "groups"}
    groups = kw.get("groups", 1)
    return case(
        name,
        [x, w, b],
        lambda x, w, b: fn(x, w, b, groups=groups, **targs),
        conv_attrs(**kw),
        tol=ACC[dtype],
    )


@op("conv2d")
def _(name):
    f = F.conv2d
    return [
        conv_case("f32_3x3", f, randn(2, 3, 7, 6), randn(4, 3, 3, 3), randn(4)),
        conv_case(
            "f64_stride_padding",
            f,
            randn(2, 3, 8, 7, dtype=F64),
            randn(5, 3, 3, 3, dtype=F64),
            randn(5, dtype=F64),
            F64,
            stride=[2],
            padding=[1],
        ),
        conv_case(
            "pairs_dilation", f, randn(1, 2, 9, 9), randn(3, 2, 3, 2), randn(3), padding=[1, 2], dilation=[2, 1]
        ),
        conv_case("groups_no_bias", f, randn(1, 4, 6, 6), randn(6, 2, 3, 3), UNDEF, groups=2),
        conv_case("depthwise", f, randn(1, 4, 6, 6), randn(4, 1, 3, 3), randn(4), padding=[1], groups=4),
        conv_case("depthwise_x2_stride", f, randn(1, 3, 8, 8), randn(6, 1, 3, 3), randn(6), stride=[2], groups=3),
        conv_case("1x1", f, randn(2, 5, 4, 3), randn(7, 5, 1, 1), randn(7)),
        conv_case("same_odd", f, randn(2, 2, 5, 6), randn(3, 2, 3, 5), randn(3), padding="same"),
        conv_case(
            "same_even_dilated", f, randn(1, 2, 6, 7), randn(2, 2, 2, 4), UNDEF, padding="same", dilation=[2, 1]
        ),
        conv_case(
            "valid_stride_pair", f, randn(1, 2, 7, 6), randn(2, 2, 2, 3), randn(2), padding="valid", stride=[2, 1]
        ),
        conv_case("unbatched", f, randn(3, 6, 6), randn(2, 3, 3, 3), randn(2), padding=[1]),
        conv_case("transposed_x", f, randn(2, 3, 6, 5).t(), randn(4, 3, 3, 3).t(), randn(4)),
        conv_case("sliced_x", f, randn(2, 2, 5, 5).sliced(), randn(3, 2, 2, 2), randn(3), stride=[2]),
        conv_case("many_channels", f, randn(1, 12, 4, 4), randn(4, 12, 3, 3), randn(4)),
    ]


@op("conv1d")
def _(name):
    f = F.conv1d
    return [
        conv_case("f32", f, randn(2, 3, 10), randn(4, 3, 3), randn(4)),
        conv_case(
            "f64_all_settings",
            f,
            randn(2, 4, 11, dtype=F64),
            randn(6, 2, 4, dtype=F64),
            UNDEF,
            F64,
            stride=[2],
            padding=[2],
            dilation=[2],
            groups=2,
        ),
        conv_case("same_even", f, randn(1, 2, 7), randn(2, 2, 4), randn(2), padding="same"),
        conv_case("valid_unbatched", f, randn(2, 9), randn(5, 2, 1), randn(5), padding="valid"),
    ]


def transpose_case(name, x, w, b, dtype=F32, stride=(1,), padding=(0,), output_padding=(0,), groups=1, dilation=(1,)):
    return case(
        name,
        [x, w, b],
        lambda x, w, b: F.conv_transpose2d(
            x, w, b, expand(stride), expand(padding), expand(output_padding), groups, expand(dilation)
        ),
        {
            "stride": ais(stride),
            "padding": ais(padding),
            "output_padding": ais(output_padding),
            "groups": ai(groups),
            "dilation": ais(dilation),
        },
        tol=ACC[dtype],
    )


@op("conv_transpose2d")
def _(name):
    return [
        transpose_case("f32", randn(2, 3, 4, 5), randn(3, 2, 3, 3), randn(2)),
        transpose_case(
            "f64_stride_padding_output_padding",
            randn(1, 4, 3, 3, dtype=F64),
            randn(4, 3, 3, 2, dtype=F64),
            randn(3, dtype=F64),
            F64,
            stride=[2],
            padding=[1],
            output_padding=[1],
        ),
        transpose_case(
            "groups_pairs", randn(2, 4, 5, 4), randn(4, 1, 3, 3), UNDEF, stride=[2, 3], padding=[0, 1], groups=2
        ),
        transpose_case(
            "dilation_output_padding",
            randn(1, 2, 4, 4),
            randn(2, 2, 3, 3),
            randn(2),
            output_padding=[1],
            dilation=[2],
        ),
        transpose_case(
            "crop", randn(1, 2, 3, 4), randn(2, 3, 2, 2), randn(3), stride=[3], padding=[2], output_padding=[2, 0]
        ),
        transpose_case("unbatched", randn(3, 4, 4), randn(3, 2, 3, 3), randn(2), stride=[2]),
    ]


# =========================== primitives ===========================
def prim_attrs(stride, padding, dilation, groups, size_name, size):
    return {
        "stride": ais(stride),
        "padding": ais(padding),
        "dilation": ais(dilation),
        "groups": ai(groups),
        size_name: ais(size),
    }


def forward_def(x, w, b, stride, padding, dilation, groups, out):
    """conv2d_forward by definition: pad (or crop) x to the top/left padding
    and the far-side padding the output size implies, then convolve."""
    far = [
        (out[d] - 1) * stride[d] + (w.shape[2 + d] - 1) * dilation[d] + 1 - x.shape[2 + d] - padding[d] for d in (0, 1)
    ]
    xp = F.pad(x, (padding[1], far[1], padding[0], far[0]))
    return F.conv2d(xp, w, b, tuple(stride), 0, tuple(dilation), groups)


def grad_of(which, x_shape, w, gy, x, settings):
    """d<conv2d_forward(x, w), gy>/d(x or w) by autograd on the definition."""
    stride, padding, dilation, groups = settings
    x = (torch.zeros(x_shape, dtype=gy.dtype) if x is None else x).requires_grad_()
    w = (torch.zeros(w, dtype=gy.dtype) if isinstance(w, tuple) else w).requires_grad_()
    y = forward_def(x, w, None, stride, padding, dilation, groups, gy.shape[2:])
    return torch.autograd.grad(y, x if which == "x" else w, gy)[0]


# (name, x shape, weight shape, stride, padding, dilation, groups, output size, dtype)
PRIM_GEOMETRIES = [
    ("f32_plain", (2, 3, 6, 5), (4, 3, 3, 3), [1, 1], [0, 0], [1, 1], 1, [4, 3], F32),
    ("f64_strided_groups", (1, 4, 7, 6), (2, 2, 3, 2), [2, 2], [1, 1], [1, 2], 2, [4, 3], F64),
    ("f32_asymmetric_same", (1, 2, 5, 6), (3, 2, 2, 4), [1, 1], [0, 1], [1, 1], 1, [5, 6], F32),
    ("f64_crop", (1, 2, 6, 5), (2, 1, 2, 2), [3, 1], [1, 0], [1, 2], 2, [2, 3], F64),
]


def symmetric(x_shape, w_shape, stride, padding, dilation, out):
    """Whether the far-side padding equals the top/left one (torch.nn.grad's case)."""
    return all(
        (out[d] - 1) * stride[d] + (w_shape[2 + d] - 1) * dilation[d] + 1 - x_shape[2 + d] - padding[d] == padding[d]
        for d in (0, 1)
    )


def prim_cases(size_name, inputs, fn):
    """One case per PRIM_GEOMETRIES row. inputs(xs, ws, o, dt) gives the inputs and
    fn(xs, ws, o, st) the torch function, for x shape xs, weight shape ws, output size o,
    dtype dt and st = (stride, padding, dilation, groups)."""
    out = []
    for nm, xs, ws, s, p, d, g, o, dt in PRIM_GEOMETRIES:
        size = {"output_size": o, "input_size": xs[2:], "kernel_size": ws[2:]}[size_name]
        attrs = prim_attrs(s, p, d, g, size_name, size)
        out.append(case(nm, inputs(xs, ws, o, dt), fn(xs, ws, o, (s, p, d, g)), attrs, tol=ACC[dt]))
    return out


@op("conv2d_forward")
def _(name):
    return prim_cases(
        "output_size",
        lambda xs, ws, o, dt: [randn(*xs, dtype=dt), randn(*ws, dtype=dt), randn(ws[0], dtype=dt)],
        lambda xs, ws, o, st: lambda x, w, b: forward_def(x, w, b, *st, o),
    )


@op("conv2d_relu_forward")
def _(name):
    return prim_cases(
        "output_size",
        lambda xs, ws, o, dt: [randn(*xs, dtype=dt), randn(*ws, dtype=dt), randn(ws[0], dtype=dt)],
        lambda xs, ws, o, st: lambda x, w, b: torch.relu(forward_def(x, w, b, *st, o)),
    )


def input_grad_fn(xs, ws, o, st):
    def fn(gy, w):
        if symmetric(xs, ws, *st[:3], o):
            return torch.nn.grad.conv2d_input(xs, w, gy, *st)
        return grad_of("x", xs, w, gy, None, st)

    return fn


@op("conv2d_input_grad")
def _(name):
    return prim_cases(
        "input_size",
        lambda xs, ws, o, dt: [randn(xs[0], ws[0], *o, dtype=dt), randn(*ws, dtype=dt)],
        input_grad_fn,
    )


def weight_grad_fn(xs, ws, o, st):
    def fn(x, gy):
        if symmetric(xs, ws, *st[:3], o):
            return torch.nn.grad.conv2d_weight(x, ws, gy, *st)
        return grad_of("w", xs, tuple(ws), gy, x, st)

    return fn


@op("conv2d_weight_grad")
def _(name):
    return prim_cases(
        "kernel_size",
        lambda xs, ws, o, dt: [randn(*xs, dtype=dt), randn(xs[0], ws[0], *o, dtype=dt)],
        weight_grad_fn,
    )


@op("conv2d_backward")
def _(name):
    """The three gradients at once (output_mask all set): conv2d_input_grad's,
    conv2d_weight_grad's, and grad_y summed over N, H, W for the bias."""
    out = []
    for nm, xs, ws, s, p, d, g, o, dt in PRIM_GEOMETRIES:
        st = (s, p, d, g)

        def fn(x, gy, w, xs=xs, ws=ws, o=o, st=st):
            gx = input_grad_fn(xs, ws, o, st)(gy, w)
            gw = weight_grad_fn(xs, ws, o, st)(x, gy)
            return gx, gw, gy.sum((0, 2, 3))

        inputs = [randn(*xs, dtype=dt), randn(xs[0], ws[0], *o, dtype=dt), randn(*ws, dtype=dt)]
        out.append(case(nm, inputs, fn, prim_attrs(s, p, d, g, "output_mask", [1, 1, 1]), tol=ACC[dt]))
    # With y, the output of conv2d_relu_forward: grad_y masked as relu's backward.
    nm, xs, ws, s, p, d, g, o, dt = PRIM_GEOMETRIES[0]
    st = (s, p, d, g)

    def masked(x, gy, w, y):
        m = torch.ops.aten.threshold_backward(gy, y, 0)
        return input_grad_fn(xs, ws, o, st)(m, w), weight_grad_fn(xs, ws, o, st)(x, m), m.sum((0, 2, 3))

    inputs = [randn(*xs), randn(xs[0], ws[0], *o), randn(*ws), randn(xs[0], ws[0], *o)]
    out.append(case("relu_y", inputs, masked, prim_attrs(s, p, d, g, "output_mask", [1, 1, 1]), tol=ACC[F32]))
    return out


# -- Conv2d -> ReLU -> MaxPool2d(2) as one op (Note [conv + relu + pool]) ----------------
# (name, x shape, weight shape, stride, padding, dilation, groups, output size, dtype):
# 4 channels pooled to 2x1; 20 channels (two blocks of 16, the second padded) with an odd
# width the pool leaves out; strides, dilation and groups.
POOL_GEOMETRIES = [
    ("f32_plain", (2, 3, 6, 5), (4, 3, 3, 3), [1, 1], [0, 0], [1, 1], 1, [4, 3], F32),
    ("f64_c20_odd", (1, 2, 7, 8), (20, 2, 2, 2), [1, 1], [0, 0], [1, 1], 1, [6, 7], F64),
    ("f32_strided_groups", (1, 4, 9, 8), (2, 2, 3, 2), [2, 1], [1, 0], [1, 2], 2, [5, 6], F32),
]


def pool_codes(y):
    """conv2d_relu_maxpool_forward's codes for y = relu(conv): (N, ceil(C/16), PH, PW, 16)
    bytes, the window place of each maximum (0 top-left .. 3 bottom-right) plus 4 where
    the maximum is not > 0; padding channels 4."""
    n, c, h, w = y.shape
    p, idx = F.max_pool2d(y, 2, return_indices=True)
    code = (idx // w % 2) * 2 + idx % w % 2 + 4 * (p <= 0).to(I64)
    blocks = (c + 15) // 16
    out = torch.full((n, blocks * 16, h // 2, w // 2), 4, dtype=U8)
    out[:, :c] = code.to(U8)
    return out.reshape(n, blocks, 16, h // 2, w // 2).permute(0, 1, 3, 4, 2).contiguous()


def pool_forward(x, w, b, st, o):
    return F.max_pool2d(torch.relu(forward_def(x, w, b, *st, o)), 2)


def pool_operands(xs, ws, st, o, dt, seed):
    """x, w, b from their own generator, and the codes of their forward."""
    gen_ = torch.Generator().manual_seed(seed)
    x, w, b = (torch.randn(s, generator=gen_, dtype=F64).to(dt) for s in (xs, ws, (ws[0],)))
    return x, w, b, pool_codes(torch.relu(forward_def(x, w, b, *st, o)))


@op("conv2d_relu_maxpool_forward")
def _(name):
    out = []
    for nm, xs, ws, s, p, d, g, o, dt in POOL_GEOMETRIES:
        st = (s, p, d, g)

        def fn(x, w, b, st=st, o=o):
            y = torch.relu(forward_def(x, w, b, *st, o))
            return F.max_pool2d(y, 2), pool_codes(y)

        inputs = [randn(*xs, dtype=dt), randn(*ws, dtype=dt), randn(ws[0], dtype=dt)]
        out.append(case(nm, inputs, fn, prim_attrs(s, p, d, g, "output_size", o), tol=ACC[dt]))
    return out


@op("conv2d_relu_maxpool_backward")
def _(name):
    """The gradients of max_pool2d(relu(conv2d_forward(x, w, b)), 2) for the pooled
    gradient, by autograd; the codes come from that forward."""
    out = []
    for i, (nm, xs, ws, s, p, d, g, o, dt) in enumerate(POOL_GEOMETRIES):
        st = (s, p, d, g)
        x, w, b, codes = pool_operands(xs, ws, st, o, dt, 100 + i)

        def fn(x, gp, w, codes, b=b, st=st, o=o):
            x, w, b = (t.clone().requires_grad_() for t in (x, w, b))
            return torch.autograd.grad(pool_forward(x, w, b, st, o), (x, w, b), gp)

        attrs = prim_attrs(s, p, d, g, "output_size", o)
        attrs["output_mask"] = ais([1, 1, 1])
        inputs = [
            gen(lambda x=x: x),
            randn(xs[0], ws[0], o[0] // 2, o[1] // 2, dtype=dt),
            gen(lambda w=w: w),
            gen(lambda c=codes: c),
        ]
        out.append(case(nm, inputs, fn, attrs, tol=ACC[dt]))
    return out
