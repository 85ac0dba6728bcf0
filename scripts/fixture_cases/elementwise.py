"""Parity cases: copy and cast, unary, binary (src/ops/copy.cpp, unary.cpp, binary.cpp)."""
# Star import: the case files are written in the small vocabulary common.py defines.
from .common import *  # noqa: F401,F403


# =========================== copy and cast ===========================
@op("to")
def _(name):
    def to(dst):
        return lambda x: x.to(dst)

    cases = []
    for src, dst, make in [
        (F32, F64, randn(3, 4)),
        (F64, F32, randn(3, 4, dtype=F64)),
        (F32, I32, randn(2, 5, scale=10)),
        (F64, I64, randn(2, 5, dtype=F64, scale=100)),
        (F32, F16, randn(3, 4, scale=3)),
        (F32, BF16, randn(3, 4, scale=3)),
        (F16, F32, randn(3, 4, dtype=F16)),
        (BF16, F64, randn(3, 4, dtype=BF16)),
        (I64, F32, randint(-1000, 1000, 2, 5)),
        (I32, I64, randint(-1000, 1000, 2, 5, dtype=I32)),
        (I64, U8, randint(0, 256, 2, 5)),
        (F32, B, vals([0.0, -0.0, 0.5, -2.0, NAN, INF])),
        (B, F32, randbool(2, 3)),
        (I64, B, randint(-2, 3, 2, 5)),
        (F32, I8, uniform(-100, 100, 2, 5)),
        (U8, I32, randint(0, 256, 6, dtype=U8)),
    ]:
        cases.append(
            case(f"{DTYPE_NAMES[src]}_to_{DTYPE_NAMES[dst]}", [make], to(dst), {"dtype": astr(DTYPE_NAMES[dst])})
        )
    cases.append(case("f32_to_f64_t", [randn(3, 4).t()], to(F64), {"dtype": astr("float64")}))
    cases.append(case("f64_to_f32_expanded", [randn(3, 4, dtype=F64).expanded()], to(F32), {"dtype": astr("float32")}))
    cases.append(
        case(
            "specials_to_f16",
            [vals([65504.0, 65520.0, 1e-8, 6e-5, -INF, NAN, 0.1])],
            to(F16),
            {"dtype": astr("float16")},
        )
    )
    cases.append(
        case(
            "specials_to_bf16",
            [vals([3.4e38, 1e-40, 1.00390625, 1.01171875, -INF, NAN])],
            to(BF16),
            {"dtype": astr("bfloat16")},
        )
    )
    return cases


@op("clone", "contiguous")
def _(name):
    fn = getattr(torch.Tensor, name)
    return [
        case("f32", [randn(3, 4)], fn),
        case("f64_t", [randn(3, 4, dtype=F64).t()], fn),
        case("i64_sliced", [randint(-9, 9, 3, 2).sliced()], fn),
        case("bool_t", [randbool(2, 3).t()], fn),
        case("bf16_t", [randn(2, 3, dtype=BF16).t()], fn),
        case("f32_expanded", [randn(3, 4).expanded()], fn),
    ]


# =========================== unary ===========================
SPECIALS = [0.0, -0.0, 1e-30, -1e-30, 30.0, -30.0, INF, -INF, NAN]
# op: (torch fn, input domain (lo, hi), takes integer inputs, extra specials)
UNARY = {
    "neg": (torch.neg, (-3, 3), True),
    "abs": (torch.abs, (-3, 3), True),
    "sign": (torch.sign, (-3, 3), True),
    "exp": (torch.exp, (-5, 5), True),
    "log": (torch.log, (0.01, 10), True),
    "log1p": (torch.log1p, (-0.99, 10), True),
    "expm1": (torch.expm1, (-5, 5), True),
    "sqrt": (torch.sqrt, (0, 10), True),
    "rsqrt": (torch.rsqrt, (0.01, 10), True),
    "square": (torch.square, (-3, 3), True),
    "sin": (torch.sin, (-7, 7), True),
    "cos": (torch.cos, (-7, 7), True),
    "tanh": (torch.tanh, (-4, 4), True),
    "sigmoid": (torch.sigmoid, (-8, 8), True),
    "relu": (torch.relu, (-3, 3), True),
    "silu": (torch.nn.functional.silu, (-6, 6), False),
    "erf": (torch.erf, (-3, 3), True),
    "reciprocal": (torch.reciprocal, (0.1, 5), True),
}


