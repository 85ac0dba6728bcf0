"""Parity cases: reductions and linear algebra (src/ops/reduce*.cpp, linalg.cpp)."""
# Star import: the case files are written in the small vocabulary common.py defines.
from .common import *  # noqa: F401,F403


# =========================== reductions ===========================
def wrap_dims(dims, nd):
    return sorted({d % nd for d in dims}) if nd else []


def reduce_multi(fn1, x, dims, keepdim):
    """For torch reductions that take one dim (prod, all, any): reduce one by
    one; empty dims reduce every dim, as braid's `dims = {}` does."""
    ds = wrap_dims(dims, x.dim()) if dims else list(range(x.dim()))
    if x.dim() == 0:
        return fn1(x)
    for d in reversed(ds):
        x = fn1(x, d, keepdim=True)
    return x if keepdim else x.reshape([s for i, s in enumerate(x.shape) if i not in ds])


def all_dims(x, dims):
    return list(dims) if dims else list(range(x.dim()))


def dims_cases(fn, makes, extra=()):
    """Cases over (dims, keepdim) for ops with a `dims` list attribute."""
    out = []
    for nm, x, dims, keep in [
        ("all_f32", makes[0], [], False),
        ("dim1_f32", makes[0], [1], False),
        ("dims02_keep_f64", makes[1], [0, -1], True),
        ("neg_dim_t", makes[2], [-1], False),
        ("all_keep_f64", makes[1], [], True),
    ] + list(extra):
        out.append(
            case(nm, [x], lambda x, dims=dims, keep=keep: fn(x, dims, keep), {"dims": ais(dims), "keepdim": ab(keep)})
        )
    return out


def std_makes():
    return [randn(3, 4, 5), randn(2, 3, 4, dtype=F64), randn(4, 3).t()]


@op("sum", "mean", "amax", "amin", "logsumexp")
def _(name):
    tfn = {"sum": torch.sum, "mean": torch.mean, "amax": torch.amax, "amin": torch.amin, "logsumexp": torch.logsumexp}[
        name
    ]
    fn = lambda x, dims, keep: tfn(x, all_dims(x, dims), keepdim=keep)
    extra = [("0dim_f64", randn(dtype=F64), [], False), ("expanded", randn(3, 4).expanded(), [0], False)]
    if name in ("sum", "amax", "amin"):
        extra += [("i64", randint(-9, 9, 3, 4), [1], False), ("i32_all", randint(-9, 9, 3, 4, dtype=I32), [], False)]
    if name == "sum":
        extra += [
            ("bool", randbool(3, 4), [0], False),
            ("empty", randn(0, 3), [0], False),
            ("u8_all", randint(0, 255, 2, 5, dtype=U8), [], False),
        ]
    if name in ("sum", "mean", "amax"):
        extra += [
            ("bf16", randn(3, 4, dtype=BF16), [1], False),
            ("f16", randn(3, 4, dtype=F16), [], False),
            ("sliced_3d", randn(3, 2, 4).sliced(), [0, 2], False),
        ]
    if name == "mean":
        extra += [("empty", randn(0, 3), [0], False)]
    if name in ("amax", "amin", "logsumexp"):
        extra += [("f32_nan", vals([[1.0, NAN, 2.0], [3.0, -1.0, 0.5]]), [1], False)]
    if name == "logsumexp":
        extra += [
            ("i64", randint(-5, 5, 3, 4), [1], False),
            ("f32_large", vals([[1000.0, 1000.0, -1000.0], [-INF, -INF, 0.0]]), [1], False),
            ("f32_pos_inf", vals([[INF, 1.0], [INF, INF], [-INF, 2.0]]), [1], False),
            ("f32_all_neg_inf", vals([-INF, -INF]), [0], False),
        ]
    cases = dims_cases(fn, std_makes(), extra)
    if name == "sum":
        cases.append(
            case(
                "dtype_f64",
                [randn(3, 4)],
                lambda x: torch.sum(x, [1], dtype=F64),
                {"dims": ais([1]), "keepdim": ab(False), "dtype": astr("float64")},
            )
        )
    return cases


