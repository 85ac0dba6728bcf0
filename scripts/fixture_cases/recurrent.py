"""Parity cases for the recurrent family (src/ops/recurrent.cpp)."""
from .common import *  # noqa: F401,F403
