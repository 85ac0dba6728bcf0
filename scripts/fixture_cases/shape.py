"""Parity cases: views, joining, indexing, sorting (src/ops/view.cpp, index.cpp, join.cpp, sort.cpp)."""
# Star import: the case files are written in the small vocabulary common.py defines.
from .common import *  # noqa: F401,F403


# =========================== views ===========================
def view_cases(fn_of, rows):
    """rows: (name, input, attrs dict of (kind, value)) -> the case with torch fn_of(**values)."""
    out = []
    for nm, x, attrs in rows:
        values = {k: v for k, (_, v) in attrs.items()}
        out.append(
            case(nm, [x], lambda x, values=values: fn_of(x, **values), {k: kind(v) for k, (kind, v) in attrs.items()})
        )
    return out


@op("view", "reshape")
def _(name):
    fn = lambda x, shape: getattr(x, name)(shape)
    rows = [
        ("f32", randn(3, 4), {"shape": (ais, [4, 3])}),
        ("infer", randn(2, 3, 4, dtype=F64), {"shape": (ais, [-1, 4])}),
        ("0dim", randn(), {"shape": (ais, [1, 1])}),
        ("to_0dim", randn(1, 1), {"shape": (ais, [])}),
        ("sliced", randn(4, 2, 3).sliced(), {"shape": (ais, [4, 6])}),
        ("i64", randint(0, 9, 6), {"shape": (ais, [3, 2])}),
        ("empty", randn(0, 4), {"shape": (ais, [2, 0, 2])}),
    ]
    if name == "reshape":
        rows.append(("t_copies", randn(4, 3).t(), {"shape": (ais, [12])}))
    return view_cases(fn, rows)


@op("permute")
def _(name):
    return view_cases(
        lambda x, dims: x.permute(dims),
        [
            ("f32", randn(2, 3, 4), {"dims": (ais, [2, 0, 1])}),
            ("neg", randn(2, 3, 4, dtype=F64), {"dims": (ais, [-1, -3, -2])}),
            ("t", randn(4, 3).t(), {"dims": (ais, [1, 0])}),
            ("bool", randbool(2, 3), {"dims": (ais, [1, 0])}),
        ],
    )


@op("transpose")
def _(name):
    return view_cases(
        lambda x, dim0, dim1: x.transpose(dim0, dim1),
        [
            ("f32", randn(2, 3, 4), {"dim0": (ai, 0), "dim1": (ai, 2)}),
            ("neg", randn(3, 4, dtype=F64), {"dim0": (ai, -1), "dim1": (ai, -2)}),
            ("same", randn(3, 4), {"dim0": (ai, 1), "dim1": (ai, 1)}),
            ("i64_1d", randint(0, 9, 5), {"dim0": (ai, 0), "dim1": (ai, -1)}),
        ],
    )


@op("expand")
def _(name):
    return view_cases(
        lambda x, shape: x.expand(shape),
        [
            ("f32", randn(3, 1), {"shape": (ais, [3, 4])}),
            ("keep", randn(3, 1, dtype=F64), {"shape": (ais, [-1, 5])}),
            ("lead", randn(4), {"shape": (ais, [2, 3, 4])}),
            ("0dim", randn(), {"shape": (ais, [2, 2])}),
            ("i64", randint(0, 9, 1, 3), {"shape": (ais, [2, 2, 3])}),
        ],
    )


BIG = 2**63 - 1  # "to the end", as PyTorch's x[a:] passes it


def torch_slice(x, dim, start, end, step):
    idx = [slice(None)] * x.dim()
    idx[dim] = slice(start, end, step)
    return x[tuple(idx)]


SLICE_ROWS = [
    ("f32", (randn, (5, 4)), 0, 1, 4, 1),
    ("step2_f64", (randn, (3, 7)), 1, 0, 7, 2),
    ("neg_start", (randn, (6, 2)), 0, -4, BIG, 1),
    ("end_past", (randn, (2, 5)), -1, 2, 100, 3),
    ("empty_range", (randn, (4, 3)), 0, 3, 1, 1),
    ("neg_end", (randn, (6,)), 0, 1, -2, 2),
]