# Ops that compute in float (ints and bools promote to float32).
FLOAT_DOMAIN = {"exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "erf", "reciprocal"}


@op(*UNARY)
def _(name):
    fn, (lo, hi), ints = UNARY[name]
    cases = [
        case("f32", [uniform(lo, hi, 3, 5)], fn),
        case("f64", [uniform(lo, hi, 3, 5, dtype=F64)], fn),
        case("f32_t", [uniform(lo, hi, 4, 3).t()], fn),
        case("f64_0dim", [uniform(lo, hi, dtype=F64)], fn),
        case("f32_specials", [vals(SPECIALS)], fn),
        case("f64_specials", [vals(SPECIALS, F64)], fn),
        case("bf16", [uniform(lo, hi, 2, 4, dtype=BF16)], fn),
        case("f32_expanded", [uniform(lo, hi, 3, 4).expanded()], fn),
        case("f64_sliced", [uniform(lo, hi, 3, 2, dtype=F64).sliced()], fn),
    ]
    if lo < 0 and name not in ("log1p",):
        cases.append(case("f32_negative_half", [uniform(lo, 0, 2, 3)], fn))
    if name in FLOAT_DOMAIN:  # bool computes in float32, as ints do
        cases.append(case("bool", [randbool(2, 3)], fn))
    if ints:
        ilo, ihi = max(int(lo), 1 if lo > 0 else int(lo)), max(int(hi), 2)
        cases.append(case("i64", [randint(ilo, ihi + 1, 2, 5)], fn))
        cases.append(case("i32", [randint(ilo, ihi + 1, 7, dtype=I32)], fn))
    return cases


@op("leaky_relu", "elu")
def _(name):
    key = "negative_slope" if name == "leaky_relu" else "alpha"
    F = torch.nn.functional
    fn = (lambda p: (lambda x: F.leaky_relu(x, p))) if name == "leaky_relu" else (lambda p: (lambda x: F.elu(x, p)))
    default = 0.01 if name == "leaky_relu" else 1.0
    return [
        case("f32", [randn(3, 5)], fn(default), {key: af(default)}),
        case("f64_p", [randn(3, 5, dtype=F64)], fn(0.3), {key: af(0.3)}),
        case("f32_t", [randn(4, 3).t()], fn(2.0), {key: af(2.0)}),
        case("f32_specials", [vals(SPECIALS)], fn(default), {key: af(default)}),
    ]


@op("gelu")
def _(name):
    F = torch.nn.functional
    return [
        case(
            f"{ap}_{DTYPE_NAMES[dt]}",
            [randn(3, 5, dtype=dt, scale=2)],
            lambda x, ap=ap: F.gelu(x, approximate=ap),
            {"approximate": astr(ap)},
        )
        for ap in ("none", "tanh")
        for dt in (F32, F64)
    ] + [
        case("none_specials", [vals(SPECIALS)], lambda x: F.gelu(x), {"approximate": astr("none")}),
        case("tanh_t", [randn(4, 3).t()], lambda x: F.gelu(x, approximate="tanh"), {"approximate": astr("tanh")}),
    ]


@op("softplus")
def _(name):
    F = torch.nn.functional

    def sp(b, t):
        return lambda x: F.softplus(x, b, t)

    return [
        case("f32", [randn(3, 5, scale=3)], sp(1.0, 20.0), {"beta": af(1.0), "threshold": af(20.0)}),
        case("f64_beta", [randn(3, 5, dtype=F64, scale=3)], sp(2.0, 3.0), {"beta": af(2.0), "threshold": af(3.0)}),
        case(
            "f32_past_threshold",
            [vals([-30.0, 19.0, 21.0, 50.0, 100.0])],
            sp(1.0, 20.0),
            {"beta": af(1.0), "threshold": af(20.0)},
        ),
    ]


@op("clamp")
def _(name):
    def cl(lo, hi):
        return lambda x: torch.clamp(x, lo, hi)

    def at(lo, hi):
        a = {}
        if lo is not None:
            a["min"] = asc(lo)
        if hi is not None:
            a["max"] = asc(hi)
        return a

    cases = []
    for nm, x, lo, hi in [
        ("f32", randn(3, 5), -0.5, 0.5),
        ("f64_min", randn(3, 5, dtype=F64), 0.0, None),
        ("f32_max", randn(3, 5), None, 0.25),
        ("f32_t", randn(4, 3).t(), -1.0, 1.0),
        ("i64", randint(-10, 10, 2, 6), -3, 4),
        ("i32_min", randint(-10, 10, 8, dtype=I32), 0, None),
        ("f32_nan", vals([NAN, -1.0, 2.0]), 0.0, 1.0),
        ("f32_min_gt_max", vals([-2.0, 0.5, 3.0]), 1.0, 0.0),
        ("i64_float_bounds", randint(-10, 10, 2, 5), -2.5, 3.5),
    ]:
        cases.append(case(nm, [x], cl(lo, hi), at(lo, hi)))
    return cases


@op("relu_backward")
def _(name):
    # PyTorch's threshold_backward at 0: grad where y > 0, else 0 (a NaN or inf
    # grad where y <= 0 gives 0; y NaN keeps the grad).
    def fn(g, y):
        return torch.ops.aten.threshold_backward(g, y, 0)

    return [
        case("f32", [randn(3, 5), randn(3, 5)], fn),
        case("f64_t", [randn(4, 3, dtype=F64).t(), randn(3, 4, dtype=F64)], fn),
        case("f32_special", [vals([NAN, INF, 2.0, -1.0, 3.0]), vals([0.0, -1.0, NAN, 0.5, -0.0])], fn),
    ]


@op("rescale")
def _(name):
    # No torch op: the reference is the chain it replaces, in float32 for
    # integer input (Note [rescale] in src/ops/rescale.cpp).
    def rs(s, o):
        return lambda x: (x if x.is_floating_point() else x.to(torch.float32)) * s + o

    cases = []
    for nm, x, s, o in [
        ("u8_mnist", randint(0, 256, 2, 1, 4, 4, dtype=U8), 1 / (255 * 0.3081), -0.1307 / 0.3081),
        ("f32", randn(3, 5), 0.5, -1.5),
        ("f64", randn(3, 5, dtype=F64), -2.0, 0.25),
        ("f32_t", randn(4, 3).t(), 3.0, 0.0),
        ("i64", randint(-10, 10, 2, 6), 0.1, 1.0),
        ("i32_empty", randint(0, 5, 0, 3, dtype=I32), 2.0, 1.0),
    ]:
        cases.append(case(nm, [x], rs(s, o), {"scale": af(s), "offset": af(o)}))
    return cases


@op("logical_not")
def _(name):
    return [
        case("bool", [randbool(3, 4)], torch.logical_not),
        case("f32", [vals([0.0, -0.0, 1.5, NAN, -INF])], torch.logical_not),
        case("i64_t", [randint(-1, 2, 3, 4).t()], torch.logical_not),
        case("u8", [randint(0, 3, 6, dtype=U8)], torch.logical_not),
    ]


# =========================== binary ===========================
ARITH = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}


