"""Parity cases for the loss family (src/ops/loss.cpp)."""
from .common import *  # noqa: F401,F403