@op("slice")
def _(name):
    rows = [
        (
            nm,
            mk(*shape, dtype=F64 if "f64" in nm else F32),
            {"dim": (ai, d), "start": (ai, s), "end": (ai, e), "step": (ai, st)},
        )
        for nm, (mk, shape), d, s, e, st in SLICE_ROWS
    ]
    rows += [
        ("t", randn(4, 5).t(), {"dim": (ai, 1), "start": (ai, 1), "end": (ai, 3), "step": (ai, 1)}),
        ("i64", randint(0, 9, 8), {"dim": (ai, 0), "start": (ai, 1), "end": (ai, 8), "step": (ai, 3)}),
    ]
    return view_cases(lambda x, dim, start, end, step: torch_slice(x, dim, start, end, step), rows)


@op("slice_scatter")
def _(name):
    cases = []
    for nm, (mk, shape), d, s, e, st in SLICE_ROWS:
        dtype = F64 if "f64" in nm else F32
        probe = torch_slice(torch.empty(shape), d, s, e, st)
        cases.append(
            case(
                nm,
                [mk(*shape, dtype=dtype), randn(*probe.shape, dtype=dtype)],
                lambda b, src, d=d, s=s, e=e, st=st: torch.slice_scatter(b, src, d, s, e, st),
                {"dim": ai(d), "start": ai(s), "end": ai(e), "step": ai(st)},
            )
        )
    cases.append(
        case(
            "i64_t",
            [randint(0, 9, 4, 3).t(), randint(10, 20, 3, 2)],
            lambda b, src: torch.slice_scatter(b, src, 1, 0, 4, 2),
            {"dim": ai(1), "start": ai(0), "end": ai(4), "step": ai(2)},
        )
    )
    return cases


@op("narrow")
def _(name):
    return view_cases(
        lambda x, dim, start, length: x.narrow(dim, start, length),
        [
            ("f32", randn(5, 4), {"dim": (ai, 0), "start": (ai, 1), "length": (ai, 3)}),
            ("neg_start_f64", randn(3, 6, dtype=F64), {"dim": (ai, -1), "start": (ai, -4), "length": (ai, 2)}),
            ("empty", randn(3, 4), {"dim": (ai, 1), "start": (ai, 4), "length": (ai, 0)}),
            ("t", randn(4, 5).t(), {"dim": (ai, 1), "start": (ai, 2), "length": (ai, 2)}),
        ],
    )


@op("select")
def _(name):
    return view_cases(
        lambda x, dim, index: x.select(dim, index),
        [
            ("f32", randn(3, 4), {"dim": (ai, 0), "index": (ai, 1)}),
            ("neg_f64", randn(2, 3, 4, dtype=F64), {"dim": (ai, -1), "index": (ai, -1)}),
            ("to_0dim", randn(5), {"dim": (ai, 0), "index": (ai, 3)}),
            ("t", randn(4, 3).t(), {"dim": (ai, 1), "index": (ai, 2)}),
            ("i64", randint(0, 9, 3, 2), {"dim": (ai, 1), "index": (ai, 0)}),
        ],
    )


@op("squeeze")
def _(name):
    def sq(x, dims):
        for d in sorted({d % max(x.dim(), 1) for d in dims}, reverse=True):
            x = x.squeeze(d)
        return x if dims else x.squeeze()

    return view_cases(
        sq,
        [
            ("all", randn(1, 3, 1, 2), {"dims": (ais, [])}),
            ("one_f64", randn(1, 3, 1, dtype=F64), {"dims": (ais, [2])}),
            ("non1_kept", randn(2, 1, 3), {"dims": (ais, [0, 1])}),
            ("neg", randn(3, 1), {"dims": (ais, [-1])}),
            ("0dim", randn(), {"dims": (ais, [])}),
            ("i64", randint(0, 9, 1, 4), {"dims": (ais, [0])}),
        ],
    )