def binary_common(fn, lo=-3, hi=3, ints=True, b_lo=None, b_hi=None, numbers=True):
    """Same dtype, broadcasting, non-contiguous, promotion, 0-dim, wrapped number, empty."""
    b_lo, b_hi = (lo, hi) if b_lo is None else (b_lo, b_hi)
    u = uniform
    cases = [
        case("f32", [u(lo, hi, 3, 4), u(b_lo, b_hi, 3, 4)], fn),
        case("f64", [u(lo, hi, 3, 4, dtype=F64), u(b_lo, b_hi, 3, 4, dtype=F64)], fn),
        case("bcast_f32", [u(lo, hi, 3, 1), u(b_lo, b_hi, 1, 4)], fn),
        case("bcast_rank_f64", [u(lo, hi, 2, 3, 4, dtype=F64), u(b_lo, b_hi, 4, dtype=F64)], fn),
        case("t_f32", [u(lo, hi, 4, 3).t(), u(b_lo, b_hi, 3, 4).sliced()], fn),
        case("expanded_f64", [u(lo, hi, 3, 4, dtype=F64).expanded(), u(b_lo, b_hi, 4, 3, dtype=F64).t()], fn),
        case("f32_f64", [u(lo, hi, 2, 3), u(b_lo, b_hi, 2, 3, dtype=F64)], fn),
        case("f32_0dim_f64", [u(lo, hi, 2, 3), u(b_lo, b_hi, dtype=F64)], fn),
        case("f32_num", [u(lo, hi, 2, 3), num(1.75)], fn),
        case("num_f64", [num(2.5), u(b_lo, b_hi, 2, 3, dtype=F64)], fn),
        case("empty", [u(lo, hi, 0, 3), u(b_lo, b_hi, 1, 3)], fn),
        case("bf16", [u(lo, hi, 2, 3, dtype=BF16), u(b_lo, b_hi, 2, 3, dtype=BF16)], fn),
        case("f16_bcast", [u(lo, hi, 2, 3, dtype=F16), u(b_lo, b_hi, 3, dtype=F16)], fn),
        case("f16_f32", [u(lo, hi, 2, 3, dtype=F16), u(b_lo, b_hi, 2, 3)], fn),
        case("f16_0dim_f32", [u(lo, hi, 2, 3, dtype=F16), u(b_lo, b_hi)], fn),  # stays float16
    ]
    if ints:
        ilo, ihi = int(lo), int(hi) + 1
        jlo, jhi = int(b_lo), int(b_hi) + 1
        cases += [
            case("i64", [randint(ilo, ihi, 3, 4), randint(jlo, jhi, 3, 4)], fn),
            case("i32_i64_bcast", [randint(ilo, ihi, 3, 1, dtype=I32), randint(jlo, jhi, 4)], fn),
            case("i64_f32", [randint(ilo, ihi, 2, 3), u(b_lo, b_hi, 2, 3)], fn),
            case("i32_num_int", [randint(ilo, ihi, 2, 3, dtype=I32), num(2)], fn),
            case("i64_num_float", [randint(ilo, ihi, 2, 3), num(1.5)], fn),
            case("i64_0dim_f64", [randint(ilo, ihi, 2, 3), u(b_lo, b_hi, dtype=F64)], fn),
            case("u8_i32", [randint(0, 50, 2, 3, dtype=U8), randint(1, 9, 2, 3, dtype=I32)], fn),
            case("i8", [randint(-50, 50, 2, 3, dtype=I8), randint(1, 9, 2, 3, dtype=I8)], fn),
            case("i32_0dim_i64", [randint(ilo, ihi, 2, 3, dtype=I32), randint(jlo, jhi)], fn),  # stays int32
            case("u8_num_neg", [randint(0, 50, 2, 3, dtype=U8), num(-1)], fn),  # -1 wraps to 255
        ]
    if not numbers:  # torch.maximum takes no Python number
        cases = [c for c in cases if not any(i is not None and i.wrapped for i in c["inputs"])]
    return cases


