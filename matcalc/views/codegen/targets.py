"""Targets: the array library the generated function is written for.

A :class:`Target` says how the function converts and checks its inputs, how it returns
scalars and constant arrays, which names it reserves, whether it may write into its own
temporaries (NumPy's ``out=``), and which emitter writes one node's code. NumPy is
:data:`NUMPY`; PyTorch and JAX are in :mod:`.frameworks`.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from .expressions import expression


@dataclass(frozen=True)
class Target:
    name: str
    imports: str                 # the module's first lines
    expression: Callable         # (writer, node, vals) -> (code, atom, lines)
    asarray: str                 # {0}: an input, as a float64 array
    size: str                    # {0}: its number of entries
    to_scalar: str               # {0}: a one-entry array as a scalar
    scalar_out: str              # {0}: a scalar result
    full: str                    # {0}: dims, {1}: a number: a constant array result
    reserved: frozenset = frozenset()
    in_place: bool = False
    note: str = ""               # said in the docstring


NUMPY = Target(
    name="numpy", imports="import numpy as np\n", expression=expression,
    asarray="np.asarray({0}, dtype=float)", size="{0}.size", to_scalar="{0}.reshape(())[()]",
    scalar_out="np.float64({0})", full="np.full(({0},), {1})", in_place=True)
