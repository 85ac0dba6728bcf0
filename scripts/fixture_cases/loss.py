"""Parity cases for the loss family (src/ops/loss.cpp).

Reductions sum over up to a few hundred terms in another order than PyTorch,
so the reduced cases use the accumulation tolerances (TOL_ACCUM)."""
import torch.nn.functional as F

from .common import *  # noqa: F401,F403

RED = ["mean", "sum", "none"]


def tol(dtype):
    return TOL_ACCUM[dtype]


def idx(values):
    return vals(values, dtype=I64)


def logprobs(*shape, dtype=F32):
    return gen(lambda: torch.log_softmax(torch.randn(shape, dtype=F64), 1 if len(shape) > 1 else 0).to(dtype))


def probs(*shape, dtype=F32):
    return gen(lambda: torch.softmax(torch.randn(shape, dtype=F64), 1 if len(shape) > 1 else 0).to(dtype))


def class_case(name, op, inputs, red="mean", ii=-100, ls=0.0, dtype=F32):
    attrs = {"ignore_index": ai(ii), "reduction": astr(red)}
    if op == "cross_entropy":
        attrs["label_smoothing"] = af(ls)
        fn = lambda x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=ii, reduction=red, label_smoothing=ls)
    else:
        fn = lambda x, t, w: F.nll_loss(x, t, weight=w, ignore_index=ii, reduction=red)
    return case(name, inputs, fn, attrs, tol=tol(dtype))


def index_cases(op, make):
    """Class-index cases shared by cross_entropy (make = logits) and nll_loss
    (make = log-probabilities); `ls` only for cross_entropy."""
    ce = op == "cross_entropy"
    w4 = uniform(0.5, 2.0, 4)
    out = [class_case("mnist_64x10_mean", op, [make(64, 10), randint(0, 10, 64), UNDEF])]
    out += [class_case(r, op, [make(8, 10), randint(0, 10, 8), UNDEF], r) for r in ["sum", "none"]]
    out += [
        class_case("weight_" + r, op, [make(6, 4), randint(0, 4, 6), w4], r) for r in RED
    ]
    ign = idx([3, -100, 0, 1, -100, 2])
    out += [
        class_case("ignore_mean", op, [make(6, 4), ign, UNDEF]),
        class_case("ignore_weight_mean", op, [make(6, 4), ign, w4]),
        class_case("ignore_weight_none", op, [make(6, 4), ign, w4], "none"),
        class_case("ignore_in_range_weight_sum", op, [make(6, 4), idx([3, 2, 0, 1, 2, 2]), w4], "sum", ii=2),
        class_case("all_ignored_mean_nan", op, [make(3, 4), idx([-100, -100, -100]), UNDEF]),
        class_case("kdim_mean", op, [make(2, 3, 4, 5), randint(0, 3, 2, 4, 5), UNDEF]),
        class_case(
            "kdim_weight_ignore_none",
            op,
            [make(2, 3, 4), idx([[0, 2, -100, 1], [1, -100, 2, 2]]), uniform(0.5, 2.0, 3)],
            "none",
        ),
        class_case("unbatched", op, [make(5), idx(3), UNDEF]),
        class_case("unbatched_weight_none", op, [make(5), idx(1), uniform(0.5, 2.0, 5)], "none"),
        class_case("f64_weight", op, [make(5, 4, dtype=F64), randint(0, 4, 5), uniform(0.5, 2, 4, dtype=F64)], dtype=F64),
        class_case("noncontiguous", op, [make(7, 4).t(), randint(0, 7, 4), UNDEF]),
        class_case("empty_batch_mean_nan", op, [make(0, 4), idx([]), UNDEF]),
    ]
    if ce:
        out += [
            class_case("smoothing_" + r, op, [make(6, 4), ign, UNDEF], r, ls=0.2) for r in RED
        ] + [
            class_case("smoothing_weight_ignore_" + r, op, [make(6, 4), ign, w4], r, ls=0.15) for r in RED
        ] + [
            class_case("smoothing_kdim_weight", op, [make(2, 4, 3), randint(0, 4, 2, 3), w4], ls=0.3),
            class_case("smoothing_one", op, [make(6, 4), randint(0, 4, 6), UNDEF], ls=1.0),
            class_case("large_logits", op, [vals([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]]), idx([1, 2]), UNDEF]),
        ]
    return out


