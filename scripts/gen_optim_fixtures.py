#!/usr/bin/env python3
"""Optimizer and scheduler parity fixtures against PyTorch 1.13.

Run by hand (CI only reads the committed JSON); needs Debian's python3-torch:

    /usr/bin/python3 scripts/gen_optim_fixtures.py

Writes tests/fixtures/optim/optimizers.json and schedulers.json, which
tests/optim/optimizer_test.cpp and scheduler_test.cpp replay.

optimizers.json: {"torch": version, "cases": [case]}, one case:
  {"name", "optimizer": "SGD" | "Adam" | "AdamW" | "RMSprop" | "Adagrad",
   "dtype": "float32" | "float64",
   "params": [{"shape": [...], "values": [...]}],
   "groups": [{"params": [indices into params], "options": {braid name: value}}],
   "grads": [[values or null (no gradient this step), one per param], one per step],
   "expected": [[values after the step, one per param], one per step],
   "state": [{buffer name: values, "step": n (not SGD)} or null, one per param]
            (after the last step)}
Options use braid's names (beta1/beta2 for torch's betas); booleans are JSON
booleans. Gradients are a fixed function of (step, param, element), so the
run does not depend on a loss.

schedulers.json: {"torch": version, "cases": [case]}, one case:
  {"name", "scheduler", "args": {...}, "group_lrs": [...], "optimizer": "SGD" | "Adam",
   "momentum": 0.9 (SGD), "metrics": [...] (ReduceLROnPlateau),
   "lrs": [[lr per group] at construction, then after each step],
   "momenta": [[...]] (OneCycleLR with cycle_momentum)}
Floats are Python's exact repr of the double (float32 values widen exactly).
"""
import json
import math
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "optim")
STEPS = 5
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def initial(shape, index, dtype):
    n = math.prod(shape)
    v = [math.sin(0.37 * (k + 1) + 1.1 * index) * 0.8 + 0.05 * index for k in range(n)]
    return torch.tensor(v, dtype=dtype).reshape(shape)


def gradient(shape, index, step, dtype):
    n = math.prod(shape)
    v = [math.cos(0.53 * k + 0.9 * step + 0.4 * index) * (1.0 + 0.3 * step) - 0.1 * index for k in range(n)]
    return torch.tensor(v, dtype=dtype).reshape(shape)


def torch_options(name, opts):
    o = dict(opts)
    if "beta1" in o:
        o["betas"] = (o.pop("beta1"), o.pop("beta2"))
    o["foreach"] = False  # the single-tensor path: the formulas braid follows
    return o


def run_optimizer(name, optimizer, dtype, shapes, groups, skip=()):
    """skip: (step, param) pairs that get no gradient."""
    dt = DTYPES[dtype]
    params = [initial(s, i, dt).requires_grad_() for i, s in enumerate(shapes)]
    case = {
        "name": name,
        "optimizer": optimizer,
        "dtype": dtype,
        "params": [{"shape": list(s), "values": values(p)} for s, p in zip(shapes, params)],
        "groups": groups,
        "grads": [],
        "expected": [],
    }
    cls = getattr(torch.optim, optimizer)
    tgroups = [{"params": [params[i] for i in g["params"]], **torch_options(optimizer, g["options"])} for g in groups]
    # Adagrad fills its sums from the constructor's initial_accumulator_value, not the
    # group's: pass the first group's options as the defaults too.
    opt = cls(tgroups, **torch_options(optimizer, groups[0]["options"]))
    for step in range(STEPS):
        grads = []
        for i, (s, p) in enumerate(zip(shapes, params)):
            if (step, i) in skip:
                p.grad = None
                grads.append(None)
            else:
                g = gradient(s, i, step, dt)
                p.grad = g.clone()
                grads.append(values(g))
        opt.step()
        case["grads"].append(grads)
        case["expected"].append([values(p) for p in params])
    state = []
    for p in params:
        st = opt.state.get(p)
        if not st:
            state.append(None)
            continue
        entry = {}
        for k, v in st.items():
            if v is not None:  # SGD keeps momentum_buffer = None without momentum
                entry[k] = int(v) if k == "step" else values(v)
        state.append(entry)
    case["state"] = state
    return case