@op("unsqueeze")
def _(name):
    return view_cases(
        lambda x, dim: x.unsqueeze(dim),
        [
            ("front", randn(3, 4), {"dim": (ai, 0)}),
            ("back_f64", randn(3, 4, dtype=F64), {"dim": (ai, -1)}),
            ("mid", randn(3, 4), {"dim": (ai, 1)}),
            ("0dim", randn(), {"dim": (ai, 0)}),
            ("t", randn(4, 3).t(), {"dim": (ai, 1)}),
            ("bool", randbool(3), {"dim": (ai, 1)}),
        ],
    )


@op("flatten")
def _(name):
    return view_cases(
        lambda x, start_dim, end_dim: x.flatten(start_dim, end_dim),
        [
            ("all", randn(2, 3, 4), {"start_dim": (ai, 0), "end_dim": (ai, -1)}),
            ("mid_f64", randn(2, 3, 4, 5, dtype=F64), {"start_dim": (ai, 1), "end_dim": (ai, 2)}),
            ("0dim", randn(), {"start_dim": (ai, 0), "end_dim": (ai, -1)}),
            ("t_copies", randn(4, 3).t(), {"start_dim": (ai, 0), "end_dim": (ai, 1)}),
            ("single", randn(3, 4), {"start_dim": (ai, 1), "end_dim": (ai, 1)}),
        ],
    )


# =========================== joining, indexing, sorting ===========================
@op("cat", "stack")
def _(name):
    tfn = getattr(torch, name)
    if name == "cat":
        rows = [
            ("dim0_f32", [randn(2, 3), randn(1, 3), randn(4, 3)], 0),
            ("dim1_f64", [randn(2, 3, dtype=F64), randn(2, 2, dtype=F64)], 1),
            ("neg_dim_t", [randn(3, 2).t(), randn(2, 4)], -1),
            ("promote", [randint(0, 9, 2, 2), randn(1, 2)], 0),
            ("with_empty", [randn(0, 3), randn(2, 3)], 0),
            ("legacy_empty_1d", [randn(0), randn(2, 3)], 0),  # a (0,) tensor is skipped whatever its rank
            ("one", [randint(0, 9, 3, 2)], 1),
            ("expanded", [randn(2, 3).expanded(), randn(2, 3).sliced()], 1),
            ("bool", [randbool(2), randbool(3)], 0),
            ("f16_i32", [randn(2, 2, dtype=F16), randint(0, 9, 1, 2, dtype=I32)], 0),
        ]
    else:
        rows = [
            ("dim0_f32", [randn(2, 3), randn(2, 3), randn(2, 3)], 0),
            ("dim1_f64", [randn(2, 3, dtype=F64), randn(2, 3, dtype=F64)], 1),
            ("neg_dim_t", [randn(3, 2).t(), randn(2, 3)], -1),
            ("promote", [randint(0, 9, 2), randn(2)], 0),
            ("0dim", [randn(), randn()], 0),
            ("i64", [randint(0, 9, 3), randint(0, 9, 3)], 1),
        ]
    return [case(nm, xs, lambda *xs, d=d: tfn(xs, d), {"dim": ai(d)}) for nm, xs, d in rows]


@op("split")
def _(name):
    cases = [
        case(nm, [x], lambda x, s=s, d=d: torch.split(x, s, d), {"split_size": ai(s), "dim": ai(d)})
        for nm, x, s, d in [
            ("even", randn(6, 2), 2, 0),
            ("uneven_f64", randn(3, 7, dtype=F64), 3, 1),
            ("bigger", randn(3, 2), 5, 0),
            ("t", randn(5, 4).t(), 2, -1),
            ("i64", randint(0, 9, 5), 2, 0),
        ]
    ]
    cases += [
        case(nm, [x], lambda x, s=s, d=d: torch.split(x, s, d), {"sizes": ais(s), "dim": ai(d)})
        for nm, x, s, d in [
            ("sizes", randn(6, 2), [1, 3, 2], 0),
            ("sizes_zero_f64", randn(2, 5, dtype=F64), [2, 0, 3], 1),
        ]
    ]
    return cases


