"""Parity cases for the norm family (src/ops/norm.cpp, src/ops/dropout_embedding.cpp)."""
from .common import *  # noqa: F401,F403

F = torch.nn.functional
# Normalisation sums over the batch: the accumulation tolerance of common.py.
ACC = {F32: (1e-5, 1e-5), F64: (1e-12, 1e-13), BF16: (8e-3, 1e-5)}


def bn_attrs(training, momentum=0.1, eps=1e-5):
    return {"training": ab(training), "momentum": af(momentum), "eps": af(eps)}


def var(*shape, dtype=F32):
    return uniform(0.5, 2.0, *shape, dtype=dtype)


# =========================== native_batch_norm ===========================
def native_bn(training, momentum, eps):
    """torch.native_batch_norm updates the running statistics in place and
    returns no statistics in eval; braid's returns them all (Note
    [functional batch norm])."""

    def fn(x, w, b, rm, rv):
        rm, rv = rm.clone(), rv.clone()
        y, mean, invstd = torch.native_batch_norm(x, w, b, rm, rv, training, momentum, eps)
        if not training:
            mean, invstd = rm.clone(), (rv.double() + eps).rsqrt().to(rv.dtype)
        return y, mean, invstd, rm, rv

    return fn


@op("native_batch_norm")
def _(name):
    def ins(shape, dtype=F32, x=None):
        c = shape[1]
        return [x or randn(*shape, dtype=dtype), randn(c, dtype=dtype), randn(c, dtype=dtype)] + [
            randn(c, dtype=dtype),
            var(c, dtype=dtype),
        ]

    out = []
    for nm, inputs, training, m, eps, dt in [
        ("train_f32_4d", ins((4, 3, 3, 3)), True, 0.1, 1e-5, F32),
        ("train_f64_2d", ins((8, 4), F64), True, 0.1, 1e-5, F64),
        ("train_sliced_3d", ins((6, 3, 4), x=randn(6, 3, 4).sliced()), True, 0.1, 1e-5, F32),
        ("train_5d_momentum", ins((2, 3, 2, 2, 2)), True, 0.3, 1e-3, F32),
        ("train_shifted_f64", ins((16, 2, 8), F64, x=randn(16, 2, 8, dtype=F64, shift=1000.0)), True, 0.1, 1e-5, F64),
        ("train_one_value_f64", ins((1, 3), F64), True, 0.1, 1e-5, F64),
        ("train_bf16", ins((4, 3, 6), BF16), True, 0.1, 1e-5, BF16),
        ("eval_f32_4d", ins((2, 3, 4, 4)), False, 0.1, 1e-5, F32),
        ("eval_f64_transposed", ins((2, 3, 4), F64, x=randn(2, 4, 3, dtype=F64).t()), False, 0.1, 1e-3, F64),
    ]:
        out.append(case(nm, inputs, native_bn(training, m, eps), bn_attrs(training, m, eps), tol=ACC[dt]))
    return out


@op("native_batch_norm_backward")
def _(name):
    """Inputs: grad_out, x, weight, save_mean, save_invstd, grad_shift, grad_scale.
    PyTorch's backward takes the running statistics in eval; with save_mean =
    running_mean and save_invstd = 1 / sqrt(running_var + eps) it is the same.
    The per-channel terms are zero here (PyTorch's op has none); norm_test
    checks them against braid's differentiable form."""

    def fn(training, eps):
        def f(gy, x, w, mean, invstd, shift, scale):
            rv = (1.0 / invstd.double() ** 2 - eps).to(x.dtype)
            rm, rv = (None, None) if training else (mean, rv)
            return torch.ops.aten.native_batch_norm_backward(
                gy, x, w, rm, rv, mean, invstd, training, eps, [True, True, True]
            )

        return f

    def ins(shape, dtype=F32, x=None):
        c = shape[1]
        return [randn(*shape, dtype=dtype), x or randn(*shape, dtype=dtype), randn(c, dtype=dtype),
                randn(c, dtype=dtype), uniform(0.5, 2.0, c, dtype=dtype),
                vals([0.0] * c, dtype=dtype), vals([0.0] * c, dtype=dtype)]

    out = []
    for nm, inputs, training, dt in [
        ("train_f32_4d", ins((4, 3, 3, 3)), True, F32),
        ("train_f64_2d", ins((8, 4), F64), True, F64),
        ("train_sliced_3d", ins((6, 3, 4), x=randn(6, 3, 4).sliced()), True, F32),
        ("eval_f32_3d", ins((3, 2, 6)), False, F32),
        ("eval_f64_4d", ins((2, 3, 2, 2), F64), False, F64),
    ]:
        out.append(case(nm, inputs, fn(training, 1e-5), {"training": ab(training)}, tol=ACC[dt]))
    return out