def optimizer_cases():
    shapes = [(3, 4), (5,), (2, 1, 3)]
    one = [{"params": [0, 1, 2], "options": None}]
    skip = {(1, 1), (2, 2)}
    cases = []

    def add(name, optimizer, options, dtype="float32", groups=None):
        gs = groups or [{"params": [0, 1, 2], "options": options}]
        cases.append(run_optimizer(name, optimizer, dtype, shapes, gs, skip))

    sgd = dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)
    add("sgd_plain", "SGD", sgd)
    add("sgd_momentum", "SGD", {**sgd, "momentum": 0.9, "dampening": 0.1})
    add("sgd_nesterov_wd", "SGD", {**sgd, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01})
    add("sgd_nesterov_wd_f64", "SGD", {**sgd, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, "float64")
    add("sgd_maximize", "SGD", {**sgd, "momentum": 0.5, "maximize": True})

    adam = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False)
    add("adam_default", "Adam", adam)
    add("adam_wd_amsgrad", "Adam", {**adam, "weight_decay": 0.05, "amsgrad": True})
    add("adam_wd_amsgrad_f64", "Adam", {**adam, "weight_decay": 0.05, "amsgrad": True}, "float64")
    add("adam_betas_maximize", "Adam", {**adam, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3, "maximize": True})
    add(
        "adam_two_groups",
        "Adam",
        None,
        groups=[
            {"params": [0, 2], "options": adam},
            {"params": [1], "options": {**adam, "lr": 0.1, "beta1": 0.8, "weight_decay": 0.1}},
        ],
    )

    adamw = {**adam, "weight_decay": 1e-2}
    add("adamw_default", "AdamW", adamw)
    add("adamw_amsgrad_f64", "AdamW", {**adamw, "weight_decay": 0.1, "amsgrad": True}, "float64")

    rms = dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False)
    add("rmsprop_default", "RMSprop", rms)
    add("rmsprop_centered_momentum", "RMSprop", {**rms, "centered": True, "momentum": 0.9, "weight_decay": 0.01})
    add("rmsprop_centered_momentum_f64", "RMSprop", {**rms, "centered": True, "momentum": 0.9}, "float64")

    ada = dict(lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, maximize=False)
    add("adagrad_default", "Adagrad", ada)
    add("adagrad_decay_init", "Adagrad", {**ada, "lr_decay": 0.1, "weight_decay": 0.01, "initial_accumulator_value": 0.5})
    add("adagrad_decay_init_f64", "Adagrad", {**ada, "lr_decay": 0.1, "initial_accumulator_value": 0.5}, "float64")
    add(
        "sgd_two_groups",
        "SGD",
        None,
        groups=[
            {"params": [1], "options": {**sgd, "lr": 0.05, "momentum": 0.9}},
            {"params": [2, 0], "options": {**sgd, "lr": 0.2, "weight_decay": 0.1}},
        ],
    )
    return cases


def scheduler_case(name, scheduler, args, steps=30, optimizer="SGD", metrics=None, group_lrs=(0.1, 0.05)):
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, group_lrs)]
    if optimizer == "SGD":
        opt = torch.optim.SGD(groups, lr=group_lrs[0], momentum=0.9)
    else:
        opt = torch.optim.Adam(groups, lr=group_lrs[0])
    cls = getattr(torch.optim.lr_scheduler, scheduler)
    sched = cls(opt, **args)
    case = {"name": name, "scheduler": scheduler, "args": args, "group_lrs": list(group_lrs), "optimizer": optimizer}
    if optimizer == "SGD":
        case["momentum"] = 0.9
    lrs = [[g["lr"] for g in opt.param_groups]]
    one_cycle_momentum = scheduler == "OneCycleLR" and args.get("cycle_momentum", True)

    def momenta():
        return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]

    moms = [momenta()] if one_cycle_momentum else None
    if metrics is not None:
        case["metrics"] = metrics
    for step in range(steps):
        opt.step()  # no gradients: keeps PyTorch's order warning quiet
        if metrics is not None:
            sched.step(metrics[step])
        else:
            sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        if moms is not None:
            moms.append(momenta())
    case["lrs"] = lrs
    if moms is not None:
        case["momenta"] = moms
    return case


def scheduler_cases():
    plateau = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
    plateau += [0.7 + 0.001 * k for k in range(16)]
    acc = [0.5, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    acc += [0.7] * 15
    return [
        scheduler_case("step_lr", "StepLR", {"step_size": 7, "gamma": 0.5}),
        scheduler_case("multi_step_lr", "MultiStepLR", {"milestones": [3, 10, 10, 20], "gamma": 0.3}),
        scheduler_case("exponential_lr", "ExponentialLR", {"gamma": 0.9}),
        scheduler_case("cosine_annealing", "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
        scheduler_case("cosine_annealing_long", "CosineAnnealingLR", {"T_max": 7}, steps=40),
        scheduler_case("linear_lr", "LinearLR", {}),
        scheduler_case("linear_lr_down", "LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 12}),
        # OneCycleLR: total_steps - 1 steps; PyTorch extrapolates on the step after (braid holds).
        scheduler_case("one_cycle", "OneCycleLR", {"max_lr": 1.0, "total_steps": 30}, steps=29),
        scheduler_case(
            "one_cycle_adam_three_phase",
            "OneCycleLR",
            {"max_lr": [0.5, 0.2], "total_steps": 30, "three_phase": True, "pct_start": 0.25},
            steps=29,
            optimizer="Adam",
        ),
        scheduler_case(
            "one_cycle_linear_no_momentum",
            "OneCycleLR",
            {"max_lr": 0.3, "total_steps": 25, "anneal_strategy": "linear", "cycle_momentum": False},
            steps=24,
        ),
        scheduler_case("plateau_min", "ReduceLROnPlateau", {"patience": 2, "factor": 0.5}, metrics=plateau),
        scheduler_case(
            "plateau_max_cooldown",
            "ReduceLROnPlateau",
            {"mode": "max", "patience": 1, "cooldown": 2, "threshold": 0.01, "min_lr": [0.02, 0.0]},
            metrics=acc,
        ),
        scheduler_case(
            "plateau_abs_min_lr",
            "ReduceLROnPlateau",
            {"patience": 0, "threshold_mode": "abs", "threshold": 0.05, "min_lr": 0.01},
            metrics=plateau,
        ),
    ]


def write(name, cases):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=None)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path} ({len(cases)} cases)")


if __name__ == "__main__":
    torch.set_num_threads(1)
    write("optimizers.json", optimizer_cases())
    write("schedulers.json", scheduler_cases())