@op("chunk")
def _(name):
    return [
        case(nm, [x], lambda x, c=c, d=d: torch.chunk(x, c, d), {"chunks": ai(c), "dim": ai(d)})
        for nm, x, c, d in [
            ("even", randn(6, 2), 3, 0),
            ("uneven_f64", randn(2, 5, dtype=F64), 3, 1),
            ("fewer", randn(5, 2), 4, 0),
            ("more_than_size", randn(2, 3), 5, 1),
            ("t", randn(5, 4).t(), 2, -1),
        ]
    ]


def perm_rows(rows, n, k, along_last=True):
    """Index of shape (rows, k): each row k distinct values in [0, n)."""
    return gen(lambda: torch.stack([torch.randperm(n)[:k] for _ in range(rows)]))


@op("index_select")
def _(name):
    return [
        case(nm, [x, idx], lambda x, i, d=d: torch.index_select(x, d, i), {"dim": ai(d)})
        for nm, x, idx, d in [
            ("dim0_f32", randn(5, 3), vals([4, 0, 0, 2], I64), 0),
            ("dim1_f64", randn(3, 5, dtype=F64), vals([1, 3], I64), 1),
            ("neg_dim_t", randn(5, 3).t(), vals([2, 2, 0], I64), -1),
            ("i32_index", randint(0, 9, 4, 2), vals([3, 1], I32), 0),
            ("empty_index", randn(3, 2), vals([], I64), 0),
            ("1d", randn(6), randint(0, 6, 8), 0),
            ("expanded", randn(3, 4).expanded(), randint(0, 4, 3).expanded(), 1),
        ]
    ]


@op("index_add")
def _(name):
    return [
        case(nm, [x, idx, src], lambda x, i, s, d=d: torch.index_add(x, d, i, s), {"dim": ai(d)})
        for nm, x, idx, src, d in [
            ("dim0_f32", randn(5, 3), vals([4, 0, 0, 2], I64), randn(4, 3), 0),
            ("dim1_f64", randn(3, 5, dtype=F64), vals([1, 3, 1], I64), randn(3, 3, dtype=F64), 1),
            ("t", randn(4, 3).t(), vals([0, 2], I64), randn(3, 2), -1),
            ("i64", randint(0, 9, 4, 2), vals([3, 3, 1], I64), randint(0, 9, 3, 2), 0),
        ]
    ]


@op("gather", "take_along_dim")
def _(name):
    if name == "gather":
        fn = lambda d: (lambda x, i: torch.gather(x, d, i))
    else:
        fn = lambda d: (lambda x, i: torch.take_along_dim(x, i, d))
    rows = [
        ("dim1_f32", randn(3, 4), randint(0, 4, 3, 5), 1),
        ("dim0_f64", randn(4, 3, dtype=F64), randint(0, 4, 2, 3), 0),
        ("neg_dim_t", randn(4, 3).t(), randint(0, 4, 3, 2), -1),
        ("i64", randint(0, 9, 3, 4), randint(0, 4, 3, 4), 1),
        ("expanded", randn(3, 4).expanded(), randint(0, 4, 3, 2).sliced(), 1),
    ]
    if name == "gather":
        rows.append(("smaller_index", randn(4, 5), randint(0, 4, 2, 3), 0))
        rows.append(("empty_index", randn(3, 4), randint(0, 4, 3, 0), 1))
    else:
        rows.append(("bcast_index", randn(3, 4), randint(0, 4, 1, 2), 1))
    cases = [case(nm, [x, i], fn(d), {"dim": ai(d)}) for nm, x, i, d in rows]
    if name == "take_along_dim":
        cases.append(case("flat", [randn(3, 4), randint(0, 12, 5)], lambda x, i: torch.take_along_dim(x, i)))
    return cases