@op("prod", "all", "any")
def _(name):
    tfn = {"prod": torch.prod, "all": torch.all, "any": torch.any}[name]
    fn = lambda x, dims, keep: reduce_multi(tfn, x, dims, keep)
    if name == "prod":
        makes = [uniform(0.5, 1.5, 3, 4, 5), uniform(0.5, 1.5, 2, 3, 4, dtype=F64), uniform(-2, 2, 4, 3).t()]
        extra = [("i64", randint(-3, 4, 3, 4), [1], False), ("empty", randn(0, 3), [0], False)]
    else:
        spread = lambda *s, dtype=F32: gen(lambda: (torch.rand(s) < 0.8).to(dtype))
        makes = [spread(3, 4, 5), spread(2, 3, 4, dtype=F64), spread(4, 3).t()]
        extra = [
            ("bool", randbool(3, 4), [1], False),
            ("i64", randint(0, 3, 3, 4), [0], False),
            ("f32_nan", vals([NAN, 0.0, 1.0]), [], False),
            ("empty", randbool(0, 3), [0], False),
        ]
    return dims_cases(fn, makes, extra)


@op("var", "std")
def _(name):
    tfn = getattr(torch, name)
    out = []
    for nm, x, dims, corr, keep in [
        ("all_f32", randn(3, 4, 5), [], 1, False),
        ("dim1_f64", randn(3, 4, 5, dtype=F64), [1], 1, False),
        ("dims_pop_keep", randn(2, 3, 4), [0, 2], 0, True),
        ("t_f64", randn(4, 3, dtype=F64).t(), [-1], 1, False),
        ("corr2", randn(6, 5, dtype=F64), [0], 2, False),
        ("offset_f32", randn(3, 8, shift=1000.0), [1], 1, False),
        ("one_elem_nan", randn(3, 1, dtype=F64), [1], 1, False),
        ("sliced", randn(4, 3).sliced(), [0], 1, False),
        ("expanded", randn(3, 4).expanded(), [1], 1, False),
    ]:
        out.append(
            case(
                nm,
                [x],
                lambda x, dims=dims, corr=corr, keep=keep: tfn(x, dims or None, correction=corr, keepdim=keep),
                {"dims": ais(dims), "correction": ai(corr), "keepdim": ab(keep)},
            )
        )
    return out


@op("norm")
def _(name):
    out = []
    for nm, x, p, dims, keep in [
        ("p2_all_f32", randn(3, 4), 2.0, [], False),
        ("p1_dim1_f64", randn(3, 4, dtype=F64), 1.0, [1], False),
        ("inf_keep", randn(2, 3, 4), INF, [0, 2], True),
        ("p3_t", randn(4, 3, dtype=F64).t(), 3.0, [-1], False),
        ("p0.5_f32", randn(3, 4), 0.5, [0], False),
        ("neg_inf", randn(3, 4), -INF, [1], False),
        ("p2_zeros", vals([[0.0, 0.0], [3.0, 4.0]]), 2.0, [1], False),
        ("p0_counts", vals([[0.0, 2.0, -1.0], [0.0, 0.0, 0.5]]), 0.0, [1], False),
        ("p2_big_f32", vals([3e30, 4e30, 1e-30]), 2.0, [], False),
        ("p2_inf", vals([[INF, 1.0], [NAN, 1.0]]), 2.0, [1], False),
    ]:
        out.append(
            case(
                nm,
                [x],
                lambda x, p=p, dims=dims, keep=keep: torch.linalg.vector_norm(x, p, dims or None, keep),
                {"p": af(p), "dims": ais(dims), "keepdim": ab(keep)},
            )
        )
    return out