@op("cross_entropy")
def _(name):
    out = index_cases(name, randn)
    p45 = probs(5, 4)
    out += [class_case("probs_" + r, name, [randn(5, 4), p45, UNDEF], r) for r in RED]
    out += [
        class_case("probs_weight_" + r, name, [randn(5, 4), p45, uniform(0.5, 2, 4)], r, ls=0.1) for r in RED
    ]
    out += [
        class_case("probs_smoothing_mean", name, [randn(5, 4), p45, UNDEF], ls=0.25),
        class_case("probs_kdim_weight_none", name, [randn(2, 3, 4), probs(2, 3, 4), uniform(0.5, 2, 3)], "none", ls=0.1),
        class_case("probs_kdim_mean", name, [randn(2, 3, 2, 2), probs(2, 3, 2, 2), UNDEF]),
        class_case("probs_unbatched", name, [randn(4), probs(4), UNDEF], ls=0.2),
        class_case("probs_f64", name, [randn(3, 5, dtype=F64), probs(3, 5, dtype=F64), UNDEF], "sum", dtype=F64),
    ]
    return out


@op("nll_loss")
def _(name):
    return index_cases(name, logprobs)


def pair_cases(name, fn, extra_attrs=None):
    """Regression losses: every reduction, float64, non-contiguous, 0-dim,
    and an int64 target (promoted)."""
    extra_attrs = extra_attrs or {}
    out = []
    for r in RED:
        attrs = dict(extra_attrs, reduction=astr(r))
        out.append(case(r, [randn(4, 5), randn(4, 5, scale=2.0)], lambda x, t, r=r: fn(x, t, r), attrs, tol=tol(F32)))
    mean = dict(extra_attrs, reduction=astr("mean"))
    out += [
        case("f64_3d", [randn(2, 3, 4, dtype=F64), randn(2, 3, 4, dtype=F64, scale=2.0)], lambda x, t: fn(x, t, "mean"), mean, tol=tol(F64)),
        case("noncontiguous", [randn(5, 3).t(), randn(3, 5).sliced()], lambda x, t: fn(x, t, "sum"), dict(mean, reduction=astr("sum")), tol=tol(F32)),
        case("0dim", [randn(), randn()], lambda x, t: fn(x, t, "mean"), mean),
        case("int_target", [randn(3, 4, scale=3.0), randint(-3, 3, 3, 4)], lambda x, t: fn(x, t, "none"), dict(mean, reduction=astr("none"))),
    ]
    return out


@op("mse_loss")
def _(name):
    return pair_cases(name, lambda x, t, r: F.mse_loss(x, t, reduction=r))


@op("l1_loss")
def _(name):
    return pair_cases(name, lambda x, t, r: F.l1_loss(x, t, reduction=r))


@op("smooth_l1_loss")
def _(name):
    out = pair_cases(name, lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=1.0), {"beta": af(1.0)})
    for b in [0.0, 0.5, 2.5]:
        out.append(
            case(f"beta_{b}", [randn(4, 5), randn(4, 5, scale=2.0)], lambda x, t, b=b: F.smooth_l1_loss(x, t, reduction="none", beta=b),
                 {"reduction": astr("none"), "beta": af(b)})
        )
    return out


@op("huber_loss")
def _(name):
    out = pair_cases(name, lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=1.0), {"delta": af(1.0)})
    for d in [0.5, 2.5]:
        out.append(
            case(f"delta_{d}", [randn(4, 5), randn(4, 5, scale=2.0)], lambda x, t, d=d: F.huber_loss(x, t, reduction="none", delta=d),
                 {"reduction": astr("none"), "delta": af(d)})
        )
    return out


@op("softmax_cross_entropy")
def _(name):
    """The fused (N, C) form of cross_entropy (Note [fused cross entropy])."""
    def c(nm, inputs, r, ii=-100):
        return case(nm, inputs, lambda x, t: F.cross_entropy(x, t, ignore_index=ii, reduction=r),
                    {"ignore_index": ai(ii), "reduction": astr(r)}, tol=tol(F32))

    out = [c("mnist_64x10_mean", [randn(64, 10), randint(0, 10, 64)], "mean")]
    out += [c(r, [randn(8, 10), randint(0, 10, 8)], r) for r in ["sum", "none"]]
    out += [
        c("ignore_mean", [randn(6, 4), idx([3, -100, 0, 1, -100, 2])], "mean"),
        c("ignore_in_range_none", [randn(6, 4), idx([3, 2, 0, 1, 2, 2])], "none", ii=2),
        c("all_ignored_mean", [randn(2, 3), idx([-100, -100])], "mean"),
    ]
    return out


@op("softmax_cross_entropy_backward")
def _(name):
    """d cross_entropy / d x, given the output gradient g."""
    def c(nm, g, x, t, r, ii=-100):
        def fn(g, x, t):
            x = x.detach().requires_grad_()
            loss = F.cross_entropy(x, t, ignore_index=ii, reduction=r)
            return torch.autograd.grad(loss, x, g)[0]

        return case(nm, [g, x, t], fn, {"ignore_index": ai(ii), "reduction": astr(r)}, tol=tol(F32))

    return [
        c("mean", randn(), randn(64, 10), randint(0, 10, 64), "mean"),
        c("sum_ignore", randn(), randn(6, 4), idx([3, -100, 0, 1, -100, 2]), "sum"),
        c("none_ignore_in_range", randn(5), randn(5, 3), idx([2, 1, 0, 1, 2]), "none", ii=1),
    ]


