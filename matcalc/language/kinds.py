"""The naming convention: the kind a name has when nothing declares it, and the reserved names.

A name that starts with an upper-case letter (Latin or Greek: ``W``, ``Θ``) is a matrix, a
lower-case Greek name is a scalar, any other name is a vector; use overrides the convention
(:mod:`matcalc.language.typer`). The names of the language's functions are reserved.
"""
from __future__ import annotations

import unicodedata

from ..core.functions import FUNCTIONS
from ..core.ops import CALLS


FUNCTION_SPELLINGS = {s: f for f in FUNCTIONS.values() for s in f.spellings}
"""a name that calls an elementwise function (σ, sigmoid, ln, …) -> its row"""

RESERVED = set(CALLS) | set(FUNCTION_SPELLINGS)
"""Names of the language's functions: no variable or placeholder may take them."""

DIM_NAMES = ["n", "m", "k", "p", "q", "r", "d", "l", "s", "t", "a", "b", "c", "h", "w", "v"]


def is_greek(name: str) -> bool:
    return "GREEK" in unicodedata.name(name[0], "")


def conventional_kind(name: str) -> str:
    """'scalar', 'vector' or 'matrix', by the naming convention."""
    if name[0].isupper():  # W, Θ
        return "matrix"
    if is_greek(name):  # λ, α
        return "scalar"
    return "vector"
