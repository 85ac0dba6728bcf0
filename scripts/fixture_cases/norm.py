"""Parity cases for the norm family (src/ops/norm.cpp)."""
from .common import *  # noqa: F401,F403