@op(*ARITH)
def _(name):
    fn = ARITH[name]
    if name == "div":
        cases = binary_common(fn, b_lo=0.5, b_hi=3)
        cases.append(case("f32_by_zero", [vals([1.0, -1.0, 0.0, NAN]), vals([0.0, 0.0, 0.0, 0.0])], fn))
        cases.append(case("i64_by_i64", [randint(-9, 10, 2, 4), randint(1, 5, 2, 4)], fn))
        cases.append(case("i64_by_zero", [vals([1, -1, 0], I64), vals([0, 0, 0], I64)], fn))
        cases.append(case("num_int_by_i64", [num(7), randint(1, 5, 2, 3)], fn))
        return cases
    cases = binary_common(fn, numbers=name not in ("maximum", "minimum"))
    if name in ("add", "sub"):
        cases.append(case("alpha_f32", [randn(3, 4), randn(4)], lambda a, b: fn(a, b, alpha=2.5), {"alpha": asc(2.5)}))
        cases.append(
            case("alpha_i64", [randint(-5, 5, 3), randint(-5, 5, 3)], lambda a, b: fn(a, b, alpha=3), {"alpha": asc(3)})
        )
    if name in ("add", "mul", "maximum", "minimum"):
        cases.append(case("bool", [randbool(2, 3), randbool(2, 3)], fn))
        cases.append(case("bool_i64", [randbool(2, 3), randint(-3, 4, 3)], fn))
        cases.append(case("bool_f32", [randbool(2, 3), randn(2, 3)], fn))
    if name in ("add", "mul"):
        cases.append(case("bool_num_int", [randbool(2, 3), num(2)], fn))
        cases.append(case("bool_num_float", [randbool(2, 3), num(1.5)], fn))
    if name in ("maximum", "minimum"):
        cases.append(case("f32_nan", [vals([NAN, 1.0, NAN, -INF]), vals([0.0, NAN, NAN, 2.0])], fn))
        cases.append(case("f64_signed_zero", [vals([0.0, -0.0], F64), vals([-0.0, 0.0], F64)], fn))
    if name == "add":
        cases.append(case("u8_overflow", [vals([200, 255, 3], U8), vals([100, 1, 4], U8)], fn))
    return cases


