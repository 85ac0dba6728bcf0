#!/usr/bin/env python3
"""Forward-parity fixtures: every braid op against PyTorch 1.13.

Run by hand, never in CI (CI only reads the committed JSON). Needs Debian's
python3-torch, which lives in /usr/bin/python3:

    /usr/bin/python3 scripts/gen_fixtures.py

It parses include/braid/ops/op_list.def, builds each op's cases (written in
scripts/fixture_cases/*.py; inputs seeded per case, so adding a case leaves
the others as they are), runs them through PyTorch and writes
tests/fixtures/ops_<family>.json (family = the src/ops file named in
op_list.def's section comment) and tests/fixtures/manifest.json (torch
version, exemptions, the case list the test registers from). An op in
op_list.def without a case stops the script: write a case, or list the op in
EXEMPT with the reason. tests/ops/parity_test.cpp replays each case through
braid::detail::call and compares (one gtest per op; BRAID_PARITY_CASE=<name>
runs one case). Formatted with `black -l 120`.

One case per line:
  {"name": "add.bcast_f32", "op": "add", "attrs": {"alpha": {"scalar": 2.5}},
   "inputs": [{"dtype": "float32", "shape": [3, 1], "values": [...],
               "layout": "transposed" | "sliced" | "expanded", "wrapped": true}
              | {"undefined": true}],
   "outputs": [{"dtype", "shape", "values", "check": "values" | "multiset" | "shape",
                "rtol", "atol"}]}
Attribute values are tagged with the kind braid's Attrs holds: {"int": 1},
{"float": 0.5}, {"bool": true}, {"ints": [0, 1]}, {"str": "tanh"},
{"scalar": 2 | 2.5 | true} (the JSON number kind is the Scalar kind).
Floats are the exact decimal repr of the float64 value (float32, float16 and
bfloat16 values widen exactly); NaN and infinities are the strings "nan",
"inf", "-inf". "wrapped" is a number written in the call (`x + 2.5`): a 0-dim
float64/int64/bool tensor that takes part in promotion as PyTorch's wrapped
numbers do. Layouts are non-contiguous views holding the listed values:
"transposed" (a transpose of a contiguous buffer), "sliced" (rows 1, 3, 5...
of a buffer twice as tall: strided, with an offset), "expanded" (stride 0 in
dim 0). Missing "layout": contiguous. Missing "check": "values".
Tolerances: TOL and TOL_ACCUM in fixture_cases/common.py.
"""
import json
import re
import sys
from pathlib import Path

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixture_cases import CASES, run_case  # noqa: E402  (registers every op's cases)

ROOT = Path(__file__).resolve().parent.parent
OP_LIST = ROOT / "include/braid/ops/op_list.def"
OUT_DIR = ROOT / "tests/fixtures"
REGENERATE = "/usr/bin/python3 scripts/gen_fixtures.py"

# Ops compared by no case, with the reason (the parity test reads them from
# manifest.json). Keep this empty where possible.
EXEMPT = {}


def parse_op_list():
    """[(op, family)] in op_list.def order; family = the first src/ops/<x>.cpp
    named by the section comment above the op."""
    fam, out = None, []
    for line in OP_LIST.read_text().splitlines():
        m = re.match(r"//.*\(src/ops/(\w+)\.cpp", line)
        if m:
            fam = m.group(1)
        m = re.match(r"BRAID_OP\((\w+)\)", line)
        if m:
            if fam is None:
                sys.exit(f"gen_fixtures: op {m.group(1)} has no family comment in {OP_LIST}")
            out.append((m.group(1), fam))
    return out


def main():
    ops = parse_op_list()
    names = {o for o, _ in ops}
    missing = [o for o, _ in ops if o not in CASES and o not in EXEMPT]
    unknown = sorted(set(CASES) - names) + sorted(set(EXEMPT) - names)
    if missing or unknown:
        for o in missing:
            print(
                f"gen_fixtures: op '{o}' (op_list.def) has no parity case: add one in scripts/fixture_cases/, or list it in EXEMPT (scripts/gen_fixtures.py) with the reason"
            )
        for o in unknown:
            print(f"gen_fixtures: '{o}' has cases or an exemption but is not in op_list.def")
        sys.exit(1)
    families, counts = {}, {}
    for o, fam in ops:
        if o in EXEMPT:
            continue
        cases = []
        for c in CASES[o](o):
            try:
                cases.append(run_case(o, c))
            except Exception as e:  # name the case: the traceback alone does not
                sys.exit(f"gen_fixtures: case {o}.{c['name']} failed in PyTorch: {e}")
        families.setdefault(fam, []).extend(cases)
        counts[o] = len(cases)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("ops_*.json"):
        old.unlink()
    for fam, cases in families.items():
        head = {"family": fam, "torch_version": torch.__version__, "regenerate": REGENERATE}
        body = ",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases)
        text = json.dumps(head)[:-1] + ', "cases": [\n' + body + "\n]}\n"
        (OUT_DIR / f"ops_{fam}.json").write_text(text)
        print(f"ops_{fam}.json: {len(cases)} cases, {len(text) // 1024} KiB")
    # The parity test registers its tests from this list and opens a family's
    # file only when one of its cases runs (each ctest entry is a process).
    manifest = {
        "torch_version": torch.__version__,
        "regenerate": REGENERATE,
        "exempt": EXEMPT,
        "cases_per_op": counts,
        "cases": {f: [c["name"] for c in cs] for f, cs in families.items()},
    }
    (OUT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=0) + "\n")
    print(f"{sum(counts.values())} cases for {len(counts)} ops; {len(EXEMPT)} exempt")


if __name__ == "__main__":
    if not torch.__version__.startswith("1.13"):
        sys.exit(f"gen_fixtures: the fixtures are PyTorch 1.13's; this is {torch.__version__}")
    main()