@op("scatter", "scatter_add")
def _(name):
    tfn = getattr(torch, name)
    # scatter: distinct indices along dim (PyTorch leaves the winner of a duplicate unspecified).
    idx = (lambda r, n, k: perm_rows(r, n, k)) if name == "scatter" else (lambda r, n, k: randint(0, n, r, k))
    rows = [
        ("dim1_f32", randn(3, 5), idx(3, 5, 3), randn(3, 4), 1),
        ("dim1_f64", randn(2, 6, dtype=F64), idx(2, 6, 4), randn(2, 4, dtype=F64), 1),
        (
            "dim0",
            randn(5, 2),
            gen(lambda: torch.randperm(5)[:3].reshape(3, 1).expand(3, 2).contiguous())
            if name == "scatter"
            else randint(0, 5, 3, 2),
            randn(3, 2),
            0,
        ),
        ("i64", randint(0, 9, 2, 5), idx(2, 5, 2), randint(10, 20, 2, 3), 1),
        ("t_self", randn(5, 3).t(), idx(3, 5, 2), randn(3, 2), -1),
        ("expanded_self_src", randn(2, 5).expanded(), idx(2, 5, 2), randn(2, 3).expanded(), 1),
    ]
    return [case(nm, [x, i, s], lambda x, i, s, d=d: tfn(x, d, i, s), {"dim": ai(d)}) for nm, x, i, s, d in rows]


@op("nonzero")
def _(name):
    sparse = lambda *s, dtype=F32: gen(lambda: (torch.randn(s, dtype=F64) * (torch.rand(s) < 0.5)).to(dtype))
    return [
        case(nm, [x], torch.nonzero)
        for nm, x in [
            ("f32_2d", sparse(3, 4)),
            ("f64_3d", sparse(2, 3, 2, dtype=F64)),
            ("bool_1d", randbool(7)),
            ("i64_t", randint(-1, 2, 4, 3).t()),
            ("none", vals([[0.0, 0.0], [0.0, -0.0]])),
            ("nan", vals([NAN, 0.0, 1.0])),
            ("0dim", vals(2.0)),
        ]
    ]


@op("topk")
def _(name):
    def tk(k, d, largest, srt):
        return lambda x: tuple(torch.topk(x, k, d, largest, srt))

    cases = [
        case(nm, [x], tk(k, d, lg, True), {"k": ai(k), "dim": ai(d), "largest": ab(lg), "sorted": ab(True)})
        for nm, x, k, d, lg in [
            ("f32", distinct(3, 6), 3, -1, True),
            ("smallest_f64", distinct(3, 6, dtype=F64), 2, 1, False),
            ("dim0", distinct(5, 3), 4, 0, True),
            ("t", distinct(6, 3).t(), 2, -1, True),
            ("i64", distinct(2, 7, dtype=I64), 3, 1, True),
            ("k_all", distinct(5), 5, 0, False),
            ("k0", distinct(2, 4), 0, 1, True),
            ("nan_largest", vals([1.0, NAN, 3.0, 2.0]), 2, 0, True),
            ("bf16", distinct(2, 5, dtype=BF16), 2, 1, True),
        ]
    ]
    cases.append(
        case(
            "unsorted",
            [distinct(3, 6)],
            tk(3, -1, True, False),
            {"k": ai(3), "dim": ai(-1), "largest": ab(True), "sorted": ab(False)},
            checks=["multiset", "shape"],
        )
    )
    return cases


