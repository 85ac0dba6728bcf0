"""Parity cases for the conv family (src/ops/conv.cpp)."""
from .common import *  # noqa: F401,F403
