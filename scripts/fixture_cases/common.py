"""Shared pieces of the parity cases: deferred inputs, attribute kinds,
tolerances, and running one case through PyTorch into its JSON form.
See scripts/gen_fixtures.py for the fixture format."""
import math
import zlib

import torch

F16, BF16, F32, F64 = torch.float16, torch.bfloat16, torch.float32, torch.float64
B, U8, I8, I32, I64 = torch.bool, torch.uint8, torch.int8, torch.int32, torch.int64
DTYPE_NAMES = {
    B: "bool",
    U8: "uint8",
    I8: "int8",
    I32: "int32",
    I64: "int64",
    F16: "float16",
    BF16: "bfloat16",
    F32: "float32",
    F64: "float64",
}
INF, NAN = math.inf, math.nan

# Tolerances, |braid - torch| <= atol + rtol * |torch|, per output dtype.
# float32 and float64: a few ulp of libm-vs-Sleef difference, with atol for
# results near 0. float16/bfloat16: braid and PyTorch both compute in float32
# and round once, so 1 ulp of the 16-bit format. Integers and bools: exact.
TOL = {F16: (1e-3, 1e-5), BF16: (8e-3, 1e-5), F32: (1e-5, 1e-6), F64: (1e-12, 1e-14)}
# Ops that accumulate (sums over up to ~60 terms, in another order than
# PyTorch's vectorised or blocked loops): atol scaled to eps * terms * |x|.
TOL_ACCUM = {F32: (1e-5, 1e-5), F64: (1e-12, 1e-13)}
ACCUM_OPS = {
    "sum",
    "mean",
    "var",
    "std",
    "norm",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cumsum",
    "matmul",
    "linear",
    "bmm",
    "index_add",
    "scatter_add",
}


# -- deferred inputs: materialised inside their case's seed -----------------------------
class In:
    def __init__(self, make, layout="contiguous", wrapped=False):
        self.make, self.layout, self.wrapped = make, layout, wrapped

    def t(self):
        """Non-contiguous: the transpose (last two dims swapped) of what `make` gives."""
        return In(self.make, "transposed", self.wrapped)

    def sliced(self):
        """Non-contiguous, with a storage offset: rows 1, 3, 5... of a buffer twice as tall."""
        return In(self.make, "sliced", self.wrapped)

    def expanded(self):
        """Stride 0 in dim 0: the first row of what `make` gives, repeated."""
        return In(self.make, "expanded", self.wrapped)


def randn(*shape, dtype=F32, scale=1.0, shift=0.0):
    return In(lambda: (torch.randn(shape, dtype=F64) * scale + shift).to(dtype))


def uniform(lo, hi, *shape, dtype=F32):
    return In(lambda: (torch.rand(shape, dtype=F64) * (hi - lo) + lo).to(dtype))


def randint(lo, hi, *shape, dtype=I64):
    return In(lambda: torch.randint(lo, hi, shape, dtype=I64).to(dtype))


def randbool(*shape):
    return In(lambda: torch.rand(shape) < 0.5)


def vals(values, dtype=F32):
    return In(lambda: torch.tensor(values, dtype=dtype))


def distinct(*shape, dtype=F32):
    """A permutation of 0..n-1 (scaled): no ties, so indices are comparable."""
    n = math.prod(shape)
    step = 0.25 if dtype.is_floating_point else 1  # ints: steps of 1, else truncation makes ties
    return In(lambda: (torch.randperm(n, dtype=I64).to(F64) * step - n * step / 2).reshape(shape).to(dtype))


def gen(fn):
    """An input made by `fn()` (indices that must be unique, and the like)."""
    return In(fn)


def num(v):
    """A number written in the call: 0-dim float64/int64/bool, wrapped."""
    dt = B if isinstance(v, bool) else I64 if isinstance(v, int) else F64
    return In(lambda: torch.tensor(v, dtype=dt), wrapped=True)


UNDEF = None  # an undefined Tensor() (linear without bias)


# Attribute kinds, exactly as braid's Attrs stores them.
def ai(v):
    return {"int": v}


def af(v):
    return {"float": v}


def ab(v):
    return {"bool": v}


def ais(v):
    return {"ints": list(v)}


def astr(v):
    return {"str": v}


def asc(v):
    return {"scalar": v}


def case(name, inputs, fn, attrs=None, checks=None, tol=None):
    """fn gets the torch inputs (wrapped ones as Python numbers) and returns a
    tensor or a tuple; checks: per output "values" (default), "multiset"
    (same values in any order) or "shape"; tol: (rtol, atol) for every float output."""
    return dict(name=name, inputs=inputs, fn=fn, attrs=attrs or {}, checks=checks, tol=tol)


# -- encoding ----------------------------------------------------------------------------
def enc_value(v):
    if isinstance(v, bool) or isinstance(v, int):
        return v
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc_tensor(t):
    flat = t.detach().contiguous().reshape(-1)
    if flat.dtype in (F16, BF16):
        flat = flat.to(F64)  # exact
    return {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "values": [enc_value(v) for v in flat.tolist()]}


def enc_attr(v):
    if "float" in v and isinstance(v["float"], float):
        return {"float": enc_value(v["float"])}
    return v


def apply_layout(t, layout):
    if layout == "transposed":
        return t.transpose(-1, -2)
    if layout == "sliced":
        big = torch.full((t.shape[0] * 2,) + tuple(t.shape[1:]), 77, dtype=t.dtype)
        big[1::2] = t
        return big[1::2]
    if layout == "expanded":
        return t[:1].expand(t.shape)
    return t


def run_case(op, c):
    torch.manual_seed(zlib.crc32(f"{op}/{c['name']}".encode()))
    tensors, args, inputs = [], [], []
    for spec in c["inputs"]:
        if spec is None:
            args.append(None)
            inputs.append({"undefined": True})
            continue
        t = apply_layout(spec.make(), spec.layout)
        args.append(t.item() if spec.wrapped else t)
        e = enc_tensor(t)
        if spec.layout != "contiguous":
            e["layout"] = spec.layout
        if spec.wrapped:
            e["wrapped"] = True
        inputs.append(e)
    res = c["fn"](*args)
    outs = list(res) if isinstance(res, (tuple, list)) else [res]
    checks = c["checks"] or ["values"] * len(outs)
    outputs = []
    for t, chk in zip(outs, checks):
        e = enc_tensor(t)
        if chk != "values":
            e["check"] = chk
        if t.dtype.is_floating_point:
            rtol, atol = c["tol"] or (TOL_ACCUM if op in ACCUM_OPS and t.dtype in TOL_ACCUM else TOL)[t.dtype]
            e["rtol"], e["atol"] = rtol, atol
        outputs.append(e)
    attrs = {k: enc_attr(v) for k, v in c["attrs"].items()}
    return {"name": f"{op}.{c['name']}", "op": op, "attrs": attrs, "inputs": inputs, "outputs": outputs}


CASES = {}


def op(*names):
    def reg(fn):
        for n in names:
            CASES[n] = fn
        return fn

    return reg