@op("sort", "argsort")
def _(name):
    def st(d, desc):
        if name == "sort":
            return lambda x: tuple(torch.sort(x, dim=d, descending=desc, stable=True))
        return lambda x: torch.sort(x, dim=d, descending=desc, stable=True).indices

    ties = gen(lambda: torch.randint(0, 3, (3, 6)).to(F32))
    return [
        case(nm, [x], st(d, desc), {"dim": ai(d), "descending": ab(desc)})
        for nm, x, d, desc in [
            ("f32", distinct(3, 6), -1, False),
            ("desc_f64", distinct(3, 6, dtype=F64), 1, True),
            ("dim0", distinct(5, 3), 0, False),
            ("t", distinct(6, 3).t(), -1, True),
            ("i64", distinct(2, 7, dtype=I64), 1, False),
            ("ties_stable", ties, 1, False),
            ("ties_stable_desc", ties, 1, True),
            ("nan_last", vals([3.0, NAN, -1.0, INF, NAN, -INF]), 0, False),
            ("nan_first_desc", vals([3.0, NAN, -1.0, INF, NAN, -INF]), 0, True),
            ("0dim", vals(1.5), 0, False),
            ("f16", distinct(2, 5, dtype=F16), 1, False),
            ("bool", randbool(2, 5), 1, False),
            ("expanded", distinct(3, 5).expanded(), 1, True),
            ("sliced", distinct(3, 4).sliced(), 0, False),
        ]
    ]


@op("flip")
def _(name):
    return [
        case(nm, [x], lambda x, d=d: torch.flip(x, d), {"dims": ais(d)})
        for nm, x, d in [
            ("dim0", randn(3, 4), [0]),
            ("both_f64", randn(3, 4, dtype=F64), [0, 1]),
            ("neg_3d", randn(2, 3, 4), [-1, 0]),
            ("t", randn(4, 3).t(), [1]),
            ("i64", randint(0, 9, 5), [0]),
            ("none", randn(2, 2), []),
            ("sliced", randn(3, 4).sliced(), [0, 1]),
        ]
    ]


@op("roll")
def _(name):
    return [
        case(nm, [x], lambda x, s=s, d=d: torch.roll(x, s, d or None), {"shifts": ais(s), "dims": ais(d)})
        for nm, x, s, d in [
            ("dim1", randn(3, 4), [1], [1]),
            ("two_dims_f64", randn(3, 4, dtype=F64), [-1, 5], [0, 1]),
            ("neg_dim_t", randn(4, 3).t(), [2], [-1]),
            ("flat", randint(0, 9, 2, 3), [2], []),
            ("big_shift", randn(5), [13], [0]),
        ]
    ]


@op("tril", "triu")
def _(name):
    tfn = getattr(torch, name)
    return [
        case(nm, [x], lambda x, k=k: tfn(x, k), {"diagonal": ai(k)})
        for nm, x, k in [
            ("f32", randn(4, 4), 0),
            ("wide_f64", randn(3, 5, dtype=F64), 1),
            ("tall_neg", randn(5, 3), -1),
            ("batched", randn(2, 3, 4), 0),
            ("t", randn(4, 3).t(), 2),
            ("i64", randint(0, 9, 3, 3), -2),
            ("bool", randbool(3, 3), 0),
            ("far", randn(3, 3), 5),
            ("expanded", randn(3, 3).expanded(), 0),
            ("sliced_batched", randn(2, 3, 3).sliced(), 1),
        ]
    ]


@op("repeat", "tile")
def _(name):
    fn = (lambda r: (lambda x: x.repeat(r))) if name == "repeat" else (lambda r: (lambda x: torch.tile(x, r)))
    rows = [
        ("f32", randn(2, 3), [2, 1]),
        ("more_dims_f64", randn(2, 3, dtype=F64), [2, 1, 3]),
        ("t", randn(3, 2).t(), [1, 2]),
        ("i64", randint(0, 9, 3), [2]),
        ("zero", randn(2, 2), [0, 2]),
        ("expanded", randn(2, 3).expanded(), [2, 2]),
        ("0dim", randn(), [2, 3]),
    ]
    if name == "tile":
        rows.append(("fewer_reps", randn(2, 3, 2), [2]))
    return [case(nm, [x], fn(r), {"repeats" if name == "repeat" else "reps": ais(r)}) for nm, x, r in rows]