@op("softmax", "log_softmax", "cumsum")
def _(name):
    tfn = getattr(torch, name)
    cases = [
        case(nm, [x], lambda x, d=d: tfn(x, d), {"dim": ai(d)})
        for nm, x, d in [
            ("f32", randn(3, 5, scale=3), 1),
            ("f64_dim0", randn(3, 5, dtype=F64, scale=3), 0),
            ("f32_neg_dim3d", randn(2, 3, 4), -1),
            ("t", randn(5, 3).t(), 1),
            ("f32_0dim", randn(), 0),
            ("sliced", randn(4, 5).sliced(), 0),
            ("expanded", randn(3, 4).expanded(), 0),
        ]
    ]
    if name == "cumsum":
        cases += [
            case("i32", [randint(-5, 5, 3, 4, dtype=I32)], lambda x: torch.cumsum(x, 1), {"dim": ai(1)}),
            case("bool", [randbool(6)], lambda x: torch.cumsum(x, 0), {"dim": ai(0)}),
        ]
    else:
        cases += [
            case(
                "f32_large", [vals([[1000.0, 999.0, -1000.0], [-INF, 0.0, 1.0]])], lambda x: tfn(x, 1), {"dim": ai(1)}
            ),
            case("f32_pos_inf", [vals([[INF, 1.0], [INF, INF]])], lambda x: tfn(x, 1), {"dim": ai(1)}),
        ]
    return cases