@op("binary_cross_entropy")
def _(name):
    def c(nm, inputs, r, dtype=F32):
        return case(nm, inputs, lambda x, t, w: F.binary_cross_entropy(x, t, weight=w, reduction=r), {"reduction": astr(r)}, tol=tol(dtype))

    p = lambda *s, dtype=F32: uniform(0.01, 0.99, *s, dtype=dtype)
    out = [c(r, [p(4, 5), p(4, 5), UNDEF], r) for r in RED]
    out += [
        c("weight_row_sum", [p(4, 5), p(4, 5), uniform(0.5, 2, 5)], "sum"),
        c("weight_column_none", [p(4, 5), p(4, 5), uniform(0.5, 2, 4, 1)], "none"),
        c("f64_weight_full", [p(3, 4, dtype=F64), p(3, 4, dtype=F64), uniform(0.5, 2, 3, 4, dtype=F64)], "mean", F64),
        # 0 and 1 hit PyTorch's clamp of the log at -100.
        c("edges_clamp", [vals([0.0, 1.0, 1.0, 0.0, 0.5, 1e-30]), vals([0.0, 1.0, 0.0, 1.0, 0.3, 1.0]), UNDEF], "none"),
        c("noncontiguous", [p(5, 3).t(), p(3, 5), UNDEF], "mean"),
        c("0dim", [p(), p(), UNDEF], "sum"),
    ]
    return out


@op("binary_cross_entropy_with_logits")
def _(name):
    def c(nm, inputs, r, dtype=F32):
        fn = lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=r)
        return case(nm, inputs, fn, {"reduction": astr(r)}, tol=tol(dtype))

    t = lambda *s, dtype=F32: uniform(0.0, 1.0, *s, dtype=dtype)
    out = [c(r, [randn(4, 5, scale=3.0), t(4, 5), UNDEF, UNDEF], r) for r in RED]
    out += [
        c("pos_weight_" + r, [randn(4, 5, scale=3.0), t(4, 5), UNDEF, uniform(0.5, 3, 5)], r) for r in RED
    ]
    out += [
        c("weight_pos_weight_none", [randn(4, 5), t(4, 5), uniform(0.5, 2, 4, 1), uniform(0.5, 3, 5)], "none"),
        c("f64_weight", [randn(3, 4, dtype=F64), t(3, 4, dtype=F64), uniform(0.5, 2, 4, dtype=F64), UNDEF], "sum", F64),
        c("large_logits", [vals([[-100.0, -30.0, 0.0, 30.0, 100.0]]), vals([[0.0, 1.0, 0.5, 0.0, 1.0]]), UNDEF, UNDEF], "none"),
        c("large_logits_pos_weight", [vals([[-100.0, -30.0, 0.0, 30.0, 100.0]]), vals([[1.0, 0.0, 0.5, 1.0, 0.0]]), UNDEF, vals([2.0])], "none"),
        c("noncontiguous", [randn(5, 3).t(), t(3, 5), UNDEF, UNDEF], "mean"),
    ]
    return out


@op("kl_div")
def _(name):
    def c(nm, inputs, r, log_target=False, dtype=F32):
        fn = lambda x, t: F.kl_div(x, t, reduction=r, log_target=log_target)
        return case(nm, inputs, fn, {"reduction": astr(r), "log_target": ab(log_target)}, tol=tol(dtype))

    out = [c(r, [logprobs(4, 5), probs(4, 5)], r) for r in RED + ["batchmean"]]
    out += [
        c("log_target_" + r, [logprobs(4, 5), logprobs(4, 5)], r, True) for r in ["batchmean", "none"]
    ]
    out += [
        c("target_zeros_none", [logprobs(2, 3), vals([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])], "none"),
        c("broadcast_target_none", [logprobs(3, 4), probs(1, 4)], "none"),
        c("broadcast_target_batchmean", [logprobs(3, 4), probs(4)], "batchmean"),
        c("batchmean_0dim", [randn(), uniform(0.1, 1.0)], "batchmean"),
        c("f64_kdim_batchmean", [logprobs(2, 3, 4, dtype=F64), probs(2, 3, 4, dtype=F64)], "batchmean", dtype=F64),
        c("noncontiguous", [logprobs(5, 3).t(), probs(3, 5)], "sum"),
    ]
    return out
