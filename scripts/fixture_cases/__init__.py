"""The parity cases, one module per op family; importing this registers
every op's case builder in CASES (see common.op)."""
from . import conv, elementwise, loss, norm, pool, recurrent, reduce_linalg, shape  # noqa: F401
from .common import CASES, run_case  # noqa: F401