# =========================== batch_norm ===========================
@op("batch_norm")
def _(name):
    def ins(shape, stats=True, affine=True, dtype=F32, x=None):
        c = shape[1]
        return [
            x or randn(*shape, dtype=dtype),
            randn(c, dtype=dtype) if stats else UNDEF,
            var(c, dtype=dtype) if stats else UNDEF,
            randn(c, dtype=dtype) if affine else UNDEF,
            randn(c, dtype=dtype) if affine else UNDEF,
        ]

    out = []
    for nm, inputs, training, m, eps, dt in [
        ("train_f32_4d", ins((4, 3, 3, 3)), True, 0.1, 1e-5, F32),
        ("train_no_stats_3d", ins((5, 2, 7), stats=False), True, 0.1, 1e-5, F32),
        ("train_no_affine_2d_f64", ins((6, 4), affine=False, dtype=F64), True, 0.1, 1e-5, F64),
        ("train_5d", ins((2, 3, 2, 3, 2)), True, 0.2, 1e-4, F32),
        ("train_transposed", ins((3, 4, 5), x=randn(3, 5, 4).t()), True, 0.1, 1e-5, F32),
        ("train_empty_batch", ins((0, 3)), True, 0.1, 1e-5, F32),
        ("eval_f32_4d", ins((2, 3, 3, 3)), False, 0.1, 1e-5, F32),
        ("eval_no_affine_f64", ins((3, 2, 4), affine=False, dtype=F64), False, 0.1, 1e-5, F64),
    ]:
        fn = lambda x, rm, rv, w, b, t=training, m=m, eps=eps: F.batch_norm(x, rm, rv, w, b, t, m, eps)
        out.append(case(nm, inputs, fn, bn_attrs(training, m, eps), tol=ACC[dt]))
    return out


# =========================== layer_norm, group_norm ===========================
@op("layer_norm")
def _(name):
    out = []
    for nm, x, ns, affine, eps, dt in [
        ("f32_last", randn(4, 6), [6], True, 1e-5, F32),
        ("f64_two_dims", randn(2, 3, 4, dtype=F64), [3, 4], True, 1e-5, F64),
        ("no_affine_3d", randn(2, 5, 8), [8], False, 1e-5, F32),
        ("transposed", randn(5, 3).t(), [5], True, 1e-3, F32),
        ("shifted_f64", randn(3, 32, dtype=F64, shift=1000.0), [32], True, 1e-5, F64),
        ("1d", randn(7), [7], True, 1e-5, F32),
        ("bf16", randn(3, 8, dtype=BF16), [8], True, 1e-5, BF16),
    ]:
        shape = tuple(ns)
        w = randn(*shape, dtype=dt) if affine else UNDEF
        b = randn(*shape, dtype=dt) if affine else UNDEF
        fn = lambda x, w, b, ns=ns, eps=eps: F.layer_norm(x, ns, w, b, eps)
        if dt == BF16:
            # PyTorch 1.13's CPU kernel rounds intermediates to bfloat16 (3% off the
            # exact result here); braid computes in float32 and rounds once, so the
            # reference is the float64 result rounded once.
            fn = lambda x, w, b, ns=ns, eps=eps: F.layer_norm(x.double(), ns, w.double(), b.double(), eps).to(BF16)
        out.append(case(nm, [x, w, b], fn, {"normalized_shape": ais(ns), "eps": af(eps)}, tol=ACC[dt]))
    return out


