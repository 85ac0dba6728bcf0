"""Parity cases for the pool family (src/ops/pool.cpp)."""
from .common import *  # noqa: F401,F403