@op("max", "min")
def _(name):
    tfn = getattr(torch, name)
    cases = [
        case(nm, [x], lambda x, d=d, k=k: tuple(tfn(x, d, k)), {"dim": ai(d), "keepdim": ab(k)})
        for nm, x, d, k in [
            ("f32", distinct(3, 5), 1, False),
            ("f64_dim0_keep", distinct(3, 5, dtype=F64), 0, True),
            ("neg_dim_3d", distinct(2, 3, 4), -1, False),
            ("t", distinct(5, 3).t(), 0, False),
            ("i64", distinct(4, 6, dtype=I64), 1, False),
            ("expanded", distinct(3, 5).expanded(), 1, False),
            ("bool_ties", vals([[True, False, True], [False, False, False]], B), 1, True),
        ]
    ]
    # Ties: PyTorch returns the first; braid documents the same.
    cases.append(
        case(
            "ties_first",
            [vals([[1.0, 3.0, 3.0, 0.0], [5.0, 5.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])],
            lambda x: tuple(tfn(x, 1)),
            {"dim": ai(1), "keepdim": ab(False)},
        )
    )
    cases.append(
        case(
            "nan",
            [vals([[1.0, NAN, 3.0, NAN], [2.0, 1.0, 0.0, -1.0]])],
            lambda x: tuple(tfn(x, 1)),
            {"dim": ai(1), "keepdim": ab(False)},
        )
    )
    return cases


@op("argmax", "argmin")
def _(name):
    tfn = getattr(torch, name)
    cases = []
    for nm, x, d, k in [
        ("f32_all", distinct(3, 5), None, False),
        ("f32_dim1", distinct(3, 5), 1, False),
        ("f64_dim0_keep", distinct(3, 5, dtype=F64), 0, True),
        ("t", distinct(5, 3).t(), -1, False),
        ("i32", distinct(4, 6, dtype=I32), 1, False),
        ("0dim", randn(), None, False),
        ("all_keep", distinct(3, 2), None, True),
        ("ties_first", vals([[2.0, 7.0, 7.0], [1.0, 1.0, 1.0]]), 1, False),
        ("nan", vals([[1.0, NAN, 3.0, NAN], [2.0, 1.0, 0.0, -1.0]]), 1, False),
    ]:
        attrs = {"keepdim": ab(k)}
        if d is not None:
            attrs["dim"] = ai(d)
        cases.append(case(nm, [x], lambda x, d=d, k=k: tfn(x, d, k), attrs))
    return cases


# =========================== linear algebra ===========================
@op("matmul")
def _(name):
    mm = torch.matmul
    return [
        case(nm, [a, b], mm)
        for nm, a, b in [
            ("2d_f32", randn(3, 8), randn(8, 5)),
            ("2d_f64", randn(4, 7, dtype=F64), randn(7, 3, dtype=F64)),
            ("1d_2d", randn(6), randn(6, 4)),
            ("2d_1d", randn(3, 6), randn(6)),
            ("1d_1d", randn(9, dtype=F64), randn(9, dtype=F64)),
            ("batched", randn(2, 3, 5), randn(2, 5, 4)),
            ("bcast_batch", randn(2, 1, 3, 4), randn(3, 4, 2)),
            ("batch_2d", randn(2, 3, 4, dtype=F64), randn(4, 5, dtype=F64)),
            ("1d_batched", randn(4), randn(2, 4, 3)),
            ("t_a", randn(8, 3).t(), randn(8, 5)),
            ("expanded_a", randn(3, 8).expanded(), randn(8, 2)),
            ("sliced_b_f64", randn(3, 5, dtype=F64), randn(5, 4, dtype=F64).sliced()),
            ("t_b", randn(4, 8), randn(5, 8).t()),
            ("k16_f32", randn(5, 16), randn(16, 6)),
            ("k40_f32", randn(4, 40), randn(40, 3)),
            ("k40_f64", randn(3, 40, dtype=F64), randn(40, 3, dtype=F64)),
            ("i64", randint(-5, 5, 3, 4), randint(-5, 5, 4, 2)),
            ("empty_k", randn(3, 0), randn(0, 4)),
        ]
    ]


@op("linear")
def _(name):
    F = torch.nn.functional
    return [
        case(nm, ins, lambda x, w, b: F.linear(x, w, b))
        for nm, ins in [
            ("f32", [randn(4, 8), randn(5, 8), randn(5)]),
            ("f64_3d", [randn(2, 3, 6, dtype=F64), randn(4, 6, dtype=F64), randn(4, dtype=F64)]),
            ("no_bias", [randn(3, 8), randn(5, 8), UNDEF]),
            ("1d_x", [randn(8), randn(3, 8), randn(3)]),
            ("t_weight", [randn(4, 6), randn(6, 5).t(), randn(5)]),
            ("i64", [randint(-5, 5, 2, 3), randint(-5, 5, 4, 3), randint(-5, 5, 4)]),
        ]
    ]


@op("linear_forward")
def _(name):
    F = torch.nn.functional
    return [
        case(nm, ins, lambda x, w, b: F.linear(x, w, b), tol=TOL_ACCUM[F32])  # k up to 784
        for nm, ins in [
            ("f32", [randn(4, 8), randn(5, 8), randn(5)]),
            ("f64", [randn(3, 6, dtype=F64), randn(4, 6, dtype=F64), randn(4, dtype=F64)]),
            ("mnist_fc1", [randn(64, 784), randn(128, 784, scale=0.05), randn(128)]),
            ("t_weight", [randn(4, 6), randn(6, 5).t(), randn(5)]),
        ]
    ]


@op("bmm")
def _(name):
    return [
        case(nm, [a, b], torch.bmm)
        for nm, a, b in [
            ("f32", randn(2, 3, 8), randn(2, 8, 4)),
            ("f64", randn(3, 2, 5, dtype=F64), randn(3, 5, 4, dtype=F64)),
            ("t", randn(2, 8, 3).t(), randn(2, 8, 4)),
            ("i64", randint(-5, 5, 2, 3, 4), randint(-5, 5, 2, 4, 2)),
        ]
    ]


@op("outer")
def _(name):
    return [
        case(nm, [a, b], torch.outer)
        for nm, a, b in [
            ("f32", randn(3), randn(4)),
            ("f64", randn(5, dtype=F64), randn(2, dtype=F64)),
            ("i64", randint(-5, 5, 3), randint(-5, 5, 4)),
            ("i64_f32", randint(-5, 5, 3), randn(2)),
        ]
    ]
