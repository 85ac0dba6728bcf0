"""Parity cases for the recurrent family (src/ops/recurrent.cpp).

The cells run through torch.lstm_cell / torch.gru_cell (ATen's own cells; an
unbatched input goes in as a batch of one, as nn.LSTMCell does). PyTorch 1.13
has no public F.scaled_dot_product_attention (it came in 2.0), so attention's
reference is written out here as PyTorch 2.x documents its math:
softmax(q k^T * scale + bias) v, with bias -inf where a bool mask is False
(or below the diagonal for is_causal), or the float mask itself."""
import math

import torch.nn.functional as F

from .common import *  # noqa: F401,F403


def cell_inputs(gates, batch, hidden, insize, lstm, bias, dtype=F32):
    lead = (batch,) if batch else ()
    ins = [randn(*lead, insize, dtype=dtype), randn(*lead, hidden, dtype=dtype)]
    if lstm:
        ins.append(randn(*lead, hidden, dtype=dtype))
    ins += [randn(gates * hidden, insize, dtype=dtype, scale=0.5), randn(gates * hidden, hidden, dtype=dtype, scale=0.5)]
    ins += [randn(gates * hidden, dtype=dtype), randn(gates * hidden, dtype=dtype)] if bias else [UNDEF, UNDEF]
    return ins


def batched(fn):
    """Runs a torch cell on an unbatched (1-D) input as a batch of one."""

    def run(x, *rest):
        if x.dim() == 2:
            return fn(x, *rest)
        out = fn(x[None], *[r[None] if r is not None and r.dim() == 1 and i < 2 else r for i, r in enumerate(rest)])
        return tuple(o[0] for o in out) if isinstance(out, tuple) else out[0]

    return run


def cell_cases(gates, lstm, cell):
    """Batched, unbatched, without biases, float64, and with transposed weights
    and a strided input; w_ih sits at index 3 (LSTM: after c) or 2 (GRU)."""
    tl = TOL_ACCUM
    out = [
        case("batched", cell_inputs(gates, 3, 5, 4, lstm, True), cell, tol=tl[F32]),
        case("unbatched", cell_inputs(gates, 0, 5, 4, lstm, True), cell, tol=tl[F32]),
        case("no_bias", cell_inputs(gates, 2, 3, 6, lstm, False), cell, tol=tl[F32]),
        case("f64_hidden6", cell_inputs(gates, 4, 6, 5, lstm, True, F64), cell, tol=tl[F64]),
    ]
    nc = cell_inputs(gates, 3, 5, 4, lstm, True)
    w = 3 if lstm else 2
    nc[w], nc[w + 1] = randn(4, gates * 5).t(), randn(5, gates * 5).t()
    nc[0] = randn(3, 4).sliced()
    out.append(case("noncontiguous", nc, cell, tol=tl[F32]))
    return out


@op("lstm_cell")
def _(name):
    return cell_cases(4, True, batched(lambda x, h, c, wi, wh, bi, bh: torch.lstm_cell(x, (h, c), wi, wh, bi, bh)))


@op("gru_cell")
def _(name):
    return cell_cases(3, False, batched(lambda x, h, wi, wh, bi, bh: torch.gru_cell(x, h, wi, wh, bi, bh)))


def attention_ref(q, k, v, mask=None, causal=False, scale=None):
    """PyTorch 2.x's documented math for F.scaled_dot_product_attention
    (dropout_p = 0), computed in float64 and rounded to q's dtype once."""
    q64, k64, v64 = q.double(), k.double(), v.double()
    L, S = q.shape[-2], k.shape[-2]
    s = q64 @ k64.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        s = s.masked_fill(~torch.ones(L, S, dtype=B).tril(), -INF)
    if mask is not None:
        s = s.masked_fill(~mask, -INF) if mask.dtype == B else s + mask.double()
    return (torch.softmax(s, -1) @ v64).to(q.dtype)


def attn_attrs(causal=False, scale=None, p=0.0):
    a = {"dropout_p": af(p), "is_causal": ab(causal)}
    if scale is not None:
        a["scale"] = af(scale)
    return a


@op("scaled_dot_product_attention")
def _(name):
    tl = TOL_ACCUM
    c = lambda nm, ins, causal=False, scale=None, dtype=F32: case(
        nm, ins, lambda q, k, v, m: attention_ref(q, k, v, m, causal, scale), attn_attrs(causal, scale), tol=tl[dtype]
    )
    # Each query keeps at least one key: an all-False row is NaN in PyTorch and here.
    bmask = vals([[True, False, True, True, False], [False, False, False, True, True], [True, True, True, True, True]], B)
    return [
        c("plain", [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), UNDEF]),
        c("heads_4d", [randn(2, 2, 3, 8), randn(2, 2, 5, 8), randn(2, 2, 5, 4), UNDEF]),
        c("bool_mask", [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), bmask]),
        c("bool_mask_batched", [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), gen(lambda: torch.rand(2, 1, 5) < 0.7)]),
        c("float_mask", [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), randn(3, 5)]),
        c("float_mask_per_query", [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), randn(2, 3, 1)]),
        c("float_mask_neg_inf", [randn(3, 4), randn(5, 4), randn(5, 2), vals([[0.0, -INF, 1.0, 0.0, -INF]])]),
        c("causal", [randn(2, 4, 4), randn(2, 4, 4), randn(2, 4, 3), UNDEF], causal=True),
        c("causal_rect_scale", [randn(3, 4), randn(5, 4), randn(5, 2), UNDEF], causal=True, scale=0.3),
        c("scale", [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), UNDEF], scale=1.5),
        c("broadcast_batch", [randn(2, 1, 3, 4), randn(3, 5, 4), randn(1, 5, 2), UNDEF]),
        c("f64", [randn(2, 3, 4, dtype=F64), randn(2, 5, 4, dtype=F64), randn(2, 5, 6, dtype=F64), UNDEF], dtype=F64),
        c("noncontiguous", [randn(4, 3).t(), randn(5, 4).sliced(), randn(6, 5).t(), UNDEF]),
        c("fully_masked_row_nan", [randn(2, 3), randn(2, 3), randn(2, 3), vals([[True, True], [False, False]], B)]),
        # Dropout draws from braid's generator, not torch's: the shape only.
        case(
            "dropout_shape",
            [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 6), UNDEF],
            lambda q, k, v, m: attention_ref(q, k, v),
            attn_attrs(p=0.5),
            checks=["shape"],
        ),
    ]