@op("group_norm")
def _(name):
    out = []
    for nm, x, c, g, affine, eps, dt in [
        ("f32_4d", randn(2, 6, 3, 3), 6, 3, True, 1e-5, F32),
        ("f64_3d", randn(3, 4, 5, dtype=F64), 4, 2, True, 1e-5, F64),
        ("one_group", randn(2, 4, 5), 4, 1, True, 1e-5, F32),
        ("per_channel_no_affine", randn(2, 3, 4), 3, 3, False, 1e-3, F32),
        ("2d", randn(4, 6), 6, 2, True, 1e-5, F32),
        ("sliced", randn(4, 4, 3).sliced(), 4, 2, True, 1e-5, F32),
    ]:
        w = randn(c, dtype=dt) if affine else UNDEF
        b = randn(c, dtype=dt) if affine else UNDEF
        fn = lambda x, w, b, g=g, eps=eps: F.group_norm(x, g, w, b, eps)
        out.append(case(nm, [x, w, b], fn, {"num_groups": ai(g), "eps": af(eps)}, tol=ACC[dt]))
    return out


# =========================== instance_norm ===========================
@op("instance_norm")
def _(name):
    def ins(shape, stats, affine, dtype=F32):
        c = shape[1]
        return [
            randn(*shape, dtype=dtype),
            randn(c, dtype=dtype) if stats else UNDEF,
            var(c, dtype=dtype) if stats else UNDEF,
            randn(c, dtype=dtype) if affine else UNDEF,
            randn(c, dtype=dtype) if affine else UNDEF,
        ]

    out = []
    for nm, inputs, use, m, eps, dt in [
        ("f32_3d_affine", ins((2, 3, 6), False, True), True, 0.1, 1e-5, F32),
        ("f32_4d_stats", ins((3, 2, 3, 3), True, False), True, 0.1, 1e-5, F32),
        ("f64_running", ins((2, 3, 4), True, True, F64), False, 0.1, 1e-5, F64),
        ("f32_5d", ins((2, 2, 2, 2, 3), True, True), True, 0.3, 1e-4, F32),
    ]:
        fn = lambda x, rm, rv, w, b, u=use, m=m, eps=eps: F.instance_norm(x, rm, rv, w, b, u, m, eps)
        attrs = {"use_input_stats": ab(use), "momentum": af(m), "eps": af(eps)}
        out.append(case(nm, inputs, fn, attrs, tol=ACC[dt]))
    return out


# =========================== dropout, embedding, one_hot ===========================
@op("dropout")
def _(name):
    out = []
    for nm, x, p, training, chk in [
        ("train_shape", randn(4, 5), 0.5, True, "shape"),
        ("eval", randn(3, 4), 0.3, False, "values"),
        ("p0", randn(3, 4, dtype=F64), 0.0, True, "values"),
        ("p1", vals([[1.0, -2.0], [NAN, 3.0]]), 1.0, True, "values"),
    ]:
        fn = lambda x, p=p, t=training: F.dropout(x, p, t)
        out.append(case(nm, [x], fn, {"p": af(p), "training": ab(training)}, checks=[chk]))
    return out


@op("embedding")
def _(name):
    out = []
    for nm, w, idx, pad in [
        ("f32_2d", randn(6, 4), randint(0, 6, 2, 3), None),
        ("f64_1d_int32", randn(5, 3, dtype=F64), randint(0, 5, 4, dtype=I32), None),
        ("0d", randn(4, 2), vals(3, dtype=I64), None),
        ("padding_idx", randn(5, 3), vals([[0, 2], [2, 4]], dtype=I64), 2),
        ("negative_padding_idx", randn(5, 3), vals([4, 1, 4], dtype=I64), -1),
        ("transposed_weight", randn(3, 5).t(), randint(0, 5, 3, 2), None),
        ("empty", randn(4, 3), randint(0, 4, 0, 2), None),
    ]:
        fn = lambda w, i, pad=pad: F.embedding(i.long(), w, padding_idx=pad)
        attrs = {} if pad is None else {"padding_idx": ai(pad)}
        out.append(case(nm, [w, idx], fn, attrs))
    return out


@op("one_hot")
def _(name):
    out = []
    for nm, idx, k in [
        ("given_classes", randint(0, 4, 5), 4),
        ("inferred", vals([[0, 3], [1, 1]], dtype=I64), -1),
        ("int32_3d", randint(0, 3, 2, 2, 2, dtype=I32), 5),
        ("0d", vals(2, dtype=I64), 3),
        ("empty_given", randint(0, 3, 0), 3),
        ("sliced", randint(0, 6, 4, 3).sliced(), -1),
    ]:
        fn = lambda i, k=k: F.one_hot(i.long(), k)
        out.append(case(nm, [idx], fn, {"num_classes": ai(k)}))
    return out