@op("pow")
def _(name):
    cases = binary_common(torch.pow, lo=0.1, hi=3, b_lo=-2, b_hi=3, ints=False)
    cases += [
        case("i64", [randint(-4, 5, 3, 4), randint(0, 5, 3, 4)], torch.pow),
        case("f32_neg_base_int_exp", [uniform(-3, -0.5, 2, 3), vals([2.0, 3.0, -1.0])], torch.pow),
        case(
            "f32_specials",
            [vals([0.0, 0.0, -0.0, INF, 2.0, NAN, 1.0, -2.0]), vals([0.0, -1.0, -1.0, -0.5, INF, 0.0, NAN, 0.5])],
            torch.pow,
        ),
        case("f32_num_square", [randn(2, 3), num(2)], torch.pow),
        case("f64_num_sqrt", [uniform(0, 4, 2, 3, dtype=F64), num(0.5)], torch.pow),
        case("i64_num_int", [randint(-4, 5, 2, 3), num(3)], torch.pow),
        case("i64_num_float", [randint(0, 5, 2, 3), num(0.5)], torch.pow),
        case("num_int_i64", [num(2), randint(0, 5, 2, 3)], torch.pow),
    ]
    return cases


CMP = {
    "eq": torch.eq,
    "ne": torch.ne,
    "lt": torch.lt,
    "le": torch.le,
    "gt": torch.gt,
    "ge": torch.ge,
    "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
}


@op(*CMP)
def _(name):
    fn = CMP[name]
    # Small integers as floats, so equal pairs occur.
    small = lambda *s, dtype=F32: gen(lambda: torch.randint(-2, 3, s).to(dtype))
    cases = [
        case("f32", [small(3, 4), small(3, 4)], fn),
        case("f64_bcast", [small(3, 1, dtype=F64), small(4, dtype=F64)], fn),
        case("i64", [randint(-2, 3, 3, 4), randint(-2, 3, 3, 4)], fn),
        case("i32_f32", [randint(-2, 3, 2, 3, dtype=I32), small(2, 3)], fn),
        case("bool", [randbool(3, 4), randbool(3, 4)], fn),
        case("t_f32", [small(4, 3).t(), small(3, 4)], fn),
        case("f32_num", [small(2, 3), num(1.0)], fn),
        case("i64_num_float", [randint(-2, 3, 2, 3), num(0.5)], fn),
        case("f32_nan", [vals([NAN, NAN, 1.0, INF, -0.0]), vals([NAN, 1.0, NAN, INF, 0.0])], fn),
        case("bf16", [small(2, 3, dtype=BF16), small(2, 3, dtype=BF16)], fn),
        case("f16", [small(2, 3, dtype=F16), small(2, 3, dtype=F16)], fn),
        case("bool_i64", [randbool(2, 3), randint(-1, 2, 2, 3)], fn),
    ]
    if name.startswith("logical"):  # torch.logical_and takes no Python number
        cases = [c for c in cases if not any(i.wrapped for i in c["inputs"])]
    return cases


@op("where")
def _(name):
    w = torch.where
    return [
        case("f32", [randbool(3, 4), randn(3, 4), randn(3, 4)], w),
        case("bcast_f64", [randbool(3, 1), randn(1, 4, dtype=F64), randn(3, 4, dtype=F64)], w),
        case("i64_f32", [randbool(2, 3), randint(-5, 5, 2, 3), randn(2, 3)], w),
        case("i32_i64", [randbool(5), randint(-5, 5, 5, dtype=I32), randint(-5, 5, 5)], w),
        case("t", [randbool(4, 3).t(), randn(3, 4), randn(4, 3).t()], w),
        case("0dim", [randbool(2, 3), randn(dtype=F64), randn(2, 3)], w),
        case("bool", [randbool(4), randbool(4), randbool(4)], w),
        case("i64_num_float", [randbool(2, 3), randint(-5, 5, 2, 3), num(0.5)], w),
        case("f64_num_int", [randbool(4), randn(4, dtype=F64), num(2)], w),
    ]


@op("masked_fill")
def _(name):
    def mf(v):
        return lambda x, m: x.masked_fill(m, v)

    return [
        case("f32", [randn(3, 4), randbool(3, 4)], mf(-1.5), {"value": asc(-1.5)}),
        case("bcast_f64", [randn(3, 4, dtype=F64), randbool(4)], mf(INF), {"value": asc("inf")}),
        case("i64", [randint(-5, 5, 2, 3), randbool(2, 3)], mf(7), {"value": asc(7)}),
        case("i64_float_value", [randint(-5, 5, 2, 3), randbool(2, 1)], mf(2.75), {"value": asc(2.75)}),
        case("t", [randn(4, 3).t(), randbool(3, 4)], mf(0.0), {"value": asc(0.0)}),
        case("bool", [randbool(5), randbool(5)], mf(True), {"value": asc(True)}),
    ]
